package modelio

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	var e Encoder
	e.Int(-3)
	e.F64s([]float64{1.5, math.Inf(-1)})
	e.F32s([]float32{2.25})
	e.Strings([]string{"a", "bc"})
	e.Bool(true)
	data := Seal("test", 2, e.Buf)
	if got := Kind(data); got != "test" {
		t.Fatalf("Kind=%q", got)
	}
	v, payload, err := Open(data, "test", 2)
	if err != nil || v != 2 {
		t.Fatalf("Open: v=%d err=%v", v, err)
	}
	d := NewDecoder(payload)
	if got := d.Int(); got != -3 {
		t.Fatalf("Int=%d", got)
	}
	f := d.F64s()
	if len(f) != 2 || f[0] != 1.5 || !math.IsInf(f[1], -1) {
		t.Fatalf("F64s=%v", f)
	}
	if g := d.F32s(); len(g) != 1 || g[0] != 2.25 {
		t.Fatalf("F32s=%v", g)
	}
	if s := d.Strings(); len(s) != 2 || s[1] != "bc" {
		t.Fatalf("Strings=%v", s)
	}
	if !d.Bool() {
		t.Fatal("Bool=false")
	}
	if err := d.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	data := Seal("mlp", 1, []byte("payload bytes"))
	tests := []struct {
		name    string
		data    []byte
		kind    string
		max     uint16
		corrupt bool
		msg     string
	}{
		{"Truncated", data[:len(data)-5], "mlp", 1, true, "truncated"},
		{"Empty", nil, "mlp", 1, true, "bad header"},
		{"FlippedByte", flip(data, 20), "mlp", 1, true, "checksum"},
		{"WrongKind", data, "gbdt", 1, false, `holds a "mlp" model`},
		{"NewerVersion", data, "mlp", 0, false, "newer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Open(tt.data, tt.kind, tt.max)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrCorrupt) != tt.corrupt || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err=%v, want corrupt=%v containing %q", err, tt.corrupt, tt.msg)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 0x40
	return c
}

func TestDecoderShortPayload(t *testing.T) {
	var e Encoder
	e.F64s([]float64{1, 2, 3})
	d := NewDecoder(e.Buf[:12])
	d.F64s()
	if err := d.Err(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err=%v, want ErrCorrupt", err)
	}
	d = NewDecoder(append(e.Buf, 0))
	d.F64s()
	if err := d.Finish(); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Fatalf("Finish err=%v", err)
	}
}
