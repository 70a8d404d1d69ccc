package propensity

import (
	"context"
	"fmt"

	"github.com/shelfwise/shelfwise/ml/linear"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// blendSteps is the resolution of the ensemble weight grid (steps of 0.1).
const blendSteps = 10

// blend chooses non-negative component weights summing to 1 (on a grid of
// step 0.1) that maximise ROC-AUC of the weighted logit on the holdout,
// preferring the first component (the boosted trees) on ties, then
// Platt-scales the blended logit so the output is a calibrated
// probability. With equal set, the weights are equal instead. A free
// logistic stack over-fits the small holdout; the grid does not.
func blend(ctx context.Context, logits [][]float64, y []float64, yb []bool, equal bool) (*linear.Logistic, error) {
	k := len(logits[0])
	w := make([]float64, k)
	if equal {
		for j := range w {
			w[j] = 1 / float64(k)
		}
	} else {
		best := -1.0
		steps := blendSteps
		cur := make([]int, k)
		var search func(j, left int)
		z := make([]float64, len(logits))
		search = func(j, left int) {
			if j == k-1 {
				cur[j] = left
				for i, l := range logits {
					z[i] = 0
					for c := range k {
						z[i] += float64(cur[c]) * l[c]
					}
				}
				if auc := metrics.ROCAUC(z, yb); auc > best+1e-9 {
					best = auc
					for c := range k {
						w[c] = float64(cur[c]) / float64(steps)
					}
				}
				return
			}
			for a := left; a >= 0; a-- {
				cur[j] = a
				search(j+1, left-a)
			}
		}
		search(0, steps)
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
