package simulate

import (
	"context"
	"sync"

	"github.com/shelfwise/shelfwise"
)

// collector is a Sink that keeps every record, for tests.
type collector struct {
	mu       sync.Mutex
	products []shelfwise.Product
	stores   []shelfwise.Store
	lines    []shelfwise.OrderLine
	events   []shelfwise.Event
	sessions []shelfwise.Session
	points   []shelfwise.SalesPoint
	prices   []shelfwise.Price
	promos   []shelfwise.Promotion
	stock    []shelfwise.StockLevel
	calendar []shelfwise.CalendarEvent
	calls    int
}

func add[T any](c *collector, dst *[]T, xs []T) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	*dst = append(*dst, xs...)
	return nil
}

func (c *collector) PutProducts(_ context.Context, xs []shelfwise.Product) error {
	return add(c, &c.products, xs)
}
func (c *collector) PutStores(_ context.Context, xs []shelfwise.Store) error {
	return add(c, &c.stores, xs)
}
func (c *collector) AddOrderLines(_ context.Context, xs []shelfwise.OrderLine) error {
	return add(c, &c.lines, xs)
}
func (c *collector) AddEvents(_ context.Context, xs []shelfwise.Event) error {
	return add(c, &c.events, xs)
}
func (c *collector) AddSessions(_ context.Context, xs []shelfwise.Session) error {
	return add(c, &c.sessions, xs)
}
func (c *collector) AddSalesPoints(_ context.Context, xs []shelfwise.SalesPoint) error {
	return add(c, &c.points, xs)
}
func (c *collector) AddPrices(_ context.Context, xs []shelfwise.Price) error {
	return add(c, &c.prices, xs)
}
func (c *collector) AddPromotions(_ context.Context, xs []shelfwise.Promotion) error {
	return add(c, &c.promos, xs)
}
func (c *collector) AddStockLevels(_ context.Context, xs []shelfwise.StockLevel) error {
	return add(c, &c.stock, xs)
}
func (c *collector) AddCalendarEvents(_ context.Context, xs []shelfwise.CalendarEvent) error {
	return add(c, &c.calendar, xs)
}
