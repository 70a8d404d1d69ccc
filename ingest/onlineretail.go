package ingest

import (
	"context"
	"strconv"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the online-retail format, in report order.
const (
	RuleDuplicate     = "exact_duplicate"
	RuleCancellation  = "cancellation"
	RuleAdjustment    = "stock_adjustment"
	RuleNonPositive   = "non_positive_price"
	RuleZeroPrice     = "zero_price"
	RuleNegativePrice = "negative_price"
	RuleNoCustomer    = "missing_customer"
	RuleNoDescription = "empty_description"
	RuleNonProduct    = "non_product_code"
	// RuleFeeCode counts lines whose stock code has a digit but names a
	// charge (C2, CARRIAGE): still a purchase by the code rule of the
	// evaluation protocol, but a product no one should be offered.
	RuleFeeCode         = "fee_code"
	RuleUnparseable     = "unparseable"
	RuleMissingSKU      = "missing_stock_code"
	RuleMissingInvoice  = "missing_invoice"
	RuleNegativeOnOrder = "negative_quantity_return"
)

var onlineRetailFormat = Format{
	Name: "online-retail",
	Description: "invoice-line exports in the UCI Online Retail layout (InvoiceNo, StockCode, Description, Quantity, " +
		"InvoiceDate, UnitPrice, CustomerID, Country) or the Online Retail II layout (Invoice, Price, Customer ID); CSV, CSV.gz or Parquet",
	Read: readOnlineRetail,
}

// readOnlineRetail reads invoice lines. Exact duplicate rows are dropped;
// cancellations (invoices starting with C) are kept as returns; negative
// quantities on ordinary invoices with price 0 and no customer are kept as
// stock adjustments; lines without a customer are kept as anonymous; stock
// codes without a digit (POST, DOT, M, BANK CHARGES...) are flagged as
// non-product lines.
func readOnlineRetail(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	if opts.Pseudonymizer == nil {
		return shelfwise.Errorf(shelfwise.EINVALID, "online-retail: a pseudonymizer is required for customer identifiers")
	}
	path, err := findFile(path, "online_retail.csv", "online_retail.parquet", "online_retail_II.csv", "Online Retail.csv")
	if err != nil {
		return err
	}
	f, err := openTable(path, csvOptions{Required: [][]string{
		{"InvoiceNo", "Invoice"}, {"StockCode"}, {"Quantity"}, {"InvoiceDate"}, {"UnitPrice", "Price"},
		{"CustomerID", "Customer ID"},
	}})
	if err != nil {
		return err
	}
	defer f.Close()
	parquetSrc := isParquet(path)
	var (
		cInv, cSKU, cDesc = f.Col("InvoiceNo", "Invoice"), f.Col("StockCode"), f.Col("Description")
		cQty, cDate       = f.Col("Quantity"), f.Col("InvoiceDate")
		cPrice, cCust     = f.Col("UnitPrice", "Price"), f.Col("CustomerID", "Customer ID")
		cCountry          = f.Col("Country")
	)
	for _, r := range []struct{ name, action string }{
		{RuleDuplicate, "dropped"}, {RuleCancellation, "kept as return"}, {RuleAdjustment, "kept as adjustment"},
		{RuleNonPositive, "kept, flagged"}, {RuleZeroPrice, "kept, flagged"}, {RuleNegativePrice, "kept, flagged"},
		{RuleNoCustomer, "kept anonymous"}, {RuleNoDescription, "kept, flagged"}, {RuleNonProduct, "kept, flagged non-product"},
		{RuleFeeCode, "kept, flagged non-product"}, {RuleUnparseable, "dropped"},
	} {
		rep.Rule(r.name, r.action)
	}
	seen := make(map[[16]byte]struct{}, 1<<16)
	keys := newKeyCache(opts.Pseudonymizer)
	var numBuf [3][]byte
	products := map[shelfwise.SKU]*shelfwise.Product{}
	var skuOrder []shelfwise.SKU
	var bad int64
	for {
		ok, err := f.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		rep.RowRead()
		line := f.Line()
		if line%8192 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		inv, sku, desc := f.Str(cInv), f.Str(cSKU), f.Str(cDesc)
		if parquetSrc && desc == "Unknown" {
			desc = "" // the Parquet copy writes missing descriptions as "Unknown"
		}
		country := f.Str(cCountry)
		rawCust := normalizeID(f.Str(cCust))
		qty, perr := f.Int(cQty)
		var price float64
		if perr == nil {
			price, perr = f.Float(cPrice)
		}
		t, terr := f.Time(cDate)
		if perr == nil {
			perr = terr
		}
		if perr == nil && inv == "" {
			perr = f.Errorf(cInv, "missing invoice number")
		}
		if perr == nil && sku == "" {
			perr = f.Errorf(cSKU, "missing stock code")
		}
		if perr != nil {
			bad++
			if bad > int64(opts.MaxBadRows) {
				return perr
			}
			rep.Hit(RuleUnparseable, line)
			continue
		}
		cust := keys.Key(rawCust)
		numBuf[0] = strconv.AppendFloat(numBuf[0][:0], price, 'g', -1, 64)
		numBuf[1] = strconv.AppendInt(numBuf[1][:0], qty, 10)
		numBuf[2] = strconv.AppendInt(numBuf[2][:0], t.Unix(), 10)
		h := rowHash(inv, sku, desc, unsafeString(numBuf[1]), unsafeString(numBuf[2]), unsafeString(numBuf[0]), string(cust), country)
		rep.FingerprintHash(h)

		_, dup := seen[h]
		if dup {
			rep.Hit(RuleDuplicate, line)
		} else {
			seen[h] = struct{}{}
		}
		cancel := strings.HasPrefix(inv, "C") || strings.HasPrefix(inv, "c")
		kind := shelfwise.LineSale
		if cancel {
			rep.Hit(RuleCancellation, line)
			kind = shelfwise.LineReturn
		} else if qty < 0 {
			if price == 0 && cust == "" {
				rep.Hit(RuleAdjustment, line)
				kind = shelfwise.LineAdjustment
			} else {
				kind = shelfwise.LineReturn
			}
		}
		if price <= 0 {
			rep.Hit(RuleNonPositive, line)
			if price == 0 {
				rep.Hit(RuleZeroPrice, line)
			} else {
				rep.Hit(RuleNegativePrice, line)
			}
		}
		if cust == "" {
			rep.Hit(RuleNoCustomer, line)
		}
		if desc == "" {
			rep.Hit(RuleNoDescription, line)
		}
		nonProduct := !hasDigit(sku)
		if nonProduct {
			rep.Hit(RuleNonProduct, line)
		} else if isFeeCode(sku) {
			nonProduct = true
			rep.Hit(RuleFeeCode, line)
		}
		if dup {
			continue
		}
		p, ok := products[shelfwise.SKU(sku)]
		if !ok {
			p = &shelfwise.Product{SKU: shelfwise.SKU(sku), NonProduct: nonProduct}
			products[p.SKU] = p
			skuOrder = append(skuOrder, p.SKU)
		}
		if p.Name == "" && desc != "" {
			p.Name = desc
		}
		rep.Accept()
		if err := b.OrderLine(ctx, shelfwise.OrderLine{
			Invoice: shelfwise.InvoiceID(inv), Time: t, Customer: cust, SKU: shelfwise.SKU(sku),
			Quantity: float64(qty), UnitPrice: price, Kind: kind, Country: country,
		}); err != nil {
			return err
		}
	}
	for _, sku := range skuOrder {
		if err := b.Product(ctx, *products[sku]); err != nil {
			return err
		}
	}
	return nil
}

// normalizeID normalises a raw identifier written by spreadsheets and
// dataframes: "17850.0" -> "17850"; "nan", "NaN" and "NA" mean missing.
func normalizeID(s string) string {
	s = strings.TrimSpace(s)
	switch s {
	case "nan", "NaN", "NA", "None", "null", "NULL":
		return ""
	}
	if i := strings.IndexByte(s, '.'); i > 0 && strings.Trim(s[i+1:], "0") == "" {
		if _, err := strconv.ParseInt(s[:i], 10, 64); err == nil {
			return s[:i]
		}
	}
	return s
}

func hasDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			return true
		}
	}
	return false
}
