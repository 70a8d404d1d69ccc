package recommend

import (
	"context"
	"fmt"
	"strings"
	"sync"
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
