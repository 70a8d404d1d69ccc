package forecast

import (
	"fmt"
	"math"
	"slices"

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
// The result is coherent: aggregates equal the sums of their bottoms. It
// also returns the shrinkage intensity.
//
// It is computed in the constraint form y - W C'(C W C')^-1 C y, where C y
// are the aggregates' incoherences, with W a diagonal plus the rank-T
// sample covariance: the cost grows with rows x (aggregates + T), never
// with rows squared, so thousands of bottom series are cheap.
func (h Hierarchy) MinT(base, residuals [][]float64) ([][]float64, float64, error) {
	return h.mint(base, residuals, -1)
}

// WLS reconciles like MinT with the diagonal of the error covariance only
// (weighted least squares by each row's error variance: MinT with
// shrinkage intensity 1), which is robust when there are few error samples
// per row.
func (h Hierarchy) WLS(base, residuals [][]float64) ([][]float64, error) {
	out, _, err := h.mint(base, residuals, 1)
	return out, err
}

// mint is MinT with the shrinkage intensity lambda, or the Schafer-Strimmer
// one when lambda < 0.
func (h Hierarchy) mint(base, residuals [][]float64, lambda float64) ([][]float64, float64, error) {
	n, A := h.Rows(), len(h.Aggregates)
	if len(base) != n || len(residuals) != n {
		return nil, 0, fmt.Errorf("forecast: MinT needs %d rows of forecasts and residuals", n)
	}
	U, diag, lambda := shrunkFactors(residuals, lambda)
	T := len(U[0])
	// CU = C U (A x T): aggregate rows less the sum of their bottoms.
	CU := make([][]float64, A)
	for a, idx := range h.Aggregates {
		r := slices.Clone(U[a])
		for _, j := range idx {
			for t, v := range U[A+j] {
				r[t] -= v
			}
		}
		CU[a] = r
	}
	// M = W C' = U (CU)' + diag C'  (n x A).
	M := mat.NewDense(n, A, nil)
	for i := 0; i < n; i++ {
		for a := 0; a < A; a++ {
			v := 0.0
			for t := 0; t < T; t++ {
				v += U[i][t] * CU[a][t]
			}
			M.Set(i, a, v)
		}
	}
	for a, idx := range h.Aggregates {
		M.Set(a, a, M.At(a, a)+diag[a])
		for _, j := range idx {
			M.Set(A+j, a, M.At(A+j, a)-diag[A+j])
		}
	}
	// CM = C W C' (A x A).
	CM := mat.NewDense(A, A, nil)
	for a, idx := range h.Aggregates {
		row := mat.Row(nil, a, M)
		for _, j := range idx {
			for b := range row {
				row[b] -= M.At(A+j, b)
			}
		}
		CM.SetRow(a, row)
	}
	var lu mat.LU
	lu.Factorize(CM)
	if lu.Det() == 0 {
		return nil, 0, fmt.Errorf("forecast: MinT constraint covariance is singular")
	}
	steps := len(base[0])
	out := make([][]float64, n)
	for i := range out {
		out[i] = slices.Clone(base[i])
	}
	d := mat.NewVecDense(A, nil)
	var z mat.VecDense
	for k := 0; k < steps; k++ {
		for a, idx := range h.Aggregates {
			v := base[a][k]
			for _, j := range idx {
				v -= base[A+j][k]
			}
			d.SetVec(a, v)
		}
		if err := lu.SolveVecTo(&z, false, d); err != nil {
			return nil, 0, err
		}
		for i := 0; i < n; i++ {
			adj := 0.0
			for a := 0; a < A; a++ {
				adj += M.At(i, a) * z.AtVec(a)
			}
			out[i][k] -= adj
		}
	}
	return out, lambda, nil
}

// shrunkFactors returns the shrinkage covariance of the rows of e (each a
// series of errors) as W = U U' + diag(d): U = sqrt((1-lambda)/(T-1)) times
// the centred errors and d = lambda times the variances, so that W =
// lambda diag(S) + (1-lambda) S for the sample covariance S. The
// Schafer-Strimmer intensity lambda (or fixed, when >= 0) is computed on the correlations in
// O(rows T^2) from sums over the T x T Gram matrix of standardised errors.
func shrunkFactors(e [][]float64, fixed float64) (U [][]float64, d []float64, lambda float64) {
	n, T := len(e), len(e[0])
	z := make([][]float64, n)
	U = make([][]float64, n)
	d = make([]float64, n)
	sd := make([]float64, n)
	var diagM1, diagM2 float64
	colSq := make([]float64, T) // sum_i z_it^2
	G := make([]float64, T*T)   // Z'Z
	for i, r := range e {
		mu := meanOf(r)
		ss := 0.0
		for _, v := range r {
			ss += (v - mu) * (v - mu)
		}
		sd[i] = math.Sqrt(ss / float64(T-1))
		z[i] = make([]float64, T)
		U[i] = make([]float64, T)
		if sd[i] == 0 {
			continue
		}
		m1 := 0.0
		for t, v := range r {
			zz := (v - mu) / sd[i]
			z[i][t] = zz
			m1 += zz * zz
			diagM2 += zz * zz * zz * zz
			colSq[t] += zz * zz
		}
		diagM1 += m1 * m1
		for t := 0; t < T; t++ {
			if z[i][t] == 0 {
				continue
			}
			for s := t; s < T; s++ {
				G[t*T+s] += z[i][t] * z[i][s]
			}
		}
	}
	sumM1sq := 0.0
	for t := 0; t < T; t++ {
		for s := t; s < T; s++ {
			v := G[t*T+s] * G[t*T+s]
			if s != t {
				v *= 2
			}
			sumM1sq += v
		}
	}
	sumM2 := 0.0
	for _, c := range colSq {
		sumM2 += c * c
	}
	Tf := float64(T)
	offM1sq := (sumM1sq - diagM1) / 2
	offM2 := (sumM2 - diagM2) / 2
	num := Tf / math.Pow(Tf-1, 3) * (offM2 - offM1sq/Tf)
	den := offM1sq / ((Tf - 1) * (Tf - 1))
	lambda = 1.0
	switch {
	case fixed >= 0:
		lambda = math.Min(fixed, 1)
	case den > 0:
		lambda = math.Max(0, math.Min(1, num/den))
	}
	f := math.Sqrt((1 - lambda) / (Tf - 1))
	for i := range e {
		v := sd[i] * sd[i]
		d[i] = lambda * v
		if v == 0 {
			d[i] = 1e-12
		}
		for t := range U[i] {
			U[i][t] = f * z[i][t] * sd[i]
		}
	}
	return U, d, lambda
}
