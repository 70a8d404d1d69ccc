package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
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
