package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// genLines generates n order lines shaped like the UCI Online Retail data:
// ~20 lines per invoice, 4,000 SKUs, 4,000 customers (a quarter of invoices
// anonymous), one store, times increasing over a year.
func genLines(n int, seed uint64) []shelfwise.OrderLine {
	r := rand.New(rand.NewPCG(seed, 1))
	skus := make([]shelfwise.SKU, 4000)
	for i := range skus {
		skus[i] = shelfwise.SKU(fmt.Sprintf("%05d", 10000+i))
	}
	custs := make([]shelfwise.CustomerKey, 4000)
	for i := range custs {
		custs[i] = shelfwise.CustomerKey(fmt.Sprintf("c%024x", r.Uint64()))
	}
	t0 := time.Date(2010, 12, 1, 8, 0, 0, 0, time.UTC)
	step := 365 * 24 * time.Hour / time.Duration(n)
	out := make([]shelfwise.OrderLine, n)
	var inv shelfwise.InvoiceID
	var cust shelfwise.CustomerKey
	for i := range out {
		if i%20 == 0 {
			inv = shelfwise.InvoiceID(fmt.Sprint(536365 + i/20))
			cust = ""
			if r.IntN(4) > 0 {
				cust = custs[r.IntN(len(custs))]
			}
		}
		out[i] = shelfwise.OrderLine{
			Invoice: inv, Time: t0.Add(time.Duration(i) * step), Customer: cust,
			SKU: skus[r.IntN(len(skus))], Quantity: float64(1 + r.IntN(24)), UnitPrice: float64(r.IntN(1000)) / 100,
			Kind: shelfwise.LineSale, Country: "United Kingdom",
		}
	}
	return out
}

// BenchmarkImportOrderLines imports 500k generated order lines in one
// import (BeginImport, AddOrderLines in batches of 4096, Commit) into a new
// store and reports rows/s.
func BenchmarkImportOrderLines(b *testing.B) {
	const n = 500_000
	lines := genLines(n, 1)
	ctx := context.Background()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db, err := Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		for j := 0; j < n; j += 4096 {
			if err := tx.AddOrderLines(ctx, lines[j:min(j+4096, n)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "bench"}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	// CPU time per row is steadier than wall time on a shared machine (it
	// includes setup, so it overstates a little).
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n*b.N), "cpu-ns/row")
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSeries30k streams 30,000 daily item x store series (28 days of
// sales points each and weekly shelf prices, like a slice of M5) and reports series/s and the
// largest heap seen while streaming, which stays small because one series
// is built at a time.
func BenchmarkSeries30k(b *testing.B) {
	const items, stores, days = 3000, 10, 28
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	d0 := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	pts := make([]shelfwise.SalesPoint, 0, days)
	for i := 0; i < items; i++ {
		for s := 0; s < stores; s++ {
			pts = pts[:0]
			for d := 0; d < days; d++ {
				pts = append(pts, shelfwise.SalesPoint{SKU: shelfwise.SKU(fmt.Sprintf("ITEM_%04d", i)), Store: shelfwise.StoreID(fmt.Sprintf("S%d", s)),
					Grain: shelfwise.GrainDay, Date: d0.AddDate(0, 0, d), Units: float64(r.IntN(4)), Available: true})
			}
			if err := tx.AddSalesPoints(ctx, pts); err != nil {
				b.Fatal(err)
			}
			// A shelf price per week, as M5 has: Series reads it per series.
			var prices []shelfwise.Price
			for w := 0; w < days/7; w++ {
				prices = append(prices, shelfwise.Price{SKU: pts[0].SKU, Store: pts[0].Store,
					Start: d0.AddDate(0, 0, 7*w), End: d0.AddDate(0, 0, 7*w+7), Price: 2.5})
			}
			if err := tx.AddPrices(ctx, prices); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "bench"}); err != nil {
		b.Fatal(err)
	}
	var peak uint64
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		err := db.Series(ctx, shelfwise.SeriesQuery{Grain: shelfwise.GrainDay, Level: []string{"sku", "store"}}, func(s *shelfwise.Series) error {
			if len(s.Values) != days {
				return fmt.Errorf("series %s has %d steps, want %d", s.Key, len(s.Values), days)
			}
			if n++; n%1000 == 0 {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		if n != items*stores {
			b.Fatalf("%d series, want %d", n, items*stores)
		}
	}
	b.ReportMetric(float64(items*stores*b.N)/b.Elapsed().Seconds(), "series/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(items*stores*days*b.N), "cpu-ns/point")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}

// BenchmarkAddEvents measures a live ingest call: 10 or 100 events and one
// order line in one durable (synchronous=FULL) transaction with an
// idempotency key. It reports the CPU time per call (fsync waits are most
// of the wall time).
func BenchmarkAddEvents(b *testing.B) {
	for _, n := range []int{10, 100} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchAddEvents(b, n) })
	}
}

func benchAddEvents(b *testing.B, n int) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t0 := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	evs := make([]shelfwise.Event, n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range evs {
			evs[j] = shelfwise.Event{Time: t0.Add(time.Duration(i) * time.Second), Session: shelfwise.SessionID(fmt.Sprint("s", i)),
				Customer: shelfwise.CustomerKey(fmt.Sprint("c", i%100)), Type: shelfwise.EventView, SKU: shelfwise.SKU(fmt.Sprint("P", j))}
		}
		lines := []shelfwise.OrderLine{{Invoice: shelfwise.InvoiceID(fmt.Sprint("W", i)), Time: t0, Customer: "c1", SKU: "P1", Quantity: 1, UnitPrice: 2}}
		if _, err := db.AddEvents(ctx, fmt.Sprint("key-", i), evs, lines); err != nil {
			b.Fatal(err)
		}
	}
}
