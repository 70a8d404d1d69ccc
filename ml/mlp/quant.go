package mlp

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/shelfwise/shelfwise/ml/modelio"
	"gonum.org/v1/gonum/blas/gonum"
)

// Quantized is an int8 copy of a Net for compact storage and fast scoring:
// each layer's weights are int8 with a symmetric scale per output unit
// (stored as a layer scale times a uint8 multiplier, one byte per unit),
// biases int16 with their own scale; inputs are standardised in float32 and
// activations accumulate in float32. It is safe for concurrent use.
type Quantized struct {
	Loss                Loss
	TweediePower, Alpha float64
	Mean, InvStd        []float32
	Layers              []QLayer
}

// QLayer is a quantised dense layer: weight = W[k*Out+j] * WScale *
// Mult[j] / 255, bias = B[j] * BScale.
type QLayer struct {
	In, Out int
	Act     Activation
	W       []int8
	WScale  float32
	Mult    []uint8
	B       []int16
	BScale  float32

	scale []float32 // WScale * Mult[j] / 255, derived
	wf    []float32 // W dequantised for the SIMD kernels, derived
	bf    []float32 // B dequantised, derived
}

// derive computes the per-unit scales from WScale and Mult.
func (l *QLayer) derive() {
	l.scale = make([]float32, l.Out)
	for j, m := range l.Mult {
		l.scale[j] = l.WScale * float32(m) / 255
	}
}

// dequantize expands the int8 weights to float32 once, at load: Go has no
// int8 SIMD, and gonum's float32 assembly kernels score faster than any
// scalar int8 loop. The stored model stays int8.
func (l *QLayer) dequantize() {
	l.wf = make([]float32, len(l.W))
	for i, w := range l.W {
		l.wf[i] = float32(w) * l.scale[i%l.Out]
	}
	l.bf = make([]float32, len(l.B))
	for j, b := range l.B {
		l.bf[j] = float32(b) * l.BScale
	}
}

// Quantize returns the int8 form of n.
func (n *Net) Quantize() *Quantized {
	q := &Quantized{Loss: n.Loss, TweediePower: n.TweediePower, Alpha: n.Alpha,
		Mean: make([]float32, len(n.Mean)), InvStd: make([]float32, len(n.Std))}
	for i := range n.Mean {
		q.Mean[i] = float32(n.Mean[i])
		q.InvStd[i] = float32(1 / n.Std[i])
	}
	for _, l := range n.Layers {
		ql := QLayer{In: l.In, Out: l.Out, Act: l.Act, W: make([]int8, len(l.W)), B: make([]int16, len(l.B)), Mult: make([]uint8, l.Out)}
		ql.WScale = symScale(l.W, 127)
		for j := range l.Out {
			var m float64
			for k := range l.In {
				m = math.Max(m, math.Abs(l.W[k*l.Out+j]))
			}
			ql.Mult[j] = uint8(min(255, max(1, math.Ceil(255*m/(127*float64(ql.WScale))))))
		}
		ql.derive()
		for i, w := range l.W {
			ql.W[i] = int8(max(-127, min(127, math.Round(w/float64(ql.scale[i%l.Out])))))
		}
		ql.BScale = symScale(l.B, 32767)
		for i, b := range l.B {
			ql.B[i] = int16(math.Round(b / float64(ql.BScale)))
		}
		q.Layers = append(q.Layers, ql)
	}
	for i := range q.Layers {
		q.Layers[i].dequantize()
	}
	return q
}

// symScale maps the largest |v| to levels.
func symScale(v []float64, levels float64) float32 {
	var m float64
	for _, x := range v {
		m = math.Max(m, math.Abs(x))
	}
	if m == 0 {
		return 1
	}
	return float32(m / levels)
}

// qbuf is one goroutine's activation buffers.
type qbuf struct {
	acts [][]float32
	nz   []int32 // indices of non-zero inputs
}

func (q *Quantized) newBuf() *qbuf {
	b := &qbuf{acts: make([][]float32, len(q.Layers)+1)}
	b.acts[0] = make([]float32, q.Layers[0].In)
	widest := q.Layers[0].In
	for i, l := range q.Layers {
		b.acts[i+1] = make([]float32, l.Out)
		widest = max(widest, l.Out)
	}
	b.nz = make([]int32, widest)
	return b
}

// raw runs the network on the standardised input in b.acts[0].
func (q *Quantized) raw(b *qbuf) float32 {
	for li := range q.Layers {
		l := &q.Layers[li]
		in, out := b.acts[li], b.acts[li+1]
		if l.Out == 1 {
			out[0] = blas32.Sdot(len(in), in, 1, l.wf, 1) + l.bf[0]
		} else {
			copy(out, l.bf)
			// Gather the non-zero inputs without branching (ReLU zeros
			// follow no pattern a branch predictor could learn).
			nz := b.nz[:len(in)]
			n := 0
			for k, x := range in {
				nz[n] = int32(k)
				n += int(-(math.Float32bits(x) & 0x7fffffff) >> 31)
			}
			for _, k := range nz[:n] {
				blas32.Saxpy(l.Out, in[k], l.wf[int(k)*l.Out:(int(k)+1)*l.Out], 1, out, 1)
			}
		}
		switch l.Act {
		case ReLU:
			for j, v := range out {
				out[j] = max(v, 0)
			}
		case Tanh:
			for j, v := range out {
				out[j] = float32(math.Tanh(float64(v)))
			}
		case Sigmoid:
			for j, v := range out {
				out[j] = float32(sigmoid(float64(v)))
			}
		}
	}
	return b.acts[len(q.Layers)][0]
}

// blas32 supplies gonum's float32 SIMD assembly kernels.
var blas32 gonum.Implementation

func (q *Quantized) link(z float32) float64 {
	switch q.Loss {
	case BinaryCrossEntropy:
		return sigmoid(float64(z))
	case Tweedie:
		return math.Exp(float64(z))
	}
	return float64(z)
}

// Predict returns the prediction (response scale) for x.
func (q *Quantized) Predict(x []float64) float64 {
	b := q.newBuf()
	for i, v := range x {
		b.acts[0][i] = (float32(v) - q.Mean[i]) * q.InvStd[i]
	}
	return q.link(q.raw(b))
}

// PredictBatch scores the rows of row-major X into out, in parallel.
func (q *Quantized) PredictBatch(ctx context.Context, X []float64, out []float64, workers int) error {
	d := q.Layers[0].In
	if len(X) != len(out)*d {
		return fmt.Errorf("mlp: %d values for %d rows of %d inputs", len(X), len(out), d)
	}
	return parallelChunks(ctx, len(out), workers, func(lo, hi int) {
		b := q.newBuf()
		in := b.acts[0]
		for i := lo; i < hi; i++ {
			for k, v := range X[i*d : (i+1)*d] {
				in[k] = (float32(v) - q.Mean[k]) * q.InvStd[k]
			}
			out[i] = q.link(q.raw(b))
		}
	})
}

// MarshalBinary encodes the quantised network (int8 weights).
func (q *Quantized) MarshalBinary() ([]byte, error) {
	var e modelio.Encoder
	e.U8(uint8(q.Loss))
	e.F32(float32(q.TweediePower))
	e.F32(float32(q.Alpha))
	e.F32s(q.Mean)
	e.F32s(q.InvStd)
	e.U8(uint8(len(q.Layers)))
	for _, l := range q.Layers {
		e.U32(uint32(l.In))
		e.U32(uint32(l.Out))
		e.U8(uint8(l.Act))
		e.F32(l.WScale)
		e.F32(l.BScale)
		e.Buf = append(e.Buf, l.Mult...)
		for _, w := range l.W {
			e.U8(uint8(w))
		}
		for _, b := range l.B {
			e.U8(uint8(b))
			e.U8(uint8(uint16(b) >> 8))
		}
	}
	return modelio.Seal(kindQuantized, netVersion, e.Buf), nil
}

// UnmarshalBinary decodes a quantised network.
func (q *Quantized) UnmarshalBinary(data []byte) error {
	_, payload, err := modelio.Open(data, kindQuantized, netVersion)
	if err != nil {
		return err
	}
	d := modelio.NewDecoder(payload)
	out := Quantized{Loss: Loss(d.U8()), TweediePower: float64(d.F32()), Alpha: float64(d.F32())}
	out.Mean, out.InvStd = d.F32s(), d.F32s()
	nl := int(d.U8())
	in := len(out.Mean)
	for i := 0; i < nl && d.Err() == nil; i++ {
		l := QLayer{In: int(d.U32()), Out: int(d.U32()), Act: Activation(d.U8()), WScale: d.F32(), BScale: d.F32()}
		if l.In != in || l.Out <= 0 || l.Out > 1<<16 || l.In*l.Out > 1<<26 || l.Act > Sigmoid {
			d.Fail("layer %d malformed", i)
			break
		}
		l.Mult = make([]uint8, l.Out)
		for k := range l.Mult {
			l.Mult[k] = d.U8()
		}
		l.derive()
		l.W = make([]int8, l.In*l.Out)
		for k := range l.W {
			l.W[k] = int8(d.U8())
		}
		l.B = make([]int16, l.Out)
		for k := range l.B {
			lo := uint16(d.U8())
			l.B[k] = int16(lo | uint16(d.U8())<<8)
		}
		l.dequantize()
		out.Layers = append(out.Layers, l)
		in = l.Out
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if nl == 0 || in != 1 || len(out.InvStd) != len(out.Mean) {
		return fmt.Errorf("%w: malformed quantised network", modelio.ErrCorrupt)
	}
	*q = out
	return nil
}

// Prune returns a copy of n with the fraction frac of each layer's weights
// of smallest magnitude set to zero (biases are kept).
func (n *Net) Prune(frac float64) *Net {
	out := &Net{Loss: n.Loss, Mean: n.Mean, Std: n.Std, TweediePower: n.TweediePower, Alpha: n.Alpha}
	for _, l := range n.Layers {
		c := Layer{In: l.In, Out: l.Out, Act: l.Act, W: append([]float64(nil), l.W...), B: append([]float64(nil), l.B...)}
		mags := make([]float64, len(c.W))
		for i, w := range c.W {
			mags[i] = math.Abs(w)
		}
		sort.Float64s(mags)
		k := int(frac * float64(len(mags)))
		if k > 0 {
			cut := mags[k-1]
			zeroed := 0
			for i, w := range c.W {
				if math.Abs(w) <= cut && zeroed < k {
					c.W[i] = 0
					zeroed++
				}
			}
		}
		out.Layers = append(out.Layers, c)
	}
	return out
}
