package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestLatestStockLevels checks the latest level per product and store
// against a direct reading of random levels imported in two batches, with
// equal times (the later arrival wins) and chain-wide levels, and that the
// query reads the index in order instead of sorting the table.
func TestLatestStockLevels(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	r := rand.New(rand.NewPCG(3, 4))
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var all []shelfwise.StockLevel
	for batch := range 2 {
		var ls []shelfwise.StockLevel
		for range 400 {
			ls = append(ls, shelfwise.StockLevel{SKU: shelfwise.SKU(fmt.Sprintf("S%02d", r.IntN(20))),
				Store:  shelfwise.StoreID([]string{"", "N1", "N2"}[r.IntN(3)]),
				Time:   t0.Add(time.Duration(r.IntN(30)) * 24 * time.Hour), // many equal times
				OnHand: float64(r.IntN(5) - 1)})
		}
		tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.AddStockLevels(ctx, ls); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: fmt.Sprint("stock", batch)}); err != nil {
			t.Fatal(err)
		}
		all = append(all, ls...)
	}
	type key struct {
		sku   shelfwise.SKU
		store shelfwise.StoreID
	}
	latest := map[key]shelfwise.StockLevel{}
	for _, l := range all { // arrival order: a later equal time replaces
		k := key{l.SKU, l.Store}
		if p, ok := latest[k]; !ok || !l.Time.Before(p.Time) {
			latest[k] = l
		}
	}
	var want []shelfwise.StockLevel
	for _, l := range latest {
		want = append(want, l)
	}
	slices.SortFunc(want, func(a, b shelfwise.StockLevel) int {
		return strings.Compare(string(a.SKU)+"\x00"+string(a.Store), string(b.SKU)+"\x00"+string(b.Store))
	})
	got, err := db.LatestStockLevels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 60 || !reflect.DeepEqual(got, want) {
		t.Fatalf("%d latest levels, want %d (20 products x 3 stores)\n got  %v\n want %v", len(got), len(want), got[:min(5, len(got))], want[:min(5, len(want))])
	}
	// The window reads the (sku, store, time) index in order: at most
	// each product-store's levels are sorted, never the whole table.
	p := plan(t, db, stockRanks)
	if !strings.Contains(p, "USING INDEX stock_levels_key") || strings.Contains(p, "TEMP B-TREE FOR ORDER BY") {
		t.Fatalf("plan %q: want the stock_levels_key index without a full sort", p)
	}
}
