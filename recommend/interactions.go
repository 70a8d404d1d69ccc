package recommend

import (
	"math"
	"sort"
	"time"

	"github.com/shelfwise/shelfwise"
)

// InteractionKind is the type of a non-purchase interaction.
type InteractionKind uint8

// Kinds of interaction other than a purchase, from weakest to strongest.
const (
	// KindView is a product view.
	KindView InteractionKind = iota + 1
	// KindCart is an add-to-cart.
	KindCart
	// KindReturn is a returned or cancelled purchase: it reduces the weight
	// of the customer's purchases of the item.
	KindReturn
)

// Interaction is a customer's view, add-to-cart or return of a product:
// weaker (or negative) evidence than a purchase.
type Interaction struct {
	Customer shelfwise.CustomerKey
	SKU      shelfwise.SKU
	Time     time.Time
	Kind     InteractionKind
	// Quantity is the number of units (returns: units returned, positive).
	Quantity float64
}

// InteractionsFromEvents keeps the views and add-to-carts of known
// customers. Purchases come from order lines, searches carry no product.
func InteractionsFromEvents(evs []shelfwise.Event) []Interaction {
	var out []Interaction
	for _, e := range evs {
		if x, ok := InteractionFromEvent(e); ok {
			out = append(out, x)
		}
	}
	return out
}

// InteractionFromEvent is the interaction of one event: false unless it is
// a view or an add-to-cart of a product by a known customer (for callers
// that stream events rather than hold them).
func InteractionFromEvent(e shelfwise.Event) (Interaction, bool) {
	if e.Customer == "" || e.SKU == "" {
		return Interaction{}, false
	}
	var k InteractionKind
	switch e.Type {
	case shelfwise.EventView:
		k = KindView
	case shelfwise.EventCart:
		k = KindCart
	default:
		return Interaction{}, false
	}
	return Interaction{Customer: e.Customer, SKU: e.SKU, Time: e.Time, Kind: k, Quantity: max(1, e.Quantity)}, true
}

// ReturnsFromLines keeps the return lines of known customers: lines of kind
// LineReturn, or negative quantities on a "C" (cancellation) invoice.
func ReturnsFromLines(lines []shelfwise.OrderLine) []Interaction {
	var out []Interaction
	for _, l := range lines {
		if l.Customer == "" || l.SKU == "" || l.Quantity >= 0 {
			continue
		}
		if l.Kind != shelfwise.LineReturn && !unknownCancellation(l) {
			continue
		}
		out = append(out, Interaction{Customer: l.Customer, SKU: l.SKU, Time: l.Time, Kind: KindReturn, Quantity: -l.Quantity})
	}
	return out
}

// Weights turn interactions into an implicit-feedback strength per
// customer and item: each purchase line counts decay x (1 + Quantity x
// log(1 + units)), a cart Cart x decay and a view View x decay; returns
// scale the item's purchase strength by 1 - Return x (units returned /
// units bought), floored at 0. decay halves every half-life of the model
// using the strength.
type Weights struct {
	View, Cart float64
	Quantity   float64
	Return     float64
}

// DefaultWeights rank purchase > cart > view; a fully returned item loses
// its purchase weight.
var DefaultWeights = Weights{View: 0.1, Cart: 0.3, Quantity: 0, Return: 1}

// Signal is an Interaction in a Log's index space.
type Signal struct {
	Item int32
	Kind InteractionKind
	Time int64 // Unix seconds
	Qty  float32
}

// AddInteractions attaches interactions to the log's customers. Those for
// items outside the log are dropped; a customer with views or carts but no
// purchases is added (with an empty purchase history) so that latent
// models learn a vector for them.
func (lg *Log) AddInteractions(xs []Interaction) {
	if lg.Signals == nil {
		lg.Signals = make([][]Signal, len(lg.Users))
	}
	sorted := append([]Interaction(nil), xs...)
	sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].Time.Before(sorted[b].Time) })
	for _, x := range sorted {
		it := lg.Item(x.SKU)
		if it < 0 || x.Customer == "" {
			continue
		}
		u := lg.User(x.Customer)
		if u < 0 {
			if x.Kind == KindReturn {
				continue
			}
			u = len(lg.Users)
			lg.Users = append(lg.Users, x.Customer)
			lg.userIndex[x.Customer] = int32(u)
			lg.Histories = append(lg.Histories, nil)
			lg.Signals = append(lg.Signals, nil)
		}
		lg.Signals[u] = append(lg.Signals[u], Signal{Item: int32(it), Kind: x.Kind, Time: x.Time.Unix(), Qty: float32(x.Quantity)})
	}
}

// latest is the time of the latest purchase or signal (Unix seconds).
func (lg *Log) latest() int64 {
	t := lg.End
	for _, ss := range lg.Signals {
		if len(ss) > 0 { // in time order
			t = max(t, ss[len(ss)-1].Time)
		}
	}
	return t
}

// signals returns customer u's signals (nil when there are none).
func (lg *Log) signals(u int) []Signal {
	if u < 0 || u >= len(lg.Signals) {
		return nil
	}
	return lg.Signals[u]
}

// interactionsUpTo turns the signals at or before cut back into
// interactions (for validation logs carved from this one).
func (lg *Log) interactionsUpTo(cut time.Time) []Interaction {
	var out []Interaction
	c := cut.Unix()
	for u, ss := range lg.Signals {
		for _, s := range ss {
			if s.Time <= c {
				out = append(out, Interaction{Customer: lg.Users[u], SKU: lg.Items[s.Item], Time: time.Unix(s.Time, 0).UTC(), Kind: s.Kind, Quantity: float64(s.Qty)})
			}
		}
	}
	return out
}

// decay is the weight of an interaction of age now-t (seconds).
func decay(now, t int64, halfLifeDays float64) float64 {
	if halfLifeDays <= 0 {
		return 1
	}
	return math.Exp(-math.Max(0, float64(now-t)) / 86400 / halfLifeDays * math.Ln2)
}

// Strengths combines a customer's purchases h and signals into one
// interaction strength per item, in order of first interaction; items whose
// strength is not positive (fully returned) are left out.
func Strengths(h []Event, sig []Signal, now int64, halfLifeDays float64, w Weights) (items []int32, strength []float64) {
	pos := map[int32]int{}
	var bought, returned []float64
	add := func(it int32) int {
		p, ok := pos[it]
		if !ok {
			p = len(items)
			pos[it] = p
			items = append(items, it)
			strength = append(strength, 0)
			bought = append(bought, 0)
			returned = append(returned, 0)
		}
		return p
	}
	for _, e := range h {
		p := add(e.Item)
		q := math.Max(0, float64(e.Qty))
		strength[p] += decay(now, e.Time, halfLifeDays) * (1 + w.Quantity*math.Log1p(q))
		bought[p] += math.Max(1, q)
	}
	var soft []float64
	for _, s := range sig {
		if s.Kind == KindReturn {
			if p, ok := pos[s.Item]; ok {
				returned[p] += float64(s.Qty)
			}
			continue
		}
		p := add(s.Item)
		for len(soft) < len(items) {
			soft = append(soft, 0)
		}
		x := w.View
		if s.Kind == KindCart {
			x = w.Cart
		}
		soft[p] += x * decay(now, s.Time, halfLifeDays)
	}
	n := 0
	for p, it := range items {
		st := strength[p]
		if bought[p] > 0 && returned[p] > 0 {
			st *= math.Max(0, 1-w.Return*math.Min(1, returned[p]/bought[p]))
		}
		if p < len(soft) {
			st += soft[p]
		}
		if st > 0 {
			items[n], strength[n] = it, st
			n++
		}
	}
	return items[:n], strength[:n]
}
