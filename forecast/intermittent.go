package forecast

import "math"

// CrostonVariant selects Croston's original estimator or the
// Syntetos-Boylan approximation (SBA), which removes its bias.
type CrostonVariant int

// Croston variants.
const (
	CrostonClassic CrostonVariant = iota
	CrostonSBA
)

// Croston forecasts intermittent demand as the smoothed non-zero demand size
// over the smoothed interval between demands (both by simple exponential
// smoothing with Alpha, default 0.1). SBA multiplies by 1 - Alpha/2.
type Croston struct {
	Variant CrostonVariant
	Alpha   float64
}

// Name implements Method.
func (c Croston) Name() string {
	if c.Variant == CrostonSBA {
		return "sba"
	}
	return "croston"
}

// Forecast implements Method.
func (c Croston) Forecast(y []float64, h int) (Prediction, error) {
	if len(y) == 0 {
		return Prediction{}, ErrTooShort
	}
	a := c.Alpha
	if a <= 0 {
		a = 0.1
	}
	z, p, ok := crostonStates(y, a)
	if !ok {
		return zeroPrediction(c.Name(), h), nil
	}
	f := z / p
	if c.Variant == CrostonSBA {
		f *= 1 - a/2
	}
	mean := constant(f, h)
	return Prediction{Model: c.Name(), Mean: mean, Components: map[string][]float64{"level": append([]float64(nil), mean...)}}, nil
}

// crostonStates runs the two smoothers over y and returns the final size
// and interval estimates; ok is false when y has no demand.
func crostonStates(y []float64, a float64) (z, p float64, ok bool) {
	q := 1.0
	for _, v := range y {
		if v == 0 {
			q++
			continue
		}
		if !ok {
			z, p, ok = v, q, true
		} else {
			z += a * (v - z)
			p += a * (q - p)
		}
		q = 1
	}
	return z, p, ok
}

// TSB is Teunter, Syntetos and Babai's method: it smooths the probability of
// a demand every period (Beta) and the demand size when one occurs (Alpha),
// so the forecast decays when demand stops (obsolescence). With zero Alpha
// and Beta it picks both from {0.05, 0.1, 0.2, 0.3} by in-sample one-step
// squared error.
type TSB struct{ Alpha, Beta float64 }

// Name implements Method.
func (TSB) Name() string { return "tsb" }

// Forecast implements Method.
func (m TSB) Forecast(y []float64, h int) (Prediction, error) {
	if len(y) == 0 {
		return Prediction{}, ErrTooShort
	}
	a, b := m.Alpha, m.Beta
	if a <= 0 || b <= 0 {
		grid := []float64{0.05, 0.1, 0.2, 0.3}
		best := math.Inf(1)
		for _, ga := range grid {
			for _, gb := range grid {
				if sse, _, _ := tsbRun(y, ga, gb); sse < best {
					best, a, b = sse, ga, gb
				}
			}
		}
	}
	_, pr, z := tsbRun(y, a, b)
	mean := constant(pr*z, h)
	return Prediction{Model: "tsb", Mean: mean, Components: map[string][]float64{"level": append([]float64(nil), mean...)}}, nil
}

// tsbRun smooths y and returns the one-step squared error sum and the final
// probability and size.
func tsbRun(y []float64, a, b float64) (sse, pr, z float64) {
	nz := 0
	for _, v := range y {
		if v != 0 {
			z += v
			nz++
		}
	}
	if nz == 0 {
		return 0, 0, 0
	}
	z /= float64(nz)
	pr = float64(nz) / float64(len(y))
	for _, v := range y {
		e := v - pr*z
		sse += e * e
		if v != 0 {
			pr += b * (1 - pr)
			z += a * (v - z)
		} else {
			pr -= b * pr
		}
	}
	return sse, pr, z
}

func zeroPrediction(model string, h int) Prediction {
	return Prediction{Model: model, Mean: make([]float64, h), Components: map[string][]float64{"level": make([]float64, h)}}
}
