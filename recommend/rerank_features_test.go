package recommend

import (
	"math"
	"testing"
)

// TestBasketRecencyAndItemExtras checks the reranker's basket and cycle
// features on a hand-computed history of seven baskets.
func TestBasketRecencyAndItemExtras(t *testing.T) {
	const day = 86400
	const A, B, C, D = 0, 1, 2, 3
	h := []Event{
		{Item: A, Basket: 10, Time: 0}, {Item: B, Basket: 10, Time: 0},
		{Item: A, Basket: 11, Time: 5 * day},
		{Item: C, Basket: 12, Time: 10 * day},
		{Item: A, Basket: 13, Time: 15 * day}, {Item: C, Basket: 13, Time: 15 * day},
		{Item: D, Basket: 14, Time: 20 * day},
		{Item: C, Basket: 15, Time: 25 * day},
		{Item: D, Basket: 16, Time: 30 * day}, {Item: C, Basket: 16, Time: 30 * day}, {Item: C, Basket: 16, Time: 30 * day},
	}
	// Baskets from the end: 16, 15, 14, 13, 12 are the latest five.
	want := map[int32]basketRec{A: {since: 3, inRecent: 1}, B: {since: 6, inRecent: 0}, C: {since: 0, inRecent: 4}, D: {since: 0, inRecent: 2}}
	got := basketRecency(h)
	if len(got) != len(want) {
		t.Fatalf("got %d items, want %d", len(got), len(want))
	}
	for it, w := range want {
		if got[it] != w {
			t.Errorf("item %d: %+v, want %+v", it, got[it], w)
		}
	}

	sm := Summarize(h)
	a, b := statsOf(sm, A), statsOf(sm, B)
	now := int64(40 * day)
	// A: three baskets over days 0-15 (cycle 7.5 days), last bought 25 days ago.
	x := itemExtras(a, got[A], sm.Baskets, now, 10)
	wantA := [numItemExtras]float64{25, math.Log(26 / 8.5), math.Log(26.0 / 11), math.Log(4), 3, 1.0 / 5}
	for k, v := range wantA {
		if math.Abs(float64(x[k])-v) > 1e-6 {
			t.Errorf("A feature %d = %v, want %v", k, x[k], v)
		}
	}
	// B: one basket, no cycle of its own nor a typical one.
	if x := itemExtras(b, got[B], sm.Baskets, now, 0); x != [numItemExtras]float32{40, noCycle, noCycle, float32(math.Log(2)), 6, 0} {
		t.Errorf("B: %v", x)
	}
	// Not bought: sentinels.
	if x := itemExtras(nil, basketRec{}, sm.Baskets, now, 10); x != [numItemExtras]float32{-1, noCycle, noCycle, 0, -1, 0} {
		t.Errorf("not bought: %v", x)
	}
	// Fewer baskets than the recent window: the share divides by them.
	two := basketRecency(h[:3])
	if x := itemExtras(a, two[A], 2, now, 0); x[5] != 1 || x[4] != 0 {
		t.Errorf("two baskets: share %v since %v, want 1 and 0", x[5], x[4])
	}
}

// TestQtyExtras checks the reranker's quantity features on a hand-computed
// history: 10 units on day 0, 4 + 6 on day 10, 12 + 8 on day 20 (two
// lines in each of the last two baskets).
func TestQtyExtras(t *testing.T) {
	const day = 86400
	const X, Y = 0, 1
	h := []Event{
		{Item: X, Basket: 1, Time: 0, Qty: 10},
		{Item: X, Basket: 2, Time: 10 * day, Qty: 4}, {Item: Y, Basket: 2, Time: 10 * day, Qty: 3}, {Item: X, Basket: 2, Time: 10 * day, Qty: 6},
		{Item: X, Basket: 3, Time: 20 * day, Qty: 12}, {Item: X, Basket: 3, Time: 20 * day, Qty: 8},
	}
	br := basketRecency(h)
	if br[X].lastQty != 20 || br[Y].lastQty != 3 {
		t.Fatalf("latest basket units: X %v (want 20), Y %v (want 3)", br[X].lastQty, br[Y].lastQty)
	}
	sm := Summarize(h)
	x, y := statsOf(sm, X), statsOf(sm, Y)
	now := int64(30 * day)
	// X: 20 units earlier over 20 days (1 a day), so the latest 20 last 20
	// days; 10 have passed.
	got := qtyExtras(x, br[X], now)
	want := [numQtyExtras]float64{math.Log(21), math.Log1p(40.0 / 3), math.Log(21) - math.Log1p(40.0/3), math.Log(11.0 / 21)}
	for k, v := range want {
		if math.Abs(float64(got[k])-v) > 1e-6 {
			t.Errorf("X feature %d = %v, want %v", k, got[k], v)
		}
	}
	// Y: one basket, no earlier pace.
	if got := qtyExtras(y, br[Y], now); got != [numQtyExtras]float32{float32(math.Log(4)), float32(math.Log(4)), 0, noCycle} {
		t.Errorf("Y: %v", got)
	}
	if got := qtyExtras(nil, basketRec{}, now); got != [numQtyExtras]float32{-1, -1, 0, noCycle} {
		t.Errorf("not bought: %v", got)
	}
}

// statsOf returns the statistics of item it in sm, nil if absent.
func statsOf(sm *Summary, it int32) *ItemStats {
	for k := range sm.Items {
		if sm.Items[k].Item == it {
			return &sm.Items[k]
		}
	}
	return nil
}
