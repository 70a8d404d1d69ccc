package simulate

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/shelfwise/shelfwise"
)

// aggregateChunk is the number of products per partition in aggregate mode.
const aggregateChunk = 1024

// reviewPeriod is the days between stock reviews of a product at a store.
const reviewPeriod = 7

// world is the read-only data every partition shares.
type world struct {
	cfg     Config
	t       *Truth
	dates   []time.Time
	weekday []uint8
	skus    []shelfwise.SKU
	// products of each subcategory with cumulative base demand.
	subProducts [][]int32
	subCum      [][]float64
	// customers of each store with cumulative activity.
	storeCust [][]int32
	storeCum  [][]float64
	// affinity of every customer for every subcategory (flat, c*K+k).
	aff        []float32
	returnRate []float64
	subQuery   []string
}

func newWorldData(cfg Config, t *Truth) *world {
	w := &world{cfg: cfg, t: t}
	w.dates = make([]time.Time, cfg.Days)
	w.weekday = make([]uint8, cfg.Days)
	for d := range w.dates {
		w.dates[d] = t.Date(d)
		w.weekday[d] = uint8(w.dates[d].Weekday())
	}
	K := len(t.Subcategories)
	w.subProducts = make([][]int32, K)
	w.subCum = make([][]float64, K)
	w.skus = make([]shelfwise.SKU, len(t.Products))
	w.returnRate = make([]float64, len(t.Products))
	for p, pt := range t.Products {
		w.skus[p] = pt.SKU
		k := pt.Subcategory
		prev := 0.0
		if n := len(w.subCum[k]); n > 0 {
			prev = w.subCum[k][n-1]
		}
		w.subProducts[k] = append(w.subProducts[k], int32(p))
		w.subCum[k] = append(w.subCum[k], prev+pt.Base)
		dept := t.idx.catDept[t.idx.subCat[k]]
		w.returnRate[p] = cfg.ReturnRate * t.Departments[dept].ReturnFactor
	}
	w.subQuery = make([]string, K)
	for k, s := range t.Subcategories {
		w.subQuery[k] = lower(s.Name)
	}
	if cfg.Aggregate {
		return w
	}
	S := len(t.Stores)
	w.storeCust = make([][]int32, S)
	w.storeCum = make([][]float64, S)
	w.aff = make([]float32, len(t.Customers)*K)
	for c := range t.Customers {
		ct := &t.Customers[c]
		s := ct.Store
		prev := 0.0
		if n := len(w.storeCum[s]); n > 0 {
			prev = w.storeCum[s][n-1]
		}
		w.storeCust[s] = append(w.storeCust[s], int32(c))
		w.storeCum[s] = append(w.storeCum[s], prev+ct.Activity)
		for k := range K {
			w.aff[c*K+k] = float32(t.affinity(ct, k))
		}
	}
	return w
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// partitionSpec names one partition: a store and a product range.
type partitionSpec struct {
	store, p0, p1 int
}

// partitions lays out the work: one partition per store in order-line mode
// (customers span the store's products), store x product chunks otherwise.
func (w *world) partitions() []partitionSpec {
	var out []partitionSpec
	P := len(w.t.Products)
	for s := range w.t.Stores {
		if !w.cfg.Aggregate {
			out = append(out, partitionSpec{s, 0, P})
			continue
		}
		for p0 := 0; p0 < P; p0 += aggregateChunk {
			out = append(out, partitionSpec{s, p0, min(P, p0+aggregateChunk)})
		}
	}
	return out
}

// cell is the state of one product at one store: its current price and
// the stock it sells from.
type cell struct {
	p      int32
	next   int32 // first day on which the price or promotion may change
	arrive int32 // day the order on order arrives
	review uint8 // weekday of the stock review
	lead   uint8
	promo  *PromoTruth
	// price is the shelf price, regular the store's regular price, factor
	// the demand multiplier of price and promotion.
	price, regular, factor float64
	onHand, onOrder        float64
	forecast, cover, z     float64
}

// part is one partition being simulated, with its own generator.
type part struct {
	w     *world
	spec  partitionSpec
	r     *rand.Rand
	kind  int
	cells []cell
	ord   *orderState // nil in aggregate mode
	// hint sizes the next block's slices from the last one, to avoid
	// regrowing them.
	hint [5]int
}

func newPart(w *world, i int, spec partitionSpec) *part {
	pt := &part{w: w, spec: spec, r: partitionRand(w.cfg.Seed, i), kind: w.t.storeKind(spec.store)}
	st := w.t.Stores[spec.store]
	pt.cells = make([]cell, spec.p1-spec.p0)
	for j := range pt.cells {
		p := spec.p0 + j
		prod := &w.t.Products[p]
		c := &pt.cells[j]
		c.p = int32(p)
		c.review = uint8((p + spec.store) % 7)
		c.lead = uint8(1 + pt.r.IntN(3))
		c.cover = 0.85 + 0.35*pt.r.Float64()
		c.z = 0.3 + 1.2*pt.r.Float64()
		c.forecast = prod.Base * st.Scale
		c.onHand = pt.orderUpTo(c)
		c.arrive = -1
	}
	if !w.cfg.Aggregate {
		pt.ord = newOrderState(pt)
	}
	return pt
}

// orderUpTo is the replenishment target: cover x the forecast over review
// period plus lead time, plus z standard deviations of Poisson demand.
func (pt *part) orderUpTo(c *cell) float64 {
	m := c.forecast * float64(reviewPeriod+int(c.lead))
	return math.Ceil(m*c.cover + c.z*math.Sqrt(m))
}

// refresh recomputes the cell's price and promotion from day d on.
func (pt *part) refresh(c *cell, d int) {
	prod := &pt.w.t.Products[c.p]
	st := &pt.w.t.Stores[pt.spec.store]
	reg := prod.regularPrice(d)
	c.promo = prod.promo(d)
	c.regular = shelfPrice(reg, st.PriceIndex, nil)
	c.price = shelfPrice(reg, st.PriceIndex, c.promo)
	c.factor = pt.w.t.priceFactor(prod, c.price, c.promo)
	next := pt.w.cfg.Days
	if i := sort.Search(len(prod.Prices), func(i int) bool { return prod.Prices[i].Day > d }); i < len(prod.Prices) {
		next = min(next, prod.Prices[i].Day)
	}
	if c.promo != nil {
		next = min(next, c.promo.End)
	} else if i := sort.Search(len(prod.Promos), func(i int) bool { return prod.Promos[i].Start > d }); i < len(prod.Promos) {
		next = min(next, prod.Promos[i].Start)
	}
	c.next = int32(next)
}

// step simulates one product at the store on day d: demand, replenishment
// and sales. It returns the units sold and whether demand exceeded stock;
// ok is false when the product is not on sale.
func (pt *part) step(c *cell, d int) (sold float64, censored, ok bool) {
	t := pt.w.t
	prod := &t.Products[c.p]
	if d < prod.Launch || d >= prod.End {
		return 0, false, false
	}
	if int32(d) >= c.next {
		pt.refresh(c, d)
	}
	mu := t.mean(int(c.p), pt.spec.store, d, c.factor)
	dem := demand(pt.r, mu, pt.w.cfg.Dispersion)
	if c.arrive == int32(d) {
		c.onHand += c.onOrder
		c.onOrder = 0
	}
	if pt.w.cfg.NoStockouts {
		return dem, false, true
	}
	sold = math.Min(dem, c.onHand)
	censored = dem > c.onHand
	c.onHand -= sold
	c.forecast = 0.92*c.forecast + 0.08*sold
	if pt.w.weekday[d] == c.review {
		if s := pt.orderUpTo(c); s > c.onHand+c.onOrder {
			c.onOrder += s - c.onHand - c.onOrder
			c.arrive = int32(d) + int32(c.lead)
		}
	}
	return sold, censored, true
}

// blockResult is what a partition produced for a block of days.
type blockResult struct {
	lines    []shelfwise.OrderLine
	events   []shelfwise.Event
	sessions []shelfwise.Session
	points   []shelfwise.SalesPoint
	stock    []shelfwise.StockLevel
	censored []censoredDay
	truth    []SessionTruth
}

type censoredDay struct{ p, s, d int32 }

// runBlock simulates days [d0, d1) of the partition.
func (pt *part) runBlock(ctx context.Context, d0, d1 int) (*blockResult, error) {
	h := &pt.hint
	res := &blockResult{
		lines:    make([]shelfwise.OrderLine, 0, grow(h[0])),
		events:   make([]shelfwise.Event, 0, grow(h[1])),
		sessions: make([]shelfwise.Session, 0, grow(h[2])),
		points:   make([]shelfwise.SalesPoint, 0, grow(h[3])),
		stock:    make([]shelfwise.StockLevel, 0, grow(h[4])),
	}
	defer func() {
		*h = [5]int{len(res.lines), len(res.events), len(res.sessions), len(res.points), len(res.stock)}
	}()
	for d := d0; d < d1; d++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if pt.ord != nil {
			pt.ord.day(res, d)
		} else {
			pt.aggregateDay(res, d)
		}
	}
	return res, nil
}

// stockTime is when end-of-day stock levels are stamped.
const stockTime = 23*time.Hour + 59*time.Minute

// recordStock appends a stock level on the periodic schedule and on
// stockout days.
func (pt *part) recordStock(res *blockResult, c *cell, d int, censored bool) {
	if censored && !pt.w.cfg.Aggregate {
		res.censored = append(res.censored, censoredDay{c.p, int32(pt.spec.store), int32(d)})
	}
	every := pt.w.cfg.StockEvery
	if every <= 0 || pt.w.cfg.NoStockouts || (!censored && (d+1)%every != 0) {
		return
	}
	res.stock = append(res.stock, shelfwise.StockLevel{
		SKU: pt.w.skus[c.p], Store: pt.w.t.Stores[pt.spec.store].ID,
		Time: pt.w.dates[d].Add(stockTime), OnHand: c.onHand,
	})
}

// aggregateDay emits one SalesPoint per product for day d.
func (pt *part) aggregateDay(res *blockResult, d int) {
	store := pt.w.t.Stores[pt.spec.store].ID
	for j := range pt.cells {
		c := &pt.cells[j]
		sold, censored, ok := pt.step(c, d)
		sp := shelfwise.SalesPoint{SKU: pt.w.skus[c.p], Store: store, Grain: shelfwise.GrainDay, Date: pt.w.dates[d], Period: d}
		if ok {
			sp.Available = true
			sp.Units = sold
			sp.Price = c.price
			sp.Revenue = math.Round(sold*c.price*100) / 100
			sp.Censored = censored
			if c.promo != nil {
				sp.Deal = 1
				switch c.promo.Kind {
				case "display":
					sp.Display = 1
				case "feature", "mailer":
					sp.Feature = 1
				}
			}
			pt.recordStock(res, c, d, censored)
		}
		res.points = append(res.points, sp)
	}
}

// grow is the capacity for a block whose previous one held n records.
func grow(n int) int {
	if n == 0 {
		return 0
	}
	return n + n/8 + 16
}
