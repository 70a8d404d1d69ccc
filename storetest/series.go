package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// readSeries collects the series a query streams.
func readSeries(t *testing.T, db shelfwise.DB, q shelfwise.SeriesQuery) []*shelfwise.Series {
	t.Helper()
	return collect(t, func(fn func(*shelfwise.Series) error) error { return db.Series(context.Background(), q, fn) })
}

// sameSeries compares series, prices to 1e-9.
func sameSeries(t *testing.T, got, want []*shelfwise.Series) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d series, want %d:\n got  %s\n want %s", len(got), len(want), show(got), show(want))
	}
	for i := range got {
		g, w := *got[i], *want[i]
		if !closeTo(g.Price, w.Price) {
			t.Errorf("series %s: price %v, want %v", w.Key, g.Price, w.Price)
		}
		g.Price, w.Price = nil, nil
		same(t, "series "+w.Key.String(), g, w)
	}
}

func closeTo(a, b []float64) bool {
	if len(a) != len(b) || (a == nil) != (b == nil) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-9 {
			return false
		}
	}
	return true
}

func (s *suite) testSeries(t *testing.T) {
	db := s.loaded(t)
	a1s1 := shelfwise.SeriesKey{SKU: "A1", Store: "S1"}
	skuStore := []string{"sku", "store"}
	day := shelfwise.GrainDay
	censored5 := make([]bool, 10)
	censored5[5] = true
	promo9 := make([]float64, 10)
	promo9[9] = 1
	tests := []struct {
		name string
		q    shelfwise.SeriesQuery
		want []*shelfwise.Series
	}{
		{"OneSKUStore", shelfwise.SeriesQuery{Grain: day, Level: skuStore, SKU: "A1", Store: "S1"}, []*shelfwise.Series{{
			Key: a1s1, Grain: day, Start: Day0,
			Values: []float64{2, 0, 4, 0, 0, 0, 0, 0, 0, 3},
			// Paid prices where sold, the shelf price (3.2) elsewhere.
			Price:    []float64{3, 3.2, 2.5, 3.2, 3.2, 3.2, 3.2, 3.2, 3.2, 3},
			Promo:    promo9,
			Censored: censored5,
		}}},
		{"Revenue", shelfwise.SeriesQuery{Level: skuStore, SKU: "A1", Store: "S1", Measure: "revenue"}, []*shelfwise.Series{{
			Key: a1s1, Grain: day, Start: Day0,
			Values:   []float64{6, 0, 10, 0, 0, 0, 0, 0, 0, 9},
			Price:    []float64{3, 3.2, 2.5, 3.2, 3.2, 3.2, 3.2, 3.2, 3.2, 3},
			Promo:    promo9,
			Censored: censored5,
		}}},
		{"TimeWindow", shelfwise.SeriesQuery{Grain: day, Level: skuStore, SKU: "A1", Store: "S1", From: dayAt(1), To: dayAt(9)}, []*shelfwise.Series{{
			Key: a1s1, Grain: day, Start: dayAt(2), Values: []float64{4}, Price: []float64{2.5},
		}}},
		{"SKUStoreKeyOrder", shelfwise.SeriesQuery{Grain: day, Level: skuStore, To: dayAt(3)}, []*shelfwise.Series{
			{Key: a1s1, Grain: day, Start: Day0, Values: []float64{2, 0, 4}, Price: []float64{3, 3.2, 2.5}},
			{Key: shelfwise.SeriesKey{SKU: "A1", Store: "S2"}, Grain: day, Start: dayAt(2), Values: []float64{1}, Price: []float64{3}},
			{Key: shelfwise.SeriesKey{SKU: "A2", Store: "S1"}, Grain: day, Start: Day0, Values: []float64{1}, Price: []float64{5}},
			{Key: shelfwise.SeriesKey{SKU: "B1", Store: "S2"}, Grain: day, Start: dayAt(1), Values: []float64{5}, Price: []float64{1}},
		}},
		{"StoreLevel", shelfwise.SeriesQuery{Grain: day, Level: []string{"store"}}, []*shelfwise.Series{
			{Key: shelfwise.SeriesKey{Store: "S1"}, Grain: day, Start: Day0, Values: []float64{3, 0, 4, 0, 0, 0, 0, 0, 0, 3}},
			{Key: shelfwise.SeriesKey{Store: "S2"}, Grain: day, Start: dayAt(1), Values: []float64{5, 1}},
		}},
		{"CategoryLevel", shelfwise.SeriesQuery{Grain: day, Level: []string{"category"}}, []*shelfwise.Series{
			{Key: shelfwise.SeriesKey{Category: "Kitchen"}, Grain: day, Start: Day0, Values: []float64{3, 0, 5, 0, 0, 0, 0, 0, 0, 3}},
			{Key: shelfwise.SeriesKey{Category: "Stationery"}, Grain: day, Start: dayAt(1), Values: []float64{5}},
		}},
		{"DepartmentStoreLevel", shelfwise.SeriesQuery{Grain: day, Level: []string{"department", "store"}, Store: "S2"}, []*shelfwise.Series{
			{Key: shelfwise.SeriesKey{Store: "S2", Department: "Home"}, Grain: day, Start: dayAt(2), Values: []float64{1}},
			{Key: shelfwise.SeriesKey{Store: "S2", Department: "Office"}, Grain: day, Start: dayAt(1), Values: []float64{5}},
		}},
		{"Total", shelfwise.SeriesQuery{Grain: day}, []*shelfwise.Series{
			{Grain: day, Start: Day0, Values: []float64{3, 5, 5, 0, 0, 0, 0, 0, 0, 3}},
		}},
		{"Week", shelfwise.SeriesQuery{Grain: shelfwise.GrainWeek, Level: skuStore, SKU: "A1", Store: "S1"}, []*shelfwise.Series{{
			Key: a1s1, Grain: shelfwise.GrainWeek, Start: Day0, // a Monday
			Values:   []float64{6, 3},
			Price:    []float64{16.0 / 6, 3}, // (2x3 + 4x2.5) / 6 units
			Promo:    []float64{0, 1},
			Censored: []bool{true, false},
		}}},
		{"WeekTotal", shelfwise.SeriesQuery{Grain: shelfwise.GrainWeek}, []*shelfwise.Series{
			{Grain: shelfwise.GrainWeek, Start: Day0, Values: []float64{13, 3}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameSeries(t, readSeries(t, db, tt.q), tt.want)
		})
	}
	t.Run("ErrUnknownLevel", func(t *testing.T) {
		err := db.Series(context.Background(), shelfwise.SeriesQuery{Level: []string{"colour"}}, func(*shelfwise.Series) error { return nil })
		wantCode(t, "level colour", err, shelfwise.EINVALID)
	})
}

// dayAt is midnight of fixture day d.
func dayAt(d int) time.Time { return day(d, 0, 0) }

func (s *suite) testSeriesFromPoints(t *testing.T) {
	ctx := context.Background()
	db := s.db(t)
	pts := []shelfwise.SalesPoint{
		// Daily item-store units with a day off sale and a stockout.
		{SKU: "P1", Store: "S1", Grain: shelfwise.GrainDay, Date: dayAt(0), Units: 3, Price: 2, Available: true},
		{SKU: "P1", Store: "S1", Grain: shelfwise.GrainDay, Date: dayAt(1), Units: 0, Available: false},
		{SKU: "P1", Store: "S1", Grain: shelfwise.GrainDay, Date: dayAt(3), Units: 4, Price: 2.5, Feature: 0.5, Available: true, Censored: true},
		// Weekly revenue-only sales dated on Fridays.
		{SKU: "W1", Store: "S1", Grain: shelfwise.GrainWeek, Date: dayAt(4), Revenue: 100, Available: true},
		{SKU: "W1", Store: "S1", Grain: shelfwise.GrainWeek, Date: dayAt(18), Revenue: 50, Available: true},
		// A series without dates.
		{SKU: "Y1", Grain: shelfwise.GrainPeriod, Period: 0, Units: 5, Available: true},
		{SKU: "Y1", Grain: shelfwise.GrainPeriod, Period: 2, Units: 7, Available: true},
	}
	tx, err := db.BeginImport(ctx, shelfwise.ImportMeta{Format: "points"})
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.AddSalesPoints(ctx, pts); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx, shelfwise.ImportReport{Fingerprint: "points"}); err != nil {
		t.Fatal(err)
	}
	skuStore := []string{"sku", "store"}
	tests := []struct {
		name string
		q    shelfwise.SeriesQuery
		want []*shelfwise.Series
	}{
		{"Day", shelfwise.SeriesQuery{Grain: shelfwise.GrainDay, Level: skuStore}, []*shelfwise.Series{{
			Key: shelfwise.SeriesKey{SKU: "P1", Store: "S1"}, Grain: shelfwise.GrainDay, Start: Day0,
			Values:    []float64{3, 0, 0, 4},
			Price:     []float64{2, 0, 0, 2.5},
			Promo:     []float64{0, 0, 0, 0.5},
			Available: []bool{true, false, true, true},
			Censored:  []bool{false, false, false, true},
		}}},
		{"WeekKeepsWeekday", shelfwise.SeriesQuery{Grain: shelfwise.GrainWeek, Level: skuStore, SKU: "W1"}, []*shelfwise.Series{{
			Key: shelfwise.SeriesKey{SKU: "W1", Store: "S1"}, Grain: shelfwise.GrainWeek, Start: dayAt(4),
			Values: []float64{100, 0, 50}, // units fall back to revenue
			Price:  []float64{0, 0, 0},
		}}},
		{"WeekRevenue", shelfwise.SeriesQuery{Grain: shelfwise.GrainWeek, Level: []string{"store"}, SKU: "W1", Measure: "revenue"}, []*shelfwise.Series{{
			Key: shelfwise.SeriesKey{Store: "S1"}, Grain: shelfwise.GrainWeek, Start: dayAt(4), Values: []float64{100, 0, 50},
		}}},
		{"Period", shelfwise.SeriesQuery{Grain: shelfwise.GrainPeriod, Level: skuStore}, []*shelfwise.Series{{
			Key: shelfwise.SeriesKey{SKU: "Y1"}, Grain: shelfwise.GrainPeriod, StartPeriod: 0,
			Values: []float64{5, 0, 7},
			Price:  []float64{0, 0, 0},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameSeries(t, readSeries(t, db, tt.q), tt.want)
		})
	}
}
