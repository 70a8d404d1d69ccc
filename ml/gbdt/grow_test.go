package gbdt

import (
	"context"
	"reflect"
	"testing"
)

// growFixture bins a random problem with numeric, categorical and missing
// values and returns a grower with gradients of a squared error at zero.
func growFixture(t *testing.T, n int, colSample float64, maxDepth int) (*grower, []int32) {
	t.Helper()
	r := rng(41)
	X := NewMatrix(n, 6)
	y := make([]float64, n)
	for i := range n {
		for j := range 5 {
			X.Set(i, j, r.NormFloat64())
		}
		X.Set(i, 5, float64(r.IntN(40)))
		y[i] = X.At(i, 0) + X.At(i, 1)*X.At(i, 2) + float64(int(X.At(i, 5))%3) + 0.3*r.NormFloat64()
		if i%17 == 0 {
			X.Data[2*n+i] = NaN32
		}
	}
	p, err := Params{Objective: SquaredError, MaxDepth: maxDepth, MinSamplesLeaf: 5, ColSubsample: colSample, Categorical: []int{5}, Workers: 2}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bin(context.Background(), X, p.MaxBins, p.Categorical, 2)
	if err != nil {
		t.Fatal(err)
	}
	gh := make([]gpair, n)
	for i := range gh {
		gh[i] = gpair{G: -y[i], H: 1 + float64(i%3)}
	}
	rows := make([]int32, 0, n)
	for i := range n {
		if i%4 != 0 {
			rows = append(rows, int32(i))
		}
	}
	return newGrower(p, b, gh), rows
}

// TestDepthFirstSameTree grows the same trees depth first (the default
// when the leaf cap cannot bind) and level by level: nodes, categorical
// sets, leaves and the rows in each leaf must be identical.
func TestDepthFirstSameTree(t *testing.T) {
	cats := 0
	for _, depth := range []int{3, 6} {
		for seed := uint64(1); seed <= 3; seed++ {
			var trees [2]*tree
			var leaves [2][]leafRange
			var rows [2][]int32
			for k, levelWise := range []bool{true, false} {
				g, rs := growFixture(t, 20000, 0.8, depth)
				g.levelWise = levelWise
				g.sampleFeatures(rng(seed))
				trees[k], leaves[k] = g.grow(rs)
				rows[k] = g.rows
			}
			if len(trees[0].Nodes) < 7 {
				t.Fatalf("depth %d: only %d nodes", depth, len(trees[0].Nodes))
			}
			cats += len(trees[0].Cats)
			if !reflect.DeepEqual(trees[0], trees[1]) {
				t.Fatalf("depth %d seed %d: depth-first tree differs from the level-by-level tree", depth, seed)
			}
			if !reflect.DeepEqual(leaves[0], leaves[1]) || !reflect.DeepEqual(rows[0], rows[1]) {
				t.Fatalf("depth %d seed %d: leaves or their rows differ", depth, seed)
			}
		}
	}
	if cats < 2 {
		t.Fatalf("%d categorical splits: too few to check their renumbering", cats)
	}
}

// TestHistogramsOfActiveFeatures builds a node's histograms with a column
// sample and with every column: the sampled features' bins (and feature
// 0's, which total reads) must be equal bit for bit.
func TestHistogramsOfActiveFeatures(t *testing.T) {
	g, rows := growFixture(t, 40000, 0.5, 6)
	all := make([]histBin, g.histLen)
	for f := range g.active {
		g.active[f] = true
	}
	g.setHistFeatures()
	g.buildHist(all, rows)
	g.sampleFeatures(rng(3))
	some := g.getHist()
	for i := range some {
		some[i] = histBin{G: 1e300} // dirty, as a recycled buffer
	}
	g.buildHist(some, rows)
	used := 0
	for f := 0; f < g.b.Cols; f++ {
		if !g.active[f] && f != 0 {
			continue
		}
		used++
		lo, hi := g.offsets[f], g.offsets[f]+g.b.NumBins[f]+1
		if !reflect.DeepEqual(all[lo:hi], some[lo:hi]) {
			t.Fatalf("feature %d: histogram differs", f)
		}
	}
	if used == g.b.Cols {
		t.Fatal("the sample kept every feature")
	}
}
