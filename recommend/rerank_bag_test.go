package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// TestRerankBag: the reranker is the average of rerankBag boosted models
// trained with seeds seed, seed+1000, ...: its log-odds are the mean of
// theirs, training twice with one seed gives the same trees, and on a
// planted signal (bought when feature 0 exceeds 0.5, with 10% noise) it
// ranks bought rows above the others.
func TestRerankBag(t *testing.T) {
	if rerankBag < 2 {
		t.Fatalf("rerankBag = %d: the reranker is not bagged", rerankBag)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const n, nf = 3000, 6
	rows := make([][]float64, n)
	y := make([]float64, n)
	wt := make([]float64, n)
	for i := range rows {
		r := make([]float64, nf)
		for j := range r {
			r[j] = rng.Float64()
		}
		rows[i] = r
		if (r[0] > 0.5) != (rng.Float64() < 0.1) {
			y[i] = 1
		}
		wt[i] = 0.5 + rng.Float64()
	}
	ctx := context.Background()
	r, err := trainRerankRows(ctx, rows, y, wt, 25, 7)
	if err != nil {
		t.Fatal(err)
	}
	again, err := trainRerankRows(ctx, rows, y, wt, 25, 7)
	if err != nil {
		t.Fatal(err)
	}
	X, err := gbdt.FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	var single []*gbdt.Model
	for b := range rerankBag {
		m, err := gbdt.Train(ctx, gbdt.Dataset{X: X, Y: y, W: wt}, nil, rerankParams, rand.New(rand.NewPCG(7+uint64(b)*1000, 0x7e)))
		if err != nil {
			t.Fatal(err)
		}
		single = append(single, m)
	}
	trees := 0
	for _, m := range single {
		trees += m.NumTrees()
	}
	if r.Top != 25 || r.Trees.NumTrees() != trees {
		t.Fatalf("reranker: top %d, %d trees; its %d models have %d", r.Top, r.Trees.NumTrees(), len(single), trees)
	}
	var pos, neg []float64
	for i, row := range rows {
		got := r.Trees.PredictRaw(row)
		if again.Trees.PredictRaw(row) != got {
			t.Fatalf("row %d: two trainings with one seed differ", i)
		}
		mean := 0.0
		for _, m := range single {
			mean += m.PredictRaw(row) / float64(len(single))
		}
		if math.Abs(got-mean) > 1e-9 {
			t.Fatalf("row %d: log-odds %g, the mean of the %d models %g", i, got, len(single), mean)
		}
		if row[0] > 0.5 {
			pos = append(pos, got)
		} else {
			neg = append(neg, got)
		}
	}
	if single[0].PredictRaw(rows[0]) == single[1].PredictRaw(rows[0]) && single[1].PredictRaw(rows[0]) == single[2].PredictRaw(rows[0]) {
		t.Fatal("the bagged models are identical: the seeds do not reach them")
	}
	// Area under the curve of the planted rule, on a sample of pairs.
	above, pairs := 0, 0
	for i := 0; i < len(pos); i += 7 {
		for j := 0; j < len(neg); j += 7 {
			pairs++
			if pos[i] > neg[j] {
				above++
			}
		}
	}
	if auc := float64(above) / float64(pairs); auc < 0.95 {
		t.Fatalf("bagged reranker ranks the planted rows with AUC %.3f", auc)
	}
}
