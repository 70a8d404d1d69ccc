package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// genCovariates returns n weekly covariates over 45 stores and 5 names,
// with values that identify the row (value = its index).
func genCovariates(n int) []shelfwise.Covariate {
	names := []string{"temperature", "fuel_price", "cpi", "unemployment", "markdown1"}
	t0 := time.Date(2010, 2, 1, 0, 0, 0, 0, time.UTC)
	out := make([]shelfwise.Covariate, n)
	for i := range out {
		out[i] = shelfwise.Covariate{
			Store: shelfwise.StoreID(fmt.Sprint(1 + i%45)),
			Name:  names[(i/45)%len(names)],
			Date:  t0.AddDate(0, 0, 7*(i/(45*len(names)))),
			Value: float64(i),
		}
	}
	return out
}

// TestCovariatesBulkLoad imports enough covariates to switch the table to
// bulk loading and checks the index comes back and every row reads back.
func TestCovariatesBulkLoad(t *testing.T) {
	defer func(v int64) { bulkMinRows = v }(bulkMinRows)
	bulkMinRows = 256
	ctx := context.Background()
	db := openTest(t)
	want := indexCount(t, db, "covariates")
	cs := genCovariates(3000)
	write := func(t *testing.T, commit bool) {
		t.Helper()
		tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test"})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		for i := 0; i < len(cs); i += 500 {
			if err := tx.(shelfwise.CovariateSink).AddCovariates(ctx, cs[i:i+500]); err != nil {
				t.Fatal(err)
			}
		}
		if commit {
			if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "cov"}); err != nil {
				t.Fatal(err)
			}
		} else if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := indexCount(t, db, "covariates"); got != want {
			t.Errorf("indexes after the import=%d, want %d", got, want)
		}
	}
	t.Run("Commit", func(t *testing.T) {
		write(t, true)
		got, err := db.Covariates(ctx, shelfwise.CovariateQuery{Names: []string{"cpi"}, Store: "7"})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, c := range cs {
			if c.Name == "cpi" && c.Store == "7" {
				if n < len(got) && got[n] != c {
					t.Errorf("covariate %d=%+v, want %+v", n, got[n], c)
				}
				n++
			}
		}
		if len(got) != n || n == 0 {
			t.Errorf("cpi of store 7: %d rows, want %d", len(got), n)
		}
		if p := plan(t, db, `SELECT value FROM covariates x WHERE x.name_id = 1 AND x.store_id IN (0, 3)`); !strings.Contains(p, "covariates_key") {
			t.Errorf("plan %q does not use covariates_key", p)
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		write(t, false)
		st, err := db.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := st.Covariates, int64(len(cs)); got != want {
			t.Errorf("covariates after a rolled-back import=%d, want %d", got, want)
		}
	})
}

// TestMigrateToCovariates opens a store at schema version 1 (as a store
// created before covariates existed) and checks the upgrade adds them.
func TestMigrateToCovariates(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	db = reopenAt(t, db, dir, 1)
	if v, err := db.SchemaVersion(ctx); err != nil || v < 2 {
		t.Fatalf("schema version %d (err %v), want >= 2", v, err)
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Covariates != 0 {
		t.Errorf("covariates after upgrade=%d, want 0", st.Covariates)
	}
}
