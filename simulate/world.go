package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/calendar"
)

// deptTemplates names departments and their categories; configs asking for
// more than listed reuse them with a number.
var deptTemplates = []struct {
	name string
	cats []string
}{
	{"Grocery", []string{"Snacks", "Beverages", "Dairy", "Bakery", "Pantry", "Frozen"}},
	{"Household", []string{"Cleaning", "Paper", "Laundry", "Kitchen", "Pets"}},
	{"Toys & Gifts", []string{"Games", "Plush", "Crafts", "Seasonal", "Cards"}},
	{"Personal Care", []string{"Hair", "Skin", "Oral", "Health", "Baby"}},
	{"Home", []string{"Decor", "Bedding", "Storage", "Garden", "Lighting"}},
	{"Apparel", []string{"Women", "Men", "Kids", "Accessories", "Shoes"}},
}

var subcatVariants = []string{"Classic", "Premium", "Value", "Organic", "Family", "Mini", "Deluxe", "Eco"}

// eventDefs are the holidays and events of every year: a base lift, its
// spread across departments, and the window around the date.
var eventDefs = []struct {
	name, typ   string
	lift, sd    float64
	lead, lag   int
	closes      bool
	date        func(year int) time.Time
	monthlyDays bool
}{
	{"NewYear", "National", 0.85, 0.08, 0, 1, false, fixedDate(1, 1), false},
	{"Valentine", "Cultural", 1.15, 0.15, 3, 0, false, fixedDate(2, 14), false},
	{"Easter", "Religious", 1.2, 0.12, 3, 1, false, easter, false},
	{"MothersDay", "Cultural", 1.15, 0.12, 4, 0, false, nthWeekday(5, time.Sunday, 2), false},
	{"Halloween", "Cultural", 1.2, 0.18, 5, 0, false, fixedDate(10, 31), false},
	{"BlackFriday", "Shopping", 1.5, 0.2, 0, 3, false, blackFriday, false},
	{"Christmas", "Religious", 1.35, 0.15, 10, 0, true, fixedDate(12, 25), false},
	{"Payday", "Payday", 1.08, 0.04, 0, 2, false, nil, true},
}

// promoKinds and their lifts on top of the discount's price effect.
var promoKinds = []string{"deal", "display", "feature", "mailer"}

var promoLifts = map[string]float64{"deal": 1, "display": 1.3, "feature": 1.6, "mailer": 1.2}

var promoDiscounts = []float64{0.1, 0.15, 0.2, 0.25, 0.33}

var regions = []string{"North", "South", "East", "West", "Central"}

func fixedDate(m time.Month, d int) func(int) time.Time {
	return func(y int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
}

// nthWeekday returns the n-th given weekday of month m.
func nthWeekday(m time.Month, wd time.Weekday, n int) func(int) time.Time {
	return func(y int) time.Time {
		d := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		for d.Weekday() != wd {
			d = d.AddDate(0, 0, 1)
		}
		return d.AddDate(0, 0, 7*(n-1))
	}
}

// blackFriday is the day after the fourth Thursday of November.
func blackFriday(y int) time.Time {
	return nthWeekday(11, time.Thursday, 4)(y).AddDate(0, 0, 1)
}

// easter returns Easter Sunday of year y.
func easter(y int) time.Time { return calendar.Easter(y) }

// newWorld draws every parameter of the simulation from the setup
// generator. The partitions draw their own randomness later.
func newWorld(cfg Config) *Truth {
	r := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x5e7a9))
	t := &Truth{
		Version:        Version,
		Fingerprint:    cfg.Fingerprint(),
		Seed:           cfg.Seed,
		Start:          cfg.Start,
		Days:           cfg.Days,
		Aggregate:      cfg.Aggregate,
		PromoLift:      promoLifts,
		BrandBoost:     1,
		AnonymousShare: cfg.AnonymousShare,
		Counts:         map[string]int64{},
	}
	t.drawHierarchy(r, cfg)
	t.drawEvents(cfg)
	sort.SliceStable(t.Events, func(i, j int) bool { return t.Events[i].Day < t.Events[j].Day })
	t.drawStores(r, cfg)
	t.drawProducts(r, cfg)
	t.Sessions = newSessionModel(cfg)
	if !cfg.Aggregate {
		t.drawCustomers(r, cfg)
	}
	t.prepare()
	return t
}

func (t *Truth) drawHierarchy(r *rand.Rand, cfg Config) {
	for d := 0; d < cfg.Departments; d++ {
		tpl := deptTemplates[d%len(deptTemplates)]
		name := tpl.name
		if d >= len(deptTemplates) {
			name = fmt.Sprintf("%s %d", name, d/len(deptTemplates)+1)
		}
		dept := DepartmentTruth{Name: name, EventLift: map[string]float64{}, ReturnFactor: 1}
		switch tpl.name {
		case "Grocery":
			dept.ReturnFactor = 0.3
		case "Apparel":
			dept.ReturnFactor = 3
		}
		// weekend peak, mild noise, normalised to mean 1
		w := 0.05 + 0.4*r.Float64()
		var sum float64
		for wd := range 7 {
			x := 0.04 * r.NormFloat64()
			switch time.Weekday(wd) {
			case time.Saturday:
				x += w
			case time.Sunday:
				x += 0.8 * w
			case time.Friday:
				x += 0.3 * w
			}
			dept.Weekly[wd] = math.Exp(x)
			sum += dept.Weekly[wd]
		}
		for wd := range 7 {
			dept.Weekly[wd] *= 7 / sum
		}
		for _, e := range eventDefs {
			lift := math.Exp(math.Log(e.lift) + e.sd*r.NormFloat64())
			if e.name == "Christmas" && tpl.name == "Toys & Gifts" {
				lift *= 1.8
			}
			dept.EventLift[e.name] = round(lift, 4)
		}
		t.Departments = append(t.Departments, dept)
		for c := 0; c < cfg.CategoriesPerDepartment; c++ {
			cname := tpl.cats[c%len(tpl.cats)]
			if c >= len(tpl.cats) {
				cname = fmt.Sprintf("%s %d", cname, c/len(tpl.cats)+1)
			}
			amp := 0.0
			if r.Float64() < 0.75 {
				amp = 0.5 * r.Float64()
			}
			cat := CategoryTruth{
				Name: cname, Department: d,
				Amplitude:  round(amp, 4),
				PeakDay:    round(365*r.Float64(), 2),
				Elasticity: round(-0.8-1.4*r.Float64(), 4),
			}
			ci := len(t.Categories)
			t.Categories = append(t.Categories, cat)
			for s := 0; s < cfg.SubcategoriesPerCategory; s++ {
				sname := cname + " " + subcatVariants[s%len(subcatVariants)]
				if s >= len(subcatVariants) {
					sname = fmt.Sprintf("%s %d", sname, s/len(subcatVariants)+1)
				}
				sd := math.Pow(float64(cfg.Factors), -0.25)
				f := make([]float64, cfg.Factors)
				for i := range f {
					f[i] = round(sd*r.NormFloat64(), 5)
				}
				t.Subcategories = append(t.Subcategories, SubcategoryTruth{Name: sname, Category: ci, Factor: f})
			}
		}
	}
	for b := 0; b < cfg.Brands; b++ {
		t.Brands = append(t.Brands, brandName(r, b))
	}
}

var syllables = []string{"ka", "lo", "mi", "ra", "ve", "no", "ta", "si", "du", "be", "fi", "go", "ul", "an", "or", "ze"}

// brandName invents a pronounceable brand name, unique by its number.
func brandName(r *rand.Rand, b int) string {
	var sb strings.Builder
	for range 2 + r.IntN(2) {
		sb.WriteString(syllables[r.IntN(len(syllables))])
	}
	s := sb.String()
	return fmt.Sprintf("%s%s %d", strings.ToUpper(s[:1]), s[1:], b+1)
}

// drawEvents lists every event occurrence whose window touches the horizon.
func (t *Truth) drawEvents(cfg Config) {
	end := cfg.Start.AddDate(0, 0, cfg.Days)
	for y := cfg.Start.Year(); y <= end.Year(); y++ {
		for _, e := range eventDefs {
			var dates []time.Time
			if e.monthlyDays {
				for m := time.January; m <= time.December; m++ {
					dates = append(dates, time.Date(y, m, 1, 0, 0, 0, 0, time.UTC))
				}
			} else {
				dates = []time.Time{e.date(y)}
			}
			for _, dt := range dates {
				day := t.DayIndex(dt)
				if day+e.lag < 0 || day-e.lead >= cfg.Days {
					continue
				}
				t.Events = append(t.Events, EventTruth{Name: e.name, Type: e.typ, Day: day, Lead: e.lead, Lag: e.lag, Closes: e.closes})
			}
		}
	}
}

func (t *Truth) drawStores(r *rand.Rand, cfg Config) {
	for s := 0; s < cfg.Stores; s++ {
		t.Stores = append(t.Stores, StoreTruth{
			ID:         shelfwise.StoreID(fmt.Sprintf("ST%02d", s+1)),
			Scale:      round(math.Exp(0.35*r.NormFloat64()), 4),
			PriceIndex: round(0.95+0.1*r.Float64(), 3),
		})
	}
	if cfg.Online {
		t.Stores = append(t.Stores, StoreTruth{ID: "WEB", Online: true, Scale: 0.5, PriceIndex: 0.97})
	}
}

func (t *Truth) drawProducts(r *rand.Rand, cfg Config) {
	K := len(t.Subcategories)
	perDept := make([]int, len(t.Departments))
	firstCat := make([]int, len(t.Departments))
	for c := len(t.Categories) - 1; c >= 0; c-- {
		firstCat[t.Categories[c].Department] = c
	}
	for i := 0; i < cfg.Products; i++ {
		sub := i % K
		if i >= K {
			sub = r.IntN(K)
		}
		cat := t.Subcategories[sub].Category
		dept := t.Categories[cat].Department
		perDept[dept]++
		code := strings.ToUpper(strings.Fields(strings.ReplaceAll(t.Departments[dept].Name, "&", " "))[0])
		p := ProductTruth{
			SKU:         shelfwise.SKU(fmt.Sprintf("%s_%d_%04d", code, cat-firstCat[dept]+1, perDept[dept])),
			Subcategory: sub,
			Brand:       r.IntN(len(t.Brands)),
			Base:        round(cfg.MeanUnits*math.Exp(r.NormFloat64()), 6),
			Trend:       round(0.03+0.12*r.NormFloat64(), 5),
			Elasticity:  round(clamp(t.Categories[cat].Elasticity+0.3*r.NormFloat64(), -3.5, -0.3), 4),
			RefPrice:    math.Max(0.5, round(math.Exp(math.Log(4)+0.8*r.NormFloat64()), 2)),
			Launch:      0,
			End:         cfg.Days,
		}
		p.Cost = round(p.RefPrice*(0.5+0.3*r.Float64()), 2)
		if u := r.Float64(); u < 0.08 {
			p.Launch = int(0.4 * float64(cfg.Days) * r.Float64())
		} else if u < 0.12 {
			p.End = cfg.Days - int(0.3*float64(cfg.Days)*r.Float64())
		}
		p.Prices = drawPrices(r, p.RefPrice, cfg)
		p.Promos = drawPromos(r, cfg)
		t.Products = append(t.Products, p)
	}
}

// drawPrices draws the regular price path: occasional changes of a few
// per cent, drifting up slightly.
func drawPrices(r *rand.Rand, ref float64, cfg Config) []PricePoint {
	out := []PricePoint{{0, ref}}
	if cfg.PriceChangeEvery <= 0 {
		return out
	}
	price := ref
	for day := r.ExpFloat64() * cfg.PriceChangeEvery; int(day) < cfg.Days; day += 7 + r.ExpFloat64()*cfg.PriceChangeEvery {
		next := math.Max(0.1, round(price*math.Exp(0.01+0.08*r.NormFloat64()), 2))
		if next == price {
			continue
		}
		price = next
		if int(day) == out[len(out)-1].Day {
			out[len(out)-1].Price = price
			continue
		}
		out = append(out, PricePoint{int(day), price})
	}
	return out
}

// drawPromos draws non-overlapping chain-wide promotions of 7 or 14 days;
// a quarter of products are never promoted.
func drawPromos(r *rand.Rand, cfg Config) []PromoTruth {
	if cfg.PromoEvery <= 0 || r.Float64() < 0.25 {
		return nil
	}
	var out []PromoTruth
	for day := r.ExpFloat64() * cfg.PromoEvery; int(day) < cfg.Days; {
		start := int(day)
		n := 7 * (1 + r.IntN(2))
		out = append(out, PromoTruth{
			Start:    start,
			End:      min(start+n, cfg.Days),
			Kind:     promoKinds[r.IntN(len(promoKinds))],
			Discount: promoDiscounts[r.IntN(len(promoDiscounts))],
		})
		day = float64(start+n) + 7 + r.ExpFloat64()*cfg.PromoEvery
	}
	return out
}

// drawCustomers draws the customers: a home store (by the stores' scales),
// an activity, a preference factor, a favourite brand and, for some, repeat
// items picked by their preferences among the popular products.
func (t *Truth) drawCustomers(r *rand.Rand, cfg Config) {
	S, K, F := len(t.Stores), len(t.Subcategories), cfg.Factors
	storeCum := make([]float64, S)
	var acc float64
	for s, st := range t.Stores {
		acc += st.Scale
		storeCum[s] = acc
	}
	// products per subcategory, with cumulative base demand for picking
	// repeat items.
	subProducts := make([][]int, K)
	subCum := make([][]float64, K)
	for p, pt := range t.Products {
		subProducts[pt.Subcategory] = append(subProducts[pt.Subcategory], p)
		prev := 0.0
		if n := len(subCum[pt.Subcategory]); n > 0 {
			prev = subCum[pt.Subcategory][n-1]
		}
		subCum[pt.Subcategory] = append(subCum[pt.Subcategory], prev+pt.Base*pt.Base)
	}
	sd := math.Pow(float64(F), -0.25)
	aff := make([]float64, K)
	t.Customers = make([]CustomerTruth, cfg.Customers)
	for i := range t.Customers {
		c := CustomerTruth{
			Key:      cfg.Pseudonymizer.Key(fmt.Sprintf("cust-%06d", i+1)),
			Store:    searchCum(storeCum, r.Float64()*acc),
			Activity: round(math.Exp(0.7*r.NormFloat64()), 4),
			Factor:   make([]float64, F),
			Brand:    r.IntN(len(t.Brands)),
		}
		for f := range c.Factor {
			c.Factor[f] = round(sd*r.NormFloat64(), 5)
		}
		if r.Float64() < cfg.RepeatShare {
			var tot float64
			for k := range K {
				if len(subProducts[k]) > 0 {
					tot += t.affinity(&c, k)
				}
				aff[k] = tot
			}
			for range 1 + r.IntN(3) {
				k := searchCum(aff, r.Float64()*tot)
				cum := subCum[k]
				p := subProducts[k][searchCum(cum, r.Float64()*cum[len(cum)-1])]
				if hasRepeat(c.Repeat, p) {
					continue
				}
				c.Repeat = append(c.Repeat, RepeatTruth{Product: p, Every: 7 + r.IntN(29), Quantity: float64(1 + r.IntN(2))})
			}
		}
		t.Customers[i] = c
	}
}

func hasRepeat(rs []RepeatTruth, p int) bool {
	for _, r := range rs {
		if r.Product == p {
			return true
		}
	}
	return false
}

// searchCum returns the first index whose cumulative weight exceeds x.
func searchCum(cum []float64, x float64) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
