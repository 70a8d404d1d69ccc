package forecast

import (
	"errors"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Regressors are the known-in-advance drivers of one series' demand over its
// history and the forecast horizon: index t runs over the len(y) fitted
// steps and then the h forecast steps. Slices shorter than len(y)+h are
// extended: the price holds its last known value, promotions and events
// are off.
type Regressors struct {
	// Price is the shelf price per step (<= 0 or NaN: unknown, carried
	// from the nearest known price).
	Price []float64
	// Promo is the promotion intensity per step in [0,1].
	Promo []float64
	// Events[j][t] is the intensity (usually 0 or 1) of event kind j.
	Events [][]float64
	// Skip marks history steps that must not inform the effects
	// (stockout-censored or not on sale).
	Skip []bool
}

// RegressorMethod is a Method that can use regressors. Local calls
// ForecastX instead of Forecast when the series carries prices or
// promotions or the Local has event regressors.
type RegressorMethod interface {
	Method
	// ForecastX fits y with the regressors x (covering len(y)+h steps)
	// and forecasts h steps ahead.
	ForecastX(y []float64, x *Regressors, h int) (Prediction, error)
}

// Regression is a two-stage regression model: a Poisson (log-link)
// regression of demand on log price, promotion and event dummies over a
// smooth baseline (a linear spline in time with knots every Knot steps and
// a seasonal profile) estimates the price elasticity, promotion lift and
// event lifts; Base then forecasts the series with those effects divided out,
// and the effects are multiplied back over the horizon with the known future
// prices, promotions and events. The forecast's components keep Base's
// (level, trend, seasonality) and add "price", "promotion" and "event": the
// amounts those drivers add to the mean. Without regressors, or when they
// never vary, it is Base.
type Regression struct {
	Base Method
	// Options configure the effect regression.
	Options RegressionOptions
}

// RegressionOptions configure FitRegression.
type RegressionOptions struct {
	// Period is the season length of the baseline's seasonal profile
	// (dummies up to 24, three Fourier pairs beyond; <= 1: none).
	Period int
	// Knot is the spacing of the baseline spline's knots (default 28,
	// longer than promotions so that they cannot be absorbed by it).
	Knot int
	// MaxHistory is the number of most recent steps the regression uses
	// (default 730).
	MaxHistory int
	// MinZ is the |z| statistic an effect needs for Regression to apply
	// it in forecasts (default 2); Regression also drops price
	// elasticities outside [-6, 0) and promotion lifts below 1.
	// FitRegression itself reports every estimate.
	MinZ float64
}

// Name implements Method.
func (r Regression) Name() string { return "regress" }

// Forecast implements Method: without regressors it is Base.
func (r Regression) Forecast(y []float64, h int) (Prediction, error) { return r.Base.Forecast(y, h) }

// ForecastX implements RegressorMethod.
func (r Regression) ForecastX(y []float64, x *Regressors, h int) (Prediction, error) {
	fit, err := FitRegression(y, x, r.Options)
	if err != nil || !fit.keepSignificant(r.Options.MinZ) {
		return r.Base.Forecast(y, h)
	}
	adj := make([]float64, len(y))
	for t, v := range y {
		adj[t] = v / math.Exp(fit.logEffect(t))
	}
	p, err := r.Base.Forecast(adj, h)
	if err != nil {
		return p, err
	}
	n := len(y)
	comps := map[string][]float64{}
	for name, c := range p.Components {
		comps[name] = slices.Clone(c)
	}
	mean := make([]float64, h)
	var sd []float64
	if p.SD != nil {
		sd = make([]float64, h)
	}
	groups := []string{"price", "promotion", "event"}
	for _, g := range groups {
		comps[g] = make([]float64, h)
	}
	for k := 0; k < h; k++ {
		parts := fit.groupEffects(n + k)
		total := parts[0] + parts[1] + parts[2]
		m := math.Exp(total)
		mean[k] = p.Mean[k] * m
		if sd != nil {
			sd[k] = p.SD[k] * m
		}
		if total != 0 {
			// The effects' joint amount split in proportion to their logs.
			add := p.Mean[k] * (m - 1)
			for gi, g := range groups {
				comps[g][k] = add * parts[gi] / total
			}
		}
	}
	return Prediction{Model: p.Model + "+x", Mean: mean, SD: sd, Components: comps}, nil
}

// RegressionFit is the outcome of FitRegression: the estimated effects of
// the drivers, on the log scale of demand.
type RegressionFit struct {
	// Elasticity is the price elasticity (d log demand / d log price);
	// NaN when the price never varied.
	Elasticity float64
	// PromoLift is the demand multiplier of a full promotion at constant
	// price; NaN when there was no promotion.
	PromoLift float64
	// EventLift is the demand multiplier of each event kind (NaN where the
	// kind never occurred in the fitted history).
	EventLift []float64
	// RefPrice is the price at which the price effect is zero (the median
	// price of the fitted history).
	RefPrice float64
	// ElasticityZ, PromoZ and EventZ are the estimates' z statistics on the
	// log scale (estimate over its standard error, with the Poisson
	// variance scaled by the Pearson dispersion).
	ElasticityZ, PromoZ float64
	EventZ              []float64

	logPrice []float64 // log(price/RefPrice) per step, history and horizon
	x        *Regressors
}

// ErrNoEffects is returned by FitRegression when no regressor varies over
// the fitted history or the data cannot carry a log-linear model.
var ErrNoEffects = errors.New("forecast: no regressor effect to estimate")

// FitRegression estimates the price elasticity, promotion lift and event
// lifts of y under the regressors x by Poisson pseudo-likelihood with a
// log link (counts with zeros are fine; negative values are not), with a
// smooth baseline of a linear spline in time plus a seasonal profile so that
// slow level changes and seasonality are not read as effects.
func FitRegression(y []float64, x *Regressors, o RegressionOptions) (*RegressionFit, error) {
	n := len(y)
	if x == nil || n < 20 {
		return nil, ErrNoEffects
	}
	if o.Knot <= 0 {
		o.Knot = 28
	}
	if o.MaxHistory <= 0 {
		o.MaxHistory = 730
	}
	fit := &RegressionFit{Elasticity: math.NaN(), PromoLift: math.NaN(), x: x,
		EventLift: make([]float64, len(x.Events))}
	for j := range fit.EventLift {
		fit.EventLift[j] = math.NaN()
	}
	lo := max(0, n-o.MaxHistory)
	fit.logPrice = fit.priceColumn(x.Price, lo, n)
	var cols [][]float64 // effect columns over [lo, n)
	var kinds []int      // -1 price, -2 promo, j event
	use := func(c []float64, kind int) {
		if varies(c, x.Skip, lo) {
			cols = append(cols, c)
			kinds = append(kinds, kind)
		}
	}
	if fit.logPrice != nil {
		use(fit.logPrice[lo:n], -1)
	}
	use(padded(x.Promo, lo, n), -2)
	for j, e := range x.Events {
		use(padded(e, lo, n), j)
	}
	if len(cols) == 0 {
		return nil, ErrNoEffects
	}
	for t := lo; t < n; t++ {
		if y[t] < 0 || math.IsNaN(y[t]) {
			return nil, ErrNoEffects
		}
	}
	beta, se, err := poissonFit(y[lo:n], x.Skip, lo, cols, o)
	if err != nil {
		return nil, err
	}
	fit.EventZ = make([]float64, len(x.Events))
	for i, k := range kinds {
		z := beta[i] / se[i]
		switch {
		case k == -1:
			fit.Elasticity, fit.ElasticityZ = beta[i], z
		case k == -2:
			fit.PromoLift, fit.PromoZ = math.Exp(beta[i]), z
		default:
			fit.EventLift[k], fit.EventZ[k] = math.Exp(beta[i]), z
		}
	}
	return fit, nil
}

// priceColumn returns log(price/ref) over every step of x.Price (and at
// least n), unknown prices carried from the nearest known one, or nil when
// the fitted history [lo, n) has no known price.
func (f *RegressionFit) priceColumn(price []float64, lo, n int) []float64 {
	known := func(v float64) bool { return v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) }
	var hist []float64
	for t := lo; t < min(n, len(price)); t++ {
		if known(price[t]) {
			hist = append(hist, price[t])
		}
	}
	if len(hist) == 0 {
		return nil
	}
	slices.Sort(hist)
	f.RefPrice = hist[len(hist)/2]
	out := make([]float64, max(n, len(price)))
	last := math.NaN()
	for t := range out {
		if t < len(price) && known(price[t]) {
			last = price[t]
		}
		out[t] = last
	}
	// Leading unknowns take the first known price.
	first := 0
	for first < len(out) && math.IsNaN(out[first]) {
		first++
	}
	for t := range out {
		v := out[max(t, first)]
		out[t] = math.Log(v / f.RefPrice)
	}
	return out
}

// keepSignificant drops the effects whose |z| is below minZ (default 2),
// price elasticities outside [-6, 0) and promotions that lower demand, and
// reports whether any effect is left.
func (f *RegressionFit) keepSignificant(minZ float64) bool {
	if minZ == 0 {
		minZ = 2
	}
	weak := func(z float64) bool { return math.Abs(z) < minZ || math.IsNaN(z) }
	left := false
	if !math.IsNaN(f.Elasticity) {
		// Demand falls with price; a positive or extreme estimate is a
		// coincidence of a small price change with a shift in demand.
		if weak(f.ElasticityZ) || f.Elasticity >= 0 || f.Elasticity < -6 {
			f.Elasticity = math.NaN()
		} else {
			left = true
		}
	}
	if !math.IsNaN(f.PromoLift) {
		if weak(f.PromoZ) || f.PromoLift <= 1 {
			f.PromoLift = math.NaN()
		} else {
			left = true
		}
	}
	for j, l := range f.EventLift {
		if math.IsNaN(l) {
			continue
		}
		if weak(f.EventZ[j]) {
			f.EventLift[j] = math.NaN()
		} else {
			left = true
		}
	}
	return left
}

// groupEffects returns the log effects of price, promotion and events at
// step t (t may run past the history into the horizon).
func (f *RegressionFit) groupEffects(t int) [3]float64 {
	var g [3]float64
	if !math.IsNaN(f.Elasticity) && f.logPrice != nil {
		g[0] = f.Elasticity * f.logPrice[min(t, len(f.logPrice)-1)]
	}
	if !math.IsNaN(f.PromoLift) && t < len(f.x.Promo) {
		g[1] = math.Log(f.PromoLift) * f.x.Promo[t]
	}
	for j, l := range f.EventLift {
		if !math.IsNaN(l) && t < len(f.x.Events[j]) {
			g[2] += math.Log(l) * f.x.Events[j][t]
		}
	}
	return g
}

// logEffect is the total log effect of the drivers at step t.
func (f *RegressionFit) logEffect(t int) float64 {
	g := f.groupEffects(t)
	return g[0] + g[1] + g[2]
}

// Multiplier returns the demand multiplier of the drivers at step t (1 at
// the reference price without promotion or event).
func (f *RegressionFit) Multiplier(t int) float64 { return math.Exp(f.logEffect(t)) }

// padded returns c over [lo, n), zeros where c is short.
func padded(c []float64, lo, n int) []float64 {
	if c == nil {
		return nil
	}
	out := make([]float64, n-lo)
	for t := lo; t < min(n, len(c)); t++ {
		if !math.IsNaN(c[t]) {
			out[t-lo] = c[t]
		}
	}
	return out
}

// varies reports whether column c (over steps lo...) takes at least two
// values on unskipped steps, the rarer one at least twice.
func varies(c []float64, skip []bool, lo int) bool {
	if c == nil {
		return false
	}
	first, diff, same := math.NaN(), 0, 0
	for i, v := range c {
		if lo+i < len(skip) && skip[lo+i] {
			continue
		}
		switch {
		case math.IsNaN(first):
			first = v
			same++
		case math.Abs(v-first) > 1e-9:
			diff++
		default:
			same++
		}
	}
	return diff >= 2 && same >= 2
}

// poissonFit fits log E[y_t] = baseline(t) + sum_j beta_j cols[j][t] by
// iteratively reweighted least squares and returns the betas. The baseline
// is a linear spline with knots every o.Knot steps (a lightly penalised
// first difference keeps empty stretches finite) plus a seasonal profile.
func poissonFit(y []float64, skip []bool, lo int, cols [][]float64, o RegressionOptions) (beta, se []float64, err error) {
	n := len(y)
	X := baselineDesign(n, o)
	nb := len(X[0])
	for t := range X {
		for _, c := range cols {
			X[t] = append(X[t], c[t])
		}
	}
	p := len(X[0])
	w := make([]float64, n) // 0 for skipped steps
	mu := meanOf(y) + 1e-3
	for t := range w {
		if lo+t < len(skip) && skip[lo+t] {
			continue
		}
		w[t] = 1
	}
	eta := make([]float64, n)
	for t := range eta {
		eta[t] = math.Log(mu)
	}
	beta = make([]float64, p)
	var ch mat.Cholesky
	nKnots := (n-1+o.Knot-1)/o.Knot + 1
	// Rows are sparse (two hat functions, one dummy, rare effects): keep
	// each row's non-zero columns.
	nz := make([][]int, n)
	for t, row := range X {
		for i, v := range row {
			if v != 0 {
				nz[t] = append(nz[t], i)
			}
		}
	}
	xtx := make([]float64, p*p)
	for iter := 0; iter < 30; iter++ {
		clear(xtx)
		b := make([]float64, p)
		for t, row := range X {
			if w[t] == 0 {
				continue
			}
			m := math.Exp(eta[t])
			z := eta[t] + (y[t]-m)/m
			for a, i := range nz[t] {
				xi := m * row[i]
				b[i] += xi * z
				for _, j := range nz[t][a:] {
					xtx[i*p+j] += xi * row[j]
				}
			}
		}
		A := mat.NewSymDense(p, nil)
		for i := 0; i < p; i++ {
			for j := i; j < p; j++ {
				A.SetSym(i, j, xtx[i*p+j])
			}
		}
		penalise(A, nKnots, nb, mu)
		if !ch.Factorize(A) {
			return nil, nil, ErrNoEffects
		}
		sol := mat.NewVecDense(p, nil)
		if err := ch.SolveVecTo(sol, mat.NewVecDense(p, b)); err != nil {
			return nil, nil, ErrNoEffects
		}
		delta := 0.0
		for i := range beta {
			delta = math.Max(delta, math.Abs(sol.AtVec(i)-beta[i]))
			beta[i] = sol.AtVec(i)
		}
		for t, row := range X {
			e := 0.0
			for _, i := range nz[t] {
				e += row[i] * beta[i]
			}
			eta[t] = math.Max(-30, math.Min(30, e))
		}
		if delta < 1e-7 {
			break
		}
	}
	for _, v := range beta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, ErrNoEffects
		}
	}
	// Standard errors from the inverse information, scaled by the Pearson
	// dispersion (demand is over-dispersed).
	chi, used := 0.0, 0
	for t := range y {
		if w[t] == 0 {
			continue
		}
		m := math.Exp(eta[t])
		chi += (y[t] - m) * (y[t] - m) / m
		used++
	}
	phi := math.Max(chi/float64(max(used-p, 1)), 1e-12)
	var inv mat.SymDense
	if err := ch.InverseTo(&inv); err != nil {
		return nil, nil, ErrNoEffects
	}
	se = make([]float64, p-nb)
	for i := range se {
		se[i] = math.Sqrt(phi * inv.At(nb+i, nb+i))
	}
	return beta[nb:], se, nil
}

// penalise adds a first-difference penalty on the spline coefficients, a
// small ridge on every baseline coefficient, and a tiny ridge on all, on
// the scale of the data's mean mu.
func penalise(A *mat.SymDense, nKnots, nBase int, mu float64) {
	lam := 0.5 * mu
	for j := 1; j < nKnots; j++ {
		A.SetSym(j-1, j-1, A.At(j-1, j-1)+lam)
		A.SetSym(j, j, A.At(j, j)+lam)
		A.SetSym(j-1, j, A.At(j-1, j)-lam)
	}
	p, _ := A.Dims()
	for i := 0; i < p; i++ {
		r := 1e-6 * mu
		if i >= nKnots && i < nBase {
			r = 1e-2 * mu
		}
		A.SetSym(i, i, A.At(i, i)+r)
	}
}

// baselineDesign returns the baseline columns per step: hat functions on
// knots every o.Knot steps (they sum to one, so they hold the intercept),
// then period-1 seasonal dummies (period <= 24) or three Fourier pairs.
func baselineDesign(n int, o RegressionOptions) [][]float64 {
	k := o.Knot
	nKnots := (n-1+k-1)/k + 1
	m := o.Period
	nSeason := 0
	switch {
	case m > 1 && m <= 24 && n >= 2*m:
		nSeason = m - 1
	case m > 24 && n >= 2*m:
		nSeason = 6
	}
	X := make([][]float64, n)
	for t := range X {
		row := make([]float64, nKnots+nSeason, nKnots+nSeason+4)
		j := t / k
		f := float64(t-j*k) / float64(k)
		row[j] = 1 - f
		if j+1 < nKnots {
			row[j+1] = f
		}
		switch {
		case nSeason == m-1 && nSeason > 0:
			if s := t % m; s > 0 {
				row[nKnots+s-1] = 1
			}
		case nSeason > 0:
			for q := 0; q < 3; q++ {
				a := 2 * math.Pi * float64((q+1)*t) / float64(m)
				row[nKnots+2*q] = math.Sin(a)
				row[nKnots+2*q+1] = math.Cos(a)
			}
		}
		X[t] = row
	}
	return X
}

// needsRegressors reports whether m uses regressors at all (a Regression,
// or a Select or Ensemble with one among its members), so that Local builds
// them only then.
func needsRegressors(m Method) bool {
	switch v := m.(type) {
	case Regression:
		return true
	case Select:
		return slices.ContainsFunc(v.Candidates, needsRegressors)
	case Ensemble:
		return slices.ContainsFunc(v.Members, needsRegressors)
	}
	return false
}
