package mlp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
)

// Optimizer is the update rule.
type Optimizer uint8

// Optimizers.
const (
	Adam Optimizer = iota
	SGD            // with momentum
)

// Config configures a network and its training. Zero fields take defaults.
type Config struct {
	// Hidden are the hidden layer widths, default {64, 32}.
	Hidden     []int
	Activation Activation // of hidden layers, default ReLU
	Loss       Loss
	Optimizer  Optimizer
	// LearningRate defaults to 1e-3 (Adam) or 1e-2 (SGD).
	LearningRate float64
	// Momentum for SGD, default 0.9.
	Momentum float64
	// Beta1, Beta2, Epsilon for Adam: defaults 0.9, 0.999, 1e-8.
	Beta1, Beta2, Epsilon float64
	BatchSize             int // default 32
	Epochs                int // default 50
	// L2 adds L2*w to each weight's gradient (biases are not penalised).
	L2 float64
	// Dropout is the probability of zeroing a hidden unit in training.
	Dropout float64
	// PosWeight multiplies the weight of positive rows (class weight) for
	// binary cross-entropy; default 1.
	PosWeight float64
	// Patience stops training after this many epochs without improvement
	// of the validation loss and restores the best weights (0 = off).
	Patience int
	// ValidationFraction of the rows is held out for early stopping when
	// Patience > 0 (default 0.1).
	ValidationFraction float64
	// NoStandardize keeps inputs as they are (default: standardise).
	NoStandardize bool
	// TweediePower in (1, 2), default 1.5; Alpha for Pinball, default 0.5.
	TweediePower, Alpha float64
	// Workers splits each mini-batch over goroutines; default 1: with
	// batches of 32 on this small network the hand-off costs more than it
	// saves (see BenchmarkMLPEpoch), so callers parallelise across models
	// or folds instead.
	Workers int
}

func (c Config) withDefaults() (Config, error) {
	if c.Hidden == nil {
		c.Hidden = []int{64, 32}
	}
	if c.Activation == Linear && c.Hidden != nil {
		c.Activation = ReLU
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
		if c.Optimizer == SGD {
			c.LearningRate = 1e-2
		}
	}
	setf := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	setf(&c.Momentum, 0.9)
	setf(&c.Beta1, 0.9)
	setf(&c.Beta2, 0.999)
	setf(&c.Epsilon, 1e-8)
	setf(&c.PosWeight, 1)
	setf(&c.ValidationFraction, 0.1)
	setf(&c.TweediePower, 1.5)
	setf(&c.Alpha, 0.5)
	if c.BatchSize == 0 {
		c.BatchSize = 32
	}
	if c.Epochs == 0 {
		c.Epochs = 50
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	for _, h := range c.Hidden {
		if h <= 0 {
			return c, fmt.Errorf("mlp: hidden width %d", h)
		}
	}
	switch {
	case c.BatchSize < 1 || c.Epochs < 0:
		return c, fmt.Errorf("mlp: batch size %d, epochs %d", c.BatchSize, c.Epochs)
	case c.Dropout < 0 || c.Dropout >= 1:
		return c, fmt.Errorf("mlp: dropout %v not in [0, 1)", c.Dropout)
	case !(c.TweediePower > 1 && c.TweediePower < 2):
		return c, fmt.Errorf("mlp: TweediePower %v not in (1, 2)", c.TweediePower)
	case !(c.Alpha > 0 && c.Alpha < 1):
		return c, fmt.Errorf("mlp: Alpha %v not in (0, 1)", c.Alpha)
	case !(c.ValidationFraction > 0 && c.ValidationFraction < 1):
		return c, fmt.Errorf("mlp: ValidationFraction %v not in (0, 1)", c.ValidationFraction)
	}
	return c, nil
}

// Data is a training set: X row-major with Cols inputs per row, targets Y
// and optional row weights W (nil = 1).
type Data struct {
	X    []float64
	Cols int
	Y, W []float64
}

// Rows returns the number of rows.
func (d Data) Rows() int { return len(d.Y) }

func (d Data) check(c *Config) error {
	if d.Cols <= 0 || len(d.X) != len(d.Y)*d.Cols {
		return fmt.Errorf("mlp: %d values for %d rows of %d columns", len(d.X), len(d.Y), d.Cols)
	}
	if d.W != nil && len(d.W) != len(d.Y) {
		return fmt.Errorf("mlp: %d weights for %d rows", len(d.W), len(d.Y))
	}
	for i, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("mlp: row %d column %d is %v (impute missing values first)", i/d.Cols, i%d.Cols, v)
		}
	}
	for i, v := range d.Y {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("mlp: target of row %d is %v", i, v)
		case c.Loss == BinaryCrossEntropy && v != 0 && v != 1:
			return fmt.Errorf("mlp: binary target of row %d is %v, want 0 or 1", i, v)
		case c.Loss == Tweedie && v < 0:
			return fmt.Errorf("mlp: Tweedie target of row %d is negative", i)
		}
	}
	return nil
}

// Train fits a network to d. rng drives initialisation, shuffling, dropout
// and the validation split.
func Train(ctx context.Context, d Data, cfg Config, rng *rand.Rand) (*Net, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := d.check(&c); err != nil {
		return nil, err
	}
	if d.Rows() == 0 {
		return nil, fmt.Errorf("mlp: no training rows")
	}
	net, params := newNet(d.Cols, c.Hidden, c.Activation)
	net.Loss, net.TweediePower, net.Alpha = c.Loss, c.TweediePower, c.Alpha
	net.initWeights(rng)
	net.Mean, net.Std = standardization(d, c.NoStandardize)
	train, valid := d, Data{}
	if c.Patience > 0 {
		train, valid = splitValid(d, c.ValidationFraction, rng)
	}
	tr := newTrainer(net, params, c)
	xs := tr.standardizeAll(train)
	weights := rowWeights(train, &c)
	net.Layers[len(net.Layers)-1].B[0] = initialBias(train.Y, weights, c.Loss)
	var vx []float64
	if c.Patience > 0 {
		vx = tr.standardizeAll(valid)
	}
	perm := make([]int, train.Rows())
	for i := range perm {
		perm[i] = i
	}
	best, bestLoss, bad := append([]float64(nil), params...), math.Inf(1), 0
	for ep := 0; ep < c.Epochs; ep++ {
		net.Epochs = ep + 1
		rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		for lo := 0; lo < len(perm); lo += c.BatchSize {
			if lo%(c.BatchSize*256) == 0 && ctx.Err() != nil {
				return nil, ctx.Err()
			}
			tr.step(xs, train.Y, weights, perm[lo:min(lo+c.BatchSize, len(perm))], rng)
		}
		if c.Patience == 0 {
			continue
		}
		if l := tr.meanLoss(vx, valid.Y, valid.W); l < bestLoss-1e-9 {
			bestLoss, bad = l, 0
			net.BestEpoch = ep + 1
			copy(best, params)
		} else if bad++; bad >= c.Patience {
			break
		}
	}
	if c.Patience > 0 {
		copy(params, best)
	} else {
		net.BestEpoch = net.Epochs
	}
	tr.close()
	return net, nil
}

// standardization computes column means and standard deviations.
func standardization(d Data, off bool) (mean, std []float64) {
	mean, std = make([]float64, d.Cols), make([]float64, d.Cols)
	for j := range std {
		std[j] = 1
	}
	if off {
		return mean, std
	}
	n := float64(d.Rows())
	for i := 0; i < d.Rows(); i++ {
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			mean[j] += v / n
		}
	}
	var ss = make([]float64, d.Cols)
	for i := 0; i < d.Rows(); i++ {
		for j, v := range d.X[i*d.Cols : (i+1)*d.Cols] {
			ss[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range std {
		if s := math.Sqrt(ss[j] / n); s > 1e-12 {
			std[j] = s
		}
	}
	return mean, std
}

// rowWeights folds PosWeight into the row weights (nil if all are 1).
func rowWeights(d Data, c *Config) []float64 {
	if d.W == nil && (c.PosWeight == 1 || c.Loss != BinaryCrossEntropy) {
		return nil
	}
	w := make([]float64, d.Rows())
	for i := range w {
		w[i] = 1
		if d.W != nil {
			w[i] = d.W[i]
		}
		if c.Loss == BinaryCrossEntropy && d.Y[i] == 1 {
			w[i] *= c.PosWeight
		}
	}
	return w
}

// initialBias is the best constant raw output, so training starts there.
func initialBias(y, w []float64, loss Loss) float64 {
	var s, sw float64
	for i, v := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s += wi * v
		sw += wi
	}
	m := s / sw
	switch loss {
	case BinaryCrossEntropy:
		m = math.Min(math.Max(m, 1e-6), 1-1e-6)
		return math.Log(m / (1 - m))
	case Tweedie:
		return math.Log(math.Max(m, 1e-9))
	}
	return m
}

// splitValid holds out a random fraction of rows.
func splitValid(d Data, frac float64, rng *rand.Rand) (Data, Data) {
	var tr, va Data
	tr.Cols, va.Cols = d.Cols, d.Cols
	for i := 0; i < d.Rows(); i++ {
		dst := &tr
		if rng.Float64() < frac {
			dst = &va
		}
		dst.X = append(dst.X, d.X[i*d.Cols:(i+1)*d.Cols]...)
		dst.Y = append(dst.Y, d.Y[i])
		if d.W != nil {
			dst.W = append(dst.W, d.W[i])
		}
	}
	if va.Rows() == 0 { // tiny data: validate on the training rows
		va = tr
	}
	return tr, va
}

// worker holds one goroutine's buffers and gradient accumulator.
type worker struct {
	b    *buffers
	grad []float64 // same layout as the parameter vector
	gw   [][]float64
	gb   [][]float64
	loss float64
	job  chan job
}

type job struct {
	x, y, w []float64
	rows    []int
	masks   []float64
	done    *sync.WaitGroup
}

// trainer runs mini-batch steps on a network's parameter vector.
type trainer struct {
	net     *Net
	params  []float64
	c       Config
	workers []*worker
	grad    []float64
	m, v    []float64 // Adam moments (m doubles as SGD velocity)
	isW     []bool    // true for weights (L2 applies)
	t       int
	masks   []float64
	hidden  int // hidden units per sample (dropout masks)
}

func newTrainer(net *Net, params []float64, c Config) *trainer {
	tr := &trainer{net: net, params: params, c: c,
		grad: make([]float64, len(params)),
		m:    make([]float64, len(params)), v: make([]float64, len(params)),
		isW: make([]bool, len(params)),
	}
	off := 0
	for _, l := range net.Layers {
		for i := range l.W {
			tr.isW[off+i] = true
		}
		off += len(l.W) + len(l.B)
	}
	for _, l := range net.Layers[:len(net.Layers)-1] {
		tr.hidden += l.Out
	}
	for w := 0; w < c.Workers; w++ {
		wk := &worker{b: net.newBuffers(), grad: make([]float64, len(params))}
		off := 0
		for _, l := range net.Layers {
			wk.gw = append(wk.gw, wk.grad[off:off+len(l.W)])
			off += len(l.W)
			wk.gb = append(wk.gb, wk.grad[off:off+len(l.B)])
			off += len(l.B)
		}
		if w > 0 {
			wk.job = make(chan job)
			go tr.serve(wk)
		}
		tr.workers = append(tr.workers, wk)
	}
	return tr
}

func (tr *trainer) serve(wk *worker) {
	for j := range wk.job {
		tr.accumulate(wk, j)
		j.done.Done()
	}
}

func (tr *trainer) close() {
	for _, wk := range tr.workers[1:] {
		close(wk.job)
	}
}

// standardizeAll returns d.X standardised with the network's statistics.
func (tr *trainer) standardizeAll(d Data) []float64 {
	xs := make([]float64, len(d.X))
	for i := 0; i < d.Rows(); i++ {
		tr.net.standardize(d.X[i*d.Cols:(i+1)*d.Cols], xs[i*d.Cols:(i+1)*d.Cols])
	}
	return xs
}
