// Package forecast is Shelfwise's demand-forecasting engine: it turns sales
// into regular series (FromSalesPoints), fits local statistical models
// (Naive, SeasonalNaive, MovingAverage, ETS with automatic AICc selection
// over Hyndman's framework, Theta, Croston, SBA, TSB, and Regression: price
// elasticity, promotion and event lifts from a Poisson log-linear fit over a
// smooth baseline, re-applied over the horizon with the known future drivers
// around any base model; CalendarEvents turns a calendar into event
// regressors), chooses a model per series from a holdout before the origin
// (Select) or combines models (Ensemble, Blend), attaches quantiles (analytic
// where a model has them, conformal from rolling-origin errors otherwise),
// scores rolling-origin backtests with the field's metrics (MASE, RMSSE,
// WRMSSE, sMAPE, WAPE, WMAE, bias, pinball loss, interval coverage) and
// reconciles hierarchies (Hierarchy.BottomUp, Hierarchy.MinT with shrinkage,
// Hierarchy.WLS; BacktestHierarchy scores every level of a hierarchy built by
// BuildHierarchy).
//
// The in-process entry point is Forecast: given a Forecaster (Local{Method}
// for per-series models, or the global boosted model of forecast/global) and
// the series, it returns shelfwise.Forecast values with means, quantiles at
// DefaultLevels (which include shelfwise.StandardQuantiles) and components
// (level, trend, seasonality, event) for explanations. Backtest runs the
// same Forecasters by rolling origin for evaluation; every tuned choice
// (conformal quantiles, per-series selection) only sees data before the
// window being scored.
//
// Numeric code works on plain []float64 and does no I/O. Series are
// independent partitions: Local forecasts them on a bounded worker pool of
// runtime.GOMAXPROCS(0) goroutines (ForEach), and the same unit of work can
// later be shipped to workers on other machines.
package forecast
