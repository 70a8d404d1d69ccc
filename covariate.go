package shelfwise

import (
	"context"
	"time"
)

// Covariate is a time-varying numeric driver of demand that is not a price
// or a promotion: temperature, fuel price, CPI, unemployment. Store or SKU
// narrow it; both empty = chain-wide.
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
