package global

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// DailyCalendar holds the dated events and SNAP-like days (food-stamp or
// payday dates, per region) that the daily model reads as features of the
// target day. Events are known in advance, so they are read for forecast
// days too.
type DailyCalendar struct {
	// names are the event names; code c (1-based) is names[c-1].
	names []string
	// events maps a day number (days since 1970-01-01) to its event code.
	events map[int64]int
	// eventDays are the days holding an event, ascending.
	eventDays []int64
	// snap maps a region ("" = every region) to its SNAP-like days.
	snap map[string]map[int64]bool
}

// NewDailyCalendar indexes calendar events: type "snap" or "payday" (any
// case) marks a SNAP-like day of its region (empty region: every region);
// every other event is a named event. Two events on one day keep the first
// name in sorted order.
func NewDailyCalendar(evs []shelfwise.CalendarEvent) *DailyCalendar {
	c := &DailyCalendar{events: map[int64]int{}, snap: map[string]map[int64]bool{}}
	seen := map[string]bool{}
	for _, e := range evs {
		switch strings.ToLower(e.Type) {
		case "snap", "payday":
			continue
		}
		if !seen[e.Name] {
			seen[e.Name] = true
			c.names = append(c.names, e.Name)
		}
	}
	slices.Sort(c.names)
	code := map[string]int{}
	for i, n := range c.names {
		code[n] = i + 1
	}
	for _, e := range evs {
		d := dayNumber(e.Date)
		switch strings.ToLower(e.Type) {
		case "snap", "payday":
			r := strings.ToUpper(e.Region)
			if c.snap[r] == nil {
				c.snap[r] = map[int64]bool{}
			}
			c.snap[r][d] = true
			continue
		}
		if old, ok := c.events[d]; !ok || code[e.Name] < old {
			c.events[d] = code[e.Name]
		}
	}
	for d := range c.events {
		c.eventDays = append(c.eventDays, d)
	}
	slices.Sort(c.eventDays)
	return c
}

// dayNumber is the number of whole days from 1970-01-01 to t's date.
func dayNumber(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// eventFeatures returns the event code on day d, the days to and the code
// of the next event within a fortnight (15 and 0 without one) and the days
// since the last event within a week (8 without one).
func (c *DailyCalendar) eventFeatures(d int64) (code, toNext, nextCode, sinceLast float64) {
	toNext, sinceLast = 15, 8
	if c == nil {
		return
	}
	code = float64(c.events[d])
	i, _ := slices.BinarySearch(c.eventDays, d+1)
	if i < len(c.eventDays) && c.eventDays[i]-d <= 14 {
		toNext, nextCode = float64(c.eventDays[i]-d), float64(c.events[c.eventDays[i]])
	}
	j, _ := slices.BinarySearch(c.eventDays, d)
	if j < len(c.eventDays) && c.eventDays[j] == d {
		sinceLast = 0
	} else if j > 0 && d-c.eventDays[j-1] <= 7 {
		sinceLast = float64(d - c.eventDays[j-1])
	}
	return
}

// snapFeatures returns whether day d is a SNAP-like day of region (or of
// every region) and the days since the last such day (capped at 31).
func (c *DailyCalendar) snapFeatures(region string, d int64) (on, since float64) {
	since = 31
	if c == nil {
		return 0, since
	}
	is := func(x int64) bool { return c.snap[region][x] || c.snap[""][x] }
	for k := int64(0); k < 31; k++ {
		if is(d - k) {
			since = float64(k)
			break
		}
	}
	if since == 0 {
		on = 1
	}
	return on, since
}

// Daily feature columns.
const (
	dfStep = iota
	dfDow
	dfDom
	dfMonth
	dfEvent
	dfToEvent
	dfNextEvent
	dfSinceEvent
	dfSnap
	dfSinceSnap
	dfPriceRel
	dfPriceRef
	dfPromo
	dfPromoNow
	dfDept
	dfCat
	dfStore
	dfLag1
	dfLag2
	dfLag3
	dfLag7
	dfSameDow
	dfDowMean
	dfDowRatio
	dfMean7
	dfMean28
	dfMean91
	dfMean364
	dfSD28
	dfZero28
	dfSinceSale
	dfAge
	dfYear
	dfYearAgo
	dailyFeatures
)

// dailyFeatureNames name the columns, for importances and explanations.
var dailyFeatureNames = [dailyFeatures]string{
	"step", "day_of_week", "day_of_month", "month", "event", "days_to_event", "next_event",
	"days_since_event", "snap", "days_since_snap", "price_vs_last", "price_vs_year", "promo",
	"promo_at_origin", "department", "category", "store", "lag1", "lag2", "lag3", "lag7",
	"same_weekday_last", "same_weekday_mean8", "weekday_ratio", "mean7", "mean28", "mean91",
	"mean364", "sd28", "zero_share28", "days_since_sale", "age", "yearly_ratio", "year_ago",
}

// DailyFeatureNames returns the daily model's feature names in column order.
func DailyFeatureNames() []string { return dailyFeatureNames[:] }

// dailySeries is what the features need of one series besides its values.
type dailySeries struct {
	s                *shelfwise.Series
	dept, cat, store float64
	region           string
	// first is the first step the product was on sale.
	first int
}

// originState holds the features of a series that depend only on the
// origin o (the first forecast step): they are shared by every step.
type originState struct {
	o                              int
	values                         []float64
	lag1, lag2, lag3, lag7         float64
	mean7, mean28, mean91, mean364 float64
	sd28, zero28, sinceSale, age   float64
	// dowMean is the mean of each weekday over the last 8 weeks and
	// dowRatio its ratio to the 8 weeks' mean.
	dowMean, dowRatio             [7]float64
	lastPrice, refPrice, promoNow float64
	// yearBase is the mean of the 28 days a year before o.
	yearBase      float64
	hasYear       bool
	originDay     int64
	originWeekday int
}

// windowMean is the mean of y over [max(lo, first), hi), NaN when empty.
func windowMean(y []float64, lo, hi, first int) float64 {
	lo = max(lo, first, 0)
	if hi <= lo {
		return math.NaN()
	}
	s := 0.0
	for _, v := range y[lo:hi] {
		s += v
	}
	return s / float64(hi-lo)
}

// lagAt is y[t] when first <= t < o, else NaN.
func lagAt(y []float64, t, first, o int) float64 {
	if t < first || t < 0 || t >= o {
		return math.NaN()
	}
	return y[t]
}

// newOriginState computes the origin features of ds at origin o (only
// values before o are read).
func newOriginState(ds *dailySeries, o int) originState {
	s := ds.s
	y := s.Values
	f := ds.first
	st := originState{o: o, values: y}
	st.lag1, st.lag2, st.lag3, st.lag7 = lagAt(y, o-1, f, o), lagAt(y, o-2, f, o), lagAt(y, o-3, f, o), lagAt(y, o-7, f, o)
	st.mean7, st.mean28 = windowMean(y, o-7, o, f), windowMean(y, o-28, o, f)
	st.mean91, st.mean364 = windowMean(y, o-91, o, f), windowMean(y, o-364, o, f)
	var ss, zeros float64
	n := 0
	for t := max(o-28, f, 0); t < o; t++ {
		d := y[t] - st.mean28
		ss += d * d
		if y[t] == 0 {
			zeros++
		}
		n++
	}
	st.sd28, st.zero28 = math.NaN(), math.NaN()
	if n > 0 {
		st.sd28, st.zero28 = math.Sqrt(ss/float64(n)), zeros/float64(n)
	}
	st.sinceSale = 365
	for t := o - 1; t >= max(f, o-365, 0); t-- {
		if y[t] > 0 {
			st.sinceSale = float64(o - 1 - t)
			break
		}
	}
	st.age = float64(min(o-f, 1000))
	st.originDay = dayNumber(s.Time(o))
	st.originWeekday = int(s.Time(o).Weekday())
	// Weekday means over the last 8 weeks, and their ratio to the mean.
	m56 := windowMean(y, o-56, o, f)
	for j := 1; j <= 7; j++ {
		t0 := o - j // weekday of step o-j
		wd := (st.originWeekday - j%7 + 7) % 7
		var sum float64
		cnt := 0
		for t := t0; t >= max(o-56, f, 0); t -= 7 {
			sum += y[t]
			cnt++
		}
		st.dowMean[wd], st.dowRatio[wd] = math.NaN(), math.NaN()
		if cnt > 0 {
			st.dowMean[wd] = sum / float64(cnt)
			if m56 > 0 {
				st.dowRatio[wd] = st.dowMean[wd] / m56
			}
		}
	}
	// Prices: the last known one and the year's mean.
	st.lastPrice, st.refPrice = math.NaN(), math.NaN()
	if s.Price != nil {
		var sum float64
		cnt := 0
		for t := o - 1; t >= max(f, o-364, 0); t-- {
			if p := s.Price[t]; p > 0 {
				if math.IsNaN(st.lastPrice) {
					st.lastPrice = p
				}
				sum += p
				cnt++
			}
		}
		if cnt > 0 {
			st.refPrice = sum / float64(cnt)
		}
	}
	if s.Promo != nil && o >= 1 {
		st.promoNow = s.Promo[o-1]
	}
	if o-364-28 >= f {
		st.yearBase = windowMean(y, o-364-28, o-364, f)
		st.hasYear = true
	}
	return st
}

// knownAt returns the price and promotion of step t, known in advance:
// from the series where it covers t, else from future (nil: the last known
// price and no promotion). ok is false when the product is known not to be
// on sale at t.
func knownAt(ds *dailySeries, st *originState, t int, future func(*shelfwise.Series, int) (float64, float64, bool)) (price, promo float64, ok bool) {
	s := ds.s
	if t < len(s.Values) {
		price, promo, ok = math.NaN(), 0, true
		if s.Price != nil && s.Price[t] > 0 {
			price = s.Price[t]
		}
		if s.Promo != nil {
			promo = s.Promo[t]
		}
		if s.Available != nil && !s.Available[t] {
			ok = false
		}
		return
	}
	if future != nil {
		return future(s, t)
	}
	return st.lastPrice, 0, true
}

// fill writes the features of step k (1-based) from origin st into row.
func (ds *dailySeries) fill(row []float64, st *originState, k int, cal *DailyCalendar, price, promo float64) {
	t := st.o + k - 1
	y := st.values
	f := ds.first
	day := st.originDay + int64(k-1)
	date := time.Unix(day*86400, 0).UTC()
	wd := int(date.Weekday())
	row[dfStep] = float64(k)
	row[dfDow] = float64(wd)
	row[dfDom] = float64(date.Day())
	row[dfMonth] = float64(date.Month())
	row[dfEvent], row[dfToEvent], row[dfNextEvent], row[dfSinceEvent] = cal.eventFeatures(day)
	row[dfSnap], row[dfSinceSnap] = cal.snapFeatures(ds.region, day)
	row[dfPriceRel], row[dfPriceRef] = math.NaN(), math.NaN()
	if price > 0 {
		row[dfPriceRel] = price / st.lastPrice
		row[dfPriceRef] = price / st.refPrice
	}
	row[dfPromo] = promo
	row[dfPromoNow] = st.promoNow
	row[dfDept], row[dfCat], row[dfStore] = ds.dept, ds.cat, ds.store
	row[dfLag1], row[dfLag2], row[dfLag3], row[dfLag7] = st.lag1, st.lag2, st.lag3, st.lag7
	// The latest same weekday before the origin.
	row[dfSameDow] = lagAt(y, t-7*((k+6)/7), f, st.o)
	row[dfDowMean], row[dfDowRatio] = st.dowMean[wd], st.dowRatio[wd]
	row[dfMean7], row[dfMean28], row[dfMean91], row[dfMean364] = st.mean7, st.mean28, st.mean91, st.mean364
	row[dfSD28], row[dfZero28], row[dfSinceSale], row[dfAge] = st.sd28, st.zero28, st.sinceSale, st.age
	row[dfYear], row[dfYearAgo] = math.NaN(), math.NaN()
	if st.hasYear {
		ya := windowMean(y, t-364-3, t-364+4, f)
		row[dfYearAgo] = ya
		if st.yearBase > 0 {
			row[dfYear] = ya / st.yearBase
		}
	}
}
