package recommend

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// rerankReference is the reranking step as it was before the serving path
// assembled float32 rows and scored them with gbdt.Flat: one float64 row
// and one Trees.PredictRaw per top item. The optimised path must give the
// same scores bit for bit.
func (h *Hybrid) rerankReference(q *Query, out []float64, p *scoreParts) {
	sm, comps, rv := p.sm, p.comps, repeatByItem(p)
	nc := len(h.Components)
	top := h.rerankTop(new(rerankBuf), append([]float64(nil), out...), sm.Items, nil)
	uf := userFeatures(sm, q.Now)
	feats := make([]float32, NumRepeatFeatures+nc)
	row := make([]float64, 0, rerankWidth(nc))
	cmax := make([]float32, nc)
	for c, m := range p.maxes {
		cmax[c] = float32(m)
	}
	re := make([]float64, len(top))
	for j, it := range top {
		v, own := rv[it]
		for k := range NumRepeatFeatures {
			feats[k] = float32(v[k])
		}
		for c := range nc {
			feats[NumRepeatFeatures+c] = float32(comps[c][it])
		}
		row = rerankRow(row, feats, nc, out[it], own, uf, cmax, refTail(h, q, sm, it))
		re[j] = h.Rerank.rescore(out[it], h.Rerank.Trees.PredictRaw(row))
	}
	placeAbove(out, top, re)
}

// repeatByItem maps each of the customer's items to its repeat vector in p.
func repeatByItem(p *scoreParts) map[int32][NumRepeatFeatures]float64 {
	rv := make(map[int32][NumRepeatFeatures]float64, len(p.sm.Items))
	for k, s := range p.sm.Items {
		rv[s.Item] = p.rvs[k]
	}
	return rv
}

// refTail finds item it among the customer's items by a scan (statsOf)
// and returns its row tail, with its basket record from basketRecency.
func refTail(h *Hybrid, q *Query, sm *Summary, it int32) []float32 {
	var br basketRec
	st := statsOf(sm, it)
	if st != nil {
		br = basketRecency(q.History)[it]
	}
	return appendItemTail(nil, st, br, sm.Baskets, q.Now, itemCycle(h.Components, it), h.Rerank.Facts, it)
}

// rerankQueries are queries of every training customer, of some of them
// with a shortened or extended (live) history, and of a new customer.
func rerankQueries(m *Model) []*Query {
	lg := m.Log
	now := lg.End + 3600
	var qs []*Query
	for u := range lg.Histories {
		h := lg.Histories[u]
		qs = append(qs, &Query{User: u, History: h, Signals: lg.signals(u), Now: now})
		if u%3 == 0 && len(h) > 1 {
			qs = append(qs, &Query{User: u, History: h[:len(h)/2], Changed: true, Now: now})
		}
		if u%4 == 1 {
			ext := append(append([]Event(nil), h...), Event{Item: int32((u * 37) % len(lg.Items)), Time: now - 60, Qty: 1, Basket: 1 << 20})
			qs = append(qs, &Query{User: u, History: ext, Changed: true, Now: now})
		}
	}
	return append(qs, &Query{User: -1, Now: now},
		&Query{User: -1, History: lg.Histories[0], Changed: true, Now: now})
}

// blendParts scores q with h's components and blend but without
// reordering (a reranker with Top 0 keeps every component active, as a
// real reranker does): the blend, and the parts rerank reads.
func blendParts(h *Hybrid, q *Query, ni int) ([]float64, *scoreParts) {
	noop := *h
	noop.Rerank = &Reranker{Trees: h.Rerank.Trees, Top: 0}
	out := make([]float64, ni)
	p := getParts(len(h.Components), ni)
	qq := *q
	noop.score(&qq, out, p)
	return out, p
}

// realisticTrees trains trees on the rows the reranker builds for the
// customers' top 100 items (labels from an interaction of the features,
// so the trees split on many of them, at depth 5).
func realisticTrees(t testing.TB, h *Hybrid, qs []*Query, ni int) *gbdt.Model {
	t.Helper()
	return realisticTreesN(t, h, qs, ni, 150)
}

// realisticTreesN is realisticTrees with n trees.
func realisticTreesN(t testing.TB, h *Hybrid, qs []*Query, ni, n int) *gbdt.Model {
	t.Helper()
	nc := len(h.Components)
	var rows [][]float64
	var y []float64
	rng := rand.New(rand.NewPCG(5, 6))
	for _, q := range qs {
		out, p := blendParts(h, q, ni)
		uf := userFeatures(p.sm, q.Now)
		feats := make([]float32, NumRepeatFeatures+nc)
		cmax := make([]float32, nc)
		for c, m := range p.maxes {
			cmax[c] = float32(m)
		}
		rv := repeatByItem(p)
		for _, it := range TopK(out, 100) {
			v, own := rv[it]
			for k := range NumRepeatFeatures {
				feats[k] = float32(v[k])
			}
			for c := range nc {
				feats[NumRepeatFeatures+c] = float32(p.comps[c][it])
			}
			r := rerankRow(nil, feats, nc, out[it], own, uf, cmax, refTail(h, q, p.sm, it))
			rows = append(rows, r)
			// A fact (days since the item's latest sale) and a quantity
			// extra (units of the latest basket) steer the label, so the
			// trees split on both.
			fact, lastQty := r[len(r)-numQtyExtras-2], r[len(r)-numQtyExtras]
			z := 3*r[NumRepeatFeatures] - 2*r[NumRepeatFeatures+1]*fact + 0.3*lastQty + r[NumRepeatFeatures+nc] + 0.5*rng.NormFloat64()
			if own {
				z += 1
			}
			if z > 0.5 {
				y = append(y, 1)
			} else {
				y = append(y, 0)
			}
		}
	}
	X, err := gbdt.FromRows(rows)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := gbdt.Train(context.Background(), gbdt.Dataset{X: X, Y: y}, nil,
		gbdt.Params{Objective: gbdt.Logistic, NumTrees: n, MaxDepth: 5, LearningRate: 0.1, MinSamplesLeaf: 5}, rng)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// rerankSetup returns the test model, its reranker queries, realistic
// reranker trees and the item facts the trees were trained with.
func rerankSetup(t *testing.T) (*Model, []*Query, *gbdt.Model, []float32) {
	t.Helper()
	m, _ := testModel(t)
	qs := rerankQueries(m)
	base := *m.All
	facts := itemFacts(m.Log)
	base.Rerank = &Reranker{Top: 100, Facts: facts}
	return m, qs, realisticTrees(t, &base, qs, m.Log.NumItems()), facts
}

// TestRerankMatchesReference: the serving reranker (float32 rows, gbdt.Flat
// over all top items at once, pooled buffers) gives the same scores, bit
// for bit, as the reference (one PredictRaw per item), for every training
// customer, customers with shortened or live histories and new customers;
// for both blends (all items and new items), trees alone and blended, and
// several Top values.
func TestRerankMatchesReference(t *testing.T) {
	m, qs, tr, facts := rerankSetup(t)
	ni := m.Log.NumItems()
	if len(tr.Trees) < 50 {
		t.Fatalf("test trees: only %d", len(tr.Trees))
	}
	cases := 0
	for _, hb := range []*Hybrid{m.All, m.New} {
		for _, rr := range []struct {
			Top   int
			Blend float64
		}{{25, 0}, {50, 0.1}, {100, 1}} {
			h := *hb
			h.Rerank = &Reranker{Trees: tr, Top: rr.Top, Blend: rr.Blend, Facts: facts}
			moved := 0
			for _, q := range qs {
				want, p := blendParts(&h, q, ni)
				blend := append([]float64(nil), want...)
				h.rerankReference(q, want, p)
				got := make([]float64, ni)
				qq := *q
				h.Score(&qq, got)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("new items %v, top %d, blend %v, user %d: item %d scored %v, reference %v",
							h.Cfg.NewItems, rr.Top, rr.Blend, q.User, i, got[i], want[i])
					}
				}
				if TopK(got, 10)[0] != TopK(blend, 10)[0] {
					moved++
				}
				cases++
			}
			if moved == 0 {
				t.Fatalf("new items %v, top %d, blend %v: the reranker never changed the first item; the comparison is weak",
					h.Cfg.NewItems, rr.Top, rr.Blend)
			}
		}
	}
	if cases < 100 {
		t.Fatalf("only %d rankings compared", cases)
	}
}

// BenchmarkRankWithReranker: one ranking (blend + reranker over the top
// 100 items, 300 trees of depth 5) of a test customer; Reference is the
// per-item PredictRaw path, Serving the batched gbdt.Flat path.
func BenchmarkRankWithReranker(b *testing.B) {
	m, _ := testModel(b)
	ni := m.Log.NumItems()
	qs := rerankQueries(m)
	base := *m.All
	base.Rerank = &Reranker{Top: 100}
	tr := realisticTreesN(b, &base, qs, ni, 300)
	h := *m.All
	h.Rerank = &Reranker{Trees: tr, Top: 100, Blend: 0.1}
	noop := h
	noop.Rerank = &Reranker{Trees: tr, Top: 0}
	out := make([]float64, ni)
	b.Run("Reference", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := *qs[i%len(qs)]
			i++
			p := getParts(len(h.Components), ni)
			noop.score(&q, out, p)
			h.rerankReference(&q, out, p)
			partsPool.Put(p)
		}
	})
	b.Run("Serving", func(b *testing.B) {
		i := 0
		for b.Loop() {
			q := *qs[i%len(qs)]
			i++
			h.Score(&q, out)
		}
	})
}

// rerankFilters are the request filters the reranker tests list with: none,
// a price cap, two categories, and excluded items with a price floor.
func rerankFilters() []Filter {
	return []Filter{{}, {MaxPrice: 3}, {Categories: []string{"cat0", "cat1"}},
		{Exclude: []shelfwise.SKU{sku(1), sku(2), sku(3), sku(5), sku(8), sku(13)}, MinPrice: 2}}
}

// rerankedParts scores q with h, reranker included, as a request with
// filter listed does (nil: as the evaluation does), and returns the scores
// and the parts (put them back in partsPool).
func rerankedParts(h *Hybrid, q *Query, ni int, listed *compiled) ([]float64, *scoreParts) {
	out := make([]float64, ni)
	p := getParts(len(h.Components), ni)
	p.listed = listed
	qq := *q
	h.score(&qq, out, p)
	return out, p
}

// eachRerankedQuery calls fn for every third query of qs with each blend
// of m (all items, new items) reranked by trees tr (with facts) over each
// of tops, at Blend 0.1.
func eachRerankedQuery(m *Model, qs []*Query, tr *gbdt.Model, facts []float32, tops []int, fn func(h *Hybrid, top int, q *Query)) {
	for _, hb := range []*Hybrid{m.All, m.New} {
		for _, top := range tops {
			h := *hb
			h.Rerank = &Reranker{Trees: tr, Top: top, Blend: 0.1, Facts: facts}
			for qi, q := range qs {
				if qi%3 == 0 {
					fn(&h, top, q)
				}
			}
		}
	}
}

// TestPlacedTopMatchesFilteredTop: when the reranker placed its top items
// above all others, reading the best allowed items from them (placedTop)
// gives exactly filteredTop's scan of the catalogue, for both blends,
// several Top values, filters and list lengths; it declines (nil) when too
// few placed items pass or a live session changes the scores.
func TestPlacedTopMatchesFilteredTop(t *testing.T) {
	m, qs, tr, facts := rerankSetup(t)
	ni := m.Log.NumItems()
	filters := rerankFilters()
	shortcuts, declined := 0, 0
	eachRerankedQuery(m, qs, tr, facts, []int{25, 50}, func(h *Hybrid, top int, q *Query) {
		out, p := rerankedParts(h, q, ni, nil)
		defer partsPool.Put(p)
		for fi := range filters {
			c := m.compile(&filters[fi], nil)
			for _, want := range []int{10, 20, 40} {
				got := placedTop(nil, p.placed, want, nil, c)
				if got == nil {
					declined++
					continue
				}
				shortcuts++
				ref := c.filteredTop(out, want)
				if !slices.Equal(got, ref) {
					t.Fatalf("new items %v, top %d, filter %d, want %d, user %d: placed %v, scan %v",
						h.Cfg.NewItems, top, fi, want, q.User, got, ref)
				}
			}
			if placedTop(nil, p.placed, 10, []int32{0}, c) != nil {
				t.Fatal("a live session: placedTop answered")
			}
		}
	})
	if shortcuts < 500 || declined < 100 {
		t.Fatalf("%d lists read from the placed items, %d declined: the comparison is weak", shortcuts, declined)
	}
	t.Logf("%d lists read from the placed items, %d declined", shortcuts, declined)
}

// TestRerankListedMatchesAll: reranking only the top items a request's
// filter allows (scoreParts.listed, as served) lists exactly what
// reranking every top item and then filtering lists, for both blends,
// filters that drop few or most of the top items, and list lengths, read
// from the placed items or from a scan; the allowed items keep their
// order and the others their blend scores.
func TestRerankListedMatchesAll(t *testing.T) {
	m, qs, tr, facts := rerankSetup(t)
	ni := m.Log.NumItems()
	filters := rerankFilters()
	lists, skipped := 0, 0
	eachRerankedQuery(m, qs, tr, facts, []int{50}, func(h *Hybrid, _ int, q *Query) {
		all, pa := rerankedParts(h, q, ni, nil)
		blend, pb := blendParts(h, q, ni)
		defer partsPool.Put(pa)
		defer partsPool.Put(pb)
		for fi := range filters {
			c := m.compile(&filters[fi], nil)
			got, p := rerankedParts(h, q, ni, c)
			for i := range ni {
				if c.allows(int32(i)) {
					continue
				}
				if got[i] != blend[i] {
					t.Fatalf("new items %v, filter %d, user %d: item %d not allowed scored %v, blend %v",
						h.Cfg.NewItems, fi, q.User, i, got[i], blend[i])
				}
				if all[i] != blend[i] {
					skipped++
				}
			}
			for _, want := range []int{10, 40} {
				ref := c.filteredTop(all, want)
				list := placedTop(nil, p.placed, want, nil, c)
				if list == nil {
					list = c.filteredTop(got, want)
				}
				if !slices.Equal(list, ref) {
					t.Fatalf("new items %v, filter %d, want %d, user %d: listed-only %v, all %v",
						h.Cfg.NewItems, fi, want, q.User, list, ref)
				}
				lists++
			}
			partsPool.Put(p)
		}
	})
	if lists < 200 || skipped < 1000 {
		t.Fatalf("%d lists, %d top items not reranked: the comparison is weak", lists, skipped)
	}
	t.Logf("%d lists, %d top items not reranked", lists, skipped)
}
