package ingest

import (
	"context"
	"math"
	"strconv"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the Dominick's formats.
const (
	RuleDuplicateKey      = "duplicate_key"
	RuleFractionalFeature = "fractional_feature"
	RuleNoDemographics    = "store_without_demographics"
)

// DominicksWeek1 is the first day (a Thursday) of week 1 of Dominick's
// Finer Foods' week numbering, which the Kilts Center data and the bayesm
// orangeJuice panel use: week w starts DominicksWeek1 + 7(w-1) days.
var DominicksWeek1 = time.Date(1989, 9, 14, 0, 0, 0, 0, time.UTC)

// DominicksWeekStart returns the first day of Dominick's week w.
func DominicksWeekStart(w int) time.Time { return DominicksWeek1.AddDate(0, 0, 7*(w-1)) }

// OJBrand is one of the 11 orange-juice brands of the bayesm panel.
type OJBrand struct {
	SKU    shelfwise.SKU
	Name   string
	Brand  string
	Ounces int
}

// OJBrands are the bayesm orangeJuice brands 1..11 (index k-1), as the
// package documents them. Prices in the panel are per ounce.
var OJBrands = []OJBrand{
	{"OJ01", "Tropicana Premium 64oz", "Tropicana", 64},
	{"OJ02", "Tropicana Premium 96oz", "Tropicana", 96},
	{"OJ03", "Florida's Natural 64oz", "Florida's Natural", 64},
	{"OJ04", "Tropicana 64oz", "Tropicana", 64},
	{"OJ05", "Minute Maid 64oz", "Minute Maid", 64},
	{"OJ06", "Minute Maid 96oz", "Minute Maid", 96},
	{"OJ07", "Citrus Hill 64oz", "Citrus Hill", 64},
	{"OJ08", "Tree Fresh 64oz", "Tree Fresh", 64},
	{"OJ09", "Florida Gold 64oz", "Florida Gold", 64},
	{"OJ10", "Dominick's 64oz", "Dominick's", 64},
	{"OJ11", "Dominick's 128oz", "Dominick's", 128},
}

// OJDemographics are the store demographics of orangeJuice_storedemo.csv,
// kept under these names in Store.Attributes.
var OJDemographics = []string{"AGE60", "EDUC", "ETHNIC", "INCOME", "HHLARGE", "WORKWOM", "HVAL150",
	"SSTRDIST", "SSTRVOL", "CPDIST5", "CPWVOL5"}

var dominicksBayesmFormat = Format{
	Name: "dominicks-bayesm",
	Description: "Dominick's orange-juice panel from R bayesm (orangeJuice_yx: store, brand, week, logmove, price1..price11, " +
		"deal, feat, profit) with store demographics from orangeJuice_storedemo.csv beside it; the folder or the main file",
	Read: readDominicksBayesm,
}

// readDominicksBayesm writes one weekly SalesPoint per store x brand x week
// (Units = round(exp(logmove)), Price = own price per ounce, Deal, Feature,
// Period = Dominick's week number, Date = its first day), the prices of all
// 11 brands of each store-week as Price rows [week start, +7 days), the
// gross margin as a Covariate "profit", the 11 products, and the stores with
// their demographics as Attributes.
func readDominicksBayesm(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	path, err := findFile(path, "orangeJuice_yx.csv")
	if err != nil {
		return err
	}
	cols := [][]string{{"store"}, {"brand"}, {"week"}, {"logmove"}, {"deal"}, {"feat"}}
	for k := 1; k <= len(OJBrands); k++ {
		cols = append(cols, []string{"price" + strconv.Itoa(k)})
	}
	f, err := openTable(path, csvOptions{Required: cols})
	if err != nil {
		return err
	}
	defer f.Close()
	for _, r := range []struct{ name, action string }{
		{RuleDuplicate, "dropped"}, {RuleDuplicateKey, "dropped, first kept"}, {RuleFractionalFeature, "kept"},
		{RuleNoDemographics, "kept, flagged"}, {RuleUnparseable, "dropped"},
	} {
		rep.Rule(r.name, r.action)
	}
	for _, br := range OJBrands {
		if err := b.Product(ctx, shelfwise.Product{SKU: br.SKU, Name: br.Name, Brand: br.Brand, Department: "Refrigerated",
			Category: "Orange juice", Attributes: map[string]string{"ounces": strconv.Itoa(br.Ounces)}}); err != nil {
			return err
		}
	}
	demo, err := readOJStores(ctx, companion(path, "orangeJuice_storedemo.csv"))
	if err != nil {
		return err
	}
	for _, s := range demo.order {
		if err := b.Store(ctx, demo.byID[s]); err != nil {
			return err
		}
	}
	r := bayesmRow{f: f, cStore: f.Col("store"), cBrand: f.Col("brand"), cWeek: f.Col("week"), cLog: f.Col("logmove"),
		cDeal: f.Col("deal"), cFeat: f.Col("feat"), cProfit: f.Col("profit")}
	for k := range OJBrands {
		r.cPrice = append(r.cPrice, f.Col("price"+strconv.Itoa(k+1)))
	}
	type key struct {
		store     string
		brand, wk int
	}
	seenRow := map[[16]byte]struct{}{}
	seenKey := map[key]struct{}{}
	pricedWeeks := map[storeWeek]struct{}{}
	extraStores := map[string]bool{}
	return eachRow(ctx, f, rep, opts.MaxBadRows, func(line int64) error {
		if err := r.parse(); err != nil {
			return badRow(err)
		}
		h := r.hash()
		rep.FingerprintHash(h)
		_, dupRow := seenRow[h]
		if dupRow {
			rep.Hit(RuleDuplicate, line)
		} else {
			seenRow[h] = struct{}{}
		}
		k := key{r.store, r.brand, r.week}
		_, dupKey := seenKey[k]
		if dupKey {
			rep.Hit(RuleDuplicateKey, line)
		} else {
			seenKey[k] = struct{}{}
		}
		if r.feat != 0 && r.feat != 1 {
			rep.Hit(RuleFractionalFeature, line)
		}
		if _, ok := demo.byID[shelfwise.StoreID(r.store)]; !ok {
			rep.Hit(RuleNoDemographics, line)
			if !extraStores[r.store] {
				extraStores[r.store] = true
				if err := b.Store(ctx, shelfwise.Store{ID: shelfwise.StoreID(r.store), Name: "Dominick's " + r.store}); err != nil {
					return err
				}
			}
		}
		if dupRow || dupKey {
			return nil
		}
		rep.Accept()
		return r.write(ctx, b, pricedWeeks)
	})
}

// bayesmRow parses one orangeJuice_yx row.
type bayesmRow struct {
	f                                                  *csvFile
	cStore, cBrand, cWeek, cLog, cDeal, cFeat, cProfit int
	cPrice                                             []int

	store               string
	brand, week         int
	logmove, deal, feat float64
	profit              float64
	hasProfit           bool
	prices              [11]float64
}

func (r *bayesmRow) parse() error {
	f := r.f
	st, err := f.Int(r.cStore)
	if err != nil {
		return err
	}
	r.store = strconv.FormatInt(st, 10)
	br, err := f.Int(r.cBrand)
	if err != nil {
		return err
	}
	if br < 1 || br > int64(len(OJBrands)) {
		return f.Errorf(r.cBrand, "brand %d out of range 1..%d", br, len(OJBrands))
	}
	r.brand = int(br)
	wk, err := f.Int(r.cWeek)
	if err != nil {
		return err
	}
	if wk < 1 || wk > 10000 {
		return f.Errorf(r.cWeek, "week %d out of range", wk)
	}
	r.week = int(wk)
	if r.logmove, err = f.Float(r.cLog); err != nil {
		return err
	}
	if math.IsNaN(r.logmove) || r.logmove > 50 {
		return f.Errorf(r.cLog, "log units out of range: %v", r.logmove)
	}
	if r.deal, err = unitShare(f, r.cDeal); err != nil {
		return err
	}
	if r.feat, err = unitShare(f, r.cFeat); err != nil {
		return err
	}
	for k, c := range r.cPrice {
		p, err := f.Float(c)
		if err != nil {
			return err
		}
		if !(p > 0) || math.IsInf(p, 0) {
			return f.Errorf(c, "price must be positive: %v", p)
		}
		r.prices[k] = p
	}
	r.profit, r.hasProfit, err = f.OptFloat(r.cProfit)
	return err
}

// unitShare parses a promotion share in [0,1].
func unitShare(f *csvFile, c int) (float64, error) {
	v, err := f.Float(c)
	if err != nil {
		return 0, err
	}
	if !(v >= 0 && v <= 1) {
		return 0, f.Errorf(c, "share must be within 0..1: %v", v)
	}
	return v, nil
}

func (r *bayesmRow) hash() [16]byte {
	fields := []string{r.store, strconv.Itoa(r.brand), strconv.Itoa(r.week), formatFloat(r.logmove),
		formatFloat(r.deal), formatFloat(r.feat), formatFloat(r.profit)}
	for _, p := range r.prices {
		fields = append(fields, formatFloat(p))
	}
	return rowHash(fields...)
}

// storeWeek keys the store-weeks whose prices are written.
type storeWeek struct {
	store string
	wk    int
}

func (r *bayesmRow) write(ctx context.Context, b *Batcher, priced map[storeWeek]struct{}) error {
	start := DominicksWeekStart(r.week)
	store := shelfwise.StoreID(r.store)
	sku := OJBrands[r.brand-1].SKU
	if err := b.SalesPoint(ctx, shelfwise.SalesPoint{
		SKU: sku, Store: store, Grain: shelfwise.GrainWeek, Date: start, Period: r.week,
		Units: math.Round(math.Exp(r.logmove)), Price: r.prices[r.brand-1], Feature: r.feat, Deal: r.deal, Available: true,
	}); err != nil {
		return err
	}
	if r.hasProfit {
		if err := b.Covariate(ctx, shelfwise.Covariate{Store: store, SKU: sku, Date: start, Name: "profit", Value: r.profit}); err != nil {
			return err
		}
	}
	sw := storeWeek{r.store, r.week}
	if _, ok := priced[sw]; ok {
		return nil
	}
	priced[sw] = struct{}{}
	for k, p := range r.prices {
		if err := b.Price(ctx, shelfwise.Price{SKU: OJBrands[k].SKU, Store: store, Start: start, End: start.AddDate(0, 0, 7), Price: p}); err != nil {
			return err
		}
	}
	return nil
}

// ojStores are the stores of orangeJuice_storedemo.csv in file order.
type ojStores struct {
	order []shelfwise.StoreID
	byID  map[shelfwise.StoreID]shelfwise.Store
}

// readOJStores reads the store demographics; an empty path gives no stores.
func readOJStores(ctx context.Context, path string) (ojStores, error) {
	out := ojStores{byID: map[shelfwise.StoreID]shelfwise.Store{}}
	if path == "" {
		return out, nil
	}
	req := [][]string{{"STORE"}}
	for _, d := range OJDemographics {
		req = append(req, []string{d})
	}
	f, err := openTable(path, csvOptions{Required: req})
	if err != nil {
		return out, err
	}
	defer f.Close()
	cStore := f.Col("STORE")
	for {
		ok, err := f.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			return out, ctx.Err()
		}
		id, err := f.Int(cStore)
		if err != nil {
			return out, err
		}
		s := shelfwise.Store{ID: shelfwise.StoreID(strconv.FormatInt(id, 10)), Attributes: map[string]float64{}}
		s.Name = "Dominick's " + string(s.ID)
		for _, d := range OJDemographics {
			v, ok, err := f.OptFloat(f.Col(d))
			if err != nil {
				return out, err
			}
			if ok {
				s.Attributes[d] = v
			}
		}
		if _, dup := out.byID[s.ID]; dup {
			return out, f.Errorf(cStore, "store %s listed twice", s.ID)
		}
		out.order = append(out.order, s.ID)
		out.byID[s.ID] = s
	}
}

var dominicksOJFormat = Format{
	Name: "dominicks-oj",
	Description: "Dominick's orange juice in the oj.csv layout (Taddy, Business Data Science): sales, price, brand, feat; " +
		"no store or week key, so points are indexed by row",
	Read: readDominicksOJ,
}

// ojBrandNames names the brands of oj.csv.
var ojBrandNames = map[string]string{"tropicana": "Tropicana", "minute.maid": "Minute Maid", "dominicks": "Dominick's"}

// readDominicksOJ writes one SalesPoint per row: SKU = brand, Units =
// round(sales) (the file stores exp(log(sales)) artefacts like
// 8255.99999982379), Price, Feature, Grain period with Period = the 0-based
// row index. Identical rows are counted but kept: without a store or week
// key, two store-weeks with the same sales and price are legitimate.
func readDominicksOJ(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	path, err := findFile(path, "oj.csv")
	if err != nil {
		return err
	}
	f, err := openTable(path, csvOptions{Required: [][]string{{"sales"}, {"price"}, {"brand"}, {"feat"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	cSales, cPrice, cBrand, cFeat := f.Col("sales"), f.Col("price"), f.Col("brand"), f.Col("feat")
	rep.Rule(RuleDuplicate, "kept")
	rep.Rule(RuleUnparseable, "dropped")
	seen := map[[16]byte]struct{}{}
	brands := map[string]bool{}
	var row int64
	return eachRow(ctx, f, rep, opts.MaxBadRows, func(line int64) error {
		row++
		brand := f.Str(cBrand)
		if brand == "" {
			return badRow(f.Errorf(cBrand, "missing brand"))
		}
		sales, err := f.Float(cSales)
		if err != nil {
			return badRow(err)
		}
		if !(sales >= 0) {
			return badRow(f.Errorf(cSales, "sales must be non-negative: %v", sales))
		}
		price, err := f.Float(cPrice)
		if err != nil {
			return badRow(err)
		}
		if !(price > 0) {
			return badRow(f.Errorf(cPrice, "price must be positive: %v", price))
		}
		feat, err := unitShare(f, cFeat)
		if err != nil {
			return badRow(err)
		}
		h := rowHash(brand, formatFloat(sales), formatFloat(price), formatFloat(feat))
		rep.FingerprintHash(h)
		if _, dup := seen[h]; dup {
			rep.Hit(RuleDuplicate, line)
		} else {
			seen[h] = struct{}{}
		}
		if !brands[brand] {
			brands[brand] = true
			name := ojBrandNames[brand]
			if name == "" {
				name = brand
			}
			if err := b.Product(ctx, shelfwise.Product{SKU: shelfwise.SKU(brand), Name: name + " orange juice", Brand: name,
				Department: "Refrigerated", Category: "Orange juice"}); err != nil {
				return err
			}
		}
		rep.Accept()
		return b.SalesPoint(ctx, shelfwise.SalesPoint{SKU: shelfwise.SKU(brand), Grain: shelfwise.GrainPeriod, Period: int(row - 1),
			Units: math.Round(sales), Price: price, Feature: feat, Available: true})
	})
}
