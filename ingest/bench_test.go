package ingest

import (
	"context"
	"testing"

	"github.com/shelfwise/shelfwise/internal/realdata"
	"github.com/shelfwise/shelfwise/sqlite"
)

// benchImport reads the real UCI Online Retail file (541,909 rows) into a
// Memory sink and, as the import target measures, into a fresh SQLite
// store in a temp dir (commit included). Target: under 3 s and 500 MB.
func benchImport(b *testing.B, rel string) {
	path := realdata.Path(b, rel)
	ctx := context.Background()
	b.Run("Memory", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var mem Memory
			rep, err := Read(ctx, "online-retail", path, Options{Pseudonymizer: testKey}, &mem)
			if err != nil || rep.RowsRead != 541909 {
				b.Fatalf("rows=%d err=%v", rep.RowsRead, err)
			}
		}
		b.ReportMetric(541909*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("SQLite", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			db, err := sqlite.Open(ctx, b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			rep, err := Import(ctx, db, "online-retail", path, Options{Pseudonymizer: testKey})
			if err != nil || rep.Written["order_lines"] != 536641 {
				b.Fatalf("written=%v err=%v", rep.Written, err)
			}
			b.StopTimer()
			db.Close()
			b.StartTimer()
		}
		b.ReportMetric(541909*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

func BenchmarkImportOnlineRetailCSV(b *testing.B) {
	benchImport(b, "uci_online_retail/online_retail.csv.gz")
}

func BenchmarkImportOnlineRetailParquet(b *testing.B) {
	benchImport(b, "uci_online_retail/online_retail.parquet")
}
