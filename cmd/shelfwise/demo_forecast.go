package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
)

// demoHoldoutWeeks is how many final weeks the demo forecast holds out.
const demoHoldoutWeeks = 13

// demoForecast forecasts the last 13 weeks of every weekly product x store
// series from the weeks before them, with the default model and with
// seasonal naive, and scores both against the simulator's true mean demand
// and against the sales that happened, with the 80% interval's coverage.
func (m *Main) demoForecast(ctx context.Context, d *demoRun) error {
	t0 := time.Now()
	var full []*shelfwise.Series
	err := d.db.Series(ctx, shelfwise.SeriesQuery{Grain: shelfwise.GrainWeek, Level: []string{"sku", "store"}},
		func(s *shelfwise.Series) error {
			if len(s.Values) > 2*demoHoldoutWeeks+8 {
				full = append(full, s)
			}
			return nil
		})
	if err != nil {
		return err
	}
	if len(full) == 0 {
		return fmt.Errorf("no weekly series long enough to forecast")
	}
	h := demoHoldoutWeeks
	train := make([]*shelfwise.Series, len(full))
	for i, s := range full {
		train[i] = s.Head(len(s.Values) - h)
	}
	ds := &dataset{series: train, period: 52, holidays: map[time.Time]bool{}, stores: map[shelfwise.StoreID]shelfwise.Store{}}
	stores, err := d.db.Stores(ctx)
	if err != nil {
		return err
	}
	for _, st := range stores {
		ds.stores[st.ID] = st
	}
	cal, err := d.db.Calendar(ctx)
	if err != nil {
		return err
	}
	markHolidays(ds, cal)
	score := func(name string) (truthMAE, salesWAPE, cover80 float64, err error) {
		f, err := forecasterFor(name, ds)
		if err != nil {
			return 0, 0, 0, err
		}
		fcs, err := forecast.Forecast(ctx, f, train, h, forecast.Options{NonNegative: true})
		if err != nil {
			return 0, 0, 0, err
		}
		var absTruth, absSales, sales, inside, n float64
		for i, fc := range fcs {
			s := full[i]
			lo, hi := forecast.LevelIndex(fc.Levels, 0.1), forecast.LevelIndex(fc.Levels, 0.9)
			for k := 0; k < h; k++ {
				step := len(s.Values) - h + k
				want := weeklyTruth(d, s, step)
				got := fc.Mean[k]
				actual := s.Values[step]
				absTruth += math.Abs(got - want)
				absSales += math.Abs(got - actual)
				sales += math.Abs(actual)
				if lo >= 0 && hi >= 0 && actual >= fc.Quantiles[lo][k] && actual <= fc.Quantiles[hi][k] {
					inside++
				}
				n++
			}
		}
		return absTruth / n, absSales / sales, inside / n, nil
	}
	autoMAE, autoWAPE, autoCover, err := score("auto")
	if err != nil {
		return err
	}
	naiveMAE, naiveWAPE, naiveCover, err := score("snaive")
	if err != nil {
		return err
	}
	d.report.ForecastSeries, d.report.ForecastMAE, d.report.SeasonalNaiveMAE, d.report.ForecastCoverage80 = len(full), autoMAE, naiveMAE, autoCover
	fmt.Fprintf(m.Stdout, "\n4. Demand forecasts: %d weekly product x store series, last %d weeks held out (%.1fs):\n", len(full), h, time.Since(t0).Seconds())
	if err := writeTable(m.Stdout, "", []Row{
		{"default model: MAE vs true mean demand", autoMAE},
		{"seasonal naive: MAE vs true mean demand", naiveMAE},
		{"default model: WAPE vs sales", autoWAPE},
		{"seasonal naive: WAPE vs sales", naiveWAPE},
		{"default model: 80% interval coverage of sales", autoCover},
		{"seasonal naive: 80% interval coverage of sales", naiveCover},
	}); err != nil {
		return err
	}
	d.results = append(d.results, Row{"forecast MAE vs truth (default / seasonal naive)", fmt.Sprintf("%.3f / %.3f", autoMAE, naiveMAE)})
	return nil
}

// weeklyTruth is the simulator's true mean demand of series s in week step.
func weeklyTruth(d *demoRun, s *shelfwise.Series, step int) float64 {
	start := s.Time(step)
	var sum float64
	for day := 0; day < 7; day++ {
		sum += d.truth.ExpectedDemand(s.Key.SKU, s.Key.Store, start.AddDate(0, 0, day))
	}
	return sum
}
