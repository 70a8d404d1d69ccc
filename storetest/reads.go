package storetest

import (
	"context"
	"testing"

	"github.com/shelfwise/shelfwise"
)

func (s *suite) testCatalog(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	db := s.loaded(t)
	t.Run("Products", func(t *testing.T) {
		got, err := db.Products(ctx)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "products", got, f.Products) // the fixture is in SKU order
	})
	t.Run("Product", func(t *testing.T) {
		got, err := db.Product(ctx, "B1")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "product B1", got, f.Products[2])
	})
	t.Run("ErrProductNotFound", func(t *testing.T) {
		_, err := db.Product(ctx, "NOPE")
		wantCode(t, "Product(NOPE)", err, shelfwise.ENOTFOUND)
	})
	t.Run("Stores", func(t *testing.T) {
		got, err := db.Stores(ctx)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "stores", got, f.Stores)
	})
	t.Run("Upsert", func(t *testing.T) {
		p := f.Products[1]
		p.Name, p.Brand = "Dinner plate", "Acme"
		n := shelfwise.Product{SKU: "C1", Name: "Cup", Department: "Home"}
		if err := db.PutProducts(ctx, []shelfwise.Product{p, n}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Product(ctx, "A2")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "updated product", got, p)
		all, err := db.Products(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(all), len(f.Products)+1; got != want {
			t.Errorf("products after upsert=%d, want %d", got, want)
		}
		st := shelfwise.Store{ID: "S2", Name: "Web shop", Type: "online", Attributes: map[string]float64{"visits": 10}}
		if err := db.PutStores(ctx, []shelfwise.Store{st}); err != nil {
			t.Fatal(err)
		}
		stores, err := db.Stores(ctx)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "stores after upsert", stores, []shelfwise.Store{f.Stores[0], st})
	})
}

func (s *suite) testOrderLines(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	db := s.loaded(t)
	// want selects fixture lines by index.
	want := func(idx ...int) []shelfwise.OrderLine {
		out := []shelfwise.OrderLine{}
		for _, i := range idx {
			out = append(out, f.Lines[i])
		}
		return out
	}
	tests := []struct {
		name string
		f    shelfwise.OrderFilter
		want []shelfwise.OrderLine
	}{
		{"All", shelfwise.OrderFilter{}, f.Lines},
		{"Customer", shelfwise.OrderFilter{Customer: custB}, want(3, 4)},
		{"SKU", shelfwise.OrderFilter{SKU: "A1"}, want(0, 4, 5, 6, 8)},
		{"Store", shelfwise.OrderFilter{Store: "S2"}, want(3, 5)},
		{"TimeRange", shelfwise.OrderFilter{From: day(1, 0, 0), To: day(3, 12, 0)}, want(3, 4, 5)},
		{"Kinds", shelfwise.OrderFilter{Kinds: []shelfwise.LineKind{shelfwise.LineReturn, shelfwise.LineAdjustment}}, want(6, 7)},
		{"ProductsOnly", shelfwise.OrderFilter{Customer: custA, ProductsOnly: true}, want(0, 1, 6, 8)},
		{"UnknownCustomer", shelfwise.OrderFilter{Customer: "nobody"}, want()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, func(fn func(shelfwise.OrderLine) error) error { return db.OrderLines(ctx, tt.f, fn) })
			if got == nil {
				got = []shelfwise.OrderLine{}
			}
			same(t, "order lines", got, tt.want)
		})
	}
	t.Run("CallbackErrorStops", func(t *testing.T) {
		n := 0
		stop := shelfwise.Errorf(shelfwise.EINVALID, "stop")
		err := db.OrderLines(ctx, shelfwise.OrderFilter{}, func(shelfwise.OrderLine) error { n++; return stop })
		if err != stop {
			t.Errorf("error=%v, want the callback's error", err)
		}
		if got, want := n, 1; got != want {
			t.Errorf("callbacks=%d, want %d", got, want)
		}
	})
}

func (s *suite) testEvents(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	db := s.loaded(t)
	tests := []struct {
		name string
		f    shelfwise.EventFilter
		want []shelfwise.Event
	}{
		{"All", shelfwise.EventFilter{}, f.Events},
		{"Session", shelfwise.EventFilter{Session: "s2"}, f.Events[4:6]},
		{"Customer", shelfwise.EventFilter{Customer: custA}, f.Events[0:4]},
		{"Types", shelfwise.EventFilter{Types: []shelfwise.EventType{shelfwise.EventCart, shelfwise.EventSearch}}, f.Events[3:5]},
		{"TimeRange", shelfwise.EventFilter{From: day(0, 9, 5), To: day(0, 9, 10)}, f.Events[1:3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, func(fn func(shelfwise.Event) error) error { return db.Events(ctx, tt.f, fn) })
			same(t, "events", got, tt.want)
		})
	}
	t.Run("Sessions", func(t *testing.T) {
		got := collect(t, func(fn func(shelfwise.Session) error) error { return db.Sessions(ctx, fn) })
		same(t, "sessions", got, f.Sessions)
	})
}

func (s *suite) testTimeVarying(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	db := s.loaded(t)
	t.Run("Prices", func(t *testing.T) {
		got, err := db.Prices(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "prices", got, f.Prices)
		got, err = db.Prices(ctx, "A2")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "prices of A2", got, f.Prices[1:])
	})
	t.Run("Promotions", func(t *testing.T) {
		got, err := db.Promotions(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "promotions", got, f.Promotions)
		got, err = db.Promotions(ctx, "B1")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 0 {
			t.Errorf("promotions of B1=%v, want none", got)
		}
	})
	t.Run("StockLevels", func(t *testing.T) {
		got, err := db.StockLevels(ctx, "A1")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "stock levels", got, f.Stock)
	})
	t.Run("LatestStockLevels", func(t *testing.T) {
		got, err := db.LatestStockLevels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// A1 at S1 sold out, then restocked: the restock is what is on hand.
		same(t, "latest stock levels", got, f.Stock[len(f.Stock)-1:])
	})
	t.Run("Calendar", func(t *testing.T) {
		got, err := db.Calendar(ctx)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "calendar", got, f.Calendar)
	})
}

func (s *suite) testStats(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		same(t, "stats of an empty store", stats(t, s.db(t)), shelfwise.Stats{})
	})
	t.Run("Fixture", func(t *testing.T) {
		got := stats(t, s.loaded(t))
		want := shelfwise.Stats{
			Products: 4, Stores: 2, Customers: 2, OrderLines: 9, Invoices: 7, Events: 6, Sessions: 2,
			// A1@S1, A1@S2, A2@S1, B1@S1 (an adjustment), B1@S2; POST is not a product.
			Series: 5, Prices: 2, Promotions: 1, StockLevels: 2, CalendarDays: 2, Covariates: 5, Imports: 1,
			FirstTime: day(0, 9, 0), LastTime: day(9, 8, 0),
		}
		same(t, "stats", got, want)
	})
}
