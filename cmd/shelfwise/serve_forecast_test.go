package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/registry"
	"github.com/shelfwise/shelfwise/simulate"
)

// simulateSmall simulates a small chain (one store and the web shop, 30
// products, 150 days) into the data directory dir.
func simulateSmall(dir string) (*Main, shelfwise.DB, error) {
	ctx := context.Background()
	m := NewMain()
	m.DataDir = dir
	m.Stdout, m.Stderr = io.Discard, io.Discard
	cfg := simulate.Demo()
	cfg.Stores, cfg.Products, cfg.Customers, cfg.Days = 1, 30, 120, 150
	if _, _, err := m.simulate(ctx, cfg); err != nil {
		m.Close()
		return nil, nil, err
	}
	db, err := m.DB(ctx)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return m, db, nil
}

// simulatedStore is simulateSmall in a test's temporary directory.
func simulatedStore(t *testing.T) (*Main, shelfwise.DB) {
	t.Helper()
	m, db, err := simulateSmall(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, db
}

func TestAlignSeries(t *testing.T) {
	day0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	end := day0.AddDate(0, 0, 10)                       // data covers days 0..9
	t.Run("DailyPaddedWithZeros", func(t *testing.T) {
		s := &shelfwise.Series{Grain: shelfwise.GrainDay, Start: day0.AddDate(0, 0, 2), Values: []float64{1, 2, 3},
			Available: []bool{true, true, true}}
		got := alignSeries([]*shelfwise.Series{s}, end)
		want := []float64{1, 2, 3, 0, 0, 0, 0, 0}
		if len(got) != 1 || len(got[0].Values) != len(want) || len(got[0].Available) != len(want) {
			t.Fatalf("got %+v, want values %v", got, want)
		}
		for i, v := range want {
			if got[0].Values[i] != v {
				t.Fatalf("values %v, want %v", got[0].Values, want)
			}
		}
		if !got[0].Time(len(got[0].Values)).Equal(end) {
			t.Errorf("series ends %v, want %v", got[0].Time(len(got[0].Values)), end)
		}
	})
	t.Run("IncompleteWeekDropped", func(t *testing.T) {
		// Weeks start on days 0 and 7; day 7-9 is 3 days of the second.
		s := &shelfwise.Series{Grain: shelfwise.GrainWeek, Start: day0, Values: []float64{70, 30}}
		got := alignSeries([]*shelfwise.Series{s}, end)
		if len(got) != 1 || len(got[0].Values) != 1 || got[0].Values[0] != 70 {
			t.Fatalf("got %v, want [70]", got[0].Values)
		}
	})
	t.Run("OnlyIncompleteWeekDropsSeries", func(t *testing.T) {
		s := &shelfwise.Series{Grain: shelfwise.GrainWeek, Start: day0.AddDate(0, 0, 7), Values: []float64{30}}
		if got := alignSeries([]*shelfwise.Series{s}, end); len(got) != 0 {
			t.Fatalf("got %d series, want none", len(got))
		}
	})
}

var forecastOnce struct {
	sync.Once
	c   registry.Candidate
	err error
}

// trainedForecast trains the forecast task once on a small simulated chain
// (in a directory removed right after) and returns a new forecastCap with
// the candidate; serving needs only the artifact, not the store.
func trainedForecast(t *testing.T) (*forecastCap, registry.Candidate) {
	t.Helper()
	forecastOnce.Do(func() {
		dir, err := os.MkdirTemp("", "shelfwise-forecast-")
		if err != nil {
			forecastOnce.err = err
			return
		}
		defer os.RemoveAll(dir)
		m, db, err := simulateSmall(dir)
		if err != nil {
			forecastOnce.err = err
			return
		}
		defer m.Close()
		fc := &forecastCap{db: db}
		forecastOnce.c, forecastOnce.err = fc.train(context.Background(), func(float64, string) {})
	})
	if forecastOnce.err != nil {
		t.Fatal(forecastOnce.err)
	}
	return &forecastCap{}, forecastOnce.c
}

func TestCalibrationWindows(t *testing.T) {
	series := func(n, length int) []*shelfwise.Series {
		out := make([]*shelfwise.Series, n)
		for i := range out {
			out[i] = &shelfwise.Series{Values: make([]float64, length)}
		}
		return out
	}
	for _, tt := range []struct {
		name         string
		n, length, h int
		want         int
	}{
		{"ChainTotalTwoYears", 1, 730, 28, 24}, // 30 wanted, 730/28-2 = 24 fit
		{"ChainTotalShort", 1, 150, 28, 3},
		{"FiveStores", 5, 730, 28, 6},
		{"ThousandProductStores", 1000, 730, 28, 2},
		{"TooShortKeepsTwo", 1, 40, 28, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := calibrationWindows(series(tt.n, tt.length), tt.h); got != tt.want {
				t.Fatalf("calibrationWindows = %d, want %d", got, tt.want)
			}
		})
	}
}

// dropMethod forecasts the last value minus 3 (negative for small
// series, so clipping matters) and counts its fits.
type dropMethod struct{ fits *atomic.Int64 }

func (dropMethod) Name() string { return "drop" }

func (d dropMethod) Forecast(y []float64, h int) (forecast.Prediction, error) {
	d.fits.Add(1)
	mean := make([]float64, h)
	for k := range mean {
		mean[k] = y[len(y)-1] - 3 + float64(k%2)
	}
	return forecast.Prediction{Model: "drop", Mean: mean, Components: map[string][]float64{"level": slices.Clone(mean)}}, nil
}

// TestMemoForecaster checks that reusing the backtest's windows as the
// calibration windows fits each window once and changes no forecast.
func TestMemoForecaster(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	var ss []*shelfwise.Series
	for i := range 20 {
		v := make([]float64, 60+i)
		for j := range v {
			v[j] = float64(rng.IntN(2 + i))
		}
		ss = append(ss, &shelfwise.Series{Grain: shelfwise.GrainDay, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Values: v})
	}
	const h = 7
	var fits atomic.Int64
	local := forecast.Local{Method: dropMethod{&fits}}
	direct, err := forecast.Forecast(ctx, local, ss, h, forecast.Options{NonNegative: true, CalibrationWindows: 2})
	if err != nil {
		t.Fatal(err)
	}
	fits.Store(0)
	memo := forecast.NewMemo(local)
	if _, err := forecast.Backtest(ctx, memo, slices.Clone(ss), forecast.BacktestOptions{Horizon: h, Windows: 2, CalibrationWindows: 2, NonNegative: true}); err != nil {
		t.Fatal(err)
	}
	reused, err := forecast.Forecast(ctx, memo, ss, h, forecast.Options{NonNegative: true, CalibrationWindows: 2})
	if err != nil {
		t.Fatal(err)
	}
	// Backtest cuts h..4h, the forecast 0, h, 2h: five cuts of 20 series.
	if got := fits.Load(); got != 5*20 {
		t.Errorf("%d fits, want %d (each cut once)", got, 5*20)
	}
	for i := range direct {
		d, r := direct[i], reused[i]
		if !slices.Equal(d.Mean, r.Mean) {
			t.Fatalf("series %d: mean %v with reuse, %v without", i, r.Mean, d.Mean)
		}
		for q := range d.Quantiles {
			if !slices.Equal(d.Quantiles[q], r.Quantiles[q]) {
				t.Fatalf("series %d: q%v %v with reuse, %v without", i, d.Levels[q], r.Quantiles[q], d.Quantiles[q])
			}
		}
	}
}

func TestRound4(t *testing.T) {
	xs := []float64{1.23456, math.NaN(), math.Inf(-1), -2.00004}
	if bad := round4(xs); bad != 2 || !slices.Equal(xs, []float64{1.2346, 0, 0, -2}) {
		t.Fatalf("round4 gave %v with %d bad, want [1.2346 0 0 -2] with 2", xs, bad)
	}
}

func TestTrailing(t *testing.T) {
	y := make([]float64, 500)
	for i := range y {
		y[i] = float64(i)
	}
	// A moving average over more points than any series has averages
	// exactly the points trailing lets it see.
	for _, tt := range []struct{ n, seen int }{{364, 364}, {600, 500}} {
		p, err := trailing{Method: forecast.MovingAverage{Window: 1000}, n: tt.n}.Forecast(y, 2)
		if err != nil {
			t.Fatal(err)
		}
		if want := 499 - float64(tt.seen-1)/2; p.Mean[0] != want {
			t.Errorf("n=%d: mean %v, want %v (the last %d points)", tt.n, p.Mean[0], want, tt.seen)
		}
	}
}

func TestForecastCap(t *testing.T) {
	ctx := context.Background()
	fc, c := trainedForecast(t)
	if _, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Grain: shelfwise.GrainDay}); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Fatalf("before a version is served: %v, want ENOTFOUND", err)
	}
	if c.PrimaryMetric != "mase" || c.HigherIsBetter {
		t.Fatalf("primary %s higher-is-better=%v, want mase, lower is better", c.PrimaryMetric, c.HigherIsBetter)
	}
	for _, k := range []string{"mase", "wape", "coverage_80", "coverage_95", "snaive_mase", "snaive_wape"} {
		if v, ok := c.Metrics[k]; !ok || math.IsNaN(v) || v < 0 {
			t.Errorf("metric %s = %v (present %v)", k, v, ok)
		}
	}
	if v := c.Metrics["coverage_95"]; v < 0.8 {
		t.Errorf("95%% intervals cover %.3f of held-out days", v)
	}
	// Product x store days: the daily global blend, ahead of the seasonal
	// naive on the held-out days.
	if c.Metrics["mase"] >= c.Metrics["snaive_mase"] {
		t.Errorf("served model MASE %.3f, seasonal naive %.3f", c.Metrics["mase"], c.Metrics["snaive_mase"])
	}
	swap, err := fc.load(ctx, shelfwise.ModelVersion{Task: shelfwise.TaskForecast, Version: 4}, c.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	swap()
	sf := fc.served.Load()
	end := sf.art.DataEnd
	blended := 0
	for _, e := range sf.grains[shelfwise.GrainDay].Series {
		if k := e.Forecast.Key; k.SKU != "" && k.Store != "" && strings.HasPrefix(e.Forecast.Model, "blend(gbdt-daily,") {
			blended++
		}
	}
	if blended == 0 {
		t.Error("no daily product x store forecast comes from the daily global blend")
	}

	t.Run("ChainTotalIsTheSumOfProductStores", func(t *testing.T) {
		tot, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Grain: shelfwise.GrainDay})
		if err != nil {
			t.Fatal(err)
		}
		if tot.Version != 4 || len(tot.Forecast.Mean) != 28 || !tot.Forecast.Origin.Equal(end) {
			t.Fatalf("version %d, %d steps from %v; want v4, 28 steps from %v", tot.Version, len(tot.Forecast.Mean), tot.Forecast.Origin, end)
		}
		h := tot.History
		if !h.Time(len(h.Values)).Equal(end) {
			t.Fatalf("history ends %v, want %v", h.Time(len(h.Values)), end)
		}
		var sum float64
		last := end.AddDate(0, 0, -1)
		for _, e := range sf.grains[shelfwise.GrainDay].Series {
			k := e.Forecast.Key
			if k.SKU != "" && k.Store != "" {
				if i := int(last.Sub(e.Start).Hours() / 24); i >= 0 && i < len(e.History) {
					sum += e.History[i]
				}
			}
		}
		if got := h.Values[len(h.Values)-1]; got != sum {
			t.Errorf("chain total on %s = %v, product x store series sum to %v", last.Format(time.DateOnly), got, sum)
		}
	})
	t.Run("EveryLevelAndQuantilesOrdered", func(t *testing.T) {
		levels := map[[5]bool]int{}
		for _, g := range sf.art.Grains {
			for _, e := range g.Series {
				k := e.Forecast.Key
				levels[[5]bool{k.SKU != "", k.Store != "", k.Department != "", k.Category != "", k.Subcategory != ""}]++
				f := e.Forecast
				for s := range f.Mean {
					for i := 1; i < len(f.Levels); i++ {
						if f.Quantiles[i][s] < f.Quantiles[i-1][s] {
							t.Fatalf("%s step %d: q%.3f=%v < q%.3f=%v", k, s, f.Levels[i], f.Quantiles[i][s], f.Levels[i-1], f.Quantiles[i-1][s])
						}
					}
					if f.Mean[s] < 0 || f.Quantiles[0][s] < 0 {
						t.Fatalf("%s step %d: negative demand forecast", k, s)
					}
				}
				if len(f.Components) == 0 {
					t.Fatalf("%s has no decomposition", k)
				}
			}
		}
		if len(levels) != len(forecastLevels) {
			t.Errorf("%d hierarchy levels served, want %d: %v", len(levels), len(forecastLevels), levels)
		}
	})
	t.Run("ProductStoreWeekly", func(t *testing.T) {
		var key shelfwise.SeriesKey
		for k := range sf.index[shelfwise.GrainWeek] {
			if k.SKU != "" && k.Store != "" {
				key = k
				break
			}
		}
		r, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Key: key, Grain: shelfwise.GrainWeek, Horizon: 5})
		if err != nil {
			t.Fatal(err)
		}
		f := r.Forecast
		if f.Key != key || len(f.Mean) != 5 || len(f.Quantiles[0]) != 5 {
			t.Fatalf("key %v, %d steps, want %v and 5", f.Key, len(f.Mean), key)
		}
		for name, c := range f.Components {
			if len(c) != 5 {
				t.Errorf("component %s has %d steps, want 5", name, len(c))
			}
		}
		// The last complete week ends on or before the data's end.
		if f.Origin.After(end) || end.Sub(f.Origin) >= 7*24*time.Hour {
			t.Errorf("weekly origin %v for data ending %v", f.Origin, end)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			q    shelfhttp.ForecastQuery
			code string
		}{
			{"UnknownSeries", shelfhttp.ForecastQuery{Key: shelfwise.SeriesKey{Department: "no such"}, Grain: shelfwise.GrainDay}, shelfwise.ENOTFOUND},
			{"UnservedLevel", shelfhttp.ForecastQuery{Key: shelfwise.SeriesKey{SKU: "x", Department: "y"}, Grain: shelfwise.GrainDay}, shelfwise.ENOTFOUND},
			{"HorizonTooLong", shelfhttp.ForecastQuery{Grain: shelfwise.GrainWeek, Horizon: 14}, shelfwise.EINVALID},
			{"Grain", shelfhttp.ForecastQuery{Grain: shelfwise.GrainPeriod}, shelfwise.EINVALID},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := fc.Forecast(ctx, tt.q); shelfwise.ErrorCode(err) != tt.code {
					t.Fatalf("err %v, want %s", err, tt.code)
				}
			})
		}
	})
	t.Run("NotFoundNamesTheLevelsSeries", func(t *testing.T) {
		_, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Key: shelfwise.SeriesKey{Department: "no such"}, Grain: shelfwise.GrainWeek})
		var dept string
		for k := range sf.index[shelfwise.GrainWeek] {
			if keyFields(k) == [5]bool{false, false, true, false, false} {
				dept = k.String()
				break
			}
		}
		if msg := shelfwise.ErrorMessage(err); dept == "" || !strings.Contains(msg, dept) {
			t.Errorf("message %q does not name the served department %q", msg, dept)
		}
	})
	t.Run("BadArtifact", func(t *testing.T) {
		if _, err := fc.load(ctx, shelfwise.ModelVersion{Version: 5}, []byte(`{"format":"other"}`)); err == nil {
			t.Fatal("loaded a foreign artifact")
		}
		if fc.served.Load().version != 4 {
			t.Fatal("a failed load changed the served version")
		}
	})
}

// TestForecastWeeklyOnly serves a store that holds weekly sales only (as
// the Walmart export): the weekly backtest gives the unprefixed metrics,
// and daily forecasts are refused with a reason.
func TestForecastWeeklyOnly(t *testing.T) {
	ctx := context.Background()
	m := NewMain()
	m.DataDir = t.TempDir()
	defer m.Close()
	db, err := m.DB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test", Source: "weekly", Time: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	start := time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC)
	var ps []shelfwise.SalesPoint
	for _, st := range []shelfwise.StoreID{"S1", "S2"} {
		for p := range 3 {
			for w := range 80 {
				units := float64(10 + 5*p + (w*7+p*3)%6)
				ps = append(ps, shelfwise.SalesPoint{SKU: shelfwise.SKU(fmt.Sprintf("P%d", p)), Store: st, Grain: shelfwise.GrainWeek,
					Date: start.AddDate(0, 0, 7*w), Units: units, Revenue: 2 * units, Available: true})
			}
		}
	}
	if err := tx.PutStores(ctx, []shelfwise.Store{{ID: "S1"}, {ID: "S2"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.PutProducts(ctx, []shelfwise.Product{{SKU: "P0", Department: "D"}, {SKU: "P1", Department: "D"}, {SKU: "P2", Department: "E"}}); err != nil {
		t.Fatal(err)
	}
	if err := tx.AddSalesPoints(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx, shelfwise.ImportReport{Format: "test", Fingerprint: "weekly-only"}); err != nil {
		t.Fatal(err)
	}
	fc := &forecastCap{db: db}
	c, err := fc.train(ctx, func(float64, string) {})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Metrics["mase"]; !ok || c.Metrics["week_series"] == 0 || c.Metrics["day_series"] != 0 {
		t.Fatalf("metrics %v: want weekly MASE as the primary metric and no daily series", c.Metrics)
	}
	swap, err := fc.load(ctx, shelfwise.ModelVersion{Version: 1}, c.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	swap()
	r, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Key: shelfwise.SeriesKey{Department: "D", Store: "S2"}, Grain: shelfwise.GrainWeek})
	if err != nil {
		t.Fatal(err)
	}
	// Department D at S2 sums P0 and P1: its last week is their sum.
	if got, want := r.History.Values[len(r.History.Values)-1], float64(10+(79*7)%6)+float64(15+(79*7+3)%6); got != want {
		t.Errorf("last week of D@S2 = %v, want %v", got, want)
	}
	if _, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Grain: shelfwise.GrainDay}); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
		t.Errorf("daily forecast of a weekly store: %v, want EINVALID", err)
	}
}

// TestForecastPromotion runs the forecast task through the registry: a
// retrain whose MASE is worse (higher) than the served one's is rejected,
// a better (lower) one is promoted and served.
func TestForecastPromotion(t *testing.T) {
	ctx := context.Background()
	fc, c := trainedForecast(t)
	rdb, err := registry.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	q := registry.NewQueue(rdb, 1)
	mg := registry.NewManager(registry.NewModels(rdb), q, nil)
	var mu sync.Mutex
	scale := 1.0 // the next candidate's MASE relative to c's
	task := fc.task()
	task.Train = func(ctx context.Context, p shelfwise.Progress) (registry.Candidate, error) {
		mu.Lock()
		defer mu.Unlock()
		cc := c
		cc.Metrics = map[string]float64{"mase": c.Metrics["mase"] * scale}
		return cc, nil
	}
	mg.AddTask(task)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(ctx)
	retrain := func(s float64) shelfwise.Job {
		mu.Lock()
		scale = s
		mu.Unlock()
		j, err := mg.Retrain(ctx, shelfwise.TaskForecast)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			j, err = q.Job(ctx, j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if j.Status.Done() {
				return j
			}
			if time.Now().After(deadline) {
				t.Fatalf("job %s did not finish", j.ID)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	served := func() int {
		r, err := fc.Forecast(ctx, shelfhttp.ForecastQuery{Grain: shelfwise.GrainDay, Horizon: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r.Version
	}
	for _, step := range []struct {
		scale   float64
		version int // served after the retrain
	}{{1, 1}, {1.1, 1}, {0.9, 3}, {0.9, 4}, {0.95, 4}} {
		j := retrain(step.scale)
		if j.Status != shelfwise.JobSucceeded {
			t.Fatalf("retrain x%.2f: %s %s", step.scale, j.Status, j.Error)
		}
		if got := served(); got != step.version {
			t.Fatalf("after a retrain with MASE x%.2f: serving v%d, want v%d (%s)", step.scale, got, step.version, j.Result)
		}
	}
}

// forecastRow matches a row of the dashboard's forecast table: the step's
// date and the mean.
var forecastRow = regexp.MustCompile(`<tr><td>(\d{4}-\d{2}-\d{2})</td><td>([^<]*)</td>`)

// dashNumber parses a number as the dashboard prints it ("352", "0.428",
// "12.5k", "1.2M").
func dashNumber(s string) (float64, error) {
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult = 1e3
	case strings.HasSuffix(s, "M"):
		mult = 1e6
	case strings.HasSuffix(s, "G"):
		mult = 1e9
	}
	if mult != 1 {
		s = s[:len(s)-1]
	}
	x, err := strconv.ParseFloat(s, 64)
	return x * mult, err
}

// e2eForecastPage asks the API for the forecast of query and returns the
// dashboard path showing the same series and a check that the page shows
// the API's forecast: model, version and series, the mean of every step
// (to the dashboard's printed precision), the intervals and the
// decomposition.
func e2eForecastPage(t *testing.T, base, key, query string) (string, func(*testing.T, string)) {
	t.Helper()
	var api shelfhttp.ForecastOut
	apiDo(t, "GET", base+"/v1/forecasts?"+query, key, "", &api)
	if len(api.Mean) == 0 || len(api.Times) != len(api.Mean) || len(api.Quantiles) == 0 || len(api.Components) == 0 || len(api.History) == 0 {
		t.Fatalf("forecast %s: %d steps, %d quantiles, %d components, %d history points",
			query, len(api.Mean), len(api.Quantiles), len(api.Components), len(api.History))
	}
	check := func(t *testing.T, dom string) {
		for _, w := range []string{fmt.Sprintf("Model <strong>%s</strong>, registry version v%d; series %s", api.Model, api.Version, api.Key),
			"95% interval", "80% interval", "Decomposition of the mean", "Component: level"} {
			if !strings.Contains(dom, w) {
				t.Errorf("forecast page lacks %q", w)
			}
		}
		rows := forecastRow.FindAllStringSubmatch(dom, -1)
		if len(rows) != len(api.Mean) {
			t.Fatalf("forecast table has %d rows, the API %d steps", len(rows), len(api.Mean))
		}
		for i, r := range rows {
			x, err := dashNumber(r[2])
			if d := api.Times[i].UTC().Format(time.DateOnly); r[1] != d || err != nil || math.Abs(x-api.Mean[i]) > 0.006*math.Abs(api.Mean[i])+0.0006 {
				t.Errorf("row %d: %s %q, API %s %v", i, r[1], r[2], d, api.Mean[i])
			}
		}
	}
	return "/dashboard/forecasts?" + query, check
}

// e2eCapabilityRoles checks who may call the forecast and propensity
// routes of a running server: analysts and admins read forecasts and the
// propensity summary, apps only score sessions, no key nothing.
func e2eCapabilityRoles(t *testing.T, base string, keys map[shelfwise.Role]string) {
	t.Helper()
	score := `{"features":{"page_value":10,"product_pages":4}}`
	for _, c := range []struct {
		method, path, body string
		role               shelfwise.Role
		status             int
	}{
		{"GET", "/v1/forecasts?grain=week", "", shelfwise.RoleAnalyst, 200},
		{"GET", "/v1/forecasts?grain=week", "", shelfwise.RoleApp, 403},
		{"GET", "/v1/forecasts?grain=week", "", "", 401},
		{"GET", "/v1/propensity/summary", "", shelfwise.RoleAnalyst, 200},
		{"GET", "/v1/propensity/summary", "", shelfwise.RoleApp, 403},
		{"POST", "/v1/propensity/score", score, shelfwise.RoleApp, 200},
		{"POST", "/v1/propensity/score", score, shelfwise.RoleAnalyst, 200},
		{"POST", "/v1/propensity/score", score, "", 401},
		{"POST", "/v1/propensity/score", `{"features":{"no_such_feature":1}}`, shelfwise.RoleApp, 400},
		{"GET", "/v1/forecasts?department=no-such-department", "", shelfwise.RoleAdmin, 404},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		if c.role != "" {
			req.Header.Set("Authorization", "Bearer "+keys[c.role])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s as %q: %d %s, want %d", c.method, c.path, c.role, resp.StatusCode, b, c.status)
		}
	}
}
