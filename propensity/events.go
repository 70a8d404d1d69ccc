package propensity

import (
	"sort"
	"strconv"

	"github.com/shelfwise/shelfwise"
)

// FromEvents summarises behaviour events into one Session per session ID:
// counts of views, searches and add-to-carts, distinct products, duration,
// cart value and mean viewed price, with the start hour, weekday and
// whether the customer is known as categories. Only events before the
// session's first purchase count (what a live scorer would have seen);
// Purchased is true when the session has a purchase. Sessions are
// returned in order of their first event.
func FromEvents(events []shelfwise.Event) []shelfwise.Session {
	byID := map[shelfwise.SessionID][]shelfwise.Event{}
	var order []shelfwise.SessionID
	for _, e := range events {
		if e.Session == "" {
			continue
		}
		if _, ok := byID[e.Session]; !ok {
			order = append(order, e.Session)
		}
		byID[e.Session] = append(byID[e.Session], e)
	}
	out := make([]shelfwise.Session, 0, len(order))
	for _, id := range order {
		evs := byID[id]
		sort.SliceStable(evs, func(a, b int) bool { return evs[a].Time.Before(evs[b].Time) })
		out = append(out, summarise(id, evs))
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Start.Before(out[b].Start) })
	return out
}

// summarise builds one session from its time-ordered events.
func summarise(id shelfwise.SessionID, evs []shelfwise.Event) shelfwise.Session {
	s := shelfwise.Session{ID: id, Start: evs[0].Time, Customer: evs[0].Customer}
	var views, searches, carts, cartValue, viewPrice, viewPriced float64
	skus := map[shelfwise.SKU]bool{}
	last := evs[0].Time
	for _, e := range evs {
		if e.Type == shelfwise.EventPurchase {
			s.Purchased = true
			break
		}
		last = e.Time
		if e.Customer != "" {
			s.Customer = e.Customer
		}
		switch e.Type {
		case shelfwise.EventView:
			views++
			if e.Price > 0 {
				viewPrice += e.Price
				viewPriced++
			}
		case shelfwise.EventSearch:
			searches++
		case shelfwise.EventCart:
			carts++
			q := e.Quantity
			if q <= 0 {
				q = 1
			}
			cartValue += q * e.Price
		}
		if e.SKU != "" {
			skus[e.SKU] = true
		}
	}
	meanPrice := 0.0
	if viewPriced > 0 {
		meanPrice = viewPrice / viewPriced
	}
	s.Features = map[string]float64{
		"views": views, "searches": searches, "carts": carts, "products": float64(len(skus)),
		"duration_seconds": last.Sub(s.Start).Seconds(), "cart_value": cartValue, "mean_view_price": meanPrice,
	}
	s.Categorical = map[string]string{
		"hour":    strconv.Itoa(s.Start.Hour()),
		"weekday": s.Start.Weekday().String(),
		"known":   strconv.FormatBool(s.Customer != ""),
	}
	return s
}
