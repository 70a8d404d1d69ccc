package forecast

import "math"

// etsEval holds one series and reusable buffers for the likelihood
// evaluations of one ETS spec.
type etsEval struct {
	y    []float64
	spec ETSSpec
	// s0 is the fixed initial seasonal state (seasonal specs), l0h and b0h
	// the heuristic initial level and slope (used where the states are
	// not concentrated out: multiplicative seasons).
	s0       []float64
	l0h, b0h float64
	// a are the one-step errors with zero initial level and slope; z1, z2
	// the errors' sensitivities to the initial level and slope.
	a, z1, z2 []float64
	w         []float64
	ring      []float64
}

func newETSEval(y []float64, spec ETSSpec) *etsEval {
	n := len(y)
	e := &etsEval{y: y, spec: spec, a: make([]float64, n), z1: make([]float64, n), z2: make([]float64, n)}
	if spec.seasonal() {
		e.s0, e.l0h, e.b0h = seasonalInit(y, spec.Period, spec.Season == 'M')
		e.ring = make([]float64, spec.Period)
	} else {
		e.l0h = y[0]
		if n > 1 {
			e.b0h = y[1] - y[0]
		}
	}
	return e
}

// concentrated returns the likelihood criterion (-2 log L up to a constant,
// as R's ets "lik") at smoothing parameters p with the initial level and
// slope concentrated out, and those initial states.
func (e *etsEval) concentrated(p etsParams) (lik, l0, b0 float64) {
	if e.spec.Season == 'M' {
		return e.exactLik(p, e.l0h, e.b0h), e.l0h, e.b0h
	}
	if e.spec.seasonal() {
		e.lanesSeasonalA(p)
	} else {
		e.lanesNonSeasonal(p)
	}
	l0, b0, sse := e.solve(nil)
	if e.spec.Error == 'A' {
		n := float64(len(e.y))
		if sse <= 0 {
			sse = 1e-300
		}
		return n * math.Log(sse), l0, b0
	}
	// Multiplicative error: one weighted least-squares refinement with
	// weights 1/yhat^2 from the additive solution, then the exact
	// criterion at whichever initial state is better.
	lik1, w := e.multLik(l0, b0, true)
	if math.IsInf(lik1, 1) {
		return lik1, l0, b0
	}
	l2, b2, _ := e.solve(w)
	lik2, _ := e.multLik(l2, b2, false)
	if lik2 < lik1 {
		return lik2, l2, b2
	}
	return lik1, l0, b0
}

// lanesNonSeasonal fills a, z1, z2 for non-seasonal specs in one pass.
func (e *etsEval) lanesNonSeasonal(p etsParams) {
	y, a, z1, z2 := e.y, e.a, e.z1, e.z2
	alpha := p.alpha
	if e.spec.Trend != 'A' {
		l, r := 0.0, 1.0
		d := 1 - alpha
		for t, v := range y {
			er := v - l
			a[t] = er
			z1[t] = r
			l += alpha * er
			r *= d
		}
		return
	}
	beta, phi := p.beta, p.phi
	l, b := 0.0, 0.0
	r1, r2 := 1.0, phi
	d11, d12, d21, d22 := 1-alpha, phi*(1-alpha), -beta, phi*(1-beta)
	for t, v := range y {
		yh := l + phi*b
		er := v - yh
		a[t] = er
		z1[t], z2[t] = r1, r2
		l = yh + alpha*er
		b = phi*b + beta*er
		r1, r2 = r1*d11+r2*d21, r1*d12+r2*d22
		if math.Abs(r1)+math.Abs(r2) < 1e-150 {
			r1, r2 = 0, 0
		}
	}
}

// lanesSeasonalA fills a (zero level and slope, seasons s0), and z1, z2
// (the error responses to a unit initial level and slope) for additive
// seasons, by superposition of three runs of the linear recursion.
func (e *etsEval) lanesSeasonalA(p etsParams) {
	e.runLinear(p, e.y, 0, 0, e.s0, e.a)
	e.runLinear(p, nil, 1, 0, nil, e.z1)
	if e.spec.Trend == 'A' {
		e.runLinear(p, nil, 0, 1, nil, e.z2)
	}
	// runLinear stores errors; the sensitivities are minus the errors of
	// the homogeneous runs.
	for t := range e.z1 {
		e.z1[t] = -e.z1[t]
		e.z2[t] = -e.z2[t]
	}
}

// runLinear runs the additive-season recursion from (l, b, s) on y (nil =
// zeros) and stores the one-step errors in out.
func (e *etsEval) runLinear(p etsParams, y []float64, l, b float64, s []float64, out []float64) {
	m := e.spec.Period
	ring := e.ring
	if s == nil {
		clear(ring)
	} else {
		copy(ring, s)
	}
	phi := p.phi
	trend := e.spec.Trend == 'A'
	if !trend {
		b, phi = 0, 0
	}
	for t := range out {
		j := t % m
		lb := l + phi*b
		yh := lb + ring[j]
		v := 0.0
		if y != nil {
			v = y[t]
		}
		er := v - yh
		out[t] = er
		l = lb + p.alpha*er
		if trend {
			b = phi*b + p.beta*er
		}
		ring[j] += p.gamma * er
	}
}

// solve returns the (weighted) least-squares initial level and slope from
// the lanes and the minimised sum of squares.
func (e *etsEval) solve(w []float64) (l0, b0, sse float64) {
	var s11, s12, s22, c1, c2, aa float64
	trend := e.spec.Trend == 'A'
	for t, at := range e.a {
		wt := 1.0
		if w != nil {
			wt = w[t]
		}
		z1 := e.z1[t]
		s11 += wt * z1 * z1
		c1 += wt * z1 * at
		aa += wt * at * at
		if trend {
			z2 := e.z2[t]
			s12 += wt * z1 * z2
			s22 += wt * z2 * z2
			c2 += wt * z2 * at
		}
	}
	ridge := 1e-10 * (s11 + s22 + 1)
	if !trend {
		l0 = c1 / (s11 + ridge)
		return l0, 0, aa - l0*c1
	}
	s11 += ridge
	s22 += ridge
	det := s11*s22 - s12*s12
	if det <= 0 {
		l0 = c1 / s11
		return l0, 0, aa - l0*c1
	}
	l0 = (s22*c1 - s12*c2) / det
	b0 = (s11*c2 - s12*c1) / det
	return l0, b0, aa - l0*c1 - b0*c2
}

// multLik evaluates the multiplicative-error criterion n log(sum eps^2) +
// 2 sum log|yhat| at initial states (l0, b0) from the lanes. With wantW it
// also returns the weights 1/yhat^2 (in a buffer reused across calls).
func (e *etsEval) multLik(l0, b0 float64, wantW bool) (float64, []float64) {
	var w []float64
	if wantW {
		if e.w == nil {
			e.w = make([]float64, len(e.a))
		}
		w = e.w
	}
	trend := e.spec.Trend == 'A'
	// Sum of logs as the log of a running product, renormalised by
	// Frexp every 8 steps: one Log per series instead of one per step.
	var se float64
	prod, exp2 := 1.0, 0
	for t, at := range e.a {
		er := at - e.z1[t]*l0
		if trend {
			er -= e.z2[t] * b0
		}
		yh := e.y[t] - er
		if yh <= 0 {
			return math.Inf(1), nil
		}
		rel := er / yh
		se += rel * rel
		prod *= yh
		if t&7 == 7 {
			fr, ex := math.Frexp(prod)
			prod = fr
			exp2 += ex
		}
		if wantW {
			w[t] = 1 / (yh * yh)
		}
	}
	n := float64(len(e.a))
	if se <= 0 {
		se = 1e-300
	}
	sl := math.Log(prod) + float64(exp2)*math.Ln2
	return n*math.Log(se) + 2*sl, w
}

// exactLik runs the full (possibly multiplicative-season) recursion from
// (l0, b0, s0) and returns the criterion.
func (e *etsEval) exactLik(p etsParams, l0, b0 float64) float64 {
	lik, _ := e.run(p, l0, b0, nil)
	return lik
}

// run filters the series with the full recursion, returning the criterion
// and optionally the final states in st.
func (e *etsEval) run(p etsParams, l, b float64, st *ETSFit) (float64, float64) {
	spec := e.spec
	m := spec.Period
	var ring []float64
	if spec.seasonal() {
		ring = make([]float64, m)
		copy(ring, e.s0)
	}
	phi := p.phi
	trend := spec.Trend == 'A'
	if !trend {
		b, phi = 0, 0
	}
	var sse, srel float64
	prod, exp2 := 1.0, 0
	for t, v := range e.y {
		lb := l + phi*b
		yh, sv := lb, 0.0
		switch spec.Season {
		case 'A':
			sv = ring[t%m]
			yh += sv
		case 'M':
			sv = ring[t%m]
			yh *= sv
		}
		er := v - yh
		sse += er * er
		if spec.Error == 'M' {
			if yh <= 0 {
				return math.Inf(1), 0
			}
			srel += (er / yh) * (er / yh)
			prod *= yh
			if t&7 == 7 {
				fr, ex := math.Frexp(prod)
				prod = fr
				exp2 += ex
			}
		}
		if spec.Season == 'M' {
			if sv <= 0 || lb <= 0 {
				return math.Inf(1), 0
			}
			l = lb + p.alpha*er/sv
			if trend {
				b = phi*b + p.beta*er/sv
			}
			ring[t%m] = sv + p.gamma*er/lb
		} else {
			l = lb + p.alpha*er
			if trend {
				b = phi*b + p.beta*er
			}
			if spec.Season == 'A' {
				ring[t%m] = sv + p.gamma*er
			}
		}
	}
	n := float64(len(e.y))
	var lik, sigma2 float64
	if spec.Error == 'M' {
		lik = n*math.Log(math.Max(srel, 1e-300)) + 2*(math.Log(prod)+float64(exp2)*math.Ln2)
		sigma2 = srel / n
	} else {
		lik = n * math.Log(math.Max(sse, 1e-300))
		sigma2 = sse / n
	}
	if st != nil {
		st.Level, st.Slope = l, b
		if spec.seasonal() {
			st.Season = make([]float64, m)
			nn := len(e.y)
			for j := 0; j < m; j++ {
				st.Season[j] = ring[(nn+j)%m]
			}
		}
	}
	return lik, sigma2
}

// finish runs the final filter and fills a fit with states and criteria.
func (e *etsEval) finish(p etsParams, l0, b0, _ float64) *ETSFit {
	spec := e.spec
	f := &ETSFit{Spec: spec, Alpha: p.alpha, Beta: p.beta, Gamma: p.gamma, Phi: p.phi, L0: l0, B0: b0, N: len(e.y)}
	if !spec.Damped {
		f.Phi = 1
	}
	if spec.seasonal() {
		f.S0 = append([]float64(nil), e.s0...)
	}
	lik, sigma2 := e.run(etsParams{p.alpha, p.beta, p.gamma, f.Phi}, l0, b0, f)
	n := float64(len(e.y))
	k := float64(spec.nParams())
	// R: loglik = -0.5 * lik (constants dropped), aic = lik + 2k.
	f.Sigma2 = sigma2
	f.LogLik = -0.5 * lik
	f.AIC = lik + 2*k
	f.AICc = f.AIC + 2*k*(k+1)/math.Max(n-k-1, 1)
	return f
}

// seasonalInit estimates initial seasonal states from a classical
// decomposition of the first seasons (up to four) and the level and slope
// from the deseasonalised start: additive states sum to 0, multiplicative
// ones average 1.
func seasonalInit(y []float64, m int, mult bool) (s0 []float64, l0, b0 float64) {
	n := min(len(y), 4*m)
	if n < 2*m {
		n = min(len(y), 2*m)
	}
	// Centred moving average of order m (2 x m for even m).
	trend := make([]float64, n)
	half := m / 2
	for t := range trend {
		trend[t] = math.NaN()
	}
	for t := half; t+half < n; t++ {
		if m%2 == 1 {
			s := 0.0
			for k := t - half; k <= t+half; k++ {
				s += y[k]
			}
			trend[t] = s / float64(m)
		} else if t+half < n {
			s := 0.5*y[t-half] + 0.5*y[t+half]
			for k := t - half + 1; k < t+half; k++ {
				s += y[k]
			}
			trend[t] = s / float64(m)
		}
	}
	sum := make([]float64, m)
	cnt := make([]float64, m)
	for t := 0; t < n; t++ {
		if math.IsNaN(trend[t]) {
			continue
		}
		d := y[t] - trend[t]
		if mult {
			d = y[t] / trend[t]
		}
		sum[t%m] += d
		cnt[t%m]++
	}
	s0 = make([]float64, m)
	mean := 0.0
	for j := range s0 {
		if cnt[j] > 0 {
			s0[j] = sum[j] / cnt[j]
		} else if mult {
			s0[j] = 1
		}
		mean += s0[j] / float64(m)
	}
	for j := range s0 {
		if mult {
			s0[j] /= mean
		} else {
			s0[j] -= mean
		}
	}
	// Level and slope from a line through the deseasonalised first two
	// seasons.
	var sx, sy, sxx, sxy float64
	k := min(len(y), 2*m)
	for t := 0; t < k; t++ {
		v := y[t] - s0[t%m]
		if mult {
			v = y[t] / s0[t%m]
		}
		x := float64(t + 1)
		sx += x
		sy += v
		sxx += x * x
		sxy += x * v
	}
	fk := float64(k)
	b0 = (fk*sxy - sx*sy) / (fk*sxx - sx*sx)
	l0 = (sy - b0*sx) / fk
	return s0, l0, b0
}
