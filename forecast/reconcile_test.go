package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestBottomUpSums(t *testing.T) {
	h := Hierarchy{Bottom: 3, Aggregates: [][]int{{0, 1, 2}, {0, 1}}}
	out := h.BottomUp([][]float64{{1, 2}, {3, 4}, {5, 6}})
	if out[0][0] != 9 || out[0][1] != 12 || out[1][1] != 6 || out[4][0] != 5 {
		t.Fatalf("bottom-up gave %v", out)
	}
}

func TestMinTCoherentAndKeepsCoherentForecasts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	h := Hierarchy{Bottom: 4, Aggregates: [][]int{{0, 1, 2, 3}, {0, 1}, {2, 3}}}
	res := make([][]float64, h.Rows())
	for i := range res {
		res[i] = make([]float64, 30)
		for t := range res[i] {
			res[i][t] = rng.NormFloat64() * float64(1+i%3)
		}
	}
	// Coherent base forecasts stay unchanged.
	coh := h.BottomUp([][]float64{{1}, {2}, {3}, {4}})
	out, _, err := h.MinT(coh, res)
	if err != nil {
		t.Fatal(err)
	}
	for i := range coh {
		if !near(out[i][0], coh[i][0], 1e-8) {
			t.Fatalf("row %d: %v, want %v", i, out[i][0], coh[i][0])
		}
	}
	// Incoherent base forecasts come out coherent.
	base := [][]float64{{12}, {2}, {8}, {1}, {2}, {3}, {4}}
	out, lambda, err := h.MinT(base, res)
	if err != nil {
		t.Fatal(err)
	}
	if lambda < 0 || lambda > 1 {
		t.Fatalf("shrinkage %v outside [0,1]", lambda)
	}
	b := out[3:]
	if !near(out[0][0], b[0][0]+b[1][0]+b[2][0]+b[3][0], 1e-8) || !near(out[1][0], b[0][0]+b[1][0], 1e-8) {
		t.Fatalf("MinT result %v is not coherent", out)
	}
}

// TestMinTMatchesDenseReference checks the constraint-form MinT with the
// low-rank shrinkage covariance against the textbook S (S'W^-1 S)^-1 S'W^-1
// with the dense covariance, with fewer and more error samples than rows,
// and with a row whose errors are all zero.
func TestMinTMatchesDenseReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	h := Hierarchy{Bottom: 6, Aggregates: [][]int{{0, 1, 2, 3, 4, 5}, {0, 1, 2}, {3, 4, 5}, {0, 3}}}
	for _, T := range []int{5, 40} {
		res := make([][]float64, h.Rows())
		base := make([][]float64, h.Rows())
		common := make([]float64, T)
		for t := range common {
			common[t] = rng.NormFloat64()
		}
		for i := range res {
			res[i] = make([]float64, T)
			for t := range res[i] {
				res[i][t] = float64(1+i%3)*rng.NormFloat64() + common[t]
			}
			base[i] = []float64{10 * rng.Float64(), 5 * rng.Float64()}
		}
		res[5] = make([]float64, T) // a row without error variation
		got, lg, err := h.MinT(base, res)
		if err != nil {
			t.Fatal(err)
		}
		want, lw, err := mintDense(h, base, res)
		if err != nil {
			t.Fatal(err)
		}
		if !near(lg, lw, 1e-9) {
			t.Fatalf("T=%d: shrinkage %v, dense %v", T, lg, lw)
		}
		for i := range want {
			for k := range want[i] {
				if !near(got[i][k], want[i][k], 1e-6*(1+math.Abs(want[i][k]))) {
					t.Fatalf("T=%d row %d step %d: %v, dense %v", T, i, k, got[i][k], want[i][k])
				}
			}
		}
	}
}

// TestWLSHandComputed checks WLS on one total over two bottoms with error
// variances 1, 4 and 4: the incoherence d = 10 - 3 - 3 = 4 is shared in
// proportion to the variances, the total moving down by 4/9 and each
// bottom up by 16/9.
func TestWLSHandComputed(t *testing.T) {
	h := Hierarchy{Bottom: 2, Aggregates: [][]int{{0, 1}}}
	res := [][]float64{{1, -1, 1, -1}, {2, 2, -2, -2}, {-2, 2, 2, -2}}
	for i := range res {
		// Scale so that the sample variance (divisor T-1) is exactly 1 or 4.
		for t := range res[i] {
			res[i][t] *= math.Sqrt(3.0 / 4)
		}
	}
	out, err := h.WLS([][]float64{{10}, {3}, {3}}, res)
	if err != nil {
		t.Fatal(err)
	}
	if !near(out[0][0], 10-4.0/9, 1e-9) || !near(out[1][0], 3+16.0/9, 1e-9) || !near(out[2][0], 3+16.0/9, 1e-9) {
		t.Fatalf("WLS gave %v", out)
	}
}

func TestMinTIdentityIsOLS(t *testing.T) {
	// With equal independent errors MinT is OLS reconciliation: for one
	// total over two bottoms, base (total 10, bottoms 3, 3) moves the
	// bottoms up by (10-6)/3 each and the total down by the same.
	h := Hierarchy{Bottom: 2, Aggregates: [][]int{{0, 1}}}
	res := [][]float64{{1, -1, 1, -1, 1, -1}, {1, 1, -1, -1, 1, -1}, {-1, 1, 1, -1, -1, 1}}
	out, _, err := h.MinT([][]float64{{10}, {3}, {3}}, res)
	if err != nil {
		t.Fatal(err)
	}
	if !near(out[1][0], 3+4.0/3, 0.3) || !near(out[0][0], out[1][0]+out[2][0], 1e-9) {
		t.Fatalf("reconciled %v", out)
	}
}

// mintDense is the reference MinT: it reconciles base forecasts of all rows (base[i][k]) by minimum trace
// (Wickramasuriya, Athanasopoulos and Hyndman 2019) with the shrinkage
// covariance of the rows' errors: residuals[i][t] are errors of row i
// (in-sample or from backtest windows, same t for all rows). The
// covariance is shrunk towards its diagonal with the Schafer-Strimmer
// intensity, so it stays invertible with fewer error samples than rows.
// The result is coherent: aggregates equal the sums of their bottoms.
func mintDense(h Hierarchy, base, residuals [][]float64) ([][]float64, float64, error) {
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

// BenchmarkMinTWalmartShape reconciles a hierarchy of Walmart's shape:
// 2,660 bottom series in 45 stores plus the total (2,706 rows), 26 error
// samples per row, 13 steps.
func BenchmarkMinTWalmartShape(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	h := Hierarchy{Bottom: 2660}
	h.Aggregates = append(h.Aggregates, make([]int, 2660))
	for j := range h.Aggregates[0] {
		h.Aggregates[0][j] = j
	}
	for s := 0; s < 45; s++ {
		var idx []int
		for j := s; j < 2660; j += 45 {
			idx = append(idx, j)
		}
		h.Aggregates = append(h.Aggregates, idx)
	}
	base := make([][]float64, h.Rows())
	res := make([][]float64, h.Rows())
	for i := range base {
		base[i] = make([]float64, 13)
		res[i] = make([]float64, 26)
		for k := range base[i] {
			base[i][k] = 100 * rng.Float64()
		}
		for t := range res[i] {
			res[i][t] = rng.NormFloat64()
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := h.MinT(base, res); err != nil {
			b.Fatal(err)
		}
	}
}
