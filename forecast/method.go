package forecast

import (
	"fmt"
	"math"
	"strings"
)

// Prediction is a point forecast of one series from one model.
type Prediction struct {
	// Model names the fitted model, e.g. "ETS(M,Ad,N)".
	Model string
	Mean  []float64
	// SD is the model's analytic standard deviation per step; nil when the
	// model has none (intervals then come from conformal residuals).
	SD []float64
	// Components decompose Mean ("level", "trend", "seasonality"...).
	Components map[string][]float64
}

// Method forecasts one series from its history. Implementations are
// stateless values, safe for concurrent use.
type Method interface {
	// Name is the method's short name ("ets", "theta", "snaive"...).
	Name() string
	// Forecast fits y and forecasts h steps ahead.
	Forecast(y []float64, h int) (Prediction, error)
}

// Naive repeats the last value.
type Naive struct{}

// Name implements Method.
func (Naive) Name() string { return "naive" }

// Forecast implements Method.
func (Naive) Forecast(y []float64, h int) (Prediction, error) {
	if len(y) == 0 {
		return Prediction{}, ErrTooShort
	}
	mean := constant(y[len(y)-1], h)
	sd := make([]float64, h)
	s := math.Sqrt(ScaleMSE(y, 1))
	for k := range sd {
		sd[k] = s * math.Sqrt(float64(k+1))
	}
	return Prediction{Model: "naive", Mean: mean, SD: sd, Components: map[string][]float64{"level": append([]float64(nil), mean...)}}, nil
}

// SeasonalNaive repeats the last season of Period steps; with fewer than
// Period points it falls back to the naive forecast. LevelAdjust shifts the
// last season by the change in level between the last Period steps and the
// Period before them (the "level-adjusted seasonal naive").
type SeasonalNaive struct {
	Period      int
	LevelAdjust bool
}

// Name implements Method.
func (s SeasonalNaive) Name() string { return "snaive" }

// Forecast implements Method.
func (s SeasonalNaive) Forecast(y []float64, h int) (Prediction, error) {
	m := s.Period
	n := len(y)
	if m <= 1 || n < m {
		return Naive{}.Forecast(y, h)
	}
	mean := make([]float64, h)
	season := make([]float64, h)
	level := make([]float64, h)
	lastMean := meanOf(y[n-m:])
	shift := 0.0
	if s.LevelAdjust && n >= 2*m {
		shift = lastMean - meanOf(y[n-2*m:n-m])
	}
	for k := range mean {
		v := y[n-m+k%m]
		mean[k] = v + shift
		level[k] = lastMean + shift
		season[k] = v - lastMean
	}
	sd := make([]float64, h)
	sc := math.Sqrt(ScaleMSE(y, m))
	for k := range sd {
		sd[k] = sc * math.Sqrt(float64(k/m+1))
	}
	return Prediction{Model: "snaive", Mean: mean, SD: sd, Components: map[string][]float64{"level": level, "seasonality": season}}, nil
}

// MovingAverage forecasts the mean of the last Window points (all points
// when the series is shorter).
type MovingAverage struct{ Window int }

// Name implements Method.
func (m MovingAverage) Name() string { return "ma" }

// Forecast implements Method.
func (m MovingAverage) Forecast(y []float64, h int) (Prediction, error) {
	if len(y) == 0 {
		return Prediction{}, ErrTooShort
	}
	w := m.Window
	if w <= 0 || w > len(y) {
		w = len(y)
	}
	mu := meanOf(y[len(y)-w:])
	mean := constant(mu, h)
	return Prediction{Model: fmt.Sprintf("ma(%d)", w), Mean: mean, Components: map[string][]float64{"level": append([]float64(nil), mean...)}}, nil
}

// ETS is automatic exponential smoothing (AutoETS) as a Method.
type ETS struct{ Options ETSOptions }

// Name implements Method.
func (ETS) Name() string { return "ets" }

// Forecast implements Method.
func (e ETS) Forecast(y []float64, h int) (Prediction, error) {
	f, err := AutoETS(y, e.Options)
	if err != nil {
		if len(y) > 0 {
			return Naive{}.Forecast(y, h)
		}
		return Prediction{}, err
	}
	mean, sd, comps := f.Forecast(h)
	return Prediction{Model: f.Spec.String(), Mean: mean, SD: sd, Components: comps}, nil
}

// MethodByName returns the local method called name ("naive", "snaive",
// "snaive-adj", "ma", "ets", "theta", "croston", "sba", "tsb", "regress":
// Regression over seasonal ETS, "auto-x": the per-series choice among
// seasonal naive, ETS without and with season, SBA, TSB and "regress") for
// series of season length period.
func MethodByName(name string, period int) (Method, error) {
	switch strings.ToLower(name) {
	case "naive":
		return Naive{}, nil
	case "snaive":
		return SeasonalNaive{Period: period}, nil
	case "snaive-adj":
		return SeasonalNaive{Period: period, LevelAdjust: true}, nil
	case "ma":
		return MovingAverage{Window: max(period, 4)}, nil
	case "ets":
		return ETS{}, nil
	case "ets-seasonal":
		return ETS{Options: ETSOptions{Period: period}}, nil
	case "theta":
		return Theta{Period: period}, nil
	case "croston":
		return Croston{Variant: CrostonClassic}, nil
	case "sba":
		return Croston{Variant: CrostonSBA}, nil
	case "tsb":
		return TSB{}, nil
	case "regress":
		return regressionMethod(period), nil
	case "auto-x":
		return Select{Candidates: []Method{
			SeasonalNaive{Period: period},
			ETS{Options: ETSOptions{NoMultiplicative: true}},
			ETS{Options: ETSOptions{Period: period, NoMultiplicative: true}},
			Croston{Variant: CrostonSBA}, TSB{},
			regressionMethod(period),
		}}, nil
	}
	return nil, fmt.Errorf("forecast: unknown model %q", name)
}

func constant(v float64, h int) []float64 {
	out := make([]float64, h)
	for i := range out {
		out[i] = v
	}
	return out
}

func meanOf(y []float64) float64 {
	if len(y) == 0 {
		return 0
	}
	s := 0.0
	for _, v := range y {
		s += v
	}
	return s / float64(len(y))
}

// regressionMethod is Regression over seasonal ETS ("ets-seasonal") with the
// baseline's season of period.
func regressionMethod(period int) Method {
	return Regression{Base: ETS{Options: ETSOptions{Period: period}},
		Options: RegressionOptions{Period: period}}
}
