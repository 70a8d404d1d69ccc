package ingest

import (
	"context"

	"github.com/shelfwise/shelfwise"
)

// Batcher buffers records and hands them to a Sink in batches.
type Batcher struct {
	sink    shelfwise.Sink
	size    int
	written map[string]int64

	products   []shelfwise.Product
	stores     []shelfwise.Store
	lines      []shelfwise.OrderLine
	events     []shelfwise.Event
	sessions   []shelfwise.Session
	points     []shelfwise.SalesPoint
	prices     []shelfwise.Price
	promotions []shelfwise.Promotion
	stock      []shelfwise.StockLevel
	calendar   []shelfwise.CalendarEvent
	covariates []shelfwise.Covariate
}

// NewBatcher returns a Batcher writing to sink in batches of size (default
// 4096 when size <= 0).
func NewBatcher(sink shelfwise.Sink, size int) *Batcher {
	if size <= 0 {
		size = 4096
	}
	return &Batcher{sink: sink, size: size, written: map[string]int64{}}
}

// Written returns the number of records written per kind.
func (b *Batcher) Written() map[string]int64 {
	out := make(map[string]int64, len(b.written))
	for k, v := range b.written {
		out[k] = v
	}
	return out
}

func add[T any](ctx context.Context, b *Batcher, buf *[]T, v T, kind string, put func(context.Context, []T) error) error {
	*buf = append(*buf, v)
	if len(*buf) >= b.size {
		return flushOne(ctx, b, buf, kind, put)
	}
	return nil
}

func flushOne[T any](ctx context.Context, b *Batcher, buf *[]T, kind string, put func(context.Context, []T) error) error {
	if len(*buf) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := put(ctx, *buf); err != nil {
		return err
	}
	b.written[kind] += int64(len(*buf))
	*buf = (*buf)[:0]
	return nil
}

// Product buffers a catalogue entry.
func (b *Batcher) Product(ctx context.Context, p shelfwise.Product) error {
	return add(ctx, b, &b.products, p, "products", b.sink.PutProducts)
}

// Store buffers a store.
func (b *Batcher) Store(ctx context.Context, s shelfwise.Store) error {
	return add(ctx, b, &b.stores, s, "stores", b.sink.PutStores)
}

// OrderLine buffers an order line.
func (b *Batcher) OrderLine(ctx context.Context, l shelfwise.OrderLine) error {
	return add(ctx, b, &b.lines, l, "order_lines", b.sink.AddOrderLines)
}

// Event buffers a behaviour event.
func (b *Batcher) Event(ctx context.Context, e shelfwise.Event) error {
	return add(ctx, b, &b.events, e, "events", b.sink.AddEvents)
}

// Session buffers a summarised session.
func (b *Batcher) Session(ctx context.Context, s shelfwise.Session) error {
	return add(ctx, b, &b.sessions, s, "sessions", b.sink.AddSessions)
}

// SalesPoint buffers an aggregated sales observation.
func (b *Batcher) SalesPoint(ctx context.Context, p shelfwise.SalesPoint) error {
	return add(ctx, b, &b.points, p, "sales_points", b.sink.AddSalesPoints)
}

// Price buffers a price period.
func (b *Batcher) Price(ctx context.Context, p shelfwise.Price) error {
	return add(ctx, b, &b.prices, p, "prices", b.sink.AddPrices)
}

// Promotion buffers a promotion.
func (b *Batcher) Promotion(ctx context.Context, p shelfwise.Promotion) error {
	return add(ctx, b, &b.promotions, p, "promotions", b.sink.AddPromotions)
}

// StockLevel buffers a stock reading.
func (b *Batcher) StockLevel(ctx context.Context, s shelfwise.StockLevel) error {
	return add(ctx, b, &b.stock, s, "stock_levels", b.sink.AddStockLevels)
}

// CalendarEvent buffers a calendar event.
func (b *Batcher) CalendarEvent(ctx context.Context, c shelfwise.CalendarEvent) error {
	return add(ctx, b, &b.calendar, c, "calendar_events", b.sink.AddCalendarEvents)
}

// Covariate buffers a covariate; sinks that do not keep covariates
// (see shelfwise.CovariateSink) receive none.
func (b *Batcher) Covariate(ctx context.Context, c shelfwise.Covariate) error {
	cs, ok := b.sink.(shelfwise.CovariateSink)
	if !ok {
		return nil
	}
	return add(ctx, b, &b.covariates, c, "covariates", cs.AddCovariates)
}

// Flush writes every buffered record. Products and stores go first so
// records that refer to them find them.
func (b *Batcher) Flush(ctx context.Context) error {
	steps := []func() error{
		func() error { return flushOne(ctx, b, &b.products, "products", b.sink.PutProducts) },
		func() error { return flushOne(ctx, b, &b.stores, "stores", b.sink.PutStores) },
		func() error { return flushOne(ctx, b, &b.lines, "order_lines", b.sink.AddOrderLines) },
		func() error { return flushOne(ctx, b, &b.events, "events", b.sink.AddEvents) },
		func() error { return flushOne(ctx, b, &b.sessions, "sessions", b.sink.AddSessions) },
		func() error { return flushOne(ctx, b, &b.points, "sales_points", b.sink.AddSalesPoints) },
		func() error { return flushOne(ctx, b, &b.prices, "prices", b.sink.AddPrices) },
		func() error { return flushOne(ctx, b, &b.promotions, "promotions", b.sink.AddPromotions) },
		func() error { return flushOne(ctx, b, &b.stock, "stock_levels", b.sink.AddStockLevels) },
		func() error { return flushOne(ctx, b, &b.calendar, "calendar_events", b.sink.AddCalendarEvents) },
		func() error {
			if cs, ok := b.sink.(shelfwise.CovariateSink); ok {
				return flushOne(ctx, b, &b.covariates, "covariates", cs.AddCovariates)
			}
			return nil
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

// Memory is a Sink that keeps every record in memory, for evaluations that
// read a dataset without a store. Products and Stores keep the last version
// of each key, in first-seen order.
type Memory struct {
	Products    []shelfwise.Product
	Stores      []shelfwise.Store
	OrderLines  []shelfwise.OrderLine
	Events      []shelfwise.Event
	Sessions    []shelfwise.Session
	SalesPoints []shelfwise.SalesPoint
	Prices      []shelfwise.Price
	Promotions  []shelfwise.Promotion
	StockLevels []shelfwise.StockLevel
	Calendar    []shelfwise.CalendarEvent
	Covariates  []shelfwise.Covariate

	productIdx map[shelfwise.SKU]int
	storeIdx   map[shelfwise.StoreID]int
}

var _ shelfwise.Sink = (*Memory)(nil)

// PutProducts upserts products by SKU.
func (m *Memory) PutProducts(_ context.Context, ps []shelfwise.Product) error {
	if m.productIdx == nil {
		m.productIdx = map[shelfwise.SKU]int{}
	}
	for _, p := range ps {
		if i, ok := m.productIdx[p.SKU]; ok {
			m.Products[i] = p
			continue
		}
		m.productIdx[p.SKU] = len(m.Products)
		m.Products = append(m.Products, p)
	}
	return nil
}

// PutStores upserts stores by ID.
func (m *Memory) PutStores(_ context.Context, ss []shelfwise.Store) error {
	if m.storeIdx == nil {
		m.storeIdx = map[shelfwise.StoreID]int{}
	}
	for _, s := range ss {
		if i, ok := m.storeIdx[s.ID]; ok {
			m.Stores[i] = s
			continue
		}
		m.storeIdx[s.ID] = len(m.Stores)
		m.Stores = append(m.Stores, s)
	}
	return nil
}

// AddOrderLines appends order lines.
func (m *Memory) AddOrderLines(_ context.Context, ls []shelfwise.OrderLine) error {
	m.OrderLines = append(m.OrderLines, ls...)
	return nil
}

// AddEvents appends events.
func (m *Memory) AddEvents(_ context.Context, es []shelfwise.Event) error {
	m.Events = append(m.Events, es...)
	return nil
}

// AddSessions appends sessions.
func (m *Memory) AddSessions(_ context.Context, ss []shelfwise.Session) error {
	m.Sessions = append(m.Sessions, ss...)
	return nil
}

// AddSalesPoints appends sales points.
func (m *Memory) AddSalesPoints(_ context.Context, ps []shelfwise.SalesPoint) error {
	m.SalesPoints = append(m.SalesPoints, ps...)
	return nil
}

// AddPrices appends prices.
func (m *Memory) AddPrices(_ context.Context, ps []shelfwise.Price) error {
	m.Prices = append(m.Prices, ps...)
	return nil
}

// AddPromotions appends promotions.
func (m *Memory) AddPromotions(_ context.Context, ps []shelfwise.Promotion) error {
	m.Promotions = append(m.Promotions, ps...)
	return nil
}

// AddStockLevels appends stock levels.
func (m *Memory) AddStockLevels(_ context.Context, ss []shelfwise.StockLevel) error {
	m.StockLevels = append(m.StockLevels, ss...)
	return nil
}

// AddCalendarEvents appends calendar events.
func (m *Memory) AddCalendarEvents(_ context.Context, cs []shelfwise.CalendarEvent) error {
	m.Calendar = append(m.Calendar, cs...)
	return nil
}

// AddCovariates appends covariates.
func (m *Memory) AddCovariates(_ context.Context, cs []shelfwise.Covariate) error {
	m.Covariates = append(m.Covariates, cs...)
	return nil
}
