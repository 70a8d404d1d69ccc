package shelfwise

import (
	"context"
	"time"
)

// Versioned is a store that can tell cheaply whether anything was written
// since a reader last looked (the sqlite store is one): Version changes
// with every committed write, and two equal versions mean the same data.
type Versioned interface {
	Version(ctx context.Context) (string, error)
}

// DB is the storage service every back-end implements (sqlite/ by default,
// postgres/ for scale-out). Reads stream through callbacks so memory stays
// bounded on large stores; a callback's error stops the read and is returned.
// storetest.Run checks an implementation against this contract.
type DB interface {
	// BeginImport starts an import that commits whole or not at all.
	BeginImport(ctx context.Context, meta ImportMeta) (ImportTx, error)
	// Imports lists completed imports, newest first.
	Imports(ctx context.Context) ([]ImportReport, error)

	// Stats summarises what the store holds.
	Stats(ctx context.Context) (Stats, error)

	// Products returns the catalogue ordered by SKU.
	Products(ctx context.Context) ([]Product, error)
	// Product returns one product; ENOTFOUND if it does not exist.
	Product(ctx context.Context, sku SKU) (Product, error)
	// Stores returns the stores ordered by ID.
	Stores(ctx context.Context) ([]Store, error)
	// PutProducts upserts catalogue entries.
	PutProducts(ctx context.Context, ps []Product) error
	// PutStores upserts stores.
	PutStores(ctx context.Context, ss []Store) error

	// OrderLines streams order lines matching f in time order.
	OrderLines(ctx context.Context, f OrderFilter, fn func(OrderLine) error) error
	// Events streams behaviour events matching f in time order.
	Events(ctx context.Context, f EventFilter, fn func(Event) error) error
	// AddEvents durably appends live events (synchronous=FULL) in one
	// transaction. A non-empty idempotencyKey already seen makes the call a
	// no-op that returns (false, nil); otherwise it returns (true, nil).
	AddEvents(ctx context.Context, idempotencyKey string, evs []Event, lines []OrderLine) (bool, error)
	// Sessions streams summarised sessions.
	Sessions(ctx context.Context, fn func(Session) error) error

	// Series streams regular series (zero-filled between first and last
	// observation) built from order lines and sales points, one callback per
	// series, in key order.
	Series(ctx context.Context, q SeriesQuery, fn func(*Series) error) error
	// Interactions aggregates sales lines (and events) per customer x
	// product within [q.From, q.To). Anonymous lines are skipped.
	Interactions(ctx context.Context, q InteractionQuery) ([]Interaction, error)
	// Baskets streams invoices with their products in time order.
	Baskets(ctx context.Context, f OrderFilter, fn func(Basket) error) error

	// Prices, Promotions, StockLevels and Calendar return the stored
	// time-varying inputs (optionally for one SKU; empty = all). The
	// promotions of one SKU include the store-wide ones (empty SKU), which
	// apply to it.
	Prices(ctx context.Context, sku SKU) ([]Price, error)
	Promotions(ctx context.Context, sku SKU) ([]Promotion, error)
	StockLevels(ctx context.Context, sku SKU) ([]StockLevel, error)
	// LatestStockLevels returns the latest stock level of each product at
	// each store (chain-wide levels under the empty store), ordered by SKU
	// and store: what is on hand now, without reading the history.
	LatestStockLevels(ctx context.Context) ([]StockLevel, error)
	Calendar(ctx context.Context) ([]CalendarEvent, error)
	// Covariates returns the stored covariates matching q (see
	// CovariateQuery: a Store or SKU also keeps the chain-wide rows that
	// apply to it), ordered by name, store, SKU and date. Importers write
	// them through the optional CovariateSink of the store's ImportTx.
	Covariates(ctx context.Context, q CovariateQuery) ([]Covariate, error)

	// PutForecasts stores a run of forecasts in one transaction, replacing
	// the previous run with the same Grain and Level (see ForecastRun).
	// EINVALID if the run or a forecast is malformed (empty ID, unknown
	// grain, a series twice, quantiles not matching their levels or the
	// mean); ECONFLICT if another grain and level holds a run with that ID.
	PutForecasts(ctx context.Context, run ForecastRun, fcs []Forecast) error
	// Forecasts returns the forecasts of the latest run for q.Grain and
	// q.Level in key order (only q.Key's series when q.Key is set), with
	// the run's grain. ENOTFOUND if no run, or no forecast of q.Key, is
	// stored.
	Forecasts(ctx context.Context, q ForecastQuery) ([]Forecast, error)

	// EraseCustomer removes every row about the customer (order lines,
	// events, sessions, derived features and cached recommendations) and
	// records the erasure, without the identity, in the audit log. It
	// returns the number of rows removed; ENOTFOUND if there were none.
	EraseCustomer(ctx context.Context, c CustomerKey) (int64, error)

	Close() error
}

// ImportMeta describes an import being started.
type ImportMeta struct {
	Format string // named format, e.g. "online-retail"
	Source string // file or folder imported
	Time   time.Time
}

// Sink receives the records an importer or the simulator produces, in
// batches. ImportTx is the Sink that writes to a store; ingest.Memory is the
// one that collects them for eval commands.
type Sink interface {
	PutProducts(ctx context.Context, ps []Product) error
	PutStores(ctx context.Context, ss []Store) error
	AddOrderLines(ctx context.Context, ls []OrderLine) error
	AddEvents(ctx context.Context, evs []Event) error
	AddSessions(ctx context.Context, ss []Session) error
	AddSalesPoints(ctx context.Context, ps []SalesPoint) error
	AddPrices(ctx context.Context, ps []Price) error
	AddPromotions(ctx context.Context, ps []Promotion) error
	AddStockLevels(ctx context.Context, ss []StockLevel) error
	AddCalendarEvents(ctx context.Context, cs []CalendarEvent) error
}

// ImportTx is one import in progress. Nothing it writes is visible until
// Commit; Rollback (or an error from Commit) leaves the store untouched.
type ImportTx interface {
	Sink
	// Commit records the report and makes the import visible. It returns
	// ECONFLICT, and writes nothing, if an import with the same
	// report.Fingerprint (a hash of the normalised rows) is already stored.
	Commit(ctx context.Context, report ImportReport) error
	// Rollback discards the import; safe to call after Commit.
	Rollback() error
}

// ImportReport is what an import read, accepted and why it set rows aside.
type ImportReport struct {
	Format      string           `json:"format"`
	Source      string           `json:"source"`
	Fingerprint string           `json:"fingerprint"`
	Time        time.Time        `json:"time"`
	RowsRead    int64            `json:"rows_read"`
	Accepted    int64            `json:"accepted"`
	Rules       []RuleCount      `json:"rules"`
	Written     map[string]int64 `json:"written"` // rows written per table
	// AlreadyImported is true when the same normalised data was already in
	// the store: nothing was written.
	AlreadyImported bool    `json:"already_imported"`
	Seconds         float64 `json:"seconds"`
}

// RuleCount counts the rows that hit one cleaning rule. Each rule is counted
// independently over all rows read, so one row may hit several rules.
type RuleCount struct {
	Rule string `json:"rule"`
	// Action is what happened to those rows: "dropped", "kept", "flagged",
	// "kept as return", "kept as adjustment", "kept anonymous".
	Action     string  `json:"action"`
	Count      int64   `json:"count"`
	FirstLines []int64 `json:"first_lines"`
}

// Stats summarises a store's contents.
type Stats struct {
	Products     int64     `json:"products"`
	Stores       int64     `json:"stores"`
	Customers    int64     `json:"customers"`
	OrderLines   int64     `json:"order_lines"`
	Invoices     int64     `json:"invoices"`
	Events       int64     `json:"events"`
	Sessions     int64     `json:"sessions"`
	SalesPoints  int64     `json:"sales_points"`
	Series       int64     `json:"series"`
	Prices       int64     `json:"prices"`
	Promotions   int64     `json:"promotions"`
	StockLevels  int64     `json:"stock_levels"`
	CalendarDays int64     `json:"calendar_events"`
	Covariates   int64     `json:"covariates"`
	Imports      int64     `json:"imports"`
	FirstTime    time.Time `json:"first_time"`
	LastTime     time.Time `json:"last_time"`
}

// OrderFilter narrows order-line reads. Zero values mean "no restriction".
type OrderFilter struct {
	From, To time.Time // [From, To)
	Customer CustomerKey
	SKU      SKU
	Store    StoreID
	// Kinds restricts line kinds; nil = all.
	Kinds []LineKind
	// ProductsOnly skips non-product lines (postage, fees).
	ProductsOnly bool
}

// EventFilter narrows event reads.
type EventFilter struct {
	From, To time.Time
	Customer CustomerKey
	Session  SessionID
	Types    []EventType
}

// SeriesQuery selects series at one level of the hierarchy and one grain.
type SeriesQuery struct {
	Grain Grain
	// Level lists the key fields to group by: any of "sku", "store",
	// "department", "category", "subcategory". Empty = chain total.
	Level []string
	// Measure is "units" (default) or "revenue".
	Measure  string
	From, To time.Time
	// SKU and Store restrict to one product and/or store.
	SKU   SKU
	Store StoreID
}

// InteractionQuery selects the window of interactions.
type InteractionQuery struct {
	From, To time.Time
	// WithEvents adds views and carts from behaviour events.
	WithEvents bool
}
