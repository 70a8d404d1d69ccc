package sqlite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// version is db's version, failing the test on an error.
func version(t *testing.T, db *DB) string {
	t.Helper()
	v, err := db.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVersion: every committed write changes the store's version (an
// import, a catalogue change, live events, an erasure), counting up;
// reads, a rolled-back import and a refused duplicate import leave it
// alone; it survives reopening the store. A store restored from a backup
// and written to as many times again has another version.
func TestVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	last := version(t, db)
	if !strings.HasPrefix(last, "0-") || len(last) != len("0-")+32 {
		t.Fatalf("a new store's version %q, want 0-<32 hex digits>", last)
	}
	writes := 0
	step := func(what string, wrote bool) {
		t.Helper()
		v := version(t, db)
		if changed := v != last; changed != wrote {
			t.Fatalf("%s: version %s -> %s, want a change: %v", what, last, v, wrote)
		}
		if wrote {
			writes++
		}
		if want := fmt.Sprintf("%d-", writes); !strings.HasPrefix(v, want) {
			t.Fatalf("%s: version %s, want %d writes counted", what, v, writes)
		}
		last = v
	}
	lines := genLines(600, 7)
	if err := importLines(ctx, db, lines, "first"); err != nil {
		t.Fatal(err)
	}
	step("import", true)
	countLines(t, db, shelfwise.OrderFilter{})
	step("a read", false)
	if err := importLines(ctx, db, lines, "first"); err == nil {
		t.Fatal("a duplicate import was accepted")
	}
	step("a refused duplicate import", false)
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.AddOrderLines(ctx, lines[:10]); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	step("a rolled-back import", false)
	if err := db.PutProducts(ctx, []shelfwise.Product{{SKU: lines[0].SKU, Name: "renamed"}}); err != nil {
		t.Fatal(err)
	}
	step("a catalogue change", true)
	live := lines[0]
	live.Invoice, live.Time = "live-1", live.Time.Add(time.Hour)
	if ok, err := db.AddEvents(ctx, "k1", nil, []shelfwise.OrderLine{live}); err != nil || !ok {
		t.Fatalf("AddEvents: %v %v", ok, err)
	}
	step("a live purchase", true)
	if _, err := db.EraseCustomer(ctx, lines[0].Customer); err != nil {
		t.Fatal(err)
	}
	step("an erasure", true)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	step("reopening", false)

	// Restored from a backup and written to once again: the count meets
	// the one after the write the backup missed, the version does not.
	db.Close()
	backup := t.TempDir()
	copyStore(t, dir, backup)
	if db, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := importLines(ctx, db, genLines(50, 8), "later"); err != nil {
		t.Fatal(err)
	}
	later := version(t, db)
	db.Close()
	copyStore(t, backup, dir)
	if db, err = Open(ctx, dir); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := importLines(ctx, db, genLines(50, 9), "other"); err != nil {
		t.Fatal(err)
	}
	count := func(v string) string { n, _, _ := strings.Cut(v, "-"); return n }
	if v := version(t, db); v == later || count(v) != count(later) {
		t.Fatalf("restored store after one more write: version %s, the lost write's %s; want the same count, another version", v, later)
	}
}

// copyStore copies the closed store's database files from one folder to
// another (a backup, or its restore).
func copyStore(t *testing.T, from, to string) {
	t.Helper()
	for _, f := range []string{"shelfwise.db", "shelfwise.db-wal", "shelfwise.db-shm"} {
		data, err := os.ReadFile(filepath.Join(from, f))
		if os.IsNotExist(err) {
			os.Remove(filepath.Join(to, f))
			continue
		} else if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestMigrateToVersion opens a store at schema version 3 (as a store
// written before versions existed) holding lines: the upgrade starts the
// version at 0 writes, and the next write counts 1.
func TestMigrateToVersion(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := importLines(ctx, db, genLines(100, 2), "old"); err != nil {
		t.Fatal(err)
	}
	db = reopenAt(t, db, dir, 3)
	if v := version(t, db); !strings.HasPrefix(v, "0-") {
		t.Fatalf("version after the upgrade: %s, want 0 writes", v)
	}
	if err := importLines(ctx, db, genLines(100, 3), "new"); err != nil {
		t.Fatal(err)
	}
	if v := version(t, db); !strings.HasPrefix(v, "1-") {
		t.Fatalf("version after one import: %s, want 1 write", v)
	}
}
