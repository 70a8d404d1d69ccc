package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/registry"
)

var _ shelfhttp.Forecaster = (*forecastCap)(nil)

// forecastCap serves demand forecasts from the promoted forecast version.
// Forecasts are cheap to keep and expensive to fit, so a training job fits
// every series of every level of the hierarchy at both grains, and the
// version's artifact is those forecasts (mean, quantiles, components and
// the recent history they continue) as JSON; serving is a map lookup.
type forecastCap struct {
	db shelfwise.DB
	// workers bounds the fitting goroutines (0 = GOMAXPROCS).
	workers int
	served  atomic.Pointer[servedForecasts]
}

// servedForecasts is one loaded version, indexed by grain and series key.
type servedForecasts struct {
	version int
	art     *forecastArtifact
	index   map[shelfwise.Grain]map[shelfwise.SeriesKey]*forecastEntry
	grains  map[shelfwise.Grain]*grainForecasts
}

const forecastFormat = "shelfwise-forecast/1"

// forecastArtifact is the registry artifact of a forecast version.
type forecastArtifact struct {
	Format  string    `json:"format"`
	Model   string    `json:"model"`
	Trained time.Time `json:"trained"`
	// DataEnd is the first day after the data the forecasts continue.
	DataEnd time.Time        `json:"data_end"`
	Grains  []grainForecasts `json:"grains"`
}

// grainForecasts holds the forecasts of one grain.
type grainForecasts struct {
	Grain   shelfwise.Grain `json:"grain"`
	Horizon int             `json:"horizon"`
	Period  int             `json:"period"`
	Series  []forecastEntry `json:"series"`
}

// forecastEntry is one series: its recent history and its forecast.
type forecastEntry struct {
	Start    time.Time          `json:"start"`
	History  []float64          `json:"history"`
	Forecast shelfwise.Forecast `json:"forecast"`
}

// grainSpec configures forecasting at one grain.
type grainSpec struct {
	grain           shelfwise.Grain
	horizon, period int
	keep            int // history steps stored with the forecasts
	method          forecast.Method
}

// forecastGrains are the grains served: daily for the next four weeks,
// weekly for the next quarter. The method is the aggregates' (product x
// store series get the automatic choice of storeForecasters): each series
// gets the candidate that forecast its own last horizon best
// (forecast.Select), so intermittent products get Croston/TSB and regular
// ones ETS or a seasonal naive.
func forecastGrains() []grainSpec {
	return []grainSpec{
		{grain: shelfwise.GrainDay, horizon: 28, period: 7, keep: 364, method: trailing{n: 364, Method: forecast.Select{Candidates: []forecast.Method{
			forecast.SeasonalNaive{Period: 7}, forecast.ETS{Options: forecast.ETSOptions{Period: 7, NoMultiplicative: true}},
			forecast.Croston{Variant: forecast.CrostonSBA}, forecast.TSB{}, forecast.MovingAverage{Window: 28},
		}}}},
		{grain: shelfwise.GrainWeek, horizon: 13, period: 52, keep: 104, method: forecast.Select{Candidates: []forecast.Method{
			forecast.SeasonalNaive{Period: 52}, forecast.Theta{Period: 52}, forecast.ETS{Options: forecast.ETSOptions{NoMultiplicative: true}},
			forecast.Croston{Variant: forecast.CrostonSBA}, forecast.MovingAverage{Window: 13},
		}}},
	}
}

// trailing fits Method on the last n points of a series only. The daily
// methods model the weekly pattern and the recent level, which the last
// year shows as well as the whole history, and the fits cost time in
// proportion to the points.
type trailing struct {
	forecast.Method
	n int
}

// Forecast implements forecast.Method.
func (t trailing) Forecast(y []float64, h int) (forecast.Prediction, error) {
	if len(y) > t.n {
		y = y[len(y)-t.n:]
	}
	return t.Method.Forecast(y, h)
}

// forecastLevels are the hierarchy levels served: product x store first
// (the level the evaluation scores), then every aggregate.
var forecastLevels = [][]string{
	{"sku", "store"}, {"sku"}, {"subcategory", "store"}, {"subcategory"}, {"category", "store"}, {"category"},
	{"department", "store"}, {"department"}, {"store"}, {},
}

// forecastModelName names the served forecasts' model: on product x store
// series the automatic choice of "shelfwise forecast" (the global blends
// with the per-series choice), and on the aggregates the per-series choice
// among the local models (forecastGrains). Each forecast names its model.
const forecastModelName = "auto"

func (fc *forecastCap) task() registry.Task {
	return registry.Task{Name: shelfwise.TaskForecast, Train: fc.train, Load: fc.load}
}

// readLevel reads the unit series of one level and grain.
func (fc *forecastCap) readLevel(ctx context.Context, g shelfwise.Grain, level []string) ([]*shelfwise.Series, error) {
	var out []*shelfwise.Series
	err := fc.db.Series(ctx, shelfwise.SeriesQuery{Grain: g, Level: level, Measure: "units"}, func(s *shelfwise.Series) error {
		if len(s.Values) > 0 {
			out = append(out, s)
		}
		return nil
	})
	return out, err
}

// dataEnd is the first day after the last day with sales.
func dataEnd(day []*shelfwise.Series) time.Time {
	var end time.Time
	for _, s := range day {
		if e := s.Time(len(s.Values)); e.After(end) {
			end = e
		}
	}
	return end
}

// alignSeries makes every series end at the same step: series whose last
// sale came before the end are extended with zero sales (a product that
// stopped selling forecasts from its recent zeros, not from its last sale),
// and a weekly step not complete by end is dropped (two days of a week are
// not a week's demand).
func alignSeries(ss []*shelfwise.Series, end time.Time) []*shelfwise.Series {
	out := ss[:0]
	for _, s := range ss {
		n := len(s.Values)
		for n > 0 && s.Time(n).After(end) {
			n--
		}
		if n == 0 {
			continue
		}
		*s = *s.Head(n)
		for !s.Time(len(s.Values) + 1).After(end) {
			s.Values = append(s.Values, 0)
			if s.Price != nil {
				s.Price = append(s.Price, s.Price[len(s.Price)-1])
			}
			if s.Promo != nil {
				s.Promo = append(s.Promo, 0)
			}
			if s.Available != nil {
				s.Available = append(s.Available, true)
			}
			if s.Censored != nil {
				s.Censored = append(s.Censored, false)
			}
		}
		out = append(out, s)
	}
	return out
}

// backtestable keeps the series long enough for o (every scored and
// calibration window plus one horizon of history before the earliest).
func backtestable(ss []*shelfwise.Series, o forecast.BacktestOptions) []*shelfwise.Series {
	need := (o.Windows + o.CalibrationWindows + 1) * o.Horizon
	var out []*shelfwise.Series
	for _, s := range ss {
		if len(s.Values) >= need {
			out = append(out, s)
		}
	}
	return out
}

// evaluate backtests the model and the seasonal naive on the product x
// store series of one grain by rolling origin, with the most scored and
// calibration windows the data allow (at most two of each). It returns the
// metrics, prefixed, or none when the series are too short to score.
func (fc *forecastCap) evaluate(ctx context.Context, sp grainSpec, f forecast.Forecaster, bottom []*shelfwise.Series, prefix string) (map[string]float64, error) {
	for _, wc := range [][2]int{{2, 2}, {1, 2}, {1, 1}} {
		o := forecast.BacktestOptions{Horizon: sp.horizon, Windows: wc[0], CalibrationWindows: wc[1], NonNegative: true}
		ss := backtestable(bottom, o)
		if len(ss) < max(1, len(bottom)/2) {
			continue
		}
		res, err := forecast.Backtest(ctx, f, ss, o)
		if err != nil {
			return nil, err
		}
		base, err := forecast.Backtest(ctx, forecast.Local{Method: forecast.SeasonalNaive{Period: sp.period}, Workers: fc.workers}, ss, o)
		if err != nil {
			return nil, err
		}
		m, b := res.Metrics, base.Metrics
		out := map[string]float64{
			"mase": m.MASE, "wape": m.WAPE, "rmsse": m.RMSSE, "bias": m.Bias, "pinball": m.Pinball,
			"coverage_80": m.Coverage80, "coverage_95": m.Coverage95,
			"snaive_mase": b.MASE, "snaive_wape": b.WAPE, "snaive_coverage_80": b.Coverage80, "snaive_coverage_95": b.Coverage95,
			"scored_series": float64(len(ss)), "scored_windows": float64(o.Windows),
		}
		withPrefix := map[string]float64{}
		for k, v := range out {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				withPrefix[prefix+k] = v
			}
		}
		return withPrefix, nil
	}
	return nil, nil
}

// train evaluates the forecasting model on the product x store series by
// rolling origin against the seasonal naive, then forecasts every series
// of every level at both grains from all the data. The first grain with
// data (days, or weeks for stores of weekly sales only) gives the
// unprefixed metrics, MASE first among them.
func (fc *forecastCap) train(ctx context.Context, progress shelfwise.Progress) (registry.Candidate, error) {
	progress(0.01, "reading sales")
	end, err := fc.salesEnd(ctx)
	if err != nil {
		return registry.Candidate{}, err
	}
	art := &forecastArtifact{Format: forecastFormat, Model: forecastModelName, Trained: time.Now().UTC(), DataEnd: end}
	metrics := map[string]float64{}
	specs := forecastGrains()
	pr := &levelProgress{report: progress}
	for gi := range specs {
		for li := range forecastLevels {
			pr.total += levelWork(gi, li)
		}
	}
	var counts []string
	for gi, sp := range specs {
		prefix := ""
		if _, ok := metrics["mase"]; ok {
			prefix = string(sp.grain) + "_"
		}
		gf, m, err := fc.forecastGrain(ctx, sp, end, prefix, func(li int, msg string) { pr.step(levelWork(gi, li), msg) })
		if err != nil {
			return registry.Candidate{}, err
		}
		if len(gf.Series) == 0 {
			continue
		}
		for k, v := range m {
			metrics[k] = v
		}
		counts = append(counts, fmt.Sprintf("%s=%d", sp.grain, len(gf.Series)))
		metrics[string(sp.grain)+"_series"] = float64(len(gf.Series))
		art.Grains = append(art.Grains, gf)
	}
	if _, ok := metrics["mase"]; !ok {
		return registry.Candidate{}, shelfwise.Errorf(shelfwise.EINVALID,
			"the product x store series are too short to evaluate forecasts: %d days (or %d weeks) of sales are needed",
			3*specs[0].horizon, 3*specs[1].horizon)
	}
	b, err := json.Marshal(art)
	if err != nil {
		return registry.Candidate{}, err
	}
	return registry.Candidate{
		Model: forecastModelName, Metrics: metrics,
		// MASE: lower is better, so the registry promotes a version whose
		// MASE is at most the served one's.
		PrimaryMetric: "mase", HigherIsBetter: false,
		DataSnapshot: fmt.Sprintf("series %s until=%s", strings.Join(counts, " "), end.AddDate(0, 0, -1).Format(time.DateOnly)),
		Artifact:     b,
	}, nil
}

// salesEnd is the first day after the last day with sales, from daily
// sales or, in a store of weekly sales only, the weekly ones.
func (fc *forecastCap) salesEnd(ctx context.Context) (time.Time, error) {
	for _, g := range []shelfwise.Grain{shelfwise.GrainDay, shelfwise.GrainWeek} {
		total, err := fc.readLevel(ctx, g, nil)
		if err != nil {
			return time.Time{}, err
		}
		if len(total) > 0 {
			return dataEnd(total), nil
		}
	}
	return time.Time{}, shelfwise.Errorf(shelfwise.EINVALID, "the store holds no dated sales to forecast: import sales first")
}

// levelWork is the rough cost of a grain's level, for progress: the
// product x store level (fitted for the backtest too) is most of a grain's
// work, and days cost about twice weeks.
func levelWork(gi, li int) float64 {
	w := 1.0
	if li == 0 {
		w = 5
	}
	if gi == 0 {
		w *= 2
	}
	return w
}

// levelProgress reports progress as levels start.
type levelProgress struct {
	report      shelfwise.Progress
	done, total float64
}

func (p *levelProgress) step(work float64, msg string) {
	p.report(0.02+0.96*p.done/p.total, msg)
	p.done += work
}

// forecastGrain forecasts every level of one grain; the product x store
// level is also backtested (metrics with prefix). No series at that level
// means the store has no sales at this grain: nothing is returned.
func (fc *forecastCap) forecastGrain(ctx context.Context, sp grainSpec, end time.Time, prefix string,
	progress func(li int, msg string)) (grainForecasts, map[string]float64, error) {
	gf := grainForecasts{Grain: sp.grain, Horizon: sp.horizon, Period: sp.period}
	var metrics map[string]float64
	bad := 0
	for li, level := range forecastLevels {
		if err := ctx.Err(); err != nil {
			return gf, nil, err
		}
		progress(li, fmt.Sprintf("forecasting %s series by %s", sp.grain, levelName(level)))
		ss, err := fc.readLevel(ctx, sp.grain, level)
		if err != nil {
			return gf, nil, err
		}
		ss = alignSeries(ss, end)
		if len(ss) == 0 {
			if li == 0 {
				return gf, nil, nil
			}
			continue
		}
		var f forecast.Forecaster = forecast.Local{Method: sp.method, Workers: fc.workers}
		opts := forecast.Options{NonNegative: true, CalibrationWindows: calibrationWindows(ss, sp.horizon)}
		if li == 0 {
			// Product x store: the best model there is (as "shelfwise
			// forecast" uses), backtested on means; its windows serve
			// again as the calibration windows.
			d := &dataset{series: ss, daily: sp.grain == shelfwise.GrainDay, period: sp.period}
			if err := d.readStoreContext(ctx, fc.db); err != nil {
				return gf, nil, err
			}
			var plain forecast.Forecaster
			if f, plain, err = storeForecasters("auto", d, level); err != nil {
				return gf, nil, err
			}
			memo := forecast.NewMemo(plain)
			if metrics, err = fc.evaluate(ctx, sp, memo, ss, prefix); err != nil {
				return gf, nil, err
			}
			opts.Calibrate = memo
		}
		fcs, err := forecast.Forecast(ctx, f, ss, sp.horizon, opts)
		if err != nil {
			return gf, nil, err
		}
		for i, s := range ss {
			e, n := newForecastEntry(s, fcs[i], sp.keep)
			gf.Series = append(gf.Series, e)
			bad += n
		}
	}
	if bad > 0 {
		if metrics == nil {
			metrics = map[string]float64{}
		}
		metrics[prefix+"nonfinite_values"] = float64(bad)
	}
	return gf, metrics, nil
}

// minCalibrationErrors is the fewest past errors per forecast step the
// conformal quantiles of a level should rest on.
const minCalibrationErrors = 30

// calibrationWindows is the number of past windows whose errors calibrate
// the quantiles of a level's forecasts. The errors of all the level's
// series are pooled per step, so two windows suffice for the thousand
// product x store series, while the chain total (one series) needs many
// more for its 95% interval to be more than the widest of two errors; the
// windows stop where the typical series would keep less than one horizon
// of history.
func calibrationWindows(ss []*shelfwise.Series, h int) int {
	want := (minCalibrationErrors + len(ss) - 1) / len(ss)
	lens := make([]int, len(ss))
	for i, s := range ss {
		lens[i] = len(s.Values)
	}
	slices.Sort(lens)
	room := lens[len(lens)/2]/h - 2
	return max(2, min(want, room))
}

func levelName(level []string) string {
	if len(level) == 0 {
		return "chain total"
	}
	return strings.Join(level, " x ")
}

// round4 keeps 4 decimals: units forecasts need no more, and the artifact
// stays small. A value that is not a finite number (a model that failed on
// a degenerate series) becomes 0, and is counted, rather than making the
// whole artifact unwritable.
func round4(xs []float64) (bad int) {
	for i, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			xs[i], bad = 0, bad+1
			continue
		}
		xs[i] = math.Round(x*1e4) / 1e4
	}
	return bad
}

// newForecastEntry keeps the last keep steps of s with its forecast, and
// returns the number of non-finite forecast values set to 0.
func newForecastEntry(s *shelfwise.Series, f shelfwise.Forecast, keep int) (forecastEntry, int) {
	from := max(0, len(s.Values)-keep)
	bad := round4(f.Mean)
	for _, q := range f.Quantiles {
		bad += round4(q)
	}
	for _, c := range f.Components {
		bad += round4(c)
	}
	return forecastEntry{Start: s.Time(from), History: slices.Clone(s.Values[from:]), Forecast: f}, bad
}

// load decodes and indexes a version's forecasts; the swap serves them.
func (fc *forecastCap) load(ctx context.Context, v shelfwise.ModelVersion, b []byte) (func(), error) {
	var art forecastArtifact
	if err := json.Unmarshal(b, &art); err != nil || art.Format != forecastFormat {
		return nil, fmt.Errorf("forecast v%d: not a %s artifact", v.Version, forecastFormat)
	}
	sf := &servedForecasts{version: v.Version, art: &art,
		index:  map[shelfwise.Grain]map[shelfwise.SeriesKey]*forecastEntry{},
		grains: map[shelfwise.Grain]*grainForecasts{}}
	for gi := range art.Grains {
		g := &art.Grains[gi]
		idx := make(map[shelfwise.SeriesKey]*forecastEntry, len(g.Series))
		for i := range g.Series {
			e := &g.Series[i]
			if len(e.Forecast.Mean) != g.Horizon || len(e.Forecast.Quantiles) != len(e.Forecast.Levels) {
				return nil, fmt.Errorf("forecast v%d: series %s has a malformed forecast", v.Version, e.Forecast.Key)
			}
			idx[e.Forecast.Key] = e
		}
		sf.index[g.Grain], sf.grains[g.Grain] = idx, g
	}
	return func() { fc.served.Store(sf) }, nil
}

// Forecast implements shelfhttp.Forecaster: the served forecast of the
// series, cut to the horizon asked for.
func (fc *forecastCap) Forecast(ctx context.Context, q shelfhttp.ForecastQuery) (shelfhttp.ForecastResult, error) {
	sf := fc.served.Load()
	if sf == nil {
		return shelfhttp.ForecastResult{}, shelfwise.Errorf(shelfwise.ENOTFOUND,
			"no forecasting model has been promoted yet: train one with POST /v1/models/forecast/retrain")
	}
	g, ok := sf.grains[q.Grain]
	if !ok {
		return shelfhttp.ForecastResult{}, shelfwise.Errorf(shelfwise.EINVALID,
			"the served forecasts (v%d) have no %s series: the store held no sales per %s to fit", sf.version, q.Grain, q.Grain)
	}
	if q.Horizon > g.Horizon {
		return shelfhttp.ForecastResult{}, shelfwise.Errorf(shelfwise.EINVALID,
			"the served %s forecasts reach %d steps ahead; ask for a horizon of at most %d", q.Grain, g.Horizon, g.Horizon)
	}
	e, ok := sf.index[q.Grain][q.Key]
	if !ok {
		return shelfhttp.ForecastResult{}, sf.notFound(q)
	}
	h := q.Horizon
	if h <= 0 {
		h = g.Horizon
	}
	f := e.Forecast
	f.Mean = f.Mean[:h]
	f.Quantiles = make([][]float64, len(e.Forecast.Quantiles))
	for i, qs := range e.Forecast.Quantiles {
		f.Quantiles[i] = qs[:h]
	}
	f.Components = make(map[string][]float64, len(e.Forecast.Components))
	for k, c := range e.Forecast.Components {
		f.Components[k] = c[:h]
	}
	hist := &shelfwise.Series{Key: f.Key, Grain: f.Grain, Start: e.Start, Values: e.History}
	return shelfhttp.ForecastResult{History: hist, Forecast: f, Version: sf.version}, nil
}

// keyFields marks which fields of a series key are set: its level.
func keyFields(k shelfwise.SeriesKey) [5]bool {
	return [5]bool{k.SKU != "", k.Store != "", k.Department != "", k.Category != "", k.Subcategory != ""}
}

// notFound explains a missing series: which series of the same level
// exist (the first few, by name), or that the level is not served.
func (sf *servedForecasts) notFound(q shelfhttp.ForecastQuery) error {
	level := keyFields(q.Key)
	var names []string
	for k := range sf.index[q.Grain] {
		if keyFields(k) == level {
			names = append(names, k.String())
		}
	}
	if len(names) == 0 {
		return shelfwise.Errorf(shelfwise.ENOTFOUND,
			"no %s series %s in the served forecasts (v%d): forecasts exist per product x store, product, store, "+
				"department, category and subcategory (each alone or by store) and for the chain total",
			q.Grain, q.Key, sf.version)
	}
	slices.Sort(names)
	more := ""
	if len(names) > 8 {
		more = fmt.Sprintf(" and %d more", len(names)-8)
		names = names[:8]
	}
	return shelfwise.Errorf(shelfwise.ENOTFOUND, "no %s series %s in the served forecasts (v%d); this level has %s%s",
		q.Grain, q.Key, sf.version, strings.Join(names, ", "), more)
}
