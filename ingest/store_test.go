package ingest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/realdata"
	"github.com/shelfwise/shelfwise/sqlite"
)

// openTestStore opens a fresh SQLite store in a temp dir.
func openTestStore(t testing.TB) shelfwise.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func storeStats(t testing.TB, db shelfwise.DB) shelfwise.Stats {
	t.Helper()
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestImportStoreAtomicAndIdempotent imports generated online-retail data
// into SQLite: a failing file leaves the store untouched, the same file
// again and its Parquet copy are recognised and write nothing.
func TestImportStoreAtomicAndIdempotent(t *testing.T) {
	ctx := context.Background()
	db := openTestStore(t)
	rows := genOnlineRetail(3000, 7)
	dir := t.TempDir()
	csvPath, pqPath, badPath := dir+"/or.csv", dir+"/or.parquet", dir+"/bad.csv"
	writeOnlineRetailCSV(t, csvPath, rows)
	writeOnlineRetailParquet(t, pqPath, rows)
	// The bad file fails on its last line, after several batches were written.
	data, _ := os.ReadFile(csvPath)
	writeFile(t, badPath, append(data, []byte("536999,22222,X,notanumber,2011-01-01 10:00:00,1.0,12001,UK\n")...))
	opts := Options{Pseudonymizer: testKey, BatchSize: 256}

	_, err := Import(ctx, db, "online-retail", badPath, opts)
	var ie *shelfwise.InputError
	if !errors.As(err, &ie) || ie.Line != len(rows)+2 || ie.Field != "Quantity" {
		t.Fatalf("bad import err=%v, want InputError at line %d field Quantity", err, len(rows)+2)
	}
	if st := storeStats(t, db); st.OrderLines != 0 || st.Products != 0 || st.Imports != 0 {
		t.Fatalf("failed import left data: %+v", st)
	}

	rep, err := Import(ctx, db, "online-retail", csvPath, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.AlreadyImported || rep.Written["order_lines"] != rep.Accepted {
		t.Fatalf("first import=%+v", rep)
	}
	st := storeStats(t, db)
	if st.OrderLines != rep.Accepted || st.Imports != 1 {
		t.Fatalf("stats after import=%+v, want %d lines", st, rep.Accepted)
	}
	for _, again := range []string{csvPath, pqPath} {
		rep2, err := Import(ctx, db, "online-retail", again, opts)
		if err != nil {
			t.Fatalf("%s: %v", again, err)
		}
		if !rep2.AlreadyImported || len(rep2.Written) != 0 || rep2.Fingerprint != rep.Fingerprint {
			t.Errorf("%s: already=%v written=%v fp %s vs %s", again, rep2.AlreadyImported, rep2.Written, rep2.Fingerprint, rep.Fingerprint)
		}
		if st2 := storeStats(t, db); st2.OrderLines != st.OrderLines || st2.Imports != 1 {
			t.Errorf("%s doubled the data: %+v", again, st2)
		}
	}
	// No raw customer id reached the store.
	err = db.OrderLines(ctx, shelfwise.OrderFilter{}, func(l shelfwise.OrderLine) error {
		if l.Customer != "" && !strings.HasPrefix(string(l.Customer), "c") {
			return errors.New("raw customer id in store: " + string(l.Customer))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestImportParquetFixtureMatchesCSV checks the generated Parquet copy
// gives the same report as the CSV.
func TestImportParquetFixtureMatchesCSV(t *testing.T) {
	rows := genOnlineRetail(2000, 3)
	dir := t.TempDir()
	writeOnlineRetailCSV(t, dir+"/or.csv", rows)
	writeOnlineRetailParquet(t, dir+"/or.parquet", rows)
	var reps []shelfwise.ImportReport
	for _, p := range []string{dir + "/or.csv", dir + "/or.parquet"} {
		var mem Memory
		rep, err := Read(context.Background(), "online-retail", p, Options{Pseudonymizer: testKey}, &mem)
		if err != nil {
			t.Fatal(err)
		}
		reps = append(reps, rep)
	}
	a, b := ruleCounts(reps[0]), ruleCounts(reps[1])
	for k, v := range a {
		if b[k] != v {
			t.Errorf("rule %s: csv %d parquet %d", k, v, b[k])
		}
	}
	if a[RuleDuplicate] == 0 || a[RuleCancellation] == 0 || a[RuleAdjustment] == 0 || a[RuleNoDescription] == 0 {
		t.Errorf("fixture misses oddities: %v", a)
	}
	if reps[0].Fingerprint != reps[1].Fingerprint {
		t.Errorf("fingerprints differ")
	}
}

// TestImportRealCSVThenParquet imports the real UCI CSV into SQLite with
// the exact counts of SOURCE.md and the issue, then its Parquet copy, which
// gives the same report and fingerprint (so the same pseudonyms: they are
// part of every row's hash) and is recognised as already imported.
func TestImportRealCSVThenParquet(t *testing.T) {
	ctx := context.Background()
	csvPath := realdata.Path(t, "uci_online_retail/online_retail.csv.gz")
	pqPath := realdata.Path(t, "uci_online_retail/online_retail.parquet")
	db := openTestStore(t)
	var reps []shelfwise.ImportReport
	for _, p := range []string{csvPath, pqPath} {
		rep, err := Import(ctx, db, "online-retail", p, Options{Pseudonymizer: testKey})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rep.RowsRead, int64(541909); got != want {
			t.Errorf("%s: rows read=%d, want %d", p, got, want)
		}
		if got, want := rep.Accepted, int64(541909-5268); got != want {
			t.Errorf("%s: accepted=%d, want %d", p, got, want)
		}
		got := ruleCounts(rep)
		for rule, want := range onlineRetailWant {
			if got[rule] != want {
				t.Errorf("%s: rule %s=%d, want %d", p, rule, got[rule], want)
			}
		}
		reps = append(reps, rep)
	}
	if reps[0].AlreadyImported || reps[0].Written["order_lines"] != 536641 {
		t.Errorf("csv import: already=%v written=%v", reps[0].AlreadyImported, reps[0].Written)
	}
	if !reps[1].AlreadyImported || reps[1].Fingerprint != reps[0].Fingerprint {
		t.Errorf("parquet after csv: already=%v, fingerprints %s vs %s", reps[1].AlreadyImported, reps[1].Fingerprint, reps[0].Fingerprint)
	}
	st := storeStats(t, db)
	if st.OrderLines != 536641 || st.Customers != 4372 || st.Products != 4070 || st.Imports != 1 {
		t.Errorf("stats=%+v, want 536,641 lines, 4,372 customers, 4,070 products, 1 import", st)
	}
	raw := testKey.Key("17850")
	var n int
	err := db.OrderLines(ctx, shelfwise.OrderFilter{Customer: raw}, func(l shelfwise.OrderLine) error {
		n++
		return nil
	})
	if err != nil || n == 0 {
		t.Errorf("customer 17850's pseudonym has %d lines (err %v)", n, err)
	}
}
