package recommend

import (
	"fmt"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// erasedPrefix starts the placeholder key of an erased customer's slot in
// a model's log. Pseudonyms are hexadecimal, so no customer has it.
const erasedPrefix = "erased#"

// Retain returns a copy of the model without the customers keep rejects:
// their purchase histories, views and carts, baskets and ALS user vectors
// are removed, and their key is replaced by a placeholder, so the copy
// treats them as unknown customers (cold start) and its saved form holds
// nothing of them. Item-level statistics learned from them (neighbours,
// bought-together rules, trending) are aggregates and stay. The receiver is
// unchanged (readers may be using it); when no customer is dropped it is
// returned itself. The count is the number of customers removed.
func (m *Model) Retain(keep func(shelfwise.CustomerKey) bool) (*Model, int, error) {
	var drop []int
	for u, c := range m.Log.Users {
		if !strings.HasPrefix(string(c), erasedPrefix) && !keep(c) {
			drop = append(drop, u)
		}
	}
	if len(drop) == 0 {
		return m, 0, nil
	}
	// A deep copy through the saved form: the model's parts share slices.
	data, err := m.MarshalBinary()
	if err != nil {
		return nil, 0, fmt.Errorf("recommend: erasing customers: %w", err)
	}
	c, err := UnmarshalModel(data)
	if err != nil {
		return nil, 0, fmt.Errorf("recommend: erasing customers: %w", err)
	}
	lg := c.Log
	gone := make(map[int32]bool, len(drop))
	for _, u := range drop {
		gone[int32(u)] = true
		delete(lg.userIndex, lg.Users[u])
		lg.Users[u] = shelfwise.CustomerKey(fmt.Sprintf("%s%d", erasedPrefix, u))
		lg.Histories[u] = nil
		if lg.Signals != nil {
			lg.Signals[u] = nil
		}
	}
	for b, u := range lg.BasketUser {
		if gone[u] {
			lg.Baskets[b] = nil
		}
	}
	seen := map[*ALS]bool{}
	for _, h := range []*Hybrid{c.All, c.New} {
		for _, comp := range h.Components {
			a, ok := comp.Scorer.(*ALS)
			if !ok || seen[a] {
				continue
			}
			seen[a] = true
			for _, u := range drop {
				clear(a.U[u*a.f : (u+1)*a.f])
			}
		}
	}
	return c, len(drop), nil
}

// Replace serves m instead of the current model, keeping every live event:
// for a model learned from the same data, such as the copy Retain returns
// after an erasure (Swap instead drops the live events the new model has
// learned). Customers' and sessions' derived state is recomputed for m on
// their next request; the old model's cached summaries (an erased
// customer's among them) are dropped at once.
func (e *Engine) Replace(m *Model) {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	e.model.Store(m)
	e.summaries.Store(nil)
}
