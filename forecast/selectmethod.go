package forecast

// Select chooses a method per series: it holds out the last Holdout points
// of the history (default the horizon), scores every candidate's forecast
// of them by mean absolute error, and refits the best on the whole history.
// The choice therefore only ever sees data before the forecast origin.
// With regressors (ForecastX) candidates that take them are scored with
// them, so a regression model wins where its holdout error is lowest.
type Select struct {
	Candidates []Method
	Holdout    int
}

// Name implements Method.
func (s Select) Name() string { return "auto" }

// Forecast implements Method.
func (s Select) Forecast(y []float64, h int) (Prediction, error) { return s.choose(y, nil, h) }
