package http

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// encodeStd is what writeJSON would write for l.
func encodeStd(t testing.TB, l RecList) []byte {
	t.Helper()
	out := RecListOut{Items: make([]RecItem, len(l.Items)), Model: l.Model, Version: l.Version}
	for i, it := range l.Items {
		out.Items[i] = RecItem{SKU: string(it.SKU), Score: it.Score, Reason: it.Reason, Source: it.Source}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRecJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `quo"te`, `back\slash`, "tab\there", "nl\nx\r", "\b\f\x00\x01\x1f\x7f",
		"<html>&amp;", "café ☕ 日本", "\u2028line\u2029", "bad\xffutf8\xc3", "\xe2\x80", "emoji 😀 end"}
	floats := []float64{0, 1, -1, 0.5, 1.0 / 3, 123456789.125, 1e-6, 9.99e-7, 1e-7, 1e21, 1e20, -2.5e-10,
		math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1 + 0.2}
	t.Run("Cases", func(t *testing.T) {
		for _, s := range strs {
			for _, f := range floats {
				l := RecList{Items: []shelfwise.Recommendation{{SKU: shelfwise.SKU(s), Score: f, Reason: s + "!", Source: "als"}},
					Model: "hybrid " + s, Version: 7}
				if got, want := appendRecList(nil, l), encodeStd(t, l); !bytes.Equal(got, want) {
					t.Errorf("string %q score %v:\n got  %s\n want %s", s, f, got, want)
				}
			}
		}
	})
	t.Run("Random", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 2))
		for range 2000 {
			var items []shelfwise.Recommendation
			for range rng.IntN(4) {
				var sb strings.Builder
				for range rng.IntN(12) {
					switch rng.IntN(4) {
					case 0:
						sb.WriteByte(byte(rng.IntN(256))) // any byte, valid UTF-8 or not
					case 1:
						sb.WriteRune(rune(rng.IntN(0x3000)))
					default:
						sb.WriteByte(byte('a' + rng.IntN(26)))
					}
				}
				f := math.Float64frombits(rng.Uint64())
				if math.IsNaN(f) || math.IsInf(f, 0) {
					f = rng.NormFloat64()
				}
				items = append(items, shelfwise.Recommendation{SKU: shelfwise.SKU(sb.String()), Score: f, Reason: sb.String(), Source: "x"})
			}
			l := RecList{Items: items, Model: "m", Version: rng.IntN(1000)}
			if got, want := appendRecList(nil, l), encodeStd(t, l); !bytes.Equal(got, want) {
				t.Fatalf("\n got  %s\n want %s", got, want)
			}
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if got, want := string(appendRecList(nil, RecList{Model: "m"})), `{"items":[],"model":"m","version":0}`+"\n"; got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	})
	t.Run("NonFiniteScoreIsZero", func(t *testing.T) {
		got := appendRecList(nil, RecList{Items: []shelfwise.Recommendation{{SKU: "A", Score: math.NaN()}}})
		var out RecListOut
		if err := json.Unmarshal(got, &out); err != nil || out.Items[0].Score != 0 {
			t.Errorf("NaN score: %s (err %v), want valid JSON with score 0", got, err)
		}
	})
}

func BenchmarkWriteRecs(b *testing.B) {
	l := RecList{Model: "hybrid v3", Version: 3}
	for i := range 10 {
		l.Items = append(l.Items, shelfwise.Recommendation{SKU: shelfwise.SKU("FOODS_1_00" + string(rune('0'+i))),
			Score: 0.123456 * float64(i+1), Reason: "customers who bought Pasta also like this", Source: "als"})
	}
	b.Run("Hand", func(b *testing.B) {
		var buf []byte
		for b.Loop() {
			buf = appendRecList(buf[:0], l)
		}
	})
	b.Run("EncodingJSON", func(b *testing.B) {
		for b.Loop() {
			encodeStd(b, l)
		}
	})
}
