// Package shelfwise is the vocabulary of the Shelfwise retail AI platform: the
// domain types (products, stores, customers as pseudonymous keys, order lines,
// behaviour events, prices, promotions, stock, calendar, series, forecasts,
// recommendations), the service interfaces that storage and job back-ends
// implement, and the error codes every layer shares.
//
// It imports nothing third-party. Subpackages wrap dependencies (sqlite,
// postgres, http) or hold one application each (forecast, recommend,
// propensity...). cmd/shelfwise wires them together.
package shelfwise

import "time"

// SKU identifies a product (a stock-keeping unit) in the retailer's own code,
// e.g. "85123A" or "FOODS_1_001".
type SKU string

// StoreID identifies a physical store, a web shop or any other selling
// location. The empty StoreID means "the whole chain" or "not recorded".
type StoreID string

// CustomerKey is the pseudonym of a customer: a keyed HMAC of the retailer's
// identifier. A raw customer identifier is never a CustomerKey and never
// reaches the database. The empty key means an anonymous customer.
type CustomerKey string

// SessionID identifies one browsing session.
type SessionID string

// InvoiceID identifies an invoice, receipt or basket.
type InvoiceID string

// Grain is the time resolution of a series.
type Grain string

// Grains of series. GrainPeriod is for series that have no calendar dates,
// such as the M4 competition series: points are indexed by position only.
const (
	GrainDay    Grain = "day"
	GrainWeek   Grain = "week"
	GrainPeriod Grain = "period"
)

// Product is an item of the catalogue with its place in the category
// hierarchy (Department > Category > Subcategory) and free-form attributes
// such as brand or package size.
type Product struct {
	SKU         SKU
	Name        string
	Department  string
	Category    string
	Subcategory string
	Brand       string
	// Attributes holds any further descriptive fields (size, colour...).
	Attributes map[string]string
	// NonProduct marks lines such as postage, fees and manual adjustments
	// (codes like POST, DOT, M, BANK CHARGES): they are sold on invoices but
	// are not merchandise, and models skip them.
	NonProduct bool
}

// Store is a selling location.
type Store struct {
	ID     StoreID
	Name   string
	Region string
	Type   string
	// Size is the sales area (e.g. square feet) where known, else 0.
	Size float64
	// Attributes holds demographics and other descriptive fields.
	Attributes map[string]float64
}

// LineKind tells sales, returns and stock adjustments apart.
type LineKind string

// Kinds of order line.
const (
	// LineSale is an ordinary sale.
	LineSale LineKind = "sale"
	// LineReturn is a cancellation or return (a "C" invoice, or a negative
	// quantity with a customer or a price). Its Quantity is negative.
	LineReturn LineKind = "return"
	// LineAdjustment is a negative quantity on an ordinary invoice with price
	// 0 and no customer: a stock correction, not a customer return.
	LineAdjustment LineKind = "adjustment"
)

// OrderLine is one line of an invoice or basket.
type OrderLine struct {
	Invoice  InvoiceID
	Time     time.Time
	Store    StoreID
	Customer CustomerKey // empty for anonymous lines
	SKU      SKU
	Quantity float64 // negative for returns and adjustments
	// UnitPrice is the price paid per unit, after discounts.
	UnitPrice float64
	// Discount is the total discount on the line (positive), if known.
	Discount float64
	Kind     LineKind
	Country  string
}

// Amount is the line's value: quantity times unit price.
func (l OrderLine) Amount() float64 { return l.Quantity * l.UnitPrice }

// EventType is the kind of a behaviour event.
type EventType string

// Types of behaviour event, from weakest to strongest signal of intent.
const (
	EventView     EventType = "view"
	EventSearch   EventType = "search"
	EventCart     EventType = "cart"
	EventPurchase EventType = "purchase"
)

// Event is one behaviour event in a session: a product view, a search, an
// add-to-cart or a purchase.
type Event struct {
	Time     time.Time
	Session  SessionID
	Customer CustomerKey // empty when anonymous
	Type     EventType
	SKU      SKU    // empty for searches
	Query    string // search text, for EventSearch
	Quantity float64
	Price    float64
	Store    StoreID
}

// Session is a browsing session summarised into features, as web analytics
// exports provide it (e.g. the UCI Online Shoppers layout), with its outcome.
type Session struct {
	ID       SessionID
	Customer CustomerKey
	Start    time.Time
	// Features are named numeric features (page counts, durations, rates);
	// Categorical holds named categorical features (month, browser code...).
	Features    map[string]float64
	Categorical map[string]string
	// Purchased is true when the session ended in a purchase.
	Purchased bool
}

// Price is a product's shelf price at a store over a period [Start, End).
// A zero End means "until further notice".
type Price struct {
	SKU   SKU
	Store StoreID
	Start time.Time
	End   time.Time
	Price float64
}

// Promotion is a promotion of a product at a store over [Start, End).
// An empty SKU makes it store-wide (every product at Store, e.g. a sale
// weekend); an empty Store makes it run at every store, so both empty is a
// chain-wide promotion of everything. An empty End means until further
// notice.
type Promotion struct {
	SKU   SKU
	Store StoreID
	Start time.Time
	End   time.Time
	// Kind is e.g. "display", "feature", "mailer", "deal", "markdown".
	Kind string
	// Discount is the price reduction as a fraction of the regular price,
	// when known; Value is a free amount (e.g. a markdown sum).
	Discount float64
	Value    float64
}

// StockLevel is the stock on hand of a product at a store at a time.
type StockLevel struct {
	SKU    SKU
	Store  StoreID
	Time   time.Time
	OnHand float64
}

// CalendarEvent is a holiday, sporting event, payday (SNAP) or other dated
// event that moves demand. Store or Region narrow it; both empty = chain-wide.
type CalendarEvent struct {
	Date   time.Time
	Name   string
	Type   string
	Region string
	Store  StoreID
}

// SalesPoint is an aggregated sales observation of one series at one time:
// the shape of exports that come pre-aggregated (weekly department revenue,
// daily item units, store-week-brand panels, position-indexed M4 series).
type SalesPoint struct {
	SKU   SKU
	Store StoreID
	Grain Grain
	// Date is the start of the day or week; zero for GrainPeriod.
	Date time.Time
	// Period is the 0-based position for GrainPeriod series (and the
	// dataset's own week number where it has one).
	Period  int
	Units   float64
	Revenue float64
	// Price is the average selling price in the period, 0 if unknown.
	Price float64
	// Promo flags: feature advertisement, display and deal shares in [0,1].
	Feature float64
	Display float64
	Deal    float64
	// Available is false where the product was not on sale (not yet
	// launched, discontinued): zero units there are not zero demand.
	Available bool
	// Censored marks a stockout: the sales understate demand.
	Censored bool
}

// SeriesKey identifies a series at one level of the hierarchy. Empty fields
// are aggregated over: {Store: "CA_1"} is the store total, {} the chain total.
type SeriesKey struct {
	SKU         SKU
	Store       StoreID
	Department  string
	Category    string
	Subcategory string
}

// String renders the key as "sku@store" or a level description.
func (k SeriesKey) String() string {
	s := string(k.SKU)
	if s == "" {
		switch {
		case k.Subcategory != "":
			s = "subcategory:" + k.Subcategory
		case k.Category != "":
			s = "category:" + k.Category
		case k.Department != "":
			s = "department:" + k.Department
		default:
			s = "total"
		}
	}
	if k.Store != "" {
		s += "@" + string(k.Store)
	}
	return s
}

// Series is a regular time series of demand (units, or revenue where only
// revenue exists) starting at Start with one value per Grain step. For
// GrainPeriod series Start is zero and StartPeriod gives the first index.
type Series struct {
	Key         SeriesKey
	Grain       Grain
	Start       time.Time
	StartPeriod int
	Values      []float64
	// Price is the average price per step (NaN or 0 where unknown).
	Price []float64
	// Promo is the promotion intensity per step in [0,1] (nil if none).
	Promo []float64
	// Available is false where the product was not on sale (nil = always).
	Available []bool
	// Censored is true where a stockout censored sales (nil = never).
	Censored []bool
}

// Time returns the start time of step i of the series (zero for GrainPeriod).
func (s *Series) Time(i int) time.Time {
	switch s.Grain {
	case GrainDay:
		return s.Start.AddDate(0, 0, i)
	case GrainWeek:
		return s.Start.AddDate(0, 0, 7*i)
	}
	return time.Time{}
}

// Head returns a copy of the series cut to its first n steps (the per-step
// slices share memory with s). Backtests and holdouts use it to hide the
// steps being scored.
func (s *Series) Head(n int) *Series {
	c := *s
	c.Values = s.Values[:n:n]
	if len(s.Price) > n {
		c.Price = s.Price[:n:n]
	}
	if len(s.Promo) > n {
		c.Promo = s.Promo[:n:n]
	}
	if len(s.Available) > n {
		c.Available = s.Available[:n:n]
	}
	if len(s.Censored) > n {
		c.Censored = s.Censored[:n:n]
	}
	return &c
}

// Quantiles that every forecast carries at least.
var StandardQuantiles = []float64{0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95}

// Forecast is a forecast of one series from an origin for Horizon steps.
type Forecast struct {
	Key    SeriesKey
	Grain  Grain
	Origin time.Time // first forecast step's start (zero for GrainPeriod)
	// OriginPeriod is the index of the first forecast step for GrainPeriod.
	OriginPeriod int
	Model        string
	Mean         []float64
	// Levels are the quantile levels of Quantiles[i], ascending.
	Levels    []float64
	Quantiles [][]float64 // Quantiles[i][h]: level Levels[i] at step h
	// Components decompose the mean: "level", "trend", "seasonality",
	// "price", "promotion", "event" -> one value per step.
	Components map[string][]float64
}

// Recommendation is one recommended product with its score and the reason a
// person can read ("bought with X", "you buy this every ~3 weeks").
type Recommendation struct {
	SKU    SKU
	Score  float64
	Reason string
	// Source names the model or signal behind it: repeat, cart, viewed,
	// session, als, itemknn, fbt, trending, popular, repeatability or
	// (item-to-item lists) similar.
	Source string
}

// Interaction is an aggregated implicit-feedback signal of a customer for a
// product: counts of purchase lines, quantities and last time.
type Interaction struct {
	Customer  CustomerKey
	SKU       SKU
	Lines     int     // number of purchase lines
	Quantity  float64 // net quantity (returns subtracted)
	Views     int
	Carts     int
	FirstTime time.Time
	LastTime  time.Time
}

// Basket is the set of products on one invoice.
type Basket struct {
	Invoice  InvoiceID
	Customer CustomerKey
	Store    StoreID
	Time     time.Time
	SKUs     []SKU
}
