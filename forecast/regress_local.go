package forecast

import (
	"fmt"
	"math"

	"github.com/shelfwise/shelfwise"
)

// regressors builds the regressors of s over steps [first, end): its price
// and promotion (where recorded; past the origin they are the known plan),
// the Local's events, and the steps before origin that must not inform
// effects (not on sale, or censored by a stockout).
func (l Local) regressors(s *shelfwise.Series, first, end, origin int) *Regressors {
	x := &Regressors{}
	if s.Price != nil {
		x.Price = window(s.Price, first, end)
	}
	if s.Promo != nil {
		x.Promo = window(s.Promo, first, end)
	}
	if l.Events != nil {
		for t := first; t < end; t++ {
			ev := l.Events(s, t)
			if x.Events == nil {
				x.Events = make([][]float64, len(ev))
				for j := range x.Events {
					x.Events[j] = make([]float64, end-first)
				}
			}
			for j := range x.Events {
				if j < len(ev) {
					x.Events[j][t-first] = ev[j]
				}
			}
		}
	}
	if s.Available != nil || s.Censored != nil {
		x.Skip = make([]bool, origin-first)
		for t := first; t < origin; t++ {
			x.Skip[t-first] = (s.Available != nil && t < len(s.Available) && !s.Available[t]) ||
				(s.Censored != nil && t < len(s.Censored) && s.Censored[t])
		}
	}
	return x
}

// window returns v[first:min(end, len(v))] (nil when empty).
func window(v []float64, first, end int) []float64 {
	end = min(end, len(v))
	if first >= end {
		return nil
	}
	return v[first:end]
}

// head returns the regressors cut to their first n steps (n = the fitted
// steps plus the horizon of a holdout forecast).
func (x *Regressors) head(n int) *Regressors {
	cut := func(v []float64) []float64 {
		if len(v) > n {
			return v[:n]
		}
		return v
	}
	c := &Regressors{Price: cut(x.Price), Promo: cut(x.Promo), Skip: x.Skip}
	if len(c.Skip) > n {
		c.Skip = c.Skip[:n]
	}
	for _, e := range x.Events {
		c.Events = append(c.Events, cut(e))
	}
	return c
}

// forecastWith forecasts y with m, passing x when m takes regressors.
func forecastWith(m Method, y []float64, x *Regressors, h int) (Prediction, error) {
	if rm, ok := m.(RegressorMethod); ok && x != nil {
		return rm.ForecastX(y, x, h)
	}
	return m.Forecast(y, h)
}

// ForecastX implements RegressorMethod: the holdout choice and the refit
// give the regressors to the candidates that take them, so a regression
// model is chosen exactly when its holdout error is lowest.
func (s Select) ForecastX(y []float64, x *Regressors, h int) (Prediction, error) {
	return s.choose(y, x, h)
}

// choose is Select's holdout choice with optional regressors.
func (s Select) choose(y []float64, x *Regressors, h int) (Prediction, error) {
	if len(s.Candidates) == 0 {
		return Prediction{}, fmt.Errorf("forecast: select has no candidates")
	}
	ho := s.Holdout
	if ho <= 0 {
		ho = h
	}
	best := s.Candidates[0]
	if len(y) > 2*ho {
		train, test := y[:len(y)-ho], y[len(y)-ho:]
		var xt *Regressors
		if x != nil {
			xt = x.head(len(y))
		}
		bestErr := math.Inf(1)
		for _, c := range s.Candidates {
			p, err := forecastWith(c, train, xt, ho)
			if err != nil {
				continue
			}
			e := 0.0
			for k, v := range test {
				e += math.Abs(v - math.Max(p.Mean[k], 0))
			}
			if e < bestErr {
				best, bestErr = c, e
			}
		}
	}
	return forecastWith(best, y, x, h)
}

// ForecastX implements RegressorMethod: members that take regressors get
// them.
func (e Ensemble) ForecastX(y []float64, x *Regressors, h int) (Prediction, error) {
	members := make([]Method, len(e.Members))
	for i, m := range e.Members {
		members[i] = withRegressors{m, x}
	}
	c := e
	c.Members = members
	return c.Forecast(y, h)
}

// withRegressors binds regressors to a method for one call.
type withRegressors struct {
	m Method
	x *Regressors
}

func (w withRegressors) Name() string { return w.m.Name() }

func (w withRegressors) Forecast(y []float64, h int) (Prediction, error) {
	return forecastWith(w.m, y, w.x, h)
}
