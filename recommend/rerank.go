package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// Reranker re-orders the top of the linear blend with gradient-boosted
// trees (logistic loss: "bought in the next period?") trained on the
// validation period. The trees see the blend's features, the blend's score
// and customer-level features, so they can learn interactions a weighted
// sum cannot (e.g. how much a frequent buyer's own items should outrank
// collaborative picks).
type Reranker struct {
	Trees *gbdt.Model
	// Top is how many of the blend's best items are re-ordered.
	Top int
	// Blend > 0 orders the top items by the blend score + Blend x the
	// trees' log-odds (chosen on held-out validation customers); 0 orders
	// them by the trees alone.
	Blend float64

	// flat is Trees laid out for serving (built on first use).
	flat atomic.Pointer[gbdt.Flat]
}

// predict writes the trees' log-odds of each row (nf float32 values per
// row, back to back) to raw: bit-identical to Trees.PredictRaw of the row
// widened to float64.
func (r *Reranker) predict(rows []float32, nf int, raw []float64) {
	if len(raw) == 0 {
		return
	}
	f := r.flat.Load()
	if f == nil || f.Model() != r.Trees {
		f = r.Trees.Flatten()
		r.flat.Store(f)
	}
	if nf == r.Trees.NumFeatures && f.PredictRawBatch(rows, raw) == nil {
		return
	}
	// A row of another width than the trees were trained on: go through
	// PredictRaw, as before Flat.
	row := make([]float64, nf)
	for j := range raw {
		for k, v := range rows[j*nf : (j+1)*nf] {
			row[k] = float64(v)
		}
		raw[j] = r.Trees.PredictRaw(row)
	}
}

// rescore is the reranked score of a top item with blend score linear and
// trees' log-odds raw.
func (r *Reranker) rescore(linear, raw float64) float64 {
	if r.Blend > 0 {
		return linear + r.Blend*raw
	}
	return 1 / (1 + math.Exp(-raw))
}

// rerankBlends are the Reranker.Blend values fitReranker tries.
var rerankBlends = []float64{0, 0.01, 0.03, 0.1, 0.3, 1}

// numUserFeatures is the number of customer-level reranker features.
const numUserFeatures = 5

// userFeatures describe the customer: log baskets, repeat rate, log
// distinct items, days since the latest purchase, log lines per basket.
func userFeatures(sm *Summary, now int64) [numUserFeatures]float32 {
	var last int64
	lines := 0
	for _, s := range sm.Items {
		last = max(last, s.Last)
		lines += s.Lines
	}
	days := 365.0
	if last > 0 {
		days = math.Max(0, float64(now-last)/86400)
	}
	return [numUserFeatures]float32{
		float32(math.Log1p(float64(sm.Baskets))),
		float32(sm.RepeatRate),
		float32(math.Log1p(float64(len(sm.Items)))),
		float32(days),
		float32(math.Log1p(float64(lines) / float64(max(1, sm.Baskets)))),
	}
}

// rerankRow assembles one reranker row: the blend features (repeat part and
// component part, without the own-item copies), the blend score, an own-item
// flag and the customer features.
func rerankRow(dst []float64, feats []float32, nc int, linear float64, own bool, uf [numUserFeatures]float32) []float64 {
	dst = dst[:0]
	for _, v := range feats[:NumRepeatFeatures+nc] {
		dst = append(dst, float64(v))
	}
	o := 0.0
	if own {
		o = 1
	}
	dst = append(dst, linear, o)
	for _, v := range uf {
		dst = append(dst, float64(v))
	}
	return dst
}

// trainReranker fits the reranker on the validation table with weights w.
func (t *tuningTable) trainReranker(ctx context.Context, w []float64, top int, seed uint64) (*Reranker, error) {
	nc := (t.nFeat - NumRepeatFeatures) / 2
	var rows [][]float64
	var y, wt []float64
	for _, tu := range t.users {
		scores := t.linearScores(&tu, w)
		for _, ci := range TopK(scores, top) {
			f := tu.row(int(ci), nil)
			rows = append(rows, rerankRow(nil, f, nc, scores[ci], f[0] > 0, tu.ufeat))
			// Each hit adds 1/|relevant| to recall: weigh rows alike.
			wt = append(wt, 10/float64(tu.n))
			if tu.relevant[tu.cands[ci]] {
				y = append(y, 1)
			} else {
				y = append(y, 0)
			}
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	X, err := gbdt.FromRows(rows)
	if err != nil {
		return nil, err
	}
	m, err := gbdt.Train(ctx, gbdt.Dataset{X: X, Y: y, W: wt}, nil, gbdt.Params{
		Objective: gbdt.Logistic, NumTrees: 300, LearningRate: 0.05, MaxDepth: 5, MinSamplesLeaf: 100,
		EarlyStoppingRounds: 30, ValidationFraction: 0.15,
	}, rand.New(rand.NewPCG(seed, 0x7e)))
	if err != nil {
		return nil, err
	}
	return &Reranker{Trees: m, Top: top}, nil
}

// linearScores scores a tuning user's candidates with weights w.
func (t *tuningTable) linearScores(tu *tuningUser, w []float64) []float64 {
	scores := make([]float64, len(tu.cands))
	for f, wf := range w {
		if wf == 0 {
			continue
		}
		for ci, x := range tu.col(f) {
			scores[ci] += wf * float64(x)
		}
	}
	return scores
}

// rerankedUser is one validation customer's top candidates under the
// blend (indexes into cands), their blend scores and the trees' log-odds.
type rerankedUser struct {
	top         []int32
	linear, raw []float64
}

// rerankPredictions scores every validation customer's top r.Top
// candidates with the trees once, so several Blend values can be compared
// without predicting again.
func (t *tuningTable) rerankPredictions(w []float64, r *Reranker) []rerankedUser {
	nc := (t.nFeat - NumRepeatFeatures) / 2
	out := make([]rerankedUser, len(t.users))
	parallelFor(len(t.users), func(_, i int) {
		tu := &t.users[i]
		scores := t.linearScores(tu, w)
		top := TopK(scores, r.Top)
		row := make([]float64, 0, NumRepeatFeatures+nc+2+numUserFeatures)
		ru := rerankedUser{top: top, linear: make([]float64, len(top)), raw: make([]float64, len(top))}
		var f []float32
		for k, ci := range top {
			f = tu.row(int(ci), f)
			row = rerankRow(row, f, nc, scores[ci], f[0] > 0, tu.ufeat)
			ru.linear[k], ru.raw[k] = scores[ci], r.Trees.PredictRaw(row)
		}
		out[i] = ru
	})
	return out
}

// objectiveReranked is the validation objective of blend + reranker, from
// the trees' predictions (rerankPredictions with the same weights).
func (t *tuningTable) objectiveReranked(preds []rerankedUser, r *Reranker) float64 {
	s := 0.0
	var re []float64
	for i := range t.users {
		ru := &preds[i]
		re = re[:0]
		for k := range ru.top {
			re = append(re, r.rescore(ru.linear[k], ru.raw[k]))
		}
		s += t.userObjective(&t.users[i], ru.top, re)
	}
	return s / float64(max(1, len(t.users)))
}

// userObjective is NDCG@k + recallWeight x Recall@k of the candidates
// `items` (indexes into tu.cands; nil = all candidates) ranked by scores.
func (t *tuningTable) userObjective(tu *tuningUser, items []int32, scores []float64) float64 {
	hits, dcg := 0, 0.0
	for r, k := range TopK(scores, t.k) {
		ci := k
		if items != nil {
			ci = items[k]
		}
		if tu.relevant[tu.cands[ci]] {
			hits++
			dcg += 1 / math.Log2(float64(r)+2)
		}
	}
	idcg := 0.0
	for r := 0; r < min(t.k, tu.n); r++ {
		idcg += 1 / math.Log2(float64(r)+2)
	}
	return dcg/idcg + t.recallWeight*float64(hits)/float64(tu.n)
}

// fitReranker decides on held-out validation customers whether trees improve
// the blend, how many of the blend's best items they re-order (top, or
// when top is 0 the best of rerankTops) and how to combine them with it
// (Reranker.Blend): trained on even-numbered customers, scored on
// odd-numbered ones. If they help, it returns trees trained on all; else
// nil. t.rerankGain is the held-out gain of the choice.
func (t *tuningTable) fitReranker(ctx context.Context, w []float64, top int) (*Reranker, error) {
	tops := rerankTops
	if top > 0 {
		tops = []int{top}
	}
	var a, b tuningTable
	a, b = *t, *t
	a.users, b.users = nil, nil
	for i, u := range t.users {
		if i%2 == 0 {
			a.users = append(a.users, u)
		} else {
			b.users = append(b.users, u)
		}
	}
	base := b.objective(w)
	t.rerankGain = math.Inf(-1)
	bestTop, bestBlend := 0, 0.0
	for _, tp := range tops {
		r, err := a.trainReranker(ctx, w, tp, 1)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		preds := b.rerankPredictions(w, r)
		for _, bl := range rerankBlends {
			r.Blend = bl
			if g := b.objectiveReranked(preds, r) - base; g > t.rerankGain {
				t.rerankGain, bestTop, bestBlend = g, tp, bl
			}
		}
	}
	if t.rerankGain <= 0.002 {
		return nil, nil
	}
	r, err := t.trainReranker(ctx, w, bestTop, 2)
	if r != nil {
		r.Blend = bestBlend
	}
	return r, err
}

// rerankTops are the Reranker.Top values fitReranker tries when none is
// configured.
var rerankTops = []int{25, 50, 100}
