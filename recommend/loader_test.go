package recommend

import (
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

// loadOnlineRetail is a test-only reader of the UCI Online Retail CSV, kept
// minimal: the CLI reads through package ingest.
func loadOnlineRetail(t testing.TB) []shelfwise.OrderLine {
	t.Helper()
	path := realdata.Path(t, "uci_online_retail/online_retail.csv.gz")
	onlineRetailOnce.Do(func() { onlineRetailLines, onlineRetailErr = readOnlineRetail(path) })
	if onlineRetailErr != nil {
		t.Fatal(onlineRetailErr)
	}
	return onlineRetailLines
}

var (
	onlineRetailOnce  sync.Once
	onlineRetailLines []shelfwise.OrderLine
	onlineRetailErr   error
)

func readOnlineRetail(path string) ([]shelfwise.OrderLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(gz)
	if _, err := r.Read(); err != nil {
		return nil, err
	}
	ps := shelfwise.NewPseudonymizer([]byte("test-key-for-recommend-package-32b"))
	var out []shelfwise.OrderLine
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		q, _ := strconv.ParseFloat(rec[3], 64)
		tm, err := time.Parse(time.DateTime, rec[4])
		if err != nil {
			return nil, err
		}
		price, _ := strconv.ParseFloat(rec[5], 64)
		kind := shelfwise.LineSale
		if strings.HasPrefix(rec[0], "C") {
			kind = shelfwise.LineReturn
		} else if q < 0 {
			kind = shelfwise.LineAdjustment
		}
		out = append(out, shelfwise.OrderLine{Invoice: shelfwise.InvoiceID(rec[0]), SKU: shelfwise.SKU(rec[1]),
			Quantity: q, Time: tm, UnitPrice: price, Customer: ps.Key(rec[6]), Kind: kind, Country: rec[7]})
	}
	return out, nil
}
