package explain

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// GradFunc returns f(x) and writes the gradient of f at x into grad.
type GradFunc func(x, grad []float64) float64

// IntegratedGradients attributes f(x) - f(baseline) to the inputs
// (Sundararajan et al., 2017) with a midpoint Riemann sum of steps points
// along the straight path from baseline to x. The attributions sum to
// f(x) - f(baseline) up to the discretisation error.
func IntegratedGradients(f GradFunc, x, baseline []float64, steps int) []float64 {
	if steps < 1 {
		steps = 1
	}
	n := len(x)
	attr := make([]float64, n)
	pt := make([]float64, n)
	g := make([]float64, n)
	for s := 0; s < steps; s++ {
		a := (float64(s) + 0.5) / float64(steps)
		for i := range pt {
			pt[i] = baseline[i] + a*(x[i]-baseline[i])
		}
		f(pt, g)
		for i := range attr {
			attr[i] += g[i]
		}
	}
	for i := range attr {
		attr[i] *= (x[i] - baseline[i]) / float64(steps)
	}
	return attr
}

// Importance is a feature's permutation importance: the mean and standard
// deviation over repeats of (metric on intact data - metric with the
// feature's column shuffled). Positive means the model relies on it.
type Importance struct {
	Feature int
	Mean    float64
	Std     float64
}

// Permutation computes permutation importance for each column of the
// row-major table X (rows x cols). predict scores a whole table; metric
// maps scores to a number where higher is better (e.g. ROC-AUC). Columns
// listed in groups are shuffled together (e.g. one-hot columns of one
// categorical feature); pass nil for one group per column.
func Permutation(ctx context.Context, X [][]float64, predict func([][]float64) []float64,
	metric func([]float64) float64, groups [][]int, repeats int, rng *rand.Rand) ([]Importance, error) {
	if len(X) == 0 {
		return nil, fmt.Errorf("explain: no rows")
	}
	cols := len(X[0])
	if groups == nil {
		for j := range cols {
			groups = append(groups, []int{j})
		}
	}
	if repeats < 1 {
		repeats = 1
	}
	base := metric(predict(X))
	work := make([][]float64, len(X))
	for i, r := range X {
		work[i] = append([]float64(nil), r...)
	}
	perm := make([]int, len(X))
	out := make([]Importance, len(groups))
	for gi, g := range groups {
		var drops []float64
		for range repeats {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for i := range perm {
				perm[i] = i
			}
			rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
			for i := range work {
				for _, j := range g {
					work[i][j] = X[perm[i]][j]
				}
			}
			drops = append(drops, base-metric(predict(work)))
		}
		for i := range work {
			for _, j := range g {
				work[i][j] = X[i][j]
			}
		}
		var mean, ss float64
		for _, d := range drops {
			mean += d / float64(len(drops))
		}
		for _, d := range drops {
			ss += (d - mean) * (d - mean)
		}
		out[gi] = Importance{Feature: gi, Mean: mean, Std: math.Sqrt(ss / float64(len(drops)))}
	}
	return out, nil
}
