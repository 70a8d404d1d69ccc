package forecast

import (
	"fmt"
	"math"
)

// ETSOptions restrict the model space AutoETS searches. The zero value
// searches R's default non-seasonal space: errors A and M (M only for
// strictly positive data), trends N, A and Ad, no season.
type ETSOptions struct {
	// Period is the season length; seasonal models are tried when > 1
	// and the series holds at least two full seasons.
	Period int
	// NoMultiplicative drops multiplicative errors and seasons.
	NoMultiplicative bool
	// NoDamped drops damped trends; NoTrend drops all trends.
	NoDamped, NoTrend bool
	// OnlySeasonal, when Period > 1, skips the non-seasonal models.
	OnlySeasonal bool
}

// Specs lists the models AutoETS tries for y under the options, following
// R's restrictions (no additive error with multiplicative season).
func (o ETSOptions) Specs(y []float64) []ETSSpec {
	positive := !o.NoMultiplicative
	for _, v := range y {
		if v <= 0 {
			positive = false
			break
		}
	}
	errs := []byte{'A'}
	if positive {
		errs = append(errs, 'M')
	}
	type tr struct {
		t byte
		d bool
	}
	trends := []tr{{'N', false}}
	if !o.NoTrend {
		trends = append(trends, tr{'A', false})
		if !o.NoDamped {
			trends = append(trends, tr{'A', true})
		}
	}
	seasons := []byte{}
	if !o.OnlySeasonal || o.Period <= 1 {
		seasons = append(seasons, 'N')
	}
	if o.Period > 1 && len(y) >= 2*o.Period+2 {
		seasons = append(seasons, 'A')
		if positive {
			seasons = append(seasons, 'M')
		}
	}
	var specs []ETSSpec
	for _, e := range errs {
		for _, t := range trends {
			for _, s := range seasons {
				if e == 'A' && s == 'M' {
					continue
				}
				specs = append(specs, ETSSpec{Error: e, Trend: t.t, Damped: t.d, Season: s, Period: o.Period})
			}
		}
	}
	return specs
}

// AutoETS fits every model of the option's space and returns the one with
// the lowest AICc, as R's forecast::ets does.
func AutoETS(y []float64, o ETSOptions) (*ETSFit, error) {
	var best *ETSFit
	var firstErr error
	for _, spec := range o.Specs(y) {
		f, err := FitETS(y, spec)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		if best == nil || f.AICc < best.AICc {
			best = f
		}
	}
	if best == nil {
		if firstErr == nil {
			firstErr = fmt.Errorf("forecast: no ETS model for a series of %d points", len(y))
		}
		return nil, firstErr
	}
	if math.IsNaN(best.AICc) {
		return nil, fmt.Errorf("forecast: ETS fit failed")
	}
	return best, nil
}
