package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// orFixtureRow is one generated row in the UCI Online Retail layout; the
// Parquet copy stores it as pandas did (CustomerID a nullable double,
// missing descriptions as "Unknown", InvoiceDate a microsecond timestamp).
type orFixtureRow struct {
	InvoiceNo   string    `parquet:"InvoiceNo"`
	StockCode   string    `parquet:"StockCode"`
	Description string    `parquet:"Description"`
	Quantity    int64     `parquet:"Quantity"`
	InvoiceDate time.Time `parquet:"InvoiceDate,timestamp(microsecond)"`
	UnitPrice   float64   `parquet:"UnitPrice"`
	CustomerID  *float64  `parquet:"CustomerID,optional"`
	Country     string    `parquet:"Country"`
}

// genOnlineRetail generates n invoice lines with every oddity the
// online-retail rules count: duplicates, cancellations, stock adjustments,
// zero prices, missing customers and descriptions, non-product codes.
func genOnlineRetail(n int, seed uint64) []orFixtureRow {
	r := rand.New(rand.NewPCG(seed, 1))
	t0 := time.Date(2011, 3, 1, 9, 0, 0, 0, time.UTC)
	var rows []orFixtureRow
	for i := 0; len(rows) < n; i++ {
		cust := float64(12000 + r.IntN(50))
		row := orFixtureRow{
			InvoiceNo: fmt.Sprint(536000 + i/3), StockCode: fmt.Sprintf("%d", 20000+r.IntN(40)),
			Description: "ITEM, \"DELUXE\"", Quantity: int64(1 + r.IntN(12)), InvoiceDate: t0.Add(time.Duration(i) * time.Hour),
			UnitPrice: float64(1+r.IntN(500)) / 100, CustomerID: &cust, Country: "United Kingdom",
		}
		switch i % 11 {
		case 1:
			row.InvoiceNo = "C" + row.InvoiceNo
			row.Quantity = -row.Quantity
		case 2:
			row.Quantity, row.UnitPrice, row.CustomerID = -5, 0, nil
		case 3:
			row.CustomerID = nil
		case 4:
			row.Description = ""
			row.UnitPrice = 0
		case 5:
			row.StockCode = "POST"
		}
		rows = append(rows, row)
		if i%17 == 0 && len(rows) < n {
			rows = append(rows, row) // exact duplicate
		}
	}
	return rows
}

// writeOnlineRetailCSV writes rows as the CSV copy does.
func writeOnlineRetailCSV(t testing.TB, path string, rows []orFixtureRow) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	for _, r := range rows {
		cust := ""
		if r.CustomerID != nil {
			cust = fmt.Sprint(int64(*r.CustomerID))
		}
		desc := r.Description
		if strings.ContainsAny(desc, ",\"\n") {
			desc = `"` + strings.ReplaceAll(desc, `"`, `""`) + `"`
		}
		fmt.Fprintf(&b, "%s,%s,%s,%d,%s,%s,%s,%s\n", r.InvoiceNo, r.StockCode, desc, r.Quantity,
			r.InvoiceDate.Format("2006-01-02 15:04:05"), formatFloat(r.UnitPrice), cust, r.Country)
	}
	writeFile(t, path, b.Bytes())
}

// writeOnlineRetailParquet writes rows as the pandas Parquet copy does.
func writeOnlineRetailParquet(t testing.TB, path string, rows []orFixtureRow) {
	t.Helper()
	out := make([]orFixtureRow, len(rows))
	for i, r := range rows {
		if r.Description == "" {
			r.Description = "Unknown"
		}
		out[i] = r
	}
	if err := parquet.WriteFile(path, out); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// fixturePath returns the path of a file named name in a fresh temp dir.
func fixturePath(t testing.TB, name string) string {
	return filepath.Join(t.TempDir(), name)
}
