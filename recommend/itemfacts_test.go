package recommend

import (
	"math"
	"testing"
)

// TestItemFacts checks the catalogue-wide item facts on a hand-made log,
// and that a log cut earlier describes its items as of its own end.
func TestItemFacts(t *testing.T) {
	ps := []Purchase{
		// Item 1: customer 1 on day 0 (outside both windows), 4 on day 5
		// (28-day window only), 2 on days 10 and 25 (counted once), 3 on
		// day 26.
		buy(1, 1, 0), buy(4, 1, 5), buy(2, 1, 10), buy(2, 1, 25), buy(3, 1, 26),
		// Item 3: customer 1 at the log's end.
		buy(1, 3, 30),
	}
	lg := NewLog(ps, sku(2)) // item 2: in the catalogue, never sold
	facts := itemFacts(lg)
	if len(facts) != lg.NumItems()*numItemFacts {
		t.Fatalf("%d facts for %d items", len(facts), lg.NumItems())
	}
	want := map[int][numItemFacts]float64{
		1: {math.Log(3), math.Log(4), 4, 30},
		2: {0, 0, noSale, noSale},
		3: {math.Log(2), math.Log(2), 0, 0},
	}
	for i, w := range want {
		got := factsOf(facts, int32(lg.Item(sku(i))))
		for k := range w {
			if math.Abs(float64(got[k])-w[k]) > 1e-5 {
				t.Errorf("item %d fact %d = %v, want %v", i, k, got[k], w[k])
			}
		}
	}
	// Cut before day 20: the log ends on day 10; item 1 had customers 4
	// and 2 in the week before, 1, 4 and 2 in the last 28 days.
	early, _ := SplitAt(ps, day(20))
	el := NewLog(early)
	got := factsOf(itemFacts(el), int32(el.Item(sku(1))))
	for k, w := range [numItemFacts]float64{math.Log(3), math.Log(4), 0, 10} {
		if math.Abs(float64(got[k])-w) > 1e-5 {
			t.Errorf("cut log: item 1 fact %d = %v, want %v", k, got[k], w)
		}
	}
	// Items outside the facts get the sentinels a reranker without facts
	// saw.
	if x := factsOf(nil, 0); [numItemFacts]float32(x) != noFacts {
		t.Errorf("no facts: %v", x)
	}
	if x := factsOf(facts, int32(lg.NumItems())); [numItemFacts]float32(x) != noFacts {
		t.Errorf("item beyond the facts: %v", x)
	}
}

// TestTuningFactsBeforeCut: the tuning table's candidates carry the item
// facts of the log before each validation window's cut, never of the
// purchases inside the window or after it.
func TestTuningFactsBeforeCut(t *testing.T) {
	lg, cfg, tb := synthTuningTable(t)
	if tb == nil || len(tb.windowEnds) != 2 {
		t.Fatal("want a table of two windows")
	}
	all := lg.Purchases()
	differ := 0
	start := 0
	for win, end := range tb.windowEnds {
		fit, _ := SplitAt(all, CutTime(all, cfg.ValidationDays*(win+1)))
		sub := NewLog(fit)
		want := itemFacts(sub)
		full := itemFacts(lg)
		for _, tu := range tb.users[start:end] {
			for ci, it := range tu.cands {
				got := tu.tail(ci)[numItemExtras : numItemExtras+numItemFacts]
				w := factsOf(want, it)
				if [numItemFacts]float32(got) != [numItemFacts]float32(w) {
					t.Fatalf("window %d item %d: facts %v, want %v (log before the cut)", win, it, got, w)
				}
				// The same SKU in the whole log.
				if f := factsOf(full, int32(lg.Item(sub.Items[it]))); [numItemFacts]float32(f) != [numItemFacts]float32(got) {
					differ++
				}
			}
		}
		start = end
	}
	if differ == 0 {
		t.Fatal("facts before the cuts equal those of the whole log: the test cannot tell them apart")
	}
}
