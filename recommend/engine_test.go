package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// testModel trains a small model on the simulated shop (3 taste groups of
// 100 items, categories = groups, variants A/B on some codes) plus two
// catalogue items never bought.
func testModel(t testing.TB) (*Model, []map[int]bool) {
	t.Helper()
	testModelOnce.Do(func() { testModelM, testModelPrefs, testModelErr = trainTestModel() })
	if testModelErr != nil {
		t.Fatal(testModelErr)
	}
	return testModelM, testModelPrefs
}

var (
	testModelOnce  sync.Once
	testModelM     *Model
	testModelPrefs []map[int]bool
	testModelErr   error
)

func trainTestModel() (*Model, []map[int]bool, error) {
	ps, prefs := synth(11, 90, 300, 3, 120, 14)
	for k := range ps {
		ps[k].Price = float64(1 + ps[k].SKU[4]%5) // 1..5
	}
	var prods []shelfwise.Product
	for i := 0; i < 300; i++ {
		prods = append(prods, shelfwise.Product{SKU: sku(i), Name: fmt.Sprintf("item %d", i), Category: fmt.Sprintf("cat%d", i/100)})
	}
	prods = append(prods, shelfwise.Product{SKU: "NEW1", Name: "new thing", Category: "cat1"},
		shelfwise.Product{SKU: "POST", Name: "postage", NonProduct: true})
	cfg := DefaultModel
	cfg.Hybrid.ValidationDays = 14
	cfg.Hybrid.ALS.Iterations = 5
	cfg.Hybrid.ALS.Factors = 8
	m, err := TrainModel(context.Background(), TrainInput{Purchases: ps, Products: prods}, cfg)
	return m, prefs, err
}

func TestEngineRecommend(t *testing.T) {
	m, prefs := testModel(t)
	e := NewEngine(m)
	ctx := context.Background()
	t.Run("KnownCustomer", func(t *testing.T) {
		recs, err := e.Recommend(ctx, Request{Customer: cust(4), N: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 10 {
			t.Fatalf("got %d recommendations, want 10", len(recs))
		}
		in := 0
		for _, r := range recs {
			if r.Reason == "" || r.Source == "" {
				t.Fatalf("recommendation without reason: %+v", r)
			}
			var n int
			fmt.Sscanf(string(r.SKU), "P%d", &n)
			if prefs[4][n] {
				in++
			}
		}
		if in < 8 {
			t.Fatalf("only %d of 10 in the customer's taste group: %+v", in, recs)
		}
	})
	t.Run("RepeatReason", func(t *testing.T) {
		recs, _ := e.Recommend(ctx, Request{Customer: cust(4), N: 10})
		found := false
		for _, r := range recs {
			if strings.HasPrefix(r.Reason, "you buy this every ~2 weeks") {
				found = true
			}
		}
		if !found {
			t.Fatalf("no buying-cycle explanation for the fortnightly staple: %+v", recs)
		}
	})
	t.Run("ColdStartVisitor", func(t *testing.T) {
		recs, _ := e.Recommend(ctx, Request{N: 5, Filter: Filter{Categories: []string{"cat2"}}})
		if len(recs) != 5 {
			t.Fatalf("got %d, want 5", len(recs))
		}
		for _, r := range recs {
			if r.Reason != "trending in cat2" {
				t.Fatalf("cold start reason %q, want trending in cat2", r.Reason)
			}
		}
	})
}

func TestEngineFilters(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	ctx := context.Background()
	own := map[shelfwise.SKU]bool{}
	for _, ev := range m.Log.Histories[m.Log.User(cust(7))] {
		own[m.Log.Items[ev.Item]] = true
	}
	tests := []struct {
		name  string
		f     Filter
		check func(recs []shelfwise.Recommendation) error
	}{
		{"Category", Filter{Categories: []string{"cat0"}}, func(recs []shelfwise.Recommendation) error {
			for _, r := range recs {
				if m.products[m.Log.Item(r.SKU)].Category != "cat0" {
					return fmt.Errorf("%s not in cat0", r.SKU)
				}
			}
			return nil
		}},
		{"NewOnly", Filter{NewOnly: true}, func(recs []shelfwise.Recommendation) error {
			for _, r := range recs {
				if own[r.SKU] {
					return fmt.Errorf("%s already bought", r.SKU)
				}
			}
			return nil
		}},
		{"PriceBand", Filter{Around: sku(10), PriceBand: 0.1}, func(recs []shelfwise.Recommendation) error {
			p := m.price[m.Log.Item(sku(10))]
			for _, r := range recs {
				if q := m.price[m.Log.Item(r.SKU)]; q < p*0.9 || q > p*1.1 || r.SKU == sku(10) {
					return fmt.Errorf("%s price %v outside %v±10%%", r.SKU, q, p)
				}
			}
			return nil
		}},
		{"InStockAndExclude", Filter{InStock: func(s shelfwise.SKU) bool { return s[len(s)-1]%2 == 0 }, Exclude: []shelfwise.SKU{sku(2)}}, func(recs []shelfwise.Recommendation) error {
			for _, r := range recs {
				if r.SKU[len(r.SKU)-1]%2 != 0 || r.SKU == sku(2) {
					return fmt.Errorf("%s out of stock or excluded", r.SKU)
				}
			}
			return nil
		}},
		{"Diversity", Filter{MaxPerCategory: 2}, func(recs []shelfwise.Recommendation) error {
			per := map[string]int{}
			for _, r := range recs {
				per[m.products[m.Log.Item(r.SKU)].Category]++
			}
			for c, n := range per {
				if n > 2 {
					return fmt.Errorf("%d items of %s", n, c)
				}
			}
			return nil
		}},
		{"Promoted", Filter{Promoted: []shelfwise.SKU{sku(250), sku(251), sku(252)}, PromotedShare: 0.2}, func(recs []shelfwise.Recommendation) error {
			n := 0
			for _, r := range recs {
				if r.SKU == sku(250) || r.SKU == sku(251) || r.SKU == sku(252) {
					n++
				}
			}
			if n != 2 || len(recs) != 10 {
				return fmt.Errorf("%d promoted of %d, want 2 of 10", n, len(recs))
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := e.Recommend(ctx, Request{Customer: cust(7), N: 10, Filter: tt.f})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				t.Fatal("no recommendations")
			}
			for _, r := range recs {
				if r.SKU == "POST" {
					t.Fatal("non-product recommended")
				}
			}
			if err := tt.check(recs); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestVariantDedup(t *testing.T) {
	if got := VariantFamily("85123A"); got != "85123" {
		t.Fatalf("family=%q", got)
	}
	if got := VariantFamily("POST"); got != "POST" {
		t.Fatalf("family=%q", got)
	}
	c := &compiled{f: &Filter{DedupeVariants: true}, m: &Model{category: []string{"", "", ""}, family: []string{"1", "1", "2"}}}
	if got := c.selectList([]int32{0, 1, 2}, 3); len(got) != 2 || got[1] != 2 {
		t.Fatalf("dedup kept %v, want [0 2]", got)
	}
}

// TestObserveFoldIn: a new customer's first purchase turns trending
// recommendations into ones driven by that purchase, without retraining.
func TestObserveFoldIn(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	ctx := context.Background()
	newc := shelfwise.CustomerKey("cNEW")
	before, _ := e.Recommend(ctx, Request{Customer: newc, N: 10})
	for _, r := range before {
		if r.Source != "trending" {
			t.Fatalf("unknown customer got %+v, want trending", r)
		}
	}
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	for _, i := range []int{210, 220, 230} { // group 2 items
		if err := e.Observe(shelfwise.Event{Time: now, Customer: newc, Type: shelfwise.EventPurchase, SKU: sku(i), Quantity: 1}); err != nil {
			t.Fatal(err)
		}
	}
	after, _ := e.Recommend(ctx, Request{Customer: newc, N: 10, Filter: Filter{NewOnly: true}})
	in := 0
	for _, r := range after {
		var n int
		fmt.Sscanf(string(r.SKU), "P%d", &n)
		if n >= 200 {
			in++
		}
	}
	if in < 7 {
		t.Fatalf("after 3 group-2 purchases only %d of 10 are group-2 items: %+v", in, after)
	}
	if err := e.Observe(shelfwise.Event{Type: shelfwise.EventView}); err == nil {
		t.Fatal("event without product accepted")
	}
}

func TestSessionRecommend(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	for _, i := range []int{110, 120} {
		if err := e.Observe(shelfwise.Event{Time: now, Session: "s1", Type: shelfwise.EventView, SKU: sku(i)}); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := e.Recommend(context.Background(), Request{Session: "s1", N: 10})
	in := 0
	for _, r := range recs {
		var n int
		fmt.Sscanf(string(r.SKU), "P%d", &n)
		if n >= 100 && n < 200 {
			in++
		}
	}
	if in < 7 {
		t.Fatalf("session of group-1 views got %d group-1 items: %+v", in, recs)
	}
}

func TestLookups(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	sim, err := e.Similar(sku(5), 5)
	if err != nil || len(sim) != 5 {
		t.Fatalf("similar: %v %v", sim, err)
	}
	for _, r := range sim {
		if m.products[m.Log.Item(r.SKU)].Category != "cat0" {
			t.Fatalf("similar to a cat0 item: %+v", r)
		}
	}
	if _, err := e.Similar("nope", 5); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Fatalf("unknown sku: %v", err)
	}
	// The never-bought catalogue item is placed by its category.
	sim, err = e.Similar("NEW1", 5)
	if err != nil || len(sim) == 0 {
		t.Fatalf("similar to a new product: %v %v", sim, err)
	}
	for _, r := range sim {
		if m.products[m.Log.Item(r.SKU)].Category != "cat1" {
			t.Fatalf("new cat1 product similar to %+v", r)
		}
	}
	tr := e.Trending("cat1", 3)
	if len(tr) != 3 || tr[0].Reason != "trending in cat1" {
		t.Fatalf("trending: %+v", tr)
	}
	if _, err := e.BoughtTogether(sku(5), 3); err != nil {
		t.Fatal(err)
	}
}

// TestSwapConcurrent recommends from several goroutines while models are
// swapped (run with -race).
func TestSwapConcurrent(t *testing.T) {
	m1, _ := testModel(t)
	m2 := *m1
	m2.Version = "second"
	e := NewEngine(m1)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				if _, err := e.Recommend(context.Background(), Request{Customer: cust(g), N: 5}); err != nil {
					t.Error(err)
				}
				e.Observe(shelfwise.Event{Time: time.Unix(m1.Log.End+3600, 0), Customer: cust(g), Type: shelfwise.EventCart, SKU: sku(k)})
			}
		}(g)
	}
	for k := 0; k < 10; k++ {
		if k%2 == 0 {
			e.Swap(&m2)
		} else {
			e.Swap(m1)
		}
	}
	wg.Wait()
	if v := e.Model().Version; v != m1.Version {
		t.Fatalf("served version %q after the last swap, want %q", v, m1.Version)
	}
}

// liveOf returns the live events the engine holds for c.
func (e *Engine) liveOf(c shelfwise.CustomerKey) []shelfwise.Event {
	if ent := e.customers.get(c); ent != nil {
		if s := ent.cur.Load(); s != nil {
			return s.events
		}
	}
	return nil
}

// TestObserveBatch: one call folds a customer's several events in at once,
// skips (and reports) bad events without dropping the good ones, ignores
// searches, and keeps sessions free of customer keys.
func TestObserveBatch(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	c := shelfwise.CustomerKey("cBATCH")
	err := e.Observe(
		shelfwise.Event{Time: now, Customer: c, Session: "sB", Type: shelfwise.EventPurchase, SKU: sku(210)},
		shelfwise.Event{Time: now, Type: shelfwise.EventView}, // no product, no key
		shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventSearch, Query: "x"},
		shelfwise.Event{Time: now, Customer: c, Session: "sB", Type: shelfwise.EventCart, SKU: sku(220)},
		shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventPurchase, SKU: "UNKNOWN"},
	)
	if shelfwise.ErrorCode(err) != shelfwise.EINVALID || !strings.Contains(err.Error(), "event 1") {
		t.Fatalf("err = %v, want EINVALID naming event 1", err)
	}
	if got := e.liveOf(c); len(got) != 3 || got[0].SKU != sku(210) || got[1].SKU != sku(220) || got[2].SKU != "UNKNOWN" {
		t.Fatalf("live events %+v, want P210, P220, UNKNOWN in order", got)
	}
	s := e.customers.get(c).cur.Load()
	if s.model != m || s.nlive != 2 || len(s.hist) != 1 || len(s.sigs) != 1 || s.folded || s.vec != nil || s.last != now.Unix() {
		t.Fatalf("derived state: model ok %v, nlive %d (want 2), history %d (1: the purchase), signals %d (1: the cart), folded %v (not yet), last %d",
			s.model == m, s.nlive, len(s.hist), len(s.sigs), s.folded, s.last)
	}
	// The first request folds the customer in, once, for every later one.
	if _, err := e.Recommend(context.Background(), Request{Customer: c, N: 5}); err != nil {
		t.Fatal(err)
	}
	f := e.customers.get(c).cur.Load()
	if !f.folded || len(f.vec) == 0 || len(f.events) != 3 || f.nlive != 2 {
		t.Fatalf("after a request: folded %v, vec %d, events %d, nlive %d", f.folded, len(f.vec), len(f.events), f.nlive)
	}
	if _, err := e.Recommend(context.Background(), Request{Customer: c, N: 5}); err != nil || e.customers.get(c).cur.Load() != f {
		t.Fatal("a second request folded the customer in again")
	}
	ss := e.sessions.get("sB").cur.Load()
	if len(ss.events) != 2 || len(ss.items) != 2 {
		t.Fatalf("session holds %d events, %d items; want 2, 2", len(ss.events), len(ss.items))
	}
	for _, ev := range ss.events {
		if ev.Customer != "" {
			t.Fatalf("session event keeps customer key %q", ev.Customer)
		}
	}
}

// TestLiveLimits: a customer keeps only the newest MaxLiveEvents live
// events, and the sessions table stays within MaxSessions, dropping the
// least recently updated.
func TestLiveLimits(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	e.MaxLiveEvents = 5
	e.MaxSessions = 2 * liveShards
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	c := shelfwise.CustomerKey("cCAP")
	for i := range 12 {
		if err := e.Observe(shelfwise.Event{Time: now.Add(time.Duration(i) * time.Minute), Customer: c, Type: shelfwise.EventView, SKU: sku(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// A published snapshot never changes, though later events are
	// appended to the same array.
	old := e.customers.get(c).cur.Load()
	was := slices.Clone(old.events)
	// Three more in one batch.
	e.Observe(shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventView, SKU: sku(100)},
		shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventView, SKU: sku(101)},
		shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventView, SKU: sku(102)})
	if !slices.Equal(old.events, was) {
		t.Fatal("an earlier snapshot's events changed")
	}
	got := e.liveOf(c)
	want := []shelfwise.SKU{sku(10), sku(11), sku(100), sku(101), sku(102)}
	if len(got) != len(want) {
		t.Fatalf("kept %d live events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].SKU != want[i] {
			t.Fatalf("kept %v at %d, want %v", got[i].SKU, i, want[i])
		}
	}
	for i := range 2000 {
		e.Observe(shelfwise.Event{Time: now, Session: shelfwise.SessionID(fmt.Sprintf("s%d", i)), Type: shelfwise.EventView, SKU: sku(i % 300)})
	}
	if n := e.LiveSessions(); n > e.MaxSessions || n == 0 {
		t.Fatalf("%d sessions kept, want 1..%d", n, e.MaxSessions)
	}
	if e.sessions.get("s1999") == nil {
		t.Fatal("the latest session was dropped")
	}
	if e.sessions.get("s0") != nil {
		t.Fatal("the first session survived 2,000 newer ones in a table of 128")
	}
}

// TestForgetAndSwap: Forget removes a customer's live state (their
// recommendations are the cold-start ones again); Swap keeps only live
// events after the new model's training end and re-applies them to it.
func TestForgetAndSwap(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	ctx := context.Background()
	c := shelfwise.CustomerKey("cFORGET")
	cold, _ := e.Recommend(ctx, Request{Customer: c, N: 5})
	after := time.Unix(m.Log.End, 0).Add(time.Hour)
	before := time.Unix(m.Log.End, 0).Add(-time.Hour)
	e.Observe(shelfwise.Event{Time: after, Customer: c, Type: shelfwise.EventPurchase, SKU: sku(210)},
		shelfwise.Event{Time: before, Customer: c, Type: shelfwise.EventPurchase, SKU: sku(220)})
	// A visitor's session, viewed before and after the training's end.
	e.Observe(shelfwise.Event{Time: before, Session: "sKEEP", Type: shelfwise.EventView, SKU: sku(110)},
		shelfwise.Event{Time: after, Session: "sKEEP", Type: shelfwise.EventView, SKU: sku(120)})
	warm, _ := e.Recommend(ctx, Request{Customer: c, N: 5})
	if warm[0].Source == "trending" {
		t.Fatalf("live purchases did not change the list: %+v", warm)
	}
	m2 := *m
	e.Swap(&m2)
	if got := e.liveOf(c); len(got) != 1 || got[0].SKU != sku(210) {
		t.Fatalf("after swap live events %+v, want only the one after training", got)
	}
	// The session keeps both views: no model holds a session's items.
	if s := current(e.sessions.get("sKEEP"), &m2, "", true); s == nil || s.model != &m2 || len(s.items) != 2 {
		t.Fatalf("session after swap: %+v, want both views derived for the new model", s)
	}
	again, _ := e.Recommend(ctx, Request{Customer: c, N: 5})
	if again[0].Source == "trending" {
		t.Fatalf("the kept live event does not count on the new model: %+v", again)
	}
	if s := e.customers.get(c).cur.Load(); s.model != &m2 || s.nlive != 1 {
		t.Fatalf("state not re-derived for the new model (nlive %d)", s.nlive)
	}
	e.Forget(c)
	if e.customers.get(c) != nil || e.LiveCustomers() != 0 {
		t.Fatal("customer still has live state after Forget")
	}
	got, _ := e.Recommend(ctx, Request{Customer: c, N: 5})
	for i := range got {
		if got[i].SKU != cold[i].SKU {
			t.Fatalf("after Forget %+v, want the cold-start list %+v", got, cold)
		}
	}
}

// TestObserveConcurrent: writers observe batches for the same customers
// while readers recommend for them and the model is swapped (run with
// -race). No event is lost, and each writer sees its own event in the
// customer's state as soon as Observe returns.
func TestObserveConcurrent(t *testing.T) {
	m1, _ := testModel(t)
	m2 := *m1
	e := NewEngine(m1)
	e.MaxLiveEvents = 1000
	now := time.Unix(m1.Log.End, 0).Add(time.Hour)
	const writers, rounds, customers = 4, 25, 5
	var wg sync.WaitGroup
	var stop atomic.Bool
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; !stop.Load(); k++ {
				if _, err := e.Recommend(context.Background(), Request{Customer: cust((r + k) % customers), Session: "shared", N: 5}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	var ww sync.WaitGroup
	for w := range writers {
		ww.Add(1)
		go func() {
			defer ww.Done()
			for k := range rounds {
				var batch []shelfwise.Event
				for c := range customers {
					batch = append(batch, shelfwise.Event{Time: now, Customer: cust(c), Session: "shared", Type: shelfwise.EventCart,
						SKU: sku(w*100 + k), Quantity: float64(w*1000 + k)})
				}
				if err := e.Observe(batch...); err != nil {
					t.Error(err)
					return
				}
				found := false
				for _, ev := range e.liveOf(cust(k % customers)) {
					found = found || ev.Quantity == float64(w*1000+k)
				}
				if !found {
					t.Errorf("writer %d round %d: event not visible after Observe", w, k)
				}
			}
		}()
	}
	for k := range 6 {
		if k%2 == 0 {
			e.Swap(&m2)
		} else {
			e.Swap(m1)
		}
	}
	ww.Wait()
	stop.Store(true)
	wg.Wait()
	for c := range customers {
		if n := len(e.liveOf(cust(c))); n != writers*rounds {
			t.Fatalf("customer %d holds %d live events, want %d", c, n, writers*rounds)
		}
	}
}

// BenchmarkRecommendWhileObserving: Recommend for customers who are
// themselves sending live events (a writer observes batches of 100 events
// of the same 90 customers back to back). Reads never wait for the
// writer's fold-ins; p99-µs is the read latency.
func BenchmarkRecommendWhileObserving(b *testing.B) {
	m, _ := testModel(b)
	e := NewEngine(m)
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		for k := 0; ; k++ {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			batch := make([]shelfwise.Event, 100)
			for i := range batch {
				batch[i] = shelfwise.Event{Time: now, Customer: cust((k*100 + i) % 90), Type: shelfwise.EventView, SKU: sku((k + i) % 300)}
			}
			e.Observe(batch...)
			n += len(batch)
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	ctx := context.Background()
	start := time.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if _, err := e.Recommend(ctx, Request{Customer: cust(i % 90), N: 10}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	close(stop)
	events := <-done
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(events)/time.Since(start).Seconds(), "events/s")
}

// TestLiveViewsAreSignals: a live view or cart is weaker evidence, as in
// training: it joins the customer's signals, not their purchase history
// (so it never reads "you bought this"), and still moves a new customer's
// recommendations towards what they looked at; a live purchase joins the
// history.
func TestLiveViewsAreSignals(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	ctx := context.Background()
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	c := shelfwise.CustomerKey("cVIEWS")
	var evs []shelfwise.Event
	for _, i := range []int{205, 215, 225, 235} {
		evs = append(evs, shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventView, SKU: sku(i)})
	}
	evs = append(evs, shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventCart, SKU: sku(245)})
	if err := e.Observe(evs...); err != nil {
		t.Fatal(err)
	}
	s := e.customers.get(c).cur.Load()
	if len(s.hist) != 0 || len(s.sigs) != 5 || s.nlive != 5 {
		t.Fatalf("after views and a cart: %d history events, %d signals, nlive %d; want 0, 5, 5",
			len(s.hist), len(s.sigs), s.nlive)
	}
	if s.sigs[4].Kind != KindCart || s.sigs[0].Kind != KindView {
		t.Fatalf("signal kinds %v, %v", s.sigs[0].Kind, s.sigs[4].Kind)
	}
	recs, _ := e.Recommend(ctx, Request{Customer: c, N: 10})
	in := 0
	for _, r := range recs {
		if strings.HasPrefix(r.Reason, "you b") || r.Source == "repeat" {
			t.Fatalf("viewed item explained as bought: %+v", r)
		}
		// The items looked at are explained by that interest, and so
		// are the others, by the item they resemble.
		want := []string{"similar to item 205, which you looked at", "similar to item 215, which you looked at",
			"similar to item 225, which you looked at", "similar to item 235, which you looked at",
			"goes with item 245 in your cart"}
		switch r.SKU {
		case sku(205), sku(215), sku(225), sku(235):
			want = []string{"you looked at this"}
		case sku(245):
			want = []string{"you added this to your cart"}
		}
		if !slices.Contains(want, r.Reason) {
			t.Fatalf("%s: reason %q, want one of %q", r.SKU, r.Reason, want)
		}
		var n int
		fmt.Sscanf(string(r.SKU), "P%d", &n)
		if n >= 200 && n < 300 {
			in++
		}
	}
	if in < 6 {
		t.Fatalf("after viewing group-2 items only %d of 10 are group 2: %+v", in, recs)
	}
	if s := e.customers.get(c).cur.Load(); !s.folded || len(s.vec) == 0 {
		t.Fatal("the request did not fold the viewer in")
	}
	e.Observe(shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventPurchase, SKU: sku(205), Quantity: 2})
	s = e.customers.get(c).cur.Load()
	if len(s.hist) != 1 || s.hist[0].Item != int32(m.Log.Item(sku(205))) || s.hist[0].Qty != 2 || len(s.sigs) != 5 {
		t.Fatalf("after a purchase: history %+v, %d signals", s.hist, len(s.sigs))
	}
}

// selectListMaps is selectList as it was written with maps (before the
// small arrays): the reference for TestSelectListMatchesMaps.
func selectListMaps(c *compiled, cands []int32, n int) []int32 {
	f := c.f
	perCat := map[string]int{}
	fams := map[string]bool{}
	ok := func(i int32) bool {
		if f.MaxPerCategory > 0 && c.m.category[i] != "" && perCat[c.m.category[i]] >= f.MaxPerCategory {
			return false
		}
		return !f.DedupeVariants || !fams[c.m.family[i]]
	}
	take := func(i int32) {
		perCat[c.m.category[i]]++
		fams[c.m.family[i]] = true
	}
	picked := map[int32]bool{}
	nPromo := 0
	if c.promoted != nil && f.PromotedShare > 0 {
		nPromo = int(math.Round(f.PromotedShare * float64(n)))
	}
	for _, i := range cands {
		if nPromo == 0 {
			break
		}
		if c.promoted[i] && ok(i) {
			picked[i] = true
			take(i)
			nPromo--
		}
	}
	out := make([]int32, 0, n)
	for _, i := range cands {
		if len(out) >= n {
			break
		}
		if picked[i] {
			out = append(out, i)
			continue
		}
		if len(out)+countPending(picked, out) >= n || !ok(i) {
			continue
		}
		take(i)
		out = append(out, i)
	}
	return out
}

// TestSelectListMatchesMaps: the list rules give the map-based reference's
// lists for random candidates, categories (some empty), variant families,
// promoted items and shares, and list lengths up to past the 32 entries
// the rules keep on the stack.
func TestSelectListMatchesMaps(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 4))
	const items = 120
	m := &Model{category: make([]string, items), family: make([]string, items)}
	for i := range items {
		if rng.IntN(8) > 0 {
			m.category[i] = fmt.Sprint("cat", rng.IntN(12))
		}
		m.family[i] = fmt.Sprint("fam", rng.IntN(70))
	}
	for trial := range 2000 {
		f := &Filter{MaxPerCategory: rng.IntN(4), DedupeVariants: rng.IntN(2) == 0}
		c := &compiled{f: f, m: m}
		if rng.IntN(3) == 0 {
			c.promoted = map[int32]bool{}
			for range 1 + rng.IntN(10) {
				c.promoted[int32(rng.IntN(items))] = true
			}
			f.PromotedShare = rng.Float64() * 0.6
		}
		cands := make([]int32, rng.IntN(items))
		for k, i := range rng.Perm(items)[:len(cands)] {
			cands[k] = int32(i)
		}
		n := 1 + rng.IntN(45)
		if got, want := c.selectList(cands, n), selectListMaps(c, cands, n); !slices.Equal(got, want) {
			t.Fatalf("trial %d (n %d, filter %+v): %v, want %v", trial, n, *f, got, want)
		}
	}
}

// TestBitFilters: an item set (newItemSet) holds exactly the items added
// (sizes around the 64-bit word), and the bit filters in front of the
// excluded items' map and of the candidates' positions never change an
// answer, for items far apart that share a bit (i and i + 4096k, i +
// 65536k) and items next to ones in the set, over catalogues of 20,000 and
// 200,000 items.
func TestBitFilters(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 5))
	for trial := range 200 {
		c := &compiled{}
		want := map[int32]bool{}
		for range rng.IntN(300) {
			i := int32(rng.IntN(20000))
			c.excludeItem(i)
			want[i] = true
		}
		for i := int32(0); i < 20000; i++ {
			if got := c.excluded(i); got != want[i] {
				t.Fatalf("trial %d: item %d excluded %v, want %v", trial, i, got, want[i])
			}
		}
	}
	for _, n := range []int{1, 63, 64, 65, 1000, 4097} {
		set, want := newItemSet(n), make([]bool, n)
		for range rng.IntN(n) + 1 {
			i := rng.IntN(n)
			set.add(int32(i))
			want[i] = true
		}
		for i := range n {
			if set.has(int32(i)) != want[i] {
				t.Fatalf("item set of %d: item %d in it %v, want %v", n, i, set.has(int32(i)), want[i])
			}
		}
	}
	for trial := range 20 {
		cands := make([]int32, rng.IntN(3000))
		at := map[int32]int32{}
		for k := range cands {
			cands[k] = int32(rng.IntN(200000))
			at[cands[k]] = int32(k) // a repeated item keeps its last place, as in the map
		}
		pos := newPositions(cands)
		for i := int32(0); i < 200000; i++ {
			k, ok := pos.of(i)
			wk, wok := at[i]
			if ok != wok || k != wk {
				t.Fatalf("trial %d: item %d at %d %v, want %d %v", trial, i, k, ok, wk, wok)
			}
		}
	}
}

// TestNarrow applies filters to an item-to-item list: the product rules
// keep exactly the items a direct check keeps, in the list's order; the
// category cap, the promoted share and stock hold; unknown items go.
func TestNarrow(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	recs, err := e.Similar(sku(5), 300)
	if err != nil || len(recs) < 60 {
		t.Fatalf("similar: %d items, %v", len(recs), err)
	}
	price := func(s shelfwise.SKU) float64 { return float64(1 + s[4]%5) }
	cat := func(s shelfwise.SKU) string { p, _ := m.Product(s); return p.Category }
	var first shelfwise.SKU
	for _, r := range recs {
		if cat(r.SKU) == "cat0" {
			first = r.SKU
			break
		}
	}
	var want []shelfwise.Recommendation
	for _, r := range recs {
		if cat(r.SKU) == "cat0" && price(r.SKU) <= 3 && r.SKU != first && len(want) < 8 {
			want = append(want, r)
		}
	}
	withUnknown := append([]shelfwise.Recommendation{{SKU: "NOT-IN-MODEL"}}, recs...)
	got := m.Narrow(withUnknown, Filter{Categories: []string{"cat0"}, MaxPrice: 3, Exclude: []shelfwise.SKU{first}}, 8)
	if len(want) != 8 || !reflect.DeepEqual(got, want) {
		t.Fatalf("narrowed:\n got  %+v\n want %+v", got, want)
	}

	seen := map[string]bool{}
	for _, r := range m.Narrow(recs, Filter{MaxPerCategory: 1}, 3) {
		if seen[cat(r.SKU)] {
			t.Fatalf("two items of %s with a cap of 1", cat(r.SKU))
		}
		seen[cat(r.SKU)] = true
	}
	if len(seen) != 3 {
		t.Fatalf("%d categories, want 3", len(seen))
	}

	odd := func(s shelfwise.SKU) bool { return s[4]%2 == 1 }
	for _, r := range m.Narrow(recs, Filter{InStock: odd}, 10) {
		if !odd(r.SKU) {
			t.Fatalf("%s out of stock but listed", r.SKU)
		}
	}

	// Two items from far down the list, promoted at half of four places.
	promo := []shelfwise.SKU{recs[50].SKU, recs[55].SKU}
	got = m.Narrow(recs, Filter{Promoted: promo, PromotedShare: 0.5}, 4)
	n := 0
	for _, r := range got {
		if slices.Contains(promo, r.SKU) {
			n++
		}
	}
	if len(got) != 4 || n != 2 {
		t.Fatalf("%d promoted items of %d, want 2 of 4: %+v", n, len(got), got)
	}
}

// TestNewOnlyKeepsRepeatable checks the rule "exclude already bought
// except repeatable items": with NewOnly, a customer's own item that
// Repeatable accepts (a consumable) stays in the list where the
// all-items ranking puts it, every other own item goes; without
// Repeatable no own item is listed. Both with and without rerankers.
func TestNewOnlyKeepsRepeatable(t *testing.T) {
	base, _ := testModel(t)
	reranked := withReranker(t, base)
	nw := *reranked.New
	nw.Rerank = &Reranker{Trees: reranked.All.Rerank.Trees, Top: 30, Blend: 0.1, Facts: reranked.All.Rerank.Facts}
	reranked.New = &nw
	ctx := context.Background()
	for name, m := range map[string]*Model{"blend": base, "reranked": reranked} {
		e := NewEngine(m)
		c := cust(4)
		u := m.Log.User(c)
		own := map[shelfwise.SKU]bool{}
		for _, ev := range m.Log.Histories[u] {
			own[m.Log.Items[ev.Item]] = true
		}
		all, err := e.Recommend(ctx, Request{Customer: c, N: 10})
		if err != nil {
			t.Fatal(err)
		}
		var staple shelfwise.SKU // the customer's own item the all-items list ranks first
		for _, r := range all {
			if own[r.SKU] {
				staple = r.SKU
				break
			}
		}
		if staple == "" {
			t.Fatalf("%s: no own item in %+v", name, all)
		}
		plain, _ := e.Recommend(ctx, Request{Customer: c, N: 10, Filter: Filter{NewOnly: true}})
		kept, _ := e.Recommend(ctx, Request{Customer: c, N: 10, Filter: Filter{NewOnly: true,
			Repeatable: func(s shelfwise.SKU) bool { return s == staple }}})
		for _, r := range plain {
			if own[r.SKU] {
				t.Fatalf("%s: new only listed own item %s", name, r.SKU)
			}
		}
		found := false
		for _, r := range kept {
			if own[r.SKU] && r.SKU != staple {
				t.Fatalf("%s: own item %s listed, only %s is repeatable", name, r.SKU, staple)
			}
			found = found || r.SKU == staple
		}
		if len(kept) != 10 || !found {
			t.Fatalf("%s: the repeatable staple %s (in the all-items top 10) is not in the new-only list %+v", name, staple, kept)
		}
		// The staple's category kept whole: its bought items may stay,
		// other bought items go.
		p, _ := m.Product(staple)
		byCat, _ := e.Recommend(ctx, Request{Customer: c, N: 10, Filter: Filter{NewOnly: true, RepeatableCategories: []string{p.Category}}})
		found = false
		for _, r := range byCat {
			if q, _ := m.Product(r.SKU); own[r.SKU] && q.Category != p.Category {
				t.Fatalf("%s: own item %s of %s listed, only %s is repeatable", name, r.SKU, q.Category, p.Category)
			}
			found = found || r.SKU == staple
		}
		if !found {
			t.Fatalf("%s: the staple %s of repeatable category %s is not in %+v", name, staple, p.Category, byCat)
		}
	}
}

// TestSimilarOrder: the similar items come best first, equal scores by
// item index (as TopK), and a shorter list is the start of a longer one.
func TestSimilarOrder(t *testing.T) {
	m, _ := testModel(t)
	e := NewEngine(m)
	for _, s := range []shelfwise.SKU{sku(5), sku(17), "NEW1"} {
		long, err := e.Similar(s, 300)
		if err != nil || len(long) < 20 {
			t.Fatalf("similar to %s: %d items, %v", s, len(long), err)
		}
		ties := 0
		for k := 1; k < len(long); k++ {
			a, b := long[k-1], long[k]
			ia, ib := m.Log.Item(a.SKU), m.Log.Item(b.SKU)
			if a.Score < b.Score || a.Score == b.Score && ia > ib {
				t.Fatalf("similar to %s: %s (%v, item %d) before %s (%v, item %d)", s, a.SKU, a.Score, ia, b.SKU, b.Score, ib)
			}
			if a.Score == b.Score {
				ties++
			}
		}
		if ties == 0 {
			t.Logf("similar to %s: no tied scores", s)
		}
		for _, n := range []int{1, 5, 19} {
			short, _ := e.Similar(s, n)
			if !slices.Equal(short, long[:n]) {
				t.Fatalf("similar to %s: the best %d are %+v, not the start of the longer list %+v", s, n, short, long[:n])
			}
		}
	}
}

// TestSignalReason: a recommendation is explained by the customer's own
// recent add-to-cart or view of it (the cart first), only within
// signalWindow before the request and after their latest purchase of it.
func TestSignalReason(t *testing.T) {
	const now = int64(1_000_000_000)
	const day = 86400
	view := func(age int64) Signal { return Signal{Item: 7, Kind: KindView, Time: now - age} }
	cart := func(age int64) Signal { return Signal{Item: 7, Kind: KindCart, Time: now - age} }
	bought := func(age int64) Event { return Event{Item: 7, Time: now - age, Qty: 1} }
	for _, tc := range []struct {
		name string
		sigs []Signal
		hist []Event
		want string
	}{
		{"none", nil, nil, ""},
		{"viewed", []Signal{view(day)}, nil, "viewed"},
		{"carted", []Signal{view(day), cart(2 * day)}, nil, "cart"},
		{"another item", []Signal{{Item: 8, Kind: KindCart, Time: now}}, nil, ""},
		{"too old", []Signal{cart(signalWindow + 1)}, nil, ""},
		{"at the window's edge", []Signal{cart(signalWindow)}, nil, "cart"},
		{"after the request", []Signal{cart(-1)}, nil, ""},
		{"bought since", []Signal{cart(2 * day)}, []Event{bought(day)}, ""},
		{"carted since", []Signal{cart(day)}, []Event{bought(2 * day)}, "cart"},
		{"viewed since, carted before", []Signal{cart(3 * day), view(day)}, []Event{bought(2 * day)}, "viewed"},
		{"a return is no interest", []Signal{{Item: 7, Kind: KindReturn, Time: now}}, nil, ""},
	} {
		reason, src := signalReason(&Query{Signals: tc.sigs, History: tc.hist, Now: now}, 7)
		if src != tc.want || (src == "") != (reason == "") {
			t.Errorf("%s: %q (%s), want source %q", tc.name, reason, src, tc.want)
		}
	}
}
