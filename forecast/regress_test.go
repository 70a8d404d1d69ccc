package forecast

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// poisson draws a Poisson variate with mean mu (Knuth for small means, a
// rounded normal beyond).
func poisson(r *rand.Rand, mu float64) float64 {
	if mu > 50 {
		return math.Max(0, math.Round(mu+math.Sqrt(mu)*r.NormFloat64()))
	}
	l, k, p := math.Exp(-mu), 0.0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// priceSeries simulates daily demand with a weekly profile, a slow trend,
// regular price changes, promotions with a discount and a lift, and one
// event kind: mu = base * weekly * trend * (price/10)^elast * lift^promo *
// eventLift^event.
func priceSeries(r *rand.Rand, n int, base, elast, lift, evLift float64) (y []float64, x *Regressors, mu []float64) {
	weekly := []float64{0.8, 0.9, 1, 1, 1.1, 1.3, 0.9}
	x = &Regressors{Price: make([]float64, n), Promo: make([]float64, n), Events: [][]float64{make([]float64, n)}}
	y, mu = make([]float64, n), make([]float64, n)
	regular := 10.0
	for t := 0; t < n; t++ {
		if t > 0 && t%120 == 0 {
			regular *= math.Exp(0.15 * r.NormFloat64())
		}
		price := regular
		if t%45 >= 38 { // a week of promotion every 45 days
			x.Promo[t] = 1
			price *= 1 - []float64{0.1, 0.2, 0.3}[(t/45)%3]
		}
		if t%61 == 30 || t%61 == 31 {
			x.Events[0][t] = 1
		}
		x.Price[t] = price
		m := base * weekly[t%7] * math.Exp(0.3*float64(t)/365) * math.Pow(price/10, elast)
		if x.Promo[t] > 0 {
			m *= lift
		}
		if x.Events[0][t] > 0 {
			m *= evLift
		}
		mu[t], y[t] = m, poisson(r, m)
	}
	return y, x, mu
}

func TestFitRegressionRecoversEffects(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, tc := range []struct {
		name              string
		base, elast, lift float64
		tolE, tolL        float64
	}{
		{"high volume", 40, -1.8, 1.4, 0.1, 0.05},
		{"low counts", 3, -1.2, 1.3, 0.25, 0.12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y, x, _ := priceSeries(r, 730, tc.base, tc.elast, tc.lift, 2)
			fit, err := FitRegression(y, x, RegressionOptions{Period: 7})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("elasticity %.3f (true %.2f), promotion lift %.3f (%.2f), event lift %.3f (2)", fit.Elasticity, tc.elast, fit.PromoLift, tc.lift, fit.EventLift[0])
			if math.Abs(fit.Elasticity-tc.elast) > tc.tolE {
				t.Errorf("elasticity %.3f, want %.2f +- %.2f", fit.Elasticity, tc.elast, tc.tolE)
			}
			if math.Abs(fit.PromoLift-tc.lift) > tc.tolL {
				t.Errorf("promotion lift %.3f, want %.2f +- %.2f", fit.PromoLift, tc.lift, tc.tolL)
			}
			if math.Abs(fit.EventLift[0]-2) > 4*tc.tolL {
				t.Errorf("event lift %.3f, want 2 +- %.2f", fit.EventLift[0], 4*tc.tolL)
			}
		})
	}
}

func TestFitRegressionNeedsVariation(t *testing.T) {
	y := make([]float64, 100)
	x := &Regressors{Price: make([]float64, 100), Promo: make([]float64, 100)}
	for i := range y {
		y[i], x.Price[i] = float64(5+i%3), 2.5
	}
	if _, err := FitRegression(y, x, RegressionOptions{}); err != ErrNoEffects {
		t.Fatalf("constant price, no promotion: err %v, want ErrNoEffects", err)
	}
	// Regression without effects is its base model.
	p, err := Regression{Base: Naive{}}.ForecastX(y, x, 3)
	if err != nil || p.Model != "naive" || p.Mean[0] != y[99] {
		t.Fatalf("fallback forecast %+v, %v", p, err)
	}
}

// TestRegressionForecastBeatsBase forecasts 28 days after a history whose
// horizon holds a promotion and an event: with the known future drivers the
// regression model must be much closer to the true mean than the same ETS
// without them, and its components must add the price, promotion and
// event effects to the base forecast.
func TestRegressionForecastBeatsBase(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	const h = 28
	var errX, errBase float64
	for rep := 0; rep < 6; rep++ {
		y, x, mu := priceSeries(r, 730+h, 20, -2, 1.5, 2)
		n := len(y) - h
		base := ETS{Options: ETSOptions{Period: 7, NoMultiplicative: true, NoTrend: true, OnlySeasonal: true}}
		px, err := Regression{Base: base, Options: RegressionOptions{Period: 7}}.ForecastX(y[:n], x, h)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := base.Forecast(y[:n], h)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < h; k++ {
			errX += math.Abs(px.Mean[k] - mu[n+k])
			errBase += math.Abs(pb.Mean[k] - mu[n+k])
			sum := 0.0
			for _, g := range []string{"price", "promotion", "event"} {
				sum += px.Components[g][k]
			}
			// Base forecast of the adjusted series plus the effects.
			if adj := px.Mean[k] - sum; adj <= 0 {
				t.Fatalf("step %d: mean %.2f less effects %.2f is not a positive base", k, px.Mean[k], sum)
			}
			if x.Promo[n+k] > 0 && px.Components["promotion"][k] <= 0 {
				t.Fatalf("step %d is promoted but the promotion adds %.3f", k, px.Components["promotion"][k])
			}
			if x.Promo[n+k] == 0 && px.Components["promotion"][k] != 0 {
				t.Fatalf("step %d is not promoted but the promotion adds %.3f", k, px.Components["promotion"][k])
			}
		}
	}
	t.Logf("mean absolute error vs true mean: with regressors %.1f, without %.1f", errX, errBase)
	if errX > 0.7*errBase {
		t.Fatalf("error vs true mean: with regressors %.1f, without %.1f; want 30%% lower", errX, errBase)
	}
}

// TestLocalPassesRegressorsToSelect runs the per-series choice through
// Local with the series' prices and promotions: the regression candidate
// must be chosen on most series, and with the regressors hidden never.
func TestLocalPassesRegressorsToSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	const h = 28
	var ss []*shelfwise.Series
	var events [][]float64
	for i := 0; i < 8; i++ {
		y, x, _ := priceSeries(r, 500+h, 15, -2.2, 1.6, 2.5)
		ss = append(ss, &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: shelfwise.SKU(rune('a' + i))}, Grain: shelfwise.GrainPeriod,
			Values: y, Price: x.Price, Promo: x.Promo})
		events = append(events, x.Events[0])
	}
	idx := map[*shelfwise.Series]int{}
	for i, s := range ss {
		idx[s] = i
	}
	base := ETS{Options: ETSOptions{Period: 7, NoMultiplicative: true, NoTrend: true, OnlySeasonal: true}}
	sel := Select{Candidates: []Method{base, Regression{Base: base, Options: RegressionOptions{Period: 7}}}, Holdout: 56}
	ev := func(s *shelfwise.Series, t int) []float64 { return []float64{events[idx[s]][t]} }
	ps, err := Local{Method: sel, Events: ev}.Forecast(context.Background(), ss, h, h)
	if err != nil {
		t.Fatal(err)
	}
	chosen := 0
	for _, p := range ps {
		if len(p.Model) > 2 && p.Model[len(p.Model)-2:] == "+x" {
			chosen++
		}
	}
	t.Logf("regression chosen on %d of 8 series", chosen)
	if chosen < 6 {
		t.Fatalf("regression chosen on %d of 8 series, want >= 6", chosen)
	}
	for _, s := range ss {
		s.Price, s.Promo = nil, nil
	}
	ps, err = Local{Method: sel}.Forecast(context.Background(), ss, h, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Model[len(p.Model)-2:] == "+x" {
			t.Fatalf("model %s used regressors the series do not have", p.Model)
		}
	}
}

// TestFromSalesPointsPromo checks the promotion intensity taken from the
// feature, display and deal shares of the sales points.
func TestFromSalesPointsPromo(t *testing.T) {
	pts := []shelfwise.SalesPoint{
		{SKU: "a", Grain: shelfwise.GrainPeriod, Period: 0, Units: 3},
		{SKU: "a", Grain: shelfwise.GrainPeriod, Period: 1, Units: 5, Deal: 0.5, Display: 0.25},
		{SKU: "b", Grain: shelfwise.GrainPeriod, Period: 0, Units: 1},
	}
	ss, err := FromSalesPoints(pts, SeriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := ss[0].Promo; len(got) != 2 || got[0] != 0 || got[1] != 0.5 {
		t.Errorf("promotion of a: %v, want [0 0.5]", got)
	}
	if ss[1].Promo != nil {
		t.Errorf("promotion of b: %v, want nil", ss[1].Promo)
	}
	for _, name := range []string{"regress", "auto-x"} {
		m, err := MethodByName(name, 7)
		if err != nil || !needsRegressors(m) {
			t.Errorf("%s: %v, %v; want a method taking regressors", name, m, err)
		}
	}
}

// BenchmarkRegressionForecast fits and forecasts one two-year daily series
// with price, promotion and one event kind over seasonal ETS.
func BenchmarkRegressionForecast(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	y, x, _ := priceSeries(r, 730+28, 20, -2, 1.5, 2)
	m := Regression{Base: ETS{Options: ETSOptions{Period: 7, NoMultiplicative: true, NoTrend: true, OnlySeasonal: true}}, Options: RegressionOptions{Period: 7}}
	for i := 0; i < b.N; i++ {
		if _, err := m.ForecastX(y[:730], x, 28); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFitRegression is the effect regression alone.
func BenchmarkFitRegression(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	y, x, _ := priceSeries(r, 730, 20, -2, 1.5, 2)
	for i := 0; i < b.N; i++ {
		if _, err := FitRegression(y, x, RegressionOptions{Period: 7}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestForecastCarriesRegressorComponents checks that the in-process
// Forecast entry point hands the regression's decomposition on: base
// components plus price, promotion and event effects that add up to the
// mean on a promoted step of the horizon.
func TestForecastCarriesRegressorComponents(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	const h = 14
	y, x, _ := priceSeries(r, 600, 30, -1.5, 1.5, 2)
	// The horizon's plan: regular price, a promotion on days 3-9.
	for k := 0; k < h; k++ {
		x.Price = append(x.Price, x.Price[599])
		x.Promo = append(x.Promo, 0)
		if k >= 3 && k < 10 {
			x.Promo[600+k] = 1
		}
	}
	s := &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: "p"}, Grain: shelfwise.GrainPeriod, Values: y, Price: x.Price, Promo: x.Promo}
	m := Regression{Base: ETS{Options: ETSOptions{Period: 7, NoMultiplicative: true, NoTrend: true, OnlySeasonal: true}}, Options: RegressionOptions{Period: 7}}
	fc, err := Forecast(context.Background(), Local{Method: m}, []*shelfwise.Series{s}, h, Options{NonNegative: true})
	if err != nil {
		t.Fatal(err)
	}
	c := fc[0].Components
	for _, name := range []string{"level", "seasonality", "price", "promotion", "event"} {
		if len(c[name]) != h {
			t.Fatalf("component %q missing: %v", name, c)
		}
	}
	for k := 0; k < h; k++ {
		sum := c["level"][k] + c["seasonality"][k] + c["price"][k] + c["promotion"][k] + c["event"][k]
		if !near(sum, fc[0].Mean[k], 1e-6*fc[0].Mean[k]) {
			t.Fatalf("step %d: components add to %.4f, mean %.4f", k, sum, fc[0].Mean[k])
		}
		if promo := c["promotion"][k]; (x.Promo[600+k] > 0) != (promo > 0) {
			t.Fatalf("step %d: promotion %v adds %.3f", k, x.Promo[600+k], promo)
		}
	}
}
