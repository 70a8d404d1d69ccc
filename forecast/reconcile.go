package forecast

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Hierarchy describes how aggregate series sum bottom series: Aggregates[a]
// lists the bottom indices that aggregate a adds up (a store total, a
// department total, the chain total). Rows of a full forecast set are the
// aggregates first, then the bottom series in order.
type Hierarchy struct {
	Bottom     int
	Aggregates [][]int
}

// Rows is the number of series at all levels.
func (h Hierarchy) Rows() int { return len(h.Aggregates) + h.Bottom }

// summing returns the summing matrix S (Rows x Bottom).
func (h Hierarchy) summing() *mat.Dense {
	S := mat.NewDense(h.Rows(), h.Bottom, nil)
	for a, idx := range h.Aggregates {
		for _, j := range idx {
			S.Set(a, j, 1)
		}
	}
	for j := 0; j < h.Bottom; j++ {
		S.Set(len(h.Aggregates)+j, j, 1)
	}
	return S
}

// BottomUp makes coherent forecasts by summing the bottom forecasts
// (bottom[j][k], step k) into every aggregate. It returns all rows.
func (h Hierarchy) BottomUp(bottom [][]float64) [][]float64 {
	steps := len(bottom[0])
	out := make([][]float64, h.Rows())
	for a, idx := range h.Aggregates {
		out[a] = make([]float64, steps)
		for _, j := range idx {
			for k, v := range bottom[j] {
				out[a][k] += v
			}
		}
	}
	for j, b := range bottom {
		out[len(h.Aggregates)+j] = append([]float64(nil), b...)
	}
	return out
}

// MinT reconciles base forecasts of all rows (base[i][k]) by minimum trace
// (Wickramasuriya, Athanasopoulos and Hyndman 2019) with the shrinkage
// covariance of the rows' errors: residuals[i][t] are errors of row i
// (in-sample or from backtest windows, same t for all rows). The
// covariance is shrunk towards its diagonal with the Schafer-Strimmer
// intensity, so it stays invertible with fewer error samples than rows.
// The result is coherent: aggregates equal the sums of their bottoms.
func (h Hierarchy) MinT(base, residuals [][]float64) ([][]float64, float64, error) {
	n := h.Rows()
	if len(base) != n || len(residuals) != n {
		return nil, 0, fmt.Errorf("forecast: MinT needs %d rows of forecasts and residuals", n)
	}
	W, lambda := shrunkCovariance(residuals)
	var chol mat.Cholesky
	if !chol.Factorize(W) {
		return nil, 0, fmt.Errorf("forecast: MinT covariance is not positive definite")
	}
	S := h.summing()
	// WiS = W^-1 S; A = S' W^-1 S; G = A^-1 S' W^-1; result = S G yhat.
	var WiS mat.Dense
	if err := chol.SolveTo(&WiS, S); err != nil {
		return nil, 0, err
	}
	var A mat.Dense
	A.Mul(S.T(), &WiS)
	steps := len(base[0])
	Y := mat.NewDense(n, steps, nil)
	for i, r := range base {
		Y.SetRow(i, r)
	}
	var rhs mat.Dense
	rhs.Mul(WiS.T(), Y) // S' W^-1 yhat
	var bottom mat.Dense
	if err := bottom.Solve(&A, &rhs); err != nil {
		return nil, 0, err
	}
	var rec mat.Dense
	rec.Mul(S, &bottom)
	out := make([][]float64, n)
	for i := range out {
		out[i] = mat.Row(nil, i, &rec)
	}
	return out, lambda, nil
}

// shrunkCovariance returns the covariance of the rows of e (each a series
// of errors) shrunk towards its diagonal: W = lambda diag + (1-lambda) S,
// with the Schafer-Strimmer intensity computed on the correlations.
func shrunkCovariance(e [][]float64) (*mat.SymDense, float64) {
	n, T := len(e), len(e[0])
	sd := make([]float64, n)
	z := make([][]float64, n) // standardised errors
	for i, r := range e {
		mu := meanOf(r)
		ss := 0.0
		for _, v := range r {
			ss += (v - mu) * (v - mu)
		}
		sd[i] = math.Sqrt(ss / float64(T-1))
		z[i] = make([]float64, T)
		for t, v := range r {
			if sd[i] > 0 {
				z[i][t] = (v - mu) / sd[i]
			}
		}
	}
	// Schafer-Strimmer: lambda = sum Var(r_ij) / sum r_ij^2 over i != j.
	var num, den float64
	corr := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var m1, m2 float64
			for t := 0; t < T; t++ {
				w := z[i][t] * z[j][t]
				m1 += w
				m2 += w * w
			}
			r := m1 / float64(T-1)
			wbar := m1 / float64(T)
			v := float64(T) / math.Pow(float64(T-1), 3) * (m2 - float64(T)*wbar*wbar)
			num += v
			den += r * r
			corr.SetSym(i, j, r)
		}
	}
	lambda := 1.0
	if den > 0 {
		lambda = math.Max(0, math.Min(1, num/den))
	}
	W := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		v := sd[i] * sd[i]
		if v == 0 {
			v = 1e-12
		}
		W.SetSym(i, i, v)
		for j := i + 1; j < n; j++ {
			W.SetSym(i, j, (1-lambda)*corr.At(i, j)*sd[i]*sd[j])
		}
	}
	return W, lambda
}
