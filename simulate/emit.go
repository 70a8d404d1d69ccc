package simulate

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Record kinds counted in Truth.Counts (and an import report's Written).
const (
	KindStores      = "stores"
	KindProducts    = "products"
	KindCalendar    = "calendar_events"
	KindPrices      = "prices"
	KindPromotions  = "promotions"
	KindOrderLines  = "order_lines"
	KindEvents      = "events"
	KindSessions    = "sessions"
	KindStockLevels = "stock_levels"
	KindSalesPoints = "sales_points"
)

// emitter writes records to the sink in batches and counts them.
type emitter struct {
	sink   shelfwise.Sink
	batch  int
	counts map[string]int64
}

// put calls add on successive batches of xs and counts them under kind.
func put[T any](ctx context.Context, em *emitter, kind string, xs []T, add func(context.Context, []T) error) error {
	for len(xs) > 0 {
		n := min(len(xs), em.batch)
		if err := add(ctx, xs[:n]); err != nil {
			return fmt.Errorf("simulate: write %s: %w", kind, err)
		}
		em.counts[kind] += int64(n)
		xs = xs[n:]
	}
	return nil
}

// block writes one partition's block of days.
func (em *emitter) block(ctx context.Context, res *blockResult) error {
	s := em.sink
	if err := put(ctx, em, KindOrderLines, res.lines, s.AddOrderLines); err != nil {
		return err
	}
	if err := put(ctx, em, KindEvents, res.events, s.AddEvents); err != nil {
		return err
	}
	if err := put(ctx, em, KindSessions, res.sessions, s.AddSessions); err != nil {
		return err
	}
	if err := put(ctx, em, KindSalesPoints, res.points, s.AddSalesPoints); err != nil {
		return err
	}
	return put(ctx, em, KindStockLevels, res.stock, s.AddStockLevels)
}

var productSizes = []string{"100g", "250g", "500g", "1kg", "330ml", "1l", "2l", "6-pack", "12-pack", "single", "small", "medium", "large"}

// static writes the records that do not change day by day: stores,
// products, calendar events, regular prices and promotions.
func (em *emitter) static(ctx context.Context, w *world) error {
	t := w.t
	s := em.sink
	stores := make([]shelfwise.Store, len(t.Stores))
	for i, st := range t.Stores {
		stores[i] = storeRecord(i, st)
	}
	if err := put(ctx, em, KindStores, stores, s.PutStores); err != nil {
		return err
	}
	products := make([]shelfwise.Product, len(t.Products))
	for i, p := range t.Products {
		sub := t.Subcategories[p.Subcategory]
		cat := t.Categories[sub.Category]
		size := productSizes[i%len(productSizes)]
		products[i] = shelfwise.Product{
			SKU:         p.SKU,
			Name:        fmt.Sprintf("%s %s %s", t.Brands[p.Brand], sub.Name, size),
			Department:  t.Departments[cat.Department].Name,
			Category:    cat.Name,
			Subcategory: sub.Name,
			Brand:       t.Brands[p.Brand],
			Attributes: map[string]string{
				"size":          size,
				"cost":          strconv.FormatFloat(p.Cost, 'f', 2, 64),
				"regular_price": strconv.FormatFloat(p.RefPrice, 'f', 2, 64),
			},
		}
	}
	if err := put(ctx, em, KindProducts, products, s.PutProducts); err != nil {
		return err
	}
	var cal []shelfwise.CalendarEvent
	for _, e := range t.Events {
		if e.Day >= 0 && e.Day < t.Days {
			cal = append(cal, shelfwise.CalendarEvent{Date: w.dates[e.Day], Name: e.Name, Type: e.Type})
		}
	}
	if err := put(ctx, em, KindCalendar, cal, s.AddCalendarEvents); err != nil {
		return err
	}
	return em.schedules(ctx, w)
}

func storeRecord(i int, st StoreTruth) shelfwise.Store {
	rec := shelfwise.Store{
		ID:         st.ID,
		Name:       fmt.Sprintf("Store %d", i+1),
		Region:     regions[i%len(regions)],
		Size:       float64(int(st.Scale*20000/100) * 100),
		Attributes: map[string]float64{"price_index": st.PriceIndex},
	}
	switch {
	case st.Online:
		rec.Name, rec.Region, rec.Type, rec.Size = "Web shop", "Online", "online", 0
	case st.Scale > 1.2:
		rec.Type = "supercenter"
	case st.Scale > 0.85:
		rec.Type = "neighborhood"
	default:
		rec.Type = "express"
	}
	return rec
}

// schedules writes the regular price periods and the promotions of every
// product at every store.
func (em *emitter) schedules(ctx context.Context, w *world) error {
	t := w.t
	date := func(d int) time.Time {
		if d >= t.Days {
			return time.Time{}
		}
		return w.dates[d]
	}
	var prices []shelfwise.Price
	var promos []shelfwise.Promotion
	for _, p := range t.Products {
		for _, st := range t.Stores {
			for i, pp := range p.Prices {
				end := t.Days
				if i+1 < len(p.Prices) {
					end = p.Prices[i+1].Day
				}
				prices = append(prices, shelfwise.Price{
					SKU: p.SKU, Store: st.ID, Start: w.dates[pp.Day], End: date(end),
					Price: shelfPrice(pp.Price, st.PriceIndex, nil),
				})
			}
			for _, pr := range p.Promos {
				promos = append(promos, shelfwise.Promotion{
					SKU: p.SKU, Store: st.ID, Start: w.dates[pr.Start], End: t.Date(pr.End),
					Kind: pr.Kind, Discount: pr.Discount,
				})
			}
		}
		if len(prices) >= em.batch {
			if err := put(ctx, em, KindPrices, prices, em.sink.AddPrices); err != nil {
				return err
			}
			prices = nil
		}
		if len(promos) >= em.batch {
			if err := put(ctx, em, KindPromotions, promos, em.sink.AddPromotions); err != nil {
				return err
			}
			promos = nil
		}
	}
	if err := put(ctx, em, KindPrices, prices, em.sink.AddPrices); err != nil {
		return err
	}
	return put(ctx, em, KindPromotions, promos, em.sink.AddPromotions)
}
