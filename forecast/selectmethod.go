package forecast

import (
	"fmt"
	"math"
)

// Select chooses a method per series: it holds out the last Holdout points
// of the history (default the horizon), scores every candidate's forecast
// of them by mean absolute error, and refits the best on the whole history.
// The choice therefore only ever sees data before the forecast origin.
type Select struct {
	Candidates []Method
	Holdout    int
}

// Name implements Method.
func (s Select) Name() string { return "auto" }

// Forecast implements Method.
func (s Select) Forecast(y []float64, h int) (Prediction, error) {
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
		bestErr := math.Inf(1)
		for _, c := range s.Candidates {
			p, err := c.Forecast(train, ho)
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
	return best.Forecast(y, h)
}
