package gbdt

import (
	"math"
	"sort"
	"testing"
)

// quantileBySort is the reference: sort and walk the cumulative weights.
func quantileBySort(v, w []float64, alpha float64) float64 {
	idx := make([]int, len(v))
	var tot float64
	for i := range idx {
		idx[i] = i
		tot += w[i]
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	var acc float64
	for _, i := range idx {
		acc += w[i]
		if acc >= alpha*tot {
			return v[i]
		}
	}
	return v[idx[len(idx)-1]]
}

func TestWeightedQuantileMatchesSort(t *testing.T) {
	r := rng(40)
	for trial := 0; trial < 300; trial++ {
		n := 1 + r.IntN(60)
		v := make([]float64, n)
		w := make([]float64, n)
		for i := range v {
			v[i] = float64(r.IntN(12)) // ties on purpose
			w[i] = r.Float64() + 0.01
		}
		alpha := r.Float64()
		want := quantileBySort(v, w, alpha)
		if got := weightedQuantile(append([]float64(nil), v...), append([]float64(nil), w...), alpha); got != want {
			t.Fatalf("trial %d: weighted quantile %v, want %v (v=%v w=%v alpha=%v)", trial, got, want, v, w, alpha)
		}
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		pos := alpha * float64(n-1)
		k := int(pos)
		wantU := s[k]
		if k+1 < n {
			wantU = s[k]*(1-(pos-float64(k))) + s[k+1]*(pos-float64(k))
		}
		if got := weightedQuantile(append([]float64(nil), v...), nil, alpha); math.Abs(got-wantU) > 1e-12 {
			t.Fatalf("trial %d: quantile %v, want %v", trial, got, wantU)
		}
	}
}

// TestWeightedQuantileManyTies checks large samples dominated by one value
// (daily sales full of zeros), where a two-way partition would take
// quadratic time: same answers as the sort.
func TestWeightedQuantileManyTies(t *testing.T) {
	r := rng(41)
	n := 100_000
	v := make([]float64, n)
	w := make([]float64, n)
	for i := range v {
		if r.Float64() < 0.1 {
			v[i] = float64(1 + r.IntN(5))
		}
		w[i] = 1 + r.Float64()
	}
	for _, alpha := range []float64{0.05, 0.5, 0.9, 0.95} {
		want := quantileBySort(v, w, alpha)
		if got := weightedQuantile(append([]float64(nil), v...), append([]float64(nil), w...), alpha); got != want {
			t.Errorf("alpha %v: weighted quantile %v, want %v", alpha, got, want)
		}
		s := append([]float64(nil), v...)
		sort.Float64s(s)
		k := int(alpha * float64(n-1))
		if got := selectKth(append([]float64(nil), v...), k); got != s[k] {
			t.Errorf("alpha %v: %d-th smallest %v, want %v", alpha, k, got, s[k])
		}
	}
}

// BenchmarkWeightedQuantileTies is the quantile of 100,000 values, 90% zeros.
func BenchmarkWeightedQuantileTies(b *testing.B) {
	r := rng(42)
	v := make([]float64, 100_000)
	w := make([]float64, len(v))
	for i := range v {
		if r.Float64() < 0.1 {
			v[i] = float64(1 + r.IntN(5))
		}
		w[i] = 1
	}
	vv, ww := make([]float64, len(v)), make([]float64, len(w))
	for i := 0; i < b.N; i++ {
		copy(vv, v)
		copy(ww, w)
		weightedQuantile(vv, ww, 0.9)
	}
}

// TestQuantileBaseScoreKeepsWeights checks that the quantile objective's
// starting score leaves the rows' weights as they were (the selection
// reorders what it is given; it used to be given the weights themselves).
func TestQuantileBaseScoreKeepsWeights(t *testing.T) {
	y := []float64{5, 1, 4, 2, 3, 0, 6}
	w := []float64{1, 2, 3, 4, 5, 6, 7}
	orig := append([]float64(nil), w...)
	got := baseScore(&Params{Objective: Quantile, Alpha: 0.5}, y, w)
	if want := quantileBySort(y, orig, 0.5); got != want {
		t.Fatalf("base score %v, want %v", got, want)
	}
	for i := range w {
		if w[i] != orig[i] {
			t.Fatalf("weights reordered: %v, were %v", w, orig)
		}
	}
}
