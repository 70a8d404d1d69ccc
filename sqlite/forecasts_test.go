package sqlite

import (
	"context"
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// TestMigrateToForecasts opens a store at schema version 2 (created before
// stored forecasts existed) and checks the upgrade adds them.
func TestMigrateToForecasts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	db = reopenAt(t, db, dir, 2)
	if v, err := db.SchemaVersion(ctx); err != nil || v < 3 {
		t.Fatalf("schema version %d (err %v), want >= 3", v, err)
	}
	f := shelfwise.Forecast{Key: shelfwise.SeriesKey{Store: "1"}, Grain: shelfwise.GrainWeek, Model: "snaive", Mean: []float64{1, 2}}
	if err := db.PutForecasts(ctx, shelfwise.ForecastRun{ID: "r", Grain: shelfwise.GrainWeek, Level: []string{"store"}, Horizon: 2},
		[]shelfwise.Forecast{f}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainWeek, Level: []string{"store"}})
	if err != nil || !reflect.DeepEqual(got, []shelfwise.Forecast{f}) {
		t.Errorf("after upgrade got %+v, %v; want %+v", got, err, f)
	}
}

// TestForecastBlobs round-trips the blob encodings (including values a
// decimal text encoding would round) and rejects truncated blobs.
func TestForecastBlobs(t *testing.T) {
	xs := []float64{0, -1.5, math.Pi, math.SmallestNonzeroFloat64, 1e300}
	got, rest, err := readFloats(appendFloats(nil, xs))
	if err != nil || len(rest) != 0 || !reflect.DeepEqual(got, xs) {
		t.Errorf("floats: got %v rest %d err %v", got, len(rest), err)
	}
	if b := appendFloats(nil, xs); len(b) != 1+8*len(xs) {
		t.Errorf("vector of %d floats takes %d bytes, want %d", len(xs), len(b), 1+8*len(xs))
	}
	m := [][]float64{{1, 2}, {3, 4}, {5, 6}}
	if got, err := readMatrix(appendMatrix(m)); err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("matrix: got %v err %v", got, err)
	}
	cs := map[string][]float64{"trend": {0.5, 1}, "level": {7, 7}, "event": {0, 3}}
	if got, err := readComponents(appendComponents(cs)); err != nil || !reflect.DeepEqual(got, cs) {
		t.Errorf("components: got %v err %v", got, err)
	}
	b := appendComponents(cs)
	for cut := 1; cut < len(b); cut += 7 {
		if _, err := readComponents(b[:len(b)-cut]); !errors.Is(err, errBlob) {
			t.Fatalf("components cut by %d bytes: err %v, want errBlob", cut, err)
		}
	}
	if got, err := readMatrix(appendMatrix(nil)); err != nil || got != nil {
		t.Errorf("empty matrix: got %v err %v, want nil", got, err)
	}
}
