package forecast

import (
	"context"
	"fmt"
	"slices"

	"github.com/shelfwise/shelfwise"
)

// Options configure Forecast.
type Options struct {
	// CalibrationWindows is the number of rolling windows of h steps at the
	// end of the data whose errors calibrate conformal quantiles (default
	// 2; negative keeps analytic intervals only).
	CalibrationWindows int
	// Levels are the quantile levels (default DefaultLevels, which holds
	// shelfwise.StandardQuantiles).
	Levels []float64
	// NonNegative clips means and quantiles at zero (demand).
	NonNegative bool
	// ScaleLag is the lag of the scale conformal errors are divided by
	// (default 1).
	ScaleLag int
	// Calibrate, if set, forecasts the calibration windows instead of f:
	// the same model without costly extras such as explanations, whose
	// components calibration does not use. Its means must equal f's.
	Calibrate Forecaster
	// Conformal, if set, makes the conformal quantiles instead of the
	// default per-step scaled errors; nil: f's choice (ConformalChooser),
	// else the default.
	Conformal Conformal
}

// Forecast forecasts every series h steps after its last point with f and
// returns shelfwise forecasts with quantiles (conformal from the errors of
// the last CalibrationWindows backtest windows, analytic where those are not
// available) and the model's components. It is the in-process API the CLI,
// the HTTP server and the demo share.
func Forecast(ctx context.Context, f Forecaster, series []*shelfwise.Series, h int, o Options) ([]shelfwise.Forecast, error) {
	if h <= 0 {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "horizon must be positive, got %d", h)
	}
	if o.Levels == nil {
		o.Levels = DefaultLevels
	}
	if o.CalibrationWindows == 0 {
		o.CalibrationWindows = 2
	}
	if o.ScaleLag <= 0 {
		o.ScaleLag = 1
	}
	bo := BacktestOptions{Horizon: h, CalibrationWindows: max(o.CalibrationWindows, 0), Levels: o.Levels,
		ScaleLag: o.ScaleLag, NonNegative: o.NonNegative}
	preds := map[int][]Prediction{}
	for k := 0; k <= bo.CalibrationWindows; k++ {
		cut := k * h
		// Calibration only uses series long enough for the window.
		g := f
		if k > 0 && o.Calibrate != nil {
			g = o.Calibrate
		}
		p, err := g.Forecast(ctx, series, cut, h)
		if err != nil {
			if k == 0 {
				return nil, err
			}
			bo.CalibrationWindows = k - 1
			break
		}
		preds[cut] = p
	}
	var cal [][]float64
	var own [][][]float64
	conf := conformalFor(f, o.Conformal)
	switch {
	case bo.CalibrationWindows > 0 && conf != nil:
		own = conf.Quantiles(series, preds, 0, h, bo.CalibrationWindows, o.Levels)
	case bo.CalibrationWindows > 0:
		cal = conformalTable(series, preds, 0, h, bo)
	}
	out := make([]shelfwise.Forecast, len(series))
	for i, s := range series {
		p := preds[0][i]
		if o.NonNegative {
			// Components keep explaining the unclipped mean.
			clipNeg(p.Mean)
		}
		var q [][]float64
		if own != nil {
			q = own[i]
		} else {
			q = quantilesFor(&p, ScaleMAE(s.Values, o.ScaleLag), cal, o.Levels, o.NonNegative)
		}
		fc := shelfwise.Forecast{Key: s.Key, Grain: s.Grain, Model: p.Model, Mean: p.Mean,
			Levels: slices.Clone(o.Levels), Quantiles: q, Components: p.Components}
		switch s.Grain {
		case shelfwise.GrainPeriod:
			fc.OriginPeriod = s.StartPeriod + len(s.Values)
		default:
			fc.Origin = s.Time(len(s.Values))
		}
		out[i] = fc
	}
	return out, nil
}

// NewSeries wraps plain values as period-indexed series named by ids (for
// callers without dates, e.g. M4).
func NewSeries(ids []string, values [][]float64) []*shelfwise.Series {
	out := make([]*shelfwise.Series, len(values))
	for i, v := range values {
		out[i] = &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: shelfwise.SKU(ids[i])}, Grain: shelfwise.GrainPeriod, Values: v}
	}
	return out
}

// Blend averages several Forecasters with fixed weights: the global model
// with local ones, or global models with different bases.
type Blend struct {
	Label   string
	Members []Forecaster
	Weights []float64
	// Concurrency is how many members forecast at once (0 or 1: one after
	// the other). Members are independent, so their results, and the
	// blend's, are the same either way: they are added in member order.
	// Members that parallelise inside (boosted trees on small nodes do
	// not) leave cores idle alone; two at once keep them busy.
	Concurrency int
}

// Name implements Forecaster.
func (b Blend) Name() string {
	if b.Label != "" {
		return b.Label
	}
	return "blend"
}

// Forecast implements Forecaster.
func (b Blend) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	if len(b.Members) == 0 || len(b.Weights) != len(b.Members) {
		return nil, fmt.Errorf("forecast: blend needs one weight per member")
	}
	// Members in order with one worker; results are added in member order
	// either way.
	preds := make([][]Prediction, len(b.Members))
	err := ForEach(ctx, len(b.Members), max(1, b.Concurrency), func(mi int) error {
		if b.Weights[mi] == 0 {
			return nil
		}
		var err error
		preds[mi], err = b.Members[mi].Forecast(ctx, series, cut, h)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Prediction, len(series))
	total := 0.0
	for mi, ps := range preds {
		w := b.Weights[mi]
		if w == 0 {
			continue
		}
		total += w
		for i := range out {
			addWeighted(&out[i], ps[i], w, h)
		}
	}
	for i := range out {
		scaleComponents(&out[i], 1/total)
		out[i].Model = b.Name()
	}
	return out, nil
}

func addWeighted(dst *Prediction, p Prediction, w float64, h int) {
	if dst.Mean == nil {
		dst.Mean = make([]float64, h)
		dst.Components = map[string][]float64{}
	}
	for k := range dst.Mean {
		dst.Mean[k] += w * p.Mean[k]
	}
	for name, c := range p.Components {
		acc := dst.Components[name]
		if acc == nil {
			acc = make([]float64, h)
			dst.Components[name] = acc
		}
		for k := range acc {
			acc[k] += w * c[k]
		}
	}
}

func scaleComponents(p *Prediction, s float64) {
	for k := range p.Mean {
		p.Mean[k] *= s
	}
	for _, c := range p.Components {
		for k := range c {
			c[k] *= s
		}
	}
}
