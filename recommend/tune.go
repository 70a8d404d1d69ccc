package recommend

import (
	"context"
	"math"
	"sort"
)

// tuningTable holds, for every validation customer, a candidate set with
// the blend's features, so weights can be searched without rescoring.
type tuningTable struct {
	nFeat int
	k     int
	users []tuningUser
}

type tuningUser struct {
	cands    []int32
	feats    []float32 // len(cands) x nFeat
	relevant map[int32]bool
	n        int
}

// newTuningTable scores the components for every held-out customer and keeps
// the union of each component's top candidates (plus the customer's own
// items unless the blend is tuned for new items).
func newTuningTable(ctx context.Context, lg *Log, h *Hybrid, sets []heldOut, now int64) *tuningTable {
	nc := len(h.Components)
	t := &tuningTable{nFeat: NumRepeatFeatures + nc, k: h.Cfg.K, users: make([]tuningUser, len(sets))}
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
		q := &Query{User: u, History: lg.Histories[u], Now: now}
		stats, nb := HistoryStats(q.History)
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
		for c, comp := range h.Components {
			comp.Scorer.Score(q, s.comp[c])
			normalizeMax(s.comp[c])
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
		tu := tuningUser{cands: cands, feats: make([]float32, len(cands)*t.nFeat), relevant: sets[i].relevant, n: sets[i].n}
		for ci, it := range cands {
			row := tu.feats[ci*t.nFeat : (ci+1)*t.nFeat]
			if k, ok := own[it]; ok {
				v := Repeat(stats[k], nb, now).Vector()
				for f := range v {
					row[f] = float32(v[f])
				}
			}
			for c := range h.Components {
				row[NumRepeatFeatures+c] = float32(s.comp[c][it])
			}
		}
		t.users[i] = tu
	})
	return t
}

// objective is mean NDCG@k + mean Recall@k over the validation customers.
func (t *tuningTable) objective(w []float64) float64 {
	parts := make([]float64, len(t.users))
	w32 := make([]float32, len(w))
	for i, v := range w {
		w32[i] = float32(v)
	}
	parallelFor(len(t.users), func(_, i int) {
		tu := &t.users[i]
		scores := make([]float64, len(tu.cands))
		for ci := range tu.cands {
			row := tu.feats[ci*t.nFeat : (ci+1)*t.nFeat]
			s := float32(0)
			for f, x := range row {
				s += w32[f] * x
			}
			scores[ci] = float64(s)
		}
		top := TopK(scores, t.k)
		hits, dcg := 0, 0.0
		for r, ci := range top {
			if tu.relevant[tu.cands[ci]] {
				hits++
				dcg += 1 / math.Log2(float64(r)+2)
			}
		}
		idcg := 0.0
		for r := 0; r < min(t.k, tu.n); r++ {
			idcg += 1 / math.Log2(float64(r)+2)
		}
		parts[i] = dcg/idcg + float64(hits)/float64(tu.n)
	})
	s := 0.0
	for _, p := range parts {
		s += p
	}
	return s / float64(max(1, len(t.users)))
}

// tune searches the weights by coordinate ascent over a log-spaced grid.
func (t *tuningTable) tune(newItems bool) ([]float64, float64) {
	w := make([]float64, t.nFeat)
	if newItems {
		w[NumRepeatFeatures] = 1 // the first component (ALS)
	} else {
		w[0] = 1 // log lines
	}
	best := t.objective(w)
	grid := []float64{-0.3, -0.1, -0.03, 0, 0.01, 0.03, 0.1, 0.3, 1, 3, 10}
	for pass := 0; pass < 5; pass++ {
		improved := false
		for f := 0; f < t.nFeat; f++ {
			if newItems && f < NumRepeatFeatures {
				continue
			}
			cur := w[f]
			vals := append([]float64{cur * 0.5, cur * 0.7, cur * 1.4, cur * 2}, grid...)
			for _, v := range vals {
				if v == cur {
					continue
				}
				w[f] = v
				if s := t.objective(w); s > best+1e-6 {
					best, cur = s, v
					improved = true
				}
			}
			w[f] = cur
		}
		if !improved {
			break
		}
	}
	return w, best
}
