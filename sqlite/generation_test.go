package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestGeneration: every committed write raises the store's generation
// (an import, live events, a catalogue change, an erasure); reads, a
// rolled-back import and a refused duplicate import leave it alone; it
// survives reopening the store.
func TestGeneration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	gen := func() int64 {
		t.Helper()
		g, err := db.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	last := gen()
	step := func(what string, wantRise bool) {
		t.Helper()
		g := gen()
		if rose := g > last; rose != wantRise {
			t.Fatalf("%s: generation %d -> %d, want a rise: %v", what, last, g, wantRise)
		}
		last = g
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
	defer db.Close()
	step("reopening", false)
}

// TestMigrateToGeneration opens a store at schema version 3 (as a store
// written before the generation existed) holding lines: the upgrade adds
// the generation at 0, and the next write raises it.
func TestMigrateToGeneration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := importLines(ctx, db, genLines(100, 2), "old"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE store_generation`, `DELETE FROM schema_version WHERE version >= 4`} {
		if _, err := db.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if db, err = Open(ctx, dir); err != nil {
		t.Fatalf("upgrade from version 3: %v", err)
	}
	defer db.Close()
	if g, err := db.Generation(ctx); err != nil || g != 0 {
		t.Fatalf("generation after the upgrade: %d, %v; want 0", g, err)
	}
	if err := importLines(ctx, db, genLines(100, 3), "new"); err != nil {
		t.Fatal(err)
	}
	if g, err := db.Generation(ctx); err != nil || g != 1 {
		t.Fatalf("generation after one import: %d, %v; want 1", g, err)
	}
}
