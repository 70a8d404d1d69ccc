package recommend

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/shelfwise/shelfwise"
)

// ModelConfig sets up a full model for the Engine.
type ModelConfig struct {
	Hybrid  HybridConfig
	FBT     FBTConfig
	Session SessionConfig
	// TrendHalfLifeDays is the half-life of the trending lists.
	TrendHalfLifeDays float64
	// IndexAbove makes Recommend retrieve candidates through an embedding
	// index instead of scoring the whole catalogue when the catalogue has
	// more items than this (0 = 50,000).
	IndexAbove int
}

// DefaultModel is the configuration `shelfwise recommend` and the server use.
var DefaultModel = ModelConfig{Hybrid: DefaultHybrid, FBT: DefaultFBT, Session: DefaultSession, TrendHalfLifeDays: 14}

// TrainInput is what a model learns from.
type TrainInput struct {
	// Purchases are the purchase lines (see PurchasesFromLines and
	// PurchasesFromBaskets).
	Purchases []Purchase
	// Interactions are the customers' views and carts
	// (InteractionsFromEvents) and returns (ReturnsFromLines): weaker and
	// negative evidence for the implicit-feedback models.
	Interactions []Interaction
	// Sessions are the products each browsing session viewed or carted,
	// in order, anonymous sessions too (SessionsFromEvents): the session
	// model learns from them what visitors look at next.
	Sessions [][]shelfwise.SKU
	// Weights, when set, replace DefaultWeights.
	Weights *Weights
	// Products is the catalogue: names and categories for filters, cold
	// start and explanations. Catalogue items without purchases can still
	// be recommended through their attributes. NonProduct entries are
	// never recommended.
	Products []shelfwise.Product
	// Prices are the latest unit prices per SKU for price filters (the
	// last purchase price is used where missing).
	Prices map[shelfwise.SKU]float64
}

// Model is a trained recommender: the all-items and new-items blends (they
// share their components), bought-together rules, session transitions,
// trending lists and the catalogue. A Model is immutable once trained and
// safe for concurrent use; the Engine swaps whole models.
type Model struct {
	Version string
	// TrainedAt is the time of the latest purchase or interaction the
	// model learned from: requests are scored then by default, and the
	// Engine drops live events up to it when it swaps the model in.
	TrainedAt time.Time
	// Data describes the data the model was trained on (set by the
	// caller, e.g. a fingerprint of the store's purchases): a saved model
	// is reused only while it still matches.
	Data     string
	Log      *Log
	All, New *Hybrid
	FBT      *FBT
	Session  *SessionModel
	Trending *Popular

	products   []shelfwise.Product // aligned with Log.Items
	known      []bool              // item is in the catalogue
	nonProduct bitSet              // products[i].NonProduct, a bit per item for filters
	category   []string
	family     []string // variant family, for deduplication
	price      []float64
	catTop     map[string][]int32 // trending items per category, best first
	// catNames are the departments, categories and subcategories of the
	// products (Filter.Categories must name one of them).
	catNames   map[string]bool
	als        *ALS
	knn        *ItemKNN
	index      *Index
	indexAbove int
	trendCache []int32 // the items by trend, best first (every trending score but -Inf and NaN)
}

// TrainModel fits a model on the input. The blends are tuned on the last
// cfg.Hybrid.ValidationDays of the purchases, then refitted on all of them.
func TrainModel(ctx context.Context, in TrainInput, cfg ModelConfig) (*Model, error) {
	if len(in.Purchases) == 0 {
		return nil, shelfwise.Errorf(shelfwise.EINVALID, "no purchases to train on")
	}
	var extra []shelfwise.SKU
	for _, p := range in.Products {
		if !p.NonProduct {
			extra = append(extra, p.SKU)
		}
	}
	lg := NewLog(in.Purchases, extra...)
	if in.Weights != nil {
		lg.Weights = *in.Weights
	}
	lg.AddInteractions(in.Interactions)
	all, nw, err := TrainHybridPair(ctx, lg, cfg.Hybrid)
	if err != nil {
		return nil, err
	}
	m := &Model{Log: lg, All: all, New: nw, TrainedAt: time.Unix(lg.latest(), 0).UTC(), indexAbove: cfg.IndexAbove}
	m.Version = m.TrainedAt.Format("20060102T150405")
	if m.indexAbove <= 0 {
		m.indexAbove = 50000
	}
	for _, c := range all.Components {
		switch s := c.Scorer.(type) {
		case *ALS:
			m.als = s
		case *ItemKNN:
			if m.knn == nil {
				m.knn = s
			}
		}
	}
	if m.FBT, err = NewFBT(ctx, lg, cfg.FBT); err != nil {
		return nil, err
	}
	if m.Session, err = NewSessionModel(ctx, lg, in.Sessions, cfg.Session); err != nil {
		return nil, err
	}
	m.Trending = NewTrending(lg, cfg.TrendHalfLifeDays, 0)
	m.setCatalogue(in)
	m.coldStart()
	if lg.NumItems() > m.indexAbove && m.als != nil {
		m.index = NewIndex(m.als.V, m.als.Factors(), 1)
	}
	return m, nil
}

// setCatalogue aligns products, categories, variant families and prices
// with the item index.
func (m *Model) setCatalogue(in TrainInput) {
	n := m.Log.NumItems()
	m.products = make([]shelfwise.Product, n)
	m.known = make([]bool, n)
	m.price = make([]float64, n)
	for _, p := range in.Products {
		if i := m.Log.Item(p.SKU); i >= 0 {
			m.products[i] = p
			m.known[i] = true
		}
	}
	for i, s := range m.Log.Items {
		if !m.known[i] {
			m.products[i] = shelfwise.Product{SKU: s}
		}
		m.price[i] = in.Prices[s]
	}
	var latest = make([]time.Time, n)
	for _, p := range in.Purchases {
		if i := m.Log.Item(p.SKU); i >= 0 && p.Price > 0 && in.Prices[p.SKU] == 0 && !p.Time.Before(latest[i]) {
			latest[i] = p.Time
			m.price[i] = p.Price
		}
	}
	m.restoreCatalogue()
}

// coldStart places catalogue items without purchases: their ALS vector is
// the mean vector of bought items of the same category, and their item-kNN
// neighbours are the category's trending items, so they can be recommended
// and found as similar until they have interactions of their own.
func (m *Model) coldStart() {
	if m.als == nil {
		return
	}
	defer m.als.Invalidate()
	f := m.als.Factors()
	bought := DistinctCustomers(m.Log)
	sum := map[string][]float64{}
	cnt := map[string]float64{}
	for i, c := range m.category {
		if c == "" || bought[i] == 0 {
			continue
		}
		if sum[c] == nil {
			sum[c] = make([]float64, f)
		}
		v := m.als.ItemVector(i)
		for k := range v {
			sum[c][k] += v[k]
		}
		cnt[c]++
	}
	for i, c := range m.category {
		if bought[i] > 0 || c == "" || cnt[c] == 0 {
			continue
		}
		v := m.als.ItemVector(i)
		for k := range v {
			v[k] = sum[c][k] / cnt[c]
		}
		if m.knn != nil && len(m.knn.Neighbors[i]) == 0 {
			for r, j := range m.catTop[c] {
				if r >= 20 {
					break
				}
				m.knn.Neighbors[i] = append(m.knn.Neighbors[i], Neighbor{Item: j, Sim: float32(0.1 / float64(r+1))})
			}
		}
	}
}

// VariantFamily strips trailing letters from a stock code so that variants
// of one product ("85123A", "85123B") share a family ("85123").
func VariantFamily(s shelfwise.SKU) string {
	t := strings.TrimRightFunc(string(s), func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' })
	if t == "" {
		return string(s)
	}
	return t
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// Product returns the catalogue entry of sku as the model knows it (the
// SKU alone for an item sold but absent from the catalogue); false when
// the model has never seen sku.
func (m *Model) Product(sku shelfwise.SKU) (shelfwise.Product, bool) {
	i := m.Log.Item(sku)
	if i < 0 {
		return shelfwise.Product{}, false
	}
	p := m.products[i]
	if p.SKU == "" {
		p.SKU = sku
	}
	return p, true
}

// name is the product name for explanations, or its SKU.
func (m *Model) name(i int32) string {
	if n := m.products[i].Name; n != "" {
		return n
	}
	return string(m.Log.Items[i])
}

// TrainHybridPair tunes the all-items and the new-items blends on the same
// validation period and refits the shared components once on the whole log.
func TrainHybridPair(ctx context.Context, lg *Log, cfg HybridConfig) (all, nw *Hybrid, err error) {
	cfg = cfg.withDefaults()
	st := hybridStages(ctx, cfg, 2, true)
	tn, err := tuneBlends(ctx, lg, cfg, []bool{false, true}, st)
	if err != nil {
		return nil, nil, err
	}
	comps, err := finalComponents(ctx, lg, cfg, st)
	if err != nil {
		return nil, nil, err
	}
	nf := NumRepeatFeatures + 2*len(comps)
	if tn[0].w == nil { // too little history to validate: fixed sensible weights
		tn[0].w, tn[1].w = make([]float64, nf), make([]float64, nf)
		tn[0].w[0], tn[0].w[NumRepeatFeatures], tn[1].w[NumRepeatFeatures] = 1, 1, 1
	}
	cAll, cNew := cfg, cfg
	cNew.NewItems = true
	all = &Hybrid{Cfg: cAll, Components: comps, W: tn[0].w, ValidationScore: tn[0].score, Rerank: tn[0].rerank, RerankGain: tn[0].gain}
	nw = &Hybrid{Cfg: cNew, Components: comps, W: tn[1].w, ValidationScore: tn[1].score, Rerank: tn[1].rerank, RerankGain: tn[1].gain}
	return all, nw, nil
}

// itemsByScore sorts item indexes by descending score, ties by index (as
// TopK orders them; a NaN score keeps its place), without allocating.
func itemsByScore(items []int32, score func(int32) float64) {
	slices.SortStableFunc(items, func(a, b int32) int {
		switch sa, sb := score(a), score(b); {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		case sa == sb:
			return cmp.Compare(a, b)
		}
		return 0
	})
}
