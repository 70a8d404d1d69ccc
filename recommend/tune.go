package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"

	"gonum.org/v1/gonum/optimize"

	"github.com/shelfwise/shelfwise/internal/parallel"
)

// tuningTable holds, for every validation customer, a candidate set with
// the blend's features, so weights can be searched without rescoring.
type tuningTable struct {
	nFeat int
	k     int
	users []tuningUser
	// recallWeight weighs Recall@k against NDCG@k in the objective.
	recallWeight float64
	// rerankGain is the reranker's objective gain on held-out validation
	// customers (set by fitReranker).
	rerankGain float64
	// windowEnds[i] is the end of validation window i's customers in users
	// (the latest window first).
	windowEnds []int
}

type tuningUser struct {
	cands []int32
	feats []float32 // column-major: feature f of candidate ci at f*len(cands)+ci
	// rel[ci] tells whether candidate ci was bought in the validation
	// period; n is how many distinct items were.
	rel   []bool
	n     int
	ufeat [numUserFeatures]float32
	// cmax is each component's largest raw score for the customer; tails
	// the candidates' row tails (appendItemTail, numItemTail per
	// candidate, in order; their facts from the log the table's components
	// were fitted on).
	cmax  []float32
	tails []float32
}

// tail returns candidate ci's row tail.
func (tu *tuningUser) tail(ci int) []float32 {
	return tu.tails[ci*numItemTail : (ci+1)*numItemTail]
}

// newTuningTable scores the components for every held-out customer and keeps
// the union of each component's top candidates (plus the customer's own
// items unless the blend is tuned for new items). facts are itemFacts(lg).
func newTuningTable(ctx context.Context, lg *Log, h *Hybrid, sets []heldOut, now int64, facts []float32) *tuningTable {
	nc := len(h.Components)
	t := &tuningTable{nFeat: NumRepeatFeatures + 2*nc, k: h.Cfg.K, users: make([]tuningUser, len(sets)), recallWeight: h.Cfg.RecallWeight}
	type scratch struct{ comp [][]float64 }
	sc := make([]*scratch, workers())
	parallelFor(len(sets), func(w, i int) {
		if ctx.Err() != nil {
			return
		}
		if sc[w] == nil {
			s := &scratch{comp: make([][]float64, nc)}
			for c := range s.comp {
				s.comp[c] = make([]float64, lg.NumItems())
			}
			sc[w] = s
		}
		s := sc[w]
		u := sets[i].user
		q := &Query{User: u, History: lg.Histories[u], Signals: lg.signals(u), Now: now}
		sm := q.Summary()
		stats := sm.Items
		own := make(map[int32]int, len(stats))
		for k, st := range stats {
			own[st.Item] = k
		}
		candSet := map[int32]bool{}
		var cands []int32
		add := func(it int32) {
			if !candSet[it] {
				candSet[it] = true
				cands = append(cands, it)
			}
		}
		if !h.Cfg.NewItems {
			for _, st := range stats {
				add(st.Item)
			}
		}
		cmax := make([]float32, nc)
		for c, comp := range h.Components {
			comp.Scorer.Score(q, s.comp[c])
			cmax[c] = float32(normalizeMax(s.comp[c]))
			buf := append([]float64(nil), s.comp[c]...)
			if h.Cfg.NewItems {
				for _, st := range stats {
					buf[st.Item] = math.Inf(-1)
				}
			}
			for _, it := range TopK(buf, h.Cfg.Candidates) {
				add(it)
			}
		}
		sort.Slice(cands, func(a, b int) bool { return cands[a] < cands[b] })
		rel := make([]bool, len(cands))
		for ci, it := range cands {
			rel[ci] = sets[i].relevant[it]
		}
		tu := tuningUser{cands: cands, feats: make([]float32, len(cands)*t.nFeat), rel: rel, n: sets[i].n,
			ufeat: userFeatures(sm, q.Now), cmax: cmax, tails: make([]float32, 0, len(cands)*numItemTail)}
		row := make([]float32, t.nFeat)
		brec := basketRecency(q.History)
		rep := repeatOf(sm, now)
		for ci, it := range cands {
			clear(row)
			k, isOwn := own[it]
			var st *ItemStats
			if isOwn {
				st = &stats[k]
			}
			tu.tails = appendItemTail(tu.tails, st, brec[it], sm.Baskets, now, itemCycle(h.Components, it), facts, it)
			if isOwn {
				v := rep.item(stats[k], itemCycle(h.Components, it)).Vector()
				for f := range v {
					row[f] = float32(v[f])
				}
			}
			for c := range h.Components {
				row[NumRepeatFeatures+c] = float32(s.comp[c][it])
				if isOwn {
					row[NumRepeatFeatures+nc+c] = float32(s.comp[c][it])
				}
			}
			for f, x := range row {
				tu.feats[f*len(cands)+ci] = x
			}
		}
		t.users[i] = tu
	})
	return t
}

// objective is mean NDCG@k + recallWeight x mean Recall@k over the
// validation customers.
func (t *tuningTable) objective(w []float64) float64 {
	return t.objectiveDelta(t.scoresFor(w), nil, -1, 0)
}

// scoresFor returns every validation customer's candidate scores under w.
func (t *tuningTable) scoresFor(w []float64) [][]float64 {
	out := make([][]float64, len(t.users))
	parallelFor(len(t.users), func(_, i int) { out[i] = t.linearScores(&t.users[i], w) })
	return out
}

// objectiveDelta is the objective of the scores cur with feature f's weight
// moved by delta (f < 0: unchanged). Moving one weight only adds delta
// times that feature's column, so coordinate ascent never rescores whole
// rows; for the customers for whom f is sparse (sp, see sparseAscent; nil:
// none is) it rescores only their support.
func (t *tuningTable) objectiveDelta(cur [][]float64, sp []sparseAscent, f int, delta float64) float64 {
	return t.objectiveDeltas(cur, sp, f, []float64{delta})[0]
}

// objectiveDeltas is objectiveDelta for each of deltas, each the same bit
// for bit as alone: a customer's candidates are read once for all of them
// (while they are in cache), not once per delta.
func (t *tuningTable) objectiveDeltas(cur [][]float64, sp []sparseAscent, f int, deltas []float64) []float64 {
	nd := len(deltas)
	parts := make([]float64, len(t.users)*nd) // customer i's objective under delta d at i*nd+d
	bufs := make([][]float64, workers())
	parallelFor(len(t.users), func(w, i int) {
		tu := &t.users[i]
		s := cur[i]
		out := parts[i*nd : (i+1)*nd]
		switch {
		case f < 0:
			v := t.userObjective(tu, nil, s)
			for d := range out {
				out[d] = v
			}
		case sp != nil && sp[i].sparse(f):
			for d, delta := range deltas {
				out[d] = t.topObjective(tu, sp[i].top(s, tu.col(f), delta, t.k))
			}
		case t.k > 0 && t.k <= smallK:
			for d, delta := range deltas {
				out[d] = t.topObjective(tu, topKShifted(s, tu.col(f), delta, t.k))
			}
		default:
			if cap(bufs[w]) < len(s) {
				bufs[w] = make([]float64, len(s))
			}
			b := bufs[w][:len(s)]
			col := tu.col(f)
			for d, delta := range deltas {
				for ci := range b {
					b[ci] = s[ci] + delta*float64(col[ci])
				}
				out[d] = t.userObjective(tu, nil, b)
			}
		}
	})
	res := make([]float64, nd)
	for d := range res {
		sum := 0.0
		for i := range t.users {
			sum += parts[i*nd+d]
		}
		res[d] = sum / float64(max(1, len(t.users)))
	}
	return res
}

// tune learns the weights: coordinate ascent on the validation objective,
// started both from a simple default and from a pairwise logistic (RankNet)
// fit, keeping the better. In the new-items setting only the components
// (not the repeat or own-item features) carry weight.
func (t *tuningTable) tune(newItems bool) ([]float64, float64) {
	nc := (t.nFeat - NumRepeatFeatures) / 2
	active := make([]bool, t.nFeat)
	for f := range active {
		active[f] = !newItems || (f >= NumRepeatFeatures && f < NumRepeatFeatures+nc)
	}
	simple := make([]float64, t.nFeat)
	if newItems {
		simple[NumRepeatFeatures] = 1 // the first component (ALS)
	} else {
		simple[0] = 1 // log lines
	}
	bestW, best := t.coordinateAscent(simple, active)
	if w, s := t.coordinateAscent(t.rankNet(active), active); s > best {
		bestW, best = w, s
	}
	return bestW, best
}

// coordinateAscent improves w one weight at a time over a log-spaced grid
// and multiplicative steps until no step helps.
func (t *tuningTable) coordinateAscent(w []float64, active []bool) ([]float64, float64) {
	w = append([]float64(nil), w...)
	cur := t.scoresFor(w)
	best := t.objectiveDelta(cur, nil, -1, 0)
	sp := t.sparseAscents(cur)
	grid := []float64{-0.3, -0.1, -0.03, 0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10}
	for pass := 0; pass < 6; pass++ {
		improved := false
		for f := 0; f < t.nFeat; f++ {
			if !active[f] {
				continue
			}
			bestV := w[f]
			var vals, deltas []float64
			for _, v := range append([]float64{w[f] * 0.5, w[f] * 0.7, w[f] * 1.4, w[f] * 2, -w[f]}, grid...) {
				if v != w[f] && !slices.Contains(vals, v) {
					vals, deltas = append(vals, v), append(deltas, v-w[f])
				}
			}
			// Scored together; taken in order, the first of equal
			// objectives wins, as when they were scored one by one.
			for k, s := range t.objectiveDeltas(cur, sp, f, deltas) {
				if s > best+1e-6 {
					best, bestV = s, vals[k]
					improved = true
				}
			}
			if bestV != w[f] {
				d := bestV - w[f]
				for i := range t.users {
					tu := &t.users[i]
					for ci, x := range tu.col(f) {
						cur[i][ci] += d * float64(x)
					}
				}
				t.refreshSparse(sp, cur, f)
				w[f] = bestV
			}
		}
		if !improved {
			break
		}
	}
	return w, best
}

// rankNet fits a linear pairwise logistic model: every relevant candidate
// of a customer should outscore a sample of the non-relevant ones. Each
// customer's pairs weigh 1 in total; L2 penalty 1e-3. The result is
// rescaled so its largest weight is 1.
func (t *tuningTable) rankNet(active []bool) []float64 {
	rng := rand.New(rand.NewPCG(7, 7))
	// Each difference of two float32 features is a float32: stored as one,
	// it takes half the memory the fit streams through on every step, and
	// widens to the same float64.
	var diffs []float32
	var weights []float64
	const negatives = 15
	for _, tu := range t.users {
		var pos, neg []int
		for ci := range tu.cands {
			if tu.rel[ci] {
				pos = append(pos, ci)
			} else {
				neg = append(neg, ci)
			}
		}
		if len(pos) == 0 || len(neg) == 0 {
			continue
		}
		var pairs [][2]int
		for _, p := range pos {
			for k := 0; k < negatives; k++ {
				pairs = append(pairs, [2]int{p, neg[rng.IntN(len(neg))]})
			}
		}
		for _, pr := range pairs {
			a := tu.row(pr[0], nil)
			b := tu.row(pr[1], nil)
			for f := range a {
				var d float32
				if active[f] {
					d = a[f] - b[f]
				}
				diffs = append(diffs, d)
			}
			weights = append(weights, 1/float64(len(pairs)))
		}
	}
	nf := t.nFeat
	if len(weights) == 0 {
		return make([]float64, nf)
	}
	pl := newPairLoss(diffs, weights, nf)
	res, err := optimize.Minimize(optimize.Problem{Func: pl.loss, Grad: pl.grad}, make([]float64, nf),
		&optimize.Settings{MajorIterations: 200}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return make([]float64, nf)
	}
	w := res.X
	m := 0.0
	for _, v := range w {
		m = max(m, math.Abs(v))
	}
	if m > 0 {
		for f := range w {
			w[f] /= m
		}
	}
	return w
}

// pairLoss is rankNet's objective: the weighted pairwise logistic loss of
// the score differences diffs (nf per pair, back to back) plus an L2
// penalty. The optimiser asks for the loss and then the gradient at the
// same weights: the pairs' scores are computed once for both. Each pair's
// score and its exponential are computed on every core, and each core
// sums the gradient of its own features; every sum over pairs stays in
// pair order, so the fit does not depend on the number of cores.
type pairLoss struct {
	diffs   []float32
	weights []float64
	nf      int
	zs, tmp []float64
	zAt     []float64 // the weights zs were computed at
}

// pairL2 is pairLoss's L2 penalty.
const pairL2 = 1e-3

func newPairLoss(diffs []float32, weights []float64, nf int) *pairLoss {
	return &pairLoss{diffs: diffs, weights: weights, nf: nf, zs: make([]float64, len(weights)), tmp: make([]float64, len(weights))}
}

func (pl *pairLoss) each(fn func(lo, hi int)) {
	_ = parallel.Chunks(context.Background(), len(pl.weights), 0, 4096, fn)
}

// scores returns every pair's score difference under w.
func (pl *pairLoss) scores(w []float64) []float64 {
	if pl.zAt == nil || !slices.Equal(pl.zAt, w) {
		nf := pl.nf
		pl.each(func(lo, hi int) {
			for p := lo; p < hi; p++ {
				pl.zs[p] = dot(w, pl.diffs[p*nf:(p+1)*nf])
			}
		})
		pl.zAt = append(pl.zAt[:0], w...)
	}
	return pl.zs
}

// loss is the objective at w.
func (pl *pairLoss) loss(w []float64) float64 {
	z := pl.scores(w)
	pl.each(func(lo, hi int) {
		for p := lo; p < hi; p++ {
			pl.tmp[p] = softplus(-z[p])
		}
	})
	loss := 0.0
	for p, pw := range pl.weights {
		loss += pw * pl.tmp[p]
	}
	return loss + pairL2*dot(w, w)
}

// grad writes the objective's gradient at w to g.
func (pl *pairLoss) grad(g, w []float64) {
	clear(g)
	z := pl.scores(w)
	pl.each(func(lo, hi int) {
		for p := lo; p < hi; p++ {
			pl.tmp[p] = -pl.weights[p] / (1 + math.Exp(z[p]))
		}
	})
	nf := pl.nf
	groups := min(workers(), nf)
	var wg sync.WaitGroup
	for k := range groups {
		lo, hi := k*nf/groups, (k+1)*nf/groups
		wg.Go(func() {
			gk := g[lo:hi]
			for p, s := range pl.tmp {
				d := pl.diffs[p*nf+lo : p*nf+hi]
				for f := range gk {
					gk[f] += s * float64(d[f])
				}
			}
		})
	}
	wg.Wait()
	for f := range g {
		g[f] += 2 * pairL2 * w[f]
	}
}

// softplus is log(1 + e^x), computed stably.
func softplus(x float64) float64 {
	if x > 30 {
		return x
	}
	return math.Log1p(math.Exp(x))
}

// col returns feature f of every candidate.
func (tu *tuningUser) col(f int) []float32 {
	n := len(tu.cands)
	return tu.feats[f*n : (f+1)*n]
}

// row gathers candidate ci's features into dst (reallocated if short).
func (tu *tuningUser) row(ci int, dst []float32) []float32 {
	n := len(tu.cands)
	nf := len(tu.feats) / max(1, n)
	if cap(dst) < nf {
		dst = make([]float32, nf)
	}
	dst = dst[:nf]
	for f := range dst {
		dst[f] = tu.feats[f*n+ci]
	}
	return dst
}

// sparseAscent lets coordinate ascent score a weight change of a feature
// that is zero for most of a customer's candidates (the repeat features
// and the own-item copies of the components: non-zero only for the
// customer's own items) without the whole candidate list. The candidates
// split into the support (every candidate where such a feature is
// non-zero) and the rest; a sparse feature's change moves only support
// scores, so the new top k is the merge of the support's new top and the
// rest's current top, which is kept.
type sparseAscent struct {
	support []int32 // candidates where a sparse feature is non-zero, ascending
	inSup   []bool  // inSup[ci]: ci is in the support
	mask    uint64  // bit f: feature f is zero outside the support
	rest    []int32 // the k best candidates outside the support by the current scores
}

// sparse tells whether a change of feature f's weight moves only the
// support's scores.
func (a *sparseAscent) sparse(f int) bool { return f < 64 && a.mask&(1<<f) != 0 }

// sparseShare is the largest share of a customer's candidates where a
// feature may be non-zero and still count as sparse, and the largest
// share the support may have.
const sparseShare = 0.25

// sparseAscents builds each customer's sparseAscent under the scores cur
// (nil when the table has more than 64 features or k > smallK: then
// every change rescores the whole list).
func (t *tuningTable) sparseAscents(cur [][]float64) []sparseAscent {
	if t.nFeat > 64 || t.k > smallK || t.k <= 0 {
		return nil
	}
	sp := make([]sparseAscent, len(t.users))
	parallelFor(len(t.users), func(_, i int) {
		tu := &t.users[i]
		n := len(tu.cands)
		a := sparseAscent{inSup: make([]bool, n)}
		limit := int(sparseShare * float64(n))
		for f := range t.nFeat {
			col := tu.col(f)
			nz := 0
			for _, x := range col {
				if x != 0 {
					nz++
				}
			}
			if nz > limit {
				continue
			}
			for ci, x := range col {
				if x != 0 {
					a.inSup[ci] = true
				}
			}
			a.mask |= 1 << f
		}
		for ci, in := range a.inSup {
			if in {
				a.support = append(a.support, int32(ci))
			}
		}
		if len(a.support) > limit {
			a.mask = 0 // too large a support to save anything
		}
		a.keepRest(cur[i], t.k)
		sp[i] = a
	})
	return sp
}

// refreshSparse keeps the rest's top after feature f's weight changed in
// cur: only customers for whom f is not sparse saw it move.
func (t *tuningTable) refreshSparse(sp []sparseAscent, cur [][]float64, f int) {
	if sp == nil {
		return
	}
	parallelFor(len(sp), func(_, i int) {
		if a := &sp[i]; !a.sparse(f) {
			a.keepRest(cur[i], t.k)
		}
	})
}

// keepRest records the best k candidates outside the support under the
// scores s; a customer with no sparse feature never reads them.
func (a *sparseAscent) keepRest(s []float64, k int) {
	if a.mask != 0 {
		a.rest = topKWhere(s, k, func(ci int32) bool { return !a.inSup[ci] })
	}
}

// topKShifted is TopK(s + delta x col, k) for k <= smallK, each score
// computed as objectiveDelta's whole-list path does, without writing the
// shifted list.
func topKShifted(s []float64, col []float32, delta float64, k int) []int32 {
	st := smallTop{k: k, bar: math.Inf(-1)}
	for ci, x := range col {
		if v := s[ci] + delta*float64(x); v > st.bar {
			st.push(scored{int32(ci), v})
		}
	}
	return st.ranked()
}

// top is TopK(s + delta x col, k) for a feature col zero outside the
// support: the best k of the support's new scores (each computed as the
// whole-list path does), merged with the rest's current best.
func (a *sparseAscent) top(s []float64, col []float32, delta float64, k int) []int32 {
	st := smallTop{k: k, bar: math.Inf(-1)}
	for _, ci := range a.support {
		if v := s[ci] + delta*float64(col[ci]); v > st.bar {
			st.push(scored{ci, v})
		}
	}
	sup := st.arr[:st.n]
	// Merge: sup is weakest first, rest best first.
	out := make([]int32, 0, k)
	p, r := len(sup)-1, 0
	for len(out) < k && (p >= 0 || r < len(a.rest)) {
		if r < len(a.rest) {
			e := scored{a.rest[r], s[a.rest[r]]}
			if p < 0 || sup[p].less(e) {
				out = append(out, e.i)
				r++
				continue
			}
		}
		out = append(out, sup[p].i)
		p--
	}
	return out
}
