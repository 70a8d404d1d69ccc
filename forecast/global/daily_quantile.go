package global

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// DailyQuantileTrees is the number of boosting rounds of each quantile
// model when Daily.Params leaves NumTrees zero.
const DailyQuantileTrees = 100

// Quantiles forecasts quantiles directly with the quantile (pinball)
// objective: one boosted model per level, trained on the same sampled rows
// and features as the mean model (binned once), forecasting h steps after
// len(Values)-cut of every series. out[i][l][k] is series i's quantile at
// levels[l] (ascending, in (0, 1)) for step k; quantiles are sorted across
// levels at every step (no crossing), never negative, and 0 where the
// product is known not to be on sale. Integer targets (unit counts) are
// jittered so that the quantiles are counts. It costs one training per level, so
// DailyBlend's conformal quantiles are the cheap default at scale.
func (d *Daily) Quantiles(ctx context.Context, series []*shelfwise.Series, cut, h int, levels []float64) ([][][]float64, error) {
	for i, tau := range levels {
		if !(tau > 0 && tau < 1) || (i > 0 && tau <= levels[i-1]) {
			return nil, fmt.Errorf("global: quantile levels %v must ascend within (0, 1)", levels)
		}
	}
	dss := d.prepare(series)
	X, Y, err := d.rows(ctx, dss, cut, h)
	if err != nil {
		return nil, err
	}
	// Counts are jittered (Machado and Santos Silva's quantiles for
	// counts): z = y + U[0,1) has a continuous distribution whose quantile
	// q_z maps back to the count quantile ceil(q_z) - 1. Without it the
	// pinball gradient ties at y = f and the trees never split.
	counts := true
	for _, v := range Y {
		if v != math.Floor(v) {
			counts = false
			break
		}
	}
	if counts {
		jr := rand.New(rand.NewPCG(d.Seed, 0x71773))
		for i := range Y {
			Y[i] += jr.Float64()
		}
	}
	p := d.params()
	p.Objective, p.TweedieVariancePower = gbdt.Quantile, 0
	if d.Params.NumTrees == 0 {
		p.NumTrees = DailyQuantileTrees
	}
	b, err := gbdt.BinWith(ctx, X, p)
	if err != nil {
		return nil, err
	}
	F, onSale, err := d.forecastRows(ctx, dss, cut, h)
	if err != nil {
		return nil, err
	}
	preds := make([][]float64, len(levels))
	for l, tau := range levels {
		p.Alpha = tau
		rng := rand.New(rand.NewPCG(d.Seed, 0x9a11+uint64(l)))
		m, err := gbdt.TrainBinned(ctx, gbdt.BinnedDataset{B: b, Y: Y}, nil, p, rng)
		if err != nil {
			return nil, fmt.Errorf("global: daily quantile %v: %w", tau, err)
		}
		preds[l] = make([]float64, F.Rows)
		if err := m.PredictBatch(ctx, F, preds[l]); err != nil {
			return nil, err
		}
	}
	out := make([][][]float64, len(dss))
	col := make([]float64, len(levels))
	for i := range dss {
		q := make([][]float64, len(levels))
		for l := range q {
			q[l] = make([]float64, h)
		}
		for k := range h {
			r := i*h + k
			for l := range levels {
				v := preds[l][r]
				if counts {
					v = math.Ceil(v) - 1
				}
				col[l] = math.Max(v, 0)
				if !onSale[r] {
					col[l] = 0
				}
			}
			slices.Sort(col)
			for l := range levels {
				q[l][k] = col[l]
			}
		}
		out[i] = q
	}
	return out, nil
}
