package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/floats"
)

// ALSConfig sets up implicit ALS (Hu, Koren & Volinsky 2008) solved with a
// few conjugate-gradient steps per row (Takács, Pilászy & Tikk 2011).
type ALSConfig struct {
	Factors    int
	Iterations int
	// Reg is the L2 penalty λ.
	Reg float64
	// Alpha scales confidence: c = 1 + Alpha * log(1 + lines/Eps).
	Alpha float64
	Eps   float64
	// HalfLifeDays decays each line's weight with its age (0 = no decay).
	HalfLifeDays float64
	// CGSteps per row and iteration (warm-started from the previous value).
	CGSteps int
	Seed    uint64
}

// DefaultALS is a sound starting point for retail purchase logs.
var DefaultALS = ALSConfig{Factors: 64, Iterations: 15, Reg: 0.1, Alpha: 10, Eps: 1, CGSteps: 3, Seed: 1}

// ALS holds the factor matrices: U is users x f, V is items x f, row-major.
type ALS struct {
	Cfg ALSConfig
	U   []float64
	V   []float64
	f   int
	// W are the interaction weights of the training log, used by FoldIn.
	W Weights
	// rows[u] and cols[i] are the confidence-weighted entries of the
	// user-item matrix by user and by item.
	rows [][]entry
	cols [][]entry
	yty  atomic.Pointer[[]float64] // VᵀV for fold-in, reset by Iterate
	v32  atomic.Pointer[[]float32] // V in float32 for scoring, reset by Iterate
}

type entry struct {
	idx  int32
	conf float64 // c - 1
}

// TrainALS is the Trainer of ALS with DefaultALS.
func TrainALS(ctx context.Context, lg *Log) (Scorer, error) { return NewALS(ctx, lg, DefaultALS) }

// NewALS trains ALS on a log.
func NewALS(ctx context.Context, lg *Log, cfg ALSConfig) (*ALS, error) {
	a := NewALSModel(lg, cfg)
	for it := 0; it < cfg.Iterations; it++ {
		if err := a.Iterate(ctx); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// NewALSModel sets up an untrained model with small random factors.
func NewALSModel(lg *Log, cfg ALSConfig) *ALS {
	f := cfg.Factors
	a := &ALS{Cfg: cfg, f: f, W: lg.Weights, U: make([]float64, lg.NumUsers()*f), V: make([]float64, lg.NumItems()*f)}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	for i := range a.V {
		a.V[i] = rng.NormFloat64() * 0.01
	}
	a.rows = make([][]entry, lg.NumUsers())
	a.cols = make([][]entry, lg.NumItems())
	for u, h := range lg.Histories {
		for _, e := range alsEntries(h, lg.signals(u), lg.End, cfg, lg.Weights) {
			a.rows[u] = append(a.rows[u], e)
			a.cols[e.idx] = append(a.cols[e.idx], entry{int32(u), e.conf})
		}
	}
	return a
}

// alsEntries turns a history and its signals into (item, c-1) entries:
// c - 1 = Alpha x log(1 + strength/Eps), strength from Strengths.
func alsEntries(h []Event, sig []Signal, now int64, cfg ALSConfig, w Weights) []entry {
	items, st := Strengths(h, sig, now, cfg.HalfLifeDays, w)
	eps := cfg.Eps
	if eps <= 0 {
		eps = 1
	}
	out := make([]entry, len(items))
	for k, it := range items {
		out[k] = entry{it, cfg.Alpha * math.Log1p(st[k]/eps)}
	}
	return out
}

// Iterate runs one sweep: users given items, then items given users.
func (a *ALS) Iterate(ctx context.Context) error {
	a.yty.Store(nil)
	a.v32.Store(nil)
	if err := a.half(ctx, a.U, a.V, a.rows); err != nil {
		return err
	}
	return a.half(ctx, a.V, a.U, a.cols)
}

// half updates every row of X given the fixed factors Y.
func (a *ALS) half(ctx context.Context, X, Y []float64, rows [][]entry) error {
	f := a.f
	yty := gram(Y, f)
	scratch := make([][]float64, workers())
	parallelFor(len(rows), func(w, r int) {
		if ctx.Err() != nil {
			return
		}
		if scratch[w] == nil {
			scratch[w] = make([]float64, 4*f)
		}
		cgSolve(X[r*f:(r+1)*f], Y, yty, rows[r], a.Cfg.Reg, a.Cfg.CGSteps, scratch[w])
	})
	return ctx.Err()
}

// gramBlock is the number of rows whose products gram sums into one
// partial matrix.
const gramBlock = 256

// gram returns YᵀY (f x f). Rows are summed in fixed blocks whose partial
// sums are added in block order, so the result does not depend on which
// worker took which block (the models are reproducible run to run).
func gram(Y []float64, f int) []float64 {
	n := len(Y) / f
	nb := (n + gramBlock - 1) / gramBlock
	parts := make([][]float64, nb)
	parallelFor(nb, func(_, b int) {
		g := make([]float64, f*f)
		for r := b * gramBlock; r < min(n, (b+1)*gramBlock); r++ {
			y := Y[r*f : (r+1)*f]
			for i, yi := range y {
				floats.AddScaled(g[i*f+i:(i+1)*f], yi, y[i:])
			}
		}
		parts[b] = g
	})
	g := make([]float64, f*f)
	for _, p := range parts {
		for i := range p {
			g[i] += p[i]
		}
	}
	for i := 0; i < f; i++ {
		for j := 0; j < i; j++ {
			g[i*f+j] = g[j*f+i]
		}
	}
	return g
}

// cgSolve improves x towards the solution of
// (YᵀY + Σ c_i y_i y_iᵀ + λI) x = Σ (1 + c_i) y_i with steps CG iterations.
func cgSolve(x, Y, yty []float64, es []entry, reg float64, steps int, scratch []float64) {
	f := len(x)
	r, p, ap := scratch[:f], scratch[f:2*f], scratch[2*f:3*f]
	// r = b - A x
	mulA(ap, x, Y, yty, es, reg)
	clear(r)
	for _, e := range es {
		floats.AddScaled(r, 1+e.conf, Y[int(e.idx)*f:int(e.idx+1)*f])
	}
	rs := 0.0
	for k := range r {
		r[k] -= ap[k]
		p[k] = r[k]
		rs += r[k] * r[k]
	}
	tol := rs * 1e-8
	for s := 0; s < steps && rs > 1e-20 && rs > tol; s++ {
		mulA(ap, p, Y, yty, es, reg)
		pap := dot(p, ap)
		if pap <= 0 {
			return
		}
		alpha := rs / pap
		rsNew := 0.0
		for k := range x {
			x[k] += alpha * p[k]
			r[k] -= alpha * ap[k]
			rsNew += r[k] * r[k]
		}
		beta := rsNew / rs
		for k := range p {
			p[k] = r[k] + beta*p[k]
		}
		rs = rsNew
	}
}

// mulA sets out = (YᵀY + Σ c_i y_i y_iᵀ + λI) v.
func mulA(out, v, Y, yty []float64, es []entry, reg float64) {
	f := len(v)
	for i := 0; i < f; i++ {
		out[i] = floats.Dot(yty[i*f:(i+1)*f], v) + reg*v[i]
	}
	for _, e := range es {
		y := Y[int(e.idx)*f : int(e.idx+1)*f]
		floats.AddScaled(out, e.conf*floats.Dot(y, v), y)
	}
}

// dot is the inner product, unrolled by four, in a's precision (b's
// elements widened to it when b is float32 and a float64).
func dot[A, B float32 | float64](a []A, b []B) A {
	var s0, s1, s2, s3 A
	n := len(a)
	b = b[:n]
	k := 0
	for ; k+4 <= n; k += 4 {
		s0 += a[k] * A(b[k])
		s1 += a[k+1] * A(b[k+1])
		s2 += a[k+2] * A(b[k+2])
		s3 += a[k+3] * A(b[k+3])
	}
	for ; k < n; k++ {
		s0 += a[k] * A(b[k])
	}
	return s0 + s1 + s2 + s3
}

// UserVector returns the customer's factors: the trained row for a known,
// unchanged customer, else a fold-in solve of the history against the item
// factors (real-time update without retraining).
func (a *ALS) UserVector(q *Query) []float64 {
	f := a.f
	if len(q.UserVec) == f {
		return q.UserVec
	}
	if q.User >= 0 && !q.Changed && (q.User+1)*f <= len(a.U) {
		return a.U[q.User*f : (q.User+1)*f]
	}
	return a.foldIn(q.History, q.Signals, q.Now)
}

// FoldIn solves the user factors of a history against the item factors.
func (a *ALS) FoldIn(h []Event, now int64) []float64 { return a.foldIn(h, nil, now) }

// foldIn is FoldIn with the customer's views, carts and returns.
func (a *ALS) foldIn(h []Event, sig []Signal, now int64) []float64 {
	f := a.f
	x := make([]float64, f)
	if len(h) == 0 && len(sig) == 0 {
		return x
	}
	yty := a.ytyCached()
	es := alsEntries(h, sig, now, a.Cfg, a.W)
	cgSolve(x, a.V, yty, es, a.Cfg.Reg, f, make([]float64, 4*f))
	return x
}

func (a *ALS) ytyCached() []float64 {
	if g := a.yty.Load(); g != nil {
		return *g
	}
	g := gram(a.V, a.f)
	a.yty.Store(&g)
	return g
}

// Score implements Scorer: the dot product of user and item factors.
func (a *ALS) Score(q *Query, out []float64) { a.scoreVec(a.UserVector(q), out) }

// scoreVec writes the dot product of factors u with each item's factors to
// out (one per item, in float32 as Score computes them).
func (a *ALS) scoreVec(u []float64, out []float64) {
	f := a.f
	v := a.v32.Load()
	if v == nil {
		w := toFloat32(a.V)
		a.v32.Store(&w)
		v = &w
	}
	n := len(out)
	b, _ := alsPool.Get().(*alsBuf)
	if b == nil {
		b = new(alsBuf)
	}
	defer alsPool.Put(b)
	if cap(b.y) < n {
		b.y = make([]float32, n)
	}
	if len(b.u) != f {
		// An allocation of exactly f values, as a fresh copy would be:
		// the vectorised dot products' summation order depends on
		// where the vector starts (its alignment), so the scores stay
		// the same bit for bit whatever buffer served before.
		b.u = make([]float32, f)
	}
	y, u32 := b.y[:n], b.u
	for k, x := range u {
		u32[k] = float32(x)
	}
	matVec32((*v)[:n*f], u32, y)
	for i, x := range y {
		out[i] = float64(x)
	}
}

// alsBuf holds one scoring's buffers: the scores and the user's factors
// in float32; alsPool recycles them.
type alsBuf struct{ y, u []float32 }

var alsPool sync.Pool

// Invalidate drops cached copies of the item factors after V was changed
// in place (cold-start placement).
func (a *ALS) Invalidate() {
	a.yty.Store(nil)
	a.v32.Store(nil)
}

// ItemVector returns item i's factors.
func (a *ALS) ItemVector(i int) []float64 { return a.V[i*a.f : (i+1)*a.f] }

// Factors is the number of latent factors.
func (a *ALS) Factors() int { return a.f }

// cosine is the cosine similarity of two vectors (0 if either is zero).
func cosine(a, b []float64) float64 { return cosineNorm(a, b, dot(b, b)) }

// cosineNorm is cosine(a, b) given bb = dot(b, b), for many a against one b.
func cosineNorm(a, b []float64, bb float64) float64 {
	d := math.Sqrt(dot(a, a) * bb)
	if d == 0 {
		return 0
	}
	return dot(a, b) / d
}

// toFloat32 returns a float32 copy of v.
func toFloat32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// matVec32 sets y = A x for the len(y) x len(x) row-major matrix A
// (vectorised).
func matVec32(A, x, y []float32) {
	if matVecFast(A, x, y) {
		return
	}
	blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: len(y), Cols: len(x), Stride: len(x), Data: A[:len(y)*len(x)]},
		blas32.Vector{N: len(x), Inc: 1, Data: x}, 0, blas32.Vector{N: len(y), Inc: 1, Data: y})
}
