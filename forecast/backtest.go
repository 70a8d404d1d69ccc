package forecast

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// Forecaster forecasts a batch of series at once: local methods run per
// series on the worker pool (Local), global models train across the batch.
type Forecaster interface {
	// Name is the model's short name.
	Name() string
	// Forecast forecasts h steps after the first len(Values)-cut points of
	// each series (cut = 0: after all of them). It must only look at those
	// points, never at the cut ones.
	Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error)
}

// Local runs a per-series Method over a batch on a bounded worker pool.
// A RegressorMethod (Regression, or a Select or Ensemble holding one) gets
// the series' prices and promotions, running on past the origin as known
// plans, and the Events regressors.
type Local struct {
	Method  Method
	Workers int
	// Events, if set, gives the calendar-event regressors of step t of a
	// series (t counts from the series' start and runs past its values
	// into the horizon): one value per event kind, the same kinds for
	// every series and step.
	Events func(s *shelfwise.Series, t int) []float64
}

// Name implements Forecaster.
func (l Local) Name() string { return l.Method.Name() }

// Forecast implements Forecaster.
func (l Local) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	out := make([]Prediction, len(series))
	err := ForEach(ctx, len(series), l.Workers, func(i int) error {
		y := series[i].Values
		if len(y)-cut < 1 {
			// Nothing before the origin: no forecast to make.
			out[i] = zeroPrediction("none", h)
			return nil
		}
		// Steps before the product was first on sale are not zero demand.
		first := 0
		if av := series[i].Available; av != nil {
			for first < len(y)-cut-1 && !av[first] {
				first++
			}
		}
		var p Prediction
		var err error
		if rm, ok := l.Method.(RegressorMethod); ok && needsRegressors(l.Method) {
			x := l.regressors(series[i], first, len(y)-cut+h, len(y)-cut)
			p, err = rm.ForecastX(y[first:len(y)-cut], x, h)
		} else {
			p, err = l.Method.Forecast(y[first:len(y)-cut], h)
		}
		if err != nil {
			return fmt.Errorf("forecast: series %s: %w", series[i].Key, err)
		}
		out[i] = p
		return nil
	})
	return out, err
}

// DefaultLevels are the quantile levels forecasts carry: the standard ones
// plus 0.025 and 0.975 for 95% intervals.
var DefaultLevels = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975}

// BacktestOptions configure a rolling-origin backtest.
type BacktestOptions struct {
	Horizon int
	// Windows is the number of consecutive scored windows of Horizon steps
	// at the end of the data (ignored when Test is given).
	Windows int
	// CalibrationWindows is the number of windows before each scored one
	// whose errors calibrate the conformal quantiles (default 2; 0 keeps
	// analytic or no intervals).
	CalibrationWindows int
	// Levels are the quantile levels (default DefaultLevels).
	Levels []float64
	// ScaleLag is the lag of the MASE/RMSSE scale (default 1).
	ScaleLag int
	// NonNegative clips forecasts and quantiles at zero (demand).
	NonNegative bool
	// Test, when set, holds each series' actual values after all of its
	// data: the model is fitted on everything and scored on Test.
	Test [][]float64
	// StepWeight gives the WMAE weight of step t (0-based index into the
	// series' Values, possibly beyond them for Test); nil = 1.
	StepWeight func(series, t int) float64
	// SeriesWeight gives the WRMSSE weight of a series at a cut; nil = 0.
	SeriesWeight func(series, cut int) float64
	// Conformal, if set, makes the conformal quantiles instead of the
	// default per-step scaled errors; nil: the forecaster's choice
	// (ConformalChooser), else the default.
	Conformal Conformal
}

// BacktestResult is the outcome of a backtest: pooled metrics, per-window
// metrics and the forecasts of the scored windows.
type BacktestResult struct {
	Metrics   Metrics
	PerWindow []Metrics
	// Forecasts[w][i] is window w's forecast of series i with quantiles.
	Forecasts [][]Prediction
	Quantiles [][][][]float64
	// Chosen counts the fitted model names of the scored forecasts.
	Chosen map[string]int
	// ScoredSeconds is the wall time spent fitting and forecasting the
	// scored windows; CalibrationSeconds that of the calibration windows.
	ScoredSeconds, CalibrationSeconds float64
}

// Backtest evaluates f by rolling origin: for each scored window it forecasts
// from the data before the window, calibrates conformal quantiles on the
// errors of the CalibrationWindows windows just before it (never on the
// scored weeks), and pools the metrics over series and windows.
func Backtest(ctx context.Context, f Forecaster, series []*shelfwise.Series, o BacktestOptions) (*BacktestResult, error) {
	h := o.Horizon
	if h <= 0 {
		return nil, fmt.Errorf("forecast: horizon must be positive")
	}
	if o.Levels == nil {
		o.Levels = DefaultLevels
	}
	if o.ScaleLag <= 0 {
		o.ScaleLag = 1
	}
	var scored []int
	if o.Test != nil {
		if len(o.Test) != len(series) {
			return nil, fmt.Errorf("forecast: %d test rows for %d series", len(o.Test), len(series))
		}
		scored = []int{0}
	} else {
		if o.Windows <= 0 {
			o.Windows = 1
		}
		for w := o.Windows; w >= 1; w-- {
			scored = append(scored, w*h)
		}
	}
	// Every cut needed: scored ones and their calibration windows.
	preds := map[int][]Prediction{}
	need := []int{}
	for _, c := range scored {
		for k := 0; k <= o.CalibrationWindows; k++ {
			if !slices.Contains(need, c+k*h) {
				need = append(need, c+k*h)
			}
		}
	}
	slices.Sort(need)
	res := &BacktestResult{Chosen: map[string]int{}}
	for _, c := range need {
		start := time.Now()
		p, err := f.Forecast(ctx, series, c, h)
		if err != nil {
			return nil, err
		}
		preds[c] = p
		if slices.Contains(scored, c) {
			res.ScoredSeconds += time.Since(start).Seconds()
		} else {
			res.CalibrationSeconds += time.Since(start).Seconds()
		}
	}
	var all Accumulator
	conf := conformalFor(f, o.Conformal)
	for _, c := range scored {
		var cal [][]float64
		var own [][][]float64
		switch {
		case o.CalibrationWindows > 0 && conf != nil:
			own = conf.Quantiles(series, preds, c, h, o.CalibrationWindows, o.Levels)
		case o.CalibrationWindows > 0:
			cal = conformalTable(series, preds, c, h, o)
		}
		var acc Accumulator
		ps := preds[c]
		qs := make([][][]float64, len(series))
		for i, s := range series {
			n := len(s.Values) - c
			hist := s.Values[:n]
			var actual []float64
			if o.Test != nil {
				actual = o.Test[i]
				if len(actual) < h {
					return nil, fmt.Errorf("forecast: series %s: %d test values, horizon %d", s.Key, len(actual), h)
				}
				actual = actual[:h]
			} else {
				actual = s.Values[n : n+h]
			}
			scale := ScaleMAE(hist, o.ScaleLag)
			p := &ps[i]
			if o.NonNegative {
				clipNeg(p.Mean)
			}
			if own != nil {
				qs[i] = own[i]
			} else {
				qs[i] = quantilesFor(p, scale, cal, o.Levels, o.NonNegative)
			}
			sc := Scored{Actual: actual, Mean: p.Mean, Levels: o.Levels, Quantiles: qs[i],
				ScaleMAE: scale, ScaleMSE: ScaleMSE(TrimLeadingZeros(hist), o.ScaleLag)}
			if o.StepWeight != nil {
				sc.Weights = make([]float64, h)
				for k := range sc.Weights {
					sc.Weights[k] = o.StepWeight(i, n+k)
				}
			}
			if o.SeriesWeight != nil {
				sc.Weight = o.SeriesWeight(i, c)
			}
			acc.Add(sc)
			all.Add(sc)
			res.Chosen[p.Model]++
		}
		res.PerWindow = append(res.PerWindow, acc.Metrics())
		res.Forecasts = append(res.Forecasts, ps)
		res.Quantiles = append(res.Quantiles, qs)
	}
	res.Metrics = all.Metrics()
	return res, nil
}

func clipNeg(xs []float64) {
	for i, v := range xs {
		if v < 0 {
			xs[i] = 0
		}
	}
}

// conformalTable returns, per horizon step, the sorted scaled errors
// (actual - forecast) / scale of the calibration windows before cut c.
func conformalTable(series []*shelfwise.Series, preds map[int][]Prediction, c, h int, o BacktestOptions) [][]float64 {
	tab := make([][]float64, h)
	for k := 1; k <= o.CalibrationWindows; k++ {
		cc := c + k*h
		ps := preds[cc]
		for i, s := range series {
			n := len(s.Values) - cc
			if n < 2 || ps[i].Mean == nil {
				continue
			}
			scale := ScaleMAE(s.Values[:n], o.ScaleLag)
			if scale <= 0 || math.IsNaN(scale) {
				continue
			}
			mean := ps[i].Mean
			for j := 0; j < h; j++ {
				f := mean[j]
				if o.NonNegative && f < 0 {
					f = 0
				}
				e := (s.Values[n+j] - f) / scale
				if !math.IsNaN(e) && !math.IsInf(e, 0) {
					tab[j] = append(tab[j], e)
				}
			}
		}
	}
	for j := range tab {
		slices.Sort(tab[j])
	}
	return tab
}

// quantilesFor gives the quantile forecasts of p: conformal from the table
// when one is given, else analytic Gaussian from p.SD, else the mean.
func quantilesFor(p *Prediction, scale float64, cal [][]float64, levels []float64, nonNeg bool) [][]float64 {
	h := len(p.Mean)
	q := make([][]float64, len(levels))
	for li, tau := range levels {
		q[li] = make([]float64, h)
		for k := 0; k < h; k++ {
			v := p.Mean[k]
			switch {
			case cal != nil && len(cal[k]) > 0:
				v += scale * metrics.QuantileSorted(cal[k], tau)
			case p.SD != nil:
				v += p.SD[k] * normalQuantile(tau)
			}
			if nonNeg && v < 0 {
				v = 0
			}
			q[li][k] = v
		}
	}
	// Keep quantiles ordered after clipping.
	for k := 0; k < h; k++ {
		for li := 1; li < len(levels); li++ {
			if q[li][k] < q[li-1][k] {
				q[li][k] = q[li-1][k]
			}
		}
	}
	return q
}

// normalQuantile is the standard normal quantile function.
func normalQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }
