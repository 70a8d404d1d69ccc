package recommend

import (
	"context"
	"math"
	"slices"
	"sort"
)

// Neighbor is an item with a similarity.
type Neighbor struct {
	Item int32
	Sim  float32
}

// KNNConfig sets up item-kNN.
type KNNConfig struct {
	// K neighbours kept per item.
	K int
	// Alpha makes the cosine asymmetric: sim(i,j) = c_ij / (n_i^Alpha
	// n_j^(1-Alpha)); 0.5 is the plain cosine.
	Alpha float64
	// HalfLifeDays weights a customer's items by the recency of their
	// latest purchase when scoring (0 = no decay).
	HalfLifeDays float64
	// Baskets counts co-occurrence within baskets instead of within
	// customers (frequently-bought-together style).
	Baskets bool
}

// DefaultKNN is item-kNN with the plain cosine on customer co-occurrence.
var DefaultKNN = KNNConfig{K: 100, Alpha: 0.5, HalfLifeDays: 0}

// ItemKNN scores items by their similarity to the customer's items.
type ItemKNN struct {
	Cfg       KNNConfig
	Neighbors [][]Neighbor
	// W are the interaction weights of the training log: returns lower an
	// item's profile weight, views and carts add items to the profile.
	W Weights
}

// TrainItemKNN is the Trainer of item-kNN with DefaultKNN.
func TrainItemKNN(ctx context.Context, lg *Log) (Scorer, error) {
	return NewItemKNN(ctx, lg, DefaultKNN)
}

// groups returns the item sets the co-occurrences are counted over: each
// customer's distinct items, or each basket.
func groups(lg *Log, baskets bool) [][]int32 {
	if baskets {
		return lg.Baskets
	}
	out := make([][]int32, lg.NumUsers())
	for u, h := range lg.Histories {
		out[u], _ = UserItems(h)
	}
	return out
}

// cooccurrence calls fn(i, counts, n) for every item i with the dense
// co-occurrence counts of i with every item and the item counts n, in
// parallel over items. counts is scratch space reused after fn returns.
func cooccurrence(ctx context.Context, numItems int, gs [][]int32, fn func(w, i int, counts []float32, n []float32)) error {
	n := make([]float32, numItems)
	inv := make([][]int32, numItems)
	for g, items := range gs {
		for _, it := range items {
			n[it]++
			inv[it] = append(inv[it], int32(g))
		}
	}
	scratch := make([][]float32, workers())
	parallelFor(numItems, func(w, i int) {
		if ctx.Err() != nil {
			return
		}
		if scratch[w] == nil {
			scratch[w] = make([]float32, numItems)
		}
		c := scratch[w]
		for _, g := range inv[i] {
			for _, j := range gs[g] {
				c[j]++
			}
		}
		c[i] = 0
		fn(w, i, c, n)
		clear(c)
	})
	return ctx.Err()
}

// NewItemKNN computes the neighbour lists.
func NewItemKNN(ctx context.Context, lg *Log, cfg KNNConfig) (*ItemKNN, error) {
	m := &ItemKNN{Cfg: cfg, Neighbors: make([][]Neighbor, lg.NumItems()), W: lg.Weights}
	sims := make([][]float64, workers())
	err := cooccurrence(ctx, lg.NumItems(), groups(lg, cfg.Baskets), func(w, i int, c, n []float32) {
		if sims[w] == nil {
			sims[w] = make([]float64, len(c))
		}
		s := sims[w]
		for j, cij := range c {
			if cij == 0 {
				s[j] = math.Inf(-1)
				continue
			}
			s[j] = float64(cij) / (math.Pow(float64(n[i]), cfg.Alpha) * math.Pow(float64(n[j]), 1-cfg.Alpha))
		}
		top := TopK(s, cfg.K)
		nb := make([]Neighbor, len(top))
		for k, j := range top {
			nb[k] = Neighbor{Item: j, Sim: float32(s[j])}
		}
		m.Neighbors[i] = nb
	})
	return m, err
}

// Score implements Scorer: the sum over the customer's distinct items of
// their (recency-weighted) similarity to each candidate. Returned units
// scale a purchased item's weight down (see Weights); viewed or carted
// items not bought join the profile at the View and Cart weights.
func (m *ItemKNN) Score(q *Query, out []float64) {
	clear(out)
	for _, p := range m.profile(q, nil) {
		m.add(p.Item, p.Sim, out)
	}
}

// profile appends to dst the customer's items with their weights, in the
// order Score adds their neighbours: the summary's items, then items only
// viewed or carted, by index. Two ItemKNN with the same interaction
// weights list the same items in the same order.
func (m *ItemKNN) profile(q *Query, dst []weighted) []weighted {
	var ret, bought map[int32]float64
	var soft map[int32]float64
	for _, s := range q.Signals {
		if s.Kind == KindReturn {
			if ret == nil {
				ret = map[int32]float64{}
			}
			ret[s.Item] += float64(s.Qty)
			continue
		}
		if soft == nil {
			soft = map[int32]float64{}
		}
		x := m.W.View
		if s.Kind == KindCart {
			x = m.W.Cart
		}
		soft[s.Item] += x * decay(q.Now, s.Time, m.Cfg.HalfLifeDays)
	}
	if ret != nil {
		bought = map[int32]float64{}
		for _, e := range q.History {
			bought[e.Item] += math.Max(1, float64(e.Qty))
		}
	}
	for _, s := range q.Summary().Items {
		w := decay(q.Now, s.Last, m.Cfg.HalfLifeDays)
		if r := ret[s.Item]; r > 0 && bought[s.Item] > 0 {
			w *= math.Max(0, 1-m.W.Return*math.Min(1, r/bought[s.Item]))
		}
		w += soft[s.Item]
		delete(soft, s.Item)
		dst = append(dst, weighted{s.Item, w})
	}
	if len(soft) == 0 {
		return dst
	}
	rest := make([]int32, 0, len(soft))
	for it := range soft {
		rest = append(rest, it)
	}
	slices.Sort(rest)
	for _, it := range rest {
		dst = append(dst, weighted{it, soft[it]})
	}
	return dst
}

// scoreKNNPair is a.Score(q, outA) and b.Score(q, outB) in one pass over
// the neighbour lists, for two ItemKNN sharing them and their interaction
// weights (see sharesNeighbors): each output gets the same additions in
// the same order as from Score.
func scoreKNNPair(a, b *ItemKNN, q *Query, outA, outB []float64, scratch []weighted) []weighted {
	clear(outA)
	clear(outB)
	pa := a.profile(q, scratch[:0])
	n := len(pa)
	pb := b.profile(q, pa)[n:]
	for k, p := range pa[:n] {
		wa, wb := p.Sim, pb[k].Sim
		switch useA, useB := !(wa <= 0), !(wb <= 0); { // as add: NaN adds
		case useA && useB:
			for _, nb := range a.Neighbors[p.Item] {
				s := float64(nb.Sim)
				outA[nb.Item] += wa * s
				outB[nb.Item] += wb * s
			}
		case useA:
			a.add(p.Item, wa, outA)
		case useB:
			b.add(p.Item, wb, outB)
		}
	}
	return pa[:0]
}

// sharesNeighbors tells whether a and b have the same neighbour lists and
// interaction weights (e.g. item-kNN and its recency-weighted twin), so
// scoreKNNPair can score them together.
func sharesNeighbors(a, b *ItemKNN) bool {
	return a.W == b.W && len(a.Neighbors) == len(b.Neighbors) && len(a.Neighbors) > 0 && &a.Neighbors[0] == &b.Neighbors[0]
}

func (m *ItemKNN) add(it int32, w float64, out []float64) {
	if w <= 0 {
		return
	}
	for _, nb := range m.Neighbors[it] {
		out[nb.Item] += w * float64(nb.Sim)
	}
}

// weighted is an item with a weight in a customer's profile.
type weighted struct {
	Item int32
	Sim  float64
}

// historyWeights gives each distinct item of a history the weight
// exp(-age/halfLife*ln2) of its latest purchase (1 without decay), in
// item order.
func historyWeights(h []Event, now int64, halfLifeDays float64) []weighted {
	last := make(map[int32]int64, len(h))
	for _, e := range h {
		last[e.Item] = e.Time
	}
	out := make([]weighted, 0, len(last))
	for it, t := range last {
		w := 1.0
		if halfLifeDays > 0 {
			w = math.Exp(-math.Max(0, float64(now-t)) / 86400 / halfLifeDays * math.Ln2)
		}
		out = append(out, weighted{it, w})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Item < out[b].Item })
	return out
}
