package forecast

import (
	"context"
	"errors"

	"github.com/shelfwise/shelfwise"
)

// Fallback forecasts with Primary and, when Primary cannot fit the series
// at that origin (ErrTooShort: too little history, e.g. a global model on a
// young store or at an early backtest origin), with Secondary. Any other
// error of Primary is returned.
type Fallback struct {
	Primary, Secondary Forecaster
}

// Name implements Forecaster: Primary's name (each prediction names the
// model that made it where the forecaster says so).
func (f Fallback) Name() string { return f.Primary.Name() }

// Forecast implements Forecaster.
func (f Fallback) Forecast(ctx context.Context, series []*shelfwise.Series, cut, h int) ([]Prediction, error) {
	preds, err := f.Primary.Forecast(ctx, series, cut, h)
	if errors.Is(err, ErrTooShort) {
		return f.Secondary.Forecast(ctx, series, cut, h)
	}
	return preds, err
}

// Conformal implements ConformalChooser: Primary's choice, if it makes one
// (its calibration windows may come from Secondary where Primary found too
// little history; those are forecasts of the same series and units).
func (f Fallback) Conformal() Conformal { return conformalFor(f.Primary, nil) }
