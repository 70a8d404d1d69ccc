package simulate

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/shelfwise/shelfwise"
)

const (
	// dueRing and returnRing size the day-indexed queues of repeat
	// purchases (cycles up to 37 days) and returns (up to 28 days later).
	dueRing    = 64
	returnRing = 32
	// duePatience is how many days a repeat buyer keeps coming back for an
	// item that was not sold to them on its due day.
	duePatience = 3
	// extraUnits is the mean of the extra units on a line (mean quantity 1.3).
	extraUnits = 0.3
)

// chunk is a line of sold units waiting for a buyer.
type chunk struct {
	p int32
	q float64
	v int32 // visitor, -1 before assignment
}

// visitor is one trip to the store: a customer (-1 anonymous) and an hour.
type visitor struct {
	c  int32
	at float64 // seconds after midnight
}

// dueEntry is a repeat purchase due: customer, repeat item, original day.
type dueEntry struct {
	c    int32
	rep  int16
	orig int32
}

// webInvoice is a web-shop invoice, to be given a purchasing session.
type webInvoice struct {
	c      int32
	at     float64
	lo, hi int // its lines in blockResult.lines
}

// orderState turns a store's daily sales into invoices.
type orderState struct {
	pt      *part
	storeID shelfwise.StoreID
	prefix  []byte
	cust    []int32
	cum     []float64
	open    float64 // opening hours in seconds after midnight
	close   float64

	seq      int
	chunks   []chunk
	visitors []visitor
	drawn    int     // visitors drawn as trips (the rest are due buyers)
	lineProd []int32 // products of the current invoice's lines
	tables   [][]float64
	built    []int
	due      [dueRing][]dueEntry
	dueNow   []dueEntry
	served   []bool
	dueProd  map[int32][]int32
	returns  [returnRing][]shelfwise.OrderLine
	order    []int32
	offsets  []int32
	web      []webInvoice
	sessions *sessionState
}

func newOrderState(pt *part) *orderState {
	w := pt.w
	s := pt.spec.store
	st := w.t.Stores[s]
	o := &orderState{
		pt:      pt,
		storeID: st.ID,
		prefix:  []byte(string(st.ID) + "-"),
		cust:    w.storeCust[s],
		cum:     w.storeCum[s],
		open:    8 * 3600,
		close:   21 * 3600,
		tables:  make([][]float64, len(w.t.Subcategories)),
		built:   make([]int, len(w.t.Subcategories)),
		dueProd: map[int32][]int32{},
	}
	if st.Online {
		o.open, o.close = 0, 86400
		o.sessions = newSessionState(o)
	}
	for _, c := range o.cust {
		for ri, rep := range w.t.Customers[c].Repeat {
			first := pt.r.IntN(rep.Every)
			o.due[first%dueRing] = append(o.due[first%dueRing], dueEntry{c, int16(ri), int32(first)})
		}
	}
	return o
}

// day simulates one day at the store: sales per product, then visitors,
// their baskets, invoices, returns and (web shop) sessions.
func (o *orderState) day(res *blockResult, d int) {
	pt := o.pt
	o.chunks = o.chunks[:0]
	for j := range pt.cells {
		c := &pt.cells[j]
		sold, censored, ok := pt.step(c, d)
		if !ok {
			continue
		}
		pt.recordStock(res, c, d, censored)
		for rem := sold; rem > 0; {
			q := math.Min(rem, 1+poisson(pt.r, extraUnits))
			o.chunks = append(o.chunks, chunk{c.p, q, -1})
			rem -= q
		}
	}
	ret := &o.returns[d%returnRing]
	res.lines = append(res.lines, *ret...)
	*ret = (*ret)[:0]
	o.visit(d)
	o.assign(d)
	o.reschedule(d)
	o.web = o.web[:0]
	o.invoices(res, d)
	if o.sessions != nil {
		o.sessions.day(res, d, o.web)
	}
}

// visit draws the day's visitors: a Poisson number of trips by the store's
// customers (by activity) or anonymous shoppers, plus the customers whose
// repeat purchase is due.
func (o *orderState) visit(d int) {
	pt := o.pt
	r := pt.r
	o.visitors = o.visitors[:0]
	o.drawn = 0
	bucket := &o.due[d%dueRing]
	o.dueNow = append(o.dueNow[:0], *bucket...)
	*bucket = (*bucket)[:0]
	clear(o.dueProd)
	o.served = o.served[:0]
	for i, e := range o.dueNow {
		p := int32(pt.w.t.Customers[e.c].Repeat[e.rep].Product)
		o.dueProd[p] = append(o.dueProd[p], int32(i))
		o.served = append(o.served, false)
	}
	if len(o.chunks) == 0 {
		return
	}
	n := int(poisson(r, float64(len(o.chunks))/pt.w.cfg.BasketLines))
	n = max(n, 1)
	anon := pt.w.cfg.AnonymousShare
	for range n {
		c := int32(-1)
		if len(o.cust) > 0 && r.Float64() >= anon {
			c = o.cust[searchCum(o.cum, r.Float64()*o.cum[len(o.cum)-1])]
		}
		o.visitors = append(o.visitors, visitor{c: c})
	}
	o.drawn = len(o.visitors)
}

// assign gives every chunk a buyer: a due repeat buyer of the product
// first, else a visitor drawn by affinity for the product's subcategory and
// favourite brand.
func (o *orderState) assign(d int) {
	pt := o.pt
	t := pt.w.t
	r := pt.r
	K := len(t.Subcategories)
	accept := 1 / (1 + t.BrandBoost)
	for i := range o.chunks {
		ch := &o.chunks[i]
		if due := o.dueProd[ch.p]; len(due) > 0 {
			e := due[0]
			o.dueProd[ch.p] = due[1:]
			o.served[e] = true
			ch.v = int32(len(o.visitors))
			o.visitors = append(o.visitors, visitor{c: o.dueNow[e].c})
			continue
		}
		prod := &t.Products[ch.p]
		k := prod.Subcategory
		tab := o.table(d, k, K)
		tot := tab[len(tab)-1]
		for try := 0; ; try++ {
			v := searchCum(tab, r.Float64()*tot)
			c := o.visitors[v].c
			if try == 31 || (c >= 0 && t.Customers[c].Brand == prod.Brand) || r.Float64() < accept {
				ch.v = int32(v)
				break
			}
		}
	}
	for i := range o.visitors {
		o.visitors[i].at = o.open + (o.close-o.open)*r.Float64()
	}
}

// table returns the cumulative affinity of the day's first visitors (the
// drawn trips; due buyers are served separately) for subcategory k.
func (o *orderState) table(d, k, K int) []float64 {
	if o.built[k] == d+1 {
		return o.tables[k]
	}
	tab := o.tables[k][:0]
	acc := 0.0
	for _, v := range o.visitors[:o.drawn] {
		if v.c < 0 {
			acc++
		} else {
			acc += float64(o.pt.w.aff[int(v.c)*K+k])
		}
		tab = append(tab, acc)
	}
	o.tables[k] = tab
	o.built[k] = d + 1
	return tab
}

// reschedule puts the day's due entries back in the queue: served ones a
// cycle later (+-2 days), unserved ones tomorrow while patience lasts.
func (o *orderState) reschedule(d int) {
	r := o.pt.r
	for i, e := range o.dueNow {
		every := o.pt.w.t.Customers[e.c].Repeat[e.rep].Every
		next := int32(0)
		switch {
		case o.served[i]:
			next = int32(d + every + r.IntN(5) - 2)
			e.orig = next
		case d+1-int(e.orig) <= duePatience:
			next = int32(d + 1)
		default:
			next = e.orig + int32(every)
			for next <= int32(d) {
				next += int32(every)
			}
			e.orig = next
		}
		if int(next) >= o.pt.w.cfg.Days {
			continue
		}
		o.due[next%dueRing] = append(o.due[next%dueRing], e)
	}
}

// invoices groups the assigned chunks by visitor into invoices in time
// order, writes their lines and schedules returns.
func (o *orderState) invoices(res *blockResult, d int) {
	nv := len(o.visitors)
	if nv == 0 {
		return
	}
	// counting sort of chunks by visitor
	o.offsets = append(o.offsets[:0], make([]int32, nv+1)...)
	for _, ch := range o.chunks {
		o.offsets[ch.v+1]++
	}
	for i := 1; i <= nv; i++ {
		o.offsets[i] += o.offsets[i-1]
	}
	o.order = append(o.order[:0], make([]int32, len(o.chunks))...)
	fill := append([]int32(nil), o.offsets[:nv]...)
	for i, ch := range o.chunks {
		o.order[fill[ch.v]] = int32(i)
		fill[ch.v]++
	}
	byTime := make([]int32, 0, nv)
	for v := range nv {
		if o.offsets[v+1] > o.offsets[v] {
			byTime = append(byTime, int32(v))
		}
	}
	sort.Slice(byTime, func(i, j int) bool { return o.visitors[byTime[i]].at < o.visitors[byTime[j]].at })
	for _, v := range byTime {
		o.invoice(res, d, v, o.order[o.offsets[v]:o.offsets[v+1]])
	}
}

// invoice writes one visitor's lines, merging repeated products.
func (o *orderState) invoice(res *blockResult, d int, v int32, idx []int32) {
	pt := o.pt
	w := pt.w
	vis := o.visitors[v]
	o.seq++
	inv := shelfwise.InvoiceID(strconv.AppendInt(o.prefix, int64(o.seq), 10))
	var key shelfwise.CustomerKey
	if vis.c >= 0 {
		key = w.t.Customers[vis.c].Key
	}
	at := w.dates[d].Add(time.Duration(vis.at) * time.Second)
	lo := len(res.lines)
	o.lineProd = o.lineProd[:0]
	for _, i := range idx {
		ch := o.chunks[i]
		merged := false
		for j, p := range o.lineProd {
			if p == ch.p {
				l := &res.lines[lo+j]
				l.Quantity += ch.q
				l.Discount = discount(&pt.cells[ch.p], l.Quantity)
				merged = true
				break
			}
		}
		if merged {
			continue
		}
		o.lineProd = append(o.lineProd, ch.p)
		c := &pt.cells[ch.p]
		res.lines = append(res.lines, shelfwise.OrderLine{
			Invoice: inv, Time: at, Store: o.storeID, Customer: key, SKU: w.skus[ch.p],
			Quantity: ch.q, UnitPrice: c.price, Discount: discount(c, ch.q), Kind: shelfwise.LineSale,
		})
	}
	for j, p := range o.lineProd {
		o.maybeReturn(&res.lines[lo+j], p, d)
	}
	if o.sessions != nil {
		o.web = append(o.web, webInvoice{c: vis.c, at: vis.at, lo: lo, hi: len(res.lines)})
	}
}

// discount is the promotion discount on q units bought from cell c.
func discount(c *cell, q float64) float64 {
	if c.promo == nil {
		return 0
	}
	return math.Round((c.regular-c.price)*q*100) / 100
}

// maybeReturn schedules a later return of part or all of a sale line.
func (o *orderState) maybeReturn(l *shelfwise.OrderLine, p int32, d int) {
	pt := o.pt
	r := pt.r
	rate := pt.w.returnRate[p]
	if o.sessions != nil {
		rate *= 2
	}
	if rate <= 0 || r.Float64() >= rate {
		return
	}
	rd := d + 1 + r.IntN(returnRing-4)
	q := 1 + float64(r.IntN(int(l.Quantity)))
	at := o.open + (o.close-o.open)*r.Float64()
	if rd >= pt.w.cfg.Days {
		return
	}
	ret := *l
	ret.Invoice = "C" + l.Invoice
	ret.Time = pt.w.dates[rd].Add(time.Duration(at) * time.Second)
	ret.Quantity = -q
	ret.Discount = 0
	if l.Discount != 0 {
		ret.Discount = -math.Round(l.Discount/l.Quantity*q*100) / 100
	}
	ret.Kind = shelfwise.LineReturn
	o.returns[rd%returnRing] = append(o.returns[rd%returnRing], ret)
}
