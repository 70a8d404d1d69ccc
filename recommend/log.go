package recommend

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Purchase is one purchase line of a customer: the unit every model learns
// from. Repeated lines of the same product on one invoice stay separate
// lines, as in the export.
type Purchase struct {
	Customer shelfwise.CustomerKey
	SKU      shelfwise.SKU
	Invoice  shelfwise.InvoiceID
	Time     time.Time
	Quantity float64
	// Price is the unit price paid, 0 when unknown.
	Price float64
}

// IsPurchase applies the purchase definition of the evaluation protocol to an
// order line: a known customer, a positive quantity and price, not a return
// or adjustment (importers mark Online Retail's cancellation invoices,
// "C...", as returns; a line of unknown kind on such an invoice is one
// too), and a stock code containing a digit (codes such as POST, DOT or
// BANK CHARGES are fees, not merchandise).
func IsPurchase(l shelfwise.OrderLine) bool { return failedRule(l) < 0 }

// purchaseRules name the parts of the purchase definition, in the order
// failedRule checks them.
var purchaseRules = [...]string{
	"without a customer",
	"with a quantity of 0 or less",
	"with a unit price of 0 or less",
	"returns or adjustments",
	"of unknown kind on cancellation invoices (numbers starting with C)",
	"with a product code without a digit (postage, fees and the like)",
}

// ruleNoDigit is the purchaseRules index of the product code rule.
const ruleNoDigit = len(purchaseRules) - 1

// failedRule is the index in purchaseRules of the first rule line l breaks,
// -1 for a purchase.
func failedRule(l shelfwise.OrderLine) int {
	switch {
	case l.Customer == "":
		return 0
	case l.Quantity <= 0:
		return 1
	case l.UnitPrice <= 0:
		return 2
	case l.Kind != "" && l.Kind != shelfwise.LineSale:
		return 3
	case unknownCancellation(l):
		return 4
	case !strings.ContainsAny(string(l.SKU), "0123456789"):
		return ruleNoDigit
	}
	return -1
}

// unknownCancellation reports whether line l, of unknown kind, is on a
// cancellation invoice by Online Retail's convention (a number starting
// with C). A line an importer gave a kind is what that kind says, whatever
// its invoice number (CDNOW's are "cdnow-<line>", a shop's may be
// "CS-1001"): Online Retail's importer marks those lines as returns.
func unknownCancellation(l shelfwise.OrderLine) bool {
	return l.Kind == "" && (strings.HasPrefix(string(l.Invoice), "C") || strings.HasPrefix(string(l.Invoice), "c"))
}

// WhyNoPurchases says why lines hold no purchase (IsPurchase), for an
// error message: how many lines there are and how many break each rule of
// the purchase definition (the first each breaks), the most common first,
// with the most common product code among those without a digit. It
// describes the lines whatever they hold; callers use it when
// PurchasesFromLines came back empty.
func WhyNoPurchases(lines []shelfwise.OrderLine) string {
	if len(lines) == 0 {
		return "no order lines (recommendations learn from customers' order lines)"
	}
	var n [len(purchaseRules)]int
	codes := map[shelfwise.SKU]int{}
	for _, l := range lines {
		if r := failedRule(l); r >= 0 {
			n[r]++
			if r == ruleNoDigit {
				codes[l.SKU]++
			}
		}
	}
	order := make([]int, 0, len(n))
	for r, c := range n {
		if c > 0 {
			order = append(order, r)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return n[order[a]] > n[order[b]] })
	parts := make([]string, len(order))
	for k, r := range order {
		parts[k] = fmt.Sprintf("%d %s", n[r], purchaseRules[r])
		if r == ruleNoDigit {
			var top shelfwise.SKU
			for c, cnt := range codes {
				if cnt > codes[top] || cnt == codes[top] && c < top {
					top = c
				}
			}
			parts[k] += fmt.Sprintf(", most often %q", top)
		}
	}
	return fmt.Sprintf("%d order lines, none a purchase: %s", len(lines), strings.Join(parts, "; "))
}

// PurchasesFromLines keeps the order lines that are purchases (IsPurchase).
func PurchasesFromLines(lines []shelfwise.OrderLine) []Purchase {
	out := make([]Purchase, 0, len(lines))
	for _, l := range lines {
		if IsPurchase(l) {
			out = append(out, Purchase{Customer: l.Customer, SKU: l.SKU, Invoice: l.Invoice, Time: l.Time, Quantity: l.Quantity, Price: l.UnitPrice})
		}
	}
	return out
}

// PurchasesFromBaskets turns stored baskets into purchase lines (one per SKU
// on the basket, quantity 1). Anonymous baskets are skipped.
func PurchasesFromBaskets(bs []shelfwise.Basket) []Purchase {
	var out []Purchase
	for _, b := range bs {
		if b.Customer == "" {
			continue
		}
		for _, s := range b.SKUs {
			out = append(out, Purchase{Customer: b.Customer, SKU: s, Invoice: b.Invoice, Time: b.Time, Quantity: 1})
		}
	}
	return out
}

// Event is one purchase in a Log, in the Log's index space.
type Event struct {
	Item   int32 // index into Log.Items
	Basket int32 // index into Log.Baskets, -1 for none
	Time   int64 // Unix seconds
	Qty    float32
}

// Log is a purchase log indexed for training: customers and items numbered
// 0..n-1, each customer's history in time order, and the baskets.
type Log struct {
	Users []shelfwise.CustomerKey
	Items []shelfwise.SKU
	// Histories[u] is customer u's purchases in time order.
	Histories [][]Event
	// Baskets[b] lists the distinct items of basket b; BasketUser and
	// BasketTime give its customer and time.
	Baskets    [][]int32
	BasketUser []int32
	BasketTime []int64
	// End is the time of the latest purchase (Unix seconds).
	End int64
	// Signals[u] are customer u's views, carts and returns in time order
	// (see AddInteractions); nil when the log has none.
	Signals [][]Signal
	// Weights turn purchases and signals into interaction strengths for
	// the implicit-feedback models (DefaultWeights from NewLog).
	Weights Weights

	userIndex map[shelfwise.CustomerKey]int32
	itemIndex map[shelfwise.SKU]int32
}

// NewLog indexes purchases. Items are numbered in SKU order and customers in
// key order, so the same purchases always give the same log. extraItems adds
// catalogue items that have no purchase yet (they can still be recommended
// by attribute-based cold start).
func NewLog(ps []Purchase, extraItems ...shelfwise.SKU) *Log {
	lg := &Log{userIndex: map[shelfwise.CustomerKey]int32{}, itemIndex: map[shelfwise.SKU]int32{}, Weights: DefaultWeights}
	items := map[shelfwise.SKU]bool{}
	users := map[shelfwise.CustomerKey]bool{}
	for _, p := range ps {
		items[p.SKU] = true
		users[p.Customer] = true
	}
	for _, s := range extraItems {
		items[s] = true
	}
	for s := range items {
		lg.Items = append(lg.Items, s)
	}
	sort.Slice(lg.Items, func(i, j int) bool { return lg.Items[i] < lg.Items[j] })
	for i, s := range lg.Items {
		lg.itemIndex[s] = int32(i)
	}
	for c := range users {
		lg.Users = append(lg.Users, c)
	}
	sort.Slice(lg.Users, func(i, j int) bool { return lg.Users[i] < lg.Users[j] })
	for i, c := range lg.Users {
		lg.userIndex[c] = int32(i)
	}
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]].Time.Before(ps[order[b]].Time) })
	lg.Histories = make([][]Event, len(lg.Users))
	type bkey struct {
		inv  shelfwise.InvoiceID
		user int32
	}
	basketIdx := map[bkey]int32{}
	seen := map[[2]int32]bool{}
	for _, k := range order {
		p := ps[k]
		u := lg.userIndex[p.Customer]
		it := lg.itemIndex[p.SKU]
		t := p.Time.Unix()
		bk := bkey{p.Invoice, u}
		b, ok := basketIdx[bk]
		if !ok {
			b = int32(len(lg.Baskets))
			basketIdx[bk] = b
			lg.Baskets = append(lg.Baskets, nil)
			lg.BasketUser = append(lg.BasketUser, u)
			lg.BasketTime = append(lg.BasketTime, t)
		}
		if !seen[[2]int32{b, it}] {
			seen[[2]int32{b, it}] = true
			lg.Baskets[b] = append(lg.Baskets[b], it)
		}
		lg.Histories[u] = append(lg.Histories[u], Event{Item: it, Basket: b, Time: t, Qty: float32(p.Quantity)})
		if t > lg.End {
			lg.End = t
		}
	}
	return lg
}

// NumUsers is the number of customers in the log.
func (lg *Log) NumUsers() int { return len(lg.Users) }

// NumItems is the number of items in the log.
func (lg *Log) NumItems() int { return len(lg.Items) }

// User returns the index of customer c, or -1.
func (lg *Log) User(c shelfwise.CustomerKey) int {
	if u, ok := lg.userIndex[c]; ok {
		return int(u)
	}
	return -1
}

// Item returns the index of sku, or -1.
func (lg *Log) Item(sku shelfwise.SKU) int {
	if i, ok := lg.itemIndex[sku]; ok {
		return int(i)
	}
	return -1
}

// Pairs counts the distinct customer-item pairs.
func (lg *Log) Pairs() int {
	n := 0
	seen := map[int32]bool{}
	for _, h := range lg.Histories {
		clear(seen)
		for _, e := range h {
			if !seen[e.Item] {
				seen[e.Item] = true
				n++
			}
		}
	}
	return n
}

// UserItems returns the distinct items of a history with their number of
// lines, in order of first purchase.
func UserItems(h []Event) (items []int32, lines []int32) {
	if len(h) == 0 {
		return nil, nil
	}
	if len(h) <= 64 {
		// A short history (a request's recent tail): a scan is cheaper
		// than building a map.
		items, lines = make([]int32, 0, len(h)), make([]int32, 0, len(h))
		for _, e := range h {
			if p := slices.Index(items, e.Item); p >= 0 {
				lines[p]++
				continue
			}
			items = append(items, e.Item)
			lines = append(lines, 1)
		}
		return items, lines
	}
	pos := make(map[int32]int, len(h))
	for _, e := range h {
		if p, ok := pos[e.Item]; ok {
			lines[p]++
			continue
		}
		pos[e.Item] = len(items)
		items = append(items, e.Item)
		lines = append(lines, 1)
	}
	return items, lines
}
