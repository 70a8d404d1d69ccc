package forecast_test

import (
	"context"
	"math"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/forecast/global"
	"github.com/shelfwise/shelfwise/simulate"
)

// simulated returns the last `keep` days of every simulated series.
func simulated(t testing.TB, cfg simulate.Config, keep int) ([]*shelfwise.Series, *simulate.Truth) {
	var series []*shelfwise.Series
	truth, err := simulate.Series(context.Background(), cfg, func(s *shelfwise.Series) error {
		if n := len(s.Values); n > keep {
			c := *s
			c.Start = s.Time(n - keep)
			c.Values = append([]float64(nil), s.Values[n-keep:]...)
			c.Price, c.Promo, c.Available, c.Censored = nil, nil, nil, nil
			s = &c
		}
		series = append(series, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return series, truth
}

// TestSimulatedBeatsSeasonalNaive checks forecasts against the simulator's
// true mean demand: the per-series choice must be closer to it than the
// seasonal naive.
func TestSimulatedBeatsSeasonalNaive(t *testing.T) {
	cfg := simulate.M5()
	cfg.Products, cfg.Stores, cfg.Days = 60, 2, 400
	series, truth := simulated(t, cfg, 400)
	const h = 28
	score := func(m forecast.Method) float64 {
		ps, err := forecast.Local{Method: m}.Forecast(context.Background(), series, h, h)
		if err != nil {
			t.Fatal(err)
		}
		e := 0.0
		for i, s := range series {
			mu := truth.ExpectedSeries(s.Key.SKU, s.Key.Store)
			n := len(s.Values) - h
			for k := 0; k < h; k++ {
				e += math.Abs(math.Max(ps[i].Mean[k], 0) - mu[len(mu)-len(s.Values)+n+k])
			}
		}
		return e
	}
	auto, sn := score(global.DailyLocal()), score(forecast.SeasonalNaive{Period: 7})
	if auto >= 0.8*sn {
		t.Fatalf("error vs true mean: auto %.1f, seasonal naive %.1f; want 20%% lower", auto, sn)
	}
}

// BenchmarkM5ScaleSimulator forecasts the simulator's M5-sized chain
// (30,490 daily product x store series, 1,941 days, horizon 28) with the
// per-series choice, fitting on the last 365 days of each series (older
// days are dropped as they stream in, keeping memory bounded). The global
// model is not part of this benchmark.
func BenchmarkM5ScaleSimulator(b *testing.B) {
	cfg := simulate.M5()
	for i := 0; i < b.N; i++ {
		series, _ := simulated(b, cfg, 365)
		if _, err := (forecast.Local{Method: global.DailyLocal()}).Forecast(context.Background(), series, 0, 28); err != nil {
			b.Fatal(err)
		}
	}
}
