package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestOrderLinesCodedMatchesJoined: a whole-history read, whose codes Go
// resolves from the dictionaries, streams the same lines in the same order
// as the joined read SQLite resolves, for every filter OrderLines sends
// that way (lines with and without invoice, store, customer and country,
// of every kind, some of non-products).
func TestOrderLinesCodedMatchesJoined(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	lines := genLines(3000, 11)
	for i := range lines {
		l := &lines[i]
		switch i % 7 {
		case 0:
			l.Invoice = ""
		case 1:
			l.Customer = ""
		case 2:
			l.Store, l.Country = "", ""
		case 3:
			l.Kind, l.Quantity = shelfwise.LineReturn, -l.Quantity
		case 4, 5:
			l.Store = shelfwise.StoreID([]string{"S1", "S2"}[i%7-4])
		}
	}
	if err := importLines(ctx, db, lines, "coded"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutProducts(ctx, []shelfwise.Product{{SKU: lines[5].SKU, Name: "postage", NonProduct: true}}); err != nil {
		t.Fatal(err)
	}
	read := func(f shelfwise.OrderFilter, coded bool) []shelfwise.OrderLine {
		var out []shelfwise.OrderLine
		collect := func(l shelfwise.OrderLine) error { out = append(out, l); return nil }
		var err error
		if coded {
			err = db.orderLinesCoded(ctx, f, collect)
		} else {
			err = db.orderLinesJoined(ctx, f, collect)
		}
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	mid := lines[len(lines)/2].Time
	for _, f := range []shelfwise.OrderFilter{
		{},
		{Kinds: []shelfwise.LineKind{shelfwise.LineSale}, ProductsOnly: true},
		{To: mid},
		{To: mid.Add(time.Hour), Kinds: []shelfwise.LineKind{shelfwise.LineReturn}},
	} {
		if !wholeHistory(f) {
			t.Fatalf("filter %+v would not be read whole", f)
		}
		got, want := read(f, true), read(f, false)
		if len(want) == 0 || !reflect.DeepEqual(got, want) {
			t.Fatalf("filter %+v: %d lines coded, %d joined, or they differ", f, len(got), len(want))
		}
	}
	var someone shelfwise.CustomerKey
	for _, l := range lines {
		if l.Customer != "" {
			someone = l.Customer
			break
		}
	}
	for _, f := range []shelfwise.OrderFilter{{Customer: someone}, {SKU: lines[4].SKU}, {Store: "S1"}, {From: mid}} {
		if wholeHistory(f) {
			t.Fatalf("filter %+v would be read whole", f)
		}
	}
}

// TestInteractionsNewCodes: lines committed between Interactions' reading
// of the dictionaries and its aggregation, of a customer and a product the
// dictionaries did not hold then, come back under their codes (the
// dictionaries are read again), not under empty ones.
func TestInteractionsNewCodes(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := importLines(ctx, db, genLines(400, 5), "before"); err != nil {
		t.Fatal(err)
	}
	late := []shelfwise.OrderLine{{Invoice: "900001", Time: time.Date(2012, 1, 2, 10, 0, 0, 0, time.UTC),
		Customer: "c-late", SKU: "99999", Quantity: 3, UnitPrice: 1.5, Kind: shelfwise.LineSale, Country: "France"}}
	interactionsHook = func() {
		interactionsHook = nil
		if err := importLines(ctx, db, late, "late"); err != nil {
			t.Error(err)
		}
	}
	defer func() { interactionsHook = nil }()
	its, err := db.Interactions(ctx, shelfwise.InteractionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range its {
		if it.Customer == "" || it.SKU == "" {
			t.Fatalf("interaction without its codes: %+v", it)
		}
		if it.Customer == "c-late" && it.SKU == "99999" && it.Lines == 1 && it.Quantity == 3 {
			found = true
		}
	}
	if !found || len(its) < 300 {
		t.Fatalf("%d interactions, the late line's found: %v", len(its), found)
	}
}
