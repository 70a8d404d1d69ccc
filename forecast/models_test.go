package forecast

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// simETS simulates an ETS(A,Ad,N) series with known parameters.
func simETS(rng *rand.Rand, n int, alpha, beta, phi, l, b, sigma float64) []float64 {
	y := make([]float64, n)
	for t := range y {
		e := sigma * rng.NormFloat64()
		yh := l + phi*b
		y[t] = yh + e
		l = yh + alpha*e
		b = phi*b + beta*e
	}
	return y
}

func TestETSRecoversParameters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	y := simETS(rng, 3000, 0.3, 0.05, 1, 100, 0.5, 1)
	f, err := FitETS(y, ETSSpec{Error: 'A', Trend: 'A', Season: 'N'})
	if err != nil {
		t.Fatal(err)
	}
	if !near(f.Alpha, 0.3, 0.05) || !near(f.Beta, 0.05, 0.03) {
		t.Fatalf("alpha=%.3f beta=%.3f, want 0.3 0.05", f.Alpha, f.Beta)
	}
	if !near(f.L0, 100, 3) || !near(f.B0, 0.5, 0.5) {
		t.Fatalf("l0=%.2f b0=%.2f, want 100 0.5", f.L0, f.B0)
	}
	if !near(math.Sqrt(f.Sigma2), 1, 0.05) {
		t.Fatalf("sigma=%.3f, want 1", math.Sqrt(f.Sigma2))
	}
}

func TestETSConstantSeries(t *testing.T) {
	y := make([]float64, 50)
	for i := range y {
		y[i] = 7
	}
	f, err := AutoETS(y, ETSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mean, _, _ := f.Forecast(5)
	for _, v := range mean {
		if !near(v, 7, 1e-6) {
			t.Fatalf("%s forecast %v on a constant 7", f.Spec, mean)
		}
	}
}

func TestAutoETSPicksTrend(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	y := make([]float64, 200)
	for i := range y {
		y[i] = 50 + 2*float64(i) + rng.NormFloat64()
	}
	f, err := AutoETS(y, ETSOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Spec.Trend != 'A' {
		t.Fatalf("chose %s on a strongly trending series", f.Spec)
	}
	mean, _, _ := f.Forecast(10)
	if want := 50 + 2*209.0; !near(mean[9], want, 6) {
		t.Fatalf("10-step forecast %.1f, want about %.1f", mean[9], want)
	}
}

func TestSeasonalETSRecoversSeason(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := 12
	season := make([]float64, m)
	for j := range season {
		season[j] = 10 * math.Sin(2*math.Pi*float64(j)/float64(m))
	}
	y := make([]float64, 12*m)
	for i := range y {
		y[i] = 100 + season[i%m] + 0.5*rng.NormFloat64()
	}
	f, err := FitETS(y, ETSSpec{Error: 'A', Trend: 'N', Season: 'A', Period: m})
	if err != nil {
		t.Fatal(err)
	}
	mean, _, comps := f.Forecast(m)
	for k := range mean {
		if want := 100 + season[(len(y)+k)%m]; !near(mean[k], want, 1.5) {
			t.Fatalf("step %d: %.2f, want %.2f", k, mean[k], want)
		}
	}
	if comps["seasonality"] == nil {
		t.Fatal("no seasonality component")
	}
}

func TestThetaOnLine(t *testing.T) {
	// On an exact line Theta's forecast continues it at half the slope
	// from SES's level, which converges onto the line (alpha -> 1).
	y := make([]float64, 100)
	for i := range y {
		y[i] = 10 + float64(i)
	}
	p, err := Theta{}.Forecast(y, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Mean[0] < 109 || p.Mean[2] <= p.Mean[0] {
		t.Fatalf("theta forecast %v does not continue the line", p.Mean)
	}
}

func TestCrostonKnownAnswer(t *testing.T) {
	// Demands 4 (after 2 periods) and 6 (after 3): z = 4 + 0.1*(6-4) = 4.2,
	// p = 2 + 0.1*(3-2) = 2.1 -> 2; SBA 2 * 0.95 = 1.9.
	y := []float64{0, 4, 0, 0, 6}
	p, _ := Croston{}.Forecast(y, 2)
	if !near(p.Mean[0], 4.2/2.1, 1e-12) {
		t.Fatalf("croston=%v, want 2", p.Mean[0])
	}
	p, _ = Croston{Variant: CrostonSBA}.Forecast(y, 2)
	if !near(p.Mean[1], 0.95*4.2/2.1, 1e-12) {
		t.Fatalf("sba=%v, want 1.9", p.Mean[1])
	}
	p, _ = Croston{}.Forecast([]float64{0, 0, 0}, 2)
	if p.Mean[0] != 0 {
		t.Fatalf("croston on no demand = %v", p.Mean)
	}
}

func TestTSBDecaysAfterDemandStops(t *testing.T) {
	y := []float64{5, 5, 5, 5, 5, 5, 0, 0, 0, 0, 0, 0, 0, 0}
	p, _ := TSB{Alpha: 0.1, Beta: 0.2}.Forecast(y, 1)
	// Probability starts at 6/14 and ends after 6 ones and 8 zeros.
	pr := 6.0 / 14
	for _, v := range y {
		if v != 0 {
			pr += 0.2 * (1 - pr)
		} else {
			pr *= 0.8
		}
	}
	if !near(p.Mean[0], 5*pr, 1e-12) {
		t.Fatalf("tsb=%v, want %v", p.Mean[0], 5*pr)
	}
	c, _ := Croston{}.Forecast(y, 1)
	if p.Mean[0] >= c.Mean[0] {
		t.Fatalf("tsb %v should fall below croston %v after demand stops", p.Mean[0], c.Mean[0])
	}
}

func TestSeasonalNaive(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	p, _ := SeasonalNaive{Period: 4}.Forecast(y, 6)
	want := []float64{5, 6, 7, 8, 5, 6}
	for k := range want {
		if p.Mean[k] != want[k] {
			t.Fatalf("snaive=%v, want %v", p.Mean, want)
		}
	}
	p, _ = SeasonalNaive{Period: 4, LevelAdjust: true}.Forecast(y, 1)
	if p.Mean[0] != 9 {
		t.Fatalf("level-adjusted snaive=%v, want 9", p.Mean[0])
	}
	p, _ = MovingAverage{Window: 2}.Forecast(y, 1)
	if p.Mean[0] != 7.5 {
		t.Fatalf("ma=%v, want 7.5", p.Mean[0])
	}
}

func TestEnsembleAverages(t *testing.T) {
	y := []float64{1, 2, 3, 4}
	p, err := Ensemble{Members: []Method{Naive{}, MovingAverage{Window: 4}}, Weights: []float64{3, 1}}.Forecast(y, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := (3*4 + 2.5) / 4; !near(p.Mean[1], want, 1e-12) {
		t.Fatalf("ensemble=%v, want %v", p.Mean[1], want)
	}
}

func TestForEachStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	var seen [100]bool
	err := ForEach(context.Background(), 100, 3, func(i int) error {
		seen[i] = true
		if i == 10 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err=%v, want boom", err)
	}
	var n atomic.Int64
	if err := ForEach(context.Background(), 1000, 4, func(i int) error { n.Add(int64(i)); return nil }); err != nil {
		t.Fatal(err)
	}
	if got, want := n.Load(), int64(999*1000/2); got != want {
		t.Fatalf("sum of indices=%d, want %d", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ForEach(ctx, 10, 2, func(int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx gave %v", err)
	}
}

func TestSelectPicksTheRightModel(t *testing.T) {
	// A pure weekly pattern: seasonal naive is exact, naive is not.
	y := make([]float64, 70)
	for i := range y {
		y[i] = float64(i%7) * 10
	}
	p, err := Select{Candidates: []Method{Naive{}, SeasonalNaive{Period: 7}}}.Forecast(y, 7)
	if err != nil {
		t.Fatal(err)
	}
	if p.Model != "snaive" || p.Mean[0] != 0 || p.Mean[6] != 60 {
		t.Fatalf("select gave %s %v", p.Model, p.Mean)
	}
}

func TestForecastQuantilesAndOrigin(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var vals [][]float64
	var ids []string
	for i := 0; i < 40; i++ {
		y := make([]float64, 80)
		for t := range y {
			y[t] = 100 + 5*rng.NormFloat64()
		}
		vals = append(vals, y)
		ids = append(ids, string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	fcs, err := Forecast(context.Background(), Local{Method: MovingAverage{Window: 20}}, NewSeries(ids, vals), 5, Options{NonNegative: true})
	if err != nil {
		t.Fatal(err)
	}
	f := fcs[0]
	if f.OriginPeriod != 80 || len(f.Mean) != 5 || len(f.Levels) != len(DefaultLevels) {
		t.Fatalf("origin %d, %d steps, %d levels", f.OriginPeriod, len(f.Mean), len(f.Levels))
	}
	// Conformal quantiles of N(100, 5) noise around a good mean: the 5%..95%
	// band should be about 2 x 1.645 x 5 wide (the scale is the mean
	// absolute lag-1 difference, 5*2/sqrt(pi)).
	lo, hi := f.Quantiles[LevelIndex(f.Levels, 0.05)][0], f.Quantiles[LevelIndex(f.Levels, 0.95)][0]
	if w := hi - lo; w < 10 || w > 24 {
		t.Fatalf("90%% band width %.1f, want about 16.5", w)
	}
	for i := 1; i < len(f.Levels); i++ {
		for k := range f.Mean {
			if f.Quantiles[i][k] < f.Quantiles[i-1][k] {
				t.Fatal("quantiles cross")
			}
		}
	}
}

func TestBacktestConformalCoverage(t *testing.T) {
	// Gaussian random walks: the naive forecast with conformal quantiles
	// from two earlier windows should cover close to nominal.
	rng := rand.New(rand.NewPCG(9, 10))
	var series []*shelfwise.Series
	for i := 0; i < 300; i++ {
		y := make([]float64, 100)
		v := 1000.0
		for t := range y {
			v += rng.NormFloat64()
			y[t] = v
		}
		series = append(series, &shelfwise.Series{Values: y})
	}
	r, err := Backtest(context.Background(), Local{Method: Naive{}}, series, BacktestOptions{Horizon: 6, Windows: 1, CalibrationWindows: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c := r.Metrics.Coverage80; c < 0.75 || c > 0.85 {
		t.Fatalf("80%% coverage %.3f", c)
	}
	if c := r.Metrics.Coverage95; c < 0.91 || c > 0.985 {
		t.Fatalf("95%% coverage %.3f", c)
	}
}

func TestLocalSkipsStepsBeforeLaunch(t *testing.T) {
	// Zeros before launch must not pull the mean down.
	s := &shelfwise.Series{Values: []float64{0, 0, 0, 0, 6, 6}, Available: []bool{false, false, false, false, true, true}}
	ps, err := Local{Method: MovingAverage{}}.Forecast(context.Background(), []*shelfwise.Series{s}, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ps[0].Mean[0] != 6 {
		t.Fatalf("mean over the launched period = %v, want 6", ps[0].Mean[0])
	}
}

func TestBlendWeightsForecasters(t *testing.T) {
	s := []*shelfwise.Series{{Values: []float64{1, 2, 3, 4}}}
	b := Blend{Members: []Forecaster{Local{Method: Naive{}}, Local{Method: MovingAverage{}}}, Weights: []float64{1, 3}}
	ps, err := b.Forecast(context.Background(), s, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	// (1*4 + 3*2.5) / 4 = 2.875; the level component blends the same way.
	if !near(ps[0].Mean[1], 2.875, 1e-12) || !near(ps[0].Components["level"][0], 2.875, 1e-12) {
		t.Fatalf("blend %v components %v", ps[0].Mean, ps[0].Components)
	}
	if _, err := (Blend{Members: b.Members}).Forecast(context.Background(), s, 0, 2); err == nil {
		t.Fatal("blend without weights did not fail")
	}
}
