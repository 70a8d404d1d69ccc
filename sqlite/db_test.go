package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// openTest opens a store in a fresh temporary directory.
func openTest(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("Pragmas", func(t *testing.T) {
		db := openTest(t)
		// The write connection is the one durability depends on.
		var mode string
		var sync, fk int
		if err := db.w.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if err := db.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&sync); err != nil {
			t.Fatal(err)
		}
		if err := db.w.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if got, want := mode, "wal"; got != want {
			t.Errorf("journal_mode=%q, want %q", got, want)
		}
		if got, want := sync, 2; got != want {
			t.Errorf("synchronous=%d, want %d (FULL)", got, want)
		}
		if got, want := fk, 1; got != want {
			t.Errorf("foreign_keys=%d, want %d", got, want)
		}
		var qo int
		if err := db.r.QueryRowContext(ctx, `PRAGMA query_only`).Scan(&qo); err != nil {
			t.Fatal(err)
		}
		if got, want := qo, 1; got != want {
			t.Errorf("read pool query_only=%d, want %d", got, want)
		}
	})
	t.Run("MigrationsIdempotent", func(t *testing.T) {
		dir := t.TempDir()
		ms, err := migrations()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			db, err := Open(ctx, dir)
			if err != nil {
				t.Fatalf("open #%d: %v", i+1, err)
			}
			v, err := db.SchemaVersion(ctx)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := v, ms[len(ms)-1].version; got != want {
				t.Fatalf("open #%d: schema version %d, want %d", i+1, got, want)
			}
		}
	})
	t.Run("OddPath", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "my data #1?", "50% off")
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
			t.Errorf("database file not where expected: %v", err)
		}
		if _, err := db.Stats(ctx); err != nil {
			t.Error(err)
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		dir := t.TempDir()
		db, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.w.ExecContext(ctx, `INSERT INTO schema_version(version, name, applied) VALUES (9999, 'future', 0)`); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := Open(ctx, dir); err == nil {
			t.Fatal("opening a database from a newer program succeeded, want an error")
		}
	})
}

// migrationTables are the tables each schema version after the first
// created (migrations/000N_*.sql), for downgrade.
var migrationTables = map[int][]string{
	2: {"covariates", "covariate_dict"},
	3: {"forecasts", "forecast_runs"},
	4: {"store_generation"},
}

// reopenAt takes db, a store in dir at the latest schema, back to schema
// version v (as a store written before the later migrations: their tables
// dropped, their versions unrecorded), closes it and opens it again, which
// runs the later migrations; the upgraded store is closed with the test.
func reopenAt(t *testing.T, db *DB, dir string, v int) *DB {
	t.Helper()
	ctx := context.Background()
	latest, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(migrationTables) != latest-1 {
		t.Fatalf("schema version %d, but migrationTables knows %d migrations after the first: add the new one's tables", latest, len(migrationTables))
	}
	for s := latest; s > v; s-- {
		for _, table := range migrationTables[s] {
			if _, err := db.w.ExecContext(ctx, `DROP TABLE `+table); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM schema_version WHERE version > ?`, v); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = Open(ctx, dir); err != nil {
		t.Fatalf("upgrade from version %d: %v", v, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
