package gbdt

import (
	"math"
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
// log-likelihood up to a constant, pinball loss; for LambdaRank, over the
// queries groups, 1 - NDCG@RankAt).
func loss(p *Params, y, w, f []float64, groups [][2]int) float64 {
	if p.Objective == LambdaRank {
		return 1 - meanNDCG(y, w, f, groups, p.RankAt)
	}
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
	case LambdaRank:
		return 0 // scores only compare within a query
	case Quantile:
		// Copies: the selection reorders both, and w are the rows' weights.
		return weightedQuantile(append([]float64(nil), y...), append([]float64(nil), w...), p.Alpha)
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
// unit weights, interpolated between order statistics); v and w are
// reordered. It selects in expected linear time (no full sort), which
// matters for the quantile objective's per-leaf refits on large data.
func weightedQuantile(v, w []float64, alpha float64) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	if w == nil {
		pos := alpha * float64(n-1)
		k := int(pos)
		lo := selectKth(v, k)
		if k+1 >= n {
			return lo
		}
		hi := v[k+1]
		for _, x := range v[k+2:] {
			hi = math.Min(hi, x)
		}
		fr := pos - float64(k)
		return lo*(1-fr) + hi*fr
	}
	var tot float64
	for _, x := range w {
		tot += x
	}
	// The smallest value whose cumulative weight reaches alpha*tot.
	target := alpha * tot
	lo, hi := 0, n
	for hi-lo > 1 {
		lt, gt := partition3(v, w, lo, hi)
		var left, eq float64
		for _, x := range w[lo:lt] {
			left += x
		}
		for _, x := range w[lt:gt] {
			eq += x
		}
		if left >= target && lt > lo {
			hi = lt
			continue
		}
		target -= left
		if target <= eq || gt == hi {
			return v[lt]
		}
		target -= eq
		lo = gt
	}
	return v[lo]
}

// selectKth reorders v so that v[k] is its k-th smallest value (0-based),
// smaller ones before it and larger after, and returns it.
func selectKth(v []float64, k int) float64 {
	lo, hi := 0, len(v)
	for hi-lo > 1 {
		lt, gt := partition3(v, nil, lo, hi)
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			return v[k]
		}
	}
	return v[k]
}

// partition3 partitions v[lo:hi] (and w alongside, if not nil) three ways
// around a median-of-three pivot and returns the bounds of the pivot's
// block: v[lo:lt] < pivot, v[lt:gt] == pivot, v[gt:hi] > pivot. Ties form
// one block, so many equal values (sales full of zeros) cost linear time,
// not quadratic.
func partition3(v, w []float64, lo, hi int) (lt, gt int) {
	mid := lo + (hi-lo)/2
	a, b, c := lo, mid, hi-1
	if v[a] > v[b] {
		a, b = b, a
	}
	if v[b] > v[c] {
		b = c
		if v[a] > v[b] {
			b = a
		}
	}
	pivot := v[b]
	swap := func(i, j int) {
		v[i], v[j] = v[j], v[i]
		if w != nil {
			w[i], w[j] = w[j], w[i]
		}
	}
	lt, gt = lo, hi
	for i := lo; i < gt; {
		switch {
		case v[i] < pivot:
			swap(i, lt)
			lt++
			i++
		case v[i] > pivot:
			gt--
			swap(i, gt)
		default:
			i++
		}
	}
	return lt, gt
}
