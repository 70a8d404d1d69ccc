package main

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
)

// TestRecommendCapRules checks that a customer's list keeps the business
// rules the API passes: the category cap, the price range, the price band
// around a product, the promoted share and the stock, which is read from
// the store's latest levels and never served from the cache.
func TestRecommendCapRules(t *testing.T) {
	m, ps := capModel(t)
	now := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	db := &stockDB{}
	rc := &recommendCap{now: func() time.Time { return now }}
	promote(t, rc, m, 1)
	rc.db = db // after promotion, which reads the store's purchases
	ctx := context.Background()
	num := func(s shelfwise.SKU) int {
		var n int
		fmt.Sscanf(string(s), "P%d", &n)
		return n
	}
	get := func(c shelfwise.CustomerKey, n int, ru shelfhttp.RecRules) []shelfwise.Recommendation {
		t.Helper()
		l, err := rc.ForCustomer(ctx, c, shelfhttp.RecQuery{N: n, Rules: ru})
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	t.Run("MaxPerCategory", func(t *testing.T) {
		// c00 buys only group 0 (P00-P29), so without a cap its list is one
		// category.
		if l := get("c00", 3, shelfhttp.RecRules{}); num(l[0].SKU)/30 != 0 || num(l[2].SKU)/30 != 0 {
			t.Fatalf("uncapped list not of the customer's group: %+v", l)
		}
		seen := map[int]bool{}
		for _, r := range get("c00", 3, shelfhttp.RecRules{MaxPerCategory: 1}) {
			if g := num(r.SKU) / 30; seen[g] {
				t.Fatalf("two products of category g%d with a cap of 1", g)
			} else {
				seen[g] = true
			}
		}
	})
	t.Run("PriceRange", func(t *testing.T) {
		l := get("c01", 8, shelfhttp.RecRules{MinPrice: 2, MaxPrice: 3})
		for _, r := range l {
			if p := capPrice(num(r.SKU)); p < 2 || p > 3 {
				t.Fatalf("%s priced %g outside [2, 3]", r.SKU, p)
			}
		}
		if len(l) != 8 {
			t.Fatalf("%d products, want 8", len(l))
		}
	})
	t.Run("AroundProduct", func(t *testing.T) {
		// P34 costs 5: a band of 0.2 keeps 4 to 6, so only the 4s and 5s.
		for _, r := range get("c01", 8, shelfhttp.RecRules{Around: "P34", PriceBand: 0.2}) {
			if p := capPrice(num(r.SKU)); r.SKU == "P34" || p < 4 {
				t.Fatalf("%s (price %g) in a list around P34 at ±20%%", r.SKU, p)
			}
		}
	})
	t.Run("Promoted", func(t *testing.T) {
		promo := []shelfwise.SKU{"P70", "P71", "P72", "P73"} // group 2: not c00's taste
		count := func(l []shelfwise.Recommendation) int {
			n := 0
			for _, r := range l {
				if num(r.SKU) >= 70 && num(r.SKU) <= 73 {
					n++
				}
			}
			return n
		}
		if n := count(get("c00", 10, shelfhttp.RecRules{})); n != 0 {
			t.Fatalf("%d of the promoted products already in c00's list: pick others", n)
		}
		if n := count(get("c00", 10, shelfhttp.RecRules{Promoted: promo, PromotedShare: 0.3})); n != 3 {
			t.Fatalf("%d promoted products in a list of 10 at a share of 0.3, want 3", n)
		}
	})
	t.Run("NewOnlyRepeatable", func(t *testing.T) {
		bought := map[shelfwise.SKU]bool{} // c00's: all of g0
		for _, p := range ps {
			if p.Customer == "c00" {
				bought[p.SKU] = true
			}
		}
		owns := func(q shelfhttp.RecQuery) int {
			t.Helper()
			l, err := rc.ForCustomer(ctx, "c00", q)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range l.Items {
				if bought[r.SKU] {
					if num(r.SKU) >= 30 {
						t.Fatalf("c00 bought %s, outside g0", r.SKU)
					}
					n++
				}
			}
			return n
		}
		if n := owns(shelfhttp.RecQuery{N: 10}); n == 0 {
			t.Fatal("no g0 product in c00's list: pick another customer")
		}
		if n := owns(shelfhttp.RecQuery{N: 10, NewOnly: true, Repeatable: []string{"g2"}}); n != 0 {
			t.Fatalf("%d bought g0 products in a new-only list keeping g2", n)
		}
		if n := owns(shelfhttp.RecQuery{N: 10, NewOnly: true, Repeatable: []string{"g0"}}); n == 0 {
			t.Fatal("no bought g0 product in a new-only list keeping g0")
		}
	})
	t.Run("ItemToItemLists", func(t *testing.T) {
		// Similar, bought-together, a session without an id and trending
		// take the same rules: a category and a price cap.
		q := shelfhttp.RecQuery{N: 4, Category: "g1", Rules: shelfhttp.RecRules{MaxPrice: 3}}
		lists := map[string]func() (shelfhttp.RecList, error){
			"similar":         func() (shelfhttp.RecList, error) { return rc.Similar(ctx, "P05", q) },
			"bought-together": func() (shelfhttp.RecList, error) { return rc.BoughtTogether(ctx, "P35", q) },
			"session":         func() (shelfhttp.RecList, error) { return rc.ForSession(ctx, "", []shelfwise.SKU{"P05", "P35"}, q) },
			"trending":        func() (shelfhttp.RecList, error) { return rc.Trending(ctx, q) },
		}
		for name, f := range lists {
			l, err := f()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(l.Items) != 4 {
				t.Fatalf("%s: %d items, want 4: %+v", name, len(l.Items), l.Items)
			}
			for _, r := range l.Items {
				if n := num(r.SKU); n/30 != 1 || capPrice(n) > 3 {
					t.Fatalf("%s listed %s (category g%d, price %g) for category g1 up to 3", name, r.SKU, n/30, capPrice(n))
				}
			}
		}
	})
	t.Run("InStock", func(t *testing.T) {
		base := get("c02", 5, shelfhttp.RecRules{})
		gone, kept := base[0].SKU, base[1].SKU
		db.levels = []shelfwise.StockLevel{
			{SKU: gone, Store: "S1", Time: now.Add(-48 * time.Hour), OnHand: 7},
			{SKU: gone, Store: "S1", Time: now.Add(-time.Hour), OnHand: 0}, // sold out in S1
			{SKU: gone, Store: "S2", Time: now.Add(-time.Hour), OnHand: -1},
			{SKU: kept, Store: "S1", Time: now.Add(-time.Hour), OnHand: 0},
			{SKU: kept, Store: "S2", Time: now.Add(-time.Hour), OnHand: 2}, // still in S2
		}
		l := get("c02", 5, shelfhttp.RecRules{InStock: true})
		for _, r := range l {
			if r.SKU == gone {
				t.Fatalf("%s is out of stock in every store but listed: %+v", gone, l)
			}
		}
		if !slicesHas(l, kept) {
			t.Fatalf("%s is in stock in S2 but left out: %+v", kept, l)
		}
		if get("c02", 5, shelfhttp.RecRules{})[0].SKU != gone {
			t.Fatal("a list without in_stock follows the stock")
		}
		// Restocked: the snapshot serves for stockTTL; the first request
		// after it still gets the old one and starts a reload.
		db.levels = append(db.levels, shelfwise.StockLevel{SKU: gone, Store: "S1", Time: now, OnHand: 3})
		if slicesHas(get("c02", 5, shelfhttp.RecRules{InStock: true}), gone) {
			t.Fatal("the stock was read again before stockTTL")
		}
		now = now.Add(stockTTL)
		if slicesHas(get("c02", 5, shelfhttp.RecRules{InStock: true}), gone) {
			t.Fatal("the request that found the snapshot stale waited for the reload")
		}
		rc.stockLoads.Wait()
		if l := get("c02", 5, shelfhttp.RecRules{InStock: true}); l[0].SKU != gone {
			t.Fatalf("restocked %s not back at the top after the reload: %+v", gone, l)
		}
		if n := db.reads.Load(); n != 2 {
			t.Fatalf("store read %d times, want 2", n)
		}
	})
}

func slicesHas(l []shelfwise.Recommendation, s shelfwise.SKU) bool {
	for _, r := range l {
		if r.SKU == s {
			return true
		}
	}
	return false
}

// stockDB is a store that answers only LatestStockLevels, from levels as
// they arrived, and counts the reads.
type stockDB struct {
	shelfwise.DB
	levels []shelfwise.StockLevel
	reads  atomic.Int32
}

func (d *stockDB) LatestStockLevels(context.Context) ([]shelfwise.StockLevel, error) {
	d.reads.Add(1)
	return latestOf(d.levels), nil
}

// latestOf keeps the last level of each product and store (in time, then
// arrival order), sorted by SKU and store, as the store returns them.
func latestOf(levels []shelfwise.StockLevel) []shelfwise.StockLevel {
	l := slices.Clone(levels)
	slices.SortStableFunc(l, func(a, b shelfwise.StockLevel) int {
		return cmp.Or(cmp.Compare(a.SKU, b.SKU), cmp.Compare(a.Store, b.Store), a.Time.Compare(b.Time))
	})
	var out []shelfwise.StockLevel
	for i, x := range l {
		if i+1 == len(l) || l[i+1].SKU != x.SKU || l[i+1].Store != x.Store {
			out = append(out, x)
		}
	}
	return out
}

// TestOutOfStockSet reads hand-made latest levels: a product is out of
// stock when its level is zero or less in every store with one.
func TestOutOfStockSet(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	l := []shelfwise.StockLevel{
		{SKU: "A", Store: "S1", Time: t0, OnHand: 0},
		{SKU: "A", Store: "S1", Time: t0.Add(time.Hour), OnHand: 4}, // restocked
		{SKU: "B", Store: "S1", Time: t0, OnHand: 4},
		{SKU: "B", Store: "S1", Time: t0.Add(time.Hour), OnHand: 0}, // sold out
		{SKU: "C", Store: "", Time: t0, OnHand: 0},                  // chain-wide, sold out
		{SKU: "D", Store: "S1", Time: t0, OnHand: 0},
		{SKU: "D", Store: "S2", Time: t0, OnHand: 1},
	}
	got := outOfStockSet(latestOf(l))
	if want := map[shelfwise.SKU]bool{"B": true, "C": true}; !reflect.DeepEqual(got, want) {
		t.Fatalf("out of stock %v, want %v", got, want)
	}
}
