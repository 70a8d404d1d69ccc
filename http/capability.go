package http

import (
	"context"
	"time"

	"github.com/shelfwise/shelfwise"
)

// RecQuery narrows a recommendation list.
type RecQuery struct {
	// N is the number of items wanted (1-100).
	N int
	// Department and Category keep only products in them (empty = any).
	Department string
	Category   string
	// Exclude removes these products (e.g. what is already in the cart).
	Exclude []shelfwise.SKU
	// NewOnly removes products the customer already bought, except those
	// of the Repeatable departments, categories or subcategories.
	NewOnly    bool
	Repeatable []string
	// Rules are the business rules of a customer's or a session's list.
	Rules RecRules
	// Now is the time of the request.
	Now time.Time
}

// RecRules are the merchandising rules a shop may put on a customer's or a
// session's list (zero values: no rule).
type RecRules struct {
	// MaxPerCategory caps the products per category (0 = no cap).
	MaxPerCategory int
	// MinPrice and MaxPrice bound the unit price (0 = open); products of
	// unknown price pass.
	MinPrice, MaxPrice float64
	// Around keeps products priced within ±PriceBand (a fraction) of this
	// product's price, and leaves Around itself out.
	Around    shelfwise.SKU
	PriceBand float64
	// InStock keeps only products not known to be out of stock.
	InStock bool
	// Promoted products take PromotedShare (0-1) of the list when they
	// qualify, placed by their own score.
	Promoted      []shelfwise.SKU
	PromotedShare float64
}

// RecList is a ranked list of recommendations from a served model.
type RecList struct {
	Items   []shelfwise.Recommendation
	Model   string
	Version int
}

// Recommender answers recommendation queries from the promoted model. A
// method whose model is not trained yet returns ENOTIMPL or ENOTFOUND.
type Recommender interface {
	// ForCustomer ranks products for a known customer, with reasons.
	ForCustomer(ctx context.Context, c shelfwise.CustomerKey, q RecQuery) (RecList, error)
	// ForSession ranks products for an anonymous session: the live session
	// (its events sent to POST /v1/events) and/or the products it has seen
	// or carted, most recent last.
	ForSession(ctx context.Context, session shelfwise.SessionID, skus []shelfwise.SKU, q RecQuery) (RecList, error)
	// Similar lists products like sku.
	Similar(ctx context.Context, sku shelfwise.SKU, q RecQuery) (RecList, error)
	// BoughtTogether lists products often in the same basket as sku.
	BoughtTogether(ctx context.Context, sku shelfwise.SKU, q RecQuery) (RecList, error)
	// Trending lists products whose sales are rising.
	Trending(ctx context.Context, q RecQuery) (RecList, error)
}

// ForecastQuery selects the series to forecast: a product x store or any
// level of the hierarchy (empty fields are aggregated over).
type ForecastQuery struct {
	Key   shelfwise.SeriesKey
	Grain shelfwise.Grain
	// Horizon is the number of steps wanted; 0 means every step the
	// served model forecasts.
	Horizon int
}

// ForecastResult is a forecast with the history it continues.
type ForecastResult struct {
	History  *shelfwise.Series
	Forecast shelfwise.Forecast
	Version  int
}

// Forecaster forecasts demand from the promoted forecasting model.
type Forecaster interface {
	Forecast(ctx context.Context, q ForecastQuery) (ForecastResult, error)
}

// Reason is one feature's contribution to a score.
type Reason struct {
	Feature      string  `json:"feature"`
	Value        string  `json:"value"`
	Contribution float64 `json:"contribution"`
}

// PropensityScore is a session's purchase probability with its top reasons.
type PropensityScore struct {
	Probability float64  `json:"probability"`
	Reasons     []Reason `json:"reasons"`
	Model       string   `json:"model"`
	Version     int      `json:"version"`
}

// HistogramBin counts scores in [Lo, Hi).
type HistogramBin struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Count int     `json:"count"`
}

// CalibrationPoint is one bin of a calibration (reliability) plot.
type CalibrationPoint struct {
	Predicted float64 `json:"predicted"`
	Observed  float64 `json:"observed"`
	Count     int     `json:"count"`
}

// PropensitySummary describes the served propensity model on its held-out
// data, for the dashboard.
type PropensitySummary struct {
	Model        string             `json:"model"`
	Version      int                `json:"version"`
	Metrics      map[string]float64 `json:"metrics"`
	Distribution []HistogramBin     `json:"distribution"`
	Calibration  []CalibrationPoint `json:"calibration"`
	// TopFeatures ranks features by mean absolute contribution.
	TopFeatures []Reason `json:"top_features"`
}

// PropensityScorer scores sessions with the promoted propensity model.
type PropensityScorer interface {
	Score(ctx context.Context, s shelfwise.Session) (PropensityScore, error)
	Summary(ctx context.Context) (PropensitySummary, error)
}

// notLanded is the error of a route whose capability is not wired.
func notLanded(what string) error {
	return shelfwise.Errorf(shelfwise.ENOTIMPL, "%s is not available on this server yet", what)
}
