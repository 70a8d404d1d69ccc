package ingest

import (
	"context"
	"strconv"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// Rule names of the cdnow format.
const (
	RuleZeroValue    = "zero_value"
	RuleZeroQuantity = "zero_quantity"
)

// CDNOWSKU is the product code of every CDNOW line: the data records CD
// counts and dollar values, not titles.
const CDNOWSKU shelfwise.SKU = "CD"

var cdnowFormat = Format{
	Name: "cdnow",
	Description: "CDNOW_master.txt (Fader & Hardie): whitespace-separated customer_id, date YYYYMMDD, " +
		"number_of_cds, dollar_value; one order line per transaction. The folder or the main file",
	Read: readCDNOW,
}

// readCDNOW reads one OrderLine per transaction: customer pseudonymised
// (leading zeros of the zero-padded id removed first), Quantity = CDs,
// UnitPrice = dollar value / CDs, SKU "CD", invoice "cdnow-<line>".
//
// Exact duplicate rows (same customer, day, count and value) are counted but
// kept. The file has no order number, only one row per transaction, so two
// equal rows are two orders of the same size and value on the same day —
// common at CDNOW's standard price points ($11.77, $12.99...) — and the
// published cohort size of 69,659 transactions counts them. Dropping them
// would understate spend and change the golden CLV figures; models that
// count purchase days (BG/NBD) merge same-day transactions anyway.
func readCDNOW(ctx context.Context, path string, opts Options, b *Batcher, rep *Report) error {
	if opts.Pseudonymizer == nil {
		return shelfwise.Errorf(shelfwise.EINVALID, "cdnow: a pseudonymizer is required for customer identifiers")
	}
	path, err := findFile(path, "CDNOW_master.txt")
	if err != nil {
		return err
	}
	f, err := openFields(path, csvOptions{Required: [][]string{{"customer_id"}, {"date"}, {"number_of_cds"}, {"dollar_value"}}})
	if err != nil {
		return err
	}
	defer f.Close()
	cCust, cDate, cQty, cVal := f.Col("customer_id"), f.Col("date"), f.Col("number_of_cds"), f.Col("dollar_value")
	rep.Rule(RuleDuplicate, "kept")
	rep.Rule(RuleZeroValue, "kept, flagged")
	rep.Rule(RuleZeroQuantity, "kept, flagged")
	rep.Rule(RuleUnparseable, "dropped")
	if err := b.Product(ctx, shelfwise.Product{SKU: CDNOWSKU, Name: "CD", Category: "Music"}); err != nil {
		return err
	}
	seen := map[[16]byte]struct{}{}
	keys := newKeyCache(opts.Pseudonymizer)
	return eachRow(ctx, f, rep, opts.MaxBadRows, func(line int64) error {
		raw := strings.TrimLeft(f.Str(cCust), "0")
		if raw == "" && f.Str(cCust) != "" {
			raw = "0"
		}
		if raw == "" {
			return badRow(f.Errorf(cCust, "missing customer id"))
		}
		t, err := f.Time(cDate, "20060102")
		if err != nil {
			return badRow(err)
		}
		qty, err := f.Int(cQty)
		if err != nil {
			return badRow(err)
		}
		if qty < 0 {
			return badRow(f.Errorf(cQty, "negative number of CDs: %d", qty))
		}
		val, err := f.Float(cVal)
		if err != nil {
			return badRow(err)
		}
		cust := keys.Key(raw)
		h := rowHash(string(cust), t.Format("2006-01-02"), strconv.FormatInt(qty, 10), formatFloat(val))
		rep.FingerprintHash(h)
		if _, dup := seen[h]; dup {
			rep.Hit(RuleDuplicate, line)
		} else {
			seen[h] = struct{}{}
		}
		if val <= 0 {
			rep.Hit(RuleZeroValue, line)
		}
		// A line without CDs keeps its value as the unit price, so the
		// value stays visible even though the amount is 0.
		price, q := val, float64(qty)
		if qty == 0 {
			rep.Hit(RuleZeroQuantity, line)
		} else {
			price = val / q
		}
		rep.Accept()
		return b.OrderLine(ctx, shelfwise.OrderLine{
			Invoice: shelfwise.InvoiceID("cdnow-" + strconv.FormatInt(line, 10)), Time: t, Customer: cust,
			SKU: CDNOWSKU, Quantity: q, UnitPrice: price, Kind: shelfwise.LineSale,
		})
	})
}

// CDNOWCustomer is one row of the CDNOW 1/10-sample summary used in the
// customer-lifetime-value literature (cdnow_customers_summary_with_transactions.csv).
// Times are in weeks from the customer's first purchase.
type CDNOWCustomer struct {
	// Customer is the pseudonym of the summary's ID. The summary numbers
	// its 2,357 customers 1..2357 independently of CDNOW_master.txt, so it
	// does not match the master file's pseudonyms.
	Customer shelfwise.CustomerKey
	// X is the number of repeat transactions (frequency).
	X int
	// TX is the time of the last purchase (recency, weeks).
	TX float64
	// T is the customer's age at the end of the calibration period (weeks).
	T float64
	// Zbar is the mean value of the repeat transactions (USD; 0 when X=0).
	Zbar float64
}

// ReadCDNOWSummary reads the CDNOW customer summary (columns ID, x, t_x, T,
// zbar) at path, or in the folder path. Bad rows give an InputError with
// file, line and field. IDs are pseudonymised with p.
func ReadCDNOWSummary(ctx context.Context, path string, p *shelfwise.Pseudonymizer) ([]CDNOWCustomer, error) {
	if p == nil {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "cdnow summary: a pseudonymizer is required for customer identifiers")
	}
	path, err := findFile(path, "cdnow_customers_summary_with_transactions.csv")
	if err != nil {
		return nil, err
	}
	f, err := openTable(path, csvOptions{Required: [][]string{{"ID"}, {"x"}, {"t_x"}, {"T"}, {"zbar"}}})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Prefer exact spellings: normCol folds case, and "T" differs from "t".
	cID, cX, cTX, cT, cZ := exactCol(f, "ID"), exactCol(f, "x"), exactCol(f, "t_x"), exactCol(f, "T"), exactCol(f, "zbar")
	var out []CDNOWCustomer
	for {
		ok, err := f.Next()
		if err != nil {
			return nil, err
		}
		if !ok {
			return out, nil
		}
		if len(out)%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var c CDNOWCustomer
		if f.Str(cID) == "" {
			return nil, f.Errorf(cID, "missing customer id")
		}
		c.Customer = p.Key(normalizeID(f.Str(cID)))
		x, err := f.Int(cX)
		if err != nil {
			return nil, err
		}
		c.X = int(x)
		if c.TX, err = f.Float(cTX); err != nil {
			return nil, err
		}
		if c.T, err = f.Float(cT); err != nil {
			return nil, err
		}
		if c.Zbar, err = f.Float(cZ); err != nil {
			return nil, err
		}
		if c.X < 0 || c.TX < 0 || c.T < c.TX {
			return nil, f.Errorf(cT, "inconsistent summary: x=%d t_x=%g T=%g", c.X, c.TX, c.T)
		}
		out = append(out, c)
	}
}

// exactCol returns the index of the column named exactly name, falling back
// to the normalised match.
func exactCol(f *csvFile, name string) int {
	for i, h := range f.header {
		if strings.TrimSpace(h) == name {
			return i
		}
	}
	return f.Col(name)
}
