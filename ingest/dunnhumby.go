package ingest

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the dunnhumby format. Rules about a companion file start
// with its name; their first lines are lines of that file.
const (
	RuleDHZeroQuantity     = "zero_quantity"
	RuleDHZeroSales        = "zero_sales_value"
	RuleDHNegativeQuantity = "negative_quantity"
	RuleDHNegativeDiscount = "negative_discount"
	RuleDHMissingStore     = "missing_store"
	RuleDHUnknownProduct   = "product_not_in_products_file"
	RuleDHNonProduct       = "non_product_line"
	RuleDHProductDup       = "products: duplicate product_id"
	RuleDHNoCategory       = "products: missing product_category"
	RuleDHNoType           = "products: missing product_type"
	RuleDHPromoNone        = "promotions: neither display nor mailer"
	RuleDHPromoUnknown     = "promotions: product not in products file"
	RuleDHPromoDup         = "promotions: exact duplicate"
	RuleDHDemographics     = "demographics: skipped (personal data, no customer-attribute type)"
)

var dunnhumbyFormat = Format{
	Name: "dunnhumby",
	Description: "dunnhumby / 84.51 The Complete Journey (R package completejourney layout): transactions.csv or " +
		"transactions_sample.csv with products.csv and promotions.csv or promotions_sample.csv beside it (--data is the " +
		"folder or the transactions file). Order lines per basket with pseudonymised households, products with their " +
		"hierarchy, display and mailer promotions per product x store x week (Kind \"display:<location>\", " +
		"\"mailer:<location>\"). demographics.csv is counted and skipped (personal data); campaigns and coupons are " +
		"not read. Rows read = transaction rows",
	Read: readDunnhumby,
}

// dunnhumbyWeek1 is the Monday that starts week 1 of the Complete Journey
// (weeks run Monday to Sunday; week 1 holds 2017-01-01, week 53 holds
// 2017-12-31), as the transactions' timestamps show.
var dunnhumbyWeek1 = time.Date(2016, 12, 26, 0, 0, 0, 0, time.UTC)

// dunnhumbyWeekStart returns the first day of a Complete Journey week.
func dunnhumbyWeekStart(week int64) time.Time {
	return dunnhumbyWeek1.AddDate(0, 0, 7*int(week-1))
}

// dunnhumbyNonProduct tells fuel, coupons, gift cards and other
// non-merchandise lines from products.
func dunnhumbyNonProduct(department, category string) bool {
	switch department {
	case "FUEL", "COUPON":
		return true
	}
	return category == "COUPON/MISC ITEMS" || strings.HasPrefix(category, "COUPONS")
}

// dunnhumbyReader holds what the files share.
type dunnhumbyReader struct {
	opts     Options
	b        *Batcher
	rep      *Report
	products map[string]bool // product_id -> non-product
	stores   map[string]bool
}

// readDunnhumby reads products, promotions, demographics (counted only)
// and transactions, in that order.
func readDunnhumby(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	if opts.Pseudonymizer == nil {
		return shelfwise.Errorf(shelfwise.EINVALID, "dunnhumby: a pseudonymizer is required for household identifiers")
	}
	main, err := findFile(path, "transactions.csv", "transactions_sample.csv")
	if err != nil {
		return err
	}
	productsPath := companion(main, "products.csv")
	if productsPath == "" {
		return missingCompanion(main, "dunnhumby", "products.csv")
	}
	promoPath := companion(main, "promotions.csv", "promotions_sample.csv")
	if promoPath == "" {
		return missingCompanion(main, "dunnhumby", "promotions.csv")
	}
	for _, r := range [][2]string{
		{RuleDuplicate, "kept (identical lines of one basket are legitimate)"},
		{RuleDHZeroQuantity, "kept, unit price 0 (no units: a coupon or void line)"},
		{RuleDHZeroSales, "kept, unit price 0"}, {RuleDHNegativeQuantity, "kept as return"},
		{RuleDHNegativeDiscount, "kept, discount made positive"}, {RuleNoCustomer, "kept anonymous"},
		{RuleDHMissingStore, "kept, store not recorded"}, {RuleDHUnknownProduct, "kept, flagged"},
		{RuleDHNonProduct, "kept, flagged non-product"}, {RuleUnparseable, "dropped"},
		{RuleDHProductDup, "dropped"}, {RuleDHNoCategory, "kept"}, {RuleDHNoType, "kept"},
		{RuleDHPromoNone, "dropped"}, {RuleDHPromoUnknown, "kept, flagged"}, {RuleDHPromoDup, "dropped"},
		{RuleDHDemographics, "skipped"},
	} {
		rep.Rule(r[0], r[1])
	}
	d := &dunnhumbyReader{opts: opts, b: b, rep: rep, products: map[string]bool{}, stores: map[string]bool{}}
	if err := d.readProducts(ctx, productsPath); err != nil {
		return err
	}
	if err := d.readPromotions(ctx, promoPath); err != nil {
		return err
	}
	if demo := companion(main, "demographics.csv"); demo != "" {
		if err := d.countDemographics(ctx, demo); err != nil {
			return err
		}
	}
	if err := d.readTransactions(ctx, main); err != nil {
		return err
	}
	for _, s := range slices.Sorted(maps.Keys(d.stores)) {
		if err := b.Store(ctx, shelfwise.Store{ID: shelfwise.StoreID(s)}); err != nil {
			return err
		}
	}
	return nil
}

// readProducts writes the catalogue: department > product_category >
// product_type, brand, and manufacturer_id and package_size as attributes.
func (d *dunnhumbyReader) readProducts(ctx context.Context, path string) error {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"product_id"}, {"department"}, {"product_category"}, {"product_type"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	cID, cDept, cCat, cType := f.Col("product_id"), f.Col("department"), f.Col("product_category"), f.Col("product_type")
	cBrand, cMfr, cSize := f.Col("brand"), f.Col("manufacturer_id"), f.Col("package_size")
	return eachCompanionRow(ctx, f, func(line int64) error {
		p := shelfwise.Product{SKU: shelfwise.SKU(f.Str(cID)), Department: f.Str(cDept), Category: f.Str(cCat),
			Subcategory: f.Str(cType), Brand: f.Str(cBrand)}
		if p.SKU == "" {
			return f.Errorf(cID, "missing product_id")
		}
		mfr, size := f.Str(cMfr), f.Str(cSize)
		d.rep.Fingerprint("product", string(p.SKU), mfr, p.Department, p.Brand, p.Category, p.Subcategory, size)
		if p.Category == "" {
			d.rep.Hit(RuleDHNoCategory, line)
		}
		if p.Subcategory == "" {
			d.rep.Hit(RuleDHNoType, line)
		}
		if _, dup := d.products[string(p.SKU)]; dup {
			d.rep.Hit(RuleDHProductDup, line)
			return nil
		}
		if mfr != "" || size != "" {
			p.Attributes = map[string]string{}
			if mfr != "" {
				p.Attributes["manufacturer_id"] = mfr
			}
			if size != "" {
				p.Attributes["package_size"] = size
			}
		}
		p.NonProduct = dunnhumbyNonProduct(p.Department, p.Category)
		d.products[string(p.SKU)] = p.NonProduct
		if err := d.b.Product(ctx, p); err != nil {
			return err
		}
		return nil
	})
}

// readPromotions writes one Promotion per display and per mailer placement
// of a product x store x week; location "0" means none.
func (d *dunnhumbyReader) readPromotions(ctx context.Context, path string) error {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"product_id"}, {"store_id"}, {"display_location"}, {"mailer_location"}, {"week"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	cProd, cStore, cDisp, cMail, cWeek := f.Col("product_id"), f.Col("store_id"), f.Col("display_location"), f.Col("mailer_location"), f.Col("week")
	seen := make(map[[16]byte]struct{}, 1<<16)
	return eachCompanionRow(ctx, f, func(line int64) error {
		week, err := f.Int(cWeek)
		if err != nil {
			return err
		}
		prod, store, disp, mail := f.Str(cProd), f.Str(cStore), f.Str(cDisp), f.Str(cMail)
		if prod == "" {
			return f.Errorf(cProd, "missing product_id")
		}
		h := rowHash("promotion", prod, store, disp, mail, strconv.FormatInt(week, 10))
		d.rep.FingerprintHash(h)
		_, dup := seen[h]
		if dup {
			d.rep.Hit(RuleDHPromoDup, line)
		}
		seen[h] = struct{}{}
		if _, known := d.products[prod]; !known {
			d.rep.Hit(RuleDHPromoUnknown, line)
		}
		if store != "" {
			d.stores[store] = true
		}
		start := dunnhumbyWeekStart(week)
		placed := false
		for _, pl := range [][2]string{{"display", disp}, {"mailer", mail}} {
			if pl[1] == "" || pl[1] == "0" {
				continue
			}
			placed = true
			if dup {
				continue
			}
			if err := d.b.Promotion(ctx, shelfwise.Promotion{SKU: shelfwise.SKU(prod), Store: shelfwise.StoreID(store),
				Start: start, End: start.AddDate(0, 0, 7), Kind: pl[0] + ":" + pl[1]}); err != nil {
				return err
			}
		}
		if !placed {
			d.rep.Hit(RuleDHPromoNone, line)
		}
		return nil
	})
}

// countDemographics counts the household rows of demographics.csv, which
// are skipped: Shelfwise has no customer-attribute type, and age, income
// and household make-up are personal data that need an explicit mapping.
func (d *dunnhumbyReader) countDemographics(ctx context.Context, path string) error {
	f, err := openCSV(path, csvOptions{Required: [][]string{{"household_id"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	return eachCompanionRow(ctx, f, func(line int64) error {
		d.rep.Hit(RuleDHDemographics, line)
		return nil
	})
}

// dunnhumbyLine is one parsed transaction row.
type dunnhumbyLine struct {
	household, store, basket, product string
	qty, sales, week                  float64
	disc                              [3]float64
	t                                 time.Time
}

// parseLine parses the current transaction row; a bad field is an
// *shelfwise.InputError naming it.
func (d *dunnhumbyReader) parseLine(f *csvFile, cols []int) (dunnhumbyLine, error) {
	l := dunnhumbyLine{household: normalizeID(f.Str(cols[0])), store: normalizeID(f.Str(cols[1])),
		basket: normalizeID(f.Str(cols[2])), product: normalizeID(f.Str(cols[3]))}
	var err error
	if l.qty, err = f.Float(cols[4]); err != nil {
		return l, err
	}
	if l.sales, err = f.Float(cols[5]); err != nil {
		return l, err
	}
	for i := range l.disc {
		v, ok, err := f.OptFloat(cols[6+i])
		if err != nil {
			return l, err
		}
		if ok {
			l.disc[i] = v
		}
	}
	if cols[9] >= 0 {
		if v, ok, err := f.OptFloat(cols[9]); err != nil {
			return l, err
		} else if ok {
			l.week = v
		}
	}
	if l.t, err = f.Time(cols[10], "2006-01-02 15:04:05", "2006-01-02T15:04:05Z", "2006-01-02 15:04:05Z"); err != nil {
		return l, err
	}
	if l.basket == "" {
		return l, f.Errorf(cols[2], "missing basket_id")
	}
	if l.product == "" {
		return l, f.Errorf(cols[3], "missing product_id")
	}
	return l, nil
}

// readTransactions writes an order line per transaction row. UnitPrice is
// sales_value / quantity (the price paid after discounts); Discount is the
// sum of the retail, coupon and coupon-match discounts.
func (d *dunnhumbyReader) readTransactions(ctx context.Context, path string) error {
	names := []string{"household_id", "store_id", "basket_id", "product_id", "quantity", "sales_value",
		"retail_disc", "coupon_disc", "coupon_match_disc", "week", "transaction_timestamp"}
	var req [][]string
	for i, n := range names {
		if i != 9 && i != 7 && i != 8 {
			req = append(req, []string{n})
		}
	}
	f, err := openCSV(path, csvOptions{Required: req})
	if err != nil {
		return err
	}
	defer f.Close()
	cols := make([]int, len(names))
	for i, n := range names {
		cols[i] = f.Col(n)
	}
	seen := make(map[[16]byte]struct{}, 1<<16)
	return eachRow(ctx, f, d.rep, d.opts.MaxBadRows, func(line int64) error {
		l, err := d.parseLine(f, cols)
		if err != nil {
			return badRow(err)
		}
		return d.writeLine(ctx, line, l, seen)
	})
}

// writeLine applies the transaction rules to one parsed row and writes it.
func (d *dunnhumbyReader) writeLine(ctx context.Context, line int64, l dunnhumbyLine, seen map[[16]byte]struct{}) error {
	cust := d.opts.Pseudonymizer.Key(l.household)
	h := rowHash(string(cust), l.store, l.basket, l.product, formatFloat(l.qty), formatFloat(l.sales),
		formatFloat(l.disc[0]), formatFloat(l.disc[1]), formatFloat(l.disc[2]), formatFloat(l.week), l.t.Format(time.DateTime))
	d.rep.FingerprintHash(h)
	if _, dup := seen[h]; dup {
		d.rep.Hit(RuleDuplicate, line)
	} else {
		seen[h] = struct{}{}
	}
	sales := l.sales
	if math.Abs(sales) < 1e-9 {
		sales = 0 // 4.440892e-16 and the like: float noise from the R export
	}
	price := 0.0
	switch {
	case l.qty == 0:
		d.rep.Hit(RuleDHZeroQuantity, line)
	case sales == 0:
		d.rep.Hit(RuleDHZeroSales, line)
	default:
		price = sales / l.qty
	}
	kind := shelfwise.LineSale
	if l.qty < 0 {
		d.rep.Hit(RuleDHNegativeQuantity, line)
		kind = shelfwise.LineReturn
		price = math.Abs(price)
	}
	var discount float64
	negDisc := false
	for _, v := range l.disc {
		negDisc = negDisc || v < 0
		discount += math.Abs(v)
	}
	if negDisc {
		d.rep.Hit(RuleDHNegativeDiscount, line)
	}
	if cust == "" {
		d.rep.Hit(RuleNoCustomer, line)
	}
	if l.store == "" {
		d.rep.Hit(RuleDHMissingStore, line)
	} else {
		d.stores[l.store] = true
	}
	nonProduct, known := d.products[l.product]
	if !known {
		d.rep.Hit(RuleDHUnknownProduct, line)
	}
	if nonProduct {
		d.rep.Hit(RuleDHNonProduct, line)
	}
	d.rep.Accept()
	return d.b.OrderLine(ctx, shelfwise.OrderLine{
		Invoice: shelfwise.InvoiceID(l.basket), Time: l.t, Store: shelfwise.StoreID(l.store), Customer: cust,
		SKU: shelfwise.SKU(l.product), Quantity: l.qty, UnitPrice: price, Discount: discount, Kind: kind,
	})
}
