package storetest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// forecastFixture builds a forecast of key over h steps whose numbers
// depend on seed, with the standard quantiles and two components.
func forecastFixture(key shelfwise.SeriesKey, g shelfwise.Grain, origin time.Time, h int, seed float64) shelfwise.Forecast {
	f := shelfwise.Forecast{Key: key, Grain: g, Origin: origin, Model: "ets(A,N,N)",
		Levels: shelfwise.StandardQuantiles, Components: map[string][]float64{}}
	f.Mean = make([]float64, h)
	lvl, season := make([]float64, h), make([]float64, h)
	for i := range h {
		lvl[i] = 10 + seed
		season[i] = math.Sin(float64(i)+seed) / 3
		f.Mean[i] = lvl[i] + season[i]
	}
	f.Components["level"], f.Components["seasonality"] = lvl, season
	for _, q := range f.Levels {
		row := make([]float64, h)
		for i := range row {
			row[i] = f.Mean[i] + (q-0.5)*float64(i+1)
		}
		f.Quantiles = append(f.Quantiles, row)
	}
	return f
}

func (s *suite) testForecasts(t *testing.T) {
	ctx := context.Background()
	db := s.db(t)
	origin := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	created := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	a1 := shelfwise.SeriesKey{SKU: "A1", Store: "S1"}
	b1 := shelfwise.SeriesKey{SKU: "B1", Store: "S1"}
	a2 := shelfwise.SeriesKey{SKU: "A1", Store: "S2"}
	week := shelfwise.ForecastQuery{Grain: shelfwise.GrainWeek, Level: []string{"sku", "store"}}

	_, err := db.Forecasts(ctx, week)
	wantCode(t, "forecasts of an empty store", err, shelfwise.ENOTFOUND)

	// Stored out of key order, one series without components.
	fb := forecastFixture(b1, shelfwise.GrainWeek, origin, 4, 2)
	fa1 := forecastFixture(a1, shelfwise.GrainWeek, origin, 4, 1)
	fa2 := forecastFixture(a2, shelfwise.GrainWeek, origin.AddDate(0, 0, -7), 4, 3)
	fa2.Components, fa2.Model = nil, "croston"
	run1 := shelfwise.ForecastRun{ID: "run-1", Model: "auto", Grain: shelfwise.GrainWeek,
		Level: []string{"store", "sku"}, Origin: origin, Horizon: 4, Created: created}
	if err := db.PutForecasts(ctx, run1, []shelfwise.Forecast{fb, fa2, fa1}); err != nil {
		t.Fatal(err)
	}
	got, err := db.Forecasts(ctx, week)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "forecasts in key order", got, []shelfwise.Forecast{fa1, fa2, fb})

	t.Run("OneKey", func(t *testing.T) {
		q := week
		q.Level = []string{"STORE", "sku"} // order and case do not matter
		q.Key = &b1
		got, err := db.Forecasts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "forecast of B1@S1", got, []shelfwise.Forecast{fb})
		q.Key = &shelfwise.SeriesKey{SKU: "Z9", Store: "S1"}
		_, err = db.Forecasts(ctx, q)
		wantCode(t, "unknown key", err, shelfwise.ENOTFOUND)
	})
	t.Run("OtherLevelsAndGrains", func(t *testing.T) {
		_, err := db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainWeek, Level: []string{"sku"}})
		wantCode(t, "other level", err, shelfwise.ENOTFOUND)
		_, err = db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainDay, Level: []string{"sku", "store"}})
		wantCode(t, "other grain", err, shelfwise.ENOTFOUND)
		// A chain-total run at period grain lives beside the weekly one.
		total := forecastFixture(shelfwise.SeriesKey{}, shelfwise.GrainPeriod, time.Time{}, 3, 5)
		total.OriginPeriod = 117
		if err := db.PutForecasts(ctx, shelfwise.ForecastRun{ID: "run-total", Model: "theta", Grain: shelfwise.GrainPeriod, Horizon: 3},
			[]shelfwise.Forecast{total}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Forecasts(ctx, shelfwise.ForecastQuery{Grain: shelfwise.GrainPeriod})
		if err != nil {
			t.Fatal(err)
		}
		same(t, "chain total", got, []shelfwise.Forecast{total})
		got, err = db.Forecasts(ctx, week)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Errorf("weekly run has %d forecasts after another level's run, want 3", len(got))
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		ok := forecastFixture(a1, shelfwise.GrainWeek, origin, 4, 9)
		short := ok
		short.Quantiles = append([][]float64{ok.Quantiles[0][:2]}, ok.Quantiles[1:]...)
		nan := ok
		nan.Mean = append([]float64{math.NaN()}, ok.Mean[1:]...)
		badComp := ok
		badComp.Components = map[string][]float64{"level": {1}}
		daily := ok
		daily.Grain = shelfwise.GrainDay
		desc := ok
		desc.Levels = []float64{0.9, 0.1}
		desc.Quantiles = ok.Quantiles[:2]
		run := shelfwise.ForecastRun{ID: "run-bad", Grain: shelfwise.GrainWeek, Level: []string{"sku", "store"}, Horizon: 4}
		noID, badGrain, badLevel := run, run, run
		noID.ID, badGrain.Grain, badLevel.Level = "", "month", []string{"aisle"}
		for _, c := range []struct {
			name string
			run  shelfwise.ForecastRun
			fcs  []shelfwise.Forecast
		}{
			{"NoID", noID, []shelfwise.Forecast{ok}},
			{"Grain", badGrain, []shelfwise.Forecast{ok}},
			{"Level", badLevel, []shelfwise.Forecast{ok}},
			{"DuplicateKey", run, []shelfwise.Forecast{ok, ok}},
			{"QuantileSteps", run, []shelfwise.Forecast{short}},
			{"NaNMean", run, []shelfwise.Forecast{nan}},
			{"ComponentSteps", run, []shelfwise.Forecast{badComp}},
			{"ForecastGrain", run, []shelfwise.Forecast{daily}},
			{"DescendingLevels", run, []shelfwise.Forecast{desc}},
		} {
			err := db.PutForecasts(ctx, c.run, c.fcs)
			wantCode(t, c.name, err, shelfwise.EINVALID)
		}
		got, err := db.Forecasts(ctx, week)
		if err != nil {
			t.Fatal(err)
		}
		same(t, "forecasts after rejected runs", got, []shelfwise.Forecast{fa1, fa2, fb})
	})
	t.Run("ConflictingID", func(t *testing.T) {
		err := db.PutForecasts(ctx, shelfwise.ForecastRun{ID: "run-1", Grain: shelfwise.GrainDay, Level: []string{"sku"}}, nil)
		wantCode(t, "run-1 at another level", err, shelfwise.ECONFLICT)
	})
	t.Run("Replace", func(t *testing.T) {
		fc := forecastFixture(a1, shelfwise.GrainWeek, origin.AddDate(0, 0, 7), 2, 4)
		fc.Grain = "" // takes the run's grain
		run2 := shelfwise.ForecastRun{ID: "run-2", Model: "gbdt", Grain: shelfwise.GrainWeek,
			Level: []string{"sku", "store"}, Origin: fc.Origin, Horizon: 2}
		if err := db.PutForecasts(ctx, run2, []shelfwise.Forecast{fc}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Forecasts(ctx, week)
		if err != nil {
			t.Fatal(err)
		}
		fc.Grain = shelfwise.GrainWeek
		same(t, "forecasts after replacing the run", got, []shelfwise.Forecast{fc})
		// The replaced run's id is free again.
		if err := db.PutForecasts(ctx, shelfwise.ForecastRun{ID: "run-1", Grain: shelfwise.GrainDay, Level: []string{"sku"}}, nil); err != nil {
			t.Errorf("reuse the replaced run's id: %v", err)
		}
	})
}
