package recommend

import (
	"math"
	"slices"
	"strconv"

	"github.com/shelfwise/shelfwise"
)

// indexCandidates serves large catalogues: candidates come from the
// embedding index, the customer's own items, the neighbours of their recent
// items, the session and the trending list; only they are scored.
func (m *Model) indexCandidates(h *Hybrid, q *Query, sess []int32, c *compiled, n, slots int) ranked {
	nc := len(h.Components)
	set := make(map[int32]struct{}, 2048)
	add := func(it int32) {
		if _, ok := set[it]; !ok && c.allows(it) {
			set[it] = struct{}{}
		}
	}
	recent := ownItems(tail(q.History, 30))
	for _, e := range q.History {
		add(e.Item)
	}
	if m.knn != nil {
		for _, it := range recent {
			nbs := m.knn.Neighbors[it] // best first
			for _, nb := range nbs[:min(len(nbs), 30)] {
				add(nb.Item)
			}
		}
	}
	for _, it := range sess {
		for _, nb := range m.Session.Next[it] {
			add(nb.Item)
		}
	}
	var u []float64 // the customer's ALS factors
	if m.als != nil {
		u = m.als.UserVector(q)
		for _, it := range m.index.Search(u, 200, c.allows) {
			set[it] = struct{}{}
		}
	}
	for _, it := range m.trendTop(100) {
		add(it)
	}
	for it := range c.promoted {
		add(it)
	}
	cands := make([]int32, 0, len(set))
	for it := range set {
		cands = append(cands, it)
	}
	slices.Sort(cands)
	pos := newPositions(cands)
	flat := make([]float64, len(cands)*slots)
	contrib := make([][]float64, len(cands))
	for k := range contrib {
		contrib[k] = flat[k*slots : (k+1)*slots : (k+1)*slots]
	}
	col := make([]float64, len(cands))
	sm := q.Summary()
	ownSet := make(map[int32]struct{}, len(sm.Items))
	for _, s := range sm.Items {
		ownSet[s.Item] = struct{}{}
	}
	for ci, comp := range h.Components {
		w, wOwn := h.W[NumRepeatFeatures+ci], h.W[NumRepeatFeatures+nc+ci]
		if w == 0 && wOwn == 0 {
			continue
		}
		if a, ok := comp.Scorer.(*ALS); ok && a == m.als {
			m.index.Score(u, cands, col) // the index's float32 copy
		} else {
			scoreSubset(comp.Scorer, q, cands, pos, col)
		}
		normalizeMax(col)
		for k, v := range col {
			contrib[k][ci] = w * v
		}
		if wOwn != 0 {
			for k, it := range cands {
				if _, own := ownSet[it]; own {
					contrib[k][ci] += wOwn * col[k]
				}
			}
		}
	}
	rep := repeatOf(sm, q.Now)
	for _, s := range sm.Items {
		if k, ok := pos.of(s.Item); ok {
			v := rep.item(s, itemCycle(h.Components, s.Item)).Vector()
			for f := range v {
				contrib[k][nc] += h.W[f] * v[f]
			}
		}
	}
	total := make([]float64, len(cands))
	for k := range cands {
		for _, v := range contrib[k] {
			total[k] += v
		}
	}
	if len(sess) > 0 {
		sc := map[int32]float64{}
		m.Session.each(sess, func(_, b int32, v float64) { sc[b] += v })
		mx := 0.0
		for _, v := range sc {
			mx = math.Max(mx, v)
		}
		if mx > 0 {
			scale := sessionGain(q, total) / mx
			for k, it := range cands {
				contrib[k][nc+1] = scale * sc[it]
				total[k] += contrib[k][nc+1]
			}
		}
	}
	want := n*4 + len(c.promoted)
	var r ranked
	for _, k := range TopK(total, want) {
		r.items = append(r.items, cands[k])
		r.score = append(r.score, total[k])
		r.contrib = append(r.contrib, contrib[k])
	}
	return r
}

// positions maps each of a request's candidate items to its index among
// them. Components score the candidates by walking neighbour lists, whose
// items are mostly not candidates: the filter answers for those without a
// look-up in the map.
type positions struct {
	at     map[int32]int32
	filter bitSet
}

// positionWords is the size of positions.filter: 65,536 bits, so a few
// thousand candidates leave most bits clear.
const positionWords = 1024

func newPositions(items []int32) positions {
	p := positions{at: make(map[int32]int32, len(items)), filter: newBitFilter(positionWords)}
	for k, it := range items {
		p.at[it] = int32(k)
		p.filter.add(it)
	}
	return p
}

// of is item it's index among the candidates; false when it is not one.
func (p positions) of(it int32) (int32, bool) {
	if !p.filter.has(it) {
		return 0, false
	}
	k, ok := p.at[it]
	return k, ok
}

// scoreSubset scores only the given items (pos: item -> its index in
// items) with a component, without a pass over the catalogue for the
// component types the hybrid uses.
func scoreSubset(sc Scorer, q *Query, items []int32, pos positions, out []float64) {
	clear(out)
	switch s := sc.(type) {
	case *ALS:
		u := s.UserVector(q)
		for k, it := range items {
			out[k] = dot(u, s.ItemVector(int(it)))
		}
	case *Popular:
		for k, it := range items {
			out[k] = s.Scores[it]
		}
	case *ItemKNN:
		for _, w := range historyWeights(tail(q.History, 500), q.Now, s.Cfg.HalfLifeDays) {
			for _, nb := range s.Neighbors[w.Item] {
				if k, ok := pos.of(nb.Item); ok {
					out[k] += w.Sim * float64(nb.Sim)
				}
			}
		}
	case *LastBasket:
		for _, a := range lastBasketItems(q.History) {
			for _, nb := range s.KNN.Neighbors[a] {
				if k, ok := pos.of(nb.Item); ok {
					out[k] += float64(nb.Sim)
				}
			}
		}
	}
}

// trendTop returns the n most trending items, from the cache of all of
// them by trend (restoreCatalogue) when the model has one.
func (m *Model) trendTop(n int) []int32 {
	if m.trendCache != nil {
		return m.trendCache[:min(n, len(m.trendCache))]
	}
	return TopK(m.Trending.Scores, n)
}

// Similar returns up to n items like sku: bought by the same customers
// (item-kNN), close in the latent space (ALS) or in the same category.
// Returns ENOTFOUND for an unknown SKU.
func (e *Engine) Similar(sku shelfwise.SKU, n int) ([]shelfwise.Recommendation, error) {
	m := e.model.Load()
	i := m.Log.Item(sku)
	if i < 0 {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND, "product %s is not in the model", sku)
	}
	it := int32(i)
	if n <= 0 {
		n = 10
	}
	score := make(map[int32]float64, 256)
	if m.knn != nil {
		mx := 0.0
		for _, nb := range m.knn.Neighbors[it] {
			mx = math.Max(mx, float64(nb.Sim))
		}
		for _, nb := range m.knn.Neighbors[it] {
			score[nb.Item] += 0.6 * float64(nb.Sim) / mx
		}
	}
	if m.als != nil {
		v := m.als.ItemVector(i)
		var near []int32
		if m.index != nil {
			near = m.index.Search(v, 50, nil)
		} else {
			s := make([]float64, m.Log.NumItems())
			m.als.scoreVec(v, s)
			near = TopK(s, 50)
		}
		for _, j := range near {
			score[j] += 0.4 * math.Max(0, cosine(v, m.als.ItemVector(int(j))))
		}
	}
	if cat := m.category[it]; cat != "" {
		for _, j := range m.catTop[cat] {
			score[j] += 0.2
		}
	}
	delete(score, it)
	items := make([]scored, 0, len(score))
	for j, s := range score {
		if !m.nonProduct.has(j) && m.family[j] != m.family[it] {
			items = append(items, scored{j, s})
		}
	}
	// The scores are finite and the items distinct: the order is total.
	slices.SortFunc(items, bestFirst)
	items = items[:min(n, len(items))]
	out := make([]shelfwise.Recommendation, len(items))
	reason := "similar to " + m.name(it)
	for k, j := range items {
		out[k] = shelfwise.Recommendation{SKU: m.Log.Items[j.i], Score: j.s, Reason: reason, Source: "similar"}
	}
	return out, nil
}

// BoughtTogether returns up to n items most often in the same basket as
// sku, by confidence, with support and lift in the reason. ENOTFOUND for
// an unknown SKU.
func (e *Engine) BoughtTogether(sku shelfwise.SKU, n int) ([]shelfwise.Recommendation, error) {
	m := e.model.Load()
	i := m.Log.Item(sku)
	if i < 0 {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND, "product %s is not in the model", sku)
	}
	if n <= 0 {
		n = 10
	}
	rules := m.FBT.Rules[i]
	out := make([]shelfwise.Recommendation, 0, min(n, len(rules)))
	for _, r := range rules {
		if len(out) >= n {
			break
		}
		if m.nonProduct.has(r.Item) {
			continue
		}
		out = append(out, shelfwise.Recommendation{SKU: m.Log.Items[r.Item], Score: r.Confidence,
			Reason: "bought with " + m.name(int32(i)) + " in " + percent(r.Confidence) + " of its baskets (lift " + trim(r.Lift) + ")", Source: "fbt"})
	}
	return out, nil
}

// Trending returns the n most trending items, in a category (department,
// category or subcategory) when one is given.
func (e *Engine) Trending(category string, n int) []shelfwise.Recommendation {
	m := e.model.Load()
	if n <= 0 {
		n = 10
	}
	var items []int32
	if category != "" {
		for _, it := range m.catTop[category] {
			items = append(items, it)
		}
		if len(items) == 0 { // a department or category above the leaf level
			for _, it := range m.trendTop(m.Log.NumItems()) {
				p := m.products[it]
				if p.Department == category || p.Category == category {
					items = append(items, it)
				}
				if len(items) >= n {
					break
				}
			}
		}
	} else {
		items = m.trendTop(n + 20)
	}
	out := make([]shelfwise.Recommendation, 0, min(n, len(items)))
	for _, it := range items {
		if len(out) >= n {
			break
		}
		if m.nonProduct.has(it) {
			continue
		}
		out = append(out, shelfwise.Recommendation{SKU: m.Log.Items[it], Score: m.Trending.Scores[it], Reason: m.trendReason(it), Source: "trending"})
	}
	return out
}

func percent(x float64) string { return trim(100*x) + "%" }

// trim formats x with at most one decimal.
func trim(x float64) string {
	return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64)
}
