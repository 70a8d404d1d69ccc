package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shelfwise/shelfwise"
)

func (s *suite) testInteractions(t *testing.T) {
	ctx := context.Background()
	db := s.loaded(t)
	tests := []struct {
		name string
		q    shelfwise.InteractionQuery
		want []shelfwise.Interaction
	}{
		{"Lines", shelfwise.InteractionQuery{}, []shelfwise.Interaction{
			// Two sales (2 and 3) and a return of 1; anonymous and postage lines skipped.
			{Customer: custA, SKU: "A1", Lines: 2, Quantity: 4, FirstTime: day(0, 10, 0), LastTime: day(9, 8, 0)},
			{Customer: custA, SKU: "A2", Lines: 1, Quantity: 1, FirstTime: day(0, 10, 0), LastTime: day(0, 10, 0)},
			{Customer: custB, SKU: "A1", Lines: 1, Quantity: 4, FirstTime: day(2, 9, 0), LastTime: day(2, 9, 0)},
			{Customer: custB, SKU: "B1", Lines: 1, Quantity: 5, FirstTime: day(1, 15, 30), LastTime: day(1, 15, 30)},
		}},
		{"Window", shelfwise.InteractionQuery{From: day(1, 0, 0), To: day(9, 0, 0)}, []shelfwise.Interaction{
			{Customer: custA, SKU: "A1", Lines: 0, Quantity: -1, FirstTime: day(3, 12, 0), LastTime: day(3, 12, 0)},
			{Customer: custB, SKU: "A1", Lines: 1, Quantity: 4, FirstTime: day(2, 9, 0), LastTime: day(2, 9, 0)},
			{Customer: custB, SKU: "B1", Lines: 1, Quantity: 5, FirstTime: day(1, 15, 30), LastTime: day(1, 15, 30)},
		}},
		{"WithEvents", shelfwise.InteractionQuery{WithEvents: true}, []shelfwise.Interaction{
			{Customer: custA, SKU: "A1", Lines: 2, Quantity: 4, Views: 1, FirstTime: day(0, 10, 0), LastTime: day(9, 8, 0)},
			{Customer: custA, SKU: "A2", Lines: 1, Quantity: 1, Views: 2, FirstTime: day(0, 10, 0), LastTime: day(0, 10, 0)},
			{Customer: custA, SKU: "B1", Carts: 1, FirstTime: day(0, 9, 10), LastTime: day(0, 9, 10)},
			{Customer: custB, SKU: "A1", Lines: 1, Quantity: 4, FirstTime: day(2, 9, 0), LastTime: day(2, 9, 0)},
			{Customer: custB, SKU: "B1", Lines: 1, Quantity: 5, FirstTime: day(1, 15, 30), LastTime: day(1, 15, 30)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := db.Interactions(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			same(t, "interactions", got, tt.want)
		})
	}
}

func (s *suite) testBaskets(t *testing.T) {
	ctx := context.Background()
	db := s.loaded(t)
	tests := []struct {
		name string
		f    shelfwise.OrderFilter
		want []shelfwise.Basket
	}{
		{"SalesOfProducts", shelfwise.OrderFilter{Kinds: []shelfwise.LineKind{shelfwise.LineSale}, ProductsOnly: true}, []shelfwise.Basket{
			{Invoice: "I1", Customer: custA, Store: "S1", Time: day(0, 10, 0), SKUs: []shelfwise.SKU{"A1", "A2"}},
			{Invoice: "I7", Customer: custB, Store: "S2", Time: day(1, 15, 30), SKUs: []shelfwise.SKU{"B1"}},
			{Invoice: "I2", Customer: custB, Store: "S1", Time: day(2, 9, 0), SKUs: []shelfwise.SKU{"A1"}},
			{Invoice: "I3", Store: "S2", Time: day(2, 11, 0), SKUs: []shelfwise.SKU{"A1"}},
			{Invoice: "I5", Customer: custA, Store: "S1", Time: day(9, 8, 0), SKUs: []shelfwise.SKU{"A1"}},
		}},
		{"CustomerAllKinds", shelfwise.OrderFilter{Customer: custA}, []shelfwise.Basket{
			{Invoice: "I1", Customer: custA, Store: "S1", Time: day(0, 10, 0), SKUs: []shelfwise.SKU{"A1", "A2", "POST"}},
			{Invoice: "C4", Customer: custA, Store: "S1", Time: day(3, 12, 0), SKUs: []shelfwise.SKU{"A1"}},
			{Invoice: "I5", Customer: custA, Store: "S1", Time: day(9, 8, 0), SKUs: []shelfwise.SKU{"A1"}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := collect(t, func(fn func(shelfwise.Basket) error) error { return db.Baskets(ctx, tt.f, fn) })
			same(t, "baskets", got, tt.want)
		})
	}
}

// liveBatch is a small batch of live events and one order line.
func liveBatch(i int) ([]shelfwise.Event, []shelfwise.OrderLine) {
	sess := shelfwise.SessionID(fmt.Sprintf("live-%d", i))
	evs := []shelfwise.Event{
		{Time: day(20, 10, i), Session: sess, Customer: custB, Type: shelfwise.EventView, SKU: "A1"},
		{Time: day(20, 10, i), Session: sess, Customer: custB, Type: shelfwise.EventPurchase, SKU: "A1", Quantity: 1, Price: 3},
	}
	lines := []shelfwise.OrderLine{{Invoice: shelfwise.InvoiceID(fmt.Sprintf("W%d", i)), Time: day(20, 10, i),
		Customer: custB, SKU: "A1", Quantity: 1, UnitPrice: 3, Kind: shelfwise.LineSale}}
	return evs, lines
}

func (s *suite) testAddEvents(t *testing.T) {
	ctx := context.Background()
	t.Run("RetryNotCounted", func(t *testing.T) {
		db := s.db(t)
		evs, lines := liveBatch(1)
		for i, want := range []bool{true, false, false} {
			added, err := db.AddEvents(ctx, "key-1", evs, lines)
			if err != nil {
				t.Fatal(err)
			}
			if added != want {
				t.Errorf("call %d: added=%v, want %v", i+1, added, want)
			}
		}
		st := stats(t, db)
		if got, want := st.Events, int64(2); got != want {
			t.Errorf("events=%d, want %d", got, want)
		}
		if got, want := st.OrderLines, int64(1); got != want {
			t.Errorf("order lines=%d, want %d", got, want)
		}
		got := collect(t, func(fn func(shelfwise.Event) error) error { return db.Events(ctx, shelfwise.EventFilter{}, fn) })
		same(t, "stored events", got, evs)
	})
	t.Run("EmptyKeyAlwaysAdds", func(t *testing.T) {
		db := s.db(t)
		evs, _ := liveBatch(1)
		for i := 0; i < 2; i++ {
			if added, err := db.AddEvents(ctx, "", evs, nil); err != nil || !added {
				t.Fatalf("call %d: added=%v err=%v, want true, nil", i+1, added, err)
			}
		}
		if got, want := stats(t, db).Events, int64(4); got != want {
			t.Errorf("events=%d, want %d", got, want)
		}
	})
	t.Run("Concurrent", func(t *testing.T) {
		db := s.db(t)
		const workers, perWorker = 8, 5
		var wg sync.WaitGroup
		var mu sync.Mutex
		sharedAdded := 0
		errs := make(chan error, workers*(perWorker+1))
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < perWorker; i++ {
					evs, lines := liveBatch(w*perWorker + i)
					if _, err := db.AddEvents(ctx, fmt.Sprintf("key-%d-%d", w, i), evs, lines); err != nil {
						errs <- err
					}
				}
				// Every worker retries the same request: it must land once.
				evs, lines := liveBatch(1000)
				added, err := db.AddEvents(ctx, "shared", evs, lines)
				if err != nil {
					errs <- err
				}
				if added {
					mu.Lock()
					sharedAdded++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if got, want := sharedAdded, 1; got != want {
			t.Errorf("shared key added %d times, want %d", got, want)
		}
		st := stats(t, db)
		if got, want := st.Events, int64(2*(workers*perWorker+1)); got != want {
			t.Errorf("events=%d, want %d", got, want)
		}
		if got, want := st.OrderLines, int64(workers*perWorker+1); got != want {
			t.Errorf("order lines=%d, want %d", got, want)
		}
	})
	t.Run("ErrBadEventLeavesKeyUnused", func(t *testing.T) {
		db := s.db(t)
		evs, lines := liveBatch(1)
		bad := append([]shelfwise.Event{{Time: day(20, 9, 0), Type: "teleport"}}, evs...)
		if _, err := db.AddEvents(ctx, "key-bad", bad, lines); err == nil {
			t.Fatal("unknown event type accepted, want an error")
		}
		if got, want := stats(t, db).Events, int64(0); got != want {
			t.Errorf("events after a failed call=%d, want %d", got, want)
		}
		added, err := db.AddEvents(ctx, "key-bad", evs, lines)
		if err != nil || !added {
			t.Errorf("retry after failure: added=%v err=%v, want true, nil", added, err)
		}
	})
}

func (s *suite) testErase(t *testing.T) {
	ctx := context.Background()
	db := s.loaded(t)
	before := stats(t, db)
	t.Run("OK", func(t *testing.T) {
		n, err := db.EraseCustomer(ctx, custA)
		if err != nil {
			t.Fatal(err)
		}
		// 5 order lines, 4 events and 1 session of customer A.
		if got, want := n, int64(10); got != want {
			t.Errorf("rows erased=%d, want %d", got, want)
		}
		lines := collect(t, func(fn func(shelfwise.OrderLine) error) error {
			return db.OrderLines(ctx, shelfwise.OrderFilter{Customer: custA}, fn)
		})
		if len(lines) != 0 {
			t.Errorf("customer A still has %d order lines", len(lines))
		}
		evs := collect(t, func(fn func(shelfwise.Event) error) error {
			return db.Events(ctx, shelfwise.EventFilter{Customer: custA}, fn)
		})
		if len(evs) != 0 {
			t.Errorf("customer A still has %d events", len(evs))
		}
		for _, ss := range collect(t, func(fn func(shelfwise.Session) error) error { return db.Sessions(ctx, fn) }) {
			if ss.Customer == custA {
				t.Errorf("customer A still has session %s", ss.ID)
			}
		}
		its, err := db.Interactions(ctx, shelfwise.InteractionQuery{WithEvents: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range its {
			if it.Customer == custA {
				t.Errorf("customer A still has interaction %+v", it)
			}
		}
		after := stats(t, db)
		if got, want := after.Customers, before.Customers-1; got != want {
			t.Errorf("customers=%d, want %d", got, want)
		}
		if got, want := after.OrderLines, before.OrderLines-5; got != want {
			t.Errorf("order lines=%d, want %d (customer B and anonymous lines kept)", got, want)
		}
		// Covariates carry no customer: erasure leaves them alone.
		if got, want := after.Covariates, before.Covariates; got != want {
			t.Errorf("covariates=%d, want %d", got, want)
		}
	})
	t.Run("ErrAlreadyErased", func(t *testing.T) {
		_, err := db.EraseCustomer(ctx, custA)
		wantCode(t, "second erasure", err, shelfwise.ENOTFOUND)
	})
	t.Run("ErrUnknownCustomer", func(t *testing.T) {
		_, err := db.EraseCustomer(ctx, "never-seen")
		wantCode(t, "unknown customer", err, shelfwise.ENOTFOUND)
	})
}
