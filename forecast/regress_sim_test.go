package forecast_test

import (
	"context"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/simulate"
	"gonum.org/v1/gonum/stat"
)

// simEvents returns the simulator's event calendar as regressors: one
// indicator per event name over the days its lift applies (known in
// advance, like a retailer's calendar).
func simEvents(truth *simulate.Truth) func(s *shelfwise.Series, t int) []float64 {
	var names []string
	for _, e := range truth.Events {
		if !slices.Contains(names, e.Name) {
			names = append(names, e.Name)
		}
	}
	days := map[int][]float64{}
	for _, e := range truth.Events {
		j := slices.Index(names, e.Name)
		for d := e.Day - e.Lead; d <= e.Day+e.Lag; d++ {
			if days[d] == nil {
				days[d] = make([]float64, len(names))
			}
			days[d][j] = 1
		}
	}
	zero := make([]float64, len(names))
	return func(s *shelfwise.Series, t int) []float64 {
		if v := days[truth.DayIndex(s.Time(t))]; v != nil {
			return v
		}
		return zero
	}
}

// simRegressionSeries simulates two years of a small chain with high
// enough volumes that one product's elasticity can be estimated per store.
func simRegressionSeries(t *testing.T) ([]*shelfwise.Series, *simulate.Truth) {
	simOnce.Do(func() { simSeries, simTruth, simErr = simulateRegression() })
	if simErr != nil {
		t.Fatal(simErr)
	}
	return simSeries, simTruth
}

// The simulated chain is shared by the tests (they do not modify it).
var (
	simOnce   sync.Once
	simSeries []*shelfwise.Series
	simTruth  *simulate.Truth
	simErr    error
)

func simulateRegression() ([]*shelfwise.Series, *simulate.Truth, error) {
	cfg := simulate.M5()
	cfg.Products, cfg.Stores, cfg.Days, cfg.MeanUnits = 40, 2, 730, 6
	cfg.PriceChangeEvery = 30
	var series []*shelfwise.Series
	truth, err := simulate.Series(context.Background(), cfg, func(s *shelfwise.Series) error {
		series = append(series, s)
		return nil
	})
	return series, truth, err
}

// TestRegressionRecoversSimulatedElasticity fits the regression on the
// simulator's product x store series (regular price changes and promotion
// discounts, promotions of kinds with different lifts that the series do
// not show, events, negative-binomial noise) and compares the estimated
// price elasticity with the simulator's true one. One series carries little
// information at this noise (TestRegressionRecoversNoiseFreeElasticity
// shows the estimator itself is accurate), so the test asks for unbiased
// estimates that track the truth.
func TestRegressionRecoversSimulatedElasticity(t *testing.T) {
	series, truth := simRegressionSeries(t)
	events := simEvents(truth)
	var absErr, est, tru []float64
	for _, s := range series {
		fit, err := forecast.FitRegression(s.Values, simRegressors(s, events), forecast.RegressionOptions{Period: 7})
		if err != nil || math.IsNaN(fit.Elasticity) {
			continue
		}
		e := truth.Elasticity(s.Key.SKU)
		absErr = append(absErr, math.Abs(fit.Elasticity-e))
		est, tru = append(est, fit.Elasticity), append(tru, e)
	}
	if len(absErr) < len(series)*3/4 {
		t.Fatalf("elasticity estimated on %d of %d series", len(absErr), len(series))
	}
	slices.Sort(absErr)
	med := absErr[len(absErr)/2]
	bias := stat.Mean(est, nil) - stat.Mean(tru, nil)
	corr := stat.Correlation(est, tru, nil)
	t.Logf("%d series: median |elasticity error| %.3f, 90th percentile %.3f, mean error %+.3f, correlation with truth %.2f",
		len(absErr), med, absErr[len(absErr)*9/10], bias, corr)
	if med > 0.8 || math.Abs(bias) > 0.15 || corr < 0.3 {
		t.Fatalf("median |error| %.3f (want <= 0.8), mean error %+.3f (want within 0.15), correlation %.2f (want >= 0.3)", med, bias, corr)
	}
}

// TestRegressionBeatsBaseOnSimulator forecasts the last 28 days of the
// simulated chain with the per-series choice with and without the
// regression candidate (same seasonal ETS base), knowing the planned prices,
// promotions and event calendar, and scores both against the simulator's
// true mean demand.
func TestRegressionBeatsBaseOnSimulator(t *testing.T) {
	series, truth := simRegressionSeries(t)
	const h = 28
	base := forecast.ETS{Options: forecast.ETSOptions{Period: 7, NoMultiplicative: true, NoTrend: true, OnlySeasonal: true}}
	reg := forecast.Regression{Base: base, Options: forecast.RegressionOptions{Period: 7}}
	score := func(m forecast.Method) (float64, int) {
		ps, err := forecast.Local{Method: m, Events: simEvents(truth)}.Forecast(context.Background(), series, h, h)
		if err != nil {
			t.Fatal(err)
		}
		e, nx := 0.0, 0
		for i, s := range series {
			mu := truth.ExpectedSeries(s.Key.SKU, s.Key.Store)
			n := len(s.Values) - h
			for k := 0; k < h; k++ {
				e += math.Abs(math.Max(ps[i].Mean[k], 0) - mu[n+k])
			}
			if len(ps[i].Model) > 2 && ps[i].Model[len(ps[i].Model)-2:] == "+x" {
				nx++
			}
		}
		return e, nx
	}
	without, _ := score(forecast.Select{Candidates: []forecast.Method{base}})
	with, nx := score(forecast.Select{Candidates: []forecast.Method{base, reg}, Holdout: 56})
	always, _ := score(reg)
	t.Logf("MAE vs true mean over %d series x %d days: ETS %.3f, auto with regression %.3f (chosen on %d), regression always %.3f",
		len(series), h, without/float64(len(series)*h), with/float64(len(series)*h), nx, always/float64(len(series)*h))
	if with >= 0.9*without || always >= 0.9*without {
		t.Fatalf("error vs true mean: ETS %.1f, auto with regression %.1f, regression %.1f; want 10%% lower", without, with, always)
	}
}

// simRegressors are the regressors of a simulated series: its prices and
// promotions, the event calendar, and skipped censored or unavailable days.
func simRegressors(s *shelfwise.Series, events func(*shelfwise.Series, int) []float64) *forecast.Regressors {
	x := &forecast.Regressors{Price: s.Price, Promo: s.Promo, Skip: make([]bool, len(s.Values))}
	for i := range x.Skip {
		x.Skip[i] = !s.Available[i] || s.Censored[i]
		ev := events(s, i)
		if x.Events == nil {
			x.Events = make([][]float64, len(ev))
			for j := range ev {
				x.Events[j] = make([]float64, len(s.Values))
			}
		}
		for j, v := range ev {
			x.Events[j][i] = v
		}
	}
	return x
}

// TestRegressionRecoversNoiseFreeElasticity fits the regression to the
// simulator's true mean demand (no sampling noise): the elasticities come
// out close to the truth, and almost exactly once the promotion kinds'
// lifts, which the series do not show, are divided out.
func TestRegressionRecoversNoiseFreeElasticity(t *testing.T) {
	series, truth := simRegressionSeries(t)
	events := simEvents(truth)
	for _, tc := range []struct {
		name      string
		dropKinds bool
		maxMedian float64
	}{{"true mean", false, 0.25}, {"true mean without promotion kinds", true, 0.06}} {
		var absErr []float64
		for _, s := range series {
			mu := truth.ExpectedSeries(s.Key.SKU, s.Key.Store)
			y := make([]float64, len(mu))
			for i := range y {
				y[i] = 100 * mu[i]
			}
			if tc.dropKinds {
				p, _ := truth.Product(s.Key.SKU)
				for _, pr := range p.Promos {
					for d := pr.Start; d < min(pr.End, len(y)); d++ {
						y[d] /= truth.PromoLift[pr.Kind]
					}
				}
			}
			fit, err := forecast.FitRegression(y, simRegressors(s, events), forecast.RegressionOptions{Period: 7})
			if err != nil || math.IsNaN(fit.Elasticity) {
				continue
			}
			absErr = append(absErr, math.Abs(fit.Elasticity-truth.Elasticity(s.Key.SKU)))
		}
		slices.Sort(absErr)
		med := absErr[len(absErr)/2]
		t.Logf("%s: %d series, median |elasticity error| %.3f, 90th percentile %.3f", tc.name, len(absErr), med, absErr[len(absErr)*9/10])
		if len(absErr) < len(series)*3/4 || med > tc.maxMedian {
			t.Errorf("%s: %d series, median |error| %.3f; want >= %d series and <= %.2f", tc.name, len(absErr), med, len(series)*3/4, tc.maxMedian)
		}
	}
}
