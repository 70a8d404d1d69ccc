package forecast

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// shortOf fails with ErrTooShort (or err) when a series has fewer than n
// points before the origin, and otherwise forecasts the constant v.
type shortOf struct {
	n   int
	v   float64
	err error
}

func (s shortOf) Name() string { return "short" }

func (s shortOf) Forecast(_ context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	out := make([]Prediction, len(series))
	for i, x := range series {
		if len(x.Values)-cut < s.n {
			if s.err != nil {
				return nil, s.err
			}
			return nil, ErrTooShort
		}
		out[i] = Prediction{Mean: constant(s.v, h)}
	}
	return out, nil
}

func TestFallback(t *testing.T) {
	ctx := context.Background()
	series := []*shelfwise.Series{{Values: make([]float64, 20)}}
	f := Fallback{Primary: shortOf{n: 15, v: 1}, Secondary: shortOf{n: 1, v: 2}}
	if f.Name() != "short" {
		t.Errorf("name %q", f.Name())
	}
	for _, tt := range []struct {
		cut  int
		want float64
	}{{0, 1}, {5, 1}, {6, 2}, {10, 2}} {
		p, err := f.Forecast(ctx, series, tt.cut, 3)
		if err != nil {
			t.Fatal(err)
		}
		if p[0].Mean[0] != tt.want {
			t.Errorf("origin %d steps before the end: forecast %v, want %v", tt.cut, p[0].Mean[0], tt.want)
		}
	}
	// Other errors are not hidden.
	boom := errors.New("boom")
	f.Primary = shortOf{n: 15, err: boom}
	if _, err := f.Forecast(ctx, series, 10, 3); !errors.Is(err, boom) {
		t.Errorf("err %v, want the primary's own error", err)
	}
}

// TestForEachPanicIsError: a panic in one item is returned as an error
// naming the item, instead of ending the process.
func TestForEachPanicIsError(t *testing.T) {
	err := ForEach(context.Background(), 50, 3, func(i int) error {
		if i == 7 {
			var s []int
			_ = s[i] // index out of range
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "panic at item 7") || !strings.Contains(err.Error(), "index out of range") {
		t.Fatalf("err = %v, want the panic of item 7", err)
	}
}
