package shelfwise

import "time"

// ForecastRun describes one stored set of forecasts: every series of one
// grain and level of the hierarchy forecast together (by "shelfwise
// forecast"). Storing a run replaces the previous run of the same Grain and
// Level, so a store holds at most one run per grain and level.
type ForecastRun struct {
	// ID identifies the run; it must be non-empty and unique in the store.
	ID string
	// Model is the model requested for the run ("auto", "ets", "gbdt"...);
	// each Forecast records the model actually used for its series.
	Model string
	Grain Grain
	// Level lists the key fields the series are grouped by, as in
	// SeriesQuery.Level; their order does not matter. Empty = chain total.
	Level []string
	// Origin is the first forecast step of the run (the latest origin over
	// its series; series that ended earlier carry their own Origin).
	Origin time.Time
	// Horizon is the number of steps forecast.
	Horizon int
	// Created is when the run was made.
	Created time.Time
}

// ForecastQuery selects stored forecasts: those of the latest run for one
// grain and level, optionally only one series.
type ForecastQuery struct {
	Grain Grain
	// Level is the run's level (order does not matter). Empty = chain total.
	Level []string
	// Key, if non-nil, restricts the result to that series.
	Key *SeriesKey
}
