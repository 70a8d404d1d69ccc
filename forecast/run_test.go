package forecast

import (
	"context"
	"reflect"
	"testing"

	"github.com/shelfwise/shelfwise"
)

// countingForecaster records the cuts it was asked to forecast.
type countingForecaster struct {
	Local
	cuts []int
}

func (c *countingForecaster) Forecast(ctx context.Context, ss []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	c.cuts = append(c.cuts, cut)
	return c.Local.Forecast(ctx, ss, cut, h)
}

// TestForecastCalibrateRunsCalibrationWindows checks Options.Calibrate
// forecasts the calibration windows and the main forecaster only the
// origin, with the same quantiles as without it.
func TestForecastCalibrateRunsCalibrationWindows(t *testing.T) {
	vals := [][]float64{make([]float64, 40), make([]float64, 40)}
	for i := range vals {
		for t := range vals[i] {
			vals[i][t] = float64(10*i + t%7)
		}
	}
	ss := NewSeries([]string{"a", "b"}, vals)
	mainF := &countingForecaster{Local: Local{Method: Naive{}}}
	cal := &countingForecaster{Local: Local{Method: Naive{}}}
	got, err := Forecast(context.Background(), mainF, ss, 4, Options{Calibrate: cal})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(mainF.cuts, []int{0}) || !reflect.DeepEqual(cal.cuts, []int{4, 8}) {
		t.Errorf("main forecast cuts %v, calibration %v; want [0] and [4 8]", mainF.cuts, cal.cuts)
	}
	want, err := Forecast(context.Background(), Local{Method: Naive{}}, ss, 4, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !reflect.DeepEqual(got[i].Quantiles, want[i].Quantiles) {
			t.Errorf("series %d: quantiles with Calibrate %v, without %v", i, got[i].Quantiles, want[i].Quantiles)
		}
	}
}
