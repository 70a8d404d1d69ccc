package shelfwise

import (
	"context"
	"time"
)

// Covariate is a time-varying numeric driver of demand that is not a price
// or a promotion: temperature, fuel price, CPI, unemployment. Store or SKU
// narrow it; both empty = chain-wide. Date is the start of the period the
// value describes (a day, or the first day of a week).
type Covariate struct {
	Store StoreID
	SKU   SKU
	Date  time.Time
	Name  string
	Value float64
}

// CovariateSink is implemented by sinks that keep covariates. It is optional:
// a Sink without it receives no covariates.
type CovariateSink interface {
	AddCovariates(ctx context.Context, cs []Covariate) error
}

// CovariateQuery selects stored covariates. Zero values mean "no
// restriction".
type CovariateQuery struct {
	// Names restricts the covariate names (e.g. "temperature"); nil = all.
	Names []string
	// Store keeps the covariates that apply to one store: those recorded
	// for it and those with an empty Store (chain-wide).
	Store StoreID
	// SKU keeps the covariates that apply to one product: those recorded
	// for it and those with an empty SKU.
	SKU SKU
	// From and To restrict Date to [From, To).
	From, To time.Time
}
