package global

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/simulate"
)

// BenchmarkM5ScaleDaily forecasts the simulator's M5-sized chain (30,490
// daily product x store series, 1,941 days, horizon 28) with the daily blend:
// the global Tweedie model (trained on 10 sampled origins x 8 steps per
// series over the last year before a 28-day validation window, then again
// up to the origin) and the per-series choice among seasonal naive, ETS
// (non-seasonal and weekly) and SBA/TSB on the last 365 days, weighted on
// the validation window, with conformal quantiles. The series keep their
// last 820 days (a year of training targets, the validation and scored
// windows, and a year before for the yearly features). The origin is 28
// days before the end, so the forecasts are scored against the
// simulator's true mean demand (mae_* metrics, units per day) and the
// intervals by their coverage of the actual sales (inclusive, as eval
// forecast scores them: discrete sales cover more than nominal).
// Run with -benchtime 1x under /usr/bin/time -v for the peak memory.
func BenchmarkM5ScaleDaily(b *testing.B) {
	const h, keep = 28, 820
	ctx := context.Background()
	for b.Loop() {
		t0 := time.Now()
		c := simulateChain(b, simulate.M5(), keep)
		simSec := time.Since(t0).Seconds()
		t1 := time.Now()
		bl := &DailyBlend{Global: Daily{Calendar: c.calendar, Products: c.products, Seed: 1}}
		run, err := bl.Run(ctx, c.series, h, h)
		if err != nil {
			b.Fatal(err)
		}
		fcSec := time.Since(t1).Seconds()
		sn, err := forecast.Local{Method: forecast.SeasonalNaive{Period: 7}}.Forecast(ctx, c.series, h, h)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(c.series)), "series")
		b.ReportMetric(simSec, "simulate_s")
		b.ReportMetric(fcSec, "forecast_s")
		b.ReportMetric(run.TrainSeconds, "train_s")
		b.ReportMetric(run.LocalSeconds, "local_s")
		b.ReportMetric(c.errVsTruth(sn, h), "mae_snaive")
		b.ReportMetric(c.errVsTruth(run.Local, h), "mae_local")
		b.ReportMetric(c.errVsTruth(run.Global, h), "mae_global")
		b.ReportMetric(c.errVsTruth(run.Predictions, h), "mae_blend")
		b.ReportMetric(run.Weight[0], "global_weight")
		below, atOrBelow := quantileHits(c.series, h, run.Quantiles, len(run.Levels))
		cov := func(lo, hi float64) float64 {
			l, u := slices.Index(run.Levels, lo), slices.Index(run.Levels, hi)
			return atOrBelow[u] - below[l]
		}
		b.ReportMetric(cov(0.1, 0.9), "coverage_80")
		b.ReportMetric(cov(0.025, 0.975), "coverage_95")
	}
}
