package forecast

import (
	"context"
	"fmt"
	"math"

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
// Wrap candidates in NewMemo so that a backtest does not fit the winner
// again at an origin the previous window validated at.
type Pick struct {
	Label      string
	Candidates []Forecaster
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
	return p.Candidates[best].Forecast(ctx, series, cut, h)
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
		preds, err := c.Forecast(ctx, series, cut+h, h)
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
