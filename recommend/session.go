package recommend

import (
	"context"
	"math"

	"github.com/shelfwise/shelfwise"
)

// SessionConfig sets up the session next-item model.
type SessionConfig struct {
	// K transitions kept per item.
	K int
	// Decay weights the session's items by Decay^(steps back from the
	// latest), so the latest item counts most. In training, a browsing
	// session's product counts toward the next Window products after it,
	// at 1, Decay, Decay^2...
	Decay float64
	// Window is how many of the next products of a browsing session each
	// one leads to (0: 3).
	Window int
}

// DefaultSession keeps 50 transitions per item and halves the weight of
// each older session item.
var DefaultSession = SessionConfig{K: 50, Decay: 0.5, Window: 3}

// SessionModel holds item-to-item transitions: what customers look at
// next in their browsing sessions after an item, and what they buy in
// their next basket after buying it.
type SessionModel struct {
	Cfg  SessionConfig
	Next [][]Neighbor // Next[a]: items b with P(b next | a)
	// Browsed[a] says that Next[a] comes from browsing sessions, not
	// baskets (nil: the model learned from no session).
	Browsed []bool
}

// NewSessionModel counts transitions within each browsing session (the
// products viewed or carted, in order: sessions from SessionsFromEvents,
// anonymous ones too), from each product to the next Window different ones
// (1, Decay, Decay^2...), and between each customer's consecutive baskets
// (each pair 1/|next basket|). A product that sessions lead from takes its
// transitions from them alone, the others from baskets, so a shop with web
// sessions learns what its visitors look at next, and a shop without them
// what its customers buy next.
func NewSessionModel(ctx context.Context, lg *Log, sessions [][]shelfwise.SKU, cfg SessionConfig) (*SessionModel, error) {
	n := lg.NumItems()
	counts := make([]map[int32]float64, n)
	add := func(a, b int32, w float64) {
		if counts[a] == nil {
			counts[a] = map[int32]float64{}
		}
		counts[a][b] += w
	}
	win := cfg.Window
	if win <= 0 {
		win = 3
	}
	var seq []int32
	for k, s := range sessions {
		if k%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		seq = seq[:0]
		for _, sku := range s {
			if it := lg.Item(sku); it >= 0 && (len(seq) == 0 || seq[len(seq)-1] != int32(it)) {
				seq = append(seq, int32(it))
			}
		}
		for i, a := range seq {
			w := 1.0
			for _, b := range seq[i+1 : min(len(seq), i+1+win)] {
				if b != a {
					add(a, b, w)
				}
				w *= cfg.Decay
			}
		}
	}
	// On the simulated chain, summing both kinds of transitions found less
	// of what visitors looked at next than sessions alone (0.188 against
	// 0.208 of their later products; see TestSessionTransitionsSimulated).
	var browsed []bool
	if len(sessions) > 0 {
		browsed = make([]bool, n)
		for a, c := range counts {
			browsed[a] = c != nil
		}
	}
	for u, h := range lg.Histories {
		if u%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var prev, cur []int32
		curBasket := int32(-1)
		flush := func() {
			for _, a := range prev {
				if browsed != nil && browsed[a] {
					continue
				}
				for _, b := range cur {
					if a != b {
						add(a, b, 1/float64(len(cur)))
					}
				}
			}
			prev = cur
			cur = nil
		}
		for _, e := range h {
			if e.Basket != curBasket {
				if cur != nil {
					flush()
				}
				curBasket = e.Basket
			}
			cur = append(cur, e.Item)
		}
		if cur != nil {
			flush()
		}
	}
	m := &SessionModel{Cfg: cfg, Next: make([][]Neighbor, n), Browsed: browsed}
	buf := make([]float64, n)
	for a, c := range counts {
		if len(c) == 0 {
			continue
		}
		for i := range buf {
			buf[i] = math.Inf(-1)
		}
		total := 0.0
		for b, v := range c {
			buf[b] = v
			total += v
		}
		for _, b := range TopK(buf, cfg.K) {
			m.Next[a] = append(m.Next[a], Neighbor{Item: b, Sim: float32(buf[b] / total)})
		}
	}
	return m, nil
}

// each calls fn for every transition a -> b out of the session's items
// (oldest first) with its weight v: P(b next | a) times Decay^(steps from
// a back from the latest item).
func (m *SessionModel) each(items []int32, fn func(a, b int32, v float64)) {
	w := 1.0
	for k := len(items) - 1; k >= 0; k-- {
		for _, nb := range m.Next[items[k]] {
			fn(items[k], nb.Item, w*float64(nb.Sim))
		}
		w *= m.Cfg.Decay
	}
}

// ScoreSession scores items as next steps after the session's items
// (oldest first).
func (m *SessionModel) ScoreSession(items []int32, out []float64) {
	clear(out)
	m.each(items, func(_, b int32, v float64) { out[b] += v })
}

// anchor returns the session item that leads to it most, weighing the
// session's items as ScoreSession does, and whether that transition was
// learned from browsing sessions; -1 when no session item leads to it.
func (m *SessionModel) anchor(items []int32, it int32) (int32, bool) {
	best, bv := int32(-1), 0.0
	m.each(items, func(a, b int32, v float64) {
		if b == it && v > bv {
			best, bv = a, v
		}
	})
	return best, best >= 0 && m.Browsed != nil && m.Browsed[best]
}

// Score implements Scorer on the customer's latest basket.
func (m *SessionModel) Score(q *Query, out []float64) {
	m.ScoreSession(lastBasketItems(q.History), out)
}

// SessionsFromEvents groups the views and add-to-carts of events (in time
// order) by session, anonymous sessions included: the products each
// session looked at, in order, for NewSessionModel. Sessions are listed in
// order of their first event.
func SessionsFromEvents(evs []shelfwise.Event) [][]shelfwise.SKU {
	var g SessionGrouper
	for _, e := range evs {
		g.Add(e)
	}
	return g.Sessions()
}

// SessionGrouper builds SessionsFromEvents' answer from events streamed one
// at a time (in time order).
type SessionGrouper struct {
	index map[shelfwise.SessionID]int
	out   [][]shelfwise.SKU
}

// Add records e if it is a view or add-to-cart of a product in a session.
func (g *SessionGrouper) Add(e shelfwise.Event) {
	if e.Session == "" || e.SKU == "" || (e.Type != shelfwise.EventView && e.Type != shelfwise.EventCart) {
		return
	}
	if g.index == nil {
		g.index = map[shelfwise.SessionID]int{}
	}
	k, ok := g.index[e.Session]
	if !ok {
		k = len(g.out)
		g.index[e.Session] = k
		g.out = append(g.out, nil)
	}
	g.out[k] = append(g.out[k], e.SKU)
}

// Sessions returns the sessions grouped so far.
func (g *SessionGrouper) Sessions() [][]shelfwise.SKU { return g.out }
