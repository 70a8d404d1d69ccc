package simulate

import (
	"context"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// BenchmarkGenerateOrderLines generates the Large chain (about 10 million
// order lines, plus events, sessions and stock levels) into a discarding
// sink and reports the wall and CPU seconds per 10 million order lines (the
// target is under 60 s wall on the 2-core machine; CPU seconds are the
// steadier figure when other processes share it).
func BenchmarkGenerateOrderLines(b *testing.B) {
	cfg := Large()
	cfg.Pseudonymizer = shelfwise.NewPseudonymizer([]byte("bench-key"))
	b.ReportAllocs()
	var lines int64
	start, cpu0 := time.Now(), processCPU()
	for range b.N {
		var d Discard
		if _, err := Run(context.Background(), cfg, &d); err != nil {
			b.Fatal(err)
		}
		lines += d.Lines.Load()
		b.ReportMetric(float64(d.Events.Load()), "events/op")
	}
	secs, cpu := time.Since(start).Seconds(), processCPU()-cpu0
	b.ReportMetric(float64(lines)/float64(b.N), "lines/op")
	b.ReportMetric(secs/float64(lines)*1e7, "s/10M-lines")
	b.ReportMetric(cpu/float64(lines)*1e7, "cpu-s/10M-lines")
}

// BenchmarkM5Series generates the M5-sized aggregated chain (30,490 daily
// series of 1,941 days) through Series.
func BenchmarkM5Series(b *testing.B) {
	cfg := M5()
	cpu0 := processCPU()
	for range b.N {
		n := 0
		if _, err := Series(context.Background(), cfg, func(*shelfwise.Series) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		if n != 30490 {
			b.Fatalf("series=%d, want 30490", n)
		}
	}
	b.ReportMetric((processCPU()-cpu0)/float64(b.N), "cpu-s/op")
}
