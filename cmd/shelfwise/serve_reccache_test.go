package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/shelfwise/shelfwise/registry"
)

func list(sku shelfwise.SKU) shelfhttp.RecList {
	return shelfhttp.RecList{Items: []shelfwise.Recommendation{{SKU: sku}}}
}

func TestRecCache(t *testing.T) {
	q := shelfhttp.RecQuery{N: 10}
	k := keyOf(q)
	t.Run("HitAfterPut", func(t *testing.T) {
		c := newRecCache(nil)
		if _, ok, _, _ := c.get("c1", k); ok {
			t.Fatal("hit on an empty cache")
		}
		_, _, s, gen := c.get("c1", k)
		c.put("c1", k, s, gen, list("A"))
		l, ok, _, _ := c.get("c1", k)
		if !ok || l.Items[0].SKU != "A" {
			t.Fatalf("after put: ok=%v list=%+v, want the stored list", ok, l)
		}
		if _, ok, _, _ := c.get("c2", k); ok {
			t.Error("another customer hit c1's list")
		}
	})
	t.Run("QueriesDiffer", func(t *testing.T) {
		c := newRecCache(nil)
		_, _, s, gen := c.get("c1", k)
		c.put("c1", k, s, gen, list("A"))
		for _, q2 := range []shelfhttp.RecQuery{{N: 5}, {N: 10, NewOnly: true}, {N: 10, Category: "x"},
			{N: 10, Department: "x"}, {N: 10, Exclude: []shelfwise.SKU{"A"}}, {N: 10, NewOnly: true, Repeatable: []string{"x"}},
			{N: 10, Rules: shelfhttp.RecRules{MaxPerCategory: 2}}, {N: 10, Rules: shelfhttp.RecRules{Around: "A", PriceBand: 0.5}},
			{N: 10, Rules: shelfhttp.RecRules{Promoted: []shelfwise.SKU{"A"}, PromotedShare: 0.2}}} {
			if _, ok, _, _ := c.get("c1", keyOf(q2)); ok {
				t.Errorf("query %+v hit the list of %+v", q2, q)
			}
		}
		if keyOf(shelfhttp.RecQuery{N: 10, Exclude: []shelfwise.SKU{"A", "B"}}) == keyOf(shelfhttp.RecQuery{N: 10, Exclude: []shelfwise.SKU{"A,B"}}) {
			t.Error("exclude lists [A B] and [A,B] share a key")
		}
	})
	t.Run("InvalidateDropsAndRejectsInFlight", func(t *testing.T) {
		c := newRecCache(nil)
		_, _, s, gen := c.get("c1", k)
		c.put("c1", k, s, gen, list("A"))
		_, _, s2, gen2 := c.get("c1", keyOf(shelfhttp.RecQuery{N: 3})) // a miss computing now...
		c.invalidate("c1", "unknown")                                  // ...when an event arrives
		if _, ok, _, _ := c.get("c1", k); ok {
			t.Error("list still cached after the customer's event")
		}
		c.put("c1", keyOf(shelfhttp.RecQuery{N: 3}), s2, gen2, list("stale"))
		if _, ok, _, _ := c.get("c1", keyOf(shelfhttp.RecQuery{N: 3})); ok {
			t.Error("a list computed before the event was cached after it")
		}
	})
	t.Run("Forget", func(t *testing.T) {
		c := newRecCache(nil)
		_, _, s, gen := c.get("c1", k)
		c.put("c1", k, s, gen, list("A"))
		c.forget("c1")
		if n := c.len(); n != 0 {
			t.Errorf("customers after forget=%d, want 0", n)
		}
		c.put("c1", k, s, gen, list("A")) // an in-flight list of the erased customer
		if _, ok, _, _ := c.get("c1", k); ok {
			t.Error("erased customer's in-flight list was cached")
		}
	})
	t.Run("Bounded", func(t *testing.T) {
		c := newRecCache(nil)
		for i := range recCacheMax + 10 {
			c.get(shelfwise.CustomerKey(fmt.Sprint(i)), k)
		}
		if n := c.len(); n > recCacheMax {
			t.Errorf("customers=%d, want at most %d", n, recCacheMax)
		}
	})
}

// capModel returns a small recommend model, trained once: 60 customers in
// 3 taste groups of 30 products over 90 days.
func capModel(t *testing.T) (*recommend.Model, []recommend.Purchase) {
	t.Helper()
	capOnce.Do(func() { capM, capPs, capErr = trainCapModel() })
	if capErr != nil {
		t.Fatal(capErr)
	}
	return capM, capPs
}

var (
	capOnce sync.Once
	capM    *recommend.Model
	capPs   []recommend.Purchase
	capErr  error
)

// capPrice is the price of product i of the cap model: 1 to 5.
func capPrice(i int) float64 { return float64(1 + i%5) }

func trainCapModel() (*recommend.Model, []recommend.Purchase, error) {
	rng := rand.New(rand.NewPCG(1, 1))
	t0 := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	var ps []recommend.Purchase
	for u := range 60 {
		g := u % 3
		for d := 0; d < 90; d += 3 + rng.IntN(5) {
			for range 3 {
				i := 30*g + rng.IntN(30)
				ps = append(ps, recommend.Purchase{Customer: shelfwise.CustomerKey(fmt.Sprintf("c%02d", u)),
					SKU: shelfwise.SKU(fmt.Sprintf("P%02d", i)), Invoice: shelfwise.InvoiceID(fmt.Sprintf("%d-%d", u, d)),
					Time: t0.AddDate(0, 0, d), Quantity: 1, Price: capPrice(i)})
			}
		}
	}
	var prods []shelfwise.Product
	for i := range 90 {
		prods = append(prods, shelfwise.Product{SKU: shelfwise.SKU(fmt.Sprintf("P%02d", i)), Name: fmt.Sprint("item ", i), Category: fmt.Sprint("g", i/30)})
	}
	cfg := recommend.DefaultModel
	cfg.Hybrid.ValidationDays = 14
	cfg.Hybrid.ALS.Iterations = 4
	cfg.Hybrid.ALS.Factors = 8
	m, err := recommend.TrainModel(context.Background(), recommend.TrainInput{Purchases: ps, Products: prods}, cfg)
	return m, ps, err
}

// promote loads m as version v of rc, as the registry does on promotion.
func promote(t *testing.T, rc *recommendCap, m *recommend.Model, v int) {
	t.Helper()
	sum := fmt.Sprintf("test-%d", v)
	rc.trained.Store(sum, m)
	swap, err := rc.load(context.Background(), shelfwise.ModelVersion{Version: v, Checksum: sum}, nil)
	if err != nil {
		t.Fatal(err)
	}
	swap()
}

// TestRecommendCapCache checks that served lists are reused until the
// customer's live event, an erasure or a promotion.
func TestRecommendCapCache(t *testing.T) {
	m, ps := capModel(t)
	rc := &recommendCap{}
	promote(t, rc, m, 1)
	ctx := context.Background()
	q := shelfhttp.RecQuery{N: 5}
	get := func(c shelfwise.CustomerKey) shelfhttp.RecList {
		t.Helper()
		l, err := rc.ForCustomer(ctx, c, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(l.Items) != 5 {
			t.Fatalf("%s: %d items, want 5", c, len(l.Items))
		}
		return l
	}
	// same reports whether two lists are the same cached value.
	same := func(a, b shelfhttp.RecList) bool { return &a.Items[0] == &b.Items[0] }
	a1, b1 := get("c01"), get("c02")
	if !same(a1, get("c01")) {
		t.Fatal("second request was not served from the cache")
	}
	live := ps[len(ps)-1].Time.Add(time.Hour)
	t.Run("UnknownProductKeepsList", func(t *testing.T) {
		rc.observe([]shelfwise.Event{{Time: live, Customer: "c01", Type: shelfwise.EventView, SKU: "NOT-IN-MODEL"}}, nil)
		if !same(a1, get("c01")) {
			t.Error("an event on a product the model does not know dropped the list")
		}
	})
	t.Run("LiveEventDropsOnlyThatCustomer", func(t *testing.T) {
		var evs []shelfwise.Event
		for i := range 5 { // c01 (group 1) buys group 2's products
			evs = append(evs, shelfwise.Event{Time: live.Add(time.Duration(i) * time.Minute), Customer: "c01",
				Type: shelfwise.EventPurchase, SKU: shelfwise.SKU(fmt.Sprintf("P%02d", 60+i)), Quantity: 1})
		}
		rc.observe(evs, nil)
		a2 := get("c01")
		if same(a1, a2) {
			t.Error("list still cached after the customer's purchases")
		}
		want, err := rc.eng.Load().Recommend(ctx, recommend.Request{Customer: "c01", N: 5, Filter: recFilter(q, nil)})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if a2.Items[i].SKU != want[i].SKU {
				t.Fatalf("list after the event=%v, want the engine's %v", a2.Items, want)
			}
		}
		if !same(b1, get("c02")) {
			t.Error("another customer's list was dropped")
		}
	})
	t.Run("Erase", func(t *testing.T) {
		b := get("c02")
		rc.observe([]shelfwise.Event{{Time: live, Customer: "c02", Type: shelfwise.EventPurchase, SKU: "P61", Quantity: 1}}, nil)
		n := rc.eng.Load().LiveCustomers()
		rc.forget("c02")
		if same(b, get("c02")) {
			t.Error("list still cached after erasure")
		}
		if got := rc.eng.Load().LiveCustomers(); got != n-1 {
			t.Errorf("engine holds live events of %d customers after erasing one of %d", got, n)
		}
		// The served model forgets the customer's purchase history too:
		// they are served as a stranger, and the model that was served
		// before is left as it was.
		if rc.eng.Load().Model().Log.User("c02") >= 0 || m.Log.User("c02") < 0 {
			t.Fatal("erasure did not swap in a model without the customer")
		}
		stranger, err := recommend.NewEngine(m).Recommend(ctx, recommend.Request{Customer: "never-seen", N: 5, Filter: recFilter(q, nil)})
		if err != nil {
			t.Fatal(err)
		}
		after := get("c02")
		for i := range stranger {
			if after.Items[i].SKU != stranger[i].SKU {
				t.Fatalf("after erasure %v, want a stranger's list %v", after.Items, stranger)
			}
		}
	})
	t.Run("Promotion", func(t *testing.T) {
		b := get("c02")
		promote(t, rc, m, 2) // a retrain on the same data
		b2 := get("c02")
		if same(b, b2) || b2.Version != 2 {
			t.Errorf("after promoting v2: same list %v, version %d; want a new list from v2", same(b, b2), b2.Version)
		}
	})
}

// TestRecommendCapConcurrent runs requests, live events and erasures
// together (run with -race).
func TestRecommendCapConcurrent(t *testing.T) {
	m, ps := capModel(t)
	rc := &recommendCap{}
	promote(t, rc, m, 1)
	live := ps[len(ps)-1].Time.Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				c := shelfwise.CustomerKey(fmt.Sprintf("c%02d", (w*7+i)%60))
				switch i % 10 {
				case 0:
					rc.observe([]shelfwise.Event{{Time: live, Customer: c, Type: shelfwise.EventView, SKU: "P05"}}, nil)
				case 1:
					rc.forget(c)
				default:
					if _, err := rc.ForCustomer(context.Background(), c, shelfhttp.RecQuery{N: 3}); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestRecommendCapScrubsErased checks that a model trained before an
// erasure never serves the erased customer's history again: loading it
// (a restart, a rollback, a promotion of an older artifact) removes every
// customer who no longer has a purchase in the store, and the saved model
// file of the recommend command goes on erasure, with its stamp.
func TestRecommendCapScrubsErased(t *testing.T) {
	m, ps := capModel(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := capStore(t, dir, ps)
	if _, err := db.EraseCustomer(ctx, "c07"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "recommend.swm")
	for _, f := range []string{file, stampFile(file)} {
		if err := os.WriteFile(f, []byte("saved model"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	rc := &recommendCap{db: db, modelFile: file}
	promote(t, rc, m, 1)
	served := rc.eng.Load().Model()
	if served.Log.User("c07") >= 0 {
		t.Fatal("the model loaded after the erasure still knows the erased customer")
	}
	if served.Log.User("c08") < 0 || m.Log.User("c07") < 0 {
		t.Fatal("scrubbing removed a customer still in the store, or changed the trained model")
	}
	// A saved version of the model is rewritten without the customer.
	rdb, err := registry.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	models := registry.NewModels(rdb)
	art, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	v, err := models.Register(ctx, shelfwise.ModelVersion{Task: shelfwise.TaskRecommend, Model: "hybrid"}, art)
	if err != nil {
		t.Fatal(err)
	}
	rc.models = models
	// The store erases first, then the caches and models hear of it.
	if _, err := db.EraseCustomer(ctx, "c08"); err != nil {
		t.Fatal(err)
	}
	rc.forget("c08")
	if rc.eng.Load().Model().Log.User("c08") >= 0 {
		t.Error("erasure left the customer in the served model")
	}
	rc.scrubbing.Wait() // the background rewrite of saved versions
	saved, err := models.Artifact(ctx, v.Task, v.Version)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := recommend.UnmarshalModel(saved)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Log.User("c08") >= 0 || sm.Log.User("c09") < 0 {
		t.Error("the saved version still holds the erased customer (or lost another)")
	}
	if nv, _ := models.Version(ctx, v.Task, v.Version); nv.Checksum == v.Checksum || !strings.Contains(nv.Note, "erased") {
		t.Errorf("saved version after erasure: %+v", nv)
	}
	for _, f := range []string{file, stampFile(file)} {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s after erasure: %v, want it removed", filepath.Base(f), err)
		}
	}
}

// capStore is a store in dir holding the purchases ps as sale lines.
func capStore(t *testing.T, dir string, ps []recommend.Purchase) shelfwise.DB {
	t.Helper()
	ctx := context.Background()
	db, err := openStore(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test", Source: "scrub"})
	if err != nil {
		t.Fatal(err)
	}
	var lines []shelfwise.OrderLine
	for _, p := range ps {
		lines = append(lines, shelfwise.OrderLine{Invoice: p.Invoice, Customer: p.Customer, SKU: p.SKU,
			Time: p.Time, Quantity: p.Quantity, UnitPrice: p.Price, Kind: shelfwise.LineSale})
	}
	if err := tx.AddOrderLines(ctx, lines); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "scrub"}); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestRecommendCapErasedWhileTraining checks the erasures that straddle a
// training or a load. A version whose data was read before an erasure but
// registered after the erasure's sweep ran is rewritten by the Registered
// hook before it can be promoted, and carries the time of that rewrite (a
// restart need not scrub it again); a version whose data is newer than
// every erasure is left alone; a model loaded while a customer is erased
// drops them when it is swapped in.
func TestRecommendCapErasedWhileTraining(t *testing.T) {
	m, ps := capModel(t)
	ctx := context.Background()
	db := capStore(t, t.TempDir(), ps)
	rdb, err := registry.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	models := registry.NewModels(rdb)
	rc := &recommendCap{db: db, models: models}
	art, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}

	readAt := time.Now() // the training reads its purchases
	time.Sleep(2 * time.Millisecond)
	if _, err := db.EraseCustomer(ctx, "c10"); err != nil {
		t.Fatal(err)
	}
	rc.forget("c10")
	rc.scrubbing.Wait() // the erasure's sweep: no version exists yet
	// A read starting just after an erasure's audit row may still see the
	// customer (the row is timed before the commit): it counts as before.
	if !rc.erasedSince(ctx, rc.readAsOf()) {
		t.Error("a read starting right after an erasure is taken to postdate it")
	}
	v, err := models.Register(ctx, shelfwise.ModelVersion{Task: shelfwise.TaskRecommend, Model: "hybrid", DataAsOf: readAt}, art)
	if err != nil {
		t.Fatal(err)
	}
	// The rewrite reads the store as of a little before it starts (an
	// erasure committing meanwhile counts as later): here, well after.
	rc.now = func() time.Time { return time.Now().Add(time.Minute) }
	nv, err := rc.registered(ctx, v)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := models.Artifact(ctx, nv.Task, nv.Version)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := recommend.UnmarshalModel(saved)
	if err != nil {
		t.Fatal(err)
	}
	if sm.Log.User("c10") >= 0 || sm.Log.User("c11") < 0 {
		t.Fatal("a version trained across an erasure still holds the erased customer (or lost another)")
	}
	if nv.Checksum == v.Checksum || !nv.DataAsOf.After(v.DataAsOf) || rc.erasedSince(ctx, nv.DataAsOf) {
		t.Fatalf("rewritten version %+v (was %+v): its data should date from after the erasure", nv, v)
	}

	// Data read after every erasure: nothing to do.
	fresh, err := models.Register(ctx, shelfwise.ModelVersion{Task: shelfwise.TaskRecommend, Model: "hybrid",
		DataAsOf: time.Now()}, saved)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rc.registered(ctx, fresh); err != nil || got.Checksum != fresh.Checksum || !got.DataAsOf.Equal(fresh.DataAsOf) {
		t.Fatalf("a version newer than the erasure was rewritten: %+v, %v", got, err)
	}

	// Erased between the load's check and the swap.
	rc2 := &recommendCap{}
	rc2.trained.Store("v1", m)
	swap, err := rc2.load(ctx, shelfwise.ModelVersion{Version: 1, Checksum: "v1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rc2.forget("c12")
	swap()
	if rc2.eng.Load().Model().Log.User("c12") >= 0 || rc2.eng.Load().Model().Log.User("c13") < 0 {
		t.Fatal("a model loaded while a customer was erased serves them (or lost another)")
	}
}
