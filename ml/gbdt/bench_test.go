package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// benchMatrix generates the n x cols benchmark problem: standard normal
// features and a logistic target depending on a few of them with
// interactions (the same recipe as the XGBoost comparison script in the
// package note).
func benchMatrix(n, cols int, seed uint64) (*Matrix, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	X := NewMatrix(n, cols)
	y := make([]float64, n)
	for j := 0; j < cols; j++ {
		c := X.Col(j)
		for i := range c {
			c[i] = float32(r.NormFloat64())
		}
	}
	for i := range n {
		z := X.At(i, 0) + 0.5*X.At(i, 1)*X.At(i, 2) - 0.7*X.At(i, 3) + 0.3*math.Abs(X.At(i, 4))
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y[i] = 1
		}
	}
	return X, y
}

// BenchmarkTrain1Mx50 trains 100 depth-6 trees with 255 bins on 1,000,000
// rows x 50 features with 2 workers (binning included), the XGBoost hist
// comparison of issue 3. Run with -benchtime 1x.
func BenchmarkTrain1Mx50(b *testing.B) {
	X, y := benchMatrix(1_000_000, 50, 1)
	p := Params{NumTrees: 100, MaxDepth: 6, MaxBins: 255, LearningRate: 0.1, MinSamplesLeaf: 1, Workers: 2}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, p, rand.New(rand.NewPCG(1, 2))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrain100kx50 is a quicker version for profiling.
func BenchmarkTrain100kx50(b *testing.B) {
	X, y := benchMatrix(100_000, 50, 1)
	p := Params{NumTrees: 20, MaxDepth: 6, MinSamplesLeaf: 1, Workers: 2}
	for b.Loop() {
		if _, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, p, rand.New(rand.NewPCG(1, 2))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPredict scores 100,000 rows with a 100-tree depth-6 model.
func BenchmarkPredict(b *testing.B) {
	X, y := benchMatrix(100_000, 50, 1)
	m, err := Train(context.Background(), Dataset{X: X, Y: y}, nil, Params{NumTrees: 100, Workers: 2}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float64, X.Rows)
	b.ResetTimer()
	for b.Loop() {
		_ = m.PredictBatch(context.Background(), X, out)
	}
	b.ReportMetric(float64(X.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
