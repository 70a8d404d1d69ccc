package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// Pick chooses one of its candidate forecasters for the whole panel by
// backtest error: each is run from the origin h steps before the one asked
// for, scored by the absolute error pooled over every series and step (the
// WAPE's numerator; NaN actuals are skipped), and the best then forecasts
// from the requested origin. The choice never sees the steps it forecasts,
// so it can be backtested like any model. With a single candidate, or
// series too short for the validation window, the first candidate is used.
//
// With a Memo, a candidate's forecasts are kept per origin, so in a
// backtest the winner's fit at an origin the previous window validated at
// is not repeated.
type Pick struct {
	Label      string
	Candidates []Forecaster
	Memo       *PickMemo
}

// PickMemo keeps the candidates' forecasts of one panel by origin (safe for
// concurrent use). Use one per panel and forecaster setup.
type PickMemo struct {
	mu      sync.Mutex
	entries []pickEntry
}

type pickEntry struct {
	cand, cut, h int
	series       []*shelfwise.Series
	preds        []Prediction
}

// NewPickMemo returns an empty memo.
func NewPickMemo() *PickMemo { return &PickMemo{} }

// forecast runs candidate k at cut, or returns a copy of its kept result.
func (p Pick) forecast(ctx context.Context, k int, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	m := p.Memo
	if m == nil {
		return p.Candidates[k].Forecast(ctx, series, cut, h)
	}
	m.mu.Lock()
	for _, e := range m.entries {
		if e.cand == k && e.cut == cut && e.h == h && slices.Equal(e.series, series) {
			m.mu.Unlock()
			return clonePredictions(e.preds), nil
		}
	}
	m.mu.Unlock()
	preds, err := p.Candidates[k].Forecast(ctx, series, cut, h)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.entries = append(m.entries, pickEntry{cand: k, cut: cut, h: h, series: slices.Clone(series), preds: clonePredictions(preds)})
	m.mu.Unlock()
	return preds, nil
}

// clonePredictions copies ps deeply enough that callers may change the
// means, bounds and components of the copy.
func clonePredictions(ps []Prediction) []Prediction {
	out := make([]Prediction, len(ps))
	for i, p := range ps {
		q := p
		q.Mean = slices.Clone(p.Mean)
		q.SD = slices.Clone(p.SD)
		if p.Components != nil {
			q.Components = make(map[string][]float64, len(p.Components))
			for k, v := range p.Components {
				q.Components[k] = slices.Clone(v)
			}
		}
		out[i] = q
	}
	return out
}

// Name implements Forecaster.
func (p Pick) Name() string {
	if p.Label != "" {
		return p.Label
	}
	return "pick"
}

// Forecast implements Forecaster.
func (p Pick) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	best, err := p.Choose(ctx, series, cut, h)
	if err != nil {
		return nil, err
	}
	return p.forecast(ctx, best, series, cut, h)
}

// Choose returns the index of the candidate with the lowest pooled
// absolute error over the h steps before the origin cut steps from the end.
func (p Pick) Choose(ctx context.Context, series []*shelfwise.Series, cut, h int) (int, error) {
	if len(p.Candidates) == 0 {
		return 0, fmt.Errorf("forecast: pick has no candidates")
	}
	if len(p.Candidates) == 1 {
		return 0, nil
	}
	minLen := math.MaxInt
	for _, s := range series {
		minLen = min(minLen, len(s.Values))
	}
	// The validation origin must leave at least two horizons of history
	// for the candidates; short panels keep the first.
	if minLen-cut-h < 2*h {
		return 0, nil
	}
	best, bestErr := 0, math.Inf(1)
	for k, c := range p.Candidates {
		preds, err := p.forecast(ctx, k, series, cut+h, h)
		if err != nil {
			return 0, fmt.Errorf("forecast: pick validating %s: %w", c.Name(), err)
		}
		e := 0.0
		for i, s := range series {
			n := len(s.Values) - cut - h
			for j := 0; j < h && j < len(preds[i].Mean); j++ {
				if y := s.Values[n+j]; !math.IsNaN(y) {
					e += math.Abs(y - preds[i].Mean[j])
				}
			}
		}
		if e < bestErr {
			best, bestErr = k, e
		}
	}
	return best, nil
}
