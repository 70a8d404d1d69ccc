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

func TestCovariateFeatures(t *testing.T) {
	w0 := time.Date(2011, 2, 4, 0, 0, 0, 0, time.UTC)
	w1 := w0.AddDate(0, 0, 7*52)
	cs := []shelfwise.Covariate{
		{Store: "1", Date: w0, Name: "temperature", Value: 40},
		{Store: "1", Date: w1, Name: "temperature", Value: 45.5},
		{Store: "1", Date: w1, Name: "markdown1", Value: 1000},
		{Date: w0, Name: "cpi", Value: 200}, // chain-wide
		{Date: w1, Name: "cpi", Value: 206},
		{Store: "1", Date: w1, Name: "humidity", Value: 3}, // not asked for
	}
	m := &Model{Covariates: NewCovariates([]string{"temperature", "markdown1", "cpi"}, cs)}
	if got := m.numFeatures(); got != numFeatures+6 {
		t.Fatalf("numFeatures=%d, want %d", got, numFeatures+6)
	}
	row := make([]float64, m.numFeatures())
	m.covariateFeatures(row, "1", w1, 52)
	want := []float64{45.5, 5.5, 1000, math.NaN(), 206, 6}
	for j, w := range want {
		got := row[numFeatures+j]
		if math.IsNaN(w) != math.IsNaN(got) || (!math.IsNaN(w) && got != w) {
			t.Errorf("column %d = %v, want %v", j, got, w)
		}
	}
	// Another store only has the chain-wide CPI.
	m.covariateFeatures(row, "2", w1, 52)
	if !math.IsNaN(row[numFeatures]) || row[numFeatures+4] != 206 {
		t.Errorf("store 2: temperature %v cpi %v, want NaN and 206", row[numFeatures], row[numFeatures+4])
	}
	if (&Model{}).numFeatures() != numFeatures {
		t.Error("a model without covariates has extra columns")
	}
}

// TestCovariatesLearnMarkdownEffect simulates sales lifted by a known
// markdown in the target week: the model with the markdown as a covariate
// must forecast the held-out weeks better than the one without.
func TestCovariatesLearnMarkdownEffect(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	series := simWeekly(rng, 5, 4, 120)
	var cs []shelfwise.Covariate
	for st := 0; st < 5; st++ {
		store := shelfwise.StoreID(rune('A' + st))
		for w := range 120 {
			md := 0.0
			if rng.Float64() < 0.3 {
				md = 1
			}
			cs = append(cs, shelfwise.Covariate{Store: store, Date: series[0].Time(w), Name: "markdown1", Value: md})
			for _, s := range series {
				if s.Key.Store == store {
					s.Values[w] *= 1 + 0.4*md
				}
			}
		}
	}
	opts := forecast.BacktestOptions{Horizon: 13, Windows: 1}
	run := func(m *Model) float64 {
		m.OriginStride = 3
		m.Params.NumTrees = 60
		r, err := forecast.Backtest(context.Background(), m, series, opts)
		if err != nil {
			t.Fatal(err)
		}
		return r.Metrics.WAPE
	}
	without := run(&Model{})
	with := run(&Model{Covariates: NewCovariates([]string{"markdown1"}, cs)})
	t.Logf("WAPE without markdowns %.4f, with %.4f", without, with)
	if with > 0.8*without {
		t.Errorf("WAPE with the markdown covariate %.4f, want at most 0.8 x %.4f", with, without)
	}
}
