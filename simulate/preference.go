package simulate

import (
	"math"
	"sort"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// scoreNorm holds what Score needs beyond the parameters: per store, the
// activity-weighted mean affinity of its visitors for each subcategory and
// (subcategory, brand), and each product's expected units over the horizon.
type scoreNorm struct {
	once     sync.Once
	mu       sync.Mutex
	anon     float64
	actTotal []float64            // per store: sum of activities
	aff      [][]float64          // [store][sub]: sum_c act*exp(u.w)
	affBrand []map[[2]int]float64 // [store][(sub,brand)]: same over fans of brand
	total    [][]float64          // [store][product]: expected units, built lazily
}

// affinity returns exp(u_c . w_k), the customer's weight for subcategory k.
func (t *Truth) affinity(c *CustomerTruth, k int) float64 {
	w := t.Subcategories[k].Factor
	var dot float64
	for i, u := range c.Factor {
		dot += u * w[i]
	}
	return math.Exp(dot)
}

func (t *Truth) scoreNorm() *scoreNorm {
	if t.idx.norm == nil {
		t.idx.norm = &scoreNorm{}
	}
	n := t.idx.norm
	n.once.Do(func() {
		n.anon = t.AnonymousShare
		S, K := len(t.Stores), len(t.Subcategories)
		n.actTotal = make([]float64, S)
		n.aff = make([][]float64, S)
		n.affBrand = make([]map[[2]int]float64, S)
		n.total = make([][]float64, S)
		for s := range S {
			n.aff[s] = make([]float64, K)
			n.affBrand[s] = map[[2]int]float64{}
		}
		for i := range t.Customers {
			c := &t.Customers[i]
			n.actTotal[c.Store] += c.Activity
			for k := range K {
				a := c.Activity * t.affinity(c, k)
				n.aff[c.Store][k] += a
				n.affBrand[c.Store][[2]int{k, c.Brand}] += a
			}
		}
	})
	return n
}

// storeTotals returns the expected units of every product at store s over
// the horizon.
func (t *Truth) storeTotals(s int) []float64 {
	n := t.scoreNorm()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.total[s] == nil {
		tot := make([]float64, len(t.Products))
		for p := range t.Products {
			for d := 0; d < t.Days; d++ {
				tot[p] += t.expected(p, s, d)
			}
		}
		n.total[s] = tot
	}
	return n.total[s]
}

// Score returns the customer's true preference for sku as the expected units
// the customer buys of it over the horizon: their share of the product's
// demand at their home store (activity x affinity for its subcategory x
// brand weight, relative to the store's other visitors), plus the units of a
// repeat-bought item. It is 0 for an unknown customer or product. Rankings
// by Score are the true top-N recommendations.
func (t *Truth) Score(c shelfwise.CustomerKey, sku shelfwise.SKU) float64 {
	ci, ok1 := t.idx.customer[c]
	p, ok2 := t.idx.sku[sku]
	if !ok1 || !ok2 {
		return 0
	}
	cust := &t.Customers[ci]
	return t.score(cust, p, t.storeTotals(cust.Store))
}

func (t *Truth) score(c *CustomerTruth, p int, totals []float64) float64 {
	n := t.scoreNorm()
	pt := &t.Products[p]
	k := pt.Subcategory
	s := c.Store
	if n.actTotal[s] == 0 {
		return 0
	}
	boost := 1.0
	if c.Brand == pt.Brand {
		boost += t.BrandBoost
	}
	mean := (n.aff[s][k] + t.BrandBoost*n.affBrand[s][[2]int{k, pt.Brand}]) / n.actTotal[s]
	abar := n.anon + (1-n.anon)*mean
	share := (1 - n.anon) * c.Activity / n.actTotal[s] * t.affinity(c, k) * boost / abar
	v := totals[p] * share
	for _, r := range c.Repeat {
		if r.Product == p {
			v += r.Quantity * float64(t.Days) / float64(r.Every)
		}
	}
	return v
}

// TopN returns the n products with the highest true Score for the customer,
// best first (ties by SKU); nil for an unknown customer.
func (t *Truth) TopN(c shelfwise.CustomerKey, n int) []shelfwise.SKU {
	ci, ok := t.idx.customer[c]
	if !ok || n <= 0 {
		return nil
	}
	cust := &t.Customers[ci]
	totals := t.storeTotals(cust.Store)
	type ps struct {
		p int
		s float64
	}
	all := make([]ps, len(t.Products))
	for p := range t.Products {
		all[p] = ps{p, t.score(cust, p, totals)}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].s != all[j].s {
			return all[i].s > all[j].s
		}
		return t.Products[all[i].p].SKU < t.Products[all[j].p].SKU
	})
	if n > len(all) {
		n = len(all)
	}
	out := make([]shelfwise.SKU, n)
	for i := range out {
		out[i] = t.Products[all[i].p].SKU
	}
	return out
}
