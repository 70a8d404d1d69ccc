package forecast

import (
	"context"
	"slices"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// Memo runs a Forecaster and keeps its forecasts by origin, horizon and
// panel, so a window fitted once serves again: a backtest's windows as the
// calibration windows of the forecast that follows, or a Pick candidate's
// validation fit at the origin the next window forecasts from. Callers get
// copies, which they may change. Safe for concurrent use.
type Memo struct {
	f       Forecaster
	mu      sync.Mutex
	entries []memoEntry
}

type memoEntry struct {
	cut, h int
	series []*shelfwise.Series
	preds  []Prediction
}

// NewMemo returns a Memo of f.
func NewMemo(f Forecaster) *Memo { return &Memo{f: f} }

// Name implements Forecaster.
func (m *Memo) Name() string { return m.f.Name() }

// Conformal implements ConformalChooser: the wrapped forecaster's choice.
func (m *Memo) Conformal() Conformal { return conformalFor(m.f, nil) }

// Forecast implements Forecaster.
func (m *Memo) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	m.mu.Lock()
	for _, e := range m.entries {
		if e.cut == cut && e.h == h && slices.Equal(e.series, series) {
			m.mu.Unlock()
			return clonePredictions(e.preds), nil
		}
	}
	m.mu.Unlock()
	preds, err := m.f.Forecast(ctx, series, cut, h)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.entries = append(m.entries, memoEntry{cut: cut, h: h, series: slices.Clone(series), preds: clonePredictions(preds)})
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
