package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/forecast/global"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/spf13/cobra"
)

// evalForecastFlags are the flags of "eval forecast".
type evalForecastFlags struct {
	format, data, test, model string
	horizon, windows, period  int
	calibration, skipLast     int
	json, covariates          bool
	reconcile                 string // see eval_forecast_reconcile.go
	cpuProfile                string
}

// forecastModels lists the --model names.
var forecastModels = []string{"auto", "ensemble", "ets", "ets-seasonal", "theta", "croston", "sba", "tsb", "snaive", "naive", "ma", "gbdt", "dsnaive", "gbdt-daily", "gbdt-daily-blend", "regress", "auto-x"}

// newEvalForecastCmd is "shelfwise eval forecast".
func (m *Main) newEvalForecastCmd() *cobra.Command {
	var fl evalForecastFlags
	cmd := &cobra.Command{
		Use:   "forecast --format m4|m5|walmart --data PATH [--test PATH] --horizon H",
		Short: "Backtest demand forecasts by rolling origin (MASE, sMAPE, WAPE, WMAE, RMSSE, pinball, coverage)",
		Long: `eval forecast reads a dataset, builds its series and scores forecasts of the
last --windows windows of --horizon steps, refitting before each window on
the data before it. With --test (M4 layout: the next H values of each series)
the model is fitted on all of --data and scored on --test instead.

Quantiles are conformal: the model is also run on the --calibration windows
just before each scored one and its scaled errors there give the intervals
(per step, scaled by the series' lag-1 MAE; for the daily count models
pooled over steps, scaled by the square root of the forecast and binned by
it), so nothing tuned ever sees the scored steps.

Models: auto (the best default for the data: for M4-like series an ensemble
of ETS, Theta and seasonal ETS; for weekly store data the global boosted
model blend, or where the series carry prices whichever of it and the
per-series choice with price and promotion regression was more accurate on
the window before the origin; for daily item data the daily global model blended with a
per-series choice), ensemble, ets (R's
non-seasonal space), ets-seasonal, theta, croston, sba, tsb, snaive, naive,
ma, gbdt (the global boosted model), dsnaive (denoised seasonal naive),
gbdt-daily (the daily global model), gbdt-daily-blend, regress (ETS with
price, promotion and event effects), auto-x (per-series choice including
regress).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runEvalForecast(cmd.Context(), fl) },
	}
	f := cmd.Flags()
	f.StringVar(&fl.format, "format", "", "format of the data: m4, m5, walmart")
	f.StringVar(&fl.data, "data", "", "file, or folder of a multi-file dataset")
	f.StringVar(&fl.test, "test", "", "test file with the next H values of each series (m4 layout)")
	f.StringVar(&fl.model, "model", "auto", "model: "+strings.Join(forecastModels, ", "))
	f.IntVar(&fl.horizon, "horizon", 0, "forecast horizon in steps (default: 13 weekly, 28 daily)")
	f.IntVar(&fl.windows, "windows", 0, "scored rolling windows at the end of the data (default: 3 walmart, 1 otherwise)")
	f.IntVar(&fl.period, "period", 0, "season length (default: 52 weekly, 7 daily)")
	f.IntVar(&fl.calibration, "calibration", -1, "windows before each scored one that calibrate the quantiles (default: 2 local, 1 global)")
	f.BoolVar(&fl.json, "json", false, "print one JSON object")
	f.IntVar(&fl.skipLast, "skip-last", 0, "drop the last N steps of every series first (to tune on windows before the scored ones)")
	f.StringVar(&fl.cpuProfile, "cpuprofile", "", "write a CPU profile of the backtest to this file")
	f.StringVar(&fl.reconcile, "reconcile", "", reconcileUsage)
	f.BoolVar(&fl.covariates, "covariates", false, "give the global model the dataset's covariates (walmart: markdowns, temperature, fuel price, CPI, unemployment)")
	return cmd
}

// dataset is a forecasting dataset read through ingest.
type dataset struct {
	series   []*shelfwise.Series
	holidays map[time.Time]bool // week or day starts holding a holiday
	stores   map[shelfwise.StoreID]shelfwise.Store
	period   int
	daily    bool
	revenue  bool
	// explain asks the global model for SHAP-based components (serving).
	explain bool
	// covs are the dataset's covariates when asked for (nil otherwise).
	covs *global.Covariates
	// calendar and products are the dataset's events (SNAP days included)
	// and catalogue, for the daily global model.
	calendar []shelfwise.CalendarEvent
	products []shelfwise.Product
}

// walmartCovariates are the covariate names of the Walmart features file.
var walmartCovariates = []string{"markdown1", "markdown2", "markdown3", "markdown4", "markdown5",
	"temperature", "fuel_price", "cpi", "unemployment"}

// skipLast drops the last n steps of every series.
func skipLast(ss []*shelfwise.Series, n int) error {
	for _, s := range ss {
		if n >= len(s.Values) {
			return shelfwise.Errorf(shelfwise.EINVALID, "--skip-last %d leaves nothing of series %s (%d steps)", n, s.Key, len(s.Values))
		}
		*s = *s.Head(len(s.Values) - n)
	}
	return nil
}

// loadForecastData reads format/path and builds its series.
func loadForecastData(ctx context.Context, format, path string, period int, covariates bool) (*dataset, error) {
	var mem ingest.Memory
	if _, err := ingest.Read(ctx, format, path, ingest.Options{}, &mem); err != nil {
		return nil, err
	}
	d := &dataset{holidays: map[time.Time]bool{}, stores: map[shelfwise.StoreID]shelfwise.Store{}}
	so := forecast.SeriesOptions{}
	switch format {
	case "walmart":
		// Every store x department observed in all weeks, scored as given
		// (revenue, negatives included).
		so.Revenue, so.FullLengthOnly, d.revenue = true, true, true
	}
	ss, err := forecast.FromSalesPoints(mem.SalesPoints, so)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "%s has no sales series", path)
	}
	d.series = ss
	d.daily = ss[0].Grain == shelfwise.GrainDay
	d.period = period
	d.defaultPeriod()
	for _, st := range mem.Stores {
		d.stores[st.ID] = st
	}
	markHolidays(d, mem.Calendar)
	d.calendar, d.products = mem.Calendar, mem.Products
	if covariates {
		names := map[string]bool{}
		for _, c := range mem.Covariates {
			names[c.Name] = true
		}
		var use []string
		for _, n := range walmartCovariates {
			if names[n] {
				use = append(use, n)
			}
		}
		if len(use) == 0 {
			return nil, shelfwise.Errorf(shelfwise.EINVALID, "--covariates: %s has none of %s", path, strings.Join(walmartCovariates, ", "))
		}
		d.covs = global.NewCovariates(use, mem.Covariates)
	}
	return d, nil
}

// markHolidays marks the step (week or day) of the series grid that holds
// each holiday of the calendar.
func markHolidays(d *dataset, cal []shelfwise.CalendarEvent) {
	step := 7
	if d.daily {
		step = 1
	}
	var start time.Time
	for _, s := range d.series {
		if !s.Start.IsZero() && (start.IsZero() || s.Start.Before(start)) {
			start = s.Start
		}
	}
	if start.IsZero() {
		return
	}
	for _, ev := range cal {
		if ev.Type != "holiday" {
			continue
		}
		days := int(ev.Date.Sub(start).Hours() / 24)
		k := days / step
		if days < 0 {
			k = (days - step + 1) / step
		}
		d.holidays[start.AddDate(0, 0, k*step)] = true
	}
}

// holiday reports whether the step starting at t holds a holiday.
func (d *dataset) holiday(t time.Time) bool { return d.holidays[t] }

// defaultPeriod sets the season length when none was given: 52 weeks, or 7
// days for daily series.
func (d *dataset) defaultPeriod() {
	if d.period <= 0 {
		d.period = 52
		if d.daily {
			d.period = 7
		}
	}
}

// horizon is h, or when h is not positive the default: 13 weeks, or 28
// days for daily series.
func (d *dataset) horizon(h int) int {
	if h > 0 {
		return h
	}
	if d.daily {
		return 28
	}
	return 13
}

// forecasterFor builds the --model forecaster for the dataset.
func forecasterFor(name string, d *dataset) (forecast.Forecaster, error) {
	base := global.Model{Period: d.period, Holiday: d.holiday, Stores: d.stores, HolidayWeight: 5, Explain: d.explain, Covariates: d.covs}
	weeklyPanel := !d.daily && d.series[0].Grain == shelfwise.GrainWeek
	switch name {
	case "auto":
		switch {
		case !d.daily && hasPrices(d.series):
			// Priced weekly series: the global blend or the per-series
			// choice with price and promotion regression, whichever was
			// more accurate on the window before the origin (Dominick's
			// orange juice: regression, MASE 0.650 against 0.878; the
			// demo chain: the global blend).
			meth, err := forecast.MethodByName("auto-x", d.period)
			if err != nil {
				return nil, err
			}
			// Memoized: a backtest's windows do not refit a candidate at
			// an origin the previous window validated at.
			cands := []forecast.Forecaster{forecast.NewMemo(forecast.Local{Method: meth})}
			if weeklyPanel {
				cands = append([]forecast.Forecaster{forecast.NewMemo(global.Default(base))}, cands...)
			}
			return forecast.Pick{Label: "auto", Candidates: cands}, nil
		case weeklyPanel:
			return global.Default(base), nil
		case d.daily:
			return forecast.Local{Method: forecast.Select{Candidates: []forecast.Method{
				forecast.SeasonalNaive{Period: d.period}, forecast.ETS{Options: forecast.ETSOptions{Period: d.period, NoMultiplicative: true}},
				forecast.Croston{Variant: forecast.CrostonSBA}, forecast.TSB{}, forecast.MovingAverage{Window: 28},
			}}}, nil
		}
		return forecast.Local{Method: m4Ensemble(d.period)}, nil
	case "ensemble":
		return forecast.Local{Method: m4Ensemble(d.period)}, nil
	case "gbdt":
		return &base, nil
	case "dsnaive":
		return &global.DenoisedSeasonalNaive{Model: base}, nil
	}
	meth, err := forecast.MethodByName(name, d.period)
	if err != nil {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "unknown --model %q (%s)", name, strings.Join(forecastModels, ", "))
	}
	return forecast.Local{Method: meth}, nil
}

// hasPrices tells whether any series carries its prices.
func hasPrices(ss []*shelfwise.Series) bool {
	for _, s := range ss {
		if len(s.Price) > 0 {
			return true
		}
	}
	return false
}

// m4Ensemble is the equal-weight ensemble of automatic ETS over R's
// non-seasonal space, Theta with a seasonality test, and automatic ETS with
// a season of period (additive only, and with multiplicative models).
func m4Ensemble(period int) forecast.Method {
	return forecast.Ensemble{Label: "ensemble", Members: []forecast.Method{
		forecast.ETS{},
		forecast.Theta{Period: period},
		forecast.ETS{Options: forecast.ETSOptions{Period: period, NoMultiplicative: true}},
		forecast.ETS{Options: forecast.ETSOptions{Period: period}},
	}}
}

func (m *Main) runEvalForecast(ctx context.Context, fl evalForecastFlags) error {
	start := time.Now()
	if fl.format == "" || fl.data == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "eval forecast needs --format NAME and --data PATH")
	}
	d, err := loadForecastData(ctx, fl.format, fl.data, fl.period, fl.covariates)
	if err == nil && fl.skipLast > 0 {
		err = skipLast(d.series, fl.skipLast)
	}
	if err != nil {
		return err
	}
	h := d.horizon(fl.horizon)
	build := evalForecaster
	if fl.reconcile != "" {
		build = reconcileForecaster
	}
	f, err := build(ctx, fl, d)
	if err != nil {
		return err
	}
	opts := forecast.BacktestOptions{Horizon: h, Windows: fl.windows, CalibrationWindows: fl.calibration, NonNegative: !d.revenue}
	if opts.Windows <= 0 {
		opts.Windows = 1
		if fl.format == "walmart" {
			opts.Windows = 3
		}
	}
	if opts.CalibrationWindows < 0 {
		opts.CalibrationWindows = 1
		switch f.(type) {
		case forecast.Local:
			opts.CalibrationWindows = 2
		case *global.Daily, *global.DailyBlend:
			opts.CalibrationWindows = dailyCalibrationWindows
		}
	}
	if len(d.holidays) > 0 && !d.daily {
		opts.StepWeight = func(i, t int) float64 {
			if d.holiday(d.series[i].Time(t)) {
				return 5
			}
			return 1
		}
	}
	if d.daily && d.series[0].Price != nil {
		// M5 weighting: each series by its revenue over the 28 days
		// before the origin.
		opts.SeriesWeight = func(i, cut int) float64 {
			s := d.series[i]
			n := len(s.Values) - cut
			w := 0.0
			for t := max(0, n-28); t < n; t++ {
				if s.Price != nil && t < len(s.Price) {
					w += s.Values[t] * s.Price[t]
				}
			}
			return w
		}
	}
	if fl.test != "" {
		if opts.Test, err = readTestValues(ctx, fl.format, fl.test, d.series, h); err != nil {
			return err
		}
	}
	if fl.reconcile != "" {
		return m.runEvalForecastReconcile(ctx, fl, fl.reconcile, d, opts, start)
	}
	stop, err := startCPUProfile(fl.cpuProfile)
	if err != nil {
		return err
	}
	res, err := forecast.Backtest(ctx, f, d.series, opts)
	stop()
	if err != nil {
		return err
	}
	return m.printForecastEval(fl, d, opts, f, res, time.Since(start).Seconds())
}

// startCPUProfile starts a CPU profile written to path (none when empty)
// and returns the function that stops it.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(file); err != nil {
		file.Close()
		return nil, fmt.Errorf("cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		file.Close()
	}, nil
}

// readTestValues reads a test file in the training layout (M4: id, then the
// next H values) and lines its rows up with the series.
func readTestValues(ctx context.Context, format, path string, series []*shelfwise.Series, h int) ([][]float64, error) {
	if format != "m4" {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "--test is supported for the m4 layout only")
	}
	td, err := loadForecastData(ctx, format, path, 0, false)
	if err != nil {
		return nil, err
	}
	byID := map[shelfwise.SeriesKey][]float64{}
	for _, s := range td.series {
		byID[s.Key] = s.Values
	}
	out := make([][]float64, len(series))
	for i, s := range series {
		v, ok := byID[s.Key]
		if !ok {
			return nil, &shelfwise.InputError{File: path, Err: fmt.Errorf("series %s of the training data has no test row", s.Key)}
		}
		if len(v) < h {
			return nil, &shelfwise.InputError{File: path, Field: string(s.Key.SKU), Err: fmt.Errorf("%d test values, horizon %d", len(v), h)}
		}
		out[i] = v
	}
	return out, nil
}

func (m *Main) printForecastEval(fl evalForecastFlags, d *dataset, o forecast.BacktestOptions, f forecast.Forecaster, r *forecast.BacktestResult, secs float64) error {
	mt := r.Metrics
	nan := func(v float64) any {
		if v != v {
			return nil
		}
		return v
	}
	windows := o.Windows
	if o.Test != nil {
		windows = 1
	}
	out := map[string]any{
		"format": fl.format, "model": f.Name(), "horizon": o.Horizon, "windows": windows,
		"calibration_windows": o.CalibrationWindows, "period": d.period, "test": fl.test != "",
		"mase": nan(mt.MASE), "smape": nan(mt.SMAPE), "wape": nan(mt.WAPE), "rmsse": nan(mt.RMSSE), "bias": nan(mt.Bias),
		"pinball": nan(mt.Pinball), "coverage_80": nan(mt.Coverage80), "coverage_95": nan(mt.Coverage95),
		"series": len(d.series), "forecasts": mt.Forecasts, "points": mt.Points, "seconds": secs,
		"fit_seconds_scored": r.ScoredSeconds, "fit_seconds_calibration": r.CalibrationSeconds,
	}
	if o.StepWeight != nil {
		out["wmae"] = nan(mt.WMAE)
	}
	if o.SeriesWeight != nil {
		out["wrmsse"] = nan(mt.WRMSSE)
	}
	var per []map[string]any
	for _, w := range r.PerWindow {
		pw := map[string]any{"mase": nan(w.MASE), "wape": nan(w.WAPE), "coverage_80": nan(w.Coverage80), "coverage_95": nan(w.Coverage95)}
		if o.StepWeight != nil {
			pw["wmae"] = nan(w.WMAE)
		}
		per = append(per, pw)
	}
	out["per_window"] = per
	out["chosen"] = topChosen(r.Chosen, 8)
	if fl.json {
		return writeJSON(m.Stdout, out)
	}
	rows := []Row{{"model", f.Name()}, {"series", len(d.series)}, {"horizon", o.Horizon}, {"windows", windows},
		{"MASE", mt.MASE}, {"sMAPE", mt.SMAPE}, {"WAPE", mt.WAPE}}
	if o.StepWeight != nil {
		rows = append(rows, Row{"WMAE (holidays x5)", mt.WMAE})
	}
	rows = append(rows, Row{"RMSSE", mt.RMSSE}, Row{"bias", mt.Bias}, Row{"pinball (scaled)", mt.Pinball},
		Row{"coverage 80%", mt.Coverage80}, Row{"coverage 95%", mt.Coverage95}, Row{"seconds", secs})
	return writeTable(m.Stdout, "Forecast backtest on "+fl.data, rows)
}

// topChosen keeps the n most frequent fitted model names.
func topChosen(c map[string]int, n int) map[string]int {
	keys := slices.Collect(maps.Keys(c))
	slices.SortFunc(keys, func(a, b string) int {
		if c[a] != c[b] {
			return c[b] - c[a]
		}
		return strings.Compare(a, b)
	})
	out := map[string]int{}
	for _, k := range keys[:min(n, len(keys))] {
		out[k] = c[k]
	}
	return out
}
