package http

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/shelfwise/shelfwise"
)

// fakeDB is a small working in-memory shelfwise.DB for the server's tests:
// it keeps what live ingest, erasure and the dashboard read, and counts
// writes so tests can check that refused requests change nothing.
type fakeDB struct {
	mu       sync.Mutex
	events   []shelfwise.Event
	lines    []shelfwise.OrderLine
	idem     map[string]bool
	products map[shelfwise.SKU]shelfwise.Product
	stores   map[shelfwise.StoreID]shelfwise.Store
	erased   int
	writes   int
	imports  []shelfwise.ImportReport
}

var _ shelfwise.DB = (*fakeDB)(nil)

func newFakeDB() *fakeDB {
	return &fakeDB{idem: map[string]bool{}, products: map[shelfwise.SKU]shelfwise.Product{},
		stores: map[shelfwise.StoreID]shelfwise.Store{}}
}

func (f *fakeDB) writeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes
}

func notImpl() error { return shelfwise.Errorf(shelfwise.ENOTIMPL, "not in the fake") }

func (f *fakeDB) BeginImport(context.Context, shelfwise.ImportMeta) (shelfwise.ImportTx, error) {
	return nil, notImpl()
}

func (f *fakeDB) Imports(context.Context) ([]shelfwise.ImportReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]shelfwise.ImportReport(nil), f.imports...), nil
}

func (f *fakeDB) Stats(context.Context) (shelfwise.Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := shelfwise.Stats{Products: int64(len(f.products)), Stores: int64(len(f.stores)),
		OrderLines: int64(len(f.lines)), Events: int64(len(f.events))}
	cust, inv := map[shelfwise.CustomerKey]bool{}, map[shelfwise.InvoiceID]bool{}
	see := func(t time.Time) {
		if st.FirstTime.IsZero() || t.Before(st.FirstTime) {
			st.FirstTime = t
		}
		if t.After(st.LastTime) {
			st.LastTime = t
		}
	}
	for _, l := range f.lines {
		if l.Customer != "" {
			cust[l.Customer] = true
		}
		inv[l.Invoice] = true
		see(l.Time)
	}
	for _, e := range f.events {
		if e.Customer != "" {
			cust[e.Customer] = true
		}
		see(e.Time)
	}
	st.Customers, st.Invoices = int64(len(cust)), int64(len(inv))
	return st, nil
}

func (f *fakeDB) Products(context.Context) ([]shelfwise.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ps []shelfwise.Product
	for _, p := range f.products {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].SKU < ps[j].SKU })
	return ps, nil
}

func (f *fakeDB) Product(_ context.Context, sku shelfwise.SKU) (shelfwise.Product, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.products[sku]
	if !ok {
		return p, shelfwise.Errorf(shelfwise.ENOTFOUND, "no product %s", sku)
	}
	return p, nil
}

func (f *fakeDB) Stores(context.Context) ([]shelfwise.Store, error) { return nil, notImpl() }

func (f *fakeDB) PutProducts(_ context.Context, ps []shelfwise.Product) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		f.products[p.SKU] = p
	}
	f.writes++
	return nil
}

func (f *fakeDB) PutStores(_ context.Context, ss []shelfwise.Store) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range ss {
		f.stores[s.ID] = s
	}
	f.writes++
	return nil
}

func (f *fakeDB) OrderLines(_ context.Context, q shelfwise.OrderFilter, fn func(shelfwise.OrderLine) error) error {
	f.mu.Lock()
	ls := append([]shelfwise.OrderLine(nil), f.lines...)
	f.mu.Unlock()
	for _, l := range ls {
		if q.Customer != "" && l.Customer != q.Customer {
			continue
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeDB) Events(context.Context, shelfwise.EventFilter, func(shelfwise.Event) error) error {
	return notImpl()
}

func (f *fakeDB) AddEvents(_ context.Context, key string, evs []shelfwise.Event, ls []shelfwise.OrderLine) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if key != "" && f.idem[key] {
		return false, nil
	}
	if key != "" {
		f.idem[key] = true
	}
	f.events = append(f.events, evs...)
	f.lines = append(f.lines, ls...)
	f.writes++
	return true, nil
}

func (f *fakeDB) Sessions(context.Context, func(shelfwise.Session) error) error { return notImpl() }

// Series returns the chain total revenue per day (the overview's chart).
func (f *fakeDB) Series(_ context.Context, q shelfwise.SeriesQuery, fn func(*shelfwise.Series) error) error {
	if len(q.Level) != 0 || q.Grain != shelfwise.GrainDay {
		return notImpl()
	}
	f.mu.Lock()
	byDay := map[int64]float64{}
	lo, hi := int64(1<<62), int64(-1<<62)
	for _, l := range f.lines {
		d := l.Time.Unix() / 86400
		v := l.Quantity
		if q.Measure == "revenue" {
			v = l.Amount()
		}
		byDay[d] += v
		lo, hi = min(lo, d), max(hi, d)
	}
	f.mu.Unlock()
	if len(byDay) == 0 {
		return nil
	}
	s := &shelfwise.Series{Grain: shelfwise.GrainDay, Start: time.Unix(lo*86400, 0).UTC()}
	for d := lo; d <= hi; d++ {
		s.Values = append(s.Values, byDay[d])
	}
	return fn(s)
}

func (f *fakeDB) Interactions(context.Context, shelfwise.InteractionQuery) ([]shelfwise.Interaction, error) {
	return nil, notImpl()
}

func (f *fakeDB) Baskets(context.Context, shelfwise.OrderFilter, func(shelfwise.Basket) error) error {
	return notImpl()
}

func (f *fakeDB) Prices(context.Context, shelfwise.SKU) ([]shelfwise.Price, error) {
	return nil, notImpl()
}

func (f *fakeDB) Promotions(context.Context, shelfwise.SKU) ([]shelfwise.Promotion, error) {
	return nil, notImpl()
}

func (f *fakeDB) StockLevels(context.Context, shelfwise.SKU) ([]shelfwise.StockLevel, error) {
	return nil, notImpl()
}

func (f *fakeDB) LatestStockLevels(context.Context) ([]shelfwise.StockLevel, error) {
	return nil, notImpl()
}

func (f *fakeDB) Calendar(context.Context) ([]shelfwise.CalendarEvent, error) { return nil, notImpl() }
func (f *fakeDB) Covariates(context.Context, shelfwise.CovariateQuery) ([]shelfwise.Covariate, error) {
	return nil, notImpl()
}
func (f *fakeDB) PutForecasts(context.Context, shelfwise.ForecastRun, []shelfwise.Forecast) error {
	return notImpl()
}
func (f *fakeDB) Forecasts(context.Context, shelfwise.ForecastQuery) ([]shelfwise.Forecast, error) {
	return nil, notImpl()
}

func (f *fakeDB) EraseCustomer(_ context.Context, c shelfwise.CustomerKey) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	evs := f.events[:0]
	for _, e := range f.events {
		if e.Customer == c {
			n++
			continue
		}
		evs = append(evs, e)
	}
	f.events = evs
	ls := f.lines[:0]
	for _, l := range f.lines {
		if l.Customer == c {
			n++
			continue
		}
		ls = append(ls, l)
	}
	f.lines = ls
	if n == 0 {
		return 0, shelfwise.Errorf(shelfwise.ENOTFOUND, "no rows for customer %s", c)
	}
	f.erased++
	f.writes++
	return n, nil
}

func (f *fakeDB) Close() error { return nil }
