package metrics

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Interval is a confidence interval [Lo, Hi] at level Level (0.95: 95%).
type Interval struct {
	Lo, Hi, Level float64
}

// BootstrapMean returns the percentile bootstrap interval of the mean of
// xs at level (e.g. 0.95): the mean of draws resamples of xs (drawn with
// replacement, the same size), sorted, cut at (1-level)/2 from each end.
// Given the same seed the interval is the same. For a paired comparison of
// two models scored on the same units, pass the differences a[i] - b[i]:
// an interval above 0 says a is ahead beyond the noise of which units
// were sampled. An empty xs gives NaN bounds; draws < 1 means 2,000.
func BootstrapMean(xs []float64, level float64, draws int, seed uint64) Interval {
	iv := Interval{Lo: math.NaN(), Hi: math.NaN(), Level: level}
	n := len(xs)
	if n == 0 || !(level > 0 && level < 1) {
		return iv
	}
	if draws < 1 {
		draws = 2000
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed_b007))
	means := make([]float64, draws)
	for d := range means {
		s := 0.0
		for range n {
			s += xs[rng.IntN(n)]
		}
		means[d] = s / float64(n)
	}
	slices.Sort(means)
	iv.Lo = QuantileSorted(means, (1-level)/2)
	iv.Hi = QuantileSorted(means, 1-(1-level)/2)
	return iv
}

// QuantileSorted is the q-quantile of sorted s (not empty), interpolated
// linearly between the two nearest order statistics (R's type 7); q
// outside [0, 1] gives the first or last value.
func QuantileSorted(s []float64, q float64) float64 {
	pos := q * float64(len(s)-1)
	i := int(math.Floor(pos))
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	if i < 0 {
		return s[0]
	}
	f := pos - float64(i)
	return s[i] + f*(s[i+1]-s[i])
}
