package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/forecast/global"
	"github.com/spf13/cobra"
)

// forecastFlags are the flags of "shelfwise forecast".
type forecastFlags struct {
	grain, level, measure, model, out string
	cpuProfile                        string
	horizon, period                   int
	allowNegative, store              bool
}

// newForecastCmd is "shelfwise forecast": forecast the store's series.
func (m *Main) newForecastCmd() *cobra.Command {
	var fl forecastFlags
	cmd := &cobra.Command{
		Use:   "forecast [--horizon H] [--grain week] [--level sku,store] [--model auto] [--out FILE|-] [--store=false]",
		Short: "Forecast the store's series with quantiles and components",
		Long: `forecast reads the series of the store in the data directory (--db) at one
grain and level of the hierarchy, forecasts each --horizon steps with --model
(default auto: on daily product x store series the daily global model blended
with a per-series choice, otherwise as in eval forecast) and stores the forecasts in the store as one run (means,
quantiles, components per series), replacing the previous run of the same
grain and level; it prints a short summary. --out FILE (or - for standard
output) also writes one JSON object per series (shelfwise.Forecast: key,
origin, model, mean, quantile levels and values, components); --store=false
skips the store. Quantiles are conformal from the last two backtest
windows. Demand forecasts are never negative (--allow-negative for revenue
that can be).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runForecast(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.grain, "grain", "week", "grain of the series: day or week")
	f.StringVar(&fl.level, "level", "sku,store", "key fields to group by (sku, store, department, category, subcategory; empty = chain total)")
	f.StringVar(&fl.measure, "measure", "units", "units or revenue")
	f.StringVar(&fl.model, "model", "auto", "model: "+strings.Join(forecastModels, ", "))
	f.StringVar(&fl.out, "out", "", "also write the forecasts as JSON lines to this file (- = standard output)")
	f.BoolVar(&fl.store, "store", true, "store the forecasts in the store, replacing the previous run of the grain and level")
	f.IntVar(&fl.horizon, "horizon", 0, "forecast horizon in steps (default 13 weekly, 28 daily)")
	f.IntVar(&fl.period, "period", 0, "season length (default 52 weekly, 7 daily)")
	f.StringVar(&fl.cpuProfile, "cpuprofile", "", "write a CPU profile of the forecasting to this file")
	f.BoolVar(&fl.allowNegative, "allow-negative", false, "allow negative forecasts (revenue with returns)")
	return cmd
}

func (m *Main) runForecast(ctx context.Context, fl forecastFlags) error {
	start := time.Now()
	db, err := m.DB(ctx)
	if err != nil {
		return err
	}
	grain := shelfwise.Grain(fl.grain)
	if grain != shelfwise.GrainDay && grain != shelfwise.GrainWeek {
		return shelfwise.Errorf(shelfwise.EINVALID, "--grain must be day or week, got %q", fl.grain)
	}
	if !fl.store && fl.out == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "--store=false needs --out: the forecasts would go nowhere")
	}
	var level []string
	if fl.level != "" {
		level = strings.Split(fl.level, ",")
	}
	var series []*shelfwise.Series
	err = db.Series(ctx, shelfwise.SeriesQuery{Grain: grain, Level: level, Measure: fl.measure}, func(s *shelfwise.Series) error {
		series = append(series, s)
		return nil
	})
	if err != nil {
		return err
	}
	if len(series) == 0 {
		return shelfwise.Errorf(shelfwise.ENOTFOUND, "the store has no %s series; import sales first", fl.grain)
	}
	d := &dataset{series: series, daily: grain == shelfwise.GrainDay, period: fl.period, revenue: fl.allowNegative}
	if err := d.readStoreContext(ctx, db); err != nil {
		return err
	}
	h := d.horizon(fl.horizon)
	f, cal, err := storeForecasters(fl.model, d, level)
	if err != nil {
		return err
	}
	opts := forecast.Options{NonNegative: !fl.allowNegative, Calibrate: cal}
	// Progress: one line per model fit (each blend member at each of the
	// forecast and calibration origins) on standard error.
	prog := &fitProgress{w: m.Stderr, start: time.Now()}
	f = prog.wrap(f)
	if opts.Calibrate != nil {
		opts.Calibrate = prog.wrap(opts.Calibrate)
	}
	prog.total = members(f) * (1 + 2) // forecast.Options' default calibration windows
	fmt.Fprintf(m.Stderr, "forecasting %d %s series, horizon %d, model %s: %d fits\n", len(series), fl.grain, h, f.Name(), prog.total)
	stop, err := startCPUProfile(fl.cpuProfile)
	if err != nil {
		return err
	}
	fcs, err := forecast.Forecast(ctx, f, series, h, opts)
	stop()
	if err != nil {
		return err
	}
	if fl.out != "" {
		if err := m.writeForecastLines(fl.out, fcs); err != nil {
			return err
		}
	}
	summary := m.Stdout
	if fl.out == "-" {
		summary = m.Stderr
	}
	run := forecastRun(fl.model, grain, level, h, time.Now().UTC(), fcs)
	if fl.store {
		if err := db.PutForecasts(ctx, run, fcs); err != nil {
			return fmt.Errorf("store forecasts: %w", err)
		}
	}
	printForecastSummary(summary, run, fcs, fl, time.Since(start))
	return nil
}

// fitProgress prints a line to w after every model fit.
type fitProgress struct {
	w           io.Writer
	start       time.Time
	mu          sync.Mutex // blend members may fit concurrently
	done, total int
}

// progressForecaster reports each Forecast call of its Forecaster.
type progressForecaster struct {
	forecast.Forecaster
	p *fitProgress
}

// Forecast implements forecast.Forecaster.
func (f progressForecaster) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]forecast.Prediction, error) {
	t := time.Now()
	out, err := f.Forecaster.Forecast(ctx, series, cut, h)
	if err == nil {
		f.p.mu.Lock()
		f.p.done++
		fmt.Fprintf(f.p.w, "  [%d/%d] %s, origin %d steps before the end: %.1fs (elapsed %.1fs)\n",
			f.p.done, f.p.total, f.Name(), cut, time.Since(t).Seconds(), time.Since(f.p.start).Seconds())
		f.p.mu.Unlock()
	}
	return out, err
}

// wrap reports the fits of f, of each member when f is a blend.
func (p *fitProgress) wrap(f forecast.Forecaster) forecast.Forecaster {
	if fb, ok := f.(forecast.Fallback); ok {
		return forecast.Fallback{Primary: p.wrap(fb.Primary), Secondary: p.wrap(fb.Secondary)}
	}
	b, ok := f.(forecast.Blend)
	if !ok {
		return progressForecaster{f, p}
	}
	nb := forecast.Blend{Label: b.Label, Weights: b.Weights, Concurrency: b.Concurrency}
	for _, mf := range b.Members {
		nb.Members = append(nb.Members, progressForecaster{mf, p})
	}
	return nb
}

// members counts the fits one Forecast call of f makes.
func members(f forecast.Forecaster) int {
	if fb, ok := f.(forecast.Fallback); ok {
		return members(fb.Primary)
	}
	if b, ok := f.(forecast.Blend); ok {
		return len(b.Members)
	}
	return 1
}

// forecastRun describes the run of fcs: its id names the grain, level and
// creation time, its origin is the latest first step over the series.
func forecastRun(model string, grain shelfwise.Grain, level []string, h int, created time.Time, fcs []shelfwise.Forecast) shelfwise.ForecastRun {
	run := shelfwise.ForecastRun{Model: model, Grain: grain, Level: level, Horizon: h, Created: created}
	lv := strings.Join(level, "+")
	if lv == "" {
		lv = "total"
	}
	run.ID = fmt.Sprintf("%s-%s-%s", grain, lv, created.Format("20060102T150405.000Z"))
	for i := range fcs {
		if fcs[i].Origin.After(run.Origin) {
			run.Origin = fcs[i].Origin
		}
	}
	return run
}

// printForecastSummary prints where the forecasts went, how many series
// each model forecast and the sum of their means.
func printForecastSummary(w io.Writer, run shelfwise.ForecastRun, fcs []shelfwise.Forecast, fl forecastFlags, took time.Duration) {
	models := map[string]int{}
	var total float64
	for i := range fcs {
		models[fcs[i].Model]++
		for _, v := range fcs[i].Mean {
			total += v
		}
	}
	names := make([]string, 0, len(models))
	for n := range models {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		if models[names[i]] != models[names[j]] {
			return models[names[i]] > models[names[j]]
		}
		return names[i] < names[j]
	})
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, models[n]))
	}
	lv := strings.Join(run.Level, ",")
	if lv == "" {
		lv = "total"
	}
	where := "not stored"
	if fl.store {
		where = "stored as run " + run.ID
	}
	fmt.Fprintf(w, "forecast %d %s series (level %s) for %d steps from %s with %s: %s\n",
		len(fcs), run.Grain, lv, run.Horizon, run.Origin.Format("2006-01-02"), run.Model, where)
	fmt.Fprintf(w, "models: %s\n", strings.Join(parts, ", "))
	fmt.Fprintf(w, "total forecast %s: %.1f\n", fl.measure, total)
	if fl.out != "" && fl.out != "-" {
		fmt.Fprintf(w, "wrote JSON lines to %s\n", fl.out)
	}
	fmt.Fprintf(w, "took %.1fs\n", took.Seconds())
}

// writeForecastLines writes one JSON object per forecast to path ("-" =
// standard output).
func (m *Main) writeForecastLines(path string, fcs []shelfwise.Forecast) error {
	var w io.Writer = m.Stdout
	if path != "-" {
		file, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("create %s: %w", path, err)
		}
		defer file.Close()
		w = file
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for i := range fcs {
		if err := enc.Encode(&fcs[i]); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && path != "-" {
		return f.Close()
	}
	return nil
}

// readStoreContext sets what the models of d need from the store besides
// the series: the season length, the calendar's holidays and events, the
// stores and the catalogue; it asks for explanations (components).
func (d *dataset) readStoreContext(ctx context.Context, db shelfwise.DB) error {
	d.defaultPeriod()
	d.explain = true
	cal, err := db.Calendar(ctx)
	if err != nil {
		return err
	}
	stores, err := db.Stores(ctx)
	if err != nil {
		return err
	}
	if d.products, err = db.Products(ctx); err != nil {
		return err
	}
	d.calendar = cal
	d.holidays = map[time.Time]bool{}
	d.stores = map[shelfwise.StoreID]shelfwise.Store{}
	for _, st := range stores {
		d.stores[st.ID] = st
	}
	markHolidays(d, cal)
	return nil
}

// storeForecasters returns the forecaster of model for the store's series
// d (grouped by level), with explanations, and the one its calibration
// windows use (means only). Auto on daily product x store series is the
// daily global blend (the daily global model, Tweedie trees over lags,
// calendar and events, SNAP-like days, prices, promotions and the product
// hierarchy, blended with the per-series local choice, as eval forecast
// uses on M5; future days keep the last known price and no promotion);
// otherwise as in eval forecast. Where auto's global models find too
// little history (a young store), the per-series local choice forecasts.
func storeForecasters(model string, d *dataset, level []string) (f, calibrate forecast.Forecaster, err error) {
	plain := *d
	plain.explain = false
	if model == "auto" && d.daily && len(level) == 2 && slices.Contains(level, "sku") && slices.Contains(level, "store") {
		f = &global.DailyBlend{Global: newDailyGlobal(d.calendar, d.products, d.stores, true)}
		calibrate = &global.DailyBlend{Global: newDailyGlobal(d.calendar, d.products, d.stores, false)}
	} else {
		if f, err = forecasterFor(model, d); err != nil {
			return nil, nil, err
		}
		if calibrate, err = forecasterFor(model, &plain); err != nil {
			return nil, nil, err
		}
	}
	if model != "auto" {
		return f, calibrate, nil
	}
	var local forecast.Forecaster
	switch {
	case d.daily:
		local, err = forecasterFor("auto", &plain) // the per-series choice
	case hasPrices(d.series):
		var meth forecast.Method
		meth, err = forecast.MethodByName("auto-x", d.period)
		local = forecast.Local{Method: meth}
	default:
		local = forecast.Local{Method: m4Ensemble(d.period)}
	}
	if err != nil {
		return nil, nil, err
	}
	return forecast.Fallback{Primary: f, Secondary: local}, forecast.Fallback{Primary: calibrate, Secondary: local}, nil
}
