package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/storetest"
)

// importLines imports ls in one import, in batches of 500.
func importLines(ctx context.Context, db *DB, ls []shelfwise.OrderLine, fp string) error {
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test"})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for i := 0; i < len(ls); i += 500 {
		if err := tx.AddOrderLines(ctx, ls[i:min(i+500, len(ls))]); err != nil {
			return err
		}
	}
	return tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: fp})
}

func indexCount(t *testing.T, db *DB, table string) int {
	t.Helper()
	var n int
	if err := db.r.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`, table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func countLines(t *testing.T, db *DB, f shelfwise.OrderFilter) int {
	t.Helper()
	n := 0
	if err := db.OrderLines(context.Background(), f, func(shelfwise.OrderLine) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBulkLoad(t *testing.T) {
	defer func(v int64) { bulkMinRows = v }(bulkMinRows)
	bulkMinRows = 256
	ctx := context.Background()
	db := openTest(t)
	lines := genLines(3000, 7)
	want := indexCount(t, db, "order_lines")
	t.Run("Commit", func(t *testing.T) {
		if err := importLines(ctx, db, lines, "a"); err != nil {
			t.Fatal(err)
		}
		if got := indexCount(t, db, "order_lines"); got != want {
			t.Errorf("indexes after a bulk import=%d, want %d", got, want)
		}
		if got, want := countLines(t, db, shelfwise.OrderFilter{}), len(lines); got != want {
			t.Errorf("lines=%d, want %d", got, want)
		}
		c := lines[0].Customer
		for i := 0; c == ""; i++ {
			c = lines[i].Customer
		}
		wantC := 0
		for _, l := range lines {
			if l.Customer == c {
				wantC++
			}
		}
		if got := countLines(t, db, shelfwise.OrderFilter{Customer: c}); got != wantC {
			t.Errorf("lines of one customer=%d, want %d", got, wantC)
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test"})
		if err != nil {
			t.Fatal(err)
		}
		more := genLines(3000, 8)
		for i := 0; i < len(more); i += 500 {
			if err := tx.AddOrderLines(ctx, more[i:i+500]); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := indexCount(t, db, "order_lines"); got != want {
			t.Errorf("indexes after a rolled-back bulk import=%d, want %d", got, want)
		}
		if got, want := countLines(t, db, shelfwise.OrderFilter{}), len(lines); got != want {
			t.Errorf("lines=%d, want %d", got, want)
		}
	})
}

func TestDictCacheBounded(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := db.lockWriter(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.unlockWriter()
	w, err := db.beginWriter(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.rollback()
	d := newDict("invoice_dict", 4)
	codes := []string{"a", "b", "c", "d", "e", "f", "g", "a", "b"}
	if err := d.prefetch(ctx, w, len(codes), func(i int) string { return codes[i] }); err != nil {
		t.Fatal(err)
	}
	first := map[string]int64{}
	for _, c := range codes {
		v, err := d.id(ctx, w, c)
		if err != nil {
			t.Fatal(err)
		}
		first[c] = v.(int64)
		if len(d.m) > 7 {
			t.Fatalf("cache holds %d codes", len(d.m))
		}
	}
	if got, want := len(first), 7; got != want {
		t.Fatalf("distinct ids=%d, want %d", got, want)
	}
	ids := map[int64]bool{}
	for _, id := range first {
		ids[id] = true
	}
	if got, want := len(ids), 7; got != want {
		t.Errorf("distinct ids=%d for 7 codes, want %d", got, want)
	}
	// A fresh cache finds the same ids in the table.
	d2 := newDict("invoice_dict", 4)
	for c, want := range first {
		v, err := d2.id(ctx, w, c)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.(int64); got != want {
			t.Errorf("id of %q=%d, want %d", c, got, want)
		}
	}
}

func TestErasePrivacy(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	fixed := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return fixed }
	const c shelfwise.CustomerKey = "c0123456789abcdef"
	lines := []shelfwise.OrderLine{{Invoice: "1", Time: fixed, Customer: c, SKU: "A", Quantity: 1, UnitPrice: 2}}
	if err := importLines(ctx, db, lines, "x"); err != nil {
		t.Fatal(err)
	}
	if err := db.PutCustomerFeature(ctx, c, "rfm", `{"r":3}`); err != nil {
		t.Fatal(err)
	}
	if err := db.CacheRecommendations(ctx, c, "als", `["A"]`); err != nil {
		t.Fatal(err)
	}
	if err := db.CacheRecommendations(ctx, "other", "als", `["B"]`); err != nil {
		t.Fatal(err)
	}
	if v, err := db.CustomerFeature(ctx, c, "rfm"); err != nil || v != `{"r":3}` {
		t.Fatalf("feature=%q err=%v", v, err)
	}
	n, err := db.EraseCustomer(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n, int64(3); got != want {
		t.Errorf("rows erased=%d, want %d (1 line, 1 feature, 1 cached list)", got, want)
	}
	if _, err := db.CustomerFeature(ctx, c, "rfm"); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Errorf("feature after erasure: err=%v, want ENOTFOUND", err)
	}
	if _, err := db.CachedRecommendations(ctx, c, "als"); shelfwise.ErrorCode(err) != shelfwise.ENOTFOUND {
		t.Errorf("cached recommendations after erasure: err=%v, want ENOTFOUND", err)
	}
	if _, err := db.CachedRecommendations(ctx, "other", "als"); err != nil {
		t.Errorf("another customer's cache: %v, want kept", err)
	}
	log, err := db.AuditLog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []AuditEntry{{Time: fixed, Action: "erase_customer", Count: 3}}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Errorf("audit log=%v, want %v", log, want)
	}
	// The pseudonym is gone from every table, dictionary included.
	var hits int
	if err := db.r.QueryRow(`SELECT (SELECT COUNT(*) FROM customer_dict WHERE code = ?) +
		(SELECT COUNT(*) FROM customer_features WHERE customer = ?) +
		(SELECT COUNT(*) FROM recommendation_cache WHERE customer = ?)`, string(c), string(c), string(c)).Scan(&hits); err != nil {
		t.Fatal(err)
	}
	if hits != 0 {
		t.Errorf("%d rows still hold the erased pseudonym", hits)
	}
	t.Run("OnlyCachedData", func(t *testing.T) {
		if err := db.PutCustomerFeature(ctx, "cached-only", "clv", "12.5"); err != nil {
			t.Fatal(err)
		}
		n, err := db.EraseCustomer(ctx, "cached-only")
		if err != nil || n != 1 {
			t.Errorf("erase=%d, %v; want 1, nil", n, err)
		}
	})
}

func TestInvalidRecords(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		l    shelfwise.OrderLine
	}{
		{"ErrKind", shelfwise.OrderLine{Time: at, SKU: "A", Kind: "gift"}},
		{"ErrNaNQuantity", shelfwise.OrderLine{Time: at, SKU: "A", Quantity: math.NaN()}},
		{"ErrInfPrice", shelfwise.OrderLine{Time: at, SKU: "A", UnitPrice: math.Inf(1)}},
		{"ErrNoTime", shelfwise.OrderLine{SKU: "A"}},
		{"ErrNoSKU", shelfwise.OrderLine{Time: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := importLines(ctx, db, []shelfwise.OrderLine{tt.l}, tt.name)
			if got, want := shelfwise.ErrorCode(err), shelfwise.EINVALID; got != want {
				t.Errorf("error %v (code %q), want code %q", err, got, want)
			}
		})
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.OrderLines != 0 || st.Imports != 0 {
		t.Errorf("after invalid imports: %d lines, %d imports; want none", st.OrderLines, st.Imports)
	}
}

func TestImportCancelled(t *testing.T) {
	db := openTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test"})
	if err != nil {
		t.Fatal(err)
	}
	lines := genLines(1000, 3)
	if err := tx.AddOrderLines(ctx, lines[:500]); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := tx.AddOrderLines(ctx, lines[500:]); !errors.Is(err, context.Canceled) {
		t.Errorf("AddOrderLines after cancel: %v, want context.Canceled", err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	// The store is usable and untouched.
	if err := importLines(context.Background(), db, lines, "after"); err != nil {
		t.Fatal(err)
	}
	if got, want := countLines(t, db, shelfwise.OrderFilter{}), len(lines); got != want {
		t.Errorf("lines=%d, want %d", got, want)
	}
}

// plan returns SQLite's query plan for query as one string.
func plan(t *testing.T, db *DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	return strings.Join(out, "; ")
}

// TestQueryPlans guards the indexes that keep per-customer reads, erasure
// and time windows from scanning whole tables.
func TestQueryPlans(t *testing.T) {
	db := openTest(t)
	tests := []struct {
		name  string
		f     shelfwise.OrderFilter
		index string
	}{
		{"Customer", shelfwise.OrderFilter{Customer: "c1"}, "order_lines_customer"},
		{"TimeWindow", shelfwise.OrderFilter{From: time.Unix(0, 0), To: time.Unix(1e9, 0)}, "order_lines_t"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, args, err := orderLinesQuery(tt.f)
			if err != nil {
				t.Fatal(err)
			}
			if p := plan(t, db, q, args...); !strings.Contains(p, "INDEX "+tt.index) {
				t.Errorf("plan %q does not use %s", p, tt.index)
			}
		})
	}
	t.Run("Erase", func(t *testing.T) {
		for _, q := range eraseByID {
			if p := plan(t, db, q, int64(7)); !strings.Contains(p, "_customer") {
				t.Errorf("%s: plan %q does not use a customer index", q, p)
			}
		}
	})
}

// TestSeriesPartitions checks that a Series read split into partitions and
// merged gives exactly the series, in the order, of a single read.
func TestSeriesPartitions(t *testing.T) {
	ctx := context.Background()
	db := openTest(t)
	if err := storetest.ImportFixture(ctx, db, storetest.NewFixture(), "fixture"); err != nil {
		t.Fatal(err)
	}
	if err := importLines(ctx, db, genLines(3000, 5), "generated"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []shelfwise.SeriesQuery{
		{Grain: shelfwise.GrainDay, Level: []string{"sku", "store"}},
		{Grain: shelfwise.GrainWeek, Level: []string{"sku"}, Measure: "revenue"},
		{Grain: shelfwise.GrainDay, Level: []string{"store", "category"}},
	} {
		t.Run(strings.Join(q.Level, "+")+"/"+string(q.Grain), func(t *testing.T) {
			p, err := planSeries(q, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			var want, got []*shelfwise.Series
			if err := db.seriesPart(ctx, p, func(s *shelfwise.Series) error { want = append(want, s); return nil }); err != nil {
				t.Fatal(err)
			}
			if err := db.seriesParallel(ctx, q, 3, func(s *shelfwise.Series) error { got = append(got, s); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(want) < 3 {
				t.Fatalf("only %d series: the test needs more", len(want))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("partitioned read: %d series, single read: %d; they differ", len(got), len(want))
			}
		})
	}
	t.Run("CallbackErrorStops", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := db.seriesParallel(ctx, shelfwise.SeriesQuery{Level: []string{"sku", "store"}}, 3, func(*shelfwise.Series) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("err=%v after %d callbacks, want the callback's error after 1", err, n)
		}
	})
}
