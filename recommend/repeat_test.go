package recommend

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestRepeatFeaturesHandComputed checks the rate, customer-activity and
// last-basket features on a small history computed by hand.
func TestRepeatFeaturesHandComputed(t *testing.T) {
	// Item 1 in baskets on days 0, 20 and 40; item 2 on day 0 only; item 3
	// on day 40 (the latest basket).
	lg := NewLog([]Purchase{buyIn(0, 1, 0, 0), buyIn(0, 2, 0, 0), buyIn(0, 1, 1, 20),
		buyIn(0, 1, 2, 40), buyIn(0, 3, 2, 40)})
	sm := Summarize(lg.Histories[0])
	if sm.Baskets != 3 || sm.RecentBaskets != 3 || sm.Last != day(40).Unix() {
		t.Fatalf("summary baskets=%d recent=%d last=%v", sm.Baskets, sm.RecentBaskets, sm.Last)
	}
	stats := map[int]ItemStats{}
	for _, s := range sm.Items {
		var n int
		fmtSscan(string(lg.Items[s.Item]), &n)
		stats[n] = s
	}
	now := day(50).Unix()
	f1 := Repeat(stats[1], sm, now, 0)
	// 3 baskets over 50 days since the first purchase: 1 - exp(-30*3/50).
	if !near(f1.Rate30, 1-math.Exp(-30.0*3/50)) {
		t.Errorf("rate30=%v", f1.Rate30)
	}
	// 3 lines in the last 60 days of the history: 1 - exp(-30*3/60).
	if !near(f1.RecentRate, 1-math.Exp(-0.5*3)) {
		t.Errorf("recent rate=%v", f1.RecentRate)
	}
	// Lines after the first basket: 3 (item 1 twice, a repeat; item 3 new).
	if !near(f1.RepeatRate, 2.0/3) || !near(sm.RepeatRate, 2.0/3) {
		t.Errorf("repeat rate=%v", f1.RepeatRate)
	}
	if !near(f1.UserBaskets, math.Log(4)) || !near(f1.UserRecent, math.Log(4)) || !near(f1.UserActive, math.Exp(-10.0/30)) {
		t.Errorf("customer features %v %v %v", f1.UserBaskets, f1.UserRecent, f1.UserActive)
	}
	if f1.LastBasket != 1 {
		t.Errorf("item 1: last basket %v", f1.LastBasket)
	}
	f2 := Repeat(stats[2], sm, now, 0)
	if f2.LastBasket != 0 || f2.Due != 0 {
		t.Errorf("item 2 (one basket): %+v", f2)
	}
	if f3 := Repeat(stats[3], sm, now, 0); f3.LastBasket != 1 {
		t.Errorf("item 3 is in the latest basket: %+v", f3)
	}
}

// TestRepeatReason checks the explanation of a customer's own item on
// hand-made histories: a kept cycle in the present, a cycle the customer
// stopped keeping in the past with the month it ended, and the counts
// without a cycle.
func TestRepeatReason(t *testing.T) {
	day := int64(86400)
	last := time.Date(2011, 2, 10, 12, 0, 0, 0, time.UTC).Unix()
	sm := &Summary{Items: []ItemStats{
		{Item: 1, Baskets: 5, First: last - 56*day, Last: last}, // every 14 days
		{Item: 2, Baskets: 2, First: last - 30*day, Last: last},
		{Item: 3, Baskets: 1, First: last, Last: last},
		{Item: 4, Baskets: 30, First: last - 29*day, Last: last}, // every day
	}}
	for _, c := range []struct {
		item int32
		days int64 // from the latest purchase to now
		want string
	}{
		{1, 10, "you buy this every ~2 weeks"},
		{1, 60, "you buy this every ~2 weeks"}, // 60 days: not past max(3 x 14, 60)
		{1, 61, "you bought this every ~2 weeks until Feb 2011"},
		{2, 300, "you bought this 2 times"},
		{3, 5, "you bought this before"},
		{4, 2, "you buy this every day"},
		{4, 90, "you bought this every day until Feb 2011"},
		{9, 1, "you bought this before"},
	} {
		if got := repeatReason(sm, c.item, last+c.days*day); got != c.want {
			t.Errorf("item %d, %d days on: %q, want %q", c.item, c.days, got, c.want)
		}
	}
}

// TestRepeatAsFormula: the features the count tables and the customer
// part (repeatOf, computed once per customer) give are bit for bit their
// formulas, for counts on both sides of the tables' 256 entries: log(1 +
// n) of lines, recent lines, baskets and recent baskets, the recent rate,
// the basket share, the repeat rate, the activity and the latest-basket
// flag.
func TestRepeatAsFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 11))
	now := int64(1_700_000_000)
	count := func() int {
		if rng.IntN(4) == 0 {
			return 200 + rng.IntN(400)
		}
		return rng.IntN(20)
	}
	same := func(name string, got, want float64) {
		t.Helper()
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s %v, want %v", name, got, want)
		}
	}
	for trial := range 2000 {
		sm := &Summary{Baskets: count(), RecentBaskets: count(), RepeatRate: rng.Float64(), Last: now - int64(rng.IntN(400*86400))}
		rep := repeatOf(sm, now)
		for range 5 {
			s := ItemStats{Lines: count(), Recent: count(), Baskets: 1 + count(), First: now - 700*86400, Last: sm.Last - int64(rng.IntN(2)*86400)}
			f := rep.item(s, 0)
			if Repeat(s, sm, now, 0) != f {
				t.Fatalf("trial %d: Repeat and repeatOf(...).item differ", trial)
			}
			same("LogLines", f.LogLines, math.Log1p(float64(s.Lines)))
			same("LogRecent", f.LogRecent, math.Log1p(float64(s.Recent)))
			same("RecentRate", f.RecentRate, 1-math.Exp(-30*float64(s.Recent)/RecentDays))
			same("Share", f.Share, float64(s.Baskets)/float64(max(1, sm.Baskets)))
			same("RepeatRate", f.RepeatRate, sm.RepeatRate)
			same("UserBaskets", f.UserBaskets, math.Log1p(float64(sm.Baskets)))
			same("UserRecent", f.UserRecent, math.Log1p(float64(sm.RecentBaskets)))
			same("UserActive", f.UserActive, math.Exp(-math.Max(0, float64(now-sm.Last)/86400)/30))
			if last := s.Last == sm.Last; (f.LastBasket == 1) != last {
				t.Fatalf("trial %d: LastBasket %v with the item's latest purchase in the latest basket %v", trial, f.LastBasket, last)
			}
		}
	}
}
