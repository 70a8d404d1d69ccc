package global

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
)

// simWeekly simulates stores x departments of weekly sales sharing a
// department's yearly pattern, each with its own level and a year-on-year
// growth, plus noise.
func simWeekly(rng *rand.Rand, stores, depts, weeks int) []*shelfwise.Series {
	start := time.Date(2010, 2, 5, 0, 0, 0, 0, time.UTC)
	var out []*shelfwise.Series
	for d := 0; d < depts; d++ {
		phase := rng.Float64() * 2 * math.Pi
		amp := 0.2 + 0.4*rng.Float64()
		for s := 0; s < stores; s++ {
			lvl := 500 + 2000*rng.Float64()
			growth := 0.1 * rng.NormFloat64()
			y := make([]float64, weeks)
			for t := range y {
				season := 1 + amp*math.Sin(2*math.Pi*float64(t)/52+phase)
				trend := 1 + growth*float64(t)/52
				y[t] = lvl * season * trend * (1 + 0.05*rng.NormFloat64())
			}
			out = append(out, &shelfwise.Series{
				Key:   shelfwise.SeriesKey{SKU: shelfwise.SKU(rune('a' + d)), Store: shelfwise.StoreID(rune('A' + s))},
				Grain: shelfwise.GrainWeek, Start: start, Values: y})
		}
	}
	return out
}

func TestGlobalBeatsSeasonalNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	series := simWeekly(rng, 6, 5, 130)
	m := &Model{OriginStride: 3}
	m.Params.NumTrees = 60
	opts := forecast.BacktestOptions{Horizon: 13, Windows: 1}
	g, err := forecast.Backtest(context.Background(), m, series, opts)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := forecast.Backtest(context.Background(), forecast.Local{Method: forecast.SeasonalNaive{Period: 52}}, series, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Seasonal naive misses the growth and carries last year's noise; the
	// global model corrects both.
	if g.Metrics.WAPE >= 0.8*sn.Metrics.WAPE {
		t.Fatalf("global WAPE %.4f, seasonal naive %.4f: want at least 20%% better", g.Metrics.WAPE, sn.Metrics.WAPE)
	}
}

func TestDenoiseKeepsLowRankSignal(t *testing.T) {
	// Five stores whose series are multiples of one pattern plus noise:
	// rank-1 denoising must move them closer to the noiseless truth.
	rng := rand.New(rand.NewPCG(1, 1))
	var series []*shelfwise.Series
	var truth [][]float64
	for s := 0; s < 5; s++ {
		y := make([]float64, 60)
		tr := make([]float64, 60)
		for t := range y {
			tr[t] = float64(s+1) * (10 + 5*math.Sin(float64(t)/3))
			y[t] = tr[t] + rng.NormFloat64()
		}
		truth = append(truth, tr)
		series = append(series, &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: "d", Store: shelfwise.StoreID(rune('A' + s))}, Values: y})
	}
	den := denoise(series, 0, 1)
	var before, after float64
	for i := range series {
		for t := range truth[i] {
			before += math.Abs(series[i].Values[t] - truth[i][t])
			after += math.Abs(den[i][t] - truth[i][t])
		}
	}
	if after >= 0.7*before {
		t.Fatalf("denoised error %.1f, raw %.1f: want 30%% less", after, before)
	}
}

func TestEasterAndLag(t *testing.T) {
	for y, want := range map[int]string{2010: "2010-04-04", 2011: "2011-04-24", 2012: "2012-04-08", 2024: "2024-03-31"} {
		if got := easter(y).Format("2006-01-02"); got != want {
			t.Errorf("easter(%d)=%s, want %s", y, got, want)
		}
	}
	m := &Model{}
	// The week of 2012-04-06 holds Easter 2012; the comparable week of 2011
	// (Easter on 24 April) is 2011-04-22, 50 weeks earlier.
	if got := m.seasonLag(time.Date(2012, 4, 6, 0, 0, 0, 0, time.UTC)); got != 50 {
		t.Errorf("lag at Easter 2012 = %d, want 50", got)
	}
	if got := m.seasonLag(time.Date(2012, 7, 6, 0, 0, 0, 0, time.UTC)); got != 52 {
		t.Errorf("lag in July = %d, want 52", got)
	}
	if got := preChristmasDays(time.Date(2011, 12, 16, 0, 0, 0, 0, time.UTC)); got != 5 {
		t.Errorf("pre-Christmas days in week of 2011-12-16 = %v, want 5", got)
	}
}

func TestExplainComponentsSumToMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	series := simWeekly(rng, 4, 3, 120)
	m := &Model{OriginStride: 4, Explain: true}
	m.Params.NumTrees = 20
	ps, err := m.Forecast(context.Background(), series, 0, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		for k, v := range p.Mean {
			sum := 0.0
			for _, c := range p.Components {
				sum += c[k]
			}
			if math.Abs(sum-v) > 1e-6*math.Max(1, math.Abs(v)) {
				t.Fatalf("components sum to %v, mean %v", sum, v)
			}
		}
		if p.Components["event"] == nil || p.Components["trend"] == nil {
			t.Fatalf("missing components: %v", p.Components)
		}
	}
}
