package simulate

import (
	"context"
	"sync/atomic"

	"github.com/shelfwise/shelfwise"
)

// Discard is a Sink that drops every record and counts them, for
// benchmarks of the generator alone. It is safe for concurrent use.
type Discard struct {
	Lines, Events, Sessions, Points, Other atomic.Int64
}

var _ shelfwise.Sink = (*Discard)(nil)

// PutProducts counts the products.
func (d *Discard) PutProducts(_ context.Context, ps []shelfwise.Product) error {
	d.Other.Add(int64(len(ps)))
	return nil
}

// PutStores counts the stores.
func (d *Discard) PutStores(_ context.Context, ss []shelfwise.Store) error {
	d.Other.Add(int64(len(ss)))
	return nil
}

// AddOrderLines counts the order lines.
func (d *Discard) AddOrderLines(_ context.Context, ls []shelfwise.OrderLine) error {
	d.Lines.Add(int64(len(ls)))
	return nil
}

// AddEvents counts the events.
func (d *Discard) AddEvents(_ context.Context, evs []shelfwise.Event) error {
	d.Events.Add(int64(len(evs)))
	return nil
}

// AddSessions counts the sessions.
func (d *Discard) AddSessions(_ context.Context, ss []shelfwise.Session) error {
	d.Sessions.Add(int64(len(ss)))
	return nil
}

// AddSalesPoints counts the sales points.
func (d *Discard) AddSalesPoints(_ context.Context, ps []shelfwise.SalesPoint) error {
	d.Points.Add(int64(len(ps)))
	return nil
}

// AddPrices counts the prices.
func (d *Discard) AddPrices(_ context.Context, ps []shelfwise.Price) error {
	d.Other.Add(int64(len(ps)))
	return nil
}

// AddPromotions counts the promotions.
func (d *Discard) AddPromotions(_ context.Context, ps []shelfwise.Promotion) error {
	d.Other.Add(int64(len(ps)))
	return nil
}

// AddStockLevels counts the stock levels.
func (d *Discard) AddStockLevels(_ context.Context, ss []shelfwise.StockLevel) error {
	d.Other.Add(int64(len(ss)))
	return nil
}

// AddCalendarEvents counts the calendar events.
func (d *Discard) AddCalendarEvents(_ context.Context, cs []shelfwise.CalendarEvent) error {
	d.Other.Add(int64(len(cs)))
	return nil
}
