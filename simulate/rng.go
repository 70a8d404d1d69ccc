package simulate

import (
	"math"
	"math/rand/v2"
)

// poisson draws a Poisson variate of mean mu: by multiplying uniforms for
// small means and by Hörmann's transformed rejection (PTRS) otherwise.
func poisson(r *rand.Rand, mu float64) float64 {
	switch {
	case mu <= 0:
		return 0
	case mu < 10:
		limit := math.Exp(-mu)
		k := 0.0
		for p := r.Float64(); p > limit; p *= r.Float64() {
			k++
		}
		return k
	}
	smu := math.Sqrt(mu)
	b := 0.931 + 2.53*smu
	a := -0.059 + 0.02483*b
	invAlpha := 1.1239 + 1.1328/(b-3.4)
	vr := 0.9277 - 3.6224/(b-2)
	logMu := math.Log(mu)
	for {
		u := r.Float64() - 0.5
		v := r.Float64()
		us := 0.5 - math.Abs(u)
		k := math.Floor((2*a/us+b)*u + mu + 0.43)
		if us >= 0.07 && v <= vr {
			return k
		}
		if k < 0 || (us < 0.013 && v > us) {
			continue
		}
		lg, _ := math.Lgamma(k + 1)
		if math.Log(v)+math.Log(invAlpha)-math.Log(a/(us*us)+b) <= -mu+k*logMu-lg {
			return k
		}
	}
}

// gamma draws a Gamma(shape, 1) variate (Marsaglia and Tsang; shapes below
// 1 by the boost u^(1/shape)).
func gamma(r *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gamma(r, shape+1) * math.Pow(r.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		if u < 1-0.0331*x2*x2 || math.Log(u) < 0.5*x2+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// demand draws the day's demand around mean mu: Poisson, or negative
// binomial (a gamma-mixed Poisson) with the given shape when it is > 0.
func demand(r *rand.Rand, mu, shape float64) float64 {
	if mu <= 0 {
		return 0
	}
	if shape > 0 {
		mu *= gamma(r, shape) / shape
	}
	return poisson(r, mu)
}

// partitionRand returns the generator of partition i, seeded from the
// simulation seed and i only, so scheduling never changes the output.
func partitionRand(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed)^0x243f6a8885a308d3, uint64(i+1)*0x9e3779b97f4a7c15))
}
