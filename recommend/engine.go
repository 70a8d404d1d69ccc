package recommend

import (
	"cmp"
	"context"
	"hash/maphash"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
)

// Default limits of an Engine's live state (see the Engine fields).
const (
	DefaultMaxLiveEvents = 256
	DefaultMaxCustomers  = 1 << 18
	DefaultMaxSessions   = 1 << 17
	// maxSessionEvents caps the events kept per session (the session model
	// looks at the last few items only).
	maxSessionEvents = 50
)

// Engine is the in-process recommendation service the HTTP server calls.
// It holds the current Model behind an atomic pointer (Swap replaces it
// while requests keep running on the old one) and the live state: events
// observed since the model was trained, per customer and per session, so a
// new event changes that customer's recommendations at once (fold-in),
// without a retrain. All methods are safe for concurrent use.
//
// Reads never wait for writes: each customer's (and session's) live state
// is an immutable snapshot behind an atomic pointer in a sharded table.
// Observe builds the next snapshot (events, history in the model's item
// space, the folded-in ALS vector) holding only that key's writer lock and
// publishes it with one pointer store; Recommend loads the pointer.
type Engine struct {
	// MaxLiveEvents caps the live events kept per customer; the newest are
	// kept (default DefaultMaxLiveEvents). Older live events stop counting
	// until the next retrain learns them from the store.
	MaxLiveEvents int
	// MaxCustomers and MaxSessions bound how many customers and sessions
	// have live state; past the bound the least recently updated half of a
	// shard is dropped (defaults DefaultMaxCustomers, DefaultMaxSessions).
	// Set the limits before the engine is shared.
	MaxCustomers, MaxSessions int

	model     atomic.Pointer[Model]
	summaries atomic.Pointer[summaryCache] // of the served model's customers
	seq       atomic.Uint64                // orders snapshot updates (least recently updated first)
	swapMu    sync.Mutex                   // serialises Swap
	customers liveTable[shelfwise.CustomerKey]
	sessions  liveTable[shelfwise.SessionID]
}

// NewEngine returns an engine serving m.
func NewEngine(m *Model) *Engine {
	e := &Engine{}
	e.customers.init()
	e.sessions.init()
	e.model.Store(m)
	return e
}

// Model returns the model being served.
func (e *Engine) Model() *Model { return e.model.Load() }

// liveSnap is the live state of one customer or session: never modified
// once published (writers publish a new one).
type liveSnap struct {
	// events are the live events, in arrival order, at most the cap.
	events []shelfwise.Event
	seq    uint64
	// Derived for model (nil until computed): the customer's purchase
	// history (training history followed by the live purchases in the
	// model's item space), their views and carts (training signals
	// followed by the live ones), how many live events the model knows,
	// the latest of their times, the folded-in ALS vector (computed by the
	// first request that needs it: folded); for a session, its items.
	model  *Model
	hist   []Event
	sigs   []Signal
	nlive  int
	last   int64
	vec    []float64
	folded bool
	items  []int32
	// sm is Summarize(hist), computed with the fold-in when there are
	// live events (without, Recommend reads the engine's summary cache).
	sm *Summary
}

// liveEntry holds one key's current snapshot.
type liveEntry struct {
	mu   sync.Mutex  // serialises the key's writers (readers never take it)
	dead atomic.Bool // removed from its table: writers look the key up again
	cur  atomic.Pointer[liveSnap]
}

// liveShards is the number of independently locked parts of a liveTable.
const liveShards = 64

// liveTable maps keys to their live entries, sharded so that creating one
// customer's entry does not stall lookups of others.
type liveTable[K ~string] struct {
	seed   maphash.Seed
	shards [liveShards]liveShard[K]
}

type liveShard[K ~string] struct {
	mu sync.RWMutex
	m  map[K]*liveEntry
}

func (t *liveTable[K]) init() {
	t.seed = maphash.MakeSeed()
	for i := range t.shards {
		t.shards[i].m = map[K]*liveEntry{}
	}
}

func (t *liveTable[K]) shard(k K) *liveShard[K] {
	return &t.shards[maphash.String(t.seed, string(k))%liveShards]
}

// get returns k's entry, or nil.
func (t *liveTable[K]) get(k K) *liveEntry {
	sh := t.shard(k)
	sh.mu.RLock()
	ent := sh.m[k]
	sh.mu.RUnlock()
	return ent
}

// getOrCreate returns k's entry, creating it; when the shard then holds
// more than limit/liveShards entries, the least recently updated half of
// them (whose writers are idle) is dropped first.
func (t *liveTable[K]) getOrCreate(k K, limit int) *liveEntry {
	sh := t.shard(k)
	sh.mu.RLock()
	ent := sh.m[k]
	sh.mu.RUnlock()
	if ent != nil {
		return ent
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if ent = sh.m[k]; ent != nil {
		return ent
	}
	if per := max(1, limit/liveShards); len(sh.m) >= per {
		sh.evictLocked(per / 2)
	}
	ent = &liveEntry{}
	sh.m[k] = ent
	return ent
}

// evictLocked drops the least recently updated entries until at most keep
// remain, skipping entries a writer holds. Callers hold sh.mu.
func (sh *liveShard[K]) evictLocked(keep int) {
	type aged struct {
		k   K
		seq uint64
	}
	all := make([]aged, 0, len(sh.m))
	for k, ent := range sh.m {
		var seq uint64
		if s := ent.cur.Load(); s != nil {
			seq = s.seq
		}
		all = append(all, aged{k, seq})
	}
	slices.SortFunc(all, func(a, b aged) int { return cmp.Compare(a.seq, b.seq) })
	for _, a := range all[:max(0, len(all)-keep)] {
		ent := sh.m[a.k]
		if !ent.mu.TryLock() {
			continue // being written right now: not the least recent
		}
		ent.dead.Store(true)
		ent.cur.Store(nil)
		delete(sh.m, a.k)
		ent.mu.Unlock()
	}
}

// remove deletes k's entry if it is ent. Callers hold ent.mu (lock order:
// entry, then shard; eviction only tries entry locks).
func (t *liveTable[K]) remove(k K, ent *liveEntry) {
	ent.dead.Store(true)
	ent.cur.Store(nil)
	sh := t.shard(k)
	sh.mu.Lock()
	if sh.m[k] == ent {
		delete(sh.m, k)
	}
	sh.mu.Unlock()
}

// update applies f to k's current snapshot (nil when none) under k's writer
// lock and publishes what it returns (nil: remove k).
func (t *liveTable[K]) update(k K, limit int, f func(old *liveSnap) *liveSnap) {
	for {
		ent := t.getOrCreate(k, limit)
		ent.mu.Lock()
		if ent.dead.Load() { // removed meanwhile: use the key's new entry
			ent.mu.Unlock()
			continue
		}
		if s := f(ent.cur.Load()); s != nil {
			ent.cur.Store(s)
		} else {
			t.remove(k, ent)
		}
		ent.mu.Unlock()
		return
	}
}

// sweep applies f to every entry as update does.
func (t *liveTable[K]) sweep(f func(old *liveSnap) *liveSnap) {
	type kv struct {
		k   K
		ent *liveEntry
	}
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.RLock()
		ents := make([]kv, 0, len(sh.m))
		for k, ent := range sh.m {
			ents = append(ents, kv{k, ent})
		}
		sh.mu.RUnlock()
		for _, x := range ents {
			x.ent.mu.Lock()
			if !x.ent.dead.Load() {
				if s := f(x.ent.cur.Load()); s != nil {
					x.ent.cur.Store(s)
				} else {
					t.remove(x.k, x.ent)
				}
			}
			x.ent.mu.Unlock()
		}
	}
}

// len returns the number of keys with live state.
func (t *liveTable[K]) len() int {
	n := 0
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

func (e *Engine) maxLive() int {
	if e.MaxLiveEvents > 0 {
		return e.MaxLiveEvents
	}
	return DefaultMaxLiveEvents
}

func (e *Engine) maxCustomers() int {
	if e.MaxCustomers > 0 {
		return e.MaxCustomers
	}
	return DefaultMaxCustomers
}

func (e *Engine) maxSessions() int {
	if e.MaxSessions > 0 {
		return e.MaxSessions
	}
	return DefaultMaxSessions
}

// Swap atomically replaces the served model, e.g. after a background
// retrain. Requests already running finish on the old model. A customer's
// live events at or before the new model's training end (TrainedAt) are
// dropped (the model has learned them); later ones are kept and re-applied
// to the new model when the customer is next asked for. Sessions keep all
// their events: a model learns from sessions, not the items of each one,
// so a visitor's list still follows what they looked at before the swap.
func (e *Engine) Swap(m *Model) {
	e.swapMu.Lock()
	defer e.swapMu.Unlock()
	e.model.Store(m)
	e.summaries.Store(nil)
	prune := func(old *liveSnap) *liveSnap {
		if old == nil {
			return nil
		}
		var kept []shelfwise.Event
		for _, ev := range old.events {
			if ev.Time.After(m.TrainedAt) {
				kept = append(kept, ev)
			}
		}
		if len(kept) == 0 {
			return nil
		}
		return &liveSnap{events: kept, seq: old.seq}
	}
	e.customers.sweep(prune)
}

// Forget drops everything the engine holds about customer c (erasure): its
// live events and folded-in vector. Sessions never hold customer keys.
func (e *Engine) Forget(c shelfwise.CustomerKey) {
	if ent := e.customers.get(c); ent != nil {
		ent.mu.Lock()
		if !ent.dead.Load() {
			e.customers.remove(c, ent)
		}
		ent.mu.Unlock()
	}
}

// LiveCustomers returns how many customers have live state.
func (e *Engine) LiveCustomers() int { return e.customers.len() }

// LiveSessions returns how many sessions have live state.
func (e *Engine) LiveSessions() int { return e.sessions.len() }

// Observe records live events (views, carts and purchases; searches are
// ignored) for their customers and sessions and folds each customer in
// again, once per call however many of its events the call brings, so the
// next Recommend reflects them. Pass a whole ingest batch in one call.
// Events without a product, or without customer and session, are skipped
// and reported as EINVALID (naming the first); the others are recorded.
func (e *Engine) Observe(evs ...shelfwise.Event) error {
	var bad error
	var now time.Time
	type group[K comparable] struct {
		keys []K
		evs  map[K][]shelfwise.Event
	}
	var cs group[shelfwise.CustomerKey]
	var ss group[shelfwise.SessionID]
	for i, ev := range evs {
		if ev.Type == shelfwise.EventSearch {
			continue
		}
		if ev.SKU == "" || (ev.Customer == "" && ev.Session == "") {
			if bad == nil {
				bad = shelfwise.Errorf(shelfwise.EINVALID, "event %d needs a product and a customer or session", i)
			}
			continue
		}
		if ev.Time.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			ev.Time = now
		}
		if ev.Customer != "" {
			if cs.evs == nil {
				cs.evs = map[shelfwise.CustomerKey][]shelfwise.Event{}
			}
			if _, ok := cs.evs[ev.Customer]; !ok {
				cs.keys = append(cs.keys, ev.Customer)
			}
			cs.evs[ev.Customer] = append(cs.evs[ev.Customer], ev)
		}
		if ev.Session != "" {
			if ss.evs == nil {
				ss.evs = map[shelfwise.SessionID][]shelfwise.Event{}
			}
			if _, ok := ss.evs[ev.Session]; !ok {
				ss.keys = append(ss.keys, ev.Session)
			}
			sv := ev
			sv.Customer = "" // sessions hold no customer keys (erasure)
			ss.evs[ev.Session] = append(ss.evs[ev.Session], sv)
		}
	}
	m := e.model.Load()
	for k, c := range cs.keys {
		if k%32 == 31 {
			// Let requests queued on this P run between customers rather
			// than behind the whole batch.
			runtime.Gosched()
		}
		add := cs.evs[c]
		e.customers.update(c, e.maxCustomers(), func(old *liveSnap) *liveSnap {
			s := &liveSnap{events: appendCapped(old, add, e.maxLive()), seq: e.seq.Add(1)}
			// The fold-in waits for the customer's next request: events
			// arriving before it cost one fold-in, not one each.
			m.deriveCustomer(c, s, false)
			return s
		})
	}
	for _, s := range ss.keys {
		add := ss.evs[s]
		e.sessions.update(s, e.maxSessions(), func(old *liveSnap) *liveSnap {
			ns := &liveSnap{events: appendCapped(old, add, maxSessionEvents), seq: e.seq.Add(1)}
			m.deriveSession(ns)
			return ns
		})
	}
	return bad
}

// appendCapped returns old's events followed by add, keeping the newest
// limit. It appends in place when the backing array has room: readers of
// old see only old.events[:len], which never changes, and the key's
// writers are serialised and always extend the latest snapshot, so no two
// appends share a slot. Dropping the oldest is a reslice; the array is
// copied (the window only) when append grows it, so an update costs O(len
// add) amortised, not O(limit).
func appendCapped(old *liveSnap, add []shelfwise.Event, limit int) []shelfwise.Event {
	var prev []shelfwise.Event
	if old != nil {
		prev = old.events
	}
	out := append(prev, add...)
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// deriveCustomer fills s's history and signals for m, and its folded-in
// vector when fold is set. Live purchases join the history (repeat
// features, "you bought this"); views and carts are weaker evidence and
// join the signals, as in training (Weights).
func (m *Model) deriveCustomer(c shelfwise.CustomerKey, s *liveSnap, fold bool) {
	u := m.Log.User(c)
	var bought []Event
	var sigs []Signal
	s.model, s.nlive, s.last, s.vec = m, 0, 0, nil
	for _, ev := range s.events {
		it := m.Log.Item(ev.SKU)
		if it < 0 {
			continue
		}
		t := ev.Time.Unix()
		s.nlive++
		s.last = max(s.last, t)
		q := float32(max(1, ev.Quantity))
		switch ev.Type {
		case shelfwise.EventView, shelfwise.EventCart:
			if sigs == nil {
				base := m.Log.signals(u)
				sigs = append(make([]Signal, 0, len(base)+len(s.events)), base...)
			}
			k := KindView
			if ev.Type == shelfwise.EventCart {
				k = KindCart
			}
			sigs = append(sigs, Signal{Item: int32(it), Kind: k, Time: t, Qty: q})
		default:
			bought = append(bought, Event{Item: int32(it), Basket: -1 - int32(t/1800), Time: t, Qty: q})
		}
	}
	if sigs == nil {
		sigs = m.Log.signals(u)
	}
	s.hist, s.sigs = m.history(c, bought), sigs
	if fold {
		m.fold(s)
	}
}

// fold computes s's ALS vector (when the model has ALS and s has live
// events it knows).
func (m *Model) fold(s *liveSnap) {
	if s.nlive > 0 {
		if m.als != nil {
			s.vec = m.als.foldIn(s.hist, s.sigs, m.Log.End)
		}
		s.sm = Summarize(s.hist)
	}
	s.folded = true
}

// summaryCache keeps the summaries of one model's customers' training
// histories, each built on the customer's first request without live
// events: they change only with the model (a customer's live events make
// a new history, summarised in its snapshot). Chunks of summaryChunk
// customers are allocated as they are first needed, so the cache costs
// the summaries of the customers served, about the size of their
// histories.
type summaryCache struct {
	m      *Model
	chunks []atomic.Pointer[[summaryChunk]atomic.Pointer[Summary]]
}

const summaryChunk = 1024

// summary returns Summarize of trained customer u's history in m (u >= 0),
// from the cache when m is the model it holds.
func (e *Engine) summary(m *Model, u int) *Summary {
	c := e.summaries.Load()
	for c == nil || c.m != m {
		if e.model.Load() != m {
			// Another model is served: do not cache for this one.
			return Summarize(m.Log.Histories[u])
		}
		nc := &summaryCache{m: m, chunks: make([]atomic.Pointer[[summaryChunk]atomic.Pointer[Summary]], (m.Log.NumUsers()+summaryChunk-1)/summaryChunk)}
		if e.summaries.CompareAndSwap(c, nc) {
			c = nc
			break
		}
		// Another request installed a cache meanwhile: use it if it is
		// for m (losing the race must not leave this customer uncached).
		c = e.summaries.Load()
	}
	ch := c.chunks[u/summaryChunk].Load()
	if ch == nil {
		c.chunks[u/summaryChunk].CompareAndSwap(nil, new([summaryChunk]atomic.Pointer[Summary]))
		ch = c.chunks[u/summaryChunk].Load()
	}
	slot := &ch[u%summaryChunk]
	if sm := slot.Load(); sm != nil {
		return sm
	}
	sm := Summarize(m.Log.Histories[u])
	slot.CompareAndSwap(nil, sm)
	return slot.Load()
}

// Warm summarises every trained customer of the served model ahead of
// their first request, which otherwise pays for it, and lays out the
// rerankers' trees for prediction (which the first reranked request
// would otherwise do). It uses every core and returns
// when all are done, when ctx ends (its error) or when another model is
// swapped in (nil: the new model needs its own Warm). Servers run it in
// the background after NewEngine, Swap and Replace; requests meanwhile are
// served as usual.
func (e *Engine) Warm(ctx context.Context) error {
	m := e.model.Load()
	for _, h := range []*Hybrid{m.All, m.New} {
		if h != nil && ctx.Err() == nil {
			h.prepareRerank(m.Log.NumItems())
		}
	}
	n := m.Log.NumUsers()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := int(next.Add(64) - 64) // 64 customers at a time
				if start >= n || ctx.Err() != nil || e.model.Load() != m {
					return
				}
				for u := start; u < min(start+64, n); u++ {
					e.summary(m, u)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// deriveSession fills s's items (viewed, carted and bought) for m.
func (m *Model) deriveSession(s *liveSnap) {
	s.model = m
	s.items = s.items[:0]
	for _, ev := range s.events {
		if it := m.Log.Item(ev.SKU); it >= 0 {
			s.items = append(s.items, int32(it))
		}
	}
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

// current returns the snapshot of ent derived (and, for a customer,
// folded in) for m, deriving what is missing without any lock when the
// model changed since it was built or no request has folded it in yet,
// and publishing that unless a writer replaced the snapshot meanwhile.
// nil when there is none. c is the customer of a customer entry, "" for a
// session's.
func current(ent *liveEntry, m *Model, c shelfwise.CustomerKey, session bool) *liveSnap {
	if ent == nil {
		return nil
	}
	s := ent.cur.Load()
	if s == nil || (s.model == m && (session || s.folded)) {
		return s
	}
	var ns *liveSnap
	switch {
	case session:
		ns = &liveSnap{events: s.events, seq: s.seq}
		m.deriveSession(ns)
	case s.model == m: // derived, not folded in yet
		cp := *s
		ns = &cp
		m.fold(ns)
	default:
		ns = &liveSnap{events: s.events, seq: s.seq}
		m.deriveCustomer(c, ns, true)
	}
	ent.cur.CompareAndSwap(s, ns)
	return ns
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
	u := m.Log.User(req.Customer)
	var (
		hist  []Event
		sigs  []Signal
		vec   []float64
		sm    *Summary
		nlive int
		now   = m.TrainedAt.Unix()
	)
	if req.Customer != "" {
		if s := current(e.customers.get(req.Customer), m, req.Customer, false); s != nil {
			hist, sigs, vec, sm, nlive = s.hist, s.sigs, s.vec, s.sm, s.nlive
			if nlive > 0 {
				now = max(now, s.last)
			}
		}
	}
	if nlive == 0 {
		hist, sigs, vec, sm = m.history(req.Customer, nil), m.Log.signals(u), nil, nil
		if u >= 0 {
			sm = e.summary(m, u)
		}
	}
	var sess []int32
	if req.Session != "" {
		if s := current(e.sessions.get(req.Session), m, "", true); s != nil {
			sess = s.items
		}
	}
	if !req.Now.IsZero() {
		now = req.Now.Unix()
	}
	q := &Query{User: u, History: hist, Signals: sigs, Changed: nlive > 0, Now: now, UserVec: vec, summary: sm}
	return m.recommend(q, sess, req), nil
}
