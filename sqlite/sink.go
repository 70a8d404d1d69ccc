package sqlite

import (
	"context"
	"fmt"

	"github.com/shelfwise/shelfwise"
)

// The writer's Sink methods: they check records (see check.go) and turn
// them into rows of the catalogue and fact tables.

func (w *writer) putProducts(ctx context.Context, ps []shelfwise.Product) error {
	const q = `INSERT INTO products(sku_id, name, department, category, subcategory, brand, attributes, non_product)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(sku_id) DO UPDATE SET name=excluded.name, department=excluded.department,
			category=excluded.category, subcategory=excluded.subcategory, brand=excluded.brand,
			attributes=excluded.attributes, non_product=excluded.non_product`
	if err := checkAll(ps, checkProduct); err != nil {
		return err
	}
	if err := w.skus.prefetch(ctx, w, len(ps), func(i int) string { return string(ps[i].SKU) }); err != nil {
		return err
	}
	for _, p := range ps {
		id, err := w.skus.id(ctx, w, string(p.SKU))
		if err != nil {
			return err
		}
		attrs, err := jsonText(p.Attributes)
		if err != nil {
			return err
		}
		if _, err := w.exec(ctx, q, id, p.Name, p.Department, p.Category, p.Subcategory, p.Brand, attrs, boolCode(p.NonProduct)); err != nil {
			return fmt.Errorf("put product %s: %w", p.SKU, err)
		}
	}
	w.count("products", len(ps))
	return nil
}

func (w *writer) putStores(ctx context.Context, ss []shelfwise.Store) error {
	const q = `INSERT INTO stores(store_id, name, region, type, size, attributes) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT(store_id) DO UPDATE SET name=excluded.name, region=excluded.region,
			type=excluded.type, size=excluded.size, attributes=excluded.attributes`
	if err := checkAll(ss, checkStore); err != nil {
		return err
	}
	for _, s := range ss {
		id, err := w.stores.id(ctx, w, string(s.ID))
		if err != nil {
			return err
		}
		attrs, err := jsonText(s.Attributes)
		if err != nil {
			return fmt.Errorf("store %s attributes: %w", s.ID, err)
		}
		if _, err := w.exec(ctx, q, id, s.Name, s.Region, s.Type, s.Size, attrs); err != nil {
			return fmt.Errorf("put store %s: %w", s.ID, err)
		}
	}
	w.count("stores", len(ss))
	return nil
}

// count adds rows written outside the batched inserters.
func (w *writer) count(table string, n int) { w.counts[table] += int64(n) }

var orderLineCols = []string{"import_id", "t", "invoice_id", "store_id", "customer_id", "sku_id", "quantity", "unit_price", "discount", "kind", "country_id"}

func (w *writer) addOrderLines(ctx context.Context, ls []shelfwise.OrderLine) error {
	if err := checkAll(ls, checkOrderLine); err != nil {
		return err
	}
	b := w.inserter("order_lines", orderLineCols...)
	if err := w.invoices.prefetch(ctx, w, len(ls), func(i int) string { return string(ls[i].Invoice) }); err != nil {
		return err
	}
	if err := w.customers.prefetch(ctx, w, len(ls), func(i int) string { return string(ls[i].Customer) }); err != nil {
		return err
	}
	if err := w.skus.prefetch(ctx, w, len(ls), func(i int) string { return string(ls[i].SKU) }); err != nil {
		return err
	}
	for i := range ls {
		l := &ls[i]
		kind, _ := kindCode(l.Kind)
		inv, err := w.invoices.id(ctx, w, string(l.Invoice))
		if err != nil {
			return err
		}
		store, err := w.stores.id(ctx, w, string(l.Store))
		if err != nil {
			return err
		}
		cust, err := w.customers.id(ctx, w, string(l.Customer))
		if err != nil {
			return err
		}
		sku, err := w.skus.id(ctx, w, string(l.SKU))
		if err != nil {
			return err
		}
		country, err := w.countries.id(ctx, w, l.Country)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, toMS(l.Time), inv, store, cust, sku, l.Quantity, l.UnitPrice, l.Discount, kind, country)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

var eventCols = []string{"import_id", "t", "session_id", "customer_id", "type", "sku_id", "query", "quantity", "price", "store_id"}

func (w *writer) addEvents(ctx context.Context, evs []shelfwise.Event) error {
	if err := checkAll(evs, checkEvent); err != nil {
		return err
	}
	b := w.inserter("events", eventCols...)
	if err := w.sessions.prefetch(ctx, w, len(evs), func(i int) string { return string(evs[i].Session) }); err != nil {
		return err
	}
	if err := w.customers.prefetch(ctx, w, len(evs), func(i int) string { return string(evs[i].Customer) }); err != nil {
		return err
	}
	if err := w.skus.prefetch(ctx, w, len(evs), func(i int) string { return string(evs[i].SKU) }); err != nil {
		return err
	}
	for i := range evs {
		e := &evs[i]
		typ, _ := eventCode(e.Type)
		sess, err := w.sessions.id(ctx, w, string(e.Session))
		if err != nil {
			return err
		}
		cust, err := w.customers.id(ctx, w, string(e.Customer))
		if err != nil {
			return err
		}
		sku, err := w.skus.id(ctx, w, string(e.SKU))
		if err != nil {
			return err
		}
		store, err := w.stores.id(ctx, w, string(e.Store))
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, toMS(e.Time), sess, cust, boxed[typ], sku, e.Query, e.Quantity, e.Price, store)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

var sessionCols = []string{"import_id", "session_id", "customer_id", "start", "features", "categorical", "purchased"}

func (w *writer) addSessions(ctx context.Context, ss []shelfwise.Session) error {
	if err := checkAll(ss, checkSession); err != nil {
		return err
	}
	b := w.inserter("sessions", sessionCols...)
	for i := range ss {
		s := &ss[i]
		feats, err := jsonText(s.Features)
		if err != nil {
			return err
		}
		cats, err := jsonText(s.Categorical)
		if err != nil {
			return err
		}
		sess, err := w.sessions.id(ctx, w, string(s.ID))
		if err != nil {
			return err
		}
		cust, err := w.customers.id(ctx, w, string(s.Customer))
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, sess, cust, nullMS(s.Start), feats, cats, boolCode(s.Purchased))
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

var salesPointCols = []string{"import_id", "sku_id", "store_id", "grain", "day", "period", "units", "revenue", "price", "feature", "display", "deal", "available", "censored"}

func (w *writer) addSalesPoints(ctx context.Context, ps []shelfwise.SalesPoint) error {
	if err := checkAll(ps, checkSalesPoint); err != nil {
		return err
	}
	b := w.inserter("sales_points", salesPointCols...)
	if err := w.skus.prefetch(ctx, w, len(ps), func(i int) string { return string(ps[i].SKU) }); err != nil {
		return err
	}
	for i := range ps {
		p := &ps[i]
		g, _ := grainCode(p.Grain)
		var day any
		if g != 2 {
			day = dayOf(p.Date)
		}
		sku, store, err := w.skuStore(ctx, p.SKU, p.Store)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, sku, store, boxed[g], day, int64(p.Period), p.Units, p.Revenue, p.Price,
			p.Feature, p.Display, p.Deal, boolCode(p.Available), boolCode(p.Censored))
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) addPrices(ctx context.Context, ps []shelfwise.Price) error {
	if err := checkAll(ps, checkPrice); err != nil {
		return err
	}
	b := w.inserter("prices", "import_id", "sku_id", "store_id", "start", "end", "price")
	for i := range ps {
		p := &ps[i]
		sku, store, err := w.skuStore(ctx, p.SKU, p.Store)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, sku, store, toMS(p.Start), nullMS(p.End), p.Price)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) addPromotions(ctx context.Context, ps []shelfwise.Promotion) error {
	if err := checkAll(ps, checkPromotion); err != nil {
		return err
	}
	b := w.inserter("promotions", "import_id", "sku_id", "store_id", "start", "end", "kind", "discount", "value")
	for i := range ps {
		p := &ps[i]
		sku, store, err := w.skuStore(ctx, p.SKU, p.Store)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, sku, store, toMS(p.Start), nullMS(p.End), p.Kind, p.Discount, p.Value)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) addStockLevels(ctx context.Context, ss []shelfwise.StockLevel) error {
	if err := checkAll(ss, checkStockLevel); err != nil {
		return err
	}
	b := w.inserter("stock_levels", "import_id", "sku_id", "store_id", "t", "on_hand")
	for i := range ss {
		s := &ss[i]
		sku, store, err := w.skuStore(ctx, s.SKU, s.Store)
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, sku, store, toMS(s.Time), s.OnHand)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (w *writer) addCalendarEvents(ctx context.Context, cs []shelfwise.CalendarEvent) error {
	if err := checkAll(cs, checkCalendarEvent); err != nil {
		return err
	}
	b := w.inserter("calendar_events", "import_id", "t", "name", "type", "region", "store_id")
	for i := range cs {
		c := &cs[i]
		store, err := w.stores.id(ctx, w, string(c.Store))
		if err != nil {
			return err
		}
		b.buf = append(b.buf, w.importID, toMS(c.Date), c.Name, c.Type, c.Region, store)
		if err := b.add(ctx); err != nil {
			return err
		}
	}
	return nil
}

// skuStore resolves a product and store pair.
func (w *writer) skuStore(ctx context.Context, sku shelfwise.SKU, store shelfwise.StoreID) (any, any, error) {
	s, err := w.skus.id(ctx, w, string(sku))
	if err != nil {
		return nil, nil, err
	}
	st, err := w.stores.id(ctx, w, string(store))
	return s, st, err
}
