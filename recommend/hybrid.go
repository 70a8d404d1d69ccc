package recommend

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
	"gonum.org/v1/gonum/floats"
)

// HybridConfig sets up the hybrid: its components and how it tunes itself.
type HybridConfig struct {
	// ValidationDays is the length of the validation period carved from the
	// end of the training log to learn the blend weights (default 30).
	ValidationDays int
	// ValidationWindows is how many consecutive validation periods of
	// ValidationDays (the latest first) pool their customers (default 1).
	ValidationWindows int
	// NewItems tunes the blend for recommending items the customer has not
	// bought (the repeat features then carry no weight).
	NewItems bool
	// K is the list length the blend is tuned for (default 10).
	K int
	// Candidates per component scored while tuning (default 150).
	Candidates int
	ALS        ALSConfig
	KNN        KNNConfig
	// RecentKNN is a second item-kNN with recency-weighted profiles.
	RecentKNN KNNConfig
	// BasketKNN is item-kNN on basket co-occurrence applied to the
	// customer's latest basket (what goes with what was just bought).
	BasketKNN KNNConfig
	// TrendDays is the window of the trending component.
	TrendDays float64
	// RecallWeight weighs Recall@K against NDCG@K in the tuning objective
	// NDCG + RecallWeight x Recall (default 1).
	RecallWeight float64
	// NoRerank skips the gradient-boosted reranker; RerankTop is how many
	// of the blend's best items it re-orders (0: the better of 25 and 50
	// on held-out validation customers).
	NoRerank  bool
	RerankTop int
	// Weights, when non-nil, skips tuning and uses these weights (by
	// feature name, see FeatureNames).
	Weights map[string]float64
}

// DefaultHybrid is the configuration the eval command uses.
var DefaultHybrid = HybridConfig{
	ValidationDays: 30, ValidationWindows: 2, K: 10, Candidates: 150,
	ALS:       ALSConfig{Factors: 64, Iterations: 15, Reg: 0.1, Alpha: 10, Eps: 1, CGSteps: 3, Seed: 1, HalfLifeDays: 45},
	KNN:       DefaultKNN,
	RecentKNN: KNNConfig{K: 100, Alpha: 0.5, HalfLifeDays: 21},
	BasketKNN: KNNConfig{K: 50, Alpha: 0.5, Baskets: true},
	TrendDays: 30,
}

// Component is one model inside the hybrid, scored densely and normalised
// per customer by its maximum.
type Component struct {
	Name   string
	Scorer Scorer
}

// Hybrid blends the repeat-purchase features of the customer's own items with
// normalised component scores; weights are learned on a validation period.
type Hybrid struct {
	Cfg        HybridConfig
	Components []Component
	// W are the blend weights in FeatureNames order: the repeat features,
	// the components, then the components again restricted to the
	// customer's own items (so a signal can weigh differently there).
	W []float64
	// Rerank, when set, re-orders the top of the blend (see Reranker).
	Rerank *Reranker
	// RerankGain is the reranker's validation objective gain on held-out
	// validation customers, cross-fitted (it is used only when positive).
	RerankGain float64
	// ValidationScore is the tuning objective reached (NDCG + recall).
	ValidationScore float64
}

// FeatureNames lists the blend's features: the repeat features, the
// components, then "own_" + each component.
func (h *Hybrid) FeatureNames() []string { return featureNames(h.Components) }

func featureNames(comps []Component) []string {
	out := append([]string(nil), RepeatNames[:]...)
	for _, c := range comps {
		out = append(out, c.Name)
	}
	for _, c := range comps {
		out = append(out, "own_"+c.Name)
	}
	return out
}

// Weights returns the non-zero blend weights by feature name.
func (h *Hybrid) Weights() map[string]float64 {
	m := map[string]float64{}
	for k, n := range h.FeatureNames() {
		if h.W[k] != 0 {
			m[n] = h.W[k]
		}
	}
	return m
}

// HybridTrainer returns a Trainer of the hybrid with cfg.
func HybridTrainer(cfg HybridConfig) Trainer {
	return func(ctx context.Context, lg *Log) (Scorer, error) { return TrainHybrid(ctx, lg, cfg) }
}

// TrainHybrid carves the last ValidationDays of the log, fits the components
// on the earlier part, learns the blend weights on the validation customers,
// then refits the components on the whole log.
func TrainHybrid(ctx context.Context, lg *Log, cfg HybridConfig) (*Hybrid, error) {
	cfg = cfg.withDefaults()
	h := &Hybrid{Cfg: cfg}
	st := hybridStages(ctx, cfg, 1, cfg.Weights == nil)
	if cfg.Weights == nil {
		tuned, err := tuneBlends(ctx, lg, cfg, []bool{cfg.NewItems}, st)
		if err != nil {
			return nil, err
		}
		if tuned[0].w == nil {
			return nil, shelfwise.Errorf(shelfwise.EINVALID, "too little history to carve a %d-day validation period", cfg.ValidationDays)
		}
		h.W, h.ValidationScore, h.Rerank, h.RerankGain = tuned[0].w, tuned[0].score, tuned[0].rerank, tuned[0].gain
	}
	comps, err := finalComponents(ctx, lg, cfg, st)
	if err != nil {
		return nil, err
	}
	h.Components = comps
	if cfg.Weights != nil {
		h.W = make([]float64, NumRepeatFeatures+2*len(comps))
		for k, n := range h.FeatureNames() {
			h.W[k] = cfg.Weights[n]
		}
	}
	return h, nil
}

// finalComponents fits the components on the whole log, the last stage
// of a hybrid training on st.
func finalComponents(ctx context.Context, lg *Log, cfg HybridConfig, st *stages) ([]Component, error) {
	st.start("fitting the components on all purchases", stageFit)
	comps, err := buildComponents(ctx, lg, cfg)
	if err == nil {
		st.finish("hybrid trained")
	}
	return comps, err
}

// hybridStages returns the stage counter of a hybrid training with
// nModes blends, tuned or not (fixed weights: only the final components).
func hybridStages(ctx context.Context, cfg HybridConfig, nModes int, tuned bool) *stages {
	work := stageFit // the components on the whole log
	if tuned {
		per := stageTune + stageRerank
		if cfg.NoRerank {
			per = stageTune
		}
		work += float64(cfg.ValidationWindows)*(stageFit+stageScore) + float64(nModes)*per
	}
	return newStages(ctx, work)
}

// modeName names a blend for progress reports.
func modeName(newItems bool) string {
	if newItems {
		return "new-items"
	}
	return "all-items"
}

// tuned is the outcome of tuning one blend.
type tuned struct {
	w      []float64
	score  float64
	rerank *Reranker
	gain   float64
}

// tuneBlends learns the blend (and reranker) of each setting in modes
// (false = all items, true = new items) on ValidationWindows consecutive
// validation periods at the end of the log: for each window the components
// are fitted on the purchases before it and scored on its customers, and
// the windows' customers are pooled. A nil w means there was too little
// history. Each stage starts on st (nil: not reported).
func tuneBlends(ctx context.Context, lg *Log, cfg HybridConfig, modes []bool, st *stages) ([]tuned, error) {
	tables, err := tuningTables(ctx, lg, cfg, modes, st)
	if err != nil {
		return nil, err
	}
	out := make([]tuned, len(modes))
	var facts []float32 // of the whole log, for the rerankers it serves
	for k, tb := range tables {
		if tb == nil || len(tb.users) == 0 {
			continue
		}
		st.start(fmt.Sprintf("tuning the %s blend on %d validation customers", modeName(modes[k]), len(tb.users)), stageTune)
		w, s := tb.tune(modes[k])
		out[k] = tuned{w: w, score: s}
		if !cfg.NoRerank {
			st.start(fmt.Sprintf("fitting the %s reranker", modeName(modes[k])), stageRerank)
			r, err := tb.fitReranker(ctx, w, cfg.RerankTop)
			if err != nil {
				return nil, err
			}
			if r != nil {
				if facts == nil {
					facts = itemFacts(lg)
				}
				r.Facts = facts
			}
			out[k].rerank, out[k].gain = r, tb.rerankGain
		}
	}
	return out, nil
}

// tuningTables builds the tuning table of each setting in modes on the
// ValidationWindows validation periods (see tuneBlends); a nil table means
// there was too little history.
func tuningTables(ctx context.Context, lg *Log, cfg HybridConfig, modes []bool, st *stages) ([]*tuningTable, error) {
	ps := lg.Purchases()
	tables := make([]*tuningTable, len(modes))
	for win := 0; win < cfg.ValidationWindows; win++ {
		cut := CutTime(ps, cfg.ValidationDays*(win+1))
		end := cut.Add(time.Duration(cfg.ValidationDays) * 24 * time.Hour)
		fit, rest := SplitAt(ps, cut)
		val, _ := SplitAt(rest, end)
		if len(fit) == 0 || len(val) == 0 {
			break
		}
		st.start(fmt.Sprintf("validation window %d of %d: fitting the components on the purchases before %s", win+1, cfg.ValidationWindows, cut.Format(time.DateOnly)), stageFit)
		sub := NewLog(fit)
		sub.Weights = lg.Weights
		sub.AddInteractions(lg.interactionsUpTo(cut))
		comps, err := buildComponents(ctx, sub, cfg)
		if err != nil {
			return nil, err
		}
		st.start(fmt.Sprintf("validation window %d of %d: scoring the customers who bought in it", win+1, cfg.ValidationWindows), stageScore)
		facts := itemFacts(sub) // as the items were at the cut
		for k, newItems := range modes {
			c := cfg
			c.NewItems = newItems
			tb := newTuningTable(ctx, sub, &Hybrid{Cfg: c, Components: comps}, heldOutSets(sub, val, newItems), cut.Unix(), facts)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if tables[k] == nil {
				tables[k] = tb
			} else {
				tables[k].users = append(tables[k].users, tb.users...)
			}
			tables[k].windowEnds = append(tables[k].windowEnds, len(tables[k].users))
		}
	}
	return tables, nil
}

func (c HybridConfig) withDefaults() HybridConfig {
	if c.ValidationDays <= 0 {
		c.ValidationDays = 30
	}
	if c.ValidationWindows <= 0 {
		c.ValidationWindows = 1
	}
	if c.K <= 0 {
		c.K = 10
	}
	if c.Candidates <= 0 {
		c.Candidates = 150
	}
	if c.RecallWeight <= 0 {
		c.RecallWeight = 1
	}
	if c.TrendDays <= 0 {
		c.TrendDays = 30
	}
	return c
}

// buildComponents fits every component on lg.
func buildComponents(ctx context.Context, lg *Log, cfg HybridConfig) ([]Component, error) {
	als, err := NewALS(ctx, lg, cfg.ALS)
	if err != nil {
		return nil, err
	}
	knn, err := NewItemKNN(ctx, lg, cfg.KNN)
	if err != nil {
		return nil, err
	}
	var rknn *ItemKNN
	if k := cfg.RecentKNN; k.K == cfg.KNN.K && k.Alpha == cfg.KNN.Alpha && k.Baskets == cfg.KNN.Baskets {
		rknn = &ItemKNN{Cfg: k, Neighbors: knn.Neighbors, W: knn.W} // same lists, other profile weights
	} else if rknn, err = NewItemKNN(ctx, lg, cfg.RecentKNN); err != nil {
		return nil, err
	}
	bknn, err := NewItemKNN(ctx, lg, cfg.BasketKNN)
	if err != nil {
		return nil, err
	}
	trend := NewTrending(lg, 0, cfg.TrendDays)
	pop := NewPopular(lg)
	rising := &Popular{Scores: make([]float64, len(pop.Scores))}
	for i := range rising.Scores {
		rising.Scores[i] = trend.Scores[i] / (pop.Scores[i] + 10)
	}
	trendLin := &Popular{Scores: append([]float64(nil), trend.Scores...)}
	logScale(trend.Scores)
	logScale(pop.Scores)
	return []Component{
		{"als", als}, {"knn", knn}, {"recent_knn", rknn}, {"last_basket", &LastBasket{KNN: bknn}},
		{"trending", trend}, {"trending_linear", trendLin}, {"rising", rising}, {"popular", pop},
		{"repeatability", NewItemRepeat(lg)},
	}, nil
}

// logScale replaces counts by log(1 + count).
func logScale(s []float64) {
	for i, v := range s {
		s[i] = math.Log1p(v)
	}
}

// LastBasket scores items by their basket co-occurrence with the items of
// the customer's latest basket.
type LastBasket struct{ KNN *ItemKNN }

// Score implements Scorer.
func (l *LastBasket) Score(q *Query, out []float64) {
	clear(out)
	h := q.History
	for k, start := len(h)-1, lastBasketStart(h); k >= start; k-- { // lastBasketItems
		for _, nb := range l.KNN.Neighbors[h[k].Item] {
			out[nb.Item] += float64(nb.Sim)
		}
	}
}

// normalizeMax divides scores by their maximum when it is positive and
// returns that maximum.
func normalizeMax(s []float64) float64 {
	m := positiveMax(s)
	if m > 0 {
		floats.Scale(1/m, s)
	}
	return m
}

// positiveMaxGo is the largest of s and 0 (NaN is passed over), the
// portable form of positiveMax. It keeps four running maxima, over the
// elements at each position mod 4, so that a comparison does not wait for
// the one before it: the maximum of a set is the same whatever the order
// it is taken in.
func positiveMaxGo(s []float64) float64 {
	var m0, m1, m2, m3 float64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		v := s[i : i+4 : i+4]
		if v[0] > m0 {
			m0 = v[0]
		}
		if v[1] > m1 {
			m1 = v[1]
		}
		if v[2] > m2 {
			m2 = v[2]
		}
		if v[3] > m3 {
			m3 = v[3]
		}
	}
	for _, v := range s[i:] {
		if v > m0 {
			m0 = v
		}
	}
	return max(m0, m1, m2, m3)
}

// addNormalized normalises s as normalizeMax does and, when w is not 0,
// adds w times the normalised scores to out; it returns the maximum. With
// both, they happen in one pass over s (scaleAdd), with the same results.
func addNormalized(out, s []float64, w float64) float64 {
	m := positiveMax(s)
	switch {
	case m > 0 && w != 0:
		scaleAdd(s, out, 1/m, w)
	case m > 0:
		floats.Scale(1/m, s)
	case w != 0:
		floats.AddScaled(out[:len(s)], w, s)
	}
	return m
}

// scaleAddGo sets s[i] *= inv and then adds w x s[i] to out[i] (len(out)
// >= len(s)): floats.Scale and floats.AddScaled, the portable form of
// scaleAdd.
func scaleAddGo(s, out []float64, inv, w float64) {
	floats.Scale(inv, s)
	floats.AddScaled(out[:len(s)], w, s)
}

// fixedScorer is a Scorer whose scores do not depend on the query
// (popularity, trending, repeatability): the hybrid normalises them once
// per model rather than once per query.
type fixedScorer interface {
	Scorer
	normalized() *fixedScores
}

// fixedScores are a fixed scorer's scores divided by their maximum (as
// normalizeMax does) and that maximum; read-only once built.
type fixedScores struct {
	v   []float64
	max float64
}

// loadFixed returns the normalised form of scores kept in p, building it
// on first use.
func loadFixed(p *atomic.Pointer[fixedScores], scores []float64) *fixedScores {
	if f := p.Load(); f != nil {
		return f
	}
	v := append([]float64(nil), scores...)
	p.CompareAndSwap(nil, &fixedScores{v: v, max: normalizeMax(v)})
	return p.Load()
}

// Score implements Scorer.
func (h *Hybrid) Score(q *Query, out []float64) { h.score(q, out, nil) }

// scoreParts keeps what the blend computed for one query, so the caller can
// explain the scores: each component's normalised scores (a component with
// no weight is not computed: active is false) and the maximum they were
// divided by, the customer's summary, and the repeat part of each own item.
type scoreParts struct {
	// comps[c] is bufs[c] or, for a fixedScorer, its shared normalised
	// scores (read-only).
	comps  [][]float64
	bufs   [][]float64
	maxes  []float64
	active []bool
	sm     *Summary
	// own[i] is 1 + the index of item i in sm.Items, 0 for an item the
	// customer did not buy. Only the entries of ownOf's items are set
	// (getParts and markOwn reset them), so a request costs its customer's
	// items, not the catalogue.
	own   []int32
	ownOf *Summary
	// rvs and rsum are the repeat vector and the repeat part of the blend
	// of each sm.Items entry.
	rvs  [][NumRepeatFeatures]float64
	rsum []float64
	prof []weighted // scratch of scoreKNNPair
	// placed are the items the reranker moved above every other item,
	// best first (by score, then index, as TopK orders them); empty when
	// the reranker did not run or some other item may score as high (see
	// placeAbove).
	placed []int32
	// listed, when set, is the request's filter: only the items it
	// allows can be listed, so the reranker scores only those (each
	// item's reranked score depends on its own row alone) and places
	// them; the others keep their blend scores. Nil scores every item,
	// as the evaluation does.
	listed *compiled
}

// partsPool recycles component buffers between requests.
var partsPool sync.Pool

// getParts returns parts with nc component buffers of n items.
func getParts(nc, n int) *scoreParts {
	p, _ := partsPool.Get().(*scoreParts)
	if p != nil {
		p.unmarkOwn()
	}
	if p == nil || len(p.bufs) != nc || (nc > 0 && cap(p.bufs[0]) < n) || cap(p.own) < n {
		p = &scoreParts{comps: make([][]float64, nc), bufs: make([][]float64, nc), maxes: make([]float64, nc),
			active: make([]bool, nc), own: make([]int32, n)}
		for c := range p.bufs {
			p.bufs[c] = make([]float64, n)
		}
	}
	for c := range p.bufs {
		p.bufs[c] = p.bufs[c][:n]
		p.comps[c] = p.bufs[c]
	}
	p.own = p.own[:n]
	p.sm = nil
	p.placed = p.placed[:0]
	p.listed = nil
	return p
}

// markOwn indexes the items of p.sm in p.own (n items in all).
func (p *scoreParts) markOwn(n int) {
	p.unmarkOwn()
	if len(p.own) < n {
		p.own = make([]int32, n)
	}
	sm := p.sm
	for k, s := range sm.Items {
		p.own[s.Item] = int32(k + 1)
	}
	p.ownOf = sm
	p.rvs = slices.Grow(p.rvs[:0], len(sm.Items))[:len(sm.Items)]
	p.rsum = slices.Grow(p.rsum[:0], len(sm.Items))[:len(sm.Items)]
}

// unmarkOwn resets the entries of p.own that markOwn set.
func (p *scoreParts) unmarkOwn() {
	if p.ownOf == nil {
		return
	}
	own := p.own[:cap(p.own)]
	for _, s := range p.ownOf.Items {
		own[s.Item] = 0
	}
	p.ownOf = nil
}

// ownIndex is 1 + the index of item it among the customer's items, 0 when
// the customer did not buy it.
func (p *scoreParts) ownIndex(it int32) int32 { return p.own[it] }

// contribution is the part of item it's blend score that component c (or,
// for c == len(Components), the repeat features) brought.
func (h *Hybrid) contribution(p *scoreParts, c int, it int32) float64 {
	nc := len(h.Components)
	k := p.ownIndex(it)
	if c == nc {
		if k == 0 {
			return 0
		}
		return p.rsum[k-1]
	}
	if !p.active[c] {
		return 0
	}
	v := p.comps[c]
	x := h.W[NumRepeatFeatures+c] * v[it]
	if k > 0 {
		x += h.W[NumRepeatFeatures+nc+c] * v[it]
	}
	return x
}

// score computes the blend into out. p (may be nil) receives the parts;
// a summary already in p.sm is reused.
func (h *Hybrid) score(q *Query, out []float64, p *scoreParts) {
	clear(out)
	nc := len(h.Components)
	if p == nil {
		p = getParts(nc, len(out))
		defer partsPool.Put(p)
	}
	if p.sm == nil {
		p.sm = q.Summary()
	}
	q.summary = p.sm
	sm := p.sm
	p.markOwn(len(out))
	active := func(c int) bool {
		return !(h.W[NumRepeatFeatures+c] == 0 && h.W[NumRepeatFeatures+nc+c] == 0 && h.Rerank == nil)
	}
	scored := -1 // a component scored ahead, with the one before it
	for c, comp := range h.Components {
		w, wOwn := h.W[NumRepeatFeatures+c], h.W[NumRepeatFeatures+nc+c]
		p.active[c] = active(c)
		if !p.active[c] {
			continue
		}
		buf := p.bufs[c]
		if f, ok := comp.Scorer.(fixedScorer); ok && len(f.normalized().v) == len(out) {
			fs := f.normalized()
			buf, p.maxes[c] = fs.v, fs.max
			if w != 0 {
				floats.AddScaled(out, w, buf)
			}
		} else {
			if c != scored {
				if a, b := knnPair(h.Components, c); b != nil && active(c+1) {
					p.prof = scoreKNNPair(a, b, q, buf, p.bufs[c+1], p.prof)
					scored = c + 1
				} else {
					comp.Scorer.Score(q, buf)
				}
			}
			p.maxes[c] = addNormalized(out, buf, w)
		}
		p.comps[c] = buf
		if wOwn != 0 {
			for _, s := range sm.Items {
				out[s.Item] += wOwn * buf[s.Item]
			}
		}
	}
	cycles := itemCycles(h.Components)
	rep := repeatOf(sm, q.Now)
	for k, s := range sm.Items {
		v := rep.item(s, cycleOf(cycles, s.Item)).Vector()
		sum := 0.0
		for f := range v {
			sum += h.W[f] * v[f]
		}
		out[s.Item] += sum
		p.rvs[k], p.rsum[k] = v, sum
	}
	if h.Rerank != nil {
		h.rerank(q, out, p)
	}
}

// knnPair returns components c and c+1 when both are item-kNN sharing
// their neighbour lists (b is nil otherwise).
func knnPair(comps []Component, c int) (a, b *ItemKNN) {
	if c+1 >= len(comps) {
		return nil, nil
	}
	a, _ = comps[c].Scorer.(*ItemKNN)
	b, _ = comps[c+1].Scorer.(*ItemKNN)
	if a == nil || b == nil || !sharesNeighbors(a, b) {
		return nil, nil
	}
	return a, b
}

// itemCycles are the typical cycles per item of the hybrid's ItemRepeat
// component (nil without one): itemCycle for all items at once.
func itemCycles(comps []Component) []float64 {
	for _, c := range comps {
		if r, ok := c.Scorer.(*ItemRepeat); ok {
			return r.Cycle
		}
	}
	return nil
}

// cycleOf is item i's entry of cycles (see itemCycles), 0 without one.
func cycleOf(cycles []float64, i int32) float64 {
	if cycles == nil {
		return 0
	}
	return cycles[i]
}

// rerankBuf holds one ranking's reranker buffers; rerankPool recycles them.
type rerankBuf struct {
	sel, raw []float64
	rows     []float32
	brec     []basketAcc
	rank     map[int32]int32
	top      []int32
	topk     []scored
}

var rerankPool = sync.Pool{New: func() any { return new(rerankBuf) }}

// rerank re-orders the blend's top items with the reranker (see
// Reranker.rescore): they move above every other item, in its order. The
// rows of the top items are assembled once, in float32 (the trees compare
// float32 values), and the trees score them together (Reranker.predict).
// With p.listed set, only the top items that filter allows are reranked.
func (h *Hybrid) rerank(q *Query, out []float64, p *scoreParts) {
	sm, comps := p.sm, p.comps
	nc := len(h.Components)
	buf := rerankPool.Get().(*rerankBuf)
	defer rerankPool.Put(buf)
	sel := out // rerankTop changes its scores only for new items
	if h.Cfg.NewItems {
		buf.sel = append(buf.sel[:0], out...)
		sel = buf.sel
	}
	top := h.rerankTop(buf, sel, sm.Items, p)
	if c := p.listed; c != nil {
		top = slices.DeleteFunc(top, func(it int32) bool { return !c.allows(it) })
	}
	uf := userFeatures(sm, q.Now)
	nf := rerankWidth(nc)
	brec := buf.basketRecency(q.History, p)
	cycles := itemCycles(h.Components)
	rows := slices.Grow(buf.rows[:0], len(top)*nf)[:len(top)*nf]
	buf.rows = rows
	var none [NumRepeatFeatures]float64
	for j, it := range top {
		row := rows[j*nf : (j+1)*nf]
		k := p.ownIndex(it)
		v := &none
		if k > 0 {
			v = &p.rvs[k-1]
		}
		for f := range NumRepeatFeatures {
			row[f] = float32(v[f])
		}
		for c := range nc {
			row[NumRepeatFeatures+c] = float32(comps[c][it])
		}
		row[NumRepeatFeatures+nc] = float32(out[it])
		row[NumRepeatFeatures+nc+1] = 0
		if k > 0 {
			row[NumRepeatFeatures+nc+1] = 1
		}
		x := row[NumRepeatFeatures+nc+2:]
		copy(x, uf[:])
		for c := range nc {
			x[numUserFeatures+c] = float32(p.maxes[c])
		}
		var st *ItemStats
		var br basketRec
		if k > 0 {
			st, br = &sm.Items[k-1], brec[k-1].basketRec
		}
		// Written in place: the tail's slots hold exactly numItemTail.
		o := numUserFeatures + nc
		appendItemTail(x[o:o:o+numItemTail], st, br, sm.Baskets, q.Now, cycleOf(cycles, it), h.Rerank.Facts, it)
	}
	raw := slices.Grow(buf.raw[:0], len(top))[:len(top)]
	buf.raw = raw
	h.Rerank.predict(rows, nf, raw)
	for j, it := range top {
		raw[j] = h.Rerank.rescore(out[it], raw[j])
	}
	p.placed = p.placed[:0]
	if placeAbove(out, top, raw) {
		p.placed = append(p.placed, top...)
		itemsByScore(p.placed, func(i int32) float64 { return out[i] })
	}
}

// rerankTop returns the blend's best h.Rerank.Top items by sel, a copy of
// the blend scores it may change (the customer's items, own, leave a
// new-items ranking), in buf.top. p (may be nil) marks the customer's
// items.
func (h *Hybrid) rerankTop(buf *rerankBuf, sel []float64, own []ItemStats, p *scoreParts) []int32 {
	if h.Cfg.NewItems {
		for _, s := range own {
			sel[s.Item] = math.Inf(-1)
		}
	}
	k := h.Rerank.Top
	floor := math.Inf(-1)
	if p != nil && p.ownOf != nil {
		floor = buf.topFloor(sel, own, h.strongItems(len(sel)), p, k)
	}
	buf.top, buf.topk = topKFloor(buf.top[:0], buf.topk, sel, k, nil, floor)
	return buf.top
}

// topFloor is a lower bound of the k-th best score of sel (-Inf when it
// has none): the k-th best over the customer's items and the strong
// items (distinct items; any such set gives a bound, and these rank high
// in most blends, so few other items pass it). Scores of NaN or -Inf
// (excluded items) are left out.
func (buf *rerankBuf) topFloor(sel []float64, own []ItemStats, strong []int32, p *scoreParts, k int) float64 {
	c := buf.topk[:0]
	for _, s := range own {
		if v := sel[s.Item]; v > math.Inf(-1) {
			c = append(c, scored{s.Item, v})
		}
	}
	for _, it := range strong {
		if int(it) >= len(sel) || p.ownIndex(it) != 0 {
			continue
		}
		if v := sel[it]; v > math.Inf(-1) {
			c = append(c, scored{it, v})
		}
	}
	buf.topk = c
	if k <= 0 || len(c) < k {
		return math.Inf(-1)
	}
	selectBest(c, k)
	return c[k-1].s
}

// prepareRerank builds what the reranker otherwise builds on the first
// reranked request: its trees laid out for prediction and the strong items
// of a catalogue of n items. Nothing without a reranker.
func (h *Hybrid) prepareRerank(n int) {
	if r := h.Rerank; r != nil && r.Trees != nil {
		r.flatTrees()
		h.strongItems(n)
	}
}

// strongItems are the 2 x Top items of n that the blend's
// customer-independent components (popularity, trending, repeatability)
// score highest, built on first use: a starting set for topFloor.
func (h *Hybrid) strongItems(n int) []int32 {
	r := h.Rerank
	if s := r.strong.Load(); s != nil {
		return *s
	}
	part := make([]float64, n)
	for c, comp := range h.Components {
		f, ok := comp.Scorer.(fixedScorer)
		if w := h.W[NumRepeatFeatures+c]; ok && w != 0 && len(f.normalized().v) == n {
			for i, v := range f.normalized().v {
				part[i] += w * v
			}
		}
	}
	s := TopK(part, 2*r.Top)
	r.strong.CompareAndSwap(nil, &s)
	return *r.strong.Load()
}

// placeAbove moves the top items above every other item of out, in the
// order of their reranked scores re. It reports whether they now score
// above every other item for certain: false when some other item scores
// +Inf, or a top item's new score is NaN, +Inf or, through rounding, no
// higher than the best other score.
func placeAbove(out []float64, top []int32, re []float64) bool {
	maxOut := math.Inf(-1)
	inf := false
	for _, v := range out {
		if v > maxOut {
			if math.IsInf(v, 1) {
				inf = true
				continue
			}
			maxOut = v
		}
	}
	lo := math.Inf(1)
	for _, v := range re {
		lo = min(lo, v)
	}
	above := !inf
	for j, it := range top {
		v := maxOut + 1 + (re[j] - lo)
		out[it] = v
		if !(v > maxOut) || math.IsInf(v, 1) {
			above = false
		}
	}
	return above
}

// Purchases turns the log back into purchase lines (invoice = basket index).
func (lg *Log) Purchases() []Purchase {
	var out []Purchase
	for u, h := range lg.Histories {
		for _, e := range h {
			out = append(out, Purchase{Customer: lg.Users[u], SKU: lg.Items[e.Item],
				Invoice: shelfwise.InvoiceID(strconv.Itoa(int(e.Basket))), Time: time.Unix(e.Time, 0).UTC(), Quantity: float64(e.Qty)})
		}
	}
	return out
}
