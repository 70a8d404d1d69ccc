package forecast_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
	"github.com/shelfwise/shelfwise/ingest"
	"github.com/shelfwise/shelfwise/internal/realdata"
)

// m5Subset reads the M5 subset's series (with sell prices) and calendar.
func m5Subset(t *testing.T) ([]*shelfwise.Series, []shelfwise.CalendarEvent) {
	var mem ingest.Memory
	if _, err := ingest.Read(context.Background(), "m5", realdata.Path(t, "m5_walmart_subset"), ingest.Options{}, &mem); err != nil {
		t.Fatal(err)
	}
	ss, err := forecast.FromSalesPoints(mem.SalesPoints, forecast.SeriesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ss, mem.Calendar
}

// m5State is the state of an M5 store ("CA_1" -> "CA").
func m5State(s shelfwise.StoreID) string { return strings.SplitN(string(s), "_", 2)[0] }

// TestRegressionM5Subset backtests the regression model (sell prices, one
// indicator per calendar event name, SNAP days of the store's state)
// against the same seasonal ETS without them on the real M5 subset, three
// windows of 28 days. These ten low-volume series carry little price
// variation, so the significance gate must keep the regression from doing
// worse than its base.
func TestRegressionM5Subset(t *testing.T) {
	ss, cal := m5Subset(t)
	// The last two years and three windows keep the test quick.
	for i, s := range ss {
		const keep = 730 + 3*28
		n := len(s.Values)
		c := *s
		c.Start = s.Time(n - keep)
		c.Values, c.Price = s.Values[n-keep:], s.Price[n-keep:]
		if s.Available != nil {
			c.Available = s.Available[n-keep:]
		}
		ss[i] = &c
	}
	base := forecast.ETS{Options: forecast.ETSOptions{Period: 7, NoMultiplicative: true, NoTrend: true}}
	o := forecast.BacktestOptions{Horizon: 28, Windows: 3, NonNegative: true}
	run := func(f forecast.Forecaster) forecast.Metrics {
		res, err := forecast.Backtest(context.Background(), f, ss, o)
		if err != nil {
			t.Fatal(err)
		}
		return res.Metrics
	}
	mb := run(forecast.Local{Method: base})
	ev := forecast.CalendarEvents(cal, true, m5State)
	mx := run(forecast.Local{Method: forecast.Regression{Base: base, Options: forecast.RegressionOptions{Period: 7}}, Events: ev})
	t.Logf("MASE %.4f vs %.4f without regressors, RMSSE %.4f vs %.4f, WAPE %.4f vs %.4f",
		mx.MASE, mb.MASE, mx.RMSSE, mb.RMSSE, mx.WAPE, mb.WAPE)
	if mx.MASE > 1.02*mb.MASE {
		t.Fatalf("MASE with regressors %.4f, without %.4f: more than 2%% worse", mx.MASE, mb.MASE)
	}
}

// TestCalendarEvents checks the indicators: a named event on its day, a
// regional event only for stores of its region, weekly steps holding the
// day, and none for period-indexed series.
func TestCalendarEvents(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2016, 1, d, 0, 0, 0, 0, time.UTC) }
	cal := []shelfwise.CalendarEvent{
		{Date: day(3), Name: "SuperBowl", Type: "sporting"},
		{Date: day(5), Name: "SNAP", Type: "snap", Region: "CA"},
	}
	ev := forecast.CalendarEvents(cal, false, m5State)
	daily := &shelfwise.Series{Key: shelfwise.SeriesKey{Store: "CA_1"}, Grain: shelfwise.GrainDay, Start: day(1)}
	tx := &shelfwise.Series{Key: shelfwise.SeriesKey{Store: "TX_1"}, Grain: shelfwise.GrainDay, Start: day(1)}
	weekly := &shelfwise.Series{Key: shelfwise.SeriesKey{Store: "TX_2"}, Grain: shelfwise.GrainWeek, Start: day(1)}
	for _, c := range []struct {
		s    *shelfwise.Series
		t    int
		want []float64 // snap, sporting (sorted kinds)
	}{
		{daily, 2, []float64{0, 1}}, {daily, 4, []float64{1, 0}}, {daily, 5, []float64{0, 0}},
		{tx, 4, []float64{0, 0}}, {weekly, 0, []float64{0, 1}}, {weekly, 1, []float64{0, 0}},
		{&shelfwise.Series{Grain: shelfwise.GrainPeriod}, 2, []float64{0, 0}},
	} {
		if got := ev(c.s, c.t); !slices.Equal(got, c.want) {
			t.Errorf("%s %s step %d: %v, want %v", c.s.Key, c.s.Grain, c.t, got, c.want)
		}
	}
}
