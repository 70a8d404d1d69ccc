package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBootstrapMeanWidth: for n draws of a standard normal, the 95%
// interval of the mean is about mean +- 1.96 / sqrt(n).
func TestBootstrapMeanWidth(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 4000)
	sum := 0.0
	for i := range xs {
		xs[i] = rng.NormFloat64()
		sum += xs[i]
	}
	mean := sum / float64(len(xs))
	iv := BootstrapMean(xs, 0.95, 2000, 1)
	half := 1.96 / math.Sqrt(float64(len(xs)))
	if math.Abs((iv.Hi-iv.Lo)/2-half) > 0.1*half {
		t.Errorf("half width %.5f, want %.5f within 10%%", (iv.Hi-iv.Lo)/2, half)
	}
	if math.Abs((iv.Hi+iv.Lo)/2-mean) > 0.1*half {
		t.Errorf("interval [%.5f, %.5f] not centred on the mean %.5f", iv.Lo, iv.Hi, mean)
	}
	if again := BootstrapMean(xs, 0.95, 2000, 1); again != iv {
		t.Errorf("same seed, other interval: %+v and %+v", iv, again)
	}
}

// TestBootstrapMeanCoverage: over many samples of a skewed variable (the
// share of a customer's items a list finds is mostly 0 and sometimes 1),
// the 90% interval holds the true mean in about 90% of them.
func TestBootstrapMeanCoverage(t *testing.T) {
	const p, trials, n = 0.2, 400, 300
	rng := rand.New(rand.NewPCG(5, 6))
	covered := 0
	xs := make([]float64, n)
	for tr := range trials {
		for i := range xs {
			xs[i] = 0
			if rng.Float64() < p {
				xs[i] = 1
			}
		}
		if iv := BootstrapMean(xs, 0.9, 500, uint64(tr)); iv.Lo <= p && p <= iv.Hi {
			covered++
		}
	}
	// Binomial(400, 0.9) lies in [342, 378] with probability above 0.999.
	if covered < 342 || covered > 378 {
		t.Errorf("the 90%% interval held the true mean in %d of %d samples", covered, trials)
	}
}

func TestBootstrapMeanEdges(t *testing.T) {
	if iv := BootstrapMean([]float64{0.3, 0.3, 0.3}, 0.95, 100, 1); iv.Lo != 0.3 || iv.Hi != 0.3 {
		t.Errorf("constant data: %+v, want [0.3, 0.3]", iv)
	}
	if iv := BootstrapMean(nil, 0.95, 100, 1); !math.IsNaN(iv.Lo) || !math.IsNaN(iv.Hi) {
		t.Errorf("no data: %+v, want NaN bounds", iv)
	}
	if got := QuantileSorted([]float64{0, 10}, 0.25); got != 2.5 {
		t.Errorf("quantile 0.25 of {0, 10} = %v, want 2.5", got)
	}
	for q, want := range map[float64]float64{-0.1: 0, 1.2: 10} {
		if got := QuantileSorted([]float64{0, 10}, q); got != want {
			t.Errorf("quantile %v of {0, 10} = %v, want %v", q, got, want)
		}
	}
	if got := QuantileSorted([]float64{7}, 0.3); got != 7 {
		t.Errorf("quantile of {7} = %v, want 7", got)
	}
}
