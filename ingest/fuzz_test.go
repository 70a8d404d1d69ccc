package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// fuzzFormats are the formats the row fuzzer drives, each with the header
// written before the fuzzed rows ("" = the fuzzed bytes are the whole file).
var fuzzFormats = []struct{ format, header string }{
	{"online-retail", orHeader + "\n"},
	{"generic", "Date,SKU,Qty,Price,Customer,Email\n"},
	{"shoppers", shoppersHeader + "\n"},
	{"cdnow", " customer_id  date number_of_cds  dollar_value\r\n"},
	{"dominicks-oj", "sales,price,brand,feat\n"},
	{"dominicks-bayesm", bayesmHeader + "\n"},
	{"generic", ""},
}

// FuzzParseRow feeds arbitrary rows to every format's row parser: it must
// never panic, and every failure must be an InputError naming the file.
func FuzzParseRow(f *testing.F) {
	f.Add(uint8(0), []byte("536365,85123A,WHITE \"HEART\",6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"))
	f.Add(uint8(0), []byte("C1,POST,\"a\nb\",-1,1/2/2011 10:00,-0.5,,UK\r\n,,,,,,,\n"))
	f.Add(uint8(1), []byte("2024-01-01,A1,3,1.5,42,a@b.c\n1704067200,B,-1,0,,\n"))
	f.Add(uint8(2), []byte(shoppersRow+"\n"+shoppersRow+"\n"))
	f.Add(uint8(3), []byte(" 00001 19970101  1   11.77\r\n 00002 19970112  0   0.00\r\n"))
	f.Add(uint8(4), []byte("8255.99999982379,3.87,tropicana,0\n1e308,1e-308,x,1\n"))
	f.Add(uint8(5), []byte(bayesmLine+"\n"+bayesmLine+"\n"))
	f.Add(uint8(6), []byte("{\"sku\":\"A\",\"date\":\"2024-01-02\",\"qty\":1,\"n\":{\"x\":[1,2]}}\n{\"sku\":null,\"date\":1}\n"))
	f.Add(uint8(6), []byte("\xEF\xBB\xBF{\"a\":\"\\u00e9\"}"))
	f.Fuzz(func(t *testing.T, which uint8, rows []byte) {
		ff := fuzzFormats[int(which)%len(fuzzFormats)]
		path := filepath.Join(t.TempDir(), "in.csv")
		if err := os.WriteFile(path, append([]byte(ff.header), rows...), 0o600); err != nil {
			t.Fatal(err)
		}
		var mem Memory
		rep, err := Read(context.Background(), ff.format, path, Options{Pseudonymizer: testKey, MaxBadRows: 3}, &mem)
		if err != nil {
			var ie *shelfwise.InputError
			if !errors.As(err, &ie) || ie.File != path {
				t.Fatalf("%s: error %v (%T) is not an InputError naming the file", ff.format, err, err)
			}
			return
		}
		if rep.Accepted > rep.RowsRead {
			t.Fatalf("accepted %d > read %d", rep.Accepted, rep.RowsRead)
		}
		for _, rc := range rep.Rules {
			if rc.Count > rep.RowsRead || len(rc.FirstLines) > maxFirstLines {
				t.Fatalf("rule %+v with %d rows read", rc, rep.RowsRead)
			}
		}
	})
}
