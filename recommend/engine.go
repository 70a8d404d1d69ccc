package recommend

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Engine is the in-process recommendation service the HTTP server calls.
// It holds the current Model behind an atomic pointer (Swap replaces it
// while requests keep running on the old one) and the live state: events
// observed since the model was trained, per customer and per session, so a
// new event changes that customer's recommendations at once (fold-in),
// without a retrain. All methods are safe for concurrent use.
type Engine struct {
	model atomic.Pointer[Model]

	mu       sync.RWMutex
	live     map[shelfwise.CustomerKey]*liveState
	sessions map[shelfwise.SessionID]*liveState
}

// liveState is what happened since training for one customer or session.
type liveState struct {
	events []shelfwise.Event
	// For the current model: the events converted to its item space and
	// the folded-in ALS vector (nil until computed).
	version string
	hist    []Event
	vec     []float64
}

// NewEngine returns an engine serving m.
func NewEngine(m *Model) *Engine {
	e := &Engine{live: map[shelfwise.CustomerKey]*liveState{}, sessions: map[shelfwise.SessionID]*liveState{}}
	e.model.Store(m)
	return e
}

// Model returns the model being served.
func (e *Engine) Model() *Model { return e.model.Load() }

// Swap atomically replaces the served model, e.g. after a background
// retrain. Requests already running finish on the old model. Live events
// at or before the new model's training end are dropped (the model has
// learned them); later ones are kept and re-applied to the new model.
func (e *Engine) Swap(m *Model) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.model.Store(m)
	prune := func(st *liveState) bool {
		kept := st.events[:0]
		for _, ev := range st.events {
			if ev.Time.After(m.TrainedAt) {
				kept = append(kept, ev)
			}
		}
		st.events = kept
		st.version, st.hist, st.vec = "", nil, nil
		return len(kept) > 0
	}
	for k, st := range e.live {
		if !prune(st) {
			delete(e.live, k)
		}
	}
	for k, st := range e.sessions {
		if !prune(st) {
			delete(e.sessions, k)
		}
	}
}

// Observe records a live event (view, cart or purchase; searches are
// ignored) for its customer and session and folds the customer in again, so
// the next Recommend reflects it. It returns EINVALID for an event without
// a product or without customer and session.
func (e *Engine) Observe(ev shelfwise.Event) error {
	if ev.Type == shelfwise.EventSearch {
		return nil
	}
	if ev.SKU == "" || (ev.Customer == "" && ev.Session == "") {
		return shelfwise.Errorf(shelfwise.EINVALID, "event needs a product and a customer or session")
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	m := e.model.Load()
	e.mu.Lock()
	defer e.mu.Unlock()
	if ev.Customer != "" {
		st := e.live[ev.Customer]
		if st == nil {
			st = &liveState{}
			e.live[ev.Customer] = st
		}
		st.events = append(st.events, ev)
		e.refresh(m, ev.Customer, st)
	}
	if ev.Session != "" {
		st := e.sessions[ev.Session]
		if st == nil {
			st = &liveState{}
			e.sessions[ev.Session] = st
		}
		st.events = append(st.events, ev)
		st.version, st.hist = "", nil
	}
	return nil
}

// refresh converts a customer's live events to m's item space and folds
// the customer's ALS vector in. Callers hold e.mu.
func (e *Engine) refresh(m *Model, c shelfwise.CustomerKey, st *liveState) {
	st.hist = m.liveEvents(st.events)
	st.version = m.Version
	st.vec = nil
	if m.als != nil && len(st.hist) > 0 {
		st.vec = m.als.foldIn(m.history(c, st.hist), m.Log.signals(m.Log.User(c)), m.Log.End)
	}
}

// liveEvents converts live events to log events, skipping unknown SKUs.
// Views and carts count as weaker evidence through their type only in the
// session models; purchases and carts join the customer's history.
func (m *Model) liveEvents(evs []shelfwise.Event) []Event {
	var out []Event
	for _, ev := range evs {
		it := m.Log.Item(ev.SKU)
		if it < 0 {
			continue
		}
		t := ev.Time.Unix()
		q := float32(ev.Quantity)
		if q <= 0 {
			q = 1
		}
		out = append(out, Event{Item: int32(it), Basket: -1 - int32(t/1800), Time: t, Qty: q})
	}
	return out
}

// history is the customer's training history followed by live events.
func (m *Model) history(c shelfwise.CustomerKey, live []Event) []Event {
	var base []Event
	if u := m.Log.User(c); u >= 0 {
		base = m.Log.Histories[u]
	}
	if len(live) == 0 {
		return base
	}
	return append(append(make([]Event, 0, len(base)+len(live)), base...), live...)
}

// liveFor returns the customer's live history and folded vector for m.
func (e *Engine) liveFor(m *Model, c shelfwise.CustomerKey) ([]Event, []float64) {
	e.mu.RLock()
	st := e.live[c]
	if st == nil {
		e.mu.RUnlock()
		return nil, nil
	}
	if st.version == m.Version {
		h, v := st.hist, st.vec
		e.mu.RUnlock()
		return h, v
	}
	e.mu.RUnlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if st.version != m.Version {
		e.refresh(m, c, st)
	}
	return st.hist, st.vec
}

// sessionItems returns the session's items (oldest first) in m's space.
func (e *Engine) sessionItems(m *Model, s shelfwise.SessionID) []int32 {
	if s == "" {
		return nil
	}
	e.mu.RLock()
	st := e.sessions[s]
	var evs []shelfwise.Event
	if st != nil {
		evs = append(evs, st.events...)
	}
	e.mu.RUnlock()
	var out []int32
	for _, ev := range m.liveEvents(evs) {
		out = append(out, ev.Item)
	}
	return out
}

// Request asks for recommendations.
type Request struct {
	// Customer (pseudonymised) and/or Session; both empty means an
	// anonymous visitor (cold start: trending items).
	Customer shelfwise.CustomerKey
	Session  shelfwise.SessionID
	// N is the number of items (default 10).
	N      int
	Filter Filter
	// Now is the scoring time; zero means the later of the model's training
	// end and the customer's latest live event.
	Now time.Time
}

// Recommend returns up to N products for a customer or session, best
// first, each with the reason a person can read. Unknown customers without
// live events get trending items (in the filter's categories, if any).
func (e *Engine) Recommend(ctx context.Context, req Request) ([]shelfwise.Recommendation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := e.model.Load()
	if req.N <= 0 {
		req.N = 10
	}
	live, vec := e.liveFor(m, req.Customer)
	hist := m.history(req.Customer, live)
	sess := e.sessionItems(m, req.Session)
	now := m.Log.End
	if len(live) > 0 {
		now = max(now, live[len(live)-1].Time)
	}
	if !req.Now.IsZero() {
		now = req.Now.Unix()
	}
	u := m.Log.User(req.Customer)
	q := &Query{User: u, History: hist, Signals: m.Log.signals(u), Changed: len(live) > 0, Now: now, UserVec: vec}
	return m.recommend(q, sess, req), nil
}
