package gbdt

import (
	"context"
	"math"
	"testing"
)

func TestAverage(t *testing.T) {
	// Three logistic models on the same rows (one numeric, one categorical
	// feature), each with its own row and column samples: the average
	// predicts the mean raw score and its TreeSHAP values are the mean of
	// the members'.
	r := rng(21)
	n := 2000
	X := NewMatrix(n, 2)
	y := make([]float64, n)
	for i := range n {
		x0, c := r.Float64(), r.IntN(6)
		X.Set(i, 0, x0)
		X.Set(i, 1, float64(c))
		if r.Float64() < 1/(1+math.Exp(-(4*x0-2+float64(c%3)-1))) {
			y[i] = 1
		}
	}
	p := Params{Objective: Logistic, NumTrees: 20, MaxDepth: 3, RowSubsample: 0.7, ColSubsample: 0.5, Categorical: []int{1}}
	var ms []*Model
	for range 3 {
		m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, p, r)
		if err != nil {
			t.Fatal(err)
		}
		ms = append(ms, m)
	}
	avg, err := Average(ms...)
	if err != nil {
		t.Fatal(err)
	}
	if avg.NumTrees() != 60 || avg.Rounds != 60 {
		t.Fatalf("%d trees, %d rounds, want 60 and 60", avg.NumTrees(), avg.Rounds)
	}
	for _, row := range [][]float64{{0.1, 0}, {0.5, 2}, {0.9, 4}, {math.NaN(), 5}, {0.3, 9}} {
		var want float64
		wantPhi := make([]float64, 3)
		for _, m := range ms {
			want += m.PredictRaw(row) / 3
			for j, v := range m.Contributions(row) {
				wantPhi[j] += v / 3
			}
		}
		if got := avg.PredictRaw(row); math.Abs(got-want) > 1e-12 {
			t.Errorf("row %v: %v, want %v", row, got, want)
		}
		for j, v := range avg.Contributions(row) {
			if math.Abs(v-wantPhi[j]) > 1e-9 {
				t.Errorf("row %v: contribution %d %v, want %v", row, j, v, wantPhi[j])
			}
		}
	}
	// A model with another feature count cannot join.
	X3 := NewMatrix(n, 3)
	other, err := Train(context.Background(), Dataset{X: X3, Y: y}, nil, Params{NumTrees: 2}, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Average(ms[0], other); err == nil {
		t.Fatal("Average accepted models with 2 and 3 features")
	}
	if _, err := Average(); err == nil {
		t.Fatal("Average of nothing succeeded")
	}
}
