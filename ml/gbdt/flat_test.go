package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// flatData: 6 features, some missing, y depends on interactions; column 5
// holds category codes.
func flatData(n int, r *rand.Rand) (*Matrix, []float64) {
	X := NewMatrix(n, 6)
	y := make([]float64, n)
	for i := range n {
		a, b, c := r.NormFloat64(), r.NormFloat64(), r.Float64()
		code := float64(r.IntN(8))
		X.Set(i, 0, a)
		X.Set(i, 1, b)
		X.Set(i, 2, c)
		X.Set(i, 3, r.NormFloat64())
		if r.IntN(5) == 0 {
			X.Set(i, 3, math.NaN())
		}
		X.Set(i, 4, float64(r.IntN(3)))
		X.Set(i, 5, code)
		if a*b+c-0.3*code/8+0.1*r.NormFloat64() > 0.2 {
			y[i] = 1
		}
	}
	return X, y
}

// TestFlatMatchesPredictRaw: Flat's batch predictions equal PredictRaw bit
// for bit (numeric splits with missing values, categorical splits through
// the fallback, trees padded to shallowDepth for rows without missing
// values, and deeper trees walked node by node), on rows that include NaN
// and unseen values.
func TestFlatMatchesPredictRaw(t *testing.T) {
	X, y := flatData(4000, rng(21))
	for _, c := range []struct {
		cat   []int
		depth int
	}{{nil, 5}, {nil, 2}, {nil, 7}, {[]int{5}, 5}} {
		cat := c.cat
		m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
			Params{Objective: Logistic, NumTrees: 61, LearningRate: 0.1, MaxDepth: c.depth, MinSamplesLeaf: 10, Categorical: cat}, rng(22))
		if err != nil {
			t.Fatal(err)
		}
		f := m.Flatten()
		if f.Model() != m || f.hasCat != (cat != nil) {
			t.Fatalf("categorical %v: hasCat %v", cat, f.hasCat)
		}
		if wantShallow := cat == nil && c.depth <= shallowDepth; (f.shallow != nil) != wantShallow {
			t.Fatalf("categorical %v, depth %d: padded trees %v", cat, c.depth, f.shallow != nil)
		}
		// Thresholds per feature: rows are given values exactly on them
		// too (a row at a threshold goes left).
		thr := make([][]float32, X.Cols)
		for _, tr := range m.Trees {
			for _, nd := range tr.Nodes {
				if nd.Left >= 0 && nd.Cat < 0 {
					thr[nd.Feature] = append(thr[nd.Feature], nd.Threshold)
				}
			}
		}
		r := rng(23)
		n := 500
		rows := make([]float32, n*X.Cols)
		for i := range n {
			for j := range X.Cols {
				v := float32(X.At(r.IntN(X.Rows), j))
				switch r.IntN(20) {
				case 0:
					if i < n/2 {
						v = float32(math.NaN())
					}
				case 1:
					v = float32(r.NormFloat64() * 3)
				case 2, 3, 4, 5:
					if len(thr[j]) > 0 {
						v = thr[j][r.IntN(len(thr[j]))]
					}
				}
				if v != v && i >= n/2 {
					v = 0.25 // the data's own missing values too: these rows have none
				}
				rows[i*X.Cols+j] = v
			}
		}
		// Rows with missing values, then (a batch of 101, without missing
		// values, the faster walk) the others.
		got := make([]float64, n)
		if err := f.PredictRawBatch(rows[:n/2*X.Cols], got[:n/2]); err != nil {
			t.Fatal(err)
		}
		if err := f.PredictRawBatch(rows[n/2*X.Cols:(n/2+101)*X.Cols], got[n/2:n/2+101]); err != nil {
			t.Fatal(err)
		}
		if err := f.PredictRawBatch(rows[(n/2+101)*X.Cols:], got[n/2+101:]); err != nil {
			t.Fatal(err)
		}
		row := make([]float64, X.Cols)
		distinct := map[float64]bool{}
		for i := range n {
			for j := range row {
				row[j] = float64(rows[i*X.Cols+j])
			}
			want := m.PredictRaw(row)
			if math.Float64bits(got[i]) != math.Float64bits(want) {
				t.Fatalf("categorical %v, depth %d, row %d: flat %v, PredictRaw %v", cat, c.depth, i, got[i], want)
			}
			distinct[want] = true
		}
		if len(distinct) < 50 {
			t.Fatalf("only %d distinct predictions: the comparison is weak", len(distinct))
		}
	}
	m := &Model{NumFeatures: 2}
	if err := m.Flatten().PredictRawBatch(make([]float32, 3), make([]float64, 2)); err == nil {
		t.Fatal("3 values for 2 rows of 2 features: no error")
	}
}

func BenchmarkFlatPredict100(b *testing.B) {
	X, y := flatData(4000, rng(21))
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: Logistic, NumTrees: 300, LearningRate: 0.05, MaxDepth: 5, MinSamplesLeaf: 10}, rng(22))
	if err != nil {
		b.Fatal(err)
	}
	f := m.Flatten()
	n := 100
	rows := make([]float32, n*X.Cols)
	for i := range n {
		for j := range X.Cols {
			rows[i*X.Cols+j] = float32(X.At(i, j))
		}
	}
	out := make([]float64, n)
	b.Run("Flat", func(b *testing.B) {
		for b.Loop() {
			_ = f.PredictRawBatch(rows, out)
		}
	})
	b.Run("PredictRaw", func(b *testing.B) {
		row := make([]float64, X.Cols)
		for b.Loop() {
			for i := range n {
				for j := range row {
					row[j] = float64(rows[i*X.Cols+j])
				}
				out[i] = m.PredictRaw(row)
			}
		}
	})
}

// TestFlatShallowChecksFeatures: a model whose split names a feature
// outside the row (as a damaged file could) is not given the unchecked
// walk (the checked one stops at Go's bounds check instead of reading past
// the row); a valid tree shallower than shallowDepth is, and predicts its
// leaves.
func TestFlatShallowChecksFeatures(t *testing.T) {
	m := &Model{NumFeatures: 2, Trees: []tree{{Nodes: []node{
		{Feature: 5, Threshold: 0, Left: 1, Right: 2, Cat: -1},
		{Left: -1, Right: -1, Value: 1, Cat: -1},
		{Left: -1, Right: -1, Value: 2, Cat: -1},
	}}}}
	if f := m.Flatten(); f.shallow != nil {
		t.Fatal("a split on feature 5 of 2: padded for the unchecked walk")
	}
	m.Trees[0].Nodes[0].Feature = 1
	f := m.Flatten()
	if f.shallow == nil {
		t.Fatal("a valid depth-1 tree: not padded")
	}
	out := make([]float64, 2)
	if err := f.PredictRawBatch([]float32{0, -1, 0, 1}, out); err != nil || out[0] != 1 || out[1] != 2 {
		t.Fatalf("got %v, %v; want [1 2]", out, err)
	}
}
