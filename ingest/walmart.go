package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the walmart format. Rules about a companion file start with
// its name; their first lines are lines of that file.
const (
	RuleWalmartDuplicateKey   = "duplicate_store_dept_week"
	RuleWalmartNegativeSales  = "negative_sales"
	RuleWalmartZeroSales      = "zero_sales"
	RuleWalmartUnknownStore   = "store_not_in_stores_file"
	RuleWalmartHolidayDiffers = "holiday_flag_differs_from_features"
	RuleWalmartNegMarkdown    = "features: negative markdown"
	RuleWalmartFeatureDup     = "features: duplicate store-week"
	RuleWalmartStoreDup       = "stores: duplicate store"
)

// walmartMissingRule is the rule counting NA values of a features column.
func walmartMissingRule(col string) string { return "features: " + col + " missing" }

var walmartFormat = Format{
	Name: "walmart",
	Description: "Walmart Recruiting store sales (Kaggle 2014): train.csv with features.csv and stores.csv beside it " +
		"(--data is the folder or train.csv; test.csv has no sales and is not read). Weekly sales points per store x " +
		"department (SKU dept-N; Revenue = Units = Weekly_Sales, negatives kept), holiday weeks as calendar events, " +
		"MarkDown1-5 (store-wide, no product), temperature, fuel price, CPI and unemployment as covariates, stores with " +
		"type and size. Walmart dates a week by its last day (a Friday); Shelfwise dates it by its first, the Saturday " +
		"six days before. Rows read = train rows",
	Read: readWalmart,
}

// walmartWeekStart turns Walmart's week label (the Friday ending the week)
// into the week's first day. The holiday flags prove the convention: the
// week labelled 2010-12-31 holds Christmas (Saturday 2010-12-25), the one
// labelled 2010-11-26 holds Thanksgiving (Thursday 2010-11-25).
func walmartWeekStart(label time.Time) time.Time { return label.AddDate(0, 0, -6) }

// walmartFeatures are the features columns read, as covariates named
// name. The five MarkDown columns are anonymised markdown amounts of a store
// and week that name no product: store-level drivers, so covariates too
// (a Promotion needs a SKU).
var walmartFeatures = []struct {
	col, name string
	markdown  bool
}{
	{"MarkDown1", "markdown1", true}, {"MarkDown2", "markdown2", true}, {"MarkDown3", "markdown3", true},
	{"MarkDown4", "markdown4", true}, {"MarkDown5", "markdown5", true},
	{"Temperature", "temperature", false}, {"Fuel_Price", "fuel_price", false}, {"CPI", "cpi", false},
	{"Unemployment", "unemployment", false},
}

// walmartStoreWeek keys features and holiday flags.
type walmartStoreWeek struct {
	store string
	week  int64 // week start, Unix days
}

// readWalmart reads stores.csv, features.csv and train.csv, in that order.
func readWalmart(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	main, err := findFile(path, "train.csv")
	if err != nil {
		return err
	}
	storesPath := companion(main, "stores.csv")
	if storesPath == "" {
		return missingCompanion(main, "walmart", "stores.csv")
	}
	featuresPath := companion(main, "features.csv")
	if featuresPath == "" {
		return missingCompanion(main, "walmart", "features.csv")
	}
	for _, r := range [][2]string{
		{RuleDuplicate, "dropped"}, {RuleWalmartDuplicateKey, "dropped"}, {RuleWalmartNegativeSales, "kept (returns exceed sales)"},
		{RuleWalmartZeroSales, "kept"}, {RuleWalmartUnknownStore, "kept, flagged"}, {RuleWalmartHolidayDiffers, "kept, flagged"},
		{RuleUnparseable, "dropped"},
	} {
		rep.Rule(r[0], r[1])
	}
	for _, c := range walmartFeatures {
		rep.Rule(walmartMissingRule(c.col), "absent")
	}
	rep.Rule(RuleWalmartNegMarkdown, "kept, flagged")
	rep.Rule(RuleWalmartFeatureDup, "dropped")
	rep.Rule(RuleWalmartStoreDup, "dropped")
	w := &walmartReader{opts: opts, b: b, rep: rep, stores: map[string]bool{},
		holiday: map[walmartStoreWeek]bool{}, holidayWeeks: map[int64]bool{}, depts: map[int64]bool{}}
	if err := w.readStores(ctx, storesPath); err != nil {
		return err
	}
	if err := w.readFeatures(ctx, featuresPath); err != nil {
		return err
	}
	if err := w.readTrain(ctx, main); err != nil {
		return err
	}
	return w.finish(ctx)
}

// walmartReader holds what the three files share.
type walmartReader struct {
	opts         Options
	b            *Batcher
	rep          *Report
	stores       map[string]bool
	holiday      map[walmartStoreWeek]bool // IsHoliday of features.csv
	holidayWeeks map[int64]bool            // week starts flagged anywhere
	depts        map[int64]bool
}

// readStores writes a Store per row of stores.csv (Type, Size in square
// feet). The original Kaggle file has old-Mac CR-only line ends; they are
// accepted.
func (w *walmartReader) readStores(ctx context.Context, path string) error {
	f, err := openSmallCSV(path, csvOptions{Required: [][]string{{"Store"}, {"Type"}, {"Size"}}})
	if err != nil {
		return err
	}
	cStore, cType, cSize := f.Col("Store"), f.Col("Type"), f.Col("Size")
	return eachCompanionRow(ctx, f, func(line int64) error {
		id, err := f.Int(cStore)
		if err != nil {
			return err
		}
		size, err := f.Float(cSize)
		if err != nil {
			return err
		}
		sid := strconv.FormatInt(id, 10)
		typ := f.Str(cType)
		w.rep.Fingerprint("store", sid, typ, formatFloat(size))
		if w.stores[sid] {
			w.rep.Hit(RuleWalmartStoreDup, line)
			return nil
		}
		w.stores[sid] = true
		if err := w.b.Store(ctx, shelfwise.Store{ID: shelfwise.StoreID(sid), Type: typ, Size: size}); err != nil {
			return err
		}
		return nil
	})
}

// readFeatures writes the markdowns, temperature, fuel price, CPI and
// unemployment as covariates per store x week (NA values are absent) and
// notes the holiday weeks.
func (w *walmartReader) readFeatures(ctx context.Context, path string) error {
	req := [][]string{{"Store"}, {"Date"}, {"IsHoliday"}}
	for _, c := range walmartFeatures {
		req = append(req, []string{c.col})
	}
	f, err := openCSV(path, csvOptions{Required: req})
	if err != nil {
		return err
	}
	defer f.Close()
	cStore, cDate, cHoliday := f.Col("Store"), f.Col("Date"), f.Col("IsHoliday")
	return eachCompanionRow(ctx, f, func(line int64) error {
		id, err := f.Int(cStore)
		if err != nil {
			return err
		}
		label, err := f.Time(cDate, "2006-01-02")
		if err != nil {
			return err
		}
		hol, err := f.Bool(cHoliday)
		if err != nil {
			return err
		}
		store, start := strconv.FormatInt(id, 10), walmartWeekStart(label)
		key := walmartStoreWeek{store, start.Unix() / 86400}
		fp := []string{"features", store, start.Format("2006-01-02"), strconv.FormatBool(hol)}
		_, dup := w.holiday[key]
		if dup {
			w.rep.Hit(RuleWalmartFeatureDup, line)
		} else {
			w.holiday[key] = hol
			if hol {
				w.holidayWeeks[key.week] = true
			}
		}
		negative := false
		for _, cv := range walmartFeatures {
			v, ok, err := f.OptFloat(f.Col(cv.col))
			if err != nil {
				return err
			}
			fp = append(fp, optString(v, ok))
			if !ok {
				w.rep.Hit(walmartMissingRule(cv.col), line)
				continue
			}
			negative = negative || (cv.markdown && v < 0)
			if dup {
				continue
			}
			if err := w.b.Covariate(ctx, shelfwise.Covariate{Store: shelfwise.StoreID(store), Date: start, Name: cv.name, Value: v}); err != nil {
				return err
			}
		}
		if negative {
			w.rep.Hit(RuleWalmartNegMarkdown, line)
		}
		w.rep.Fingerprint(fp...)
		return nil
	})
}

// optString renders an optional number for a fingerprint ("NA" if absent).
func optString(v float64, ok bool) string {
	if !ok {
		return "NA"
	}
	return formatFloat(v)
}

// readTrain writes a weekly SalesPoint per train row.
func (w *walmartReader) readTrain(ctx context.Context, path string) error {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"Store"}, {"Dept"}, {"Date"}, {"Weekly_Sales"}, {"IsHoliday"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	cStore, cDept, cDate, cSales, cHoliday := f.Col("Store"), f.Col("Dept"), f.Col("Date"), f.Col("Weekly_Sales"), f.Col("IsHoliday")
	type key struct {
		store, dept int64
		week        int64
	}
	seen := make(map[key][16]byte, 1<<16)
	return eachRow(ctx, f, w.rep, w.opts.MaxBadRows, func(line int64) error {
		store, err := f.Int(cStore)
		if err != nil {
			return badRow(err)
		}
		dept, err := f.Int(cDept)
		if err != nil {
			return badRow(err)
		}
		label, err := f.Time(cDate, "2006-01-02")
		if err != nil {
			return badRow(err)
		}
		sales, err := f.Float(cSales)
		if err != nil {
			return badRow(err)
		}
		hol, err := f.Bool(cHoliday)
		if err != nil {
			return badRow(err)
		}
		start := walmartWeekStart(label)
		storeS, deptS := strconv.FormatInt(store, 10), strconv.FormatInt(dept, 10)
		h := rowHash(storeS, deptS, start.Format("2006-01-02"), formatFloat(sales), strconv.FormatBool(hol))
		w.rep.FingerprintHash(h)
		k := key{store, dept, start.Unix() / 86400}
		prev, dup := seen[k]
		if dup {
			w.rep.Hit(RuleWalmartDuplicateKey, line)
			if prev == h {
				w.rep.Hit(RuleDuplicate, line)
			}
		} else {
			seen[k] = h
		}
		if sales < 0 {
			w.rep.Hit(RuleWalmartNegativeSales, line)
		} else if sales == 0 {
			w.rep.Hit(RuleWalmartZeroSales, line)
		}
		if !w.stores[storeS] {
			w.rep.Hit(RuleWalmartUnknownStore, line)
		}
		if fh, ok := w.holiday[walmartStoreWeek{storeS, k.week}]; ok && fh != hol {
			w.rep.Hit(RuleWalmartHolidayDiffers, line)
		}
		if dup {
			return nil
		}
		if hol {
			w.holidayWeeks[k.week] = true
		}
		w.depts[dept] = true
		w.rep.Accept()
		return w.b.SalesPoint(ctx, shelfwise.SalesPoint{
			SKU: shelfwise.SKU("dept-" + deptS), Store: shelfwise.StoreID(storeS), Grain: shelfwise.GrainWeek, Date: start,
			Units: sales, Revenue: sales, Available: true,
		})
	})
}

// finish writes a product per department and a chain-wide calendar event
// per holiday week, dated on the holiday itself.
func (w *walmartReader) finish(ctx context.Context) error {
	for _, d := range slices.Sorted(maps.Keys(w.depts)) {
		name := "dept-" + strconv.FormatInt(d, 10)
		if err := w.b.Product(ctx, shelfwise.Product{SKU: shelfwise.SKU(name), Name: "Department " + strconv.FormatInt(d, 10), Department: name}); err != nil {
			return err
		}
	}
	for _, wk := range slices.Sorted(maps.Keys(w.holidayWeeks)) {
		start := time.Unix(wk*86400, 0).UTC()
		name, day := walmartHoliday(start)
		if err := w.b.CalendarEvent(ctx, shelfwise.CalendarEvent{Date: day, Name: name, Type: "holiday"}); err != nil {
			return err
		}
	}
	return nil
}

// walmartHoliday names the holiday Walmart flags in the week starting at
// start — Super Bowl (first Sunday of February), Labor Day (first Monday of
// September), Thanksgiving (fourth Thursday of November), Christmas — and
// returns its date. A week holding none of them is "Holiday" on its first day.
func walmartHoliday(start time.Time) (string, time.Time) {
	for i := 0; i < 7; i++ {
		d := start.AddDate(0, 0, i)
		switch {
		case d.Month() == time.February && d.Weekday() == time.Sunday && d.Day() <= 7:
			return "Super Bowl", d
		case d.Month() == time.September && d.Weekday() == time.Monday && d.Day() <= 7:
			return "Labor Day", d
		case d.Month() == time.November && d.Weekday() == time.Thursday && d.Day() >= 22 && d.Day() <= 28:
			return "Thanksgiving", d
		case d.Month() == time.December && d.Day() == 25:
			return "Christmas", d
		}
	}
	return "Holiday", start
}

// openSmallCSV reads a small delimited file whole (gzip and BOM handled as
// by openFile) and accepts old-Mac CR-only line ends, which encoding/csv
// would read as one long line.
func openSmallCSV(path string, o csvOptions) (*csvFile, error) {
	rc, err := openFile(path)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, &shelfwise.InputError{File: path, Err: err}
	}
	if bytes.IndexByte(data, '\n') < 0 {
		data = bytes.ReplaceAll(data, []byte{'\r'}, []byte{'\n'})
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	f := &csvFile{path: path, closer: func() error { return nil }}
	hdr, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &shelfwise.InputError{File: path, Line: 1, Err: errors.New("empty file: expected a header row")}
	} else if err != nil {
		return nil, wrapCSVErr(path, r, 0, err)
	}
	f.next = func() ([]string, int64, error) {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return nil, 0, io.EOF
		} else if err != nil {
			return nil, 0, wrapCSVErr(path, r, f.line, err)
		}
		line, _ := r.FieldPos(0)
		return rec, int64(line), nil
	}
	if err := f.setHeader(hdr, o.Required); err != nil {
		return nil, err
	}
	return f, nil
}
