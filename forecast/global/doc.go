// Package global is Shelfwise's global forecasting model: one
// gradient-boosted tree ensemble (ml/gbdt) trained across all series on
// lag, seasonal, level and calendar features, forecasting every step of the
// horizon directly (the step is a feature).
//
// Following the recipe that works on weekly retail data, the model does not
// predict sales but the change from the same period one season earlier,
// divided by the series' recent level: y[t] = y[t-P] + L * f(features). The
// scaling lets one model serve small and large series; the seasonal base
// keeps holidays and yearly patterns without having to learn them. On count
// series (unit sales: non-negative integers) the trees learn y[t]/L instead,
// with the Tweedie objective and its log link (Model.Target), so forecasts
// are never negative and intermittent zeros are modelled.
//
// Model implements forecast.Forecaster, so it backtests, calibrates conformal
// intervals and serves like any local method.
package global
