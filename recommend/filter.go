package recommend

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// Filter holds the business rules applied to a request. The zero Filter
// only drops non-product lines (fees, postage).
type Filter struct {
	// Categories keeps only items whose department, category or
	// subcategory is one of these; ExcludeCategories drops them.
	Categories        []string
	ExcludeCategories []string
	// MinPrice and MaxPrice bound the unit price (0 = open). Items of
	// unknown price pass.
	MinPrice, MaxPrice float64
	// Around and PriceBand keep items priced within ±PriceBand (a fraction,
	// e.g. 0.5) of the Around item's price; Around itself is excluded.
	Around    shelfwise.SKU
	PriceBand float64
	// InStock, when set, must return true for an item to be recommended.
	InStock func(shelfwise.SKU) bool
	// Exclude lists items never to recommend.
	Exclude []shelfwise.SKU
	// NewOnly drops items the customer already bought, except those
	// Repeatable accepts or RepeatableCategories (departments, categories
	// or subcategories) hold: consumables. Without such a rule it ranks
	// with the new-items blend; with one, with the all-items blend, which
	// ranks the kept items among the new ones.
	NewOnly              bool
	Repeatable           func(shelfwise.SKU) bool
	RepeatableCategories []string
	// MaxPerCategory caps items per category in the list (0 = no cap).
	MaxPerCategory int
	// Promoted items take PromotedShare (0..1) of the list when they are
	// eligible, placed by their score among the others.
	Promoted      []shelfwise.SKU
	PromotedShare float64
	// DedupeVariants keeps one item per variant family (e.g. colours of
	// one product: "85123A", "85123B").
	DedupeVariants bool
}

// CheckFilter tells whether f can be applied to the model's catalogue: an
// Around product the model does not know, or a category to keep that no
// product is in (a typo would otherwise give an empty list), is an error
// naming the rule and the value. Excluded and repeatable categories may
// name any (excluding what is absent is harmless).
func (m *Model) CheckFilter(f *Filter) error {
	if f.Around != "" && m.Log.Item(f.Around) < 0 {
		return shelfwise.Errorf(shelfwise.ENOTFOUND, "around: no product %q in the catalogue the recommender was trained on", f.Around)
	}
	for _, c := range f.Categories {
		if m.catNames[c] {
			continue
		}
		if len(m.catNames) == 0 {
			return shelfwise.Errorf(shelfwise.EINVALID, "category %q: the catalogue has no departments, categories or subcategories to filter by", c)
		}
		names := make([]string, 0, len(m.catNames))
		for n := range m.catNames {
			names = append(names, n)
		}
		slices.Sort(names)
		more := ""
		if len(names) > 8 {
			names, more = names[:8], fmt.Sprintf(" and %d more", len(m.catNames)-8)
		}
		return shelfwise.Errorf(shelfwise.EINVALID, "category %q: no product is in a department, category or subcategory of that name (names are matched exactly: %s%s)",
			c, strings.Join(names, ", "), more)
	}
	return nil
}

// compiled is a Filter resolved against one model.
type compiled struct {
	f       *Filter
	m       *Model
	cats    map[string]bool
	excats  map[string]bool
	exclude map[int32]bool
	// exBits is a bit filter of the excluded items: an item whose bit is
	// clear is not excluded, which allows learns without a look-up in the
	// map (most items it is asked about are not excluded).
	exBits   [64]uint64
	promoted map[int32]bool
	lo, hi   float64
}

func (m *Model) compile(f *Filter, own []int32) *compiled {
	c := &compiled{f: f, m: m, lo: f.MinPrice, hi: f.MaxPrice}
	if len(f.Categories) > 0 {
		c.cats = setOf(f.Categories)
	}
	if len(f.ExcludeCategories) > 0 {
		c.excats = setOf(f.ExcludeCategories)
	}
	for _, s := range f.Exclude {
		if i := m.Log.Item(s); i >= 0 {
			c.excludeItem(int32(i))
		}
	}
	if f.Around != "" {
		if i := m.Log.Item(f.Around); i >= 0 {
			c.excludeItem(int32(i))
			if p := m.price[i]; p > 0 && f.PriceBand > 0 {
				c.lo = math.Max(c.lo, p*(1-f.PriceBand))
				if c.hi == 0 {
					c.hi = p * (1 + f.PriceBand)
				} else {
					c.hi = math.Min(c.hi, p*(1+f.PriceBand))
				}
			}
		}
	}
	if f.NewOnly {
		var keep map[string]bool
		if len(f.RepeatableCategories) > 0 {
			keep = setOf(f.RepeatableCategories)
		}
		for _, it := range own {
			if keep != nil && inCategories(keep, &m.products[it]) {
				continue
			}
			if f.Repeatable == nil || !f.Repeatable(m.Log.Items[it]) {
				c.excludeItem(it)
			}
		}
	}
	if len(f.Promoted) > 0 {
		c.promoted = map[int32]bool{}
		for _, s := range f.Promoted {
			if i := m.Log.Item(s); i >= 0 {
				c.promoted[int32(i)] = true
			}
		}
	}
	return c
}

// excludeItem adds item i to the excluded items (the set is made on first
// use: most requests exclude nothing).
func (c *compiled) excludeItem(i int32) {
	if c.exclude == nil {
		c.exclude = map[int32]bool{}
	}
	c.exclude[i] = true
	bitSet(c.exBits[:]).add(i)
}

// excluded tells whether item i is among the excluded items.
func (c *compiled) excluded(i int32) bool {
	return bitSet(c.exBits[:]).has(i) && c.exclude[i]
}

// bitSet holds item indexes a bit each, item i at bit i modulo its size
// (64 x a power of two words). Sized for the whole catalogue (newItemSet)
// no two items share a bit and it holds exactly the items added: an eighth
// of the memory of a []bool, so checks of items scattered over a large
// catalogue miss the cache less often. Smaller (newBitFilter), items share
// bits, and has is "maybe" for a set bit but a sure "no" for a clear one:
// put in front of a map, it spares the map look-up of most items not in
// the set and leaves the answers the map's.
type bitSet []uint64

// newItemSet returns an empty set that holds any of n items exactly.
func newItemSet(n int) bitSet {
	words := 1
	for words*64 < n {
		words *= 2
	}
	return make(bitSet, words)
}

// newBitFilter returns an empty filter of words 64-bit words (a power of
// two).
func newBitFilter(words int) bitSet { return make(bitSet, words) }

func (b bitSet) add(i int32) { b[(uint32(i)/64)&uint32(len(b)-1)] |= 1 << (uint32(i) % 64) }

// has tells whether i's bit is set (see bitSet: exact for an item set).
func (b bitSet) has(i int32) bool {
	return b[(uint32(i)/64)&uint32(len(b)-1)]&(1<<(uint32(i)%64)) != 0
}

// inCategories reports whether product p's department, category or
// subcategory is in set.
func inCategories(set map[string]bool, p *shelfwise.Product) bool {
	return set[p.Department] || set[p.Category] || set[p.Subcategory]
}

func setOf(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// allows applies the item-level rules (not the list-level ones).
func (c *compiled) allows(i int32) bool {
	m := c.m
	if m.nonProduct.has(i) || c.excluded(i) {
		return false
	}
	if c.cats != nil || c.excats != nil {
		p := &m.products[i]
		if c.cats != nil && !inCategories(c.cats, p) {
			return false
		}
		if c.excats != nil && inCategories(c.excats, p) {
			return false
		}
	}
	if c.lo > 0 || c.hi > 0 {
		if pr := m.price[i]; pr > 0 && ((c.lo > 0 && pr < c.lo) || (c.hi > 0 && pr > c.hi)) {
			return false
		}
	}
	if c.f.InStock != nil && !c.f.InStock(m.Log.Items[i]) {
		return false
	}
	return true
}

// selectList picks up to n items from candidates (best first) under the
// list-level rules: category cap, variant deduplication, promoted share.
func (c *compiled) selectList(cands []int32, n int) []int32 {
	f := c.f
	// The categories and variant families taken so far, each once: a list
	// holds a few, so a scan costs less than a map.
	// Each take adds at most one of each, so n entries always suffice.
	var catArr [32]catCount
	var famArr [32]string
	cats, fams := catArr[:0], famArr[:0]
	if n > len(catArr) {
		cats, fams = make([]catCount, 0, n), make([]string, 0, n)
	}
	ok := func(i int32) bool {
		if cat := c.m.category[i]; f.MaxPerCategory > 0 && cat != "" {
			for _, cc := range cats {
				if cc.cat == cat && cc.n >= f.MaxPerCategory {
					return false
				}
			}
		}
		return !f.DedupeVariants || !slices.Contains(fams, c.m.family[i])
	}
	take := func(i int32) {
		cat := c.m.category[i]
		k := slices.IndexFunc(cats, func(cc catCount) bool { return cc.cat == cat })
		if k < 0 {
			k = len(cats)
			cats = append(cats, catCount{cat: cat})
		}
		cats[k].n++
		if fam := c.m.family[i]; !slices.Contains(fams, fam) {
			fams = append(fams, fam)
		}
	}
	var picked map[int32]bool // the promoted items taken first
	nPromo := 0
	if c.promoted != nil && f.PromotedShare > 0 {
		nPromo = int(math.Round(f.PromotedShare * float64(n)))
		picked = map[int32]bool{}
	}
	for _, i := range cands {
		if nPromo == 0 {
			break
		}
		if c.promoted[i] && ok(i) {
			picked[i] = true
			take(i)
			nPromo--
		}
	}
	out := make([]int32, 0, n)
	for _, i := range cands {
		if len(out) >= n {
			break
		}
		if picked[i] {
			out = append(out, i)
			continue
		}
		if len(out)+countPending(picked, out) >= n || !ok(i) {
			continue
		}
		take(i)
		out = append(out, i)
	}
	return out
}

// catCount is how many items of a category a list holds.
type catCount struct {
	cat string
	n   int
}

// countPending counts picked (promoted) items not yet placed in out.
func countPending(picked map[int32]bool, out []int32) int {
	n := len(picked)
	for _, i := range out {
		if picked[i] {
			n--
		}
	}
	return n
}

// filteredTop returns the best `want` items of scores that the filter
// allows, best first. The filter is asked only about items good enough to
// enter the list so far (topKWhere), never the whole catalogue.
func (c *compiled) filteredTop(scores []float64, want int) []int32 {
	return topKWhere(scores, want, c.allows)
}

// filteredTopInto is filteredTop appending to dst, with buf as the
// selection's buffer (see topKFloor); it returns both for reuse.
func (c *compiled) filteredTopInto(dst []int32, buf []scored, scores []float64, want int) ([]int32, []scored) {
	if want <= smallK {
		return append(dst, c.filteredTop(scores, want)...), buf
	}
	return topKFloor(dst, buf, scores, want, c.allows, math.Inf(-1))
}

// Narrow applies f to recs, a ranked list from this model (Similar,
// BoughtTogether, Trending): it keeps, in order, the items that pass the
// product rules (categories, prices, the price band around a product,
// stock, exclusions, non-products) and then picks up to n under the list
// rules (category cap, variant deduplication, promoted share among the
// items listed). NewOnly and Repeatable, which need a customer, are not
// applied. Items the model does not know are left out.
func (m *Model) Narrow(recs []shelfwise.Recommendation, f Filter, n int) []shelfwise.Recommendation {
	f.NewOnly = false
	c := m.compile(&f, nil)
	cands := make([]int32, 0, len(recs))
	at := make(map[int32]int, len(recs)) // item -> its first place in recs
	for k, r := range recs {
		i := m.Log.Item(r.SKU)
		if i < 0 || !c.allows(int32(i)) {
			continue
		}
		if _, dup := at[int32(i)]; !dup {
			at[int32(i)] = k
			cands = append(cands, int32(i))
		}
	}
	picked := c.selectList(cands, n)
	out := make([]shelfwise.Recommendation, len(picked))
	for k, i := range picked {
		out[k] = recs[at[i]]
	}
	return out
}
