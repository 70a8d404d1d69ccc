package recommend

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestSummarizeMatchesReference checks Summarize against the map-based
// version it replaced on 3,000 random histories: baskets in runs of
// increasing number (as read from the store, the fast path), baskets that
// come back later or go back in number (the map path), equal times,
// single lines and the empty history. It fails when either basket count
// path is off.
func TestSummarizeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	if got, want := Summarize(nil), summarizeReference(nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("empty history: %+v, want %+v", got, want)
	}
	fast, slow := 0, 0
	for n := range 3000 {
		var h []Event
		now := int64(1_600_000_000)
		b := int32(r.IntN(5))
		for range 1 + r.IntN(5+n%200) {
			switch x := r.IntN(10); {
			case x < 3: // next basket, later
				b += 1 + int32(r.IntN(3))
				now += int64(r.IntN(40)) * 86400 // whole days: some exactly RecentDays before the end
			case x == 3 && n%2 == 1: // an earlier basket again
				b = int32(r.IntN(int(b) + 1))
			}
			h = append(h, Event{Item: int32(r.IntN(30)), Basket: b, Time: now - int64(r.IntN(2))*3600, Qty: float32(r.IntN(5))})
		}
		for k := 1; k < len(h); k++ { // histories are in time order
			h[k].Time = max(h[k].Time, h[k-1].Time)
		}
		got, want := Summarize(h), summarizeReference(h)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("history %d (%d lines):\n got  %+v\n want %+v", n, len(h), got, want)
		}
		if runsIncrease(h) {
			fast++
		} else {
			slow++
		}
	}
	if fast < 500 || slow < 500 {
		t.Fatalf("%d histories took the run-based path and %d the map, want 500 each", fast, slow)
	}
}

// runsIncrease reports whether each basket of h is one run of lines, the
// runs in increasing basket order (basketCounts' fast path).
func runsIncrease(h []Event) bool {
	for k := 1; k < len(h); k++ {
		if h[k].Basket < h[k-1].Basket {
			return false
		}
	}
	return true
}

// summarizeReference is Summarize as it was before its pooled buffers and
// run-based basket counts: the reference TestSummarizeMatchesReference
// checks it against.
func summarizeReference(h []Event) *Summary {
	sm := &Summary{}
	pos := make(map[int32]int, len(h)) // item -> its place in sm.Items
	// Per item (by place): the basket of its latest line and of its first.
	lastBasket := make([]int32, 0, len(h))
	firstBasket := make([]int32, 0, len(h))
	basketLast := make(map[int32]int64) // basket -> time of its latest line
	var end int64
	if len(h) > 0 {
		end = h[len(h)-1].Time
	}
	first := int32(-3)
	repeats, later := 0, 0
	for k, e := range h {
		if t, ok := basketLast[e.Basket]; !ok {
			basketLast[e.Basket] = e.Time
			sm.Baskets++
		} else if e.Time > t {
			basketLast[e.Basket] = e.Time
		}
		if k == 0 {
			first = e.Basket
			sm.First = e.Time
		}
		p, ok := pos[e.Item]
		if e.Basket != first {
			later++
			if ok && firstBasket[p] != e.Basket {
				repeats++
			}
		}
		if !ok {
			p = len(sm.Items)
			pos[e.Item] = p
			sm.Items = append(sm.Items, ItemStats{Item: e.Item, First: e.Time})
			lastBasket = append(lastBasket, -2)
			firstBasket = append(firstBasket, e.Basket)
		}
		s := &sm.Items[p]
		s.Lines++
		if end-e.Time <= RecentDays*86400 {
			s.Recent++
		}
		s.Qty += float64(e.Qty)
		s.Last = e.Time
		if lastBasket[p] != e.Basket {
			lastBasket[p] = e.Basket
			s.Baskets++
		}
		sm.MaxLines = max(sm.MaxLines, s.Lines)
	}
	if later > 0 {
		sm.RepeatRate = float64(repeats) / float64(later)
	}
	sm.Last = end
	for _, t := range basketLast {
		if end-t <= RecentDays*86400 {
			sm.RecentBaskets++
		}
	}
	return sm
}
