package forecast

import (
	"errors"
	"strings"
)

// Ensemble averages its members' forecasts with fixed weights (equal when
// Weights is nil). Members that fail on a series are dropped and the
// remaining weights renormalised. Components and SDs are averaged with the
// same weights (the SD average is an upper bound for positively correlated
// members; conformal intervals are preferred for ensembles).
type Ensemble struct {
	Label   string
	Members []Method
	Weights []float64
}

// Name implements Method.
func (e Ensemble) Name() string {
	if e.Label != "" {
		return e.Label
	}
	return "ensemble"
}

// Forecast implements Method.
func (e Ensemble) Forecast(y []float64, h int) (Prediction, error) {
	out := Prediction{Mean: make([]float64, h), SD: make([]float64, h), Components: map[string][]float64{}}
	var names []string
	total := 0.0
	var firstErr error
	for i, m := range e.Members {
		w := 1.0
		if e.Weights != nil {
			w = e.Weights[i]
		}
		if w == 0 {
			continue
		}
		p, err := m.Forecast(y, h)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		total += w
		names = append(names, p.Model)
		for k := range out.Mean {
			out.Mean[k] += w * p.Mean[k]
			if p.SD != nil && out.SD != nil {
				out.SD[k] += w * p.SD[k]
			}
		}
		if p.SD == nil {
			out.SD = nil
		}
		for name, c := range p.Components {
			acc := out.Components[name]
			if acc == nil {
				acc = make([]float64, h)
				out.Components[name] = acc
			}
			for k := range acc {
				acc[k] += w * c[k]
			}
		}
	}
	if total == 0 {
		if firstErr == nil {
			firstErr = errors.New("forecast: ensemble has no members")
		}
		return Prediction{}, firstErr
	}
	for k := range out.Mean {
		out.Mean[k] /= total
		if out.SD != nil {
			out.SD[k] /= total
		}
	}
	for _, c := range out.Components {
		for k := range c {
			c[k] /= total
		}
	}
	out.Model = e.Name() + "[" + strings.Join(names, "+") + "]"
	return out, nil
}
