package global

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/forecast"
)

// TestTooShortIsErrTooShort: a panel too young for the features fails with
// forecast.ErrTooShort, so forecast.Fallback can hand it to a local model.
func TestTooShortIsErrTooShort(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	panel := func(g shelfwise.Grain, n int) []*shelfwise.Series {
		var out []*shelfwise.Series
		for k := range 3 {
			s := &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: shelfwise.SKU(rune('A' + k)), Store: "1"}, Grain: g, Start: start,
				Values: make([]float64, n)}
			for i := range s.Values {
				s.Values[i] = float64(1 + (i+k)%3)
			}
			out = append(out, s)
		}
		return out
	}
	weekly := &Model{Period: 52}
	if _, err := weekly.Forecast(ctx, panel(shelfwise.GrainWeek, 20), 0, 4); !errors.Is(err, forecast.ErrTooShort) {
		t.Errorf("weekly model on 20 weeks: %v, want ErrTooShort", err)
	}
	daily := &Daily{}
	if _, err := daily.Forecast(ctx, panel(shelfwise.GrainDay, 5), 0, 7); !errors.Is(err, forecast.ErrTooShort) {
		t.Errorf("daily model on 5 days: %v, want ErrTooShort", err)
	}
}

// TestDailyLaterLaunch: in a panel aligned on its last day, a product
// launched after the origin has nothing before it; it is forecast as not on
// sale (zero) while the others are forecast as usual.
func TestDailyLaterLaunch(t *testing.T) {
	ctx := context.Background()
	end := time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)
	var panel []*shelfwise.Series
	for k, n := range []int{300, 300, 10} {
		s := &shelfwise.Series{Key: shelfwise.SeriesKey{SKU: shelfwise.SKU(rune('A' + k)), Store: "1"}, Grain: shelfwise.GrainDay,
			Start: end.AddDate(0, 0, -n), Values: make([]float64, n), Price: make([]float64, n), Available: make([]bool, n)}
		for i := range s.Values {
			s.Values[i] = float64(2 + (i+k)%7)
			s.Price[i], s.Available[i] = 3, true
		}
		panel = append(panel, s)
	}
	for _, explain := range []bool{false, true} {
		d := &Daily{Seed: 1, Explain: explain}
		preds, err := d.Forecast(ctx, panel, 28, 14)
		if err != nil {
			t.Fatal(err)
		}
		for k := range 14 {
			if preds[2].Mean[k] != 0 {
				t.Fatalf("explain=%v: a product launched after the origin forecast %v at step %d", explain, preds[2].Mean[k], k+1)
			}
			if !(preds[0].Mean[k] > 0) {
				t.Fatalf("explain=%v: an established product forecast %v at step %d", explain, preds[0].Mean[k], k+1)
			}
		}
	}
}
