package explain

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func TestIntegratedGradientsLinearExact(t *testing.T) {
	// f(x) = 2 x0 - 3 x1 + x0 x1: for a bilinear f the midpoint rule with
	// one step is exact, and attributions sum to f(x) - f(b).
	f := func(x, g []float64) float64 {
		g[0], g[1] = 2+x[1], -3+x[0]
		return 2*x[0] - 3*x[1] + x[0]*x[1]
	}
	x, b := []float64{1, 2}, []float64{0, 0}
	a := IntegratedGradients(f, x, b, 1)
	// Path x(t) = t*(1,2): grad0 = 2 + 2t, grad1 = -3 + t; integrals over
	// t in [0,1]: 3 and -2.5; times (x - b): 3 and -5.
	if math.Abs(a[0]-3) > 1e-12 || math.Abs(a[1]+5) > 1e-12 {
		t.Fatalf("attributions %v, want [3 -5]", a)
	}
	g := make([]float64, 2)
	if sum, want := a[0]+a[1], f(x, g)-f(b, g); math.Abs(sum-want) > 1e-12 {
		t.Fatalf("sum %v, want %v", sum, want)
	}
}

func TestPermutationFindsTheUsedFeature(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	X := make([][]float64, 500)
	y := make([]float64, 500)
	for i := range X {
		X[i] = []float64{r.NormFloat64(), r.NormFloat64()}
		y[i] = 3 * X[i][0]
	}
	predict := func(X [][]float64) []float64 {
		p := make([]float64, len(X))
		for i, row := range X {
			p[i] = 3 * row[0]
		}
		return p
	}
	negMSE := func(p []float64) float64 {
		var s float64
		for i := range p {
			s -= (p[i] - y[i]) * (p[i] - y[i])
		}
		return s / float64(len(p))
	}
	imp, err := Permutation(context.Background(), X, predict, negMSE, nil, 3, r)
	if err != nil {
		t.Fatal(err)
	}
	// Shuffling x0 gives E[(3a - 3b)^2] = 18 on average.
	if imp[0].Mean < 12 || imp[0].Mean > 24 || imp[1].Mean != 0 {
		t.Fatalf("importances %+v, want ~18 and exactly 0", imp)
	}
}
