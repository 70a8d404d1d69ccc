package simulate

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// fitGLM fits a Poisson (log link) or logistic (logit link) regression of y
// on the rows of x by iteratively reweighted least squares, for tests that
// recover the simulator's parameters from its output. It returns the
// coefficients and their standard errors (scaled by the Pearson dispersion
// for Poisson, so overdispersed counts get honest errors).
func fitGLM(t *testing.T, x [][]float64, y []float64, logistic bool) (beta, se []float64) {
	t.Helper()
	n, k := len(x), len(x[0])
	beta = make([]float64, k)
	var xtwx *mat.SymDense
	var pearson float64
	if !logistic {
		var m float64
		for _, v := range y {
			m += v
		}
		beta[0] = math.Log(m/float64(n) + 1e-9)
	}
	for iter := 0; iter < 50; iter++ {
		xtwx = mat.NewSymDense(k, nil)
		xtwz := mat.NewVecDense(k, nil)
		pearson = 0
		for i, row := range x {
			eta := 0.0
			for j, v := range row {
				eta += v * beta[j]
			}
			var w, z float64
			if logistic {
				p := 1 / (1 + math.Exp(-eta))
				w = math.Max(p*(1-p), 1e-9)
				z = eta + (y[i]-p)/w
				pearson += (y[i] - p) * (y[i] - p) / w
			} else {
				mu := math.Exp(eta)
				w = mu
				z = eta + (y[i]-mu)/mu
				pearson += (y[i] - mu) * (y[i] - mu) / mu
			}
			for a := 0; a < k; a++ {
				xtwz.SetVec(a, xtwz.AtVec(a)+w*row[a]*z)
				for b := a; b < k; b++ {
					xtwx.SetSym(a, b, xtwx.At(a, b)+w*row[a]*row[b])
				}
			}
		}
		var next mat.VecDense
		if err := next.SolveVec(xtwx, xtwz); err != nil {
			t.Fatalf("glm: %v", err)
		}
		delta := 0.0
		for j := range beta {
			delta = math.Max(delta, math.Abs(next.AtVec(j)-beta[j]))
			beta[j] = next.AtVec(j)
		}
		if delta < 1e-8 {
			break
		}
	}
	var cov mat.Dense
	if err := cov.Inverse(xtwx); err != nil {
		t.Fatalf("glm covariance: %v", err)
	}
	phi := 1.0
	if !logistic {
		phi = math.Max(1, pearson/float64(n-k))
	}
	se = make([]float64, k)
	for j := range se {
		se[j] = math.Sqrt(phi * cov.At(j, j))
	}
	return beta, se
}

func TestFitGLMKnownAnswer(t *testing.T) {
	// y = exp(1 + 0.5 x) exactly: the Poisson fit must return (1, 0.5).
	var x [][]float64
	var y []float64
	for i := 0; i < 20; i++ {
		v := float64(i) / 10
		x = append(x, []float64{1, v})
		y = append(y, math.Exp(1+0.5*v))
	}
	b, _ := fitGLM(t, x, y, false)
	if math.Abs(b[0]-1) > 1e-6 || math.Abs(b[1]-0.5) > 1e-6 {
		t.Fatalf("poisson fit %v, want [1 0.5]", b)
	}
}
