package propensity

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/shelfwise/shelfwise/ml/linear"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// blendSteps is the resolution of the ensemble weight grid (steps of 0.1).
const blendSteps = 10

// blendBootstraps is the number of bootstrap resamples of the holdout whose
// best weights are averaged.
const blendBootstraps = 25

// blend chooses non-negative component weights summing to 1. The weights
// are the average, over bootstrap resamples of the holdout, of the grid
// point (step 0.1) maximising ROC-AUC of the weighted logit (bagged
// selection: one argmax on a small holdout is noisy, and a free logistic
// stack over-fits it). With equal set, the weights are equal. The blend is
// the weighted mean of the components' logits, each component being fitted
// by log loss and so calibrated on its own; with calibrate set, the blended
// logit is also Platt-scaled on the holdout (off by default: on the UCI
// sessions that per-fold rescaling, fitted on a fifth of the training
// rows, moved every fold's scores differently and cost 0.0006 of pooled
// out-of-fold AUC).
func blend(ctx context.Context, logits [][]float64, y []float64, yb []bool, equal, calibrate bool, rng *rand.Rand) (*linear.Logistic, error) {
	k := len(logits[0])
	w := make([]float64, k)
	if equal {
		for j := range w {
			w[j] = 1 / float64(k)
		}
	} else {
		grid := weightGrid(k, blendSteps)
		n := len(logits)
		idx := make([]int, n)
		z := make([]float64, n)
		yy := make([]bool, n)
		for range blendBootstraps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for i := range idx {
				idx[i] = rng.IntN(n)
				yy[i] = yb[idx[i]]
			}
			best, bestG := -1.0, 0
			for gi, g := range grid {
				for i, r := range idx {
					z[i] = 0
					for c, wc := range g {
						z[i] += wc * logits[r][c]
					}
				}
				if auc := metrics.ROCAUC(z, yy); auc > best+1e-9 {
					best, bestG = auc, gi
				}
			}
			for c := range w {
				w[c] += grid[bestG][c] / blendBootstraps
			}
		}
	}
	if !calibrate {
		st := &linear.Logistic{Coef: w, Mean: make([]float64, k), Std: make([]float64, k)}
		for c := range k {
			st.Std[c] = 1
		}
		return st, nil
	}
	z := make([]float64, len(logits))
	for i, l := range logits {
		for c := range k {
			z[i] += w[c] * l[c]
		}
	}
	platt, err := linear.FitLogistic(ctx, z, 1, y, nil, linear.Options{L2: 1e-6})
	if err != nil {
		return nil, fmt.Errorf("propensity: calibrating the ensemble: %w", err)
	}
	// Fold the weights and the Platt scaling into one linear model on the
	// component logits: a * sum(w z) + b, with a = Coef / Std.
	a := platt.Coef[0] / platt.Std[0]
	st := &linear.Logistic{Coef: make([]float64, k), Mean: make([]float64, k), Std: make([]float64, k),
		Intercept: platt.Intercept - a*platt.Mean[0]}
	for c := range k {
		st.Coef[c], st.Std[c] = a*w[c], 1
	}
	return st, nil
}

// weightGrid lists the weight vectors of k components on a grid of the
// given steps, summing to 1, the first component's largest first (so ties
// favour the boosted trees).
func weightGrid(k, steps int) [][]float64 {
	var out [][]float64
	cur := make([]int, k)
	var rec func(j, left int)
	rec = func(j, left int) {
		if j == k-1 {
			cur[j] = left
			g := make([]float64, k)
			for c := range k {
				g[c] = float64(cur[c]) / float64(steps)
			}
			out = append(out, g)
			return
		}
		for a := left; a >= 0; a-- {
			cur[j] = a
			rec(j+1, left-a)
		}
	}
	rec(0, steps)
	return out
}
