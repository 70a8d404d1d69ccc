package gbdt

import (
	"math"
	"sort"
)

// gradients fills gh with the weighted gradient and hessian of the loss at
// raw predictions f, for rows [lo, hi).
func gradients(p *Params, y, w, f []float64, gh []gpair, lo, hi int) {
	rho := p.TweedieVariancePower
	for i := lo; i < hi; i++ {
		var g, h float64
		switch p.Objective {
		case Logistic:
			pr := sigmoid(f[i])
			g, h = pr-y[i], math.Max(pr*(1-pr), 1e-16)
		case SquaredError:
			g, h = f[i]-y[i], 1
		case Tweedie:
			a := math.Exp((1 - rho) * f[i])
			b := math.Exp((2 - rho) * f[i])
			g = -y[i]*a + b
			h = -y[i]*(1-rho)*a + (2-rho)*b
		case Quantile:
			g, h = -p.Alpha, 1
			if f[i] > y[i] {
				g = 1 - p.Alpha
			}
		}
		if w != nil {
			g, h = g*w[i], h*w[i]
		}
		gh[i] = gpair{g, h}
	}
}

// loss is the objective's mean loss at raw predictions f: the early
// stopping criterion (log loss, mean squared error, Tweedie negative
// log-likelihood up to a constant, pinball loss).
func loss(p *Params, y, w, f []float64) float64 {
	rho := p.TweedieVariancePower
	var s, sw float64
	for i := range y {
		var l float64
		switch p.Objective {
		case Logistic:
			// log(1+exp(f)) - y f, computed stably.
			l = softplus(f[i]) - y[i]*f[i]
		case SquaredError:
			d := f[i] - y[i]
			l = d * d
		case Tweedie:
			l = -y[i]*math.Exp((1-rho)*f[i])/(1-rho) + math.Exp((2-rho)*f[i])/(2-rho)
		case Quantile:
			d := y[i] - f[i]
			if d >= 0 {
				l = p.Alpha * d
			} else {
				l = (p.Alpha - 1) * d
			}
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s += wi * l
		sw += wi
	}
	return s / sw
}

// baseScore is the best constant raw prediction.
func baseScore(p *Params, y, w []float64) float64 {
	var s, sw float64
	for i, v := range y {
		wi := 1.0
		if w != nil {
			wi = w[i]
		}
		s += wi * v
		sw += wi
	}
	mean := s / sw
	switch p.Objective {
	case Logistic:
		mean = math.Min(math.Max(mean, 1e-6), 1-1e-6)
		return math.Log(mean / (1 - mean))
	case Tweedie:
		return math.Log(math.Max(mean, 1e-9))
	case Quantile:
		return weightedQuantile(append([]float64(nil), y...), w, p.Alpha)
	}
	return mean
}

// transform maps a raw score to the response scale.
func transform(obj Objective, raw float64) float64 {
	switch obj {
	case Logistic:
		return sigmoid(raw)
	case Tweedie:
		return math.Exp(raw)
	}
	return raw
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// weightedQuantile returns the alpha-quantile of v with weights w (nil =
// unit); v is reordered.
func weightedQuantile(v, w []float64, alpha float64) float64 {
	if len(v) == 0 {
		return 0
	}
	if w == nil {
		sort.Float64s(v)
		pos := alpha * float64(len(v)-1)
		lo := int(pos)
		if lo+1 >= len(v) {
			return v[len(v)-1]
		}
		fr := pos - float64(lo)
		return v[lo]*(1-fr) + v[lo+1]*fr
	}
	idx := make([]int, len(v))
	var tot float64
	for i := range idx {
		idx[i] = i
		tot += w[i]
	}
	sort.Slice(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	var acc float64
	for _, i := range idx {
		acc += w[i]
		if acc >= alpha*tot {
			return v[i]
		}
	}
	return v[idx[len(idx)-1]]
}
