package forecast

import (
	"context"
	"errors"
	"math"
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

// failing is a Forecaster that always fails.
type failing struct{}

func (failing) Name() string { return "failing" }

func (failing) Forecast(context.Context, []*shelfwise.Series, int, int) ([]Prediction, error) {
	return nil, errors.New("member failed")
}

// TestBlendConcurrency checks that members forecasting at once give exactly
// the blend of members forecasting one after the other, and that a failing
// member fails the blend either way.
func TestBlendConcurrency(t *testing.T) {
	s := &shelfwise.Series{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Grain: shelfwise.GrainWeek,
		Values: []float64{3, 5, 4, 6, 5, 7, 6, 8, 7, 9, 8, 10}}
	ss := []*shelfwise.Series{s}
	members := []Forecaster{Local{Method: Naive{}}, Local{Method: SeasonalNaive{Period: 2}}, Local{Method: MovingAverage{Window: 3}}}
	seq := Blend{Members: members, Weights: []float64{0.5, 0.3, 0.2}}
	par := seq
	par.Concurrency = 3
	a, err := seq.Forecast(context.Background(), ss, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, err := par.Forecast(context.Background(), ss, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	for k := range a[0].Mean {
		if a[0].Mean[k] != b[0].Mean[k] {
			t.Fatalf("step %d: sequential %v, concurrent %v", k, a[0].Mean[k], b[0].Mean[k])
		}
	}
	if want := 0.5*10 + 0.3*8 + 0.2*(9+8+10)/3.0; math.Abs(a[0].Mean[0]-want) > 1e-12 {
		t.Fatalf("blend %v, want %v", a[0].Mean[0], want)
	}
	for _, c := range []int{0, 2} {
		bad := Blend{Members: append([]Forecaster{failing{}}, members[:1]...), Weights: []float64{0.5, 0.5}, Concurrency: c}
		if _, err := bad.Forecast(context.Background(), ss, 0, 4); err == nil {
			t.Errorf("concurrency %d: a failing member did not fail the blend", c)
		}
	}
}

// TestPickMemo checks that with memoized candidates a backtest's windows
// do not fit a candidate twice at one origin, that results equal those
// without, and that a caller changing a returned forecast does not change
// the kept one.
func TestPickMemo(t *testing.T) {
	vals := make([]float64, 60)
	for i := range vals {
		vals[i] = float64(10 + i%5)
	}
	s := &shelfwise.Series{Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Grain: shelfwise.GrainWeek, Values: vals}
	ss := []*shelfwise.Series{s}
	var a1, a2, b1, b2 []int
	plain := Pick{Candidates: []Forecaster{fixedLevel{12, &a1}, fixedLevel{30, &a2}}}
	memo := Pick{Candidates: []Forecaster{NewMemo(fixedLevel{12, &b1}), NewMemo(fixedLevel{30, &b2})}}
	for _, cut := range []int{12, 8, 4, 0} { // rolling origins, oldest first
		x, err := plain.Forecast(context.Background(), ss, cut, 4)
		if err != nil {
			t.Fatal(err)
		}
		y, err := memo.Forecast(context.Background(), ss, cut, 4)
		if err != nil {
			t.Fatal(err)
		}
		if x[0].Mean[0] != y[0].Mean[0] {
			t.Fatalf("origin %d: %v with the memo, %v without", cut, y[0].Mean[0], x[0].Mean[0])
		}
		y[0].Mean[0] = -1 // a caller clipping or scaling its copy
	}
	// Without: each window fits both at cut+4 and the winner at cut.
	if len(a1) != 8 || len(a2) != 4 {
		t.Fatalf("without a memo: %d and %d fits, want 8 and 4", len(a1), len(a2))
	}
	// With: the winner's fit at cut is the next window's validation fit.
	if len(b1) != 5 || len(b2) != 4 {
		t.Fatalf("with a memo: %d and %d fits (origins %v, %v), want 5 and 4", len(b1), len(b2), b1, b2)
	}
	if y, _ := memo.Forecast(context.Background(), ss, 0, 4); y[0].Mean[0] != 12 {
		t.Fatalf("kept forecast changed by a caller: %v", y[0].Mean[0])
	}
}
