package recommend

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
)

// scored candidates with the part of the score each source contributed:
// the hybrid's components (by index), then repeat, session and trending.
type ranked struct {
	items []int32
	// score[k] and contrib[k] belong to items[k].
	score   []float64
	contrib [][]float64
}

// at returns the position of item it in r.items (-1 if absent).
func (r *ranked) at(it int32) int {
	for k, x := range r.items {
		if x == it {
			return k
		}
	}
	return -1
}

// recommend scores, filters and explains for one query.
func (m *Model) recommend(q *Query, sess []int32, req Request) []shelfwise.Recommendation {
	// New only ranks with the new-items blend, trained to discover; with
	// repeatable items kept it is the all-items ranking without the other
	// items the customer bought (the new-items blend, and its reranker,
	// would push every bought item down).
	h := m.All
	if f := &req.Filter; f.NewOnly && f.Repeatable == nil && len(f.RepeatableCategories) == 0 {
		h = m.New
	}
	sm := q.Summary()
	rb := reqPool.Get().(*reqBuf)
	defer reqPool.Put(rb)
	own := slices.Grow(rb.own[:0], len(sm.Items))[:len(sm.Items)]
	for k := range sm.Items {
		own[k] = sm.Items[k].Item
	}
	rb.own = own
	c := m.compile(&req.Filter, own)
	nc := len(h.Components)
	slots := nc + 3 // components, repeat, session, cold-start trending
	var r ranked
	if len(q.History) == 0 && len(q.Signals) == 0 && len(sess) == 0 {
		r = m.coldCandidates(c, req.N, slots)
	} else if m.index != nil {
		r = m.indexCandidates(h, q, sess, c, req.N, slots)
	} else {
		r = m.denseCandidates(h, q, sm, sess, c, req.N, slots, rb)
	}
	picked := c.selectList(r.items, req.N)
	out := make([]shelfwise.Recommendation, len(picked))
	recent := recentItems{q: q}
	for k, it := range picked {
		j := r.at(it)
		reason, source := m.explain(h, q, sm, &recent, sess, it, r.contrib[j])
		out[k] = shelfwise.Recommendation{SKU: m.Log.Items[it], Score: r.score[j], Reason: reason, Source: source}
	}
	return out
}

// recentItems are the items of the recent history h, found on first use
// (most explanations do not need them).
type recentItems struct {
	q     *Query
	items []int32 // of the latest 60 purchases
	done  bool
	// looked are the items viewed or added to the cart within
	// signalWindow (see recentSignal).
	looked    []int32
	lookedSet bool
}

func (r *recentItems) get() []int32 {
	if !r.done {
		r.items, r.done = ownItems(tail(r.q.History, 60)), true
	}
	return r.items
}

// viewed returns the distinct items the customer viewed or added to the
// cart within signalWindow of the request.
func (r *recentItems) viewed() []int32 {
	if !r.lookedSet {
		r.lookedSet = true
		for _, s := range r.q.Signals {
			if (s.Kind == KindView || s.Kind == KindCart) && recentSignal(r.q, s) && !slices.Contains(r.looked, s.Item) {
				r.looked = append(r.looked, s.Item)
			}
		}
	}
	return r.looked
}

func ownItems(h []Event) []int32 {
	items, _ := UserItems(h)
	return items
}

// reqBuf holds one request's candidate buffers, which its ranked list
// uses until the request returns; reqPool recycles them.
type reqBuf struct {
	own, top []int32
	topk     []scored
	score    []float64
	contrib  [][]float64
	flat     []float64
}

var reqPool = sync.Pool{New: func() any { return new(reqBuf) }}

// denseCandidates scores the whole catalogue. The list it returns lives
// in rb.
func (m *Model) denseCandidates(h *Hybrid, q *Query, sm *Summary, sess []int32, c *compiled, n, slots int, rb *reqBuf) ranked {
	ni := m.Log.NumItems()
	nc := len(h.Components)
	op, _ := f64Pool.Get().(*[]float64)
	if op == nil || cap(*op) < ni {
		b := make([]float64, ni)
		op = &b
	}
	out := (*op)[:ni]
	defer f64Pool.Put(op)
	p := getParts(nc, ni)
	defer partsPool.Put(p)
	p.sm = sm
	p.listed = c
	h.score(q, out, p)
	var sessBuf []float64
	if len(sess) > 0 {
		sessBuf = make([]float64, ni)
		m.Session.ScoreSession(sess, sessBuf)
		normalizeMax(sessBuf)
		w := sessionGain(q, out)
		for i, v := range sessBuf {
			sessBuf[i] = w * v
			out[i] += w * v
		}
	}
	want := n*4 + len(c.promoted)
	top := placedTop(rb.top[:0], p.placed, want, sess, c)
	if top == nil {
		top, rb.topk = c.filteredTopInto(rb.top[:0], rb.topk, out, want)
	}
	if c.promoted != nil {
		seen := map[int32]bool{}
		for _, it := range top {
			seen[it] = true
		}
		for it := range c.promoted {
			if !seen[it] && !math.IsInf(out[it], -1) && c.allows(it) {
				top = append(top, it)
			}
		}
		itemsByScore(top, func(i int32) float64 { return out[i] })
	}
	rb.top = top
	rb.score = slices.Grow(rb.score[:0], len(top))[:len(top)]
	rb.contrib = slices.Grow(rb.contrib[:0], len(top))[:len(top)]
	r := ranked{items: top, score: rb.score, contrib: rb.contrib}
	flat := slices.Grow(rb.flat[:0], len(top)*slots)[:len(top)*slots] // all the contributions
	clear(flat)
	rb.flat = flat
	for k, it := range top {
		r.score[k] = out[it]
		v := flat[k*slots : (k+1)*slots : (k+1)*slots]
		for s := 0; s <= nc; s++ {
			v[s] = h.contribution(p, s, it)
		}
		if sessBuf != nil {
			v[nc+1] = sessBuf[it]
		}
		r.contrib[k] = v
	}
	return r
}

// placedTop is filteredTop's answer, appended to dst, read from the items
// the reranker placed above all others (scoreParts.placed, best first)
// when want of them pass the filter: they are then the best want allowed
// items of the catalogue, in the same order, without a scan of the
// catalogue. Nil when it cannot tell (a live session changes the scores
// afterwards, or too few placed items pass).
func placedTop(dst, placed []int32, want int, sess []int32, c *compiled) []int32 {
	if len(sess) > 0 || len(placed) < want || want <= 0 {
		return nil
	}
	top := slices.Grow(dst, want)
	for _, it := range placed {
		if c.allows(it) {
			if top = append(top, it); len(top) == want {
				return top
			}
		}
	}
	return nil
}

// f64Pool recycles score buffers between requests.
var f64Pool sync.Pool

// coldCandidates ranks trending items for a visitor without history.
func (m *Model) coldCandidates(c *compiled, n, slots int) ranked {
	var src []int32
	if c.cats != nil {
		for cat := range c.cats {
			src = append(src, m.catTop[cat]...)
		}
		itemsByScore(src, func(i int32) float64 { return m.Trending.Scores[i] })
	}
	if len(src) < n {
		src = append(src, TopK(m.Trending.Scores, n*8+len(c.exclude))...)
	}
	var r ranked
	seen := make(map[int32]bool, len(src))
	for _, it := range src {
		if seen[it] || !c.allows(it) {
			continue
		}
		seen[it] = true
		r.items = append(r.items, it)
		r.score = append(r.score, m.Trending.Scores[it])
		v := make([]float64, slots)
		v[slots-1] = 1
		r.contrib = append(r.contrib, v)
	}
	return r
}

// explain turns the dominant source of an item's score into a reason.
func (m *Model) explain(h *Hybrid, q *Query, sm *Summary, recent *recentItems, sess []int32, it int32, contrib []float64) (string, string) {
	nc := len(h.Components)
	best, bv, total := -1, 0.0, 0.0
	for s, v := range contrib {
		if v > bv {
			best, bv = s, v
		}
		total += max(0, v)
	}
	// The customer's own buying is the clearest reason: use it whenever it
	// carries a good part of the score; then what the session leads to
	// (components' contributions can offset each other, so the largest
	// one alone may name a source the item owes little of its place to).
	switch {
	case len(contrib) > nc && contrib[nc] > 0.25*total:
		best = nc
	case len(contrib) > nc+1 && contrib[nc+1] > 0.25*total:
		best = nc + 1
	}
	if best != nc {
		if r, src := signalReason(q, it); r != "" {
			return r, src
		}
	}
	switch {
	case best == nc:
		return repeatReason(sm, it, q.Now), "repeat"
	case best == nc+1:
		if a, browsed := m.Session.anchor(sess, it); a >= 0 {
			if browsed {
				return "often looked at after " + m.name(a), "session"
			}
			return "often bought after " + m.name(a), "session"
		}
		return "goes with what you are looking at", "session"
	case best == nc+2, best < 0:
		return m.trendReason(it), "trending"
	}
	src := sourceOf(h.Components[best].Name)
	switch src {
	case "trending":
		return m.trendReason(it), src
	case "popular":
		return "popular with customers", src
	case "fbt":
		if a := m.anchor(lastBasketItems(q.History), it); a >= 0 {
			return "bought with " + m.name(a), src
		}
	}
	if a := m.anchor(recent.get(), it); a >= 0 {
		if src == "als" {
			return "customers who bought " + m.name(a) + " also like this", src
		}
		return "similar to " + m.name(a), "itemknn"
	}
	if a := m.anchor(recent.viewed(), it); a >= 0 {
		if _, sig := signalReason(q, a); sig == "cart" {
			return "goes with " + m.name(a) + " in your cart", src
		}
		return "similar to " + m.name(a) + ", which you looked at", src
	}
	return "picked for you", src
}

// tail returns the last n events of h.
func tail(h []Event, n int) []Event {
	if len(h) > n {
		return h[len(h)-n:]
	}
	return h
}

// anchor finds, among items, the one most related to it: by bought-together
// rules, then item-kNN neighbours, then latent similarity. -1 if none.
func (m *Model) anchor(items []int32, it int32) int32 {
	best, bv := int32(-1), 0.0
	for _, a := range items {
		if a == it {
			continue
		}
		v := 0.0
		for _, r := range m.FBT.Rules[a] {
			if r.Item == it {
				v = 2 + r.Confidence
				break
			}
		}
		if v == 0 && m.knn != nil {
			for _, nb := range m.knn.Neighbors[a] {
				if nb.Item == it {
					v = 1 + float64(nb.Sim)
					break
				}
			}
		}
		if v > bv {
			best, bv = a, v
		}
	}
	if best >= 0 || m.als == nil {
		return best
	}
	// No rule or neighbour links them: the closest item in latent space.
	iv := m.als.ItemVector(int(it))
	ni := dot(iv, iv)
	for _, a := range items {
		if a == it {
			continue
		}
		if v := cosineNorm(m.als.ItemVector(int(a)), iv, ni); v > bv {
			best, bv = a, v
		}
	}
	return best
}

// signalWindow is how recent (seconds before the request) an add-to-cart
// or view must be to explain a recommendation.
const signalWindow = 7 * 86400

// recentSignal tells whether s came within signalWindow before q.Now.
func recentSignal(q *Query, s Signal) bool {
	return s.Time >= q.Now-signalWindow && s.Time <= q.Now
}

// signalReason explains item it by the customer's own recent interest in
// it: an add-to-cart ("you added this to your cart", source "cart") or a
// view ("you looked at this", "viewed") within signalWindow of q.Now and
// after their latest purchase of it. "" when there is none.
func signalReason(q *Query, it int32) (string, string) {
	cart, view := int64(math.MinInt64), int64(math.MinInt64)
	for _, s := range q.Signals {
		if s.Item != it || !recentSignal(q, s) {
			continue
		}
		switch s.Kind {
		case KindCart:
			cart = max(cart, s.Time)
		case KindView:
			view = max(view, s.Time)
		}
	}
	if cart == math.MinInt64 && view == math.MinInt64 {
		return "", ""
	}
	bought := int64(math.MinInt64)
	for _, e := range q.History {
		if e.Item == it {
			bought = max(bought, e.Time)
		}
	}
	switch {
	case cart > bought:
		return "you added this to your cart", "cart"
	case view > bought:
		return "you looked at this", "viewed"
	}
	return "", ""
}

// repeatReason describes the customer's own buying of an item at time now
// (Unix seconds). A cycle the customer stopped keeping (the latest purchase
// more than three cycles and 60 days ago) is told in the past, with the
// month it ended.
func repeatReason(sm *Summary, it int32, now int64) string {
	for _, s := range sm.Items {
		if s.Item != it {
			continue
		}
		if c := s.CycleDays(); c > 0 && s.Baskets >= 3 {
			if age := float64(now-s.Last) / 86400; age > max(3*c, 60) {
				return "you bought this every " + cycleText(c) + " until " + time.Unix(s.Last, 0).UTC().Format("Jan 2006")
			}
			return "you buy this every " + cycleText(c)
		}
		if s.Baskets > 1 {
			return fmt.Sprintf("you bought this %d times", s.Baskets)
		}
		return "you bought this before"
	}
	return "you bought this before"
}

// sourceOf is the Recommendation.Source of a hybrid component: the model
// it is, as the other reasons name it ("itemknn" for both item-kNN
// profiles, "fbt" for the latest basket's bought-together scores,
// "trending" for the three trend scores).
func sourceOf(component string) string {
	switch component {
	case "knn", "recent_knn":
		return "itemknn"
	case "last_basket":
		return "fbt"
	case "trending", "trending_linear", "rising":
		return "trending"
	}
	return component
}

// cycleText renders a buying cycle: "~5 days", "~3 weeks", "~2 months".
func cycleText(days float64) string {
	switch {
	case days < 1.5:
		return "day"
	case days < 13:
		return fmt.Sprintf("~%.0f days", days)
	case days < 60:
		return fmt.Sprintf("~%.0f weeks", days/7)
	default:
		return fmt.Sprintf("~%.0f months", days/30.4)
	}
}

func (m *Model) trendReason(it int32) string {
	if c := m.category[it]; c != "" {
		return "trending in " + c
	}
	return "trending now"
}

// sessionGain is what the session's best next product adds to the blend
// scores of q's candidates (the others in proportion):
// sessionWeight(q) times the gap between the blend's best and 50th best.
// Both candidate paths weigh the session so.
func sessionGain(q *Query, blend []float64) float64 {
	return sessionWeight(q) * blendSpan(blend, 50)
}

// sessionWeight is how many blendSpans the session's best next product
// gains: 8 for a visitor the model knows nothing else of (the session is
// their only evidence), 1 for a customer with a history or signals, whose
// own buying also counts. Chosen on held-out sessions of the simulated
// chain (TestSessionTransitionsSimulated's method on the demo store, with
// the default hybrid and the demo's lighter one): for visitors the share
// of their later products found rose up to 8 and stayed flat to 16; for
// signed-in customers larger weights found more new products but fewer
// of those they went back to. Measured against the span, the weights
// suit both hybrids, whose scores differ in scale (the reranker's are
// log-odds); a fixed weight of 1 was lost in the reranked hybrid's.
func sessionWeight(q *Query) float64 {
	if len(q.History) == 0 && len(q.Signals) == 0 {
		return 8
	}
	return 1
}

// blendSpan is the gap between the best and the k-th best finite score of
// out (0 when there are fewer than two).
func blendSpan(out []float64, k int) float64 {
	top := TopK(out, k)
	for len(top) > 1 && math.IsInf(out[top[len(top)-1]], -1) {
		top = top[:len(top)-1]
	}
	if len(top) < 2 {
		return 0
	}
	return out[top[0]] - out[top[len(top)-1]]
}
