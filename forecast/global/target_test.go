package global

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

func TestPathExplainerSumsToPrediction(t *testing.T) {
	// A model with a categorical column, missing values and an unused
	// column: contributions must sum to the raw prediction for every row
	// (also rows with unseen categories and NaNs), and the unused column
	// gets nothing.
	rng := rand.New(rand.NewPCG(3, 4))
	n := 2000
	X := gbdt.NewMatrix(n, 4)
	Y := make([]float64, n)
	for i := range n {
		a, c := rng.NormFloat64(), float64(rng.IntN(6))
		b := rng.NormFloat64()
		if i%7 == 0 {
			b = math.NaN()
		}
		X.Set(i, 0, a)
		X.Set(i, 1, b)
		X.Set(i, 2, c)
		X.Set(i, 3, 0)
		Y[i] = 2*a + c*c/4 + rng.NormFloat64()*0.1
		if b == b {
			Y[i] += b
		}
	}
	p := gbdt.Params{Objective: gbdt.SquaredError, NumTrees: 30, MaxDepth: 5, Categorical: []int{2}}
	model, err := gbdt.Train(context.Background(), gbdt.Dataset{X: X, Y: Y}, nil, p, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	ex := newPathExplainer(model)
	phi := make([]float64, 5)
	for i := range 200 {
		row := []float64{rng.NormFloat64() * 2, rng.NormFloat64(), float64(rng.IntN(8)), 0}
		if i%5 == 0 {
			row[1] = math.NaN()
		}
		ex.contributions(row, phi)
		sum := 0.0
		for _, v := range phi {
			sum += v
		}
		if want := model.PredictRaw(row); math.Abs(sum-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Fatalf("row %v: contributions sum to %v, prediction %v", row, sum, want)
		}
		if phi[3] != 0 {
			t.Fatalf("unused column got %v", phi[3])
		}
	}
	// The expected value is the mean prediction over the training rows
	// (cover-weighted leaves), up to the row subsampling of none here.
	mean := 0.0
	for i := range n {
		mean += model.PredictRaw(X.Row(i, nil))
	}
	if mean /= float64(n); math.Abs(ex.base-mean) > 1e-6*math.Max(1, math.Abs(mean)) {
		t.Fatalf("expected value %v, mean training prediction %v", ex.base, mean)
	}
}

func TestOriginPhasesPartitionStride(t *testing.T) {
	// Stride 12 at phases 0, 4 and 8 together use exactly the (origin,
	// step) pairs of stride 4, each once.
	all := map[[2]int]int{}
	for _, ph := range []int{0, 4, 8} {
		m := &Model{OriginStride: 12, OriginPhase: ph}
		for _, pr := range m.trainPairs(130, 13) {
			all[pr]++
		}
	}
	ref := (&Model{OriginStride: 4}).trainPairs(130, 13)
	if len(ref) != len(all) {
		t.Fatalf("phases hold %d pairs, stride 4 %d", len(all), len(ref))
	}
	for _, pr := range ref {
		if all[pr] != 1 {
			t.Fatalf("pair %v used %d times", pr, all[pr])
		}
	}
}

// simCounts simulates weekly unit sales: Poisson counts around a yearly
// pattern shared by a department's stores, small means (many zeros).
// It returns the series and their true means.
func simCounts(rng *rand.Rand, stores, depts, weeks int) ([]*shelfwise.Series, [][]float64) {
	start := time.Date(2011, 1, 7, 0, 0, 0, 0, time.UTC)
	var out []*shelfwise.Series
	var mu [][]float64
	for d := 0; d < depts; d++ {
		phase := rng.Float64() * 2 * math.Pi
		for s := 0; s < stores; s++ {
			lvl := 0.5 + 6*rng.Float64()
			y, m := make([]float64, weeks), make([]float64, weeks)
			for t := range y {
				m[t] = lvl * math.Exp(0.8*math.Sin(2*math.Pi*float64(t)/52+phase))
				y[t] = poisson(rng, m[t])
			}
			out = append(out, &shelfwise.Series{
				Key:   shelfwise.SeriesKey{SKU: shelfwise.SKU(rune('a' + d)), Store: shelfwise.StoreID(rune('A' + s))},
				Grain: shelfwise.GrainWeek, Start: start, Values: y})
			mu = append(mu, m)
		}
	}
	return out, mu
}

func poisson(rng *rand.Rand, m float64) float64 {
	l, k, p := math.Exp(-m), 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func TestCountsUseTweedie(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	series, mu := simCounts(rng, 8, 6, 140)
	h, cut := 13, 13
	m := &Model{OriginStride: 2}
	m.Params.NumTrees = 60
	ps, err := m.Forecast(context.Background(), series, cut, h)
	if err != nil {
		t.Fatal(err)
	}
	sn, err := forecast.Local{Method: forecast.SeasonalNaive{Period: 52}}.Forecast(context.Background(), series, cut, h)
	if err != nil {
		t.Fatal(err)
	}
	var eg, es float64
	for i, p := range ps {
		if p.Model != "gbdt-tweedie" {
			t.Fatalf("series %d: model %q, want the Tweedie target for counts", i, p.Model)
		}
		o := len(series[i].Values) - cut
		for k, v := range p.Mean {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("series %d step %d: forecast %v", i, k, v)
			}
			eg += math.Abs(v - mu[i][o+k])
			es += math.Abs(sn[i].Mean[k] - mu[i][o+k])
		}
	}
	// Against the true means, the Tweedie model pools the yearly pattern
	// over stores; the seasonal naive carries last year's Poisson noise.
	if eg >= 0.7*es {
		t.Fatalf("Tweedie model error %.1f vs seasonal naive %.1f against the true means: want 30%% less", eg, es)
	}
	// Revenue-like values (not integers) keep the change target.
	for _, s := range series {
		s.Values[0] += 0.5
	}
	if m.counts(series, cut) {
		t.Fatal("non-integer values taken as counts")
	}
	m.Target = TargetCounts
	if !m.counts(series, cut) {
		t.Fatal("TargetCounts not forced")
	}
}
