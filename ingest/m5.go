package ingest

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the m5 format. Rules about a companion file start with its
// name; their first lines are lines of that file.
const (
	RuleM5DuplicateSeries = "duplicate_series"
	RuleM5NotOnSale       = "days_not_on_sale"
	RuleM5SalesNoPrice    = "days_sold_without_price"
	RuleM5NegativeUnits   = "negative_units"
	RuleM5PriceDuplicate  = "sell_prices: duplicate store-item-week"
	RuleM5PriceNonPos     = "sell_prices: non-positive price"
	RuleM5PriceNoSales    = "sell_prices: store-item pair without sales"
)

var m5Format = Format{
	Name: "m5",
	Description: "M5 competition (Walmart) files: sales_train_validation.csv or sales_train_evaluation.csv (wide, d_1..d_N) " +
		"with calendar.csv and sell_prices.csv beside it; --data is the folder or the sales file. Daily sales points per " +
		"item x store (Available=false on days without a price row: not yet or no longer on sale), weekly prices, " +
		"events and SNAP days. Rows read = sales rows (series)",
	Read: readM5,
}

// m5Day is one calendar day of the M5 calendar.
type m5Day struct {
	date time.Time
	week int // wm_yr_wk
}

// m5PriceKey identifies a weekly sell price.
type m5PriceKey struct {
	store, item string
	week        int
}

// readM5 reads the M5 calendar, the sell prices and the wide sales file, in
// that order (the sales need both).
func readM5(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	main, err := findFile(path, "sales_train_validation.csv", "sales_train_evaluation.csv")
	if err != nil {
		return err
	}
	calPath := companion(main, "calendar.csv")
	if calPath == "" {
		return missingCompanion(main, "m5", "calendar.csv")
	}
	pricePath := companion(main, "sell_prices.csv")
	if pricePath == "" {
		return missingCompanion(main, "m5", "sell_prices.csv")
	}
	for _, r := range [][2]string{
		{RuleDuplicate, "dropped"}, {RuleM5DuplicateSeries, "dropped"}, {RuleM5NotOnSale, "kept, available=false"},
		{RuleM5SalesNoPrice, "kept, price unknown"}, {RuleM5NegativeUnits, "kept, flagged"}, {RuleUnparseable, "dropped"},
		{RuleM5PriceDuplicate, "dropped"}, {RuleM5PriceNonPos, "kept, flagged"}, {RuleM5PriceNoSales, "kept"},
	} {
		rep.Rule(r[0], r[1])
	}
	days, weekStart, err := readM5Calendar(ctx, calPath, b, rep)
	if err != nil {
		return err
	}
	prices, err := readM5Prices(ctx, pricePath, weekStart, b, rep)
	if err != nil {
		return err
	}
	m := &m5Reader{opts: opts, b: b, rep: rep, days: days, prices: prices,
		products: map[string]shelfwise.Product{}, stores: map[string]string{}}
	if err := m.readSales(ctx, main); err != nil {
		return err
	}
	return m.finish(ctx)
}

// readM5Calendar reads calendar.csv: the date and week of every d_N, and
// the calendar events (event_name_1/2 with their type; SNAP days per state)
// it writes to b. It returns the days by name and each week's first date.
func readM5Calendar(ctx context.Context, path string, b *Batcher, rep *Report) (map[string]m5Day, map[int]time.Time, error) {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"date"}, {"wm_yr_wk"}, {"d"}}})
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	cDate, cWeek, cD := f.Col("date"), f.Col("wm_yr_wk"), f.Col("d")
	events := [][2]int{{f.Col("event_name_1"), f.Col("event_type_1")}, {f.Col("event_name_2"), f.Col("event_type_2")}}
	var snapCols []int
	for i, h := range f.Header() {
		if strings.HasPrefix(strings.ToLower(h), "snap_") {
			snapCols = append(snapCols, i)
		}
	}
	days := map[string]m5Day{}
	weekStart := map[int]time.Time{}
	err = eachCompanionRow(ctx, f, func(int64) error {
		date, err := f.Time(cDate, "2006-01-02")
		if err != nil {
			return err
		}
		wk, err := f.Int(cWeek)
		if err != nil {
			return err
		}
		d := f.Str(cD)
		if _, dup := days[d]; dup || d == "" {
			return f.Errorf(cD, "day %q missing or given twice", d)
		}
		days[d] = m5Day{date: date, week: int(wk)}
		if s, ok := weekStart[int(wk)]; !ok || date.Before(s) {
			weekStart[int(wk)] = date
		}
		rep.Fingerprint(append([]string{"calendar"}, f.Record()...)...)
		for _, ev := range events {
			if name := f.Str(ev[0]); name != "" {
				if err := b.CalendarEvent(ctx, shelfwise.CalendarEvent{Date: date, Name: name, Type: strings.ToLower(f.Str(ev[1]))}); err != nil {
					return err
				}
			}
		}
		for _, c := range snapCols {
			on, err := f.Bool(c)
			if err != nil {
				return err
			}
			if on {
				region := strings.ToUpper(f.Header()[c][len("snap_"):])
				if err := b.CalendarEvent(ctx, shelfwise.CalendarEvent{Date: date, Name: "SNAP", Type: "snap", Region: region}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return days, weekStart, nil
}

// readM5Prices reads sell_prices.csv into a map and writes each row as a
// Price over its week [first day, first day + 7).
func readM5Prices(ctx context.Context, path string, weekStart map[int]time.Time, b *Batcher, rep *Report) (*m5Prices, error) {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"store_id"}, {"item_id"}, {"wm_yr_wk"}, {"sell_price"}}})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cStore, cItem, cWeek, cPrice := f.Col("store_id"), f.Col("item_id"), f.Col("wm_yr_wk"), f.Col("sell_price")
	prices := &m5Prices{byKey: map[m5PriceKey]float64{}}
	err = eachCompanionRow(ctx, f, func(line int64) error {
		wk, err := f.Int(cWeek)
		if err != nil {
			return err
		}
		start, known := weekStart[int(wk)]
		if !known {
			return f.Errorf(cWeek, "week %d is not in calendar.csv", wk)
		}
		price, err := f.Float(cPrice)
		if err != nil {
			return err
		}
		k := m5PriceKey{store: f.Str(cStore), item: f.Str(cItem), week: int(wk)}
		if k.store == "" || k.item == "" {
			return f.Errorf(cStore, "missing store_id or item_id")
		}
		rep.Fingerprint("price", k.store, k.item, strconv.Itoa(k.week), formatFloat(price))
		if price <= 0 {
			rep.Hit(RuleM5PriceNonPos, line)
		}
		if _, dup := prices.byKey[k]; dup {
			rep.Hit(RuleM5PriceDuplicate, line)
			return nil
		}
		prices.byKey[k] = price
		prices.keys = append(prices.keys, k)
		prices.lines = append(prices.lines, line)
		if err := b.Price(ctx, shelfwise.Price{SKU: shelfwise.SKU(k.item), Store: shelfwise.StoreID(k.store),
			Start: start, End: start.AddDate(0, 0, 7), Price: price}); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return prices, nil
}

// m5Prices are the weekly sell prices by key, and the keys in file order
// with their lines.
type m5Prices struct {
	byKey map[m5PriceKey]float64
	keys  []m5PriceKey
	lines []int64
}

// m5Reader reads the wide sales file once calendar and prices are known.
type m5Reader struct {
	opts     Options
	b        *Batcher
	rep      *Report
	days     map[string]m5Day
	prices   *m5Prices
	products map[string]shelfwise.Product
	stores   map[string]string // store -> state
	pairs    map[[2]string]bool
}

// readSales reads one series per row and writes a daily SalesPoint per d_N
// column.
func (m *m5Reader) readSales(ctx context.Context, path string) error {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"id"}, {"item_id"}, {"dept_id"}, {"cat_id"}, {"store_id"}, {"state_id"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	cID, cItem, cDept, cCat := f.Col("id"), f.Col("item_id"), f.Col("dept_id"), f.Col("cat_id")
	cStore, cState := f.Col("store_id"), f.Col("state_id")
	var dayCols []int
	var dayOf []m5Day
	for i, h := range f.Header() {
		if !strings.HasPrefix(h, "d_") {
			continue
		}
		d, ok := m.days[h]
		if !ok {
			return &shelfwise.InputError{File: path, Line: 1, Field: h, Err: fmt.Errorf("day %s is not in calendar.csv", h)}
		}
		dayCols, dayOf = append(dayCols, i), append(dayOf, d)
	}
	if len(dayCols) == 0 {
		return &shelfwise.InputError{File: path, Line: 1, Field: "d_1", Err: fmt.Errorf("no day columns d_1, d_2, ... in header")}
	}
	seen := map[string][16]byte{}
	m.pairs = map[[2]string]bool{}
	units := make([]float64, len(dayCols))
	return eachRow(ctx, f, m.rep, m.opts.MaxBadRows, func(line int64) error {
		id, item, store := f.Str(cID), f.Str(cItem), f.Str(cStore)
		if item == "" || store == "" {
			return badRow(f.Errorf(cItem, "missing item_id or store_id"))
		}
		for j, c := range dayCols {
			var err error
			if units[j], err = f.Float(c); err != nil {
				return badRow(err)
			}
		}
		fields := []string{id, item, store}
		for _, u := range units {
			fields = append(fields, formatFloat(u))
		}
		h := rowHash(fields...)
		m.rep.FingerprintHash(h)
		key := id + "\x1f" + item + "\x1f" + store
		prev, dup := seen[key]
		if dup {
			m.rep.Hit(RuleM5DuplicateSeries, line)
			if prev == h {
				m.rep.Hit(RuleDuplicate, line)
			}
		} else {
			seen[key] = h
			m.rep.Accept()
			m.pairs[[2]string{store, item}] = true
			m.products[item] = shelfwise.Product{SKU: shelfwise.SKU(item), Department: f.Str(cCat), Category: f.Str(cDept)}
			m.stores[store] = f.Str(cState)
		}
		// A duplicate still counts under the day rules; nothing is written.
		return m.writeSeries(ctx, line, item, store, dayOf, units, !dup)
	})
}

// writeSeries counts the day rules of one item x store series and, if
// write is set, writes it, joining each day's weekly price; days without a
// price row are not on sale.
func (m *m5Reader) writeSeries(ctx context.Context, line int64, item, store string, dayOf []m5Day, units []float64, write bool) error {
	var negative bool
	for j, u := range units {
		d := dayOf[j]
		price, priced := m.prices.byKey[m5PriceKey{store: store, item: item, week: d.week}]
		available := priced
		if !priced {
			m.rep.Hit(RuleM5NotOnSale, line)
			if u > 0 {
				m.rep.Hit(RuleM5SalesNoPrice, line)
				available = true // it sold, so it was on sale
			}
		}
		if u < 0 {
			negative = true
		}
		if !write {
			continue
		}
		if err := m.b.SalesPoint(ctx, shelfwise.SalesPoint{
			SKU: shelfwise.SKU(item), Store: shelfwise.StoreID(store), Grain: shelfwise.GrainDay, Date: d.date,
			Period: d.week, Units: u, Revenue: u * price, Price: price, Available: available,
		}); err != nil {
			return err
		}
	}
	if negative {
		m.rep.Hit(RuleM5NegativeUnits, line)
	}
	return nil
}

// finish writes the products and stores seen in the sales and prices, and
// counts the price rows of store-item pairs that have no sales.
func (m *m5Reader) finish(ctx context.Context) error {
	for i, k := range m.prices.keys {
		if !m.pairs[[2]string{k.store, k.item}] {
			m.rep.Hit(RuleM5PriceNoSales, m.prices.lines[i])
		}
		if _, ok := m.products[k.item]; !ok {
			cat, dept := m5Hierarchy(k.item)
			m.products[k.item] = shelfwise.Product{SKU: shelfwise.SKU(k.item), Department: cat, Category: dept}
		}
		if _, ok := m.stores[k.store]; !ok {
			state, _, _ := strings.Cut(k.store, "_")
			m.stores[k.store] = state
		}
	}
	for _, sku := range slices.Sorted(maps.Keys(m.products)) {
		if err := m.b.Product(ctx, m.products[sku]); err != nil {
			return err
		}
	}
	for _, id := range slices.Sorted(maps.Keys(m.stores)) {
		if err := m.b.Store(ctx, shelfwise.Store{ID: shelfwise.StoreID(id), Region: m.stores[id]}); err != nil {
			return err
		}
	}
	return nil
}

// m5Hierarchy derives category and department from an M5 item id such as
// FOODS_1_001 (category FOODS, department FOODS_1).
func m5Hierarchy(item string) (cat, dept string) {
	parts := strings.Split(item, "_")
	if len(parts) < 3 {
		return "", ""
	}
	return parts[0], parts[0] + "_" + parts[1]
}

// missingCompanion is the error for a companion file a multi-file format
// needs but cannot find beside its main file.
func missingCompanion(main, format, name string) error {
	return &shelfwise.InputError{File: filepath.Join(filepath.Dir(main), name),
		Err: fmt.Errorf("companion file missing: the %s format needs %s (or %s.gz) beside %s", format, name, name, filepath.Base(main))}
}

// eachCompanionRow walks the records of a companion file like eachRow, but
// without counting them as rows read of the import (the report's rows are
// those of the main file). Any error from fn stops the walk.
func eachCompanionRow(ctx context.Context, f *csvFile, fn func(line int64) error) error {
	return eachRow(ctx, f, NewReport("", ""), 0, fn)
}
