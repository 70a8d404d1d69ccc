// Package forecast is Shelfwise's demand-forecasting engine: it turns sales
// into regular series, fits local statistical models (naive, seasonal naive,
// moving average, ETS with automatic selection, Theta, Croston, SBA, TSB),
// chooses or combines them per series from backtest error, attaches quantiles
// (analytic where a model has them, conformal from rolling-origin residuals
// otherwise), scores rolling-origin backtests with the field's metrics
// (MASE, RMSSE, WRMSSE, sMAPE, WAPE, WMAE, bias, pinball loss, coverage) and
// reconciles hierarchies (bottom-up, MinT with shrinkage).
//
// Numeric code works on plain []float64 and does no I/O. Series are
// independent partitions: Run forecasts them on a bounded worker pool of
// runtime.GOMAXPROCS(0) goroutines, and the same unit of work can later be
// shipped to workers on other machines. The global gradient-boosted model
// across series lives in the subpackage forecast/global.
package forecast
