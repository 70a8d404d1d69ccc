package propensity

import (
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

func TestFromEvents(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC) // a Monday
	ev := func(sess string, sec int, typ shelfwise.EventType, sku string, price float64) shelfwise.Event {
		return shelfwise.Event{Session: shelfwise.SessionID(sess), Time: t0.Add(time.Duration(sec) * time.Second), Type: typ, SKU: shelfwise.SKU(sku), Price: price, Quantity: 1}
	}
	events := []shelfwise.Event{
		ev("b", 5, shelfwise.EventView, "x", 10),
		ev("a", 0, shelfwise.EventView, "p1", 4),
		ev("a", 30, shelfwise.EventView, "p2", 6),
		ev("a", 40, shelfwise.EventSearch, "", 0),
		ev("a", 60, shelfwise.EventCart, "p2", 6),
		ev("a", 90, shelfwise.EventPurchase, "p2", 6),
		ev("a", 120, shelfwise.EventView, "p3", 100), // after the purchase: ignored
	}
	ss := FromEvents(events)
	if len(ss) != 2 || ss[0].ID != "a" || ss[1].ID != "b" {
		t.Fatalf("sessions %+v", ss)
	}
	a := ss[0]
	want := map[string]float64{"views": 2, "searches": 1, "carts": 1, "products": 2, "duration_seconds": 60, "cart_value": 6, "mean_view_price": 5}
	for k, v := range want {
		if a.Features[k] != v {
			t.Errorf("%s=%v, want %v", k, a.Features[k], v)
		}
	}
	if !a.Purchased || ss[1].Purchased {
		t.Fatal("purchase flags wrong")
	}
	if a.Categorical["hour"] != "14" || a.Categorical["weekday"] != "Monday" || a.Categorical["known"] != "false" {
		t.Fatalf("categorical %v", a.Categorical)
	}
}
