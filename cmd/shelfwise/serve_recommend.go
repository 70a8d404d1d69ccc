package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shelfwise/shelfwise"
	shelfhttp "github.com/shelfwise/shelfwise/http"
	"github.com/shelfwise/shelfwise/ml/modelio"
	"github.com/shelfwise/shelfwise/recommend"
	"github.com/shelfwise/shelfwise/registry"
	"github.com/shelfwise/shelfwise/sqlite"
)

// wireCapabilities registers every capability that exists as a model task
// and points the server's read routes at it. Add a line when one lands. It
// returns a function that waits for the capabilities' background work
// (rewrites of saved models after an erasure), for shutdown.
func (m *Main) wireCapabilities(db shelfwise.DB, mgr *registry.Manager, cfg *shelfhttp.Config) (wait func()) {
	rc := &recommendCap{db: db, modelFile: m.recommendModelFile(), log: cfg.Logger, models: cfg.Models}
	mgr.AddTask(rc.task())
	cfg.Recommender = rc
	cfg.OnIngest = rc.observe
	cfg.OnErase = rc.forget
	fc := &forecastCap{db: db}
	mgr.AddTask(fc.task())
	cfg.Forecaster = fc
	pc := &propensityCap{db: db}
	mgr.AddTask(pc.task())
	cfg.Propensity = pc
	return func() {
		rc.scrubbing.Wait()
		rc.stockLoads.Wait()
	}
}

// recommendCap serves recommendations from the promoted recommend model
// through one recommend.Engine, swapped atomically on promotion.
type recommendCap struct {
	db shelfwise.DB
	// modelFile is the model `shelfwise recommend` saves; an erasure
	// removes it (it holds purchase histories).
	modelFile string
	log       *slog.Logger
	// models holds the saved versions, rewritten without erased customers
	// (in the background after an erasure, one rewrite at a time: scrubMu).
	models    shelfwise.ModelRegistry
	scrubMu   sync.Mutex
	scrubbing sync.WaitGroup // background sweeps of saved versions
	sweepMu   sync.Mutex     // guards sweeping and sweepAgain
	sweeping  bool
	// sweepAgain asks the running sweep for another pass (an erasure
	// arrived while it ran): erasures in a burst share sweeps.
	sweepAgain bool
	mu         sync.Mutex // guards creating eng, and erased
	// erased lists the customers this process erased, in order: a model
	// loaded while one was erased drops them before it is swapped in.
	erased  []shelfwise.CustomerKey
	eng     atomic.Pointer[recommend.Engine]
	version atomic.Int64
	// cache holds the lists served by the current model (replaced on
	// promotion; a customer's lists dropped by their live events).
	cache atomic.Pointer[recCache]
	// trained keeps the models trained by this process by artifact
	// checksum, so promoting them does not train again.
	trained sync.Map
	// now is the clock (nil: time.Now), for tests.
	now func() time.Time
	// stock is the latest snapshot of the products out of stock, for
	// in_stock lists. stockMu is held by the one read of the store at a
	// time: the first snapshot is read while the request waits; after
	// stockTTL the stale one keeps serving while a background reload
	// (stockLoads) holds it.
	stock      atomic.Pointer[stockSnap]
	stockMu    sync.Mutex
	stockLoads sync.WaitGroup
}

// stockTTL is how long a snapshot of the stock levels serves in_stock
// lists before the store is read again.
const stockTTL = time.Minute

// stockSnap is the set of products out of stock at a time: those whose
// latest stock level is zero or less in every store that has one.
type stockSnap struct {
	at  time.Time
	out map[shelfwise.SKU]bool
}

// outOfStock returns the current out-of-stock set (nil without a store).
func (rc *recommendCap) outOfStock(ctx context.Context) (map[shelfwise.SKU]bool, error) {
	if rc.db == nil {
		return nil, nil
	}
	if s := rc.stock.Load(); s != nil {
		if rc.clock().Sub(s.at) >= stockTTL && rc.stockMu.TryLock() {
			rc.stockLoads.Add(1)
			go func() {
				defer rc.stockLoads.Done()
				defer rc.stockMu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), stockTTL)
				defer cancel()
				if err := rc.loadStock(ctx); err != nil {
					rc.logger().Error("stock levels for in_stock lists: reload failed; the previous ones still serve", "err", err)
				}
			}()
		}
		return s.out, nil
	}
	rc.stockMu.Lock()
	defer rc.stockMu.Unlock()
	if s := rc.stock.Load(); s != nil {
		return s.out, nil
	}
	if err := rc.loadStock(ctx); err != nil {
		return nil, err
	}
	return rc.stock.Load().out, nil
}

// loadStock reads the store's stock levels into a new snapshot.
func (rc *recommendCap) loadStock(ctx context.Context) error {
	at := rc.clock()
	levels, err := rc.db.LatestStockLevels(ctx)
	if err != nil {
		return err
	}
	rc.stock.Store(&stockSnap{at: at, out: outOfStockSet(levels)})
	return nil
}

// clock is the current time (rc.now in tests).
func (rc *recommendCap) clock() time.Time {
	if rc.now != nil {
		return rc.now()
	}
	return time.Now()
}

// outOfStockSet is the set of products whose latest stock level (levels
// as LatestStockLevels returns them: one per product and store) is zero or
// less in every store.
func outOfStockSet(levels []shelfwise.StockLevel) map[shelfwise.SKU]bool {
	out := map[shelfwise.SKU]bool{}
	for _, l := range levels {
		if l.OnHand > 0 {
			out[l.SKU] = false
		} else if _, seen := out[l.SKU]; !seen {
			out[l.SKU] = true
		}
	}
	for sku, gone := range out {
		if !gone {
			delete(out, sku)
		}
	}
	return out
}

// recommendRecipe was the registry artifact of a recommend model before
// models were saved (now the artifact is the model, recommend.ModelKind):
// it records how to rebuild the model deterministically from the store
// (same purchases, same configuration), and is still read for versions
// registered then.
type recommendRecipe struct {
	Format    string    `json:"format"`
	Config    string    `json:"config"`
	TrainTo   time.Time `json:"train_to"`
	Purchases int       `json:"purchases"`
	Trained   time.Time `json:"trained"`
}

const recipeFormat = "shelfwise-recommend-recipe/1"

func (rc *recommendCap) task() registry.Task {
	// Trained first: live traffic (every shop page view) asks for it.
	return registry.Task{Name: shelfwise.TaskRecommend, Train: rc.train, Load: rc.load, Registered: rc.registered, Priority: 10}
}

// train evaluates the hybrid on the last 28 days (trained on the days
// before), beside the customer's own history and the most popular items,
// and then trains the served model on every purchase, return, view and
// add-to-cart.
func (rc *recommendCap) train(ctx context.Context, progress shelfwise.Progress) (registry.Candidate, error) {
	progress(0.02, "reading purchases and events")
	asOf := rc.readAsOf() // customers erased from then on may be in the model
	in, err := recommenderData(ctx, rc.db, time.Time{})
	if err != nil {
		return registry.Candidate{}, err
	}
	ps := in.Purchases
	evalMsg := fmt.Sprintf("evaluating on the last 28 days of %d purchases", len(ps))
	progress(0.1, evalMsg)
	// Each part reports its training stages within its share of the job.
	stagesIn := func(lo, hi float64, what string) context.Context {
		return recommend.WithProgress(ctx, func(f float64, msg string) { progress(lo+(hi-lo)*f, what+": "+msg) })
	}
	// The same days are scored by what the shop has without a model (the
	// customer's own history by number of lines, the most popular items),
	// so the models page shows the lift beside the figures.
	bases := []string{"own_history", "popular"}
	evs, err := recommend.EvaluateEach(stagesIn(0.1, 0.5, evalMsg), ps, recommend.Protocol{TestDays: 28, K: 10, Interactions: in.Interactions},
		recommend.HybridTrainer(recommend.DefaultModel.Hybrid), recommend.TrainOwnHistory, recommend.TrainPopular)
	if err != nil {
		if n := len(evs); n > 0 {
			return registry.Candidate{}, fmt.Errorf("baseline %s: %w", bases[n-1], err)
		}
		return registry.Candidate{}, err
	}
	ev := evs[0]
	metrics := map[string]float64{
		"ndcg@10": ev.NDCG, "recall@10": ev.Recall, "map@10": ev.MAP, "hit_rate@10": ev.HitRate,
		"coverage": ev.Coverage, "test_users": float64(ev.Users),
	}
	for i, name := range bases {
		b := evs[1+i]
		metrics[name+"_ndcg@10"], metrics[name+"_recall@10"] = b.NDCG, b.Recall
		// How sure the lift is: the 95% bootstrap interval of the
		// hybrid's Recall@10 gain over the baseline, customer by customer.
		// (None without test customers: NaN has no place among metrics.)
		if len(ev.UserRecall) > 0 {
			gain := gainInterval95(ev.UserRecall, b.UserRecall, 1)
			metrics[name+"_recall@10_gain_lo95"], metrics[name+"_recall@10_gain_hi95"] = gain.Lo, gain.Hi
		}
	}
	progress(0.5, "training on all purchases")
	model, err := recommend.TrainModel(stagesIn(0.5, 0.98, "training on all purchases"), in, recommend.DefaultModel)
	if err != nil {
		return registry.Candidate{}, err
	}
	last := ps[0].Time
	for _, p := range ps {
		if p.Time.After(last) {
			last = p.Time
		}
	}
	// The artifact is the trained model itself (recommend.ModelKind), so
	// a restart loads it instead of training again.
	model.Data = in.Fingerprint()
	art, err := model.MarshalBinary()
	if err != nil {
		return registry.Candidate{}, err
	}
	sum := sha256.Sum256(art)
	rc.trained.Store(hex.EncodeToString(sum[:]), model)
	return registry.Candidate{
		Model:         "hybrid",
		Metrics:       metrics,
		PrimaryMetric: "ndcg@10", HigherIsBetter: true,
		DataSnapshot: fmt.Sprintf("purchases=%d interactions=%d customers=%d items=%d until=%s", len(ps), len(in.Interactions),
			model.Log.NumUsers(), model.Log.NumItems(), last.Format(time.RFC3339)),
		DataAsOf: asOf,
		Artifact: art,
	}, nil
}

// load returns the model of a version: the one trained in this process,
// the saved model of the artifact after a restart, or (for versions
// registered before models were saved) one rebuilt from its recipe.
func (rc *recommendCap) load(ctx context.Context, v shelfwise.ModelVersion, art []byte) (func(), error) {
	rc.mu.Lock()
	erasedBefore := len(rc.erased)
	rc.mu.Unlock()
	var model *recommend.Model
	if x, ok := rc.trained.Load(v.Checksum); ok {
		model = x.(*recommend.Model)
	} else if modelio.Kind(art) == recommend.ModelKind {
		m, err := recommend.UnmarshalModel(art)
		if err != nil {
			return nil, fmt.Errorf("recommend v%d: %w", v.Version, err)
		}
		model = m
		rc.trained.Store(v.Checksum, model)
	} else {
		var rec recommendRecipe
		if err := json.Unmarshal(art, &rec); err != nil || rec.Format != recipeFormat {
			return nil, fmt.Errorf("recommend v%d: not a %s artifact", v.Version, recipeFormat)
		}
		in, err := recommenderData(ctx, rc.db, rec.TrainTo)
		if err != nil {
			return nil, err
		}
		in.Interactions, in.Sessions = nil, nil // recipes were trained on purchases alone
		if model, err = recommend.TrainModel(ctx, in, recommend.DefaultModel); err != nil {
			return nil, err
		}
		rc.trained.Store(v.Checksum, model)
	}
	// Customers erased since the model's data was read are no longer in
	// the store: their histories and vectors leave the model before it
	// serves (a saved artifact or a rollback never brings them back), and
	// the saved versions are rewritten so the next start need not do it.
	if rc.erasedSince(ctx, v.DataAsOf) {
		var err error
		if model, err = rc.scrub(ctx, model); err != nil {
			return nil, err
		}
		rc.requestSweep()
	}
	return func() {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		// A customer erased since the check above is in the store's
		// past but maybe in this model.
		if gone := rc.erased[erasedBefore:]; len(gone) > 0 {
			clean, _, err := model.Retain(func(c shelfwise.CustomerKey) bool { return !slices.Contains(gone, c) })
			if err != nil {
				rc.logger().Error("not serving a model loaded during an erasure", "version", v.Version, "err", err)
				return
			}
			model = clean
		}
		e := rc.eng.Load()
		if e != nil {
			e.Swap(model)
		} else {
			e = recommend.NewEngine(model)
			rc.eng.Store(e)
		}
		// Summarise the customers ahead of their first requests; a later
		// swap ends this.
		go e.Warm(context.Background())
		rc.version.Store(int64(v.Version))
		// After the swap: a list computed on the old model can only land in
		// the old cache, which is dropped here.
		rc.cache.Store(newRecCache(model))
	}, nil
}

func (rc *recommendCap) engine() (*recommend.Engine, error) {
	e := rc.eng.Load()
	if e == nil {
		return nil, shelfwise.Errorf(shelfwise.ENOTFOUND,
			"no recommendation model has been promoted yet: train one with POST /v1/models/recommend/retrain")
	}
	return e, nil
}

// observe feeds a committed ingest batch (live events and purchases) to
// the engine in one call, so the next recommendation reflects it (each
// customer is folded in once per batch, and readers never wait for it),
// then drops the cached lists of the customers concerned (after the engine
// has the events: a list computed from now on includes them).
func (rc *recommendCap) observe(evs []shelfwise.Event, lines []shelfwise.OrderLine) {
	e := rc.eng.Load()
	if e == nil {
		return
	}
	// A product the model does not know changes no list of this model
	// (the engine keeps the event for the next one).
	known := func(sku shelfwise.SKU) bool { return e.Model().Log.Item(sku) >= 0 }
	var changed []shelfwise.CustomerKey
	live := make([]shelfwise.Event, 0, len(evs)+len(lines))
	for _, ev := range evs {
		if ev.SKU != "" && (ev.Customer != "" || ev.Session != "") {
			live = append(live, ev)
			if ev.Customer != "" && ev.Type != shelfwise.EventSearch && known(ev.SKU) {
				changed = append(changed, ev.Customer)
			}
		}
	}
	for _, l := range lines {
		if l.Kind == shelfwise.LineSale && l.Customer != "" && l.SKU != "" {
			live = append(live, shelfwise.Event{Time: l.Time, Customer: l.Customer, Type: shelfwise.EventPurchase,
				SKU: l.SKU, Quantity: l.Quantity, Price: l.UnitPrice, Store: l.Store})
			if known(l.SKU) {
				changed = append(changed, l.Customer)
			}
		}
	}
	e.Observe(live...) // every event in live is valid
	if c := rc.cache.Load(); c != nil && len(changed) > 0 {
		c.invalidate(changed...)
	}
}

// forget drops an erased customer's live events from the engine, their
// purchase history and vector from the served model (swapped for a copy
// without them), their cached lists, and the model file the recommend
// command saves.
func (rc *recommendCap) forget(c shelfwise.CustomerKey) {
	rc.mu.Lock()
	rc.erased = append(rc.erased, c)
	rc.mu.Unlock()
	if e := rc.eng.Load(); e != nil {
		e.Forget(c)
		rc.mu.Lock()
		clean, n, err := e.Model().Retain(allBut(c))
		switch {
		case err != nil:
			rc.logger().Error("erasing a customer from the recommendation model", "err", err)
		case n > 0:
			e.Replace(clean)
			go e.Warm(context.Background())
			// The old cache only takes lists of the old model (which
			// held the customer): start one for the new.
			rc.cache.Store(newRecCache(clean))
		}
		rc.mu.Unlock()
	}
	if cache := rc.cache.Load(); cache != nil {
		cache.forget(c)
	}
	if rc.modelFile != "" {
		// The model, then its stamp: a stamp without its model is
		// ignored, but it would outlive it.
		for _, f := range []string{rc.modelFile, stampFile(rc.modelFile)} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				rc.logger().Error("removing the saved recommendation model after an erasure", "file", f, "err", err)
			}
		}
	}
	// Models this process trained are kept by checksum for promotion:
	// they hold the customer too, and are read again from their artifacts.
	rc.trained.Clear()
	rc.requestSweep()
}

// allBut keeps every customer but c.
func allBut(c shelfwise.CustomerKey) func(shelfwise.CustomerKey) bool {
	return func(k shelfwise.CustomerKey) bool { return k != c }
}

// requestSweep rewrites, in the background, the saved versions that may
// hold erased customers. One sweep runs at a time; erasures arriving
// meanwhile ask it for one more pass.
func (rc *recommendCap) requestSweep() {
	if rc.models == nil || rc.db == nil {
		return
	}
	rc.sweepMu.Lock()
	defer rc.sweepMu.Unlock()
	if rc.sweeping {
		rc.sweepAgain = true
		return
	}
	rc.sweeping = true
	rc.scrubbing.Add(1)
	go func() {
		defer rc.scrubbing.Done()
		for {
			if err := rc.sweep(context.Background()); err != nil {
				rc.logger().Error("erasing customers from saved recommendation models", "err", err)
			}
			rc.sweepMu.Lock()
			again := rc.sweepAgain
			rc.sweepAgain, rc.sweeping = false, again
			rc.sweepMu.Unlock()
			if !again {
				return
			}
		}
	}()
}

// sweep rewrites every saved recommend version whose data predates an
// erasure without the customers the store no longer has.
func (rc *recommendCap) sweep(ctx context.Context) error {
	vs, err := rc.models.Versions(ctx, shelfwise.TaskRecommend)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if _, err := rc.scrubVersion(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// readAsOf is the DataAsOf of a read of the store starting now. An
// erasure's audit row is timed just before its transaction commits, so a
// read starting in between still sees the customer: the margin counts such
// an erasure as after the read (at worst, one more rewrite).
func (rc *recommendCap) readAsOf() time.Time {
	return rc.clock().Add(-5 * time.Second)
}

// registered is the task's Registered hook: a version trained while a
// customer was erased is rewritten before it can be promoted (the
// erasure's sweep may have run before the version existed).
func (rc *recommendCap) registered(ctx context.Context, v shelfwise.ModelVersion) (shelfwise.ModelVersion, error) {
	if rc.models == nil {
		return v, nil
	}
	return rc.scrubVersion(ctx, v)
}

// scrubVersion rewrites version v without the customers erased since its
// DataAsOf, checked against the store's purchases as of now; it returns
// the version as it is afterwards (unchanged when nothing was erased).
func (rc *recommendCap) scrubVersion(ctx context.Context, v shelfwise.ModelVersion) (shelfwise.ModelVersion, error) {
	rc.scrubMu.Lock()
	defer rc.scrubMu.Unlock()
	// Read again under the lock: a concurrent sweep may have done it.
	v, err := rc.models.Version(ctx, v.Task, v.Version)
	if err != nil || !rc.erasedSince(ctx, v.DataAsOf) {
		return v, err
	}
	art, err := rc.models.Artifact(ctx, v.Task, v.Version)
	if err != nil {
		return v, err
	}
	if modelio.Kind(art) != recommend.ModelKind {
		return v, nil // a recipe: rebuilt from the store, which no longer has them
	}
	m, err := recommend.UnmarshalModel(art)
	if err != nil {
		return v, fmt.Errorf("recommend v%d: %w", v.Version, err)
	}
	// Customers erased before the old DataAsOf were already gone.
	asOf := rc.readAsOf()
	if v.DataAsOf.After(asOf) {
		asOf = v.DataAsOf
	}
	clean, n, err := rc.retainKnown(ctx, m)
	if err != nil {
		return v, err
	}
	b, err := clean.MarshalBinary()
	if err != nil {
		return v, err
	}
	note := ""
	if n > 0 {
		note = fmt.Sprintf("%d erased customers removed", n)
	}
	old := v.Checksum
	if v, err = rc.models.ReplaceArtifact(ctx, v.Task, v.Version, b, asOf, note); err != nil {
		return v, err
	}
	if v.Checksum != old {
		rc.trained.Delete(old)
		rc.trained.Store(v.Checksum, clean)
	}
	if n > 0 {
		rc.logger().Info("saved recommendation model: erased customers removed", "version", v.Version, "customers", n)
	}
	return v, nil
}

func (rc *recommendCap) logger() *slog.Logger {
	if rc.log == nil {
		return slog.Default()
	}
	return rc.log
}

// auditLog is implemented by stores that keep the privacy audit log.
type auditLog interface {
	AuditLog(ctx context.Context) ([]sqlite.AuditEntry, error)
}

// erasedSince reports whether a customer may have been erased after t (a
// model version's creation; zero: ever): true when the store's audit log
// records an erasure then, or when the store keeps no such log.
func (rc *recommendCap) erasedSince(ctx context.Context, t time.Time) bool {
	al, ok := rc.db.(auditLog)
	if !ok {
		return true
	}
	entries, err := al.AuditLog(ctx)
	if err != nil {
		return true
	}
	for _, e := range entries {
		if e.Action == sqlite.AuditEraseCustomer && (t.IsZero() || !e.Time.Before(t)) {
			return true
		}
	}
	return false
}

// scrub removes from model the customers who no longer have a purchase in
// the store (erased since it was trained). Without a store (tests of the
// serving path alone) there is nothing to check against.
func (rc *recommendCap) scrub(ctx context.Context, model *recommend.Model) (*recommend.Model, error) {
	if rc.db == nil {
		return model, nil
	}
	clean, n, err := rc.retainKnown(ctx, model)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		rc.logger().Info("recommendation model: erased customers removed", "customers", n)
	}
	return clean, nil
}

// retainKnown copies model without the customers who have neither a
// purchase nor a view or add-to-cart in the store (the model learns from
// both), and says how many went.
func (rc *recommendCap) retainKnown(ctx context.Context, model *recommend.Model) (*recommend.Model, int, error) {
	known := make(map[shelfwise.CustomerKey]bool, 1024)
	err := rc.db.OrderLines(ctx, shelfwise.OrderFilter{Kinds: []shelfwise.LineKind{shelfwise.LineSale}, ProductsOnly: true},
		func(l shelfwise.OrderLine) error {
			if l.Customer != "" {
				known[l.Customer] = true
			}
			return nil
		})
	if err != nil {
		return nil, 0, err
	}
	err = rc.db.Events(ctx, shelfwise.EventFilter{Types: []shelfwise.EventType{shelfwise.EventView, shelfwise.EventCart}},
		func(e shelfwise.Event) error {
			if e.Customer != "" {
				known[e.Customer] = true
			}
			return nil
		})
	if err != nil {
		return nil, 0, err
	}
	return model.Retain(func(c shelfwise.CustomerKey) bool { return known[c] })
}

func (rc *recommendCap) list(items []shelfwise.Recommendation) shelfhttp.RecList {
	e := rc.eng.Load()
	return shelfhttp.RecList{Items: items, Model: "hybrid " + e.Model().Version, Version: int(rc.version.Load())}
}

// recFilter is the engine's filter for query q; out (may be nil) holds the
// products out of stock, left out when q asks for stock.
func recFilter(q shelfhttp.RecQuery, out map[shelfwise.SKU]bool) recommend.Filter {
	ru := q.Rules
	f := recommend.Filter{Exclude: q.Exclude, NewOnly: q.NewOnly, RepeatableCategories: q.Repeatable, DedupeVariants: true,
		MaxPerCategory: ru.MaxPerCategory, MinPrice: ru.MinPrice, MaxPrice: ru.MaxPrice,
		Around: ru.Around, PriceBand: ru.PriceBand, Promoted: ru.Promoted, PromotedShare: ru.PromotedShare}
	for _, c := range []string{q.Department, q.Category} {
		if c != "" {
			f.Categories = append(f.Categories, c)
		}
	}
	if ru.InStock && len(out) > 0 {
		f.InStock = func(s shelfwise.SKU) bool { return !out[s] }
	}
	return f
}

// ForCustomer implements shelfhttp.Recommender. Lists come from the
// current model's cache when the customer asked the same query since their
// last live event; otherwise the engine ranks and the list is cached.
func (rc *recommendCap) ForCustomer(ctx context.Context, c shelfwise.CustomerKey, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	e, err := rc.engine()
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	cache := rc.cache.Load()
	if cache == nil || q.Rules.InStock {
		// Lists that follow the stock are not cached: the stock moves
		// without the customer's events.
		return rc.forCustomer(ctx, e, c, q)
	}
	k := keyOf(q)
	l, ok, slot, gen := cache.get(c, k)
	if ok {
		return l, nil
	}
	if l, err = rc.forCustomer(ctx, e, c, q); err != nil {
		return shelfhttp.RecList{}, err
	}
	if e.Model() == cache.model {
		cache.put(c, k, slot, gen, l)
	}
	return l, nil
}

func (rc *recommendCap) forCustomer(ctx context.Context, e *recommend.Engine, c shelfwise.CustomerKey, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	f, err := rc.filter(ctx, q)
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	recs, err := e.Recommend(ctx, recommend.Request{Customer: c, N: q.N, Filter: f})
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	return rc.list(recs), nil
}

// ForSession implements shelfhttp.Recommender: the live session when it is
// named, else products bought with (or similar to) the ones given.
func (rc *recommendCap) ForSession(ctx context.Context, s shelfwise.SessionID, skus []shelfwise.SKU, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	e, err := rc.engine()
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	if s != "" {
		now := time.Now()
		views := make([]shelfwise.Event, 0, len(skus))
		for _, sku := range skus {
			if sku != "" {
				views = append(views, shelfwise.Event{Time: now, Session: s, Type: shelfwise.EventView, SKU: sku})
			}
		}
		e.Observe(views...)
		f, err := rc.filter(ctx, q)
		if err != nil {
			return shelfhttp.RecList{}, err
		}
		recs, err := e.Recommend(ctx, recommend.Request{Session: s, N: q.N, Filter: f})
		if err != nil {
			return shelfhttp.RecList{}, err
		}
		return rc.list(recs), nil
	}
	// Without a live session: what was bought with (or is similar to) the
	// last three products given, the latest first, under q's rules.
	seen := map[shelfwise.SKU]bool{}
	for _, sku := range skus {
		seen[sku] = true
	}
	var cands []shelfwise.Recommendation
	for i := len(skus) - 1; i >= 0 && i >= len(skus)-3; i-- {
		recs, err := e.BoughtTogether(skus[i], lookupWidth)
		if err != nil || len(recs) == 0 {
			recs, _ = e.Similar(skus[i], lookupWidth)
		}
		for _, r := range recs {
			if !seen[r.SKU] {
				seen[r.SKU] = true
				cands = append(cands, r)
			}
		}
	}
	return rc.narrow(ctx, e, cands, q)
}

// lookupWidth is how many items an item-to-item list is asked for before
// the query's filters and rules narrow it to the N wanted.
const lookupWidth = 1000

// narrow applies q's filters and rules to recs, an item-to-item list of
// e's model, and cuts it to q.N.
func (rc *recommendCap) narrow(ctx context.Context, e *recommend.Engine, recs []shelfwise.Recommendation, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	f, err := rc.filter(ctx, q)
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	return rc.list(e.Model().Narrow(recs, f, q.N)), nil
}

// filter is the engine's filter for q, with the stock read when q asks.
func (rc *recommendCap) filter(ctx context.Context, q shelfhttp.RecQuery) (recommend.Filter, error) {
	var out map[shelfwise.SKU]bool
	if q.Rules.InStock {
		var err error
		if out, err = rc.outOfStock(ctx); err != nil {
			return recommend.Filter{}, err
		}
	}
	return recFilter(q, out), nil
}

// Similar implements shelfhttp.Recommender.
func (rc *recommendCap) Similar(ctx context.Context, sku shelfwise.SKU, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	e, err := rc.engine()
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	recs, err := e.Similar(sku, lookupWidth)
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	return rc.narrow(ctx, e, recs, q)
}

// BoughtTogether implements shelfhttp.Recommender.
func (rc *recommendCap) BoughtTogether(ctx context.Context, sku shelfwise.SKU, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	e, err := rc.engine()
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	recs, err := e.BoughtTogether(sku, lookupWidth)
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	return rc.narrow(ctx, e, recs, q)
}

// Trending implements shelfhttp.Recommender.
func (rc *recommendCap) Trending(ctx context.Context, q shelfhttp.RecQuery) (shelfhttp.RecList, error) {
	e, err := rc.engine()
	if err != nil {
		return shelfhttp.RecList{}, err
	}
	cat := q.Category
	if cat == "" {
		cat = q.Department
	}
	return rc.narrow(ctx, e, e.Trending(cat, lookupWidth), q)
}
