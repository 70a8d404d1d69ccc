package mlp

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"gonum.org/v1/gonum/blas/gonum"
)

// Activation is a hidden unit's nonlinearity.
type Activation uint8

// Activations.
const (
	Linear Activation = iota
	ReLU
	Tanh
	Sigmoid
)

// Loss is the training loss; it fixes the output's link.
type Loss uint8

// Losses.
const (
	// BinaryCrossEntropy: the output is a logit; Predict returns a
	// probability.
	BinaryCrossEntropy Loss = iota
	// MSE: identity output.
	MSE
	// Tweedie: log link, Predict returns exp(output); targets >= 0.
	Tweedie
	// Pinball: the quantile loss at Config.Alpha, identity output.
	Pinball
)

// Layer is a dense layer: out = act(W^T in + B) with W[k*Out+j] the weight
// from input k to unit j (rows by input, so one input's weights are
// contiguous).
type Layer struct {
	In, Out int
	Act     Activation
	W, B    []float64
}

// Net is a trained network with its input standardisation. It is safe for
// concurrent use.
type Net struct {
	Layers []Layer
	Loss   Loss
	// Mean and Std standardise inputs: x' = (x - Mean) / Std.
	Mean, Std []float64
	// TweediePower and Alpha parameterise the Tweedie and pinball losses.
	TweediePower, Alpha float64
	// Epochs is the number of epochs Train ran and BestEpoch the one whose
	// weights it kept (the best on validation with early stopping); not
	// serialised.
	Epochs, BestEpoch int

	pool sync.Pool // *buffers for Predict
}

// NumInputs returns the number of input features.
func (n *Net) NumInputs() int { return n.Layers[0].In }

// NumParams returns the number of weights and biases.
func (n *Net) NumParams() int {
	s := 0
	for _, l := range n.Layers {
		s += len(l.W) + len(l.B)
	}
	return s
}

// newNet allocates layers in one contiguous parameter vector and returns
// both.
func newNet(in int, hidden []int, act Activation) (*Net, []float64) {
	sizes := append(append([]int{in}, hidden...), 1)
	total := 0
	for i := 0; i+1 < len(sizes); i++ {
		total += sizes[i]*sizes[i+1] + sizes[i+1]
	}
	params := make([]float64, total)
	n := &Net{}
	off := 0
	for i := 0; i+1 < len(sizes); i++ {
		a, b := sizes[i], sizes[i+1]
		l := Layer{In: a, Out: b, Act: act}
		if i+2 == len(sizes) {
			l.Act = Linear // the output link lives in the loss
		}
		l.W = params[off : off+a*b : off+a*b]
		off += a * b
		l.B = params[off : off+b : off+b]
		off += b
		n.Layers = append(n.Layers, l)
	}
	return n, params
}

// initWeights draws He (ReLU) or Glorot (others) initial weights.
func (n *Net) initWeights(rng *rand.Rand) {
	for _, l := range n.Layers {
		scale := math.Sqrt(2 / float64(l.In+l.Out))
		if l.Act == ReLU {
			scale = math.Sqrt(2 / float64(l.In))
		}
		for i := range l.W {
			l.W[i] = rng.NormFloat64() * scale
		}
		clear(l.B)
	}
}

func activate(a Activation, v []float64) {
	switch a {
	case ReLU:
		for i, x := range v {
			v[i] = max(x, 0) // branch-free: signs are unpredictable
		}
	case Tanh:
		for i, x := range v {
			v[i] = math.Tanh(x)
		}
	case Sigmoid:
		for i, x := range v {
			v[i] = sigmoid(x)
		}
	}
}

// derivAt returns act'(z) given the activation's output a = act(z).
func derivAt(act Activation, a float64) float64 {
	switch act {
	case ReLU:
		if a > 0 {
			return 1
		}
		return 0
	case Tanh:
		return 1 - a*a
	case Sigmoid:
		return a * (1 - a)
	}
	return 1
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// link maps the raw output to the prediction scale.
func (n *Net) link(z float64) float64 {
	switch n.Loss {
	case BinaryCrossEntropy:
		return sigmoid(z)
	case Tweedie:
		return math.Exp(z)
	}
	return z
}

// buffers holds one sample's activations per layer (acts[0] = input).
type buffers struct {
	acts [][]float64
	grad [][]float64
	nz   []int32 // indices of non-zero activations
}

func (n *Net) newBuffers() *buffers {
	b := &buffers{acts: make([][]float64, len(n.Layers)+1), grad: make([][]float64, len(n.Layers)+1)}
	b.acts[0] = make([]float64, n.Layers[0].In)
	b.grad[0] = make([]float64, n.Layers[0].In)
	widest := n.Layers[0].In
	for i, l := range n.Layers {
		b.acts[i+1] = make([]float64, l.Out)
		b.grad[i+1] = make([]float64, l.Out)
		widest = max(widest, l.Out)
	}
	b.nz = make([]int32, widest)
	return b
}

func (n *Net) getBuffers() *buffers {
	if b, ok := n.pool.Get().(*buffers); ok {
		return b
	}
	return n.newBuffers()
}

// standardize writes the standardised x into dst.
func (n *Net) standardize(x, dst []float64) {
	for i, v := range x {
		dst[i] = (v - n.Mean[i]) / n.Std[i]
	}
}

// forward runs the layers on b.acts[0] and returns the raw output.
func (n *Net) forward(b *buffers) float64 {
	for i := range n.Layers {
		l := &n.Layers[i]
		layerForward(l, b.acts[i], b.acts[i+1], b.nz)
	}
	return b.acts[len(n.Layers)][0]
}

// nonzero writes the indices of v's non-zero values into idx and returns
// them, without branching (ReLU zeros follow no predictable pattern).
func nonzero(v []float64, idx []int32) []int32 {
	n := 0
	for k, x := range v {
		idx[n] = int32(k)
		n += int(-(math.Float64bits(x) &^ (1 << 63)) >> 63)
	}
	return idx[:n]
}

// layerForward computes out = act(W^T in + B), skipping zero inputs (ReLU
// leaves many).
func layerForward(l *Layer, in, out []float64, nz []int32) {
	if l.Out == 1 {
		w := l.W[:len(in)]
		var s0, s1, s2, s3 float64
		k := 0
		for ; k+4 <= len(in); k += 4 {
			s0 += in[k] * w[k]
			s1 += in[k+1] * w[k+1]
			s2 += in[k+2] * w[k+2]
			s3 += in[k+3] * w[k+3]
		}
		for ; k < len(in); k++ {
			s0 += in[k] * w[k]
		}
		out[0] = l.B[0] + (s0 + s1) + (s2 + s3)
	} else {
		copy(out, l.B)
		for _, k := range nonzero(in, nz) {
			axpy(in[k], l.W[int(k)*l.Out:(int(k)+1)*l.Out], out)
		}
	}
	activate(l.Act, out)
}

// axpy adds a*x to y (len(x) == len(y)) with gonum's assembly kernel.
func axpy(a float64, x, y []float64) { blasImpl.Daxpy(len(x), a, x, 1, y, 1) }

// dot returns the inner product of x and y (len(x) == len(y)).
func dot(x, y []float64) float64 { return blasImpl.Ddot(len(x), x, 1, y, 1) }

// blasImpl supplies gonum's SIMD assembly kernels for the inner loops.
var blasImpl gonum.Implementation

// PredictRaw returns the output before the link (a logit for binary
// cross-entropy, a log mean for Tweedie).
func (n *Net) PredictRaw(x []float64) float64 {
	b := n.getBuffers()
	n.standardize(x, b.acts[0])
	z := n.forward(b)
	n.pool.Put(b)
	return z
}

// Predict returns the prediction on the response scale (a probability for
// binary cross-entropy).
func (n *Net) Predict(x []float64) float64 { return n.link(n.PredictRaw(x)) }

// PredictBatch writes Predict of each row of X (row-major, NumInputs
// columns) to out, in parallel over rows.
func (n *Net) PredictBatch(ctx context.Context, X []float64, out []float64, workers int) error {
	d := n.NumInputs()
	if len(X) != len(out)*d {
		return fmt.Errorf("mlp: %d values for %d rows of %d inputs", len(X), len(out), d)
	}
	return parallelChunks(ctx, len(out), workers, func(lo, hi int) {
		b := n.newBuffers()
		for i := lo; i < hi; i++ {
			n.standardize(X[i*d:(i+1)*d], b.acts[0])
			out[i] = n.link(n.forward(b))
		}
	})
}

// Gradient returns the prediction (response scale) at x and writes its
// gradient with respect to the raw inputs into grad (len NumInputs).
func (n *Net) Gradient(x, grad []float64) float64 { return n.gradient(x, grad, false) }

// RawGradient is Gradient for the raw output (the logit for binary
// cross-entropy), whose attributions add up in log-odds.
func (n *Net) RawGradient(x, grad []float64) float64 { return n.gradient(x, grad, true) }

func (n *Net) gradient(x, grad []float64, raw bool) float64 {
	b := n.getBuffers()
	defer n.pool.Put(b)
	n.standardize(x, b.acts[0])
	z := n.forward(b)
	y := n.link(z)
	// d link / dz.
	d := 1.0
	switch {
	case raw:
		y = z
	case n.Loss == BinaryCrossEntropy:
		d = y * (1 - y)
	case n.Loss == Tweedie:
		d = y
	}
	last := len(n.Layers)
	b.grad[last][0] = d
	for i := last - 1; i >= 0; i-- {
		l := &n.Layers[i]
		up := b.grad[i+1]
		in, g := b.acts[i], b.grad[i]
		for k := range in {
			s := dot(l.W[k*l.Out:(k+1)*l.Out], up)
			if i > 0 {
				s *= derivAt(n.Layers[i-1].Act, in[k])
			}
			g[k] = s
		}
	}
	for k := range grad {
		grad[k] = b.grad[0][k] / n.Std[k]
	}
	return y
}
