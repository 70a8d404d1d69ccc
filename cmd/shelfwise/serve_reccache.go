package main

import (
	"strings"
	"sync"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/recommend"
)

// recCacheMax bounds the customers a recCache holds; past it the cache
// starts over (a burst of unknown customer ids cannot grow it without end).
const recCacheMax = 1 << 16

// recCache keeps the recommendation lists served to customers by one model,
// so a customer asking again gets the same list without scoring the
// catalogue again. A live event of a customer (observe) drops that
// customer's lists, erasure drops them too, and promoting a model replaces
// the whole cache. Lists are shared between requests and never modified.
type recCache struct {
	model *recommend.Model // the model every list came from

	mu    sync.RWMutex
	slots map[shelfwise.CustomerKey]*recSlot
}

// recSlot is one customer's lists by query. gen counts invalidations: a
// list computed while an event of the customer arrived is not stored.
type recSlot struct {
	gen   uint64
	lists map[recKey]shelfhttp.RecList
}

// recKey is the part of a query that changes the list.
type recKey struct {
	n                    int
	newOnly              bool
	department, category string
	exclude              string // SKUs joined by "\x00"
	repeatable           string // categories joined by "\x00"
	rules                recRulesKey
}

// recRulesKey is the comparable form of a query's business rules (in_stock
// lists are never cached).
type recRulesKey struct {
	perCat             int
	minPrice, maxPrice float64
	around             shelfwise.SKU
	band, share        float64
	promoted           string // SKUs joined by "\x00"
}

func newRecCache(m *recommend.Model) *recCache {
	return &recCache{model: m, slots: map[shelfwise.CustomerKey]*recSlot{}}
}

func keyOf(q shelfhttp.RecQuery) recKey {
	ru := q.Rules
	return recKey{n: q.N, newOnly: q.NewOnly, department: q.Department, category: q.Category, exclude: joinKey(q.Exclude),
		repeatable: joinKey(q.Repeatable),
		rules: recRulesKey{perCat: ru.MaxPerCategory, minPrice: ru.MinPrice, maxPrice: ru.MaxPrice, around: ru.Around,
			band: ru.PriceBand, share: ru.PromotedShare, promoted: joinKey(ru.Promoted)}}
}

// joinKey joins SKUs or categories with "\x00", which none holds.
func joinKey[S ~string](ss []S) string {
	var sb strings.Builder
	for i, s := range ss {
		if i > 0 {
			sb.WriteByte(0)
		}
		sb.WriteString(string(s))
	}
	return sb.String()
}

// get returns the cached list of c for k, or the slot and generation under
// which to store a list computed now.
func (rc *recCache) get(c shelfwise.CustomerKey, k recKey) (shelfhttp.RecList, bool, *recSlot, uint64) {
	rc.mu.RLock()
	s := rc.slots[c]
	if s != nil {
		if l, ok := s.lists[k]; ok {
			rc.mu.RUnlock()
			return l, true, nil, 0
		}
		gen := s.gen
		rc.mu.RUnlock()
		return shelfhttp.RecList{}, false, s, gen
	}
	rc.mu.RUnlock()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if s = rc.slots[c]; s == nil {
		if len(rc.slots) >= recCacheMax {
			rc.slots = map[shelfwise.CustomerKey]*recSlot{}
		}
		s = &recSlot{}
		rc.slots[c] = s
	}
	return shelfhttp.RecList{}, false, s, s.gen
}

// put stores l for c and k unless c's lists were invalidated (or the cache
// started over) since get returned s and gen.
func (rc *recCache) put(c shelfwise.CustomerKey, k recKey, s *recSlot, gen uint64, l shelfhttp.RecList) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if s.gen != gen || rc.slots[c] != s {
		return
	}
	if s.lists == nil {
		s.lists = make(map[recKey]shelfhttp.RecList, 1)
	}
	if len(s.lists) >= 16 { // many filter combinations: keep the newest few
		clear(s.lists)
	}
	s.lists[k] = l
}

// invalidate drops the lists of the customers in cs.
func (rc *recCache) invalidate(cs ...shelfwise.CustomerKey) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, c := range cs {
		if s := rc.slots[c]; s != nil {
			s.gen++
			s.lists = nil
		}
	}
}

// forget removes everything about c (erasure).
func (rc *recCache) forget(c shelfwise.CustomerKey) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if s := rc.slots[c]; s != nil {
		s.gen++
		s.lists = nil
		delete(rc.slots, c)
	}
}

// len returns the number of customers with a slot.
func (rc *recCache) len() int {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return len(rc.slots)
}
