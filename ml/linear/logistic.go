package linear

import (
	"context"
	"fmt"
	"math"

	"github.com/shelfwise/shelfwise/ml/modelio"
	"gonum.org/v1/gonum/mat"
)

// Logistic is a fitted logistic regression on standardised inputs.
type Logistic struct {
	// Coef are the coefficients of the standardised inputs.
	Coef      []float64
	Intercept float64
	// Mean and Std standardise inputs: x' = (x - Mean) / Std.
	Mean, Std []float64
	// Iterations is the number of Newton steps taken.
	Iterations int
}

// Options configures FitLogistic.
type Options struct {
	// L2 is the ridge penalty on coefficients (not the intercept), in
	// units of the summed log-likelihood; default 1.
	L2 float64
	// MaxIter bounds Newton steps, default 50.
	MaxIter int
	// Tol stops when no coefficient moves more than it, default 1e-8.
	Tol float64
}

// FitLogistic fits P(y=1|x) = sigmoid(b + c.x') on row-major X (cols
// columns), labels y in {0,1} and optional weights w.
func FitLogistic(ctx context.Context, X []float64, cols int, y, w []float64, o Options) (*Logistic, error) {
	if o.L2 == 0 {
		o.L2 = 1
	}
	if o.MaxIter == 0 {
		o.MaxIter = 50
	}
	if o.Tol == 0 {
		o.Tol = 1e-8
	}
	n := len(y)
	if cols <= 0 || len(X) != n*cols || n == 0 {
		return nil, fmt.Errorf("linear: %d values for %d rows of %d columns", len(X), n, cols)
	}
	if w != nil && len(w) != n {
		return nil, fmt.Errorf("linear: %d weights for %d rows", len(w), n)
	}
	for i, v := range y {
		if v != 0 && v != 1 {
			return nil, fmt.Errorf("linear: label of row %d is %v, want 0 or 1", i, v)
		}
	}
	m := &Logistic{Coef: make([]float64, cols), Mean: make([]float64, cols), Std: make([]float64, cols)}
	xs, err := m.standardize(X, cols)
	if err != nil {
		return nil, err
	}
	p := cols + 1 // intercept last
	beta := make([]float64, p)
	H := mat.NewSymDense(p, nil)
	g := make([]float64, p)
	var chol mat.Cholesky
	for it := 0; it < o.MaxIter; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		clear(g)
		for i := range p {
			for j := i; j < p; j++ {
				H.SetSym(i, j, 0)
			}
		}
		hess := make([]float64, p*p)
		for r := range n {
			row := xs[r*cols : (r+1)*cols]
			z := beta[cols]
			for j, v := range row {
				z += beta[j] * v
			}
			pr := sigmoid(z)
			wi := 1.0
			if w != nil {
				wi = w[r]
			}
			d, h := wi*(pr-y[r]), wi*math.Max(pr*(1-pr), 1e-12)
			for j, v := range row {
				g[j] += d * v
				hv := h * v
				hr := hess[j*p:]
				for k := j; k < cols; k++ {
					hr[k] += hv * row[k]
				}
				hr[cols] += hv
			}
			g[cols] += d
			hess[cols*p+cols] += h
		}
		for j := range cols {
			g[j] += o.L2 * beta[j]
			hess[j*p+j] += o.L2
		}
		for i := range p {
			for j := i; j < p; j++ {
				H.SetSym(i, j, hess[i*p+j])
			}
		}
		if ok := chol.Factorize(H); !ok {
			return nil, fmt.Errorf("linear: Hessian not positive definite at step %d (constant or collinear columns with L2=0?)", it)
		}
		var step mat.VecDense
		if err := chol.SolveVecTo(&step, mat.NewVecDense(p, g)); err != nil {
			return nil, fmt.Errorf("linear: Newton step: %w", err)
		}
		maxStep := 0.0
		for j := range p {
			beta[j] -= step.AtVec(j)
			maxStep = math.Max(maxStep, math.Abs(step.AtVec(j)))
		}
		m.Iterations = it + 1
		if maxStep < o.Tol {
			break
		}
	}
	copy(m.Coef, beta[:cols])
	m.Intercept = beta[cols]
	return m, nil
}

// standardize sets Mean/Std from X and returns the standardised copy.
func (m *Logistic) standardize(X []float64, cols int) ([]float64, error) {
	n := len(X) / cols
	for r := range n {
		for j, v := range X[r*cols : (r+1)*cols] {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("linear: row %d column %d is %v", r, j, v)
			}
			m.Mean[j] += v / float64(n)
		}
	}
	for r := range n {
		for j, v := range X[r*cols : (r+1)*cols] {
			m.Std[j] += (v - m.Mean[j]) * (v - m.Mean[j]) / float64(n)
		}
	}
	for j := range m.Std {
		m.Std[j] = math.Sqrt(m.Std[j])
		if m.Std[j] < 1e-12 {
			m.Std[j] = 1
		}
	}
	xs := make([]float64, len(X))
	for r := range n {
		for j, v := range X[r*cols : (r+1)*cols] {
			xs[r*cols+j] = (v - m.Mean[j]) / m.Std[j]
		}
	}
	return xs, nil
}

// Raw returns the log-odds for x.
func (m *Logistic) Raw(x []float64) float64 {
	z := m.Intercept
	for j, v := range x {
		z += m.Coef[j] * (v - m.Mean[j]) / m.Std[j]
	}
	return z
}

// Predict returns P(y=1 | x).
func (m *Logistic) Predict(x []float64) float64 { return sigmoid(m.Raw(x)) }

// Contributions returns each input's additive share of the log-odds
// relative to an input at the training mean: Coef[j] * x'[j]. With the
// intercept they sum to Raw(x).
func (m *Logistic) Contributions(x []float64) []float64 {
	c := make([]float64, len(x))
	for j, v := range x {
		c[j] = m.Coef[j] * (v - m.Mean[j]) / m.Std[j]
	}
	return c
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// MarshalBinary encodes the model in a checksummed modelio envelope.
func (m *Logistic) MarshalBinary() ([]byte, error) {
	var e modelio.Encoder
	e.F64s(m.Coef)
	e.F64(m.Intercept)
	e.F64s(m.Mean)
	e.F64s(m.Std)
	e.Int(m.Iterations)
	return modelio.Seal("logistic", 1, e.Buf), nil
}

// UnmarshalBinary decodes a model written by MarshalBinary.
func (m *Logistic) UnmarshalBinary(data []byte) error {
	_, payload, err := modelio.Open(data, "logistic", 1)
	if err != nil {
		return err
	}
	d := modelio.NewDecoder(payload)
	out := Logistic{Coef: d.F64s(), Intercept: d.F64(), Mean: d.F64s(), Std: d.F64s(), Iterations: d.Int()}
	if err := d.Finish(); err != nil {
		return err
	}
	if len(out.Mean) != len(out.Coef) || len(out.Std) != len(out.Coef) {
		return fmt.Errorf("%w: inconsistent lengths", modelio.ErrCorrupt)
	}
	*m = out
	return nil
}
