package mlp

import (
	"context"
	"testing"
)

// seedData is 9,864 rows (the training folds of the 12,330 UCI sessions)
// of 10 inputs with a nonlinear binary target.
func seedData() Data {
	r := rng(42)
	n, c := 9864, 10
	d := Data{Cols: c, X: make([]float64, n*c), Y: make([]float64, n)}
	for i := range n {
		var z float64
		for j := range c {
			v := r.NormFloat64()
			d.X[i*c+j] = v
			z += v * float64(j%3-1)
		}
		if z+d.X[i*c]*d.X[i*c+1] > 0.5 {
			d.Y[i] = 1
		}
	}
	return d
}

func benchEpochs(b *testing.B, workers int) {
	d := seedData()
	c := Config{Hidden: []int{64, 32}, BatchSize: 32, Epochs: 5, Workers: workers}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Train(context.Background(), d, c, rng(1)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(d.Rows()*c.Epochs)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkMLPEpoch trains the seed's network (10 -> 64 -> 32 -> 1, ReLU,
// Adam, batch 32) for 5 epochs over 9,864 rows and reports samples/s.
func BenchmarkMLPEpoch(b *testing.B) { benchEpochs(b, 1) }

// BenchmarkMLPEpoch2Workers splits each batch over two goroutines.
func BenchmarkMLPEpoch2Workers(b *testing.B) { benchEpochs(b, 2) }
