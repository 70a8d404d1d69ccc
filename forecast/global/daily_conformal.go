package global

import "github.com/shelfwise/shelfwise/forecast"

// Conformal implements forecast.ConformalChooser: the daily model forecasts
// unit counts, whose conformal quantiles come from forecast.CountConformal
// (errors pooled over steps, scaled by the square root of the forecast and
// binned by it).
func (d *Daily) Conformal() forecast.Conformal { return forecast.CountConformal{} }

// Conformal implements forecast.ConformalChooser as Daily does (backtests
// and forecast.Forecast; Run keeps its validation-window ratios).
func (b *DailyBlend) Conformal() forecast.Conformal { return forecast.CountConformal{} }
