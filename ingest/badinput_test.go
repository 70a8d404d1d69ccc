package ingest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
)

const orHeader = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"

// bigOnlineRetail is a valid online-retail CSV of n lines (without header).
func bigOnlineRetail(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n")
	}
	return b.String()
}

func TestBadInput(t *testing.T) {
	good := "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
	big := []byte(orHeader + "\n" + bigOnlineRetail(20000))
	gz := gzipBytes(big)
	tests := []struct {
		name   string
		file   string
		data   []byte
		format string
		line   int    // wanted line; -1 = any
		field  string // wanted field
		msg    string // wanted in the message
	}{
		{"EmptyFile", "e.csv", nil, "online-retail", 1, "", "empty file"},
		{"EmptyGzip", "e.csv.gz", gzipBytes(nil), "online-retail", 1, "", "empty file"},
		{"TruncatedGzip", "t.csv.gz", gz[:len(gz)/2], "online-retail", -1, "", "truncated or corrupt gzip"},
		{"CorruptGzipHeader", "c.csv.gz", []byte{0x1f, 0x8b, 0, 0}, "online-retail", 0, "", "gzip"},
		{"WrongHeader", "w.csv", []byte("Invoice Number,Code,Qty\n1,2,3\n"), "online-retail", 1, "InvoiceNo", "missing column"},
		{"MissingHeader", "m.csv", []byte(good + good), "online-retail", 1, "InvoiceNo", "missing column"},
		{"BadDate", "d.csv", []byte(orHeader + "\n" + good + strings.Replace(good, "2010-12-01 08:26:00", "2010-13-45 08:26", 1)),
			"online-retail", 3, "InvoiceDate", "not a date"},
		{"NonNumericQuantity", "q.csv", []byte(orHeader + "\n" + good + good + strings.Replace(good, ",6,", ",six,", 1)),
			"online-retail", 4, "Quantity", "not an integer"},
		{"ExtraField", "p.csv", []byte(orHeader + "\n" + strings.Replace(good, "2.55", "2,55", 1)), "online-retail", 2, "", "9 fields but the header has 8"},
		{"QuotedNewlineThenBadRow", "n.csv", []byte(orHeader + "\n" +
			"536365,85123A,\"TWO\nLINES\",6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" + good +
			strings.Replace(good, "2.55", "x", 1)), "online-retail", 5, "UnitPrice", "not a number"},
		{"CRLFBadRow", "r.csv", []byte(strings.ReplaceAll(orHeader+"\n"+good+strings.Replace(good, "17850", "17850", 1)+
			strings.Replace(good, ",6,", ",1.5,", 1), "\n", "\r\n")), "online-retail", 4, "Quantity", "not an integer"},
		{"BOMBadRow", "b.csv", append([]byte("\xEF\xBB\xBF"+orHeader+"\n"+good), []byte(strings.Replace(good, "85123A", "", 1))...),
			"online-retail", 3, "StockCode", "missing stock code"},
		{"UnclosedQuote", "u.csv", []byte(orHeader + "\n" + good + "536365,85123A,\"OPEN,6,2010-12-01 08:26:00,2.55,17850,UK\n"),
			"online-retail", 3, "", "quote"},
		{"ShoppersBadBool", "s.csv", []byte(shoppersHeader + "\n" + shoppersRow + "\n" + strings.Replace(shoppersRow, "FALSE,FALSE", "FALSE,MAYBE", 1) + "\n"),
			"shoppers", 3, "Revenue", "not a boolean"},
		{"ShoppersBadNumber", "s.csv", []byte(shoppersHeader + "\n" + strings.Replace(shoppersRow, "0.2,0.2", "0.2,n/a", 1) + "\n"),
			"shoppers", 2, "ExitRates", "not a number"},
		{"CDNOWBadDate", "CDNOW_master.txt", []byte(" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 1997011  1   12.00\r\n"),
			"cdnow", 3, "date", "not a date"},
		{"CDNOWNegativeCDs", "CDNOW_master.txt", []byte(" customer_id  date number_of_cds  dollar_value\n 00001 19970101  -1   11.77\n"),
			"cdnow", 2, "number_of_cds", "negative"},
		{"OJBadFeature", "oj.csv", []byte("sales,price,brand,feat\n8256,3.87,tropicana,0\n100,2.1,dominicks,7\n"),
			"dominicks-oj", 3, "feat", "0..1"},
		{"BayesmBadBrand", "yx.csv", []byte(bayesmHeader + "\n" + strings.Replace(bayesmLine, "2,1,40", "2,12,40", 1) + "\n"),
			"dominicks-bayesm", 2, "brand", "out of range"},
		{"GenericNoSKU", "g.csv", []byte("Date,Amount\n2024-01-01,3\n"), "generic", 1, "sku", "no sku column"},
		{"JSONLBadLine", "g.jsonl", []byte("{\"sku\":\"A1\",\"date\":\"2024-01-02\",\"qty\":1}\n\n{\"sku\":\"A2\",\"date\":\"2024-01-02\",\"qty\":2,}\n"),
			"generic", 3, "", "not valid JSON"},
		{"JSONLBadQuantity", "g.jsonl", []byte("{\"sku\":\"A1\",\"date\":\"2024-01-02\",\"qty\":1}\n{\"sku\":\"A2\",\"date\":\"2024-01-02\",\"qty\":\"two\"}\n"),
			"generic", 2, "qty", "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := fixturePath(t, tt.file)
			writeFile(t, path, tt.data)
			var mem Memory
			_, err := Read(context.Background(), tt.format, path, Options{Pseudonymizer: testKey}, &mem)
			var ie *shelfwise.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err=%v (%T), want *shelfwise.InputError", err, err)
			}
			if ie.File != path {
				t.Errorf("file=%q, want %q", ie.File, path)
			}
			if tt.line >= 0 && ie.Line != tt.line {
				t.Errorf("line=%d, want %d (%v)", ie.Line, tt.line, err)
			}
			if tt.line < 0 && ie.Line < 2 {
				t.Errorf("line=%d, want a data line (%v)", ie.Line, err)
			}
			if tt.field != "" && ie.Field != tt.field {
				t.Errorf("field=%q, want %q (%v)", ie.Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.HasPrefix(err.Error(), path) {
				t.Errorf("message %q does not start with the file or lacks %q", err, tt.msg)
			}
			if shelfwise.ErrorCode(err) != shelfwise.EINVALID {
				t.Errorf("code=%s, want %s", shelfwise.ErrorCode(err), shelfwise.EINVALID)
			}
		})
	}
}

const shoppersHeader = "Administrative,Administrative_Duration,Informational,Informational_Duration,ProductRelated," +
	"ProductRelated_Duration,BounceRates,ExitRates,PageValues,SpecialDay,Month,OperatingSystems,Browser,Region," +
	"TrafficType,VisitorType,Weekend,Revenue"
const shoppersRow = "0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE"

const bayesmHeader = `"store","brand","week","logmove","constant","price1","price2","price3","price4","price5","price6",` +
	`"price7","price8","price9","price10","price11","deal","feat","profit"`
const bayesmLine = "2,1,40,9.0186954877,1,0.06046875,0.0604965281,0.04203125,0.02953125,0.04953125,0.0530208333," +
	"0.03890625,0.04140625,0.02890625,0.02484375,0.038984375,1,0,37.9923255813953"

// TestGoodInputVariants checks that BOM, CRLF, quoted newlines, a missing
// final newline and gzip all read to the same rows with the right lines.
func TestGoodInputVariants(t *testing.T) {
	base := orHeader + "\n" +
		"536365,85123A,\"MULTI\nLINE, \"\"QUOTED\"\"\",6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" +
		"536366,22633,HAND WARMER,6,2010-12-01 08:28:00,1.85,17850.0,United Kingdom\n" +
		"C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,14527,United Kingdom\n"
	variants := map[string][]byte{
		"plain.csv":    []byte(base),
		"bom.csv":      append([]byte("\xEF\xBB\xBF"), base...),
		"crlf.csv":     []byte(strings.ReplaceAll(base, "\n", "\r\n")),
		"nofinal.csv":  []byte(strings.TrimSuffix(base, "\n")),
		"gz.csv.gz":    gzipBytes([]byte(base)),
		"gzbom.csv":    gzipBytes(append([]byte("\xEF\xBB\xBF"), []byte(strings.ReplaceAll(base, "\n", "\r\n"))...)),
		"semi.csv.bak": []byte(base),
	}
	var fps []string
	for name, data := range variants {
		t.Run(name, func(t *testing.T) {
			path := fixturePath(t, name)
			writeFile(t, path, data)
			var mem Memory
			rep, err := Read(context.Background(), "online-retail", path, Options{Pseudonymizer: testKey}, &mem)
			if err != nil {
				t.Fatal(err)
			}
			if rep.RowsRead != 3 || len(mem.OrderLines) != 3 {
				t.Fatalf("rows=%d lines=%d", rep.RowsRead, len(mem.OrderLines))
			}
			l := mem.OrderLines[0]
			if !strings.HasPrefix(string(mem.Products[0].Name), "MULTI") || !strings.Contains(mem.Products[0].Name, `"QUOTED"`) {
				t.Errorf("product name=%q", mem.Products[0].Name)
			}
			if l.Customer != mem.OrderLines[1].Customer || l.Customer != testKey.Key("17850") {
				t.Errorf("17850 and 17850.0 give different pseudonyms")
			}
			if got := ruleCounts(rep)[RuleCancellation]; got != 1 {
				t.Errorf("cancellations=%d", got)
			}
			// The cancellation is on line 5: the quoted newline takes two lines.
			for _, rc := range rep.Rules {
				if rc.Rule == RuleCancellation && (len(rc.FirstLines) != 1 || rc.FirstLines[0] != 5) {
					t.Errorf("cancellation first lines=%v, want [5]", rc.FirstLines)
				}
				if rc.Rule == RuleNonProduct && (len(rc.FirstLines) != 1 || rc.FirstLines[0] != 5) {
					t.Errorf("non-product first lines=%v, want [5]", rc.FirstLines)
				}
			}
			fps = append(fps, rep.Fingerprint)
		})
	}
	for _, fp := range fps {
		if fp != fps[0] {
			t.Fatalf("fingerprints differ across encodings: %v", fps)
		}
	}
}

// TestMaxBadRows sets unparseable rows aside up to the limit.
func TestMaxBadRows(t *testing.T) {
	good := "536365,85123A,WHITE HANGING HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n"
	bad := strings.Replace(good, ",6,", ",x,", 1)
	path := fixturePath(t, "m.csv")
	writeFile(t, path, []byte(orHeader+"\n"+good+bad+good+bad+good))
	for _, tt := range []struct {
		max  int
		fail bool
	}{{0, true}, {1, true}, {2, false}} {
		var mem Memory
		rep, err := Read(context.Background(), "online-retail", path, Options{Pseudonymizer: testKey, MaxBadRows: tt.max}, &mem)
		if (err != nil) != tt.fail {
			t.Fatalf("max %d: err=%v", tt.max, err)
		}
		if !tt.fail {
			rc := rep.Rules[len(rep.Rules)-1]
			if rc.Rule != RuleUnparseable || rc.Count != 2 || rc.FirstLines[0] != 3 || rc.FirstLines[1] != 5 {
				t.Errorf("unparseable=%+v", rc)
			}
			if rep.RowsRead != 5 || rep.Accepted != 1 { // 3 good rows, 2 of them duplicates
				t.Errorf("read=%d accepted=%d", rep.RowsRead, rep.Accepted)
			}
		}
	}
}

func TestBigGzipReads(t *testing.T) {
	path := fixturePath(t, "big.csv.gz")
	writeFile(t, path, gzipBytes([]byte(orHeader+"\n"+bigOnlineRetail(20000))))
	var mem Memory
	rep, err := Read(context.Background(), "online-retail", path, Options{Pseudonymizer: testKey}, &mem)
	if err != nil || rep.RowsRead != 20000 || rep.Accepted != 1 {
		t.Fatalf("read=%d accepted=%d err=%v", rep.RowsRead, rep.Accepted, err)
	}
	if !bytes.Contains([]byte(rep.Fingerprint), []byte("online-retail:")) {
		t.Errorf("fingerprint=%q", rep.Fingerprint)
	}
}

func TestFormatsRegisteredOnce(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range formatList() {
		if seen[f.Name] {
			t.Errorf("format %s registered twice", f.Name)
		}
		seen[f.Name] = true
	}
}

// TestOtherLayoutsSameRows reads the same three lines as Online Retail II
// CSV and as JSON lines: same rows, same pseudonyms, same fingerprint.
func TestOtherLayoutsSameRows(t *testing.T) {
	csvData := orHeader + "\n" +
		"536365,85123A,\"MULTI\nLINE\",6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" +
		"C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,,United Kingdom\n"
	ii := "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n" +
		"536365,85123A,\"MULTI\nLINE\",6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n" +
		"C536379,D,Discount,-1,2010-12-01 09:41:00,27.5,,United Kingdom\n"
	jsonl := `{"InvoiceNo":"536365","StockCode":"85123A","Description":"MULTI\nLINE","Quantity":6,"InvoiceDate":"2010-12-01 08:26:00","UnitPrice":2.55,"CustomerID":17850.0,"Country":"United Kingdom"}` + "\r\n" +
		`{"InvoiceNo":"C536379","StockCode":"D","Description":"Discount","Quantity":-1,"InvoiceDate":"2010-12-01 09:41:00","UnitPrice":27.5,"CustomerID":null,"Country":"United Kingdom"}` + "\r\n"
	var fps []string
	var firstLines [][]int64
	for _, v := range []struct{ name, data string }{{"or.csv", csvData}, {"or2.csv", ii}, {"or.jsonl.gz", jsonl}} {
		path := fixturePath(t, v.name)
		data := []byte(v.data)
		if strings.HasSuffix(v.name, ".gz") {
			data = gzipBytes(data)
		}
		writeFile(t, path, data)
		var mem Memory
		rep, err := Read(context.Background(), "online-retail", path, Options{Pseudonymizer: testKey}, &mem)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		if len(mem.OrderLines) != 2 || mem.OrderLines[0].Customer != testKey.Key("17850") || mem.OrderLines[1].Customer != "" ||
			mem.OrderLines[1].Kind != shelfwise.LineReturn || mem.Products[0].Name != "MULTI\nLINE" {
			t.Errorf("%s: lines=%+v products=%+v", v.name, mem.OrderLines, mem.Products)
		}
		fps = append(fps, rep.Fingerprint)
		for _, rc := range rep.Rules {
			if rc.Rule == RuleNoCustomer {
				firstLines = append(firstLines, rc.FirstLines)
			}
		}
	}
	if fps[0] != fps[1] || fps[0] != fps[2] {
		t.Errorf("fingerprints differ: %v", fps)
	}
	// The anonymous line is file line 4 of the CSVs (after the quoted
	// newline) and line 2 of the JSON lines.
	if len(firstLines) != 3 || firstLines[0][0] != 4 || firstLines[1][0] != 4 || firstLines[2][0] != 2 {
		t.Errorf("missing-customer lines=%v, want 4, 4, 2", firstLines)
	}
}

// TestFeeCodesAreNonProducts: a stock code without a digit (POST) and a
// charge whose code has one (C2, carriage) are both flagged non-products,
// under their own rules; merchandise is not.
func TestFeeCodesAreNonProducts(t *testing.T) {
	data := orHeader + "\n" +
		"536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom\n" +
		"536365,C2,CARRIAGE,1,2010-12-01 08:26:00,50,17850,United Kingdom\n" +
		"536366,POST,POSTAGE,1,2010-12-01 08:28:00,18,12583,France\n" +
		"536366,22633,HAND WARMER UNION JACK,6,2010-12-01 08:28:00,1.85,12583,France\n"
	path := fixturePath(t, "fees.csv")
	writeFile(t, path, []byte(data))
	var mem Memory
	rep, err := Read(context.Background(), "online-retail", path, Options{Pseudonymizer: testKey}, &mem)
	if err != nil {
		t.Fatal(err)
	}
	want := map[shelfwise.SKU]bool{"85123A": false, "C2": true, "POST": true, "22633": false}
	if len(mem.Products) != len(want) {
		t.Fatalf("%d products, want %d", len(mem.Products), len(want))
	}
	for _, p := range mem.Products {
		if w, ok := want[p.SKU]; !ok || p.NonProduct != w {
			t.Errorf("product %s: NonProduct %v, want %v", p.SKU, p.NonProduct, w)
		}
	}
	if n := len(mem.OrderLines); n != 4 {
		t.Errorf("%d order lines, want all 4 kept", n)
	}
	firstLine := map[string]int64{RuleFeeCode: 3, RuleNonProduct: 4}
	for _, rc := range rep.Rules {
		if line, ok := firstLine[rc.Rule]; ok && (rc.Count != 1 || len(rc.FirstLines) != 1 || rc.FirstLines[0] != line) {
			t.Errorf("rule %s: %d lines, first %v; want 1, [%d]", rc.Rule, rc.Count, rc.FirstLines, line)
		}
	}
}
