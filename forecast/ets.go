package forecast

import (
	"errors"
	"fmt"
	"math"
)

// ETSSpec names one model of Hyndman et al.'s exponential smoothing state
// space framework: ETS(Error, Trend, Season), e.g. ETS(M,Ad,N).
type ETSSpec struct {
	// Error is 'A' (additive) or 'M' (multiplicative).
	Error byte
	// Trend is 'N' (none) or 'A' (additive, damped when Damped is set).
	Trend  byte
	Damped bool
	// Season is 'N', 'A' or 'M'; Period is the season length (e.g. 52).
	Season byte
	Period int
}

// String renders the spec as R's forecast package does: "ETS(A,Ad,N)".
func (s ETSSpec) String() string {
	tr := string(s.Trend)
	if s.Damped {
		tr += "d"
	}
	return fmt.Sprintf("ETS(%c,%s,%c)", s.Error, tr, s.Season)
}

func (s ETSSpec) seasonal() bool { return s.Season == 'A' || s.Season == 'M' }

// nParams counts the estimated parameters (smoothing, damping, initial
// states and the error variance) as R's ets does for the AICc.
func (s ETSSpec) nParams() int {
	k := 2 + 1 // alpha, l0, sigma
	if s.Trend == 'A' {
		k += 2
		if s.Damped {
			k++
		}
	}
	if s.seasonal() {
		k += 1 + s.Period - 1
	}
	return k
}

// ETSFit is a fitted ETS model: its parameters, initial and final states and
// information criteria. It forecasts with Forecast.
type ETSFit struct {
	Spec                    ETSSpec
	Alpha, Beta, Gamma, Phi float64
	// L0, B0 and S0 are the initial level, slope and seasonal states
	// (S0[j] is the season of step j of the series).
	L0, B0 float64
	S0     []float64
	// Level, Slope and Season are the states after the last observation;
	// Season[j] applies to forecast step j+1, j+1+m, ...
	Level, Slope float64
	Season       []float64
	// Sigma2 is the residual variance: of errors for additive-error
	// models, of relative errors for multiplicative ones.
	Sigma2            float64
	LogLik, AIC, AICc float64
	N                 int
}

// etsParams are the smoothing parameters being optimised.
type etsParams struct{ alpha, beta, gamma, phi float64 }

// Usual bounds on the smoothing parameters (R's bounds="usual").
const (
	etsLo     = 1e-4
	etsHi     = 0.9999
	etsPhiLo  = 0.8
	etsPhiHi  = 0.98
	etsBigLik = 1e300
)

func (s ETSSpec) feasible(p etsParams) bool {
	if p.alpha < etsLo || p.alpha > etsHi {
		return false
	}
	if s.Trend == 'A' && (p.beta < etsLo || p.beta > p.alpha) {
		return false
	}
	if s.seasonal() && (p.gamma < etsLo || p.gamma > 1-p.alpha) {
		return false
	}
	if s.Damped && (p.phi < etsPhiLo || p.phi > etsPhiHi) {
		return false
	}
	return true
}

// pack/unpack map the free parameters of spec to an optimisation vector.
func (s ETSSpec) pack(p etsParams) []float64 {
	x := []float64{p.alpha}
	if s.Trend == 'A' {
		x = append(x, p.beta)
	}
	if s.seasonal() {
		x = append(x, p.gamma)
	}
	if s.Damped {
		x = append(x, p.phi)
	}
	return x
}

func (s ETSSpec) unpack(x []float64) etsParams {
	p := etsParams{alpha: x[0], phi: 1}
	i := 1
	if s.Trend == 'A' {
		p.beta = x[i]
		i++
	}
	if s.seasonal() {
		p.gamma = x[i]
		i++
	}
	if s.Damped {
		p.phi = x[i]
	}
	return p
}

// ErrTooShort is returned when a series is too short for the model.
var ErrTooShort = errors.New("forecast: series too short for the model")

// FitETS fits one ETS model to y by maximum likelihood. Smoothing parameters
// are optimised by Nelder-Mead within the usual bounds; for non-seasonal
// models the initial level and slope are concentrated out of the likelihood
// exactly (least squares, since the one-step errors are linear in them), so
// the search runs over 1 to 3 dimensions only. Seasonal models start their
// seasonal states from a classical decomposition of the first seasons and
// concentrate the level and slope likewise.
func FitETS(y []float64, spec ETSSpec) (*ETSFit, error) {
	if spec.Period < 1 {
		spec.Period = 1
	}
	if !spec.seasonal() {
		spec.Period = 1
	}
	n := len(y)
	if n < spec.nParams()+2 || (spec.seasonal() && n < 2*spec.Period) {
		return nil, ErrTooShort
	}
	if spec.Error == 'M' || spec.Season == 'M' {
		for _, v := range y {
			if v <= 0 {
				return nil, fmt.Errorf("forecast: %s needs strictly positive data", spec)
			}
		}
	}
	e := newETSEval(y, spec)
	obj := func(x []float64) float64 {
		p := spec.unpack(x)
		if !spec.feasible(p) {
			return math.Inf(1)
		}
		lik, _, _ := e.concentrated(p)
		return lik
	}
	// Start the search from the better of a few candidate points: one
	// evaluation each, then a single Nelder-Mead run.
	var a0 etsParams
	startLik := math.Inf(1)
	for _, c := range etsStarts(spec) {
		if v := obj(spec.pack(c)); v < startLik || startLik == math.Inf(1) {
			a0, startLik = c, v
		}
	}
	x0 := spec.pack(a0)
	step := make([]float64, len(x0))
	for i := range step {
		step[i] = 0.1
	}
	if spec.Trend == 'A' {
		step[1] = 0.5 * a0.beta
	}
	best, bestLik := nelderMead(obj, x0, step, 1e-8, 400*len(x0))
	if math.IsInf(bestLik, 1) || math.IsNaN(bestLik) {
		return nil, fmt.Errorf("forecast: %s: no admissible fit", spec)
	}
	p := spec.unpack(best)
	lik, l0, b0 := e.concentrated(p)
	return e.finish(p, l0, b0, lik), nil
}

func etsStarts(spec ETSSpec) []etsParams {
	base := etsParams{alpha: 0.2, beta: 0.02, gamma: 0.05, phi: 0.95}
	hi := base
	hi.alpha, hi.beta = 0.8, 0.05
	if spec.seasonal() {
		hi.alpha, hi.gamma = 0.5, 0.05
	}
	return []etsParams{hi, base}
}

// Forecast returns the mean, the analytic standard deviation and the
// components (level, trend, seasonality) of the next h steps.
func (f *ETSFit) Forecast(h int) (mean, sd []float64, comps map[string][]float64) {
	s := f.Spec
	mean = make([]float64, h)
	sd = make([]float64, h)
	level := make([]float64, h)
	trend := make([]float64, h)
	var season []float64
	if s.seasonal() {
		season = make([]float64, h)
	}
	phiSum := 0.0
	phiPow := 1.0
	cumVar := 0.0
	for k := 0; k < h; k++ {
		phiPow *= f.Phi
		phiSum += phiPow
		if !s.Damped {
			phiSum = float64(k + 1)
		}
		lb := f.Level
		tr := 0.0
		if s.Trend == 'A' {
			tr = phiSum * f.Slope
		}
		level[k], trend[k] = lb, tr
		m := lb + tr
		switch s.Season {
		case 'A':
			season[k] = f.Season[k%s.Period]
			m += season[k]
		case 'M':
			season[k] = (lb + tr) * (f.Season[k%s.Period] - 1)
			m *= f.Season[k%s.Period]
		}
		mean[k] = m
		// Class-1 variance: sigma^2 (1 + sum_{j<h} c_j^2), c_j the
		// weight of an error j steps back; multiplicative models use it
		// on the relative scale as an approximation.
		v := f.Sigma2 * (1 + cumVar)
		if s.Error == 'M' {
			v *= m * m
		}
		sd[k] = math.Sqrt(v)
		j := float64(k + 1)
		c := f.Alpha
		if s.Trend == 'A' {
			if s.Damped {
				c += f.Beta * f.Phi * (1 - math.Pow(f.Phi, j)) / (1 - f.Phi)
			} else {
				c += f.Beta * j
			}
		}
		if s.seasonal() && (k+1)%s.Period == 0 {
			c += f.Gamma
		}
		cumVar += c * c
	}
	comps = map[string][]float64{"level": level}
	if s.Trend == 'A' {
		comps["trend"] = trend
	}
	if season != nil {
		comps["seasonality"] = season
	}
	return mean, sd, comps
}
