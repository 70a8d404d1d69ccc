package forecast

import (
	"context"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// fixedLevel forecasts a fixed value and counts its origins.
type fixedLevel struct {
	v       float64
	origins *[]int
}

func (c fixedLevel) Name() string { return "fixed" }

func (c fixedLevel) Forecast(_ context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	*c.origins = append(*c.origins, cut)
	out := make([]Prediction, len(series))
	for i := range out {
		out[i].Mean = make([]float64, h)
		for j := range out[i].Mean {
			out[i].Mean[j] = c.v
		}
	}
	return out, nil
}

// TestPick checks that Pick chooses by the error of the window before the
// origin (never the forecast steps) and forecasts with the winner.
func TestPick(t *testing.T) {
	// Level 10 up to the last 4 steps, then 50: the window before the
	// origin says 10; the forecast steps would say 50.
	vals := make([]float64, 40)
	for i := range vals {
		vals[i] = 10
		if i >= 36 {
			vals[i] = 50
		}
	}
	s := &shelfwise.Series{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Grain: shelfwise.GrainWeek, Values: vals}
	var o10, o50 []int
	p := Pick{Candidates: []Forecaster{fixedLevel{50, &o50}, fixedLevel{10, &o10}}}
	preds, err := p.Forecast(context.Background(), []*shelfwise.Series{s}, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if preds[0].Mean[0] != 10 {
		t.Fatalf("picked the forecaster of %v; want 10 (right on the validation window)", preds[0].Mean[0])
	}
	if len(o50) != 1 || o50[0] != 8 || len(o10) != 2 || o10[0] != 8 || o10[1] != 4 {
		t.Fatalf("origins: 50 at %v, 10 at %v; want validation at 8 for both, forecast at 4 for the winner", o50, o10)
	}
	// Too short a history for a validation window: the first candidate.
	short := &shelfwise.Series{Start: s.Start, Grain: s.Grain, Values: vals[:10]}
	if k, err := p.Choose(context.Background(), []*shelfwise.Series{short}, 4, 4); err != nil || k != 0 {
		t.Fatalf("short series: candidate %d, %v; want 0", k, err)
	}
	if _, err := (Pick{}).Forecast(context.Background(), []*shelfwise.Series{s}, 0, 4); err == nil {
		t.Fatal("no candidates: no error")
	}
}
