package simulate

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/shelfwise/shelfwise"
)

// SessionModelTruth is the model of web sessions. Each purchasing session
// (one per web invoice) draws latent features z from N(Mean1, SD^2) and each
// non-purchasing one from N(Mean0, SD^2); non-purchasing sessions are mixed
// in at (1-PurchaseShare)/PurchaseShare per purchase. So the probability of
// a purchase given z is exactly logistic: sigmoid(Intercept + Coef . z).
// The observed session features are z's transforms: product_pages =
// max(1, round(exp(z0))), product_duration = exp(z1) seconds, bounce_rate
// = sigmoid(z2), page_value = exp(z3).
type SessionModelTruth struct {
	Latent        []string  `json:"latent"`
	Mean0         []float64 `json:"mean0"`
	Mean1         []float64 `json:"mean1"`
	SD            []float64 `json:"sd"`
	PurchaseShare float64   `json:"purchase_share"`
	Coef          []float64 `json:"coef"`
	Intercept     float64   `json:"intercept"`
	// Sessions lists every session's true purchase probability.
	Sessions []SessionTruth `json:"sessions,omitempty"`
}

// SessionTruth is one session's true purchase probability and outcome.
type SessionTruth struct {
	ID        shelfwise.SessionID `json:"id"`
	P         float64             `json:"p"`
	Purchased bool                `json:"purchased"`
}

func newSessionModel(cfg Config) SessionModelTruth {
	m := SessionModelTruth{
		Latent:        []string{"log_product_pages", "log_product_duration", "logit_bounce_rate", "log_page_value"},
		Mean0:         []float64{math.Log(3), math.Log(90), -2.5, 0},
		Mean1:         []float64{math.Log(6), math.Log(200), -3.0, 1.2},
		SD:            []float64{0.6, 0.9, 0.7, 1.0},
		PurchaseShare: cfg.PurchaseShare,
	}
	pi := cfg.PurchaseShare
	m.Intercept = math.Log(pi / (1 - pi))
	for j := range m.Mean0 {
		v := m.SD[j] * m.SD[j]
		m.Coef = append(m.Coef, (m.Mean1[j]-m.Mean0[j])/v)
		m.Intercept -= (m.Mean1[j]*m.Mean1[j] - m.Mean0[j]*m.Mean0[j]) / (2 * v)
	}
	return m
}

// Probability returns the true purchase probability of latent features z.
func (m *SessionModelTruth) Probability(z []float64) float64 {
	x := m.Intercept
	for j, c := range m.Coef {
		x += c * z[j]
	}
	return 1 / (1 + math.Exp(-x))
}

// SessionProbability returns the true purchase probability of a session.
func (t *Truth) SessionProbability(id shelfwise.SessionID) (float64, bool) {
	i, ok := t.idx.session[id]
	if !ok {
		return 0, false
	}
	return t.Sessions.Sessions[i].P, true
}

// sessionState writes the web shop's sessions.
type sessionState struct {
	o      *orderState
	seq    int
	prefix []byte
	specs  []sessionSpec
	cum    []float64 // scratch: cumulative subcategory affinity
	allCum []float64 // cumulative base demand of all products
	z      [4]float64
}

// sessionSpec is a session before its events are written.
type sessionSpec struct {
	c     int32
	start float64 // seconds after midnight
	inv   int     // index into the day's web invoices, -1 if none
}

func newSessionState(o *orderState) *sessionState {
	s := &sessionState{o: o, prefix: []byte(string(o.storeID) + "-S")}
	acc := 0.0
	for _, p := range o.pt.w.t.Products {
		acc += p.Base
		s.allCum = append(s.allCum, acc)
	}
	return s
}

// day writes one purchasing session per web invoice and the
// non-purchasing sessions mixed in with them, in order of start.
func (s *sessionState) day(res *blockResult, d int, invs []webInvoice) {
	o := s.o
	r := o.pt.r
	m := &o.pt.w.t.Sessions
	s.specs = s.specs[:0]
	for i, inv := range invs {
		s.specs = append(s.specs, sessionSpec{c: inv.c, inv: i})
	}
	n := int(poisson(r, float64(len(invs))*(1-m.PurchaseShare)/m.PurchaseShare))
	for range n {
		c := int32(-1)
		if len(o.cust) > 0 && r.Float64() >= o.pt.w.cfg.AnonymousShare {
			c = o.cust[searchCum(o.cum, r.Float64()*o.cum[len(o.cum)-1])]
		}
		s.specs = append(s.specs, sessionSpec{c: c, inv: -1, start: 86400 * r.Float64()})
	}
	// latent features decide the duration, so purchasing sessions start
	// that long before their invoice.
	type drawn struct {
		spec sessionSpec
		z    [4]float64
	}
	all := make([]drawn, len(s.specs))
	for i, sp := range s.specs {
		mean := m.Mean0
		if sp.inv >= 0 {
			mean = m.Mean1
		}
		for j := range 4 {
			all[i].z[j] = mean[j] + m.SD[j]*r.NormFloat64()
		}
		if sp.inv >= 0 {
			sp.start = invs[sp.inv].at - math.Exp(all[i].z[1])
		}
		all[i].spec = sp
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].spec.start < all[j].spec.start })
	for _, a := range all {
		s.session(res, d, a.spec, a.z, invs)
	}
}

// session writes one session: its events and its summary.
func (s *sessionState) session(res *blockResult, d int, sp sessionSpec, z [4]float64, invs []webInvoice) {
	o := s.o
	w := o.pt.w
	r := o.pt.r
	m := &w.t.Sessions
	s.seq++
	id := shelfwise.SessionID(strconv.AppendInt(s.prefix, int64(s.seq), 10))
	var key shelfwise.CustomerKey
	if sp.c >= 0 {
		key = w.t.Customers[sp.c].Key
	}
	start := w.dates[d].Add(time.Duration(sp.start * float64(time.Second)))
	dur := math.Exp(z[1])
	views := max(1, int(math.Round(math.Exp(z[0]))))
	searches := int(poisson(r, 0.6))
	var basket []shelfwise.OrderLine
	if sp.inv >= 0 {
		basket = res.lines[invs[sp.inv].lo:invs[sp.inv].hi]
	}
	carts := len(basket)
	if sp.inv < 0 && r.Float64() < 0.3 {
		carts = 1
	}
	total := views + searches + carts + len(basket)
	step := dur / float64(total)
	ev := func(i int, typ shelfwise.EventType, sku shelfwise.SKU, q, price float64, query string) {
		res.events = append(res.events, shelfwise.Event{
			Time: start.Add(time.Duration(step * float64(i+1) * float64(time.Second))), Session: id,
			Customer: key, Type: typ, SKU: sku, Query: query, Quantity: q, Price: price, Store: o.storeID,
		})
	}
	i := 0
	var viewed []int32
	for v := 0; v < views; v++ {
		var p int32
		if v < len(basket) {
			p = int32(w.t.idx.sku[basket[v].SKU])
		} else {
			p = s.pick(sp.c)
		}
		viewed = append(viewed, p)
		if v < searches {
			ev(i, shelfwise.EventSearch, "", 0, 0, w.subQuery[w.t.Products[p].Subcategory])
			i++
		}
		ev(i, shelfwise.EventView, w.skus[p], 0, o.pt.cells[p].price, "")
		i++
	}
	for ; i < views+searches; i++ {
		ev(i, shelfwise.EventSearch, "", 0, 0, w.subQuery[w.t.Products[viewed[0]].Subcategory])
	}
	for c := 0; c < carts; c++ {
		if c < len(basket) {
			ev(i, shelfwise.EventCart, basket[c].SKU, basket[c].Quantity, basket[c].UnitPrice, "")
		} else {
			p := viewed[r.IntN(len(viewed))]
			ev(i, shelfwise.EventCart, w.skus[p], 1, o.pt.cells[p].price, "")
		}
		i++
	}
	for _, l := range basket {
		ev(i, shelfwise.EventPurchase, l.SKU, l.Quantity, l.UnitPrice, "")
		i++
	}
	bounce := 1 / (1 + math.Exp(-z[2]))
	visitor := "New_Visitor"
	if sp.c >= 0 {
		visitor = "Returning_Visitor"
	}
	weekend := 0.0
	if wd := w.dates[d].Weekday(); wd == time.Saturday || wd == time.Sunday {
		weekend = 1
	}
	res.sessions = append(res.sessions, shelfwise.Session{
		ID: id, Customer: key, Start: start,
		Features: map[string]float64{
			"product_pages":    float64(views),
			"product_duration": round(dur, 2),
			"bounce_rate":      round(bounce, 5),
			"exit_rate":        round(math.Min(1, bounce+0.02+0.03*r.Float64()), 5),
			"page_value":       round(math.Exp(z[3]), 3),
			"searches":         float64(searches),
			"weekend":          weekend,
		},
		Categorical: map[string]string{
			"month":        w.dates[d].Month().String()[:3],
			"visitor_type": visitor,
		},
		Purchased: sp.inv >= 0,
	})
	res.truth = append(res.truth, SessionTruth{ID: id, P: round(m.Probability(z[:]), 6), Purchased: sp.inv >= 0})
}

// pick draws a product a customer browses: a subcategory by affinity, then
// a product by base demand; anonymous visitors browse by popularity.
func (s *sessionState) pick(c int32) int32 {
	w := s.o.pt.w
	r := s.o.pt.r
	if c < 0 {
		return int32(searchCum(s.allCum, r.Float64()*s.allCum[len(s.allCum)-1]))
	}
	K := len(w.t.Subcategories)
	s.cum = s.cum[:0]
	acc := 0.0
	for k := range K {
		if len(w.subProducts[k]) > 0 {
			acc += float64(w.aff[int(c)*K+k])
		}
		s.cum = append(s.cum, acc)
	}
	k := searchCum(s.cum, r.Float64()*acc)
	cum := w.subCum[k]
	return w.subProducts[k][searchCum(cum, r.Float64()*cum[len(cum)-1])]
}
