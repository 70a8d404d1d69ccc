package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"runtime"
	"sort"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Version is part of every fingerprint: bump it when a change to the
// simulator changes its output for the same Config.
const Version = "simulate/v1"

// Config sizes and shapes a simulated chain. Zero fields take the defaults of
// Demo (see WithDefaults); the output is a pure function of the fields that
// are not tagged `json:"-"`.
type Config struct {
	// Seed drives every random draw.
	Seed int64 `json:"seed"`
	// Start is the first simulated day (UTC midnight); Days the horizon.
	Start time.Time `json:"start"`
	Days  int       `json:"days"`
	// Stores is the number of physical stores; Online adds a web shop
	// ("WEB") whose invoices come with browsing sessions.
	Stores int  `json:"stores"`
	Online bool `json:"online"`
	// Products and Customers size the catalogue and the customer base.
	Products  int `json:"products"`
	Customers int `json:"customers"`
	// Departments, CategoriesPerDepartment, SubcategoriesPerCategory and
	// Brands shape the catalogue hierarchy.
	Departments              int `json:"departments"`
	CategoriesPerDepartment  int `json:"categories_per_department"`
	SubcategoriesPerCategory int `json:"subcategories_per_category"`
	Brands                   int `json:"brands"`
	// Factors is the rank of the customer x subcategory preferences.
	Factors int `json:"factors"`
	// MeanUnits is the median over products of the base demand (units per
	// day at a store of scale 1, at the reference price, without season).
	MeanUnits float64 `json:"mean_units"`
	// Dispersion is the negative-binomial shape of daily demand around its
	// mean (variance mu + mu^2/Dispersion); 0 means Poisson.
	Dispersion float64 `json:"dispersion"`
	// PromoEvery is the mean gap in days between a product's promotions;
	// PriceChangeEvery between its regular price changes. Negative = never.
	PromoEvery       float64 `json:"promo_every"`
	PriceChangeEvery float64 `json:"price_change_every"`
	// ReturnRate is the base share of sale lines returned later.
	ReturnRate float64 `json:"return_rate"`
	// AnonymousShare is the share of store visits without a loyalty card.
	AnonymousShare float64 `json:"anonymous_share"`
	// BasketLines is the mean number of lines per invoice.
	BasketLines float64 `json:"basket_lines"`
	// RepeatShare is the share of customers with repeat-bought items.
	RepeatShare float64 `json:"repeat_share"`
	// PurchaseShare is the share of web sessions that end in a purchase.
	PurchaseShare float64 `json:"purchase_share"`
	// NoStockouts sells every unit demanded (no stock is simulated, so
	// nothing is censored and no stock levels are written).
	NoStockouts bool `json:"no_stockouts"`
	// StockEvery emits a stock level of every product x store every so many
	// days (and on every stockout day); 0 emits none.
	StockEvery int `json:"stock_every"`
	// Aggregate emits daily SalesPoints per product x store instead of
	// customers, order lines and sessions (the M5 layout).
	Aggregate bool `json:"aggregate"`

	// BatchSize is the number of records per Sink call (default 10,000).
	BatchSize int `json:"-"`
	// Workers bounds the goroutines that simulate partitions (default
	// GOMAXPROCS). It never changes the output.
	Workers int `json:"-"`
	// Pseudonymizer turns the simulated customer ids into CustomerKeys; it
	// is required unless Aggregate (raw ids never reach the sink).
	Pseudonymizer *shelfwise.Pseudonymizer `json:"-"`
	// Progress, when set, is called after each block of days is written
	// with the number of days done and the total.
	Progress func(done, total int) `json:"-"`
}

// Demo is the small chain the demo simulates, imports and trains on within
// its time budget: 4 stores and a web shop, 200 products, 2,000 customers,
// two years from 2023-01-02 (about 250k order lines).
func Demo() Config {
	return Config{
		Seed:                     1,
		Start:                    time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC),
		Days:                     730,
		Stores:                   4,
		Online:                   true,
		Products:                 200,
		Customers:                2000,
		Departments:              4,
		CategoriesPerDepartment:  3,
		SubcategoriesPerCategory: 3,
		Brands:                   24,
		Factors:                  4,
		MeanUnits:                0.3,
		Dispersion:               4,
		PromoEvery:               60,
		PriceChangeEvery:         150,
		ReturnRate:               0.03,
		AnonymousShare:           0.2,
		BasketLines:              3,
		RepeatShare:              0.3,
		PurchaseShare:            0.25,
		StockEvery:               7,
	}
}

// Large is a chain sized to generate about 10 million order lines: 10
// stores and a web shop, 2,000 products, 50,000 customers, one year.
func Large() Config {
	c := Demo()
	c.Stores = 10
	c.Products = 2000
	c.Customers = 50000
	c.Days = 365
	c.Departments = 6
	c.CategoriesPerDepartment = 4
	c.SubcategoriesPerCategory = 3
	c.Brands = 120
	c.MeanUnits = 0.9
	return c
}

// M5 is an aggregated chain of the M5 competition's size: 3,049 products in
// 10 stores (30,490 product x store series) over 1,941 days from 2011-01-29,
// emitted as daily SalesPoints (no customers, order lines or sessions).
func M5() Config {
	c := Demo()
	c.Start = time.Date(2011, 1, 29, 0, 0, 0, 0, time.UTC)
	c.Days = 1941
	c.Stores = 10
	c.Online = false
	c.Products = 3049
	c.Customers = 0
	c.Departments = 3
	c.CategoriesPerDepartment = 3
	c.SubcategoriesPerCategory = 4
	c.Brands = 150
	c.MeanUnits = 0.5
	c.StockEvery = 0
	c.Aggregate = true
	return c
}

// Presets maps preset names to their configurations.
var Presets = map[string]func() Config{"demo": Demo, "large": Large, "m5": M5}

// PresetNames returns the preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// WithDefaults fills zero sizes and rates with Demo's values and the
// runtime fields with theirs.
func (c Config) WithDefaults() Config {
	d := Demo()
	if c.Start.IsZero() {
		c.Start = d.Start
	}
	c.Start = time.Date(c.Start.Year(), c.Start.Month(), c.Start.Day(), 0, 0, 0, 0, time.UTC)
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setFloat := func(v *float64, def float64) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.Days, d.Days)
	setInt(&c.Stores, d.Stores)
	setInt(&c.Products, d.Products)
	if !c.Aggregate {
		setInt(&c.Customers, d.Customers)
	}
	setInt(&c.Departments, d.Departments)
	setInt(&c.CategoriesPerDepartment, d.CategoriesPerDepartment)
	setInt(&c.SubcategoriesPerCategory, d.SubcategoriesPerCategory)
	setInt(&c.Brands, d.Brands)
	setInt(&c.Factors, d.Factors)
	setFloat(&c.MeanUnits, d.MeanUnits)
	setFloat(&c.PromoEvery, d.PromoEvery)
	setFloat(&c.PriceChangeEvery, d.PriceChangeEvery)
	setFloat(&c.BasketLines, d.BasketLines)
	setFloat(&c.PurchaseShare, d.PurchaseShare)
	setInt(&c.BatchSize, 10000)
	setInt(&c.Workers, runtime.GOMAXPROCS(0))
	return c
}

// Validate reports the first field out of range as an EINVALID error.
func (c Config) Validate() error {
	bad := func(field, want string) error {
		return shelfwise.Errorf(shelfwise.EINVALID, "simulate: %s must be %s", field, want)
	}
	switch {
	case c.Days < 1 || c.Days > 20000:
		return bad("days", "between 1 and 20000")
	case c.Stores < 1 || c.Stores > 999:
		return bad("stores", "between 1 and 999")
	case c.Products < 1 || c.Products > 1_000_000:
		return bad("products", "between 1 and 1,000,000")
	case !c.Aggregate && (c.Customers < 1 || c.Customers > 10_000_000):
		return bad("customers", "between 1 and 10,000,000")
	case c.Departments < 1 || c.CategoriesPerDepartment < 1 || c.SubcategoriesPerCategory < 1 || c.Brands < 1:
		return bad("departments, categories, subcategories and brands", "at least 1")
	case c.Factors < 1 || c.Factors > 64:
		return bad("factors", "between 1 and 64")
	case c.MeanUnits <= 0 || c.MeanUnits > 1e4:
		return bad("mean units", "in (0, 10000]")
	case c.Dispersion < 0:
		return bad("dispersion", "non-negative")
	case c.ReturnRate < 0 || c.ReturnRate > 0.3:
		return bad("return rate", "in [0, 0.3]")
	case c.AnonymousShare < 0 || c.AnonymousShare >= 1:
		return bad("anonymous share", "in [0, 1)")
	case c.BasketLines < 1:
		return bad("basket lines", "at least 1")
	case c.RepeatShare < 0 || c.RepeatShare > 1:
		return bad("repeat share", "in [0, 1]")
	case c.PurchaseShare <= 0 || c.PurchaseShare >= 1:
		return bad("purchase share", "in (0, 1)")
	case c.StockEvery < 0:
		return bad("stock every", "non-negative")
	case !c.Aggregate && c.Pseudonymizer == nil:
		return bad("pseudonymizer", "set: simulated customer ids are pseudonymised before they reach a sink")
	}
	return nil
}

// Fingerprint is a hash of the simulator version and every field that
// shapes the output, so the same chain simulated twice into one store is
// recognised as already imported.
func (c Config) Fingerprint() string {
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // Config holds only plain values
	}
	h := sha256.New()
	h.Write([]byte(Version))
	h.Write([]byte{0})
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
