package simulate

import (
	"math"
	"sort"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Truth is the ground truth of a simulation: every parameter of the demand,
// price, promotion, preference and session models, plus what was drawn that
// models cannot see directly (stockout days, session probabilities). Its
// methods reproduce the true expected demand, elasticities and preference
// scores so that estimates can be checked against them.
type Truth struct {
	Version     string    `json:"version"`
	Fingerprint string    `json:"fingerprint"`
	Seed        int64     `json:"seed"`
	Start       time.Time `json:"start"`
	Days        int       `json:"days"`
	Aggregate   bool      `json:"aggregate"`

	Stores        []StoreTruth       `json:"stores"`
	Departments   []DepartmentTruth  `json:"departments"`
	Categories    []CategoryTruth    `json:"categories"`
	Subcategories []SubcategoryTruth `json:"subcategories"`
	Brands        []string           `json:"brands"`
	Products      []ProductTruth     `json:"products"`
	// Events are the dated holiday and event occurrences that move demand.
	Events []EventTruth `json:"events"`
	// PromoLift is the demand multiplier of each promotion kind on top of
	// the price effect of its discount.
	PromoLift map[string]float64 `json:"promo_lift"`
	// BrandBoost is the extra preference weight of a customer's favourite
	// brand: weight 1+BrandBoost instead of 1.
	BrandBoost float64 `json:"brand_boost"`
	// AnonymousShare is the share of store visits without a customer key.
	AnonymousShare float64           `json:"anonymous_share"`
	Customers      []CustomerTruth   `json:"customers,omitempty"`
	Sessions       SessionModelTruth `json:"sessions"`
	// Censored lists, per product x store, the days on which demand exceeded
	// the stock (order-line mode; in aggregate mode the SalesPoints carry
	// the flag).
	Censored []CensoredTruth `json:"censored,omitempty"`
	// Counts is the number of records written per kind.
	Counts map[string]int64 `json:"counts"`

	idx truthIndex
}

// StoreTruth holds a store's demand scale and price index.
type StoreTruth struct {
	ID     shelfwise.StoreID `json:"id"`
	Online bool              `json:"online"`
	// Scale multiplies every product's demand at the store.
	Scale float64 `json:"scale"`
	// PriceIndex multiplies the chain's regular prices at the store.
	PriceIndex float64 `json:"price_index"`
}

// DepartmentTruth holds a department's weekly profile and event lifts.
type DepartmentTruth struct {
	Name string `json:"name"`
	// Weekly is the demand multiplier per time.Weekday (Sunday first),
	// with mean 1.
	Weekly [7]float64 `json:"weekly"`
	// EventLift is the multiplier per event name on the event's window.
	EventLift map[string]float64 `json:"event_lift"`
	// ReturnFactor multiplies Config.ReturnRate for the department.
	ReturnFactor float64 `json:"return_factor"`
}

// CategoryTruth holds a category's yearly seasonality:
// exp(Amplitude*cos(2*pi*(dayOfYear-PeakDay)/365.25)).
type CategoryTruth struct {
	Name       string  `json:"name"`
	Department int     `json:"department"`
	Amplitude  float64 `json:"amplitude"`
	PeakDay    float64 `json:"peak_day"`
	// Elasticity is the category's mean price elasticity.
	Elasticity float64 `json:"elasticity"`
}

// SubcategoryTruth holds a subcategory's preference factor.
type SubcategoryTruth struct {
	Name     string    `json:"name"`
	Category int       `json:"category"`
	Factor   []float64 `json:"factor"`
}

// ProductTruth holds a product's demand and price parameters.
type ProductTruth struct {
	SKU         shelfwise.SKU `json:"sku"`
	Subcategory int           `json:"subcategory"`
	Brand       int           `json:"brand"`
	// Base is the mean units per day at a store of scale 1, at RefPrice,
	// without trend (day 0), season or events.
	Base float64 `json:"base"`
	// Trend is the log growth of demand per year.
	Trend float64 `json:"trend"`
	// Elasticity is the constant price elasticity: demand scales with
	// (price/RefPrice)^Elasticity.
	Elasticity float64 `json:"elasticity"`
	RefPrice   float64 `json:"ref_price"`
	Cost       float64 `json:"cost"`
	// Launch and End bound the days [Launch, End) the product is on sale.
	Launch int `json:"launch"`
	End    int `json:"end"`
	// Prices are the chain's regular prices from each day on (first at 0).
	Prices []PricePoint `json:"prices"`
	// Promos are the chain-wide promotions, in time order, not overlapping.
	Promos []PromoTruth `json:"promos,omitempty"`
}

// PricePoint is a regular price in force from Day on.
type PricePoint struct {
	Day   int     `json:"day"`
	Price float64 `json:"price"`
}

// PromoTruth is a promotion over days [Start, End).
type PromoTruth struct {
	Start    int     `json:"start"`
	End      int     `json:"end"`
	Kind     string  `json:"kind"`
	Discount float64 `json:"discount"`
}

// EventTruth is one dated occurrence of a holiday or event. Its lift
// applies on days [Day-Lead, Day+Lag]; Closes shuts physical stores on Day.
type EventTruth struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Day    int    `json:"day"`
	Lead   int    `json:"lead"`
	Lag    int    `json:"lag"`
	Closes bool   `json:"closes,omitempty"`
}

// CustomerTruth holds a customer's latent preferences.
type CustomerTruth struct {
	Key   shelfwise.CustomerKey `json:"key"`
	Store int                   `json:"store"`
	// Activity is the relative rate of the customer's store visits.
	Activity float64 `json:"activity"`
	// Factor is the customer's preference factor: the affinity for
	// subcategory k is exp(Factor . Subcategories[k].Factor).
	Factor []float64 `json:"factor"`
	// Brand is the favourite brand (weight 1+BrandBoost).
	Brand  int           `json:"brand"`
	Repeat []RepeatTruth `json:"repeat,omitempty"`
}

// RepeatTruth is an item the customer buys again every Every days.
type RepeatTruth struct {
	Product  int     `json:"product"`
	Every    int     `json:"every"`
	Quantity float64 `json:"quantity"`
}

// CensoredTruth lists the stockout days of one product x store.
type CensoredTruth struct {
	SKU   shelfwise.SKU     `json:"sku"`
	Store shelfwise.StoreID `json:"store"`
	Days  []int             `json:"days"`
}

// truthIndex holds lookups and precomputed factors rebuilt by prepare.
type truthIndex struct {
	sku      map[shelfwise.SKU]int
	store    map[shelfwise.StoreID]int
	customer map[shelfwise.CustomerKey]int
	session  map[shelfwise.SessionID]int
	censored map[seriesKey]map[int]bool
	// day[kind][category][t]: weekly x yearly x event factor, kind 0 for
	// physical stores and 1 for the web shop.
	day [2][][]float64
	// category of each subcategory and department of each category.
	subCat  []int
	catDept []int
	// score normalisers, built on first use by Score.
	norm *scoreNorm
}

type seriesKey struct{ p, s int }

// prepare rebuilds the indexes and day factors after construction or
// decoding.
func (t *Truth) prepare() {
	ix := &t.idx
	ix.sku = make(map[shelfwise.SKU]int, len(t.Products))
	for i, p := range t.Products {
		ix.sku[p.SKU] = i
	}
	ix.store = make(map[shelfwise.StoreID]int, len(t.Stores))
	for i, s := range t.Stores {
		ix.store[s.ID] = i
	}
	ix.customer = make(map[shelfwise.CustomerKey]int, len(t.Customers))
	for i, c := range t.Customers {
		ix.customer[c.Key] = i
	}
	ix.session = make(map[shelfwise.SessionID]int, len(t.Sessions.Sessions))
	for i, s := range t.Sessions.Sessions {
		ix.session[s.ID] = i
	}
	ix.censored = map[seriesKey]map[int]bool{}
	for _, c := range t.Censored {
		k := seriesKey{ix.sku[c.SKU], ix.store[c.Store]}
		m := make(map[int]bool, len(c.Days))
		for _, d := range c.Days {
			m[d] = true
		}
		ix.censored[k] = m
	}
	ix.subCat = make([]int, len(t.Subcategories))
	for i, s := range t.Subcategories {
		ix.subCat[i] = s.Category
	}
	ix.catDept = make([]int, len(t.Categories))
	for i, c := range t.Categories {
		ix.catDept[i] = c.Department
	}
	t.prepareDays()
}

// prepareDays computes the weekly x yearly x event factor per store kind,
// category and day.
func (t *Truth) prepareDays() {
	// event factor per department and day, and closure days.
	ev := make([][]float64, len(t.Departments))
	for d := range ev {
		ev[d] = make([]float64, t.Days)
		for i := range ev[d] {
			ev[d][i] = 1
		}
	}
	closed := make([]bool, t.Days)
	for _, e := range t.Events {
		for day := e.Day - e.Lead; day <= e.Day+e.Lag; day++ {
			if day < 0 || day >= t.Days {
				continue
			}
			for d := range t.Departments {
				ev[d][day] *= t.Departments[d].EventLift[e.Name]
			}
		}
		if e.Closes && e.Day >= 0 && e.Day < t.Days {
			closed[e.Day] = true
		}
	}
	for kind := range 2 {
		t.idx.day[kind] = make([][]float64, len(t.Categories))
		for c, cat := range t.Categories {
			dept := t.Departments[cat.Department]
			f := make([]float64, t.Days)
			for day := range f {
				date := t.Start.AddDate(0, 0, day)
				if kind == 0 && closed[day] {
					continue
				}
				yr := cat.Amplitude * math.Cos(2*math.Pi*(float64(date.YearDay())-cat.PeakDay)/365.25)
				f[day] = dept.Weekly[date.Weekday()] * math.Exp(yr) * ev[cat.Department][day]
			}
			t.idx.day[kind][c] = f
		}
	}
}

// storeKind is the index into idx.day for store s.
func (t *Truth) storeKind(s int) int { return btoi(t.Stores[s].Online) }

// DayIndex returns the 0-based day of the simulation that contains tm (may
// be negative or >= Days outside the horizon).
func (t *Truth) DayIndex(tm time.Time) int {
	return int(math.Floor(tm.UTC().Sub(t.Start).Hours() / 24))
}

// Date returns the date of day index d.
func (t *Truth) Date(d int) time.Time { return t.Start.AddDate(0, 0, d) }

// regularPrice returns the chain's regular price of product p on day d.
func (p *ProductTruth) regularPrice(d int) float64 {
	i := sort.Search(len(p.Prices), func(i int) bool { return p.Prices[i].Day > d }) - 1
	if i < 0 {
		i = 0
	}
	return p.Prices[i].Price
}

// promo returns the promotion running on day d, or nil.
func (p *ProductTruth) promo(d int) *PromoTruth {
	i := sort.Search(len(p.Promos), func(i int) bool { return p.Promos[i].End > d })
	if i < len(p.Promos) && p.Promos[i].Start <= d {
		return &p.Promos[i]
	}
	return nil
}

// shelfPrice is the price charged: the store's regular price less any
// promotion discount, rounded to cents.
func shelfPrice(regular, index float64, pr *PromoTruth) float64 {
	x := regular * index
	if pr != nil {
		x *= 1 - pr.Discount
	}
	return math.Round(x*100) / 100
}

// priceFactor is the demand multiplier of a price and promotion.
func (t *Truth) priceFactor(p *ProductTruth, price float64, pr *PromoTruth) float64 {
	f := math.Pow(price/p.RefPrice, p.Elasticity)
	if pr != nil {
		f *= t.PromoLift[pr.Kind]
	}
	return f
}

// mean is the expected demand of product p at store s on day d given the
// price factor.
func (t *Truth) mean(p, s, d int, priceFactor float64) float64 {
	pt := &t.Products[p]
	if d < pt.Launch || d >= pt.End {
		return 0
	}
	cat := t.idx.subCat[pt.Subcategory]
	return pt.Base * t.Stores[s].Scale * math.Exp(pt.Trend*float64(d)/365.25) *
		t.idx.day[t.storeKind(s)][cat][d] * priceFactor
}

// Price returns the shelf price of sku at store on the day containing tm
// (regular price times the store's index, less any promotion); NaN if the
// product or store is unknown.
func (t *Truth) Price(sku shelfwise.SKU, store shelfwise.StoreID, tm time.Time) float64 {
	p, ok1 := t.idx.sku[sku]
	s, ok2 := t.idx.store[store]
	if !ok1 || !ok2 {
		return math.NaN()
	}
	d := t.DayIndex(tm)
	pt := &t.Products[p]
	return shelfPrice(pt.regularPrice(d), t.Stores[s].PriceIndex, pt.promo(d))
}

// ExpectedDemand returns the true mean demand (units, before stockouts) of
// sku at store on the day containing tm; 0 outside the horizon and NaN for
// an unknown product or store.
func (t *Truth) ExpectedDemand(sku shelfwise.SKU, store shelfwise.StoreID, tm time.Time) float64 {
	p, ok1 := t.idx.sku[sku]
	s, ok2 := t.idx.store[store]
	if !ok1 || !ok2 {
		return math.NaN()
	}
	d := t.DayIndex(tm)
	if d < 0 || d >= t.Days {
		return 0
	}
	return t.expected(p, s, d)
}

func (t *Truth) expected(p, s, d int) float64 {
	pt := &t.Products[p]
	pr := pt.promo(d)
	price := shelfPrice(pt.regularPrice(d), t.Stores[s].PriceIndex, pr)
	return t.mean(p, s, d, t.priceFactor(pt, price, pr))
}

// ExpectedSeries returns the true mean demand of sku at store for every
// day of the horizon (nil if unknown).
func (t *Truth) ExpectedSeries(sku shelfwise.SKU, store shelfwise.StoreID) []float64 {
	p, ok1 := t.idx.sku[sku]
	s, ok2 := t.idx.store[store]
	if !ok1 || !ok2 {
		return nil
	}
	out := make([]float64, t.Days)
	for d := range out {
		out[d] = t.expected(p, s, d)
	}
	return out
}

// Elasticity returns the true price elasticity of sku (NaN if unknown).
func (t *Truth) Elasticity(sku shelfwise.SKU) float64 {
	p, ok := t.idx.sku[sku]
	if !ok {
		return math.NaN()
	}
	return t.Products[p].Elasticity
}

// Product returns the truth of sku.
func (t *Truth) Product(sku shelfwise.SKU) (ProductTruth, bool) {
	p, ok := t.idx.sku[sku]
	if !ok {
		return ProductTruth{}, false
	}
	return t.Products[p], true
}

// IsCensored reports whether demand of sku at store exceeded the stock on
// the day containing tm (order-line mode only).
func (t *Truth) IsCensored(sku shelfwise.SKU, store shelfwise.StoreID, tm time.Time) bool {
	p, ok1 := t.idx.sku[sku]
	s, ok2 := t.idx.store[store]
	if !ok1 || !ok2 {
		return false
	}
	return t.idx.censored[seriesKey{p, s}][t.DayIndex(tm)]
}
