package forecast

import (
	"math/rand/v2"
	"testing"
)

func TestBottomUpSums(t *testing.T) {
	h := Hierarchy{Bottom: 3, Aggregates: [][]int{{0, 1, 2}, {0, 1}}}
	out := h.BottomUp([][]float64{{1, 2}, {3, 4}, {5, 6}})
	if out[0][0] != 9 || out[0][1] != 12 || out[1][1] != 6 || out[4][0] != 5 {
		t.Fatalf("bottom-up gave %v", out)
	}
}

func TestMinTCoherentAndKeepsCoherentForecasts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := Hierarchy{Bottom: 4, Aggregates: [][]int{{0, 1, 2, 3}, {0, 1}, {2, 3}}}
	res := make([][]float64, h.Rows())
	for i := range res {
		res[i] = make([]float64, 30)
		for t := range res[i] {
			res[i][t] = rng.NormFloat64() * float64(1+i%3)
		}
	}
	// Coherent base forecasts stay unchanged.
	coh := h.BottomUp([][]float64{{1}, {2}, {3}, {4}})
	out, _, err := h.MinT(coh, res)
	if err != nil {
		t.Fatal(err)
	}
	for i := range coh {
		if !near(out[i][0], coh[i][0], 1e-8) {
			t.Fatalf("row %d: %v, want %v", i, out[i][0], coh[i][0])
		}
	}
	// Incoherent base forecasts come out coherent.
	base := [][]float64{{12}, {2}, {8}, {1}, {2}, {3}, {4}}
	out, lambda, err := h.MinT(base, res)
	if err != nil {
		t.Fatal(err)
	}
	if lambda < 0 || lambda > 1 {
		t.Fatalf("shrinkage %v outside [0,1]", lambda)
	}
	b := out[3:]
	if !near(out[0][0], b[0][0]+b[1][0]+b[2][0]+b[3][0], 1e-8) || !near(out[1][0], b[0][0]+b[1][0], 1e-8) {
		t.Fatalf("MinT result %v is not coherent", out)
	}
}

func TestMinTIdentityIsOLS(t *testing.T) {
	// With equal independent errors MinT is OLS reconciliation: for one
	// total over two bottoms, base (total 10, bottoms 3, 3) moves the
	// bottoms up by (10-6)/3 each and the total down by the same.
	h := Hierarchy{Bottom: 2, Aggregates: [][]int{{0, 1}}}
	res := [][]float64{{1, -1, 1, -1, 1, -1}, {1, 1, -1, -1, 1, -1}, {-1, 1, 1, -1, -1, 1}}
	out, _, err := h.MinT([][]float64{{10}, {3}, {3}}, res)
	if err != nil {
		t.Fatal(err)
	}
	if !near(out[1][0], 3+4.0/3, 0.3) || !near(out[0][0], out[1][0]+out[2][0], 1e-9) {
		t.Fatalf("reconciled %v", out)
	}
}
