package ingest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the generic format (with the shared ones of online-retail).
const (
	RulePersonalDropped = "personal_data_dropped"
)

var genericFormat = Format{
	Name: "generic",
	Description: "order lines from any CSV, CSV.gz, Parquet or JSON-lines file; columns named with --map field=Column or " +
		"--mapping file.json, else guessed from common names (InvoiceNo, Date, SKU, CustomerID, Quantity, Price...)",
	Read: readGeneric,
}

// genericColumns are the resolved column indexes of one file (-1 = absent).
type genericColumns struct {
	idx      map[string]int
	personal []int // personal columns not mapped: dropped
}

// resolveGeneric maps fields to columns: explicit mapping first (a missing
// column is an error naming what the header has), then guesses where
// exactly one unmapped, non-personal column matches.
func resolveGeneric(f *csvFile, m *Mapping) (genericColumns, error) {
	gc := genericColumns{idx: map[string]int{}}
	used := map[int]bool{}
	for _, fd := range genericFields {
		gc.idx[fd.name] = -1
		col, ok := m.Columns[fd.name]
		if !ok {
			continue
		}
		i := exactCol(f, col)
		if i < 0 {
			return gc, &shelfwise.InputError{File: f.path, Line: 1, Field: col,
				Err: fmt.Errorf("column %q mapped to %s is not in the header (found: %s)", col, fd.name, strings.Join(f.header, ", "))}
		}
		gc.idx[fd.name] = i
		used[i] = true
	}
	for _, fd := range genericFields {
		if _, ok := m.Columns[fd.name]; ok {
			continue
		}
		var matches []int
		for i, h := range f.header {
			if used[i] || personalColumn(h) {
				continue
			}
			for _, g := range fd.guesses {
				if normCol(h) == g {
					matches = append(matches, i)
					break
				}
			}
		}
		switch len(matches) {
		case 1:
			gc.idx[fd.name] = matches[0]
			used[matches[0]] = true
		case 0:
		default:
			names := make([]string, len(matches))
			for j, i := range matches {
				names[j] = f.header[i]
			}
			if fd.name == FieldSKU || fd.name == FieldTime {
				return gc, &shelfwise.InputError{File: f.path, Line: 1, Field: fd.name,
					Err: fmt.Errorf("several columns could be the %s (%s): choose one with --map %s=COLUMN", fd.name, strings.Join(names, ", "), fd.name)}
			}
		}
	}
	for _, req := range []string{FieldSKU, FieldTime} {
		if gc.idx[req] < 0 {
			return gc, &shelfwise.InputError{File: f.path, Line: 1, Field: req,
				Err: fmt.Errorf("no %s column found (header: %s): name it with --map %s=COLUMN", req, strings.Join(f.header, ", "), req)}
		}
	}
	for i, h := range f.header {
		if !used[i] && personalColumn(h) {
			gc.personal = append(gc.personal, i)
		}
	}
	return gc, nil
}

// readGeneric reads order lines through a Mapping. Customers are
// pseudonymised; personal columns (names, e-mails, phones, addresses) are
// never read unless mapped, and rows carrying them are counted. Negative
// quantities are returns, or stock adjustments when the price is 0 and no
// customer is recorded. Exact duplicate rows are dropped when the file has
// an invoice column (a line repeated within one invoice is an export error)
// and kept otherwise (without a basket key, equal lines can be separate
// purchases). Without an invoice column, a customer's lines at the same time
// form one basket; anonymous lines are baskets of their own.
func readGeneric(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	if opts.Pseudonymizer == nil {
		return shelfwise.Errorf(shelfwise.EINVALID, "generic: a pseudonymizer is required for customer identifiers")
	}
	m := opts.Mapping
	if m == nil {
		m = &Mapping{}
	}
	f, err := openTable(path, m.csvOptions())
	if err != nil {
		return err
	}
	defer f.Close()
	gc, err := resolveGeneric(f, m)
	if err != nil {
		return err
	}
	g := &genericReader{ctx: ctx, f: f, gc: gc, m: m, opts: opts, b: b, rep: rep,
		seen: map[[16]byte]struct{}{}, products: map[shelfwise.SKU]*shelfwise.Product{},
		keys: newKeyCache(opts.Pseudonymizer)}
	dupAction := "kept"
	if gc.idx[FieldInvoice] >= 0 {
		dupAction = "dropped"
	}
	personalAction := "columns not read"
	if len(gc.personal) > 0 {
		var names []string
		for _, i := range gc.personal {
			names = append(names, f.header[i])
		}
		personalAction = "dropped columns " + strings.Join(names, ", ")
	}
	for _, r := range []struct{ name, action string }{
		{RuleDuplicate, dupAction}, {RuleNegativeOnOrder, "kept as return"}, {RuleAdjustment, "kept as adjustment"},
		{RuleNonPositive, "kept, flagged"}, {RuleNoCustomer, "kept anonymous"}, {RuleNonProduct, "kept, flagged non-product"},
		{RulePersonalDropped, personalAction},
		{RuleUnparseable, "dropped"},
	} {
		rep.Rule(r.name, r.action)
	}
	if err := eachRow(ctx, f, rep, opts.MaxBadRows, g.row); err != nil {
		return err
	}
	for _, sku := range g.skuOrder {
		if err := b.Product(ctx, *g.products[sku]); err != nil {
			return err
		}
	}
	return nil
}

// genericReader holds the state of one generic read.
type genericReader struct {
	f        *csvFile
	gc       genericColumns
	m        *Mapping
	opts     Options
	b        *Batcher
	rep      *Report
	ctx      context.Context
	seen     map[[16]byte]struct{}
	products map[shelfwise.SKU]*shelfwise.Product
	keys     *keyCache
	skuOrder []shelfwise.SKU
}

func (g *genericReader) col(field string) int { return g.gc.idx[field] }

// num parses an optional numeric field: absent column or empty value give def.
func (g *genericReader) num(field string, def float64) (float64, error) {
	c := g.col(field)
	if c < 0 {
		return def, nil
	}
	v, ok, err := g.f.OptFloat(c)
	if err != nil || !ok {
		return def, err
	}
	return v, nil
}

// parseTime parses the time column with the mapping's layout, common
// layouts, or Unix seconds (10 digits) / milliseconds (13 digits).
func (g *genericReader) parseTime() (time.Time, error) {
	c := g.col(FieldTime)
	s := g.f.Str(c)
	if g.m.TimeLayout != "" {
		return g.f.Time(c, g.m.TimeLayout)
	}
	if n := len(s); (n == 10 || n == 13) && strings.Trim(s, "0123456789") == "" {
		v, _ := strconv.ParseInt(s, 10, 64)
		if n == 13 {
			return time.UnixMilli(v).UTC(), nil
		}
		return time.Unix(v, 0).UTC(), nil
	}
	t, err := g.f.Time(c)
	if err != nil {
		return t, g.f.Errorf(c, "not a date/time: %q (give its layout as \"time_layout\" in --mapping, e.g. \"02/01/2006 15:04\" for day-first dates)", s)
	}
	return t, nil
}

func (g *genericReader) row(line int64) error {
	f, rep := g.f, g.rep
	for _, i := range g.gc.personal {
		if f.Str(i) != "" {
			rep.Hit(RulePersonalDropped, line)
			break
		}
	}
	sku := f.Str(g.col(FieldSKU))
	if sku == "" {
		return badRow(f.Errorf(g.col(FieldSKU), "missing product code"))
	}
	t, err := g.parseTime()
	if err != nil {
		return badRow(err)
	}
	qty, err := g.num(FieldQuantity, 1)
	if err != nil {
		return badRow(err)
	}
	price, err := g.num(FieldUnitPrice, 0)
	if err != nil {
		return badRow(err)
	}
	if g.col(FieldUnitPrice) < 0 && g.col(FieldAmount) >= 0 {
		amount, err := g.num(FieldAmount, 0)
		if err != nil {
			return badRow(err)
		}
		if qty != 0 {
			price = amount / qty
		}
	}
	discount, err := g.num(FieldDiscount, 0)
	if err != nil {
		return badRow(err)
	}
	inv, desc := f.Str(g.col(FieldInvoice)), f.Str(g.col(FieldDescription))
	store, country := f.Str(g.col(FieldStore)), f.Str(g.col(FieldCountry))
	cust := g.keys.Key(normalizeID(f.Str(g.col(FieldCustomer))))
	timeS := t.Format(time.RFC3339Nano)
	h := rowHash(inv, timeS, sku, desc, string(cust), formatFloat(qty), formatFloat(price), formatFloat(discount), store, country)
	rep.FingerprintHash(h)
	_, dup := g.seen[h]
	if dup {
		rep.Hit(RuleDuplicate, line)
	} else {
		g.seen[h] = struct{}{}
	}
	kind := shelfwise.LineSale
	if qty < 0 {
		if price == 0 && cust == "" {
			rep.Hit(RuleAdjustment, line)
			kind = shelfwise.LineAdjustment
		} else {
			rep.Hit(RuleNegativeOnOrder, line)
			kind = shelfwise.LineReturn
		}
	}
	if price <= 0 {
		rep.Hit(RuleNonPositive, line)
	}
	if cust == "" {
		rep.Hit(RuleNoCustomer, line)
	}
	nonProduct := isFeeCode(sku)
	if nonProduct {
		rep.Hit(RuleNonProduct, line)
	}
	if dup && g.col(FieldInvoice) >= 0 {
		return nil
	}
	if inv == "" {
		if cust != "" {
			inv = string(cust) + "@" + timeS
		} else {
			inv = "line-" + strconv.FormatInt(line, 10)
		}
	}
	p, ok := g.products[shelfwise.SKU(sku)]
	if !ok {
		p = &shelfwise.Product{SKU: shelfwise.SKU(sku), NonProduct: nonProduct}
		g.products[p.SKU] = p
		g.skuOrder = append(g.skuOrder, p.SKU)
	}
	if p.Name == "" && desc != "" {
		p.Name = desc
	}
	rep.Accept()
	return g.b.OrderLine(g.ctx, shelfwise.OrderLine{
		Invoice: shelfwise.InvoiceID(inv), Time: t, Store: shelfwise.StoreID(store), Customer: cust, SKU: shelfwise.SKU(sku),
		Quantity: qty, UnitPrice: price, Discount: discount, Kind: kind, Country: country,
	})
}

// isFeeCode reports whether a product code is one of the usual non-product
// codes of invoice exports (postage, carriage, fees, manual adjustments).
func isFeeCode(sku string) bool {
	switch strings.ToUpper(sku) {
	case "POST", "DOT", "M", "D", "C2", "S", "B", "CRUK", "PADS", "BANK CHARGES", "AMAZONFEE", "ADJUST", "FEE", "SHIPPING",
		"DELIVERY", "POSTAGE", "CARRIAGE", "DISCOUNT":
		return true
	}
	return false
}

// GenericColumns resolves, without reading rows, which column of the file
// at path the generic format will use for each field under mapping m (nil =
// guesses only): field -> column. It fails like an import would, e.g. with
// an InputError when no product column can be found.
func GenericColumns(path string, m *Mapping) (map[string]string, error) {
	if m == nil {
		m = &Mapping{}
	}
	f, err := openTable(path, m.csvOptions())
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gc, err := resolveGeneric(f, m)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for field, i := range gc.idx {
		if i >= 0 {
			out[field] = f.header[i]
		}
	}
	return out, nil
}

// csvOptions are the reader options the mapping asks for.
func (m *Mapping) csvOptions() csvOptions {
	o := csvOptions{Sniff: true}
	if m.Delimiter != "" {
		o.Comma = []rune(m.Delimiter)[0]
	}
	return o
}
