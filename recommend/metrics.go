package recommend

import "math"

// Metrics are the standard top-k ranking metrics, averaged over users.
type Metrics struct {
	K       int
	Recall  float64 // hits / |relevant|
	NDCG    float64 // binary gains, ideal over min(k, |relevant|)
	MAP     float64 // average precision at k, normalised by min(k, |relevant|)
	HitRate float64 // share of users with at least one hit
	// Coverage is the share of the catalogue recommended to at least one user.
	Coverage float64
	// PopularityBias is the mean popularity percentile of recommended items
	// (1 = the most popular item, 0 = the least).
	PopularityBias float64
	Users          int
}

// MetricsAccumulator adds up per-user ranking metrics. The zero value is not
// ready: use NewMetricsAccumulator.
type MetricsAccumulator struct {
	k              int
	numItems       int
	popPercentile  []float64
	recommended    []bool
	sumR, sumN     float64
	sumM, sumH     float64
	sumPop, nRecos float64
	users          int
	// userR and userN are each user's Recall@k and NDCG@k, in Add order.
	userR, userN []float64
}

// NewMetricsAccumulator returns an accumulator for top-k lists over a
// catalogue of numItems items. popPercentile (may be nil) gives each item's
// popularity percentile for the popularity-bias metric.
func NewMetricsAccumulator(k, numItems int, popPercentile []float64) *MetricsAccumulator {
	return &MetricsAccumulator{k: k, numItems: numItems, popPercentile: popPercentile, recommended: make([]bool, numItems)}
}

// Add scores one user's ranked list (item indexes, best first; only the
// first k count) against the relevant set. nRelevant is the size of the
// relevant set, which may include items outside the catalogue that no model
// can rank. Users with nRelevant == 0 are ignored.
func (a *MetricsAccumulator) Add(ranked []int32, relevant map[int32]bool, nRelevant int) {
	if nRelevant == 0 {
		return
	}
	if len(ranked) > a.k {
		ranked = ranked[:a.k]
	}
	hits := 0
	dcg, ap := 0.0, 0.0
	for r, it := range ranked {
		if it >= 0 && int(it) < a.numItems {
			if !a.recommended[it] {
				a.recommended[it] = true
			}
			if a.popPercentile != nil {
				a.sumPop += a.popPercentile[it]
				a.nRecos++
			}
		}
		if relevant[it] {
			hits++
			dcg += discount(r)
			ap += float64(hits) / float64(r+1)
		}
	}
	m := min(a.k, nRelevant)
	r, nd := float64(hits)/float64(nRelevant), dcg/idealDCG(m)
	a.sumR += r
	a.sumN += nd
	a.userR = append(a.userR, r)
	a.userN = append(a.userN, nd)
	a.sumM += ap / float64(m)
	if hits > 0 {
		a.sumH++
	}
	a.users++
}

// PerUser returns each user's Recall@k and NDCG@k in the order they were
// added (users with an empty relevant set left out): Result's Recall and
// NDCG are their means. For intervals and paired comparisons.
func (a *MetricsAccumulator) PerUser() (recall, ndcg []float64) { return a.userR, a.userN }

// Result returns the averaged metrics.
func (a *MetricsAccumulator) Result() Metrics {
	m := Metrics{K: a.k, Users: a.users}
	if a.users == 0 {
		return m
	}
	n := float64(a.users)
	m.Recall, m.NDCG, m.MAP, m.HitRate = a.sumR/n, a.sumN/n, a.sumM/n, a.sumH/n
	c := 0
	for _, r := range a.recommended {
		if r {
			c++
		}
	}
	if a.numItems > 0 {
		m.Coverage = float64(c) / float64(a.numItems)
	}
	if a.nRecos > 0 {
		m.PopularityBias = a.sumPop / a.nRecos
	}
	return m
}

// discounts are NDCG's position discounts 1 / log2(r + 2) of the first
// ranks, computed once (the metrics and the tuning's objective read them
// very often).
var discounts = func() (d [64]float64) {
	for r := range d {
		d[r] = 1 / math.Log2(float64(r)+2)
	}
	return d
}()

// discount is the NDCG discount of rank r (from 0): 1 / log2(r + 2).
func discount(r int) float64 {
	if r < len(discounts) {
		return discounts[r]
	}
	return 1 / math.Log2(float64(r)+2)
}

// idealDCG is the DCG of a list whose first n items are relevant (binary
// gains): NDCG's normaliser for n = min(k, |relevant|).
func idealDCG(n int) float64 {
	idcg := 0.0
	for r := range n {
		idcg += discount(r)
	}
	return idcg
}
