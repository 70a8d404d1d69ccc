package recommend

import (
	"context"
	"math"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestSessionModelHandComputed checks the transitions NewSessionModel
// learns from browsing sessions and baskets against hand-computed ones,
// and the anchor that explains a session's item.
func TestSessionModelHandComputed(t *testing.T) {
	var ps []Purchase
	for i := 0; i < 10; i++ {
		ps = append(ps, buyIn(1, i, 0, 1)) // every item in the log
	}
	// Customer 0's consecutive baskets: {P0, P3} then {P4}.
	ps = append(ps, buyIn(0, 0, 1, 2), buyIn(0, 3, 1, 2), buyIn(0, 4, 2, 3))
	lg := NewLog(ps)
	sessions := [][]shelfwise.SKU{
		{sku(0), sku(1), sku(2)},
		{sku(0), sku(1)},
		{sku(0), sku(0), sku(1), "UNKNOWN"}, // a repeat counts once, an unknown product not at all
		{sku(5), sku(6), sku(7), sku(8), sku(9)},
	}
	cfg := DefaultSession
	m, err := NewSessionModel(context.Background(), lg, sessions, cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := func(a, b int) float64 {
		for _, nb := range m.Next[lg.Item(sku(a))] {
			if nb.Item == int32(lg.Item(sku(b))) {
				return float64(nb.Sim)
			}
		}
		return 0
	}
	for _, c := range []struct {
		a, b int
		want float64
	}{
		// P0 leads to P1 in three sessions (1 each) and to P2 one step
		// further in one (Decay 0.5): 3 / 3.5 and 0.5 / 3.5. Browsed, so
		// its basket transition to P4 is left out.
		{0, 1, 3 / 3.5}, {0, 2, 0.5 / 3.5}, {0, 4, 0},
		{1, 2, 1},
		// P3 is never browsed: its transition is the baskets' P3 -> P4.
		{3, 4, 1},
		// The window: P5 leads to the next three (1, 0.5, 0.25), not P9.
		{5, 6, 1 / 1.75}, {5, 7, 0.5 / 1.75}, {5, 8, 0.25 / 1.75}, {5, 9, 0},
	} {
		if got := p(c.a, c.b); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("P(%s next | %s) = %v, want %v", sku(c.b), sku(c.a), got, c.want)
		}
	}
	for i, want := range []bool{true, true, false, false, false, true, true, true, true, false} {
		if got := m.Browsed[lg.Item(sku(i))]; got != want {
			t.Errorf("Browsed[%s] = %v, want %v", sku(i), got, want)
		}
	}
	it := func(i int) int32 { return int32(lg.Item(sku(i))) }
	// P2 after the session P0, P1: P1 (latest, weight 1, P = 1) leads to
	// it more than P0 (weight 0.5, P = 1/7).
	if a, browsed := m.anchor([]int32{it(0), it(1)}, it(2)); a != it(1) || !browsed {
		t.Errorf("anchor of P0002 after P0000, P0001: %d (browsed %v), want P0001 browsed", a, browsed)
	}
	if a, browsed := m.anchor([]int32{it(3)}, it(4)); a != it(3) || browsed {
		t.Errorf("anchor of P0004 after P0003: %d (browsed %v), want P0003 from baskets", a, browsed)
	}
	if a, _ := m.anchor([]int32{it(9)}, it(1)); a != -1 {
		t.Errorf("anchor without a transition: %d, want -1", a)
	}
	// Without sessions, every transition comes from baskets.
	if m, err = NewSessionModel(context.Background(), lg, nil, cfg); err != nil {
		t.Fatal(err)
	}
	if m.Browsed != nil || p(0, 4) != 1 || p(0, 1) != 0 {
		t.Errorf("baskets alone: Browsed %v, P(P4|P0) %v (want 1), P(P1|P0) %v (want 0)", m.Browsed, p(0, 4), p(0, 1))
	}
}

// TestBlendSpan: the gap between the best and the k-th best finite score,
// which a session's transitions are weighed against.
func TestBlendSpan(t *testing.T) {
	inf := math.Inf(-1)
	for _, c := range []struct {
		out  []float64
		k    int
		want float64
	}{
		{[]float64{3, inf, 1, 2}, 2, 1},
		{[]float64{3, inf, 1, 2}, 3, 2},
		{[]float64{3, inf, 1, 2}, 10, 2}, // -Inf is not a score
		{[]float64{inf, 5, inf}, 3, 0},
		{nil, 50, 0},
	} {
		if got := blendSpan(c.out, c.k); got != c.want {
			t.Errorf("blendSpan(%v, %d) = %v, want %v", c.out, c.k, got, c.want)
		}
	}
}
