package linear

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/shelfwise/shelfwise/ml/modelio"
)

func TestSeparableData(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 400
	X := make([]float64, 2*n)
	y := make([]float64, n)
	for i := 0; i < n; {
		a, b := r.NormFloat64(), r.NormFloat64()
		if math.Abs(2*a-b-0.3) < 0.1 {
			continue // keep a margin around the boundary
		}
		X[2*i], X[2*i+1] = a, b
		if 2*a-b > 0.3 {
			y[i] = 1
		}
		i++
	}
	m, err := FitLogistic(context.Background(), X, 2, y, nil, Options{L2: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if (m.Predict(X[2*i:2*i+2]) > 0.5) != (y[i] == 1) {
			t.Fatalf("row %d misclassified on separable data", i)
		}
	}
	// The direction of the boundary is (2, -1) on the raw scale.
	ca, cb := m.Coef[0]/m.Std[0], m.Coef[1]/m.Std[1]
	if ratio := ca / cb; math.Abs(ratio+2) > 0.2 {
		t.Fatalf("coefficient ratio %v, want -2", ratio)
	}
}

func TestParameterRecovery(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 40000
	X := make([]float64, 3*n)
	y := make([]float64, n)
	beta := []float64{1.5, -0.8, 0}
	for i := range n {
		z := -0.5
		for j := range 3 {
			X[3*i+j] = r.NormFloat64()
			z += beta[j] * X[3*i+j]
		}
		if r.Float64() < sigmoid(z) {
			y[i] = 1
		}
	}
	m, err := FitLogistic(context.Background(), X, 3, y, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for j := range 3 {
		if got := m.Coef[j] / m.Std[j]; math.Abs(got-beta[j]) > 0.05 {
			t.Errorf("beta[%d]=%v, want %v", j, got, beta[j])
		}
	}
	data, _ := m.MarshalBinary()
	var m2 Logistic
	if err := m2.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if x := X[:3]; m2.Predict(x) != m.Predict(x) {
		t.Fatal("round trip changed predictions")
	}
	if err := m2.UnmarshalBinary(data[:len(data)-1]); !errors.Is(err, modelio.ErrCorrupt) {
		t.Fatalf("truncated: err=%v", err)
	}
}
