package forecast_test

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

// ojSeries reads Dominick's orange juice panel (store x brand weekly units
// with own price, deal and feature) as series.
func ojSeries(t *testing.T) []*shelfwise.Series {
	var mem ingest.Memory
	if _, err := ingest.Read(context.Background(), "dominicks-bayesm", realdata.Path(t, "dominicks_oj_bayesm"), ingest.Options{}, &mem); err != nil {
		t.Fatal(err)
	}
	ss, err := forecast.FromSalesPoints(mem.SalesPoints, forecast.SeriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ss
}

// TestRegressionDominicksOJ estimates own-price elasticities on the real
// Dominick's orange juice panel, where studies of these data find strongly
// elastic demand (log-log elasticities around -2 to -4), and backtests the
// regression against the same ETS without regressors on 8 weeks after
// every series' data (prices and promotions of those weeks known as plans).
func TestRegressionDominicksOJ(t *testing.T) {
	ss := ojSeries(t)
	var el []float64
	for _, s := range ss {
		x := &forecast.Regressors{Price: s.Price, Promo: s.Promo}
		if s.Available != nil {
			x.Skip = make([]bool, len(s.Values))
			for i, a := range s.Available {
				x.Skip[i] = !a
			}
		}
		fit, err := forecast.FitRegression(s.Values, x, forecast.RegressionOptions{Knot: 13})
		if err == nil && !math.IsNaN(fit.Elasticity) {
			el = append(el, fit.Elasticity)
		}
	}
	slices.Sort(el)
	neg := 0
	for _, e := range el {
		if e < 0 {
			neg++
		}
	}
	med := el[len(el)/2]
	t.Logf("%d of %d series: median elasticity %.2f (quartiles %.2f, %.2f), %.1f%% negative",
		len(el), len(ss), med, el[len(el)/4], el[len(el)*3/4], 100*float64(neg)/float64(len(el)))
	if len(el) < len(ss)*4/5 || med > -1.5 || med < -4.5 || neg < len(el)*9/10 {
		t.Fatalf("elasticities on %d series, median %.2f, %d negative: want >= 80%% of series, median in [-4.5, -1.5], >= 90%% negative", len(el), med, neg)
	}

	// One window on every third series keeps the test quick.
	var sub []*shelfwise.Series
	for i := 0; i < len(ss); i += 3 {
		sub = append(sub, ss[i])
	}
	o := forecast.BacktestOptions{Horizon: 8, Windows: 1, NonNegative: true}
	base := forecast.ETS{}
	mase := func(m forecast.Method) float64 {
		res, err := forecast.Backtest(context.Background(), forecast.Local{Method: m}, sub, o)
		if err != nil {
			t.Fatal(err)
		}
		return res.Metrics.MASE
	}
	mb, mx := mase(base), mase(forecast.Regression{Base: base})
	t.Logf("%d series, last 8 weeks: MASE %.4f with price and promotion, %.4f without", len(sub), mx, mb)
	if mx > 0.9*mb {
		t.Fatalf("MASE with regressors %.4f, without %.4f: want 10%% lower", mx, mb)
	}
}
