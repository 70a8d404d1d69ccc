package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
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
	// Trees are the boosted models averaged (rerankBag of them, their
	// trees back to back with leaves divided by the count).
	Trees *gbdt.Model
	// Top is how many of the blend's best items are re-ordered.
	Top int
	// Blend > 0 orders the top items by the blend score + Blend x the
	// trees' log-odds (chosen on held-out validation customers); 0 orders
	// them by the trees alone.
	Blend float64
	// Facts are the item facts of the log the model serves (itemFacts of
	// the training log, numItemFacts per item), the last part of each
	// row; nil (a model saved before them) fills that part with noFacts.
	Facts []float32

	// flat is Trees laid out for serving (built on first use).
	flat atomic.Pointer[gbdt.Flat]
	// strong are the items the blend's customer-independent part scores
	// highest (see Hybrid.strongItems; built on first use).
	strong atomic.Pointer[[]int32]
}

// flatTrees returns the trees laid out for PredictRawBatch, flattening
// them on first use (or after Trees was replaced).
func (r *Reranker) flatTrees() *gbdt.Flat {
	f := r.flat.Load()
	if f == nil || f.Model() != r.Trees {
		f = r.Trees.Flatten()
		r.flat.Store(f)
	}
	return f
}

// predict writes the trees' log-odds of each row (nf float32 values per
// row, back to back) to raw: bit-identical to Trees.PredictRaw of the row
// widened to float64.
func (r *Reranker) predict(rows []float32, nf int, raw []float64) {
	if len(raw) == 0 {
		return
	}
	if nf == r.Trees.NumFeatures && r.flatTrees().PredictRawBatch(rows, raw) == nil {
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

// rerankBlends are the Reranker.Blend values fitReranker tries. Adding
// .5, 2 and 3, or fixing it at .3 or .5 (which the temporal split prefers),
// did worse on the development period (TestDevExperiment).
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

// numItemExtras is the number of item-level reranker features beyond the
// blend's (see itemExtras).
const numItemExtras = 6

// noCycle marks a log interval ratio that does not exist (an item bought in
// one basket, or not bought by the customer): far below any real ratio.
const noCycle = -20

// recentBaskets is the number of the customer's latest baskets whose item
// share is a reranker feature.
const recentBaskets = 5

// basketRec places a customer's item among their baskets: how many of
// their baskets came after the latest one with the item, how many of
// their last recentBaskets baskets hold it, and the units of the item in
// the latest one.
type basketRec struct {
	since, inRecent int32
	lastQty         float32
}

// basketRecency returns the basketRec of every item of a history (oldest
// first). Baskets are ranked by their latest line, newest first; an item's
// consecutive lines in one basket count once, as in Summarize.
func basketRecency(h []Event) map[int32]basketRec {
	items := make(map[int32]basketAcc)
	rank := make(map[int32]int32) // basket -> rank from the end
	for k := len(h) - 1; k >= 0; k-- {
		e := h[k]
		a := items[e.Item]
		a.count(e.Basket, basketRank(rank, e.Basket), e.Qty)
		items[e.Item] = a
	}
	out := make(map[int32]basketRec, len(items))
	for it, a := range items {
		out[it] = a.basketRec
	}
	return out
}

// basketAcc is an item's basketRec while a history is read from the end.
type basketAcc struct {
	basketRec
	basket int32 // the basket last counted
	seen   bool
}

// count reads one line of the item (qty units), in basket b of rank o from
// the end.
func (a *basketAcc) count(b, o int32, qty float32) {
	if !a.seen {
		a.since, a.seen, a.lastQty = o, true, qty
		if o < recentBaskets {
			a.inRecent++
		}
	} else {
		if o < recentBaskets && a.basket != b {
			a.inRecent++
		}
		if o == a.since {
			a.lastQty += qty
		}
	}
	a.basket = b
}

// basketRank is basket b's rank in rank, adding it as the next one when
// new.
func basketRank(rank map[int32]int32, b int32) int32 {
	o, ok := rank[b]
	if !ok {
		o = int32(len(rank))
		rank[b] = o
	}
	return o
}

// basketRecency is basketRecency for serving: the customer's items' records
// by their index in p.sm.Items (see scoreParts.own), in buffers of buf, with
// one look-up of the basket rank per run of lines of a basket.
func (buf *rerankBuf) basketRecency(h []Event, p *scoreParts) []basketAcc {
	n := len(p.sm.Items)
	acc := slices.Grow(buf.brec[:0], n)[:n]
	clear(acc)
	buf.brec = acc
	if buf.rank == nil {
		buf.rank = make(map[int32]int32)
	}
	clear(buf.rank)
	prev, o := int32(0), int32(-1)
	for k := len(h) - 1; k >= 0; k-- {
		e := h[k]
		if o < 0 || e.Basket != prev {
			prev, o = e.Basket, basketRank(buf.rank, e.Basket)
		}
		if i := p.ownIndex(e.Item); i > 0 {
			acc[i-1].count(e.Basket, o, e.Qty)
		}
	}
	return acc
}

// itemExtras are the item-level reranker features the blend does not carry,
// for item statistics s of the customer's own item (nil: not bought) and
// its basket ranks br among the customer's baskets (nb in all): days since
// the latest purchase (-1 if not bought), log((days + 1) / (cycle + 1))
// with the customer's own cycle and with the item's typical cycle over all
// customers (noCycle without one; signed, so the trees tell "not yet due"
// from "overdue"), log(1 + baskets with the item), baskets since the
// latest one with the item (-1 if not bought) and the share of the latest
// recentBaskets baskets that hold it.
func itemExtras(s *ItemStats, br basketRec, nb int, now int64, itemCycle float64) [numItemExtras]float32 {
	if s == nil {
		return [numItemExtras]float32{-1, noCycle, noCycle, 0, -1, 0}
	}
	age := math.Max(0, float64(now-s.Last)/86400)
	x := [numItemExtras]float32{float32(age), noCycle, noCycle, float32(math.Log1p(float64(s.Baskets))),
		float32(br.since), float32(br.inRecent) / float32(max(1, min(recentBaskets, nb)))}
	if c := s.CycleDays(); c > 0 {
		x[1] = float32(math.Log((age + 1) / (c + 1)))
	}
	if itemCycle > 0 {
		x[2] = float32(math.Log((age + 1) / (itemCycle + 1)))
	}
	return x
}

// numQtyExtras is the number of quantity features of a reranker row (see
// qtyExtras).
const numQtyExtras = 4

// qtyExtras are the reranker's quantity features of the customer's own item
// s (nil: not bought) with basket record br at time now: log(1 + units in
// the latest basket with it), log(1 + mean units per basket with it),
// their difference, and log((days since the latest basket + 1) / (days the
// latest units last at the customer's earlier pace + 1)), noCycle without
// an earlier pace (signed like the cycle ratios: above 0, the latest
// units should be used up). Wholesale customers restock when they run
// out, which the number of baskets alone does not tell.
func qtyExtras(s *ItemStats, br basketRec, now int64) [numQtyExtras]float32 {
	if s == nil {
		return [numQtyExtras]float32{-1, -1, 0, noCycle}
	}
	last := math.Max(0, float64(br.lastQty))
	mean := math.Max(0, s.Qty) / float64(max(1, s.Baskets))
	x := [numQtyExtras]float32{float32(math.Log1p(last)), float32(math.Log1p(mean)), float32(math.Log1p(last) - math.Log1p(mean)), noCycle}
	rest := s.Qty - last
	if span := float64(s.Last-s.First) / 86400; rest > 0 && span > 0 {
		age := math.Max(0, float64(now-s.Last)/86400)
		x[3] = float32(math.Log((age + 1) / (last/(rest/span) + 1)))
	}
	return x
}

// numItemTail is the number of item-level values that end a reranker
// row: the item extras, the item facts and the quantity extras (last, so
// trees trained before them read their columns where they were).
const numItemTail = numItemExtras + numItemFacts + numQtyExtras

// appendItemTail appends to dst the item-level end of item it's reranker
// row: its item extras (customer statistics st, nil if not bought, basket
// record br, nb baskets, typical cycle itemCycle), its facts from facts
// (itemFacts) and its quantity extras, at time now.
func appendItemTail(dst []float32, st *ItemStats, br basketRec, nb int, now int64, itemCycle float64, facts []float32, it int32) []float32 {
	ix := itemExtras(st, br, nb, now, itemCycle)
	dst = append(dst, ix[:]...)
	dst = append(dst, factsOf(facts, it)...)
	qx := qtyExtras(st, br, now)
	return append(dst, qx[:]...)
}

// rerankWidth is the length of a reranker row with nc components.
func rerankWidth(nc int) int {
	return NumRepeatFeatures + nc + 2 + numUserFeatures + nc + numItemTail
}

// rerankRow assembles one reranker row: the blend features (repeat part and
// component part, without the own-item copies), the blend score, an own-item
// flag, the customer features, the customer's largest raw score of each
// component (cmax: how confident each component is for this customer,
// which the per-customer normalisation hides) and the item's tail
// (appendItemTail's numItemTail values).
func rerankRow(dst []float64, feats []float32, nc int, linear float64, own bool, uf [numUserFeatures]float32, cmax []float32, tail []float32) []float64 {
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
	for _, v := range cmax {
		dst = append(dst, float64(v))
	}
	for _, v := range tail[:numItemTail] {
		dst = append(dst, float64(v))
	}
	return dst
}

// rerankDepth is how many times Reranker.Top items per customer the trees
// learn from: they re-order the blend's best Top but see rows further
// down too. Chosen on validation only (TestRerankExperiment, keys 1-3):
// learning from the best 2 x Top raised the best held-out gain from .0121
// to .0138 cross-fitted and from .0061 to .0064 temporal, at Top 25 from
// .0069 to .0112 and from .0011 to .0062 (higher for every key); 4 x Top
// gained more cross-fitted (.0146) but less temporal (.0057).
const rerankDepth = 2

// trainReranker fits the reranker of the blend's best top items on the
// validation table with weights w, from the best rerankDepth x top.
func (t *tuningTable) trainReranker(ctx context.Context, w []float64, top int, seed uint64) (*Reranker, error) {
	rows, y, wt, _ := t.rerankData(w, rerankDepth*top)
	return trainRerankRows(ctx, rows, y, wt, top, seed)
}

// trainRerankRows fits a reranker of the blend's best top items on rows
// (rerankData's) with labels y and weights wt: rerankBag boosted models
// (seeds seed, seed+1000, ...) averaged into one gbdt.Model; nil without
// rows.
func trainRerankRows(ctx context.Context, rows [][]float64, y, wt []float64, top int, seed uint64) (*Reranker, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	X, err := gbdt.FromRows(rows)
	if err != nil {
		return nil, err
	}
	// The rows are binned once for the whole bag, and the models train
	// side by side: each is fixed by its seed alone (gbdt models do not
	// depend on the worker count), so the bag is the same as one model
	// after the other, and the cores the histograms of small nodes leave
	// idle go to the next model.
	bins, err := gbdt.BinWith(ctx, X, rerankParams)
	if err != nil {
		return nil, err
	}
	ms := make([]*gbdt.Model, rerankBag)
	errs := make([]error, rerankBag)
	var wg sync.WaitGroup
	for b := range ms {
		wg.Go(func() {
			ms[b], errs[b] = gbdt.TrainBinned(ctx, gbdt.BinnedDataset{B: bins, Y: y, W: wt}, nil, rerankParams, rand.New(rand.NewPCG(seed+uint64(b)*1000, 0x7e)))
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	m := ms[0]
	if len(ms) > 1 {
		if m, err = gbdt.Average(ms...); err != nil {
			return nil, err
		}
	}
	return &Reranker{Trees: m, Top: top}, nil
}

// rerankData is the reranker's training set on the table with weights w:
// a row per customer and candidate among the blend's best top (customers
// in table order, candidates best first), its label (bought in the
// validation period), weight and customer (its index in the table).
func (t *tuningTable) rerankData(w []float64, top int) (rows [][]float64, y, wt []float64, query []int32) {
	nc := (t.nFeat - NumRepeatFeatures) / 2
	for u, tu := range t.users {
		scores := t.linearScores(&tu, w)
		for _, ci := range TopK(scores, top) {
			query = append(query, int32(u))
			f := tu.row(int(ci), nil)
			rows = append(rows, rerankRow(nil, f, nc, scores[ci], f[0] > 0, tu.ufeat, tu.cmax, tu.tail(int(ci))))
			// Each hit adds 1/|relevant| to recall: weigh rows alike.
			wt = append(wt, 10/float64(tu.n))
			if tu.rel[ci] {
				y = append(y, 1)
			} else {
				y = append(y, 0)
			}
		}
	}
	return rows, y, wt, query
}

// rerankParams are the parameters of each of the reranker's rerankBag
// boosted models. Three models of 150 trees at a learning rate of 0.1,
// each on 80% of the rows and features, averaged (variant bag3sub150 of
// TestDevExperiment), replaced one model of up to 300 trees at 0.05
// without subsampling: on the validation windows (TestRerankExperiment,
// keys 1-3, three full-size models "bag3sub0.8") the held-out gain rose
// from .0138 to .0175 cross-fitted and from .0064 to .0085 temporal, and
// on the development period Recall@10 from .1643 / .1665 / .1656 to
// .1650 / .1701 / .1665 (NDCG@10 mean .3374 -> .3380; new items .0724 ->
// .0730, .1218 -> .1235). Before that: smaller leaves and
// subsampling (MinSamplesLeaf 30, 80% of rows and features) gained more
// when cross-fitted on random halves of the validation customers (+0.0068
// against +0.0048 over three customer orders) but nothing when trained on
// the older validation window and scored on the latest (-0.0000 against
// +0.0009), nor on the test period: see TestRerankExperiment. A pairwise
// objective (gbdt.LambdaRank) gained nothing either.
var rerankParams = gbdt.Params{
	Objective: gbdt.Logistic, NumTrees: 150, LearningRate: 0.1, MaxDepth: 5, MinSamplesLeaf: 100,
	RowSubsample: 0.8, ColSubsample: 0.8,
	EarlyStoppingRounds: 30, ValidationFraction: 0.15,
}

// rerankBag is the number of reranker models, trained with different
// seeds (different rows and features sampled, different rows held out
// for early stopping), whose log-odds are averaged: averaging lowers the
// variance of trees fitted to one validation period. It costs serving
// time: the served request scores rerankBag x up to 150 trees.
var rerankBag = 3

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
		row := make([]float64, 0, rerankWidth(nc))
		ru := rerankedUser{top: top, linear: make([]float64, len(top)), raw: make([]float64, len(top))}
		var f []float32
		for k, ci := range top {
			f = tu.row(int(ci), f)
			row = rerankRow(row, f, nc, scores[ci], f[0] > 0, tu.ufeat, tu.cmax, tu.tail(int(ci)))
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
	return t.listObjective(tu, items, TopK(scores, t.k))
}

// topObjective is userObjective of a customer's candidates ranked top
// (indexes into cands, best first).
func (t *tuningTable) topObjective(tu *tuningUser, top []int32) float64 {
	return t.listObjective(tu, nil, top)
}

// listObjective is userObjective's value for the ranked list top (indexes
// into items, or into cands when items is nil).
func (t *tuningTable) listObjective(tu *tuningUser, items, top []int32) float64 {
	hits, dcg := 0, 0.0
	for r, k := range top {
		ci := k
		if items != nil {
			ci = items[k]
		}
		if tu.rel[ci] {
			hits++
			dcg += discount(r)
		}
	}
	return dcg/idealDCG(min(t.k, tu.n)) + t.recallWeight*float64(hits)/float64(tu.n)
}

// fitReranker decides on held-out validation customers whether trees improve
// the blend, how many of the blend's best items they re-order (top, or
// when top is 0 the best of rerankTops) and how to combine them with it
// (Reranker.Blend). The customers are cut in two halves (even- and
// odd-numbered); trees trained on each half are scored on the other, and
// a choice's gain is the mean of the two (cross-fitting: every customer
// is scored once, so the decision wavers less than on one half). If they
// help, it returns trees trained on all; else nil. t.rerankGain is the
// held-out gain of the choice. (Random halves mix the validation windows'
// customers and rate the trees far higher than training on the older
// window and scoring the latest does; deciding on that temporal split did
// not do better on the test period: see TestRerankExperiment.)
func (t *tuningTable) fitReranker(ctx context.Context, w []float64, top int) (*Reranker, error) {
	tops := rerankTops
	if top > 0 {
		tops = []int{top}
	}
	gains, err := t.crossFitGains(ctx, w, tops, (*tuningTable).trainReranker)
	if err != nil {
		return nil, err
	}
	t.rerankGain = math.Inf(-1)
	bestTop, bestBlend := 0, 0.0
	for k, g := range gains {
		for b, v := range g {
			if v > t.rerankGain {
				t.rerankGain, bestTop, bestBlend = v, tops[k], rerankBlends[b]
			}
		}
	}
	if t.rerankGain <= rerankMinGain {
		return nil, nil
	}
	r, err := t.trainReranker(ctx, w, bestTop, 2)
	if r != nil {
		r.Blend = bestBlend
	}
	return r, err
}

// rerankMinGain is the least held-out gain of the validation objective
// for which the reranker is kept.
var rerankMinGain = 0.0

// rerankTops are the Reranker.Top values fitReranker tries when none is
// configured. 100 is no longer among them, for serving cost: the
// trees' share of a request grows with Top (a served request on the
// Online Retail model took 282 us at Top 25 and 309 us at Top 50, back to
// back; 149-157 us without the reranker). With rerankDepth, Top 100
// gains more cross-fitted (keys 1-3: .0154 / .0156 / .0130 against the
// best of 25 and 50, .0139 / .0140 / .0134) but less temporal (.0081 /
// .0019 / .0040 against .0096 / .0062 / .0035; TestRerankExperiment).
var rerankTops = []int{25, 50}

// rerankTrainer trains a reranker on a tuning table with blend weights w
// over the blend's best top items (see tuningTable.trainReranker).
type rerankTrainer func(t *tuningTable, ctx context.Context, w []float64, top int, seed uint64) (*Reranker, error)

// crossFitGains cuts the validation customers in two halves (even- and
// odd-numbered), trains a reranker with train on each half for every top
// in tops and scores it on the other half: the result is, per top and per
// rerankBlends value, the mean over the halves of the held-out objective
// gain over the blend (nil for a top where no reranker could be trained).
func (t *tuningTable) crossFitGains(ctx context.Context, w []float64, tops []int, train rerankTrainer) ([][]float64, error) {
	var halves [2]tuningTable
	for h := range halves {
		halves[h] = *t
		halves[h].users = nil
	}
	for i, u := range t.users {
		halves[i%2].users = append(halves[i%2].users, u)
	}
	gains := make([][]float64, len(tops)) // per top, per blend: mean over halves
	for h := range halves {
		g, err := heldOutGains(ctx, w, tops, train, &halves[h], &halves[1-h])
		if err != nil {
			return nil, err
		}
		for k := range gains {
			if h > 0 && gains[k] == nil || g[k] == nil {
				gains[k] = nil
				continue
			}
			if gains[k] == nil {
				gains[k] = make([]float64, len(rerankBlends))
			}
			for b, v := range g[k] {
				gains[k][b] += v / 2
			}
		}
	}
	return gains, nil
}

// heldOutGains trains a reranker with train on the customers of fit for
// every top in tops and returns, per top and per rerankBlends value, its
// objective gain over the blend on the customers of test (nil for a top
// where no reranker could be trained).
func heldOutGains(ctx context.Context, w []float64, tops []int, train rerankTrainer, fit, test *tuningTable) ([][]float64, error) {
	base := test.objective(w)
	gains := make([][]float64, len(tops))
	for k, tp := range tops {
		r, err := train(fit, ctx, w, tp, 1)
		if err != nil {
			return nil, err
		}
		if r == nil {
			continue
		}
		gains[k] = make([]float64, len(rerankBlends))
		preds := test.rerankPredictions(w, r)
		for b, bl := range rerankBlends {
			r.Blend = bl
			gains[k][b] = test.objectiveReranked(preds, r) - base
		}
	}
	return gains, nil
}
