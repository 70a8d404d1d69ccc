package storetest

import (
	"context"
	"testing"

	"github.com/shelfwise/shelfwise"
)

func (s *suite) testImport(t *testing.T) {
	ctx := context.Background()
	f := NewFixture()
	t.Run("InvisibleUntilCommit", func(t *testing.T) {
		db := s.db(t)
		tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "fixture", Source: "a.csv"})
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		if err := f.Write(ctx, tx); err != nil {
			t.Fatal(err)
		}
		if got, want := stats(t, db).OrderLines, int64(0); got != want {
			t.Errorf("order lines before commit=%d, want %d", got, want)
		}
		if ps, err := db.Products(ctx); err != nil || len(ps) != 0 {
			t.Errorf("products before commit=%d (err %v), want 0", len(ps), err)
		}
		if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "fp1", RowsRead: 10, Accepted: 9}); err != nil {
			t.Fatal(err)
		}
		if got, want := stats(t, db).OrderLines, int64(len(f.Lines)); got != want {
			t.Errorf("order lines after commit=%d, want %d", got, want)
		}
		if err := tx.Rollback(); err != nil {
			t.Errorf("Rollback after Commit: %v, want nil", err)
		}
		reps, err := db.Imports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(reps), 1; got != want {
			t.Fatalf("imports=%d, want %d", got, want)
		}
		r := reps[0]
		if r.Format != "fixture" || r.Source != "a.csv" || r.Fingerprint != "fp1" || r.RowsRead != 10 || r.Accepted != 9 {
			t.Errorf("report=%+v, want format fixture, source a.csv, fingerprint fp1, 10 read, 9 accepted", r)
		}
		if r.Time.IsZero() {
			t.Errorf("report time is zero, want the import's time")
		}
		if got, want := r.Written["order_lines"], int64(len(f.Lines)); got != want {
			t.Errorf("report written order_lines=%d, want %d", got, want)
		}
		if got, want := r.Written["events"], int64(len(f.Events)); got != want {
			t.Errorf("report written events=%d, want %d", got, want)
		}
	})
	t.Run("Rollback", func(t *testing.T) {
		db := s.db(t)
		tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "fixture"})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write(ctx, tx); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		same(t, "stats after rollback", stats(t, db), shelfwise.Stats{})
		if err := tx.Rollback(); err != nil {
			t.Errorf("second Rollback: %v, want nil", err)
		}
		// The writer is free again.
		if err := ImportFixture(ctx, db, f, "fp"); err != nil {
			t.Fatalf("import after rollback: %v", err)
		}
		if got, want := stats(t, db).OrderLines, int64(len(f.Lines)); got != want {
			t.Errorf("order lines=%d, want %d", got, want)
		}
	})
	t.Run("ErrDuplicateFingerprint", func(t *testing.T) {
		db := s.loaded(t)
		before := stats(t, db)
		g := NewFixture()
		g.Products[0].Name = "Renamed mug"
		g.Lines = append(g.Lines, g.Lines[0])
		err := ImportFixture(ctx, db, g, "fp-fixture")
		wantCode(t, "second import with the same fingerprint", err, shelfwise.ECONFLICT)
		same(t, "stats after failed commit", stats(t, db), before)
		p, err := db.Product(ctx, "A1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := p.Name, "Mug"; got != want {
			t.Errorf("product name after failed commit=%q, want %q", got, want)
		}
		reps, err := db.Imports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(reps), 1; got != want {
			t.Errorf("imports=%d, want %d", got, want)
		}
		// A different fingerprint goes through, and the failed import did
		// not keep the writer.
		if err := ImportFixture(ctx, db, g, "fp-other"); err != nil {
			t.Fatalf("import with a new fingerprint: %v", err)
		}
		if got, want := stats(t, db).OrderLines, 2*int64(len(f.Lines))+1; got != want {
			t.Errorf("order lines=%d, want %d", got, want)
		}
		reps, err = db.Imports(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := reps[0].Fingerprint, "fp-other"; got != want {
			t.Errorf("newest import fingerprint=%q, want %q (newest first)", got, want)
		}
	})
}
