package recommend

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestStrengthsHandComputed checks the interaction strength of purchases,
// carts, views and returns against hand-computed values (no decay).
func TestStrengthsHandComputed(t *testing.T) {
	h := []Event{{Item: 0, Qty: 2}, {Item: 0, Qty: 2}, {Item: 1, Qty: 1}}
	sig := []Signal{{Item: 2, Kind: KindView, Qty: 1}, {Item: 3, Kind: KindCart, Qty: 1}, {Item: 0, Kind: KindReturn, Qty: 4}}
	got := func(w Weights) map[int32]float64 {
		items, st := Strengths(h, sig, 0, 0, w)
		m := map[int32]float64{}
		for k, it := range items {
			m[it] = st[k]
		}
		return m
	}
	full := got(DefaultWeights)
	if _, ok := full[0]; ok {
		t.Errorf("fully returned item kept strength %v", full[0])
	}
	want := map[int32]float64{1: 1, 2: DefaultWeights.View, 3: DefaultWeights.Cart}
	for it, w := range want {
		if math.Abs(full[it]-w) > 1e-12 {
			t.Errorf("item %d: strength %v, want %v", it, full[it], w)
		}
	}
	if !(full[1] > full[3] && full[3] > full[2]) {
		t.Errorf("want purchase > cart > view, got %v", full)
	}
	w := DefaultWeights
	w.Return, w.Quantity = 0.5, 1
	half := got(w)
	// two lines of 2 units: 2 x (1 + log 3), halved by returning 4 of 4 units at weight 0.5
	if e := 2 * (1 + math.Log(3)) * 0.5; math.Abs(half[0]-e) > 1e-12 {
		t.Errorf("half-weighted return: strength %v, want %v", half[0], e)
	}
}

// TestReturnRemovesWeight checks that a fully returned item leaves the ALS
// rows and the item-kNN profile, and a half-returned one keeps half.
func TestReturnRemovesWeight(t *testing.T) {
	ps := []Purchase{buy(0, 0, 1), buy(0, 1, 1), buy(1, 0, 2), buy(1, 1, 2), buy(2, 1, 3), buy(2, 2, 3)}
	ps[0].Quantity = 2
	lg := NewLog(ps)
	lg.AddInteractions([]Interaction{{Customer: cust(0), SKU: sku(0), Time: day(5), Kind: KindReturn, Quantity: 2}})
	a := NewALSModel(lg, ALSConfig{Factors: 2, Reg: 0.1, Alpha: 1, Eps: 1, CGSteps: 2, Seed: 1})
	for _, e := range a.rows[0] {
		if e.idx == 0 {
			t.Errorf("fully returned item still in the ALS row: %+v", a.rows[0])
		}
	}
	if len(a.rows[1]) != 2 {
		t.Errorf("customer 1 without returns has %d entries, want 2", len(a.rows[1]))
	}
	knn, err := NewItemKNN(context.Background(), lg, KNNConfig{K: 10, Alpha: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	score := func(sig []Signal) []float64 {
		out := make([]float64, lg.NumItems())
		knn.Score(&Query{User: 0, History: lg.Histories[0][:1], Signals: sig, Now: lg.End}, out)
		return out
	}
	if s := score(lg.Signals[0]); s[1] != 0 {
		t.Errorf("profile of a fully returned item still scores its neighbour: %v", s)
	}
	base := score(nil)
	halfSig := []Signal{{Item: 0, Kind: KindReturn, Qty: 1, Time: lg.End}}
	if s := score(halfSig); base[1] <= 0 || math.Abs(s[1]-base[1]/2) > 1e-9 {
		t.Errorf("half return: neighbour score %v, want half of %v", s[1], base[1])
	}
}

// TestColdCustomerWithEvents: a customer with no purchases who viewed one
// item and carted another gets them (and their taste group) ranked above
// items of other groups they never touched.
func TestColdCustomerWithEvents(t *testing.T) {
	ps := tasteGroups()
	cold := shelfwise.CustomerKey("cold")
	viewed, carted := sku(3), sku(8) // both in taste group 0 (items 0..29)
	evs := []shelfwise.Event{
		{Customer: cold, SKU: viewed, Type: shelfwise.EventView, Time: day(80)},
		{Customer: cold, SKU: carted, Type: shelfwise.EventCart, Time: day(81)},
		{Customer: cold, Type: shelfwise.EventSearch, Query: "mugs", Time: day(81)},
	}
	cfg := DefaultModel
	cfg.Hybrid.ValidationDays = 14
	cfg.Hybrid.ALS.Iterations = 5
	cfg.Hybrid.ALS.Factors = 8
	m, err := TrainModel(context.Background(), TrainInput{Purchases: ps, Interactions: InteractionsFromEvents(evs)}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	u := m.Log.User(cold)
	if u < 0 || len(m.Log.Signals[u]) != 2 {
		t.Fatalf("cold customer not in the log with 2 signals (index %d)", u)
	}
	// The implicit-feedback models rank the touched items above every
	// untouched item of the other groups.
	for _, sc := range []struct {
		name string
		s    Scorer
	}{{"als", m.als}, {"knn", m.knn}} {
		out := make([]float64, m.Log.NumItems())
		sc.s.Score(&Query{User: u, Signals: m.Log.Signals[u], Now: m.Log.End}, out)
		for _, s := range []shelfwise.SKU{viewed, carted} {
			si := out[m.Log.Item(s)]
			for i := 30; i < 90; i++ {
				if o := out[m.Log.Item(sku(i))]; o >= si {
					t.Errorf("%s: untouched %s (other group) scores %v >= touched %s %v", sc.name, sku(i), o, s, si)
				}
			}
		}
	}
	recs, err := NewEngine(m).Recommend(context.Background(), Request{Customer: cold, N: 10})
	if err != nil {
		t.Fatal(err)
	}
	inGroup := 0
	for _, r := range recs {
		var i int
		if _, err := fmtSscan(string(r.SKU), &i); err == nil && i < 30 {
			inGroup++
		}
	}
	if inGroup < 7 {
		t.Errorf("only %d of 10 recommendations in the customer's viewed group: %+v", inGroup, recs)
	}
}

// tasteGroups are 60 customers' purchases in three taste groups of 30
// items, with no purchase across groups.
func tasteGroups() []Purchase {
	var ps []Purchase
	for u := 0; u < 60; u++ {
		g := u % 3
		for k := 0; k < 12; k++ {
			ps = append(ps, buy(u, g*30+(u*7+k*5)%30, float64(k*7+u%5)))
		}
	}
	return ps
}

// TestTrainedAtLatestInteraction: a model trained on interactions later
// than the latest purchase is dated by the latest interaction, and a
// request scores then by default, so a customer's view after the latest
// purchase counts as what they just looked at (were the request scored at
// the latest purchase, the view would come after it and be ignored).
func TestTrainedAtLatestInteraction(t *testing.T) {
	ps := tasteGroups()
	var end time.Time
	for _, p := range ps {
		if p.Time.After(end) {
			end = p.Time
		}
	}
	c, viewed := shelfwise.CustomerKey("viewer"), sku(3)
	at := end.Add(2 * time.Hour)
	cfg := DefaultModel
	cfg.Hybrid.ValidationDays = 14
	cfg.Hybrid.ALS.Iterations = 5
	cfg.Hybrid.ALS.Factors = 8
	xs := []Interaction{{Customer: c, SKU: viewed, Time: at, Kind: KindView, Quantity: 1}}
	m, err := TrainModel(context.Background(), TrainInput{Purchases: ps, Interactions: xs}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !m.TrainedAt.Equal(at) {
		t.Fatalf("trained at %v, want the view's time %v (latest purchase %v)", m.TrainedAt, at, end)
	}
	recs, err := NewEngine(m).Recommend(context.Background(), Request{Customer: c, N: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.SKU == viewed {
			if r.Reason != "you looked at this" {
				t.Fatalf("the viewed product's reason %q, want %q", r.Reason, "you looked at this")
			}
			return
		}
	}
	t.Fatalf("the viewed product is not listed: %+v", recs)
}

func fmtSscan(s string, i *int) (int, error) { return fmt.Sscanf(s, "P%04d", i) }

// TestUserItems: distinct items in order of first purchase with their line
// counts, for a short history (scanned) and a long one (mapped).
func TestUserItems(t *testing.T) {
	pattern := []int32{3, 1, 3, 2, 1, 3}
	for _, reps := range []int{1, 20} {
		var h []Event
		for r := 0; r < reps; r++ {
			for _, it := range pattern {
				h = append(h, Event{Item: it})
			}
		}
		items, lines := UserItems(h)
		r := int32(reps)
		if !slices.Equal(items, []int32{3, 1, 2}) || !slices.Equal(lines, []int32{3 * r, 2 * r, r}) {
			t.Fatalf("%d events: items %v lines %v, want [3 1 2] [%d %d %d]", len(h), items, lines, 3*r, 2*r, r)
		}
	}
	if items, lines := UserItems(nil); items != nil || lines != nil {
		t.Fatalf("empty history: %v %v", items, lines)
	}
}
