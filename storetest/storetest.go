package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// Run runs the conformance suite. open must return a new, empty store for
// each call; Run closes it.
func Run(t *testing.T, open func(t *testing.T) shelfwise.DB) {
	s := &suite{open: open}
	t.Run("Import", s.testImport)
	t.Run("Catalog", s.testCatalog)
	t.Run("OrderLines", s.testOrderLines)
	t.Run("Events", s.testEvents)
	t.Run("TimeVarying", s.testTimeVarying)
	t.Run("Covariates", s.testCovariates)
	t.Run("Forecasts", s.testForecasts)
	t.Run("StoreWidePromotion", s.testStoreWidePromotion)
	t.Run("Stats", s.testStats)
	t.Run("Series", s.testSeries)
	t.Run("SeriesFromPoints", s.testSeriesFromPoints)
	t.Run("Interactions", s.testInteractions)
	t.Run("Baskets", s.testBaskets)
	t.Run("AddEvents", s.testAddEvents)
	t.Run("EraseCustomer", s.testErase)
}

type suite struct {
	open func(t *testing.T) shelfwise.DB
}

// db opens an empty store closed at the end of the test.
func (s *suite) db(t *testing.T) shelfwise.DB {
	t.Helper()
	db := s.open(t)
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

// loaded opens a store holding the fixture, imported with fingerprint "fp-fixture".
func (s *suite) loaded(t *testing.T) shelfwise.DB {
	t.Helper()
	db := s.db(t)
	if err := ImportFixture(context.Background(), db, NewFixture(), "fp-fixture"); err != nil {
		t.Fatal(err)
	}
	return db
}

// ImportFixture writes f to db in one import with the given fingerprint.
func ImportFixture(ctx context.Context, db shelfwise.DB, f Fixture, fingerprint string) error {
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "fixture", Source: "storetest"})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f.Write(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: fingerprint, RowsRead: int64(len(f.Lines)), Accepted: int64(len(f.Lines))})
}

// collect reads a streaming method into a slice.
func collect[T any](t *testing.T, read func(fn func(T) error) error) []T {
	t.Helper()
	var out []T
	if err := read(func(x T) error { out = append(out, x); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// same fails the test with a readable diff when got and want differ.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", what, show(got), show(want))
	}
}

func show(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice {
		s := fmt.Sprintf("%d items:", rv.Len())
		for i := 0; i < rv.Len(); i++ {
			s += fmt.Sprintf("\n    %+v", rv.Index(i).Interface())
		}
		return s
	}
	return fmt.Sprintf("%+v", v)
}

// wantCode fails unless err carries the domain error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := shelfwise.ErrorCode(err); got != code {
		t.Fatalf("%s: error %v (code %q), want code %q", what, err, got, code)
	}
}

func stats(t *testing.T, db shelfwise.DB) shelfwise.Stats {
	t.Helper()
	st, err := db.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}
