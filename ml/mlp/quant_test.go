package mlp

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/shelfwise/shelfwise/ml/modelio"
)

func trainedSeedNet(t testing.TB) (*Net, Data) {
	d := seedData()
	net, err := Train(context.Background(), d, Config{Epochs: 3}, rng(11))
	if err != nil {
		t.Fatal(err)
	}
	return net, d
}

func TestSerialisationRoundTrip(t *testing.T) {
	net, d := trainedSeedNet(t)
	data, _ := net.MarshalBinary()
	var n2 Net
	if err := n2.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	x := d.X[:d.Cols]
	if a, b := net.Predict(x), n2.Predict(x); a != b {
		t.Fatalf("float64 round trip: %v vs %v", a, b)
	}
	var n3 Net
	if err := n3.UnmarshalBinary(net.MarshalFloat32()); err != nil {
		t.Fatal(err)
	}
	if a, b := net.Predict(x), n3.Predict(x); math.Abs(a-b) > 1e-5 {
		t.Fatalf("float32 round trip: %v vs %v", a, b)
	}
	for _, bad := range [][]byte{data[:len(data)-3], append(append([]byte(nil), data[:40]...), data[41:]...)} {
		if err := n3.UnmarshalBinary(bad); !errors.Is(err, modelio.ErrCorrupt) {
			t.Fatalf("damaged file: err=%v", err)
		}
	}
}

func TestQuantizeCloseAndSmall(t *testing.T) {
	net, d := trainedSeedNet(t)
	q := net.Quantize()
	out := make([]float64, d.Rows())
	if err := q.PredictBatch(context.Background(), d.X, out, 2); err != nil {
		t.Fatal(err)
	}
	var maxDiff float64
	for i := range d.Rows() {
		p := net.Predict(d.X[i*d.Cols : (i+1)*d.Cols])
		maxDiff = math.Max(maxDiff, math.Abs(p-out[i]))
		if i < 10 && math.Abs(q.Predict(d.X[i*d.Cols:(i+1)*d.Cols])-out[i]) > 1e-7 {
			t.Fatal("Predict and PredictBatch differ")
		}
	}
	if maxDiff > 0.03 {
		t.Fatalf("int8 probabilities differ by up to %v", maxDiff)
	}
	qb, _ := q.MarshalBinary()
	if ratio := float64(len(net.MarshalFloat32())) / float64(len(qb)); ratio < 3.5 {
		t.Fatalf("int8 model only %.2fx smaller than float32", ratio)
	}
	var q2 Quantized
	if err := q2.UnmarshalBinary(qb); err != nil {
		t.Fatal(err)
	}
	if x := d.X[:d.Cols]; q2.Predict(x) != q.Predict(x) {
		t.Fatal("quantised round trip changed predictions")
	}
	if err := q2.UnmarshalBinary(qb[:100]); !errors.Is(err, modelio.ErrCorrupt) {
		t.Fatalf("truncated: err=%v", err)
	}
}

func TestPrune(t *testing.T) {
	net, _ := trainedSeedNet(t)
	p := net.Prune(0.5)
	for li, l := range p.Layers {
		zeros := 0
		for _, w := range l.W {
			if w == 0 {
				zeros++
			}
		}
		if want := len(l.W) / 2; zeros != want {
			t.Fatalf("layer %d: %d zeros, want %d", li, zeros, want)
		}
	}
	if net.Layers[0].W[0] == 0 && p.Layers[0].W[0] == 0 {
		t.Log("first weight happened to be small")
	}
}

// BenchmarkQuantizedPredict scores 100,000 rows with the int8 seed network
// on all cores and reports rows/s.
func BenchmarkQuantizedPredict(b *testing.B) {
	net, d := trainedSeedNet(b)
	q := net.Quantize()
	X := benchRows(d, 100_000)
	out := make([]float64, 100_000)
	b.ResetTimer()
	for b.Loop() {
		_ = q.PredictBatch(context.Background(), X, out, 0)
	}
	b.ReportMetric(float64(len(out))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkNetPredict is the float64 network on the same rows.
func BenchmarkNetPredict(b *testing.B) {
	net, d := trainedSeedNet(b)
	X := benchRows(d, 100_000)
	out := make([]float64, 100_000)
	b.ResetTimer()
	for b.Loop() {
		_ = net.PredictBatch(context.Background(), X, out, 0)
	}
	b.ReportMetric(float64(len(out))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// benchRows repeats d's rows to n rows.
func benchRows(d Data, n int) []float64 {
	X := make([]float64, 0, n*d.Cols+len(d.X))
	for len(X) < n*d.Cols {
		X = append(X, d.X...)
	}
	return X[:n*d.Cols]
}
