package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/shelfwise/shelfwise"
)

// Fields of a generic order-line export that a Mapping can name.
const (
	FieldInvoice     = "invoice"
	FieldTime        = "time"
	FieldSKU         = "sku"
	FieldDescription = "description"
	FieldCustomer    = "customer"
	FieldQuantity    = "quantity"
	FieldUnitPrice   = "unit_price"
	FieldAmount      = "amount"
	FieldDiscount    = "discount"
	FieldStore       = "store"
	FieldCountry     = "country"
)

// genericField describes one field: the column names guessed for it when
// no mapping names it (compared after normCol), and other spellings of the
// field accepted in a mapping.
type genericField struct {
	name    string
	guesses []string
	aliases []string
	help    string
}

// genericFields are the fields of the generic format in report order. The
// guess lists are disjoint, so one column never fills two fields.
var genericFields = []genericField{
	{FieldInvoice, []string{"invoiceno", "invoice", "invoiceid", "invoicenumber", "orderid", "order", "orderno", "ordernumber",
		"transactionid", "receipt", "receiptid", "basket", "basketid", "ticket", "ticketid"},
		[]string{"order", "basket", "receipt"}, "invoice, order or basket number (lines of one basket share it)"},
	{FieldTime, []string{"invoicedate", "orderdate", "date", "datetime", "timestamp", "time", "transactiondate", "purchasedate",
		"createdat", "day"}, []string{"date", "timestamp", "datetime"}, "date or date-time of the line"},
	{FieldSKU, []string{"stockcode", "sku", "productid", "itemid", "product", "item", "productcode", "itemcode", "article",
		"articleid", "ean", "upc", "gtin"}, []string{"product", "item", "stock_code"}, "product code"},
	{FieldDescription, []string{"description", "productname", "itemname", "title", "productdescription"},
		[]string{"name", "product_name"}, "product name"},
	{FieldCustomer, []string{"customerid", "customer", "clientid", "client", "userid", "user", "memberid", "householdkey",
		"householdid", "accountid", "customerno", "customernumber", "loyaltyid", "cardid"},
		[]string{"client", "user", "customer_id"}, "customer identifier (pseudonymised; the raw value is never stored)"},
	{FieldQuantity, []string{"quantity", "qty", "units", "quantitysold", "numberofitems"}, []string{"qty", "units"},
		"units on the line (negative for returns); 1 when absent"},
	{FieldUnitPrice, []string{"unitprice", "price", "itemprice", "priceperunit", "sellprice", "salesprice", "unitcost"},
		[]string{"price"}, "price per unit"},
	{FieldAmount, []string{"amount", "total", "linetotal", "totalprice", "lineamount", "value", "salesvalue", "revenue"},
		[]string{"total", "line_total", "revenue"}, "line total; gives the unit price as amount/quantity when no price column"},
	{FieldDiscount, []string{"discount", "discountamount"}, nil, "discount on the line (positive)"},
	{FieldStore, []string{"store", "storeid", "shop", "shopid", "storeno", "storenumber", "branch", "location", "locationid"},
		[]string{"shop", "location"}, "store or shop"},
	{FieldCountry, []string{"country", "countrycode"}, nil, "country"},
}

// Mapping maps the columns of a generic export to Shelfwise fields, for the
// "generic" format. It is given by flags (--map sku=Item) or a small JSON
// config file (LoadMapping); fields it leaves out are guessed from common
// column names when exactly one column matches.
type Mapping struct {
	// Columns maps a Shelfwise field name (see GenericFieldHelp: "invoice",
	// "time", "sku", "customer", "quantity", "unit_price"...) to the
	// export's column.
	Columns map[string]string `json:"columns"`
	// TimeLayout is the Go layout of the time column (e.g. "02.01.2006
	// 15:04"); empty tries common layouts and Unix seconds/milliseconds.
	TimeLayout string `json:"time_layout,omitempty"`
	// Delimiter is the field separator of delimited text ("," ";" "\t"
	// "|"); empty guesses it from the header line.
	Delimiter string `json:"delimiter,omitempty"`
}

// GenericFieldHelp lists the fields a Mapping can name with what each means.
func GenericFieldHelp() []string {
	var out []string
	for _, f := range genericFields {
		out = append(out, f.name+": "+f.help)
	}
	return out
}

// canonicalField returns the field a mapping key names, or "" if none.
func canonicalField(key string) string {
	k := strings.ToLower(strings.TrimSpace(key))
	k = strings.ReplaceAll(strings.ReplaceAll(k, "-", "_"), " ", "_")
	for _, f := range genericFields {
		if k == f.name {
			return f.name
		}
		for _, a := range f.aliases {
			if k == a {
				return f.name
			}
		}
	}
	return ""
}

// Set maps field (a field name or alias) to column. It fails with EINVALID
// naming the known fields when field is unknown.
func (m *Mapping) Set(field, column string) error {
	name := canonicalField(field)
	if name == "" {
		var known []string
		for _, f := range genericFields {
			known = append(known, f.name)
		}
		return shelfwise.Errorf(shelfwise.EINVALID, "unknown mapping field %q (known: %s)", field, strings.Join(known, ", "))
	}
	if strings.TrimSpace(column) == "" {
		return shelfwise.Errorf(shelfwise.EINVALID, "mapping of %s names no column", name)
	}
	if m.Columns == nil {
		m.Columns = map[string]string{}
	}
	m.Columns[name] = column
	return nil
}

// ParseMapFlag applies one --map value of the form field=Column (the column
// may be quoted and may contain spaces and "=").
func (m *Mapping) ParseMapFlag(s string) error {
	field, col, ok := strings.Cut(s, "=")
	if !ok {
		return shelfwise.Errorf(shelfwise.EINVALID, "--map %q: want field=Column, e.g. sku=Item", s)
	}
	col = strings.TrimSpace(col)
	if len(col) >= 2 && (col[0] == '"' && col[len(col)-1] == '"' || col[0] == '\'' && col[len(col)-1] == '\'') {
		col = col[1 : len(col)-1]
	}
	return m.Set(field, col)
}

// LoadMapping reads a mapping config file: a JSON object either
// {"columns": {"sku": "Item", ...}, "time_layout": "...", "delimiter": ";"}
// or simply {"sku": "Item", "customer": "Client Id", ...}.
func LoadMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &shelfwise.InputError{File: path, Err: fmt.Errorf("cannot read mapping: %v", err)}
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&raw); err != nil {
		return nil, &shelfwise.InputError{File: path, Err: fmt.Errorf("not a JSON object: %v", err)}
	}
	m := &Mapping{}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := raw[k]
		var err error
		switch k {
		case "columns":
			var cols map[string]string
			if err = json.Unmarshal(v, &cols); err == nil {
				for f, c := range cols {
					if err = m.Set(f, c); err != nil {
						break
					}
				}
			}
		case "time_layout":
			err = json.Unmarshal(v, &m.TimeLayout)
		case "delimiter":
			err = json.Unmarshal(v, &m.Delimiter)
		default:
			var col string
			if err = json.Unmarshal(v, &col); err == nil {
				err = m.Set(k, col)
			}
		}
		if err != nil {
			return nil, &shelfwise.InputError{File: path, Field: k, Err: err}
		}
	}
	if len([]rune(m.Delimiter)) > 1 {
		return nil, &shelfwise.InputError{File: path, Field: "delimiter", Err: fmt.Errorf("must be one character, got %q", m.Delimiter)}
	}
	return m, nil
}

// personalColumn reports whether a column holds personal data (names,
// e-mails, phones, addresses, birth dates, IP addresses), which the generic
// format drops unless a mapping names the column explicitly.
func personalColumn(name string) bool {
	n := normCol(name)
	switch n {
	case "name", "firstname", "lastname", "fullname", "surname", "givenname", "familyname", "customername", "clientname",
		"contactname", "tel", "telephone", "dob", "dateofbirth", "birthdate", "birthday", "ip", "ipaddress", "zip", "postcode",
		"postalcode", "zipcode", "street":
		return true
	}
	for _, sub := range []string{"email", "e-mail", "mail", "phone", "mobile", "address", "street"} {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}
