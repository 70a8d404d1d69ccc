package gbdt

import (
	"context"
	"math"
	"math/bits"
	"testing"
)

// condExpect is E[f(x) | x_S] under the tree's path-dependent distribution:
// follow x at splits on features in S, else average children by cover.
func condExpect(t *tree, cats [][]float32, row []float64, set uint, i int32) float64 {
	nd := &t.Nodes[i]
	if nd.Left < 0 {
		return nd.Value
	}
	if set&(1<<uint(nd.Feature)) != 0 {
		if t.goesLeft(nd, row[nd.Feature], cats) {
			return condExpect(t, cats, row, set, nd.Left)
		}
		return condExpect(t, cats, row, set, nd.Right)
	}
	l, r := &t.Nodes[nd.Left], &t.Nodes[nd.Right]
	return (l.Cover*condExpect(t, cats, row, set, nd.Left) + r.Cover*condExpect(t, cats, row, set, nd.Right)) / nd.Cover
}

// bruteShap computes exact Shapley values by enumerating subsets.
func bruteShap(m *Model, row []float64) []float64 {
	p := m.NumFeatures
	phi := make([]float64, p)
	fact := func(n int) float64 {
		f := 1.0
		for k := 2; k <= n; k++ {
			f *= float64(k)
		}
		return f
	}
	for ti := range m.Trees {
		t := &m.Trees[ti]
		for f := 0; f < p; f++ {
			for set := uint(0); set < 1<<uint(p); set++ {
				if set&(1<<uint(f)) != 0 {
					continue
				}
				s := bits.OnesCount(set)
				w := fact(s) * fact(p-s-1) / fact(p)
				phi[f] += w * (condExpect(t, m.CatValues, row, set|1<<uint(f), 0) - condExpect(t, m.CatValues, row, set, 0))
			}
		}
	}
	return phi
}

func TestTreeSHAPMatchesBruteForce(t *testing.T) {
	r := rng(30)
	n := 3000
	X := NewMatrix(n, 4)
	y := make([]float64, n)
	for i := range n {
		for j := range 3 {
			X.Set(i, j, r.NormFloat64())
		}
		X.Set(i, 3, float64(r.IntN(5)))
		y[i] = X.At(i, 0)*X.At(i, 1) + math.Sin(X.At(i, 2)) + 0.5*X.At(i, 3)
	}
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil,
		Params{Objective: SquaredError, NumTrees: 5, MaxDepth: 4, Categorical: []int{3}}, rng(31))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		row := X.Row(i, nil)
		phi := m.Contributions(row)
		want := bruteShap(m, row)
		var sum float64
		for f := range 4 {
			if math.Abs(phi[f]-want[f]) > 1e-9 {
				t.Fatalf("row %d feature %d: TreeSHAP %v, brute force %v", i, f, phi[f], want[f])
			}
			sum += phi[f]
		}
		if got := sum + phi[4]; math.Abs(got-m.PredictRaw(row)) > 1e-9 {
			t.Fatalf("row %d: contributions sum to %v, prediction %v", i, got, m.PredictRaw(row))
		}
	}
}
