package mlp

import (
	"math"
	"math/rand/v2"
	"sync"
)

// lossGrad returns the loss and its derivative with respect to the raw
// output z for target y.
func (n *Net) lossGrad(z, y float64, wantLoss bool) (loss, g float64) {
	switch n.Loss {
	case BinaryCrossEntropy:
		p := sigmoid(z)
		g = p - y
		if wantLoss {
			loss = softplus(z) - y*z
		}
	case MSE:
		g = z - y
		loss = 0.5 * g * g
	case Tweedie:
		rho := n.TweediePower
		a, b := math.Exp((1-rho)*z), math.Exp((2-rho)*z)
		g = -y*a + b
		loss = -y*a/(1-rho) + b/(2-rho)
	case Pinball:
		d := y - z
		if d >= 0 {
			g, loss = -n.Alpha, n.Alpha*d
		} else {
			g, loss = 1-n.Alpha, (n.Alpha-1)*d
		}
	}
	return loss, g
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	if x < -30 {
		return math.Exp(x)
	}
	return math.Log1p(math.Exp(x))
}

// accumulate adds the gradient of the weighted loss over j.rows to wk.grad
// (and the loss to wk.loss): the per-sample forward and backward pass.
func (tr *trainer) accumulate(wk *worker, j job) {
	net := tr.net
	L := len(net.Layers)
	d := net.Layers[0].In
	b := wk.b
	hid := tr.hidden
	for s, r := range j.rows {
		b.acts[0] = j.x[r*d : (r+1)*d]
		var mask []float64
		if j.masks != nil {
			mask = j.masks[s*hid : (s+1)*hid]
		}
		mo := 0
		for i := range net.Layers {
			l := &net.Layers[i]
			layerForward(l, b.acts[i], b.acts[i+1], b.nz)
			if mask != nil && i+1 < L {
				out := b.acts[i+1]
				for u := range out {
					out[u] *= mask[mo+u]
				}
				mo += l.Out
			}
		}
		w := 1.0
		if j.w != nil {
			w = j.w[r]
		}
		loss, g := net.lossGrad(b.acts[L][0], j.y[r], true)
		wk.loss += w * loss
		b.grad[L][0] = g * w
		tr.backward(wk, mask)
	}
}

// backward propagates b.grad[L] (dLoss/dz of the output) through the
// layers, adding weight and bias gradients to wk.
func (tr *trainer) backward(wk *worker, mask []float64) {
	net := tr.net
	b := wk.b
	mo := tr.hidden
	for i := len(net.Layers) - 1; i >= 0; i-- {
		l := &net.Layers[i]
		up := b.grad[i+1]
		in := b.acts[i]
		gw, gb := wk.gw[i], wk.gb[i]
		var idx []int32
		if l.Out == 1 {
			u := up[0]
			gb[0] += u
			gw = gw[:len(in)]
			for k, x := range in {
				gw[k] += x * u
			}
		} else {
			axpy(1, up, gb)
			idx = nonzero(in, b.nz)
			for _, k := range idx {
				axpy(in[k], up, gw[int(k)*l.Out:(int(k)+1)*l.Out])
			}
		}
		if i == 0 {
			break
		}
		act := net.Layers[i-1].Act
		g := b.grad[i]
		var m []float64
		if mask != nil {
			mo -= len(in)
			m = mask[mo : mo+len(in)]
		}
		if act == ReLU {
			// relu' is 1 where the unit is on (non-zero), 0 elsewhere;
			// a dropped unit is zero too.
			if idx == nil {
				idx = nonzero(in, b.nz)
			}
			clear(g)
			for _, k := range idx {
				var s float64
				if l.Out == 1 {
					s = l.W[k] * up[0]
				} else {
					s = dot(l.W[int(k)*l.Out:(int(k)+1)*l.Out], up)
				}
				if m != nil {
					s *= m[k]
				}
				g[k] = s
			}
			continue
		}
		for k, x := range in {
			var s float64
			if l.Out == 1 {
				s = l.W[k] * up[0]
			} else {
				s = dot(l.W[k*l.Out:(k+1)*l.Out], up)
			}
			if m != nil {
				if m[k] == 0 {
					g[k] = 0
					continue
				}
				s *= m[k] * derivAt(act, x/m[k])
			} else {
				s *= derivAt(act, x)
			}
			g[k] = s
		}
	}
}

// gradient fills tr.grad with the summed gradient over rows and returns
// the summed loss, splitting rows over the workers.
func (tr *trainer) gradient(x, y, w []float64, rows []int, masks []float64) float64 {
	nw := len(tr.workers)
	if len(rows) < 8 {
		nw = 1
	}
	var wg sync.WaitGroup
	hid := tr.hidden
	for k := nw - 1; k >= 0; k-- {
		lo, hi := k*len(rows)/nw, (k+1)*len(rows)/nw
		j := job{x: x, y: y, w: w, rows: rows[lo:hi], done: &wg}
		if masks != nil {
			j.masks = masks[lo*hid : hi*hid]
		}
		if k == 0 {
			tr.accumulate(tr.workers[0], j)
			continue
		}
		wg.Add(1)
		tr.workers[k].job <- j
	}
	wg.Wait()
	var loss float64
	copy(tr.grad, tr.workers[0].grad)
	clear(tr.workers[0].grad)
	loss = tr.workers[0].loss
	tr.workers[0].loss = 0
	for _, wk := range tr.workers[1:nw] {
		for i, v := range wk.grad {
			tr.grad[i] += v
		}
		clear(wk.grad)
		loss += wk.loss
		wk.loss = 0
	}
	return loss
}

// step runs one mini-batch update.
func (tr *trainer) step(x, y, w []float64, rows []int, rng *rand.Rand) {
	var masks []float64
	if tr.c.Dropout > 0 {
		n := len(rows) * tr.hidden
		if cap(tr.masks) < n {
			tr.masks = make([]float64, n)
		}
		masks = tr.masks[:n]
		keep := 1 / (1 - tr.c.Dropout)
		for i := range masks {
			masks[i] = 0
			if rng.Float64() >= tr.c.Dropout {
				masks[i] = keep
			}
		}
	}
	tr.gradient(x, y, w, rows, masks)
	tr.update(1 / float64(len(rows)))
}

// update applies the optimizer to tr.grad scaled by scale.
func (tr *trainer) update(scale float64) {
	c := &tr.c
	p, g, m, v := tr.params, tr.grad[:len(tr.params)], tr.m[:len(tr.params)], tr.v[:len(tr.params)]
	isW := tr.isW[:len(p)]
	l2 := c.L2
	if c.Optimizer == SGD {
		for i := range p {
			gi := g[i] * scale
			if isW[i] {
				gi += l2 * p[i]
			}
			m[i] = c.Momentum*m[i] + gi
			p[i] -= c.LearningRate * m[i]
		}
		return
	}
	tr.t++
	b1, b2 := c.Beta1, c.Beta2
	c1 := 1 - math.Pow(b1, float64(tr.t))
	c2 := 1 - math.Pow(b2, float64(tr.t))
	lr := c.LearningRate * math.Sqrt(c2) / c1
	eps := c.Epsilon * math.Sqrt(c2)
	for i := range p {
		gi := g[i] * scale
		if isW[i] {
			gi += l2 * p[i]
		}
		mi := b1*m[i] + (1-b1)*gi
		vi := b2*v[i] + (1-b2)*gi*gi
		m[i], v[i] = mi, vi
		p[i] -= lr * mi / (math.Sqrt(vi) + eps)
	}
}

// meanLoss is the weighted mean loss over standardised rows x.
func (tr *trainer) meanLoss(x, y, w []float64) float64 {
	d := tr.net.Layers[0].In
	b := tr.workers[0].b
	var s, sw float64
	for r := range y {
		b.acts[0] = x[r*d : (r+1)*d]
		loss, _ := tr.net.lossGrad(tr.net.forward(b), y[r], true)
		wi := 1.0
		if w != nil {
			wi = w[r]
		}
		s += wi * loss
		sw += wi
	}
	b.acts[0] = make([]float64, d)
	return s / sw
}
