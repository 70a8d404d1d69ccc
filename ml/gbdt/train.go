package gbdt

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// Dataset is a feature matrix with its targets and optional row weights
// (nil W means unit weights). Query, needed by LambdaRank only, is each
// row's query: the rows of a query are consecutive. Init, when set, is
// each row's initial raw score (a base margin, e.g. another model's
// prediction): the trees learn what to add to it, and the model's
// predictions leave it out (the caller adds it back).
type Dataset struct {
	X     *Matrix
	Y     []float64
	W     []float64
	Query []int32
	Init  []float64
}

// BinnedDataset is a binned feature matrix with targets, weights, queries
// and initial scores (as in Dataset).
type BinnedDataset struct {
	B     *Binned
	Y     []float64
	W     []float64
	Query []int32
	Init  []float64
}

// BinWith bins X as Train does with parameters p: p's MaxBins (default
// 255), Categorical and Workers. Bin once and call TrainBinned to train
// several models on the same rows.
func BinWith(ctx context.Context, X *Matrix, p Params) (*Binned, error) {
	pp, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	return Bin(ctx, X, pp.MaxBins, pp.Categorical, pp.Workers)
}

// Train bins train.X and fits a boosted ensemble. valid, if not nil, is
// used for early stopping (Params.EarlyStoppingRounds). rng drives row and
// column subsampling and the automatic validation split.
func Train(ctx context.Context, train Dataset, valid *Dataset, p Params, rng *rand.Rand) (*Model, error) {
	pp, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if train.X == nil {
		return nil, fmt.Errorf("gbdt: no training matrix")
	}
	b, err := Bin(ctx, train.X, pp.MaxBins, pp.Categorical, pp.Workers)
	if err != nil {
		return nil, err
	}
	var vb *BinnedDataset
	if valid != nil {
		vbin, err := b.Apply(ctx, valid.X, pp.Workers)
		if err != nil {
			return nil, err
		}
		vb = &BinnedDataset{B: vbin, Y: valid.Y, W: valid.W, Query: valid.Query, Init: valid.Init}
	}
	return TrainBinned(ctx, BinnedDataset{B: b, Y: train.Y, W: train.W, Query: train.Query, Init: train.Init}, vb, p, rng)
}

// check validates targets and weights against the objective.
func (d *BinnedDataset) check(p *Params, name string) error {
	if d.B == nil {
		return fmt.Errorf("gbdt: %s: no data", name)
	}
	if len(d.Y) != d.B.Rows {
		return fmt.Errorf("gbdt: %s: %d targets for %d rows", name, len(d.Y), d.B.Rows)
	}
	if d.W != nil && len(d.W) != d.B.Rows {
		return fmt.Errorf("gbdt: %s: %d weights for %d rows", name, len(d.W), d.B.Rows)
	}
	if d.Init != nil && len(d.Init) != d.B.Rows {
		return fmt.Errorf("gbdt: %s: %d initial scores for %d rows", name, len(d.Init), d.B.Rows)
	}
	if p.Objective == LambdaRank {
		if len(d.Query) != d.B.Rows {
			return fmt.Errorf("gbdt: %s: %d query ids for %d rows (LambdaRank needs one per row)", name, len(d.Query), d.B.Rows)
		}
		seen := map[int32]bool{}
		for i, q := range d.Query {
			if i > 0 && q == d.Query[i-1] {
				continue
			}
			if seen[q] {
				return fmt.Errorf("gbdt: %s: the rows of query %d are not consecutive (row %d)", name, q, i)
			}
			seen[q] = true
		}
	}
	for i, v := range d.Y {
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
			return fmt.Errorf("gbdt: %s: target of row %d is %v", name, i, v)
		case p.Objective == Logistic && v != 0 && v != 1:
			return fmt.Errorf("gbdt: %s: logistic target of row %d is %v, want 0 or 1", name, i, v)
		case p.Objective == Tweedie && v < 0:
			return fmt.Errorf("gbdt: %s: Tweedie target of row %d is negative (%v)", name, i, v)
		case p.Objective == LambdaRank && v < 0:
			return fmt.Errorf("gbdt: %s: LambdaRank relevance of row %d is negative (%v)", name, i, v)
		}
		if d.W != nil && !(d.W[i] >= 0) {
			return fmt.Errorf("gbdt: %s: weight of row %d is %v", name, i, d.W[i])
		}
	}
	return nil
}

// TrainBinned fits a boosted ensemble on pre-binned data (see Bin); valid
// must be binned with the same edges (Binned.Apply).
func TrainBinned(ctx context.Context, train BinnedDataset, valid *BinnedDataset, p Params, rng *rand.Rand) (*Model, error) {
	p, err := p.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := train.check(&p, "training set"); err != nil {
		return nil, err
	}
	if train.B.Rows == 0 {
		return nil, fmt.Errorf("gbdt: empty training set")
	}
	if valid == nil && p.EarlyStoppingRounds > 0 && p.ValidationFraction > 0 {
		train, valid = holdOut(train, p.ValidationFraction, rng)
	}
	if valid != nil {
		if err := valid.check(&p, "validation set"); err != nil {
			return nil, err
		}
	}
	b := train.B
	var groups, vgroups [][2]int // LambdaRank's queries: row ranges
	if p.Objective == LambdaRank {
		groups = queryRanges(train.Query)
		if valid != nil {
			vgroups = queryRanges(valid.Query)
		}
	}
	m := &Model{
		Objective: p.Objective, NumFeatures: b.Cols, Params: p,
		BaseScore: baseScore(&p, train.Y, train.W),
		CatValues: b.CatValues, IsCat: b.IsCat,
	}
	n := b.Rows
	pred := initialScores(m.BaseScore, train.Init, n)
	var vpred []float64
	if valid != nil {
		vpred = initialScores(m.BaseScore, valid.Init, valid.B.Rows)
	}
	gh := make([]gpair, n)
	g := newGrower(p, b, gh)
	allRows := make([]int32, n)
	rowBuf := make([]int32, n)
	for i := range allRows {
		allRows[i] = int32(i)
	}
	var inSample []bool // rows of this round's sample
	if p.RowSubsample < 1 {
		inSample = make([]bool, n)
	}
	bestLoss, bestIter := math.Inf(1), 0
	for it := 0; it < p.NumTrees; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if groups != nil {
			parallelChunks(len(groups), p.Workers, 256, func(_, lo, hi int) {
				lambdaGradients(&p, train.Y, train.W, pred, gh, groups[lo:hi])
			})
		} else {
			parallelChunks(n, p.Workers, 8192, func(_, lo, hi int) {
				gradients(&p, train.Y, train.W, pred, gh, lo, hi)
			})
		}
		rows := rowBuf[:n]
		copy(rows, allRows)
		sampled := p.RowSubsample < 1
		if sampled {
			rows = rows[:0]
			for i := range n {
				if rng.Float64() < p.RowSubsample {
					rows = append(rows, int32(i))
					inSample[i] = true
				}
			}
		}
		g.sampleFeatures(rng)
		t, leaves := g.grow(rows)
		if p.Objective == Quantile {
			renewQuantileLeaves(t, leaves, g.rows, train.Y, train.W, pred, p.Alpha)
		}
		t.shrink(p.LearningRate)
		// The grown rows' leaves are known from the partition; only rows
		// left out of the sample are routed through the tree.
		for _, l := range leaves {
			v := t.Nodes[l.node].Value
			for _, r := range g.rows[l.lo:l.hi] {
				pred[r] += v
			}
		}
		if sampled {
			parallelChunks(n, p.Workers, 8192, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					if inSample[i] {
						inSample[i] = false
						continue
					}
					pred[i] += t.predictBinned(b.Data[i*b.Cols:(i+1)*b.Cols], b.NumBins)
				}
			})
		}
		m.Trees = append(m.Trees, *t)
		if valid == nil {
			continue
		}
		addTreeBinned(t, valid.B, vpred, p.Workers)
		if l := loss(&p, valid.Y, valid.W, vpred, vgroups); l < bestLoss-1e-12 {
			bestLoss, bestIter = l, it
		} else if p.EarlyStoppingRounds > 0 && it-bestIter >= p.EarlyStoppingRounds {
			break
		}
	}
	m.BestIteration = len(m.Trees)
	m.Rounds = len(m.Trees)
	if valid != nil && p.EarlyStoppingRounds > 0 {
		m.BestIteration = bestIter + 1
		m.Trees = m.Trees[:m.BestIteration]
		m.ValidLoss = bestLoss
	}
	return m, nil
}

// initialScores are n rows' raw scores before any tree: base plus each
// row's initial score, if any.
func initialScores(base float64, init []float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = base
		if init != nil {
			out[i] += init[i]
		}
	}
	return out
}

// sampleFeatures picks the features this tree may split on.
func (g *grower) sampleFeatures(rng *rand.Rand) {
	defer g.setHistFeatures()
	cols := g.b.Cols
	if g.p.ColSubsample >= 1 {
		for j := range g.active {
			g.active[j] = true
		}
		return
	}
	k := max(1, int(math.Round(g.p.ColSubsample*float64(cols))))
	clear(g.active)
	for _, j := range rng.Perm(cols)[:k] {
		g.active[j] = true
	}
}

// addTreeBinned adds t's output to pred for every row of b.
func addTreeBinned(t *tree, b *Binned, pred []float64, workers int) {
	parallelChunks(b.Rows, workers, 8192, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			pred[i] += t.predictBinned(b.Data[i*b.Cols:(i+1)*b.Cols], b.NumBins)
		}
	})
}

// renewQuantileLeaves sets each leaf to the alpha-quantile of the residuals
// of its rows, which the pinball loss's constant hessian cannot find.
func renewQuantileLeaves(t *tree, leaves []leafRange, rows []int32, y, w, pred []float64, alpha float64) {
	var res, wt []float64
	for _, l := range leaves {
		res, wt = res[:0], wt[:0]
		for _, r := range rows[l.lo:l.hi] {
			res = append(res, y[r]-pred[r])
			if w != nil {
				wt = append(wt, w[r])
			}
		}
		var ww []float64
		if w != nil {
			ww = wt
		}
		t.Nodes[l.node].Value = weightedQuantile(res, ww, alpha)
	}
}

// holdOut moves a random fraction of the rows (of the queries, when the
// rows have queries) to a validation set.
func holdOut(d BinnedDataset, frac float64, rng *rand.Rand) (BinnedDataset, *BinnedDataset) {
	var tr, va []int
	if d.Query != nil {
		for _, g := range queryRanges(d.Query) {
			dst := &tr
			if rng.Float64() < frac {
				dst = &va
			}
			for i := g[0]; i < g[1]; i++ {
				*dst = append(*dst, i)
			}
		}
	} else {
		for i := 0; i < d.B.Rows; i++ {
			if rng.Float64() < frac {
				va = append(va, i)
			} else {
				tr = append(tr, i)
			}
		}
	}
	sel := func(idx []int) BinnedDataset {
		out := BinnedDataset{B: d.B.SelectRows(idx), Y: make([]float64, len(idx))}
		if d.W != nil {
			out.W = make([]float64, len(idx))
		}
		if d.Query != nil {
			out.Query = make([]int32, len(idx))
		}
		if d.Init != nil {
			out.Init = make([]float64, len(idx))
		}
		for k, i := range idx {
			out.Y[k] = d.Y[i]
			if d.W != nil {
				out.W[k] = d.W[i]
			}
			if d.Query != nil {
				out.Query[k] = d.Query[i]
			}
			if d.Init != nil {
				out.Init[k] = d.Init[i]
			}
		}
		return out
	}
	v := sel(va)
	return sel(tr), &v
}

// SelectRows returns the binned rows idx, sharing b's edges.
func (b *Binned) SelectRows(idx []int) *Binned {
	out := &Binned{Rows: len(idx), Cols: b.Cols, NumBins: b.NumBins, Upper: b.Upper, CatValues: b.CatValues, IsCat: b.IsCat}
	out.Data = make([]uint8, len(idx)*b.Cols)
	for k, i := range idx {
		copy(out.Data[k*b.Cols:(k+1)*b.Cols], b.Data[i*b.Cols:(i+1)*b.Cols])
	}
	return out
}
