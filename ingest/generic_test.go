package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/shelfwise/shelfwise"
)

func readGenericFile(t *testing.T, name, data string, m *Mapping) (*Memory, shelfwise.ImportReport, error) {
	t.Helper()
	path := fixturePath(t, name)
	writeFile(t, path, []byte(data))
	var mem Memory
	rep, err := Read(context.Background(), "generic", path, Options{Pseudonymizer: testKey, Mapping: m}, &mem)
	return &mem, rep, err
}

func TestGenericGuessesAndMaps(t *testing.T) {
	data := "Order Id;Date;Item;Qty;Unit Price;Client Id;E-mail;Phone Number;Full Name;Shop\n" +
		"A1;2024-03-01 10:00:00;SKU-1;2;1,5;77;x@y.z;+44 1;Ann Smith;S1\n" +
		"A1;2024-03-01 10:00:00;SKU-2;1;3;77;x@y.z;+44 1;Ann Smith;S1\n" +
		"A1;2024-03-01 10:00:00;SKU-2;1;3;77;x@y.z;+44 1;Ann Smith;S1\n" +
		"A2;2024-03-02 11:00:00;SKU-1;-1;1.5;;;;;S2\n" +
		"A3;2024-03-02 12:00:00;SKU-3;-4;0;;;;;S2\n"
	t.Run("Guessed", func(t *testing.T) {
		// "Unit Price" with a decimal comma fails: strict by default.
		_, _, err := readGenericFile(t, "g.csv", data, nil)
		var ie *shelfwise.InputError
		if !errors.As(err, &ie) || ie.Line != 2 || ie.Field != "Unit Price" {
			t.Fatalf("err=%v, want line 2 field Unit Price", err)
		}
	})
	data = strings.Replace(data, "1,5", "1.5", 1)
	mem, rep, err := readGenericFile(t, "g.csv", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := ruleCounts(rep)
	want := map[string]int64{RuleDuplicate: 1, RuleNegativeOnOrder: 1, RuleAdjustment: 1, RuleNonPositive: 1,
		RuleNoCustomer: 2, RuleNonProduct: 0, RulePersonalDropped: 3, RuleUnparseable: 0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("rule %s=%d, want %d", k, got[k], v)
		}
	}
	if rep.RowsRead != 5 || rep.Accepted != 4 || len(mem.OrderLines) != 4 {
		t.Fatalf("read=%d accepted=%d lines=%d", rep.RowsRead, rep.Accepted, len(mem.OrderLines))
	}
	l := mem.OrderLines[0]
	if l.Invoice != "A1" || l.SKU != "SKU-1" || l.Quantity != 2 || l.UnitPrice != 1.5 || l.Store != "S1" ||
		l.Customer != testKey.Key("77") || !l.Time.Equal(time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("first line=%+v", l)
	}
	if mem.OrderLines[2].Kind != shelfwise.LineReturn || mem.OrderLines[3].Kind != shelfwise.LineAdjustment {
		t.Errorf("kinds=%s,%s", mem.OrderLines[2].Kind, mem.OrderLines[3].Kind)
	}
	for _, rc := range rep.Rules {
		if rc.Rule == RulePersonalDropped && rc.Action != "dropped columns E-mail, Phone Number, Full Name" {
			t.Errorf("personal action=%q", rc.Action)
		}
	}

	t.Run("ExplicitPersonal", func(t *testing.T) {
		m := &Mapping{}
		if err := m.ParseMapFlag(`customer="E-mail"`); err != nil {
			t.Fatal(err)
		}
		mem, rep, err := readGenericFile(t, "g.csv", data, m)
		if err != nil {
			t.Fatal(err)
		}
		if mem.OrderLines[0].Customer != testKey.Key("x@y.z") {
			t.Errorf("customer from mapped e-mail=%q", mem.OrderLines[0].Customer)
		}
		if ruleCounts(rep)[RulePersonalDropped] != 3 { // phone and name still dropped
			t.Errorf("personal=%d", ruleCounts(rep)[RulePersonalDropped])
		}
	})
	t.Run("UnknownField", func(t *testing.T) {
		m := &Mapping{}
		if err := m.ParseMapFlag("colour=Shade"); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
			t.Errorf("err=%v", err)
		}
		if err := m.ParseMapFlag("no-equals"); shelfwise.ErrorCode(err) != shelfwise.EINVALID {
			t.Errorf("err=%v", err)
		}
	})
	t.Run("MappedColumnMissing", func(t *testing.T) {
		m := &Mapping{}
		m.Set("sku", "Article")
		_, _, err := readGenericFile(t, "g.csv", data, m)
		var ie *shelfwise.InputError
		if !errors.As(err, &ie) || ie.Line != 1 || ie.Field != "Article" {
			t.Errorf("err=%v", err)
		}
	})
}

func TestGenericAmbiguousAndDefaults(t *testing.T) {
	// Two plausible product columns: the reader refuses to guess.
	_, _, err := readGenericFile(t, "a.csv", "date,sku,product,qty\n2024-01-01,A,B,1\n", nil)
	var ie *shelfwise.InputError
	if !errors.As(err, &ie) || ie.Field != "sku" || !strings.Contains(err.Error(), "--map sku=") {
		t.Fatalf("err=%v", err)
	}
	m := &Mapping{}
	m.ParseMapFlag("sku=product")
	mem, _, err := readGenericFile(t, "a.csv", "date,sku,product,qty\n2024-01-01,A,B,1\n", m)
	if err != nil || mem.OrderLines[0].SKU != "B" {
		t.Fatalf("err=%v lines=%v", err, mem.OrderLines)
	}
	// No quantity column: 1 per line; amount gives the unit price; the
	// customer's lines at one time form a basket; unix seconds.
	mem, rep, err := readGenericFile(t, "d.tsv", "timestamp\tarticle\tuser\ttotal\n1704067200\tX\tu1\t9\n1704067200\tY\tu1\t4\n1704067201\tY\t\t4\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	ls := mem.OrderLines
	if len(ls) != 3 || ls[0].Quantity != 1 || ls[0].UnitPrice != 9 || ls[0].Invoice != ls[1].Invoice || ls[2].Invoice == ls[1].Invoice ||
		!ls[0].Time.Equal(time.Unix(1704067200, 0)) {
		t.Errorf("lines=%+v", ls)
	}
	if strings.Contains(string(ls[0].Invoice), "u1") {
		t.Errorf("raw customer id in invoice %q", ls[0].Invoice)
	}
	if ruleCounts(rep)[RuleDuplicate] != 0 {
		t.Errorf("duplicates=%d", ruleCounts(rep)[RuleDuplicate])
	}
}

func TestGenericMappingFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "map.json")
	writeFile(t, cfg, []byte(`{"columns": {"sku": "Artikel", "time": "Datum", "quantity": "Menge", "price": "Preis"},
		"time_layout": "02.01.2006", "delimiter": ";"}`))
	m, err := LoadMapping(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mem, _, err := readGenericFile(t, "de.csv", "Artikel;Datum;Menge;Preis\nA-1;31.12.2023;2;4.5\n", m)
	if err != nil {
		t.Fatal(err)
	}
	if l := mem.OrderLines[0]; l.SKU != "A-1" || l.Quantity != 2 || l.UnitPrice != 4.5 || l.Time.Format("2006-01-02") != "2023-12-31" {
		t.Errorf("line=%+v", l)
	}
	flat := filepath.Join(dir, "flat.json")
	writeFile(t, flat, []byte(`{"sku": "Artikel", "bogus": "x"}`))
	if _, err := LoadMapping(flat); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("unknown field accepted: %v", err)
	}
}

func TestGenericJSONLinesAndParquet(t *testing.T) {
	jsonl := `{"order":"1","date":"2024-01-02T10:00:00Z","sku":"A","qty":2,"price":1.25,"customer":17850,"email":"a@b.c"}
{"order":"1","date":"2024-01-02T10:00:00Z","sku":"B","qty":1,"price":3,"customer":17850.0}

{"order":"2","date":"2024-01-03T10:00:00Z","sku":"A","qty":1,"price":1.25,"customer":null,"store":"S9"}
`
	mem, rep, err := readGenericFile(t, "o.jsonl", jsonl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.RowsRead != 3 || len(mem.OrderLines) != 3 {
		t.Fatalf("read=%d", rep.RowsRead)
	}
	if mem.OrderLines[0].Customer != testKey.Key("17850") || mem.OrderLines[1].Customer != mem.OrderLines[0].Customer {
		t.Errorf("customers=%q %q", mem.OrderLines[0].Customer, mem.OrderLines[1].Customer)
	}
	if mem.OrderLines[2].Store != "S9" || mem.OrderLines[2].Customer != "" {
		t.Errorf("third=%+v", mem.OrderLines[2])
	}
	for _, rc := range rep.Rules {
		if rc.Rule == RuleNoCustomer && (rc.Count != 1 || rc.FirstLines[0] != 4) { // line 4: after the blank line
			t.Errorf("missing customer=%+v", rc)
		}
		if rc.Rule == RulePersonalDropped && rc.Count != 1 {
			t.Errorf("personal=%+v", rc)
		}
	}

	type pqRow struct {
		Order    string    `parquet:"order"`
		Date     time.Time `parquet:"date,timestamp(millisecond)"`
		SKU      string    `parquet:"sku"`
		Qty      int32     `parquet:"qty"`
		Price    float64   `parquet:"price"`
		Customer *float64  `parquet:"customer,optional"`
		Store    string    `parquet:"store"`
	}
	c := 17850.0
	path := filepath.Join(t.TempDir(), "o.parquet")
	err = parquet.WriteFile(path, []pqRow{
		{"1", time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC), "A", 2, 1.25, &c, ""},
		{"1", time.Date(2024, 1, 2, 10, 0, 0, 0, time.UTC), "B", 1, 3, &c, ""},
		{"2", time.Date(2024, 1, 3, 10, 0, 0, 0, time.UTC), "A", 1, 1.25, nil, "S9"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var pm Memory
	prep, err := Read(context.Background(), "generic", path, Options{Pseudonymizer: testKey}, &pm)
	if err != nil {
		t.Fatal(err)
	}
	if len(pm.OrderLines) != 3 {
		t.Fatalf("parquet lines=%d", len(pm.OrderLines))
	}
	for i := range pm.OrderLines {
		if pm.OrderLines[i] != mem.OrderLines[i] {
			t.Errorf("line %d: parquet %+v, jsonl %+v", i, pm.OrderLines[i], mem.OrderLines[i])
		}
	}
	if prep.Fingerprint != rep.Fingerprint {
		t.Errorf("JSON lines and Parquet fingerprints differ")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

func TestGenericColumns(t *testing.T) {
	path := fixturePath(t, "c.csv")
	writeFile(t, path, []byte("InvoiceNo;StockCode;InvoiceDate;Qty;Email;Total\n1;A;2024-01-01;1;a@b;3\n"))
	cols, err := GenericColumns(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{FieldInvoice: "InvoiceNo", FieldSKU: "StockCode", FieldTime: "InvoiceDate", FieldQuantity: "Qty", FieldAmount: "Total"}
	if len(cols) != len(want) {
		t.Errorf("cols=%v, want %v", cols, want)
	}
	for k, v := range want {
		if cols[k] != v {
			t.Errorf("%s=%q, want %q", k, cols[k], v)
		}
	}
}

// TestGenericDayFirstDatesNeedLayout: a day-first date that cannot be
// month-first fails with a hint instead of mixing interpretations.
func TestGenericDayFirstDatesNeedLayout(t *testing.T) {
	data := "Date,SKU\n05/01/2024 10:00,A\n13/01/2024 10:00,B\n"
	_, _, err := readGenericFile(t, "dm.csv", data, nil)
	var ie *shelfwise.InputError
	if !errors.As(err, &ie) || ie.Line != 3 || ie.Field != "Date" || !strings.Contains(err.Error(), "time_layout") {
		t.Fatalf("err=%v", err)
	}
	mem, _, err := readGenericFile(t, "dm.csv", data, &Mapping{TimeLayout: "02/01/2006 15:04"})
	if err != nil || mem.OrderLines[0].Time.Month() != time.January || mem.OrderLines[1].Time.Day() != 13 {
		t.Fatalf("with layout: %v %v", err, mem.OrderLines)
	}
}
