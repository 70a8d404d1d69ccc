package recommend

import (
	"context"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// ItemStats summarise a customer's purchases of one item: the raw material
// of the repeat-purchase model and of its explanations.
type ItemStats struct {
	Item    int32
	Lines   int     // purchase lines
	Baskets int     // distinct baskets containing the item
	First   int64   // first purchase (Unix seconds)
	Last    int64   // latest purchase (Unix seconds)
	Qty     float64 // total quantity
	// Recent counts the lines of the last RecentDays before the latest
	// purchase of the history.
	Recent int
}

// RecentDays is the window of ItemStats.Recent.
const RecentDays = 60

// CycleDays is the customer's mean interval between baskets containing the
// item, in days; 0 when bought in fewer than two baskets.
func (s ItemStats) CycleDays() float64 {
	if s.Baskets < 2 {
		return 0
	}
	return float64(s.Last-s.First) / 86400 / float64(s.Baskets-1)
}

// Summary summarises a customer's history: per-item statistics (in order of
// first purchase) and customer-level counts.
type Summary struct {
	Items    []ItemStats
	Baskets  int   // distinct baskets
	MaxLines int   // largest line count of any item
	First    int64 // first purchase (Unix seconds)
	// RepeatRate is the share of lines, after the first basket, of items
	// bought in an earlier basket: how much this customer re-buys.
	RepeatRate float64
	// Last is the latest purchase (Unix seconds); RecentBaskets counts the
	// baskets of the last RecentDays before it.
	Last          int64
	RecentBaskets int
}

// Summarize builds the Summary of a history.
func Summarize(h []Event) *Summary {
	sm := &Summary{}
	buf := summarizePool.Get().(*summarizeBuf)
	defer summarizePool.Put(buf)
	clear(buf.pos)
	items := buf.items[:0]
	// Per item (by place): the basket of its latest line and of its first.
	lastBasket, firstBasket := buf.lastBasket[:0], buf.firstBasket[:0]
	var end int64
	if len(h) > 0 {
		end = h[len(h)-1].Time
	}
	first := int32(-3)
	repeats, later := 0, 0
	for k, e := range h {
		if k == 0 {
			first = e.Basket
			sm.First = e.Time
		}
		p, ok := buf.pos[e.Item]
		if e.Basket != first {
			later++
			if ok && firstBasket[p] != e.Basket {
				repeats++
			}
		}
		if !ok {
			p = int32(len(items))
			buf.pos[e.Item] = p
			items = append(items, ItemStats{Item: e.Item, First: e.Time})
			lastBasket = append(lastBasket, -2)
			firstBasket = append(firstBasket, e.Basket)
		}
		s := &items[p]
		s.Lines++
		if end-e.Time <= RecentDays*86400 {
			s.Recent++
		}
		s.Qty += float64(e.Qty)
		s.Last = e.Time
		if lastBasket[p] != e.Basket {
			lastBasket[p] = e.Basket
			s.Baskets++
		}
		sm.MaxLines = max(sm.MaxLines, s.Lines)
	}
	if len(items) > 0 {
		sm.Items = slices.Clone(items)
	}
	buf.items, buf.lastBasket, buf.firstBasket = items, lastBasket, firstBasket
	if later > 0 {
		sm.RepeatRate = float64(repeats) / float64(later)
	}
	sm.Last = end
	sm.Baskets, sm.RecentBaskets = basketCounts(h, end)
	return sm
}

// summarizeBuf holds Summarize's scratch between calls (summarizePool).
type summarizeBuf struct {
	pos                     map[int32]int32 // item -> its place in items
	items                   []ItemStats
	lastBasket, firstBasket []int32
}

var summarizePool = sync.Pool{New: func() any { return &summarizeBuf{pos: map[int32]int32{}} }}

// basketCounts returns the number of distinct baskets of history h and how
// many of them have their latest line within RecentDays of end. A history
// read from the store holds each basket in one run of lines, the runs in
// increasing basket order; that is checked as it goes, and any other
// history is counted with a map.
func basketCounts(h []Event, end int64) (baskets, recent int) {
	runs := 0
	for k := 0; k < len(h); {
		b, latest := h[k].Basket, h[k].Time
		k++
		for ; k < len(h) && h[k].Basket == b; k++ {
			latest = max(latest, h[k].Time)
		}
		if k < len(h) && h[k].Basket <= b {
			return basketCountsMap(h, end) // a basket may come back later
		}
		runs++
		if end-latest <= RecentDays*86400 {
			recent++
		}
	}
	return runs, recent
}

// basketCountsMap is basketCounts for any history.
func basketCountsMap(h []Event, end int64) (baskets, recent int) {
	last := make(map[int32]int64) // basket -> time of its latest line
	for _, e := range h {
		if t, ok := last[e.Basket]; !ok || e.Time > t {
			last[e.Basket] = e.Time
		}
	}
	for _, t := range last {
		if end-t <= RecentDays*86400 {
			recent++
		}
	}
	return len(last), recent
}

// RepeatFeatures are the repeat-purchase signals of one history item at a
// scoring time, each in [0, 1] or a log count.
type RepeatFeatures struct {
	LogLines float64 // log(1 + lines)
	// LogRecent is log(1 + lines in the last RecentDays of the history).
	LogRecent float64
	Share     float64 // share of the customer's baskets that contain the item
	Rec7      float64 // exp(-age/7 days), age = time since the latest purchase
	Rec30     float64 // exp(-age/30 days)
	Rec120    float64 // exp(-age/120 days)
	// Rate30 is the chance of at least one purchase in the next 30 days if
	// the customer keeps buying the item at their average rate since their
	// first purchase (Poisson): 1 - exp(-30 x baskets / span days).
	Rate30 float64
	// RecentRate is the same from the lines of the last RecentDays.
	RecentRate float64
	// ItemDue is Due with the item's typical cycle over all customers.
	ItemDue float64
	// RepeatRate is the customer's Summary.RepeatRate (the same for all of
	// their items): it lets the blend favour own items for customers who
	// re-buy a lot.
	RepeatRate float64
	// Due peaks at 1 when the time since the latest purchase equals the
	// customer's own buying cycle for the item; 0 without a cycle.
	Due float64
	// The customer's activity (the same for all of their items, so the
	// blend can weigh own items against new ones per kind of customer):
	// UserBaskets is log(1 + baskets), UserRecent log(1 + baskets in the
	// last RecentDays of the history), UserActive exp(-days since the
	// customer's latest purchase / 30).
	UserBaskets, UserRecent, UserActive float64
	// LastBasket is 1 when the item is in the customer's latest basket.
	LastBasket float64
}

// NumRepeatFeatures is the number of fields of RepeatFeatures.
const NumRepeatFeatures = 15

// Repeat computes the repeat features of item statistics s of a customer
// summarised by sm at time now. itemCycle is the item's typical buying
// cycle over all customers in days (0 if unknown): it makes an item bought
// once "due" when that typical interval has passed. For many items of one
// customer, repeatOf computes the customer's part once.
func Repeat(s ItemStats, sm *Summary, now int64, itemCycle float64) RepeatFeatures {
	u := repeatOf(sm, now)
	return u.item(s, itemCycle)
}

// customerRepeat is the part of the repeat features that depends on the
// customer only, at one scoring time.
type customerRepeat struct {
	now, last                              int64
	baskets                                int
	repeatRate, logBaskets, logRecent, act float64
}

// repeatOf is the customer part of the repeat features of sm's items at
// time now.
func repeatOf(sm *Summary, now int64) customerRepeat {
	return customerRepeat{
		now: now, last: sm.Last, baskets: sm.Baskets,
		repeatRate: sm.RepeatRate,
		logBaskets: log1pCount(sm.Baskets),
		logRecent:  log1pCount(sm.RecentBaskets),
		act:        math.Exp(-math.Max(0, float64(now-sm.Last)/86400) / 30),
	}
}

// item is Repeat of the customer's item statistics s.
func (u *customerRepeat) item(s ItemStats, itemCycle float64) RepeatFeatures {
	now := u.now
	age := math.Max(0, float64(now-s.Last)/86400)
	f := RepeatFeatures{
		LogLines:  log1pCount(s.Lines),
		LogRecent: log1pCount(s.Recent),
		Share:     float64(s.Baskets) / float64(max(1, u.baskets)),
		Rec7:      math.Exp(-age / 7),
		Rec30:     math.Exp(-age / 30),
		Rec120:    math.Exp(-age / 120),
	}
	if span := math.Max(30, float64(now-s.First)/86400); s.Baskets > 0 {
		f.Rate30 = 1 - math.Exp(-30*float64(s.Baskets)/span)
	}
	f.RecentRate = counted(&recentRates, s.Recent, recentRate)
	f.RepeatRate = u.repeatRate
	f.UserBaskets = u.logBaskets
	f.UserRecent = u.logRecent
	f.UserActive = u.act
	if s.Last == u.last {
		f.LastBasket = 1
	}
	if c := s.CycleDays(); c > 0 {
		x := math.Log((age + 1) / (c + 1))
		f.Due = math.Exp(-x * x / 2)
	}
	if itemCycle > 0 {
		x := math.Log((age + 1) / (itemCycle + 1))
		f.ItemDue = math.Exp(-x * x / 2)
	}
	return f
}

// recentRate is RepeatFeatures.RecentRate of n lines in the last
// RecentDays.
func recentRate(n int) float64 { return 1 - math.Exp(-30*float64(n)/RecentDays) }

// log1pInt is log(1 + n).
func log1pInt(n int) float64 { return math.Log1p(float64(n)) }

// log1pCount is log1pInt(n), from its table for small counts.
func log1pCount(n int) float64 { return counted(&log1pCounts, n, log1pInt) }

// counted is f(n), read from tab (f of 0 to 255) when n is in it: the same
// values, without the logarithm or exponential.
func counted(tab *[256]float64, n int, f func(int) float64) float64 {
	if n >= 0 && n < len(tab) {
		return tab[n]
	}
	return f(n)
}

// log1pCounts and recentRates hold log1pInt and recentRate of the counts
// below 256, which cover nearly every customer and item.
var log1pCounts, recentRates = func() (l, r [256]float64) {
	for n := range l {
		l[n] = log1pInt(n)
		r[n] = recentRate(n)
	}
	return l, r
}()

// Vector returns the features in a fixed order.
func (f RepeatFeatures) Vector() [NumRepeatFeatures]float64 {
	return [NumRepeatFeatures]float64{f.LogLines, f.LogRecent, f.Share, f.Rec7, f.Rec30, f.Rec120, f.Rate30, f.RecentRate, f.RepeatRate, f.Due, f.ItemDue,
		f.UserBaskets, f.UserRecent, f.UserActive, f.LastBasket}
}

// RepeatNames names the repeat features in Vector order.
var RepeatNames = [NumRepeatFeatures]string{"lines", "recent_lines", "share", "recency7", "recency30", "recency120", "rate30", "recent_rate", "repeat_rate", "due", "item_due",
	"user_baskets", "user_recent", "user_active", "last_basket_item"}

// RepeatModel is the standalone repeat-purchase model: it ranks the items a
// customer bought by a weighted sum of the repeat features, ties and the
// rest of the catalogue by popularity.
type RepeatModel struct {
	Weights [NumRepeatFeatures]float64
	pop     []float64
}

// DefaultRepeatWeights favour items bought often, recently and now due.
var DefaultRepeatWeights = [NumRepeatFeatures]float64{1, 0, 2, 0.5, 0.5, 0.5, 0, 0, 0, 0.5}

// TrainRepeat is the Trainer of the repeat-purchase model with default weights.
func TrainRepeat(_ context.Context, lg *Log) (Scorer, error) {
	pop := DistinctCustomers(lg)
	m := 0.0
	for _, p := range pop {
		m = max(m, p)
	}
	for i := range pop {
		pop[i] /= m + 1
	}
	return &RepeatModel{Weights: DefaultRepeatWeights, pop: pop}, nil
}

// Score implements Scorer.
func (r *RepeatModel) Score(q *Query, out []float64) {
	copy(out, r.pop)
	for i := range out {
		out[i] *= 1e-3
	}
	sm := q.Summary()
	rep := repeatOf(sm, q.Now)
	for _, s := range sm.Items {
		v := rep.item(s, 0).Vector()
		sum := 1.0
		for k, w := range r.Weights {
			sum += w * v[k]
		}
		out[s.Item] += sum
	}
}

// ItemRepeat describes how items are re-bought across all customers. As a
// Scorer it scores each item by its repeatability: the share of its buyers
// who bought it in two or more baskets. Rate and Cycle must not change
// once the model scores.
type ItemRepeat struct {
	Rate []float64
	// Cycle is the median over repeat buyers of their mean interval between
	// baskets with the item, in days (0 when nobody re-bought it).
	Cycle []float64

	norm atomic.Pointer[fixedScores] // Rate normalised (built on first use)
}

// NewItemRepeat computes repeatability and typical cycles from a log.
func NewItemRepeat(lg *Log) *ItemRepeat {
	n := lg.NumItems()
	r := &ItemRepeat{Rate: make([]float64, n), Cycle: make([]float64, n)}
	buyers := make([]float64, n)
	cycles := make([][]float64, n)
	for _, h := range lg.Histories {
		for _, s := range Summarize(h).Items {
			buyers[s.Item]++
			if c := s.CycleDays(); c > 0 {
				cycles[s.Item] = append(cycles[s.Item], c)
			}
		}
	}
	for i := range r.Rate {
		if buyers[i] > 0 {
			r.Rate[i] = float64(len(cycles[i])) / (buyers[i] + 1)
		}
		if cs := cycles[i]; len(cs) > 0 {
			sort.Float64s(cs)
			r.Cycle[i] = cs[len(cs)/2]
		}
	}
	return r
}

// Score implements Scorer.
func (r *ItemRepeat) Score(_ *Query, out []float64) { copy(out, r.Rate) }

// normalized implements fixedScorer.
func (r *ItemRepeat) normalized() *fixedScores { return loadFixed(&r.norm, r.Rate) }

// itemCycle is the typical cycle of item i per the hybrid's ItemRepeat
// component, 0 without one.
func itemCycle(comps []Component, i int32) float64 {
	return cycleOf(itemCycles(comps), i)
}
