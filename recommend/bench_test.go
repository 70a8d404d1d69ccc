package recommend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// BenchmarkALSIteration: one ALS sweep (users then items) with 64 factors on
// the Online Retail training split of issue 5 (231,072 pairs, 4,066 users,
// 3,620 items).
func BenchmarkALSIteration(b *testing.B) {
	all := PurchasesFromLines(loadOnlineRetail(b))
	train, _ := SplitAt(all, CutTime(all, 30))
	lg := NewLog(train)
	cfg := DefaultALS
	cfg.Factors = 64
	a := NewALSModel(lg, cfg)
	ctx := context.Background()
	if err := a.Iterate(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(lg.Pairs()), "pairs")
	b.ResetTimer()
	c0 := cpuTime()
	defer func() { reportCPU(b, c0) }()
	for i := 0; i < b.N; i++ {
		if err := a.Iterate(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

var (
	benchOnce  sync.Once
	benchModel *Model
	benchErr   error
)

// benchModel4k trains a model on a simulated shop of 4,000 items and 2,000
// customers (40 taste groups, fortnightly staples) with categories, cached
// in the file SHELFWISE_BENCH_MODEL4K names (see cachedModel).
func benchModel4k(b *testing.B) *Model {
	benchOnce.Do(func() {
		benchModel, benchErr = cachedModel(b, "SHELFWISE_BENCH_MODEL4K", func() (*Model, error) {
			ps, _ := synth(21, 2000, 4000, 40, 180, 14)
			var prods []shelfwise.Product
			for i := 0; i < 4000; i++ {
				prods = append(prods, shelfwise.Product{SKU: sku(i), Name: fmt.Sprintf("item %d", i), Category: fmt.Sprintf("cat%d", i/100)})
			}
			for k := range ps {
				ps[k].Price = float64(1 + ps[k].SKU[4]%5)
			}
			cfg := DefaultModel
			cfg.Hybrid.ValidationDays = 14
			return TrainModel(context.Background(), TrainInput{Purchases: ps, Products: prods}, cfg)
		})
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	if r := benchModel.All.Rerank; r != nil && r.Trees != nil {
		b.Logf("reranker: %d trees over the top %d", r.Trees.NumTrees(), r.Top)
	}
	return benchModel
}

// BenchmarkRecommend4k: one top-10 request with filters (price band,
// diversity, variant dedup, new only) and explanations, 4,000 items, for
// the 2,000 customers in turn. Warm: as a server runs, the customers'
// summaries computed ahead (Engine.Warm); Cold: every request is the
// customer's first on the model and summarises their history itself.
func BenchmarkRecommend4k(b *testing.B) {
	m := benchModel4k(b)
	ctx := context.Background()
	for _, warm := range []bool{true, false} {
		name := "Cold"
		if warm {
			name = "Warm"
		}
		b.Run(name, func(b *testing.B) {
			req := Request{N: 10, Filter: Filter{MaxPerCategory: 3, DedupeVariants: true, MaxPrice: 4.5}}
			var e *Engine
			b.ResetTimer()
			c0 := cpuTime()
			defer func() { reportCPU(b, c0) }()
			for i := 0; i < b.N; i++ {
				if i%2000 == 0 && (!warm || e == nil) {
					b.StopTimer()
					e = NewEngine(m)
					if warm {
						if err := e.Warm(ctx); err != nil {
							b.Fatal(err)
						}
					}
					b.StartTimer()
				}
				req.Customer = cust(i % 2000)
				if _, err := e.Recommend(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// A live session of three views: a visitor's (not signed in) and a
	// signed-in customer's (warm), the session's transitions added to
	// the scores.
	for _, signed := range []bool{false, true} {
		name := "Visitor"
		if signed {
			name = "SignedIn"
		}
		b.Run(name, func(b *testing.B) {
			e := NewEngine(m)
			if err := e.Warm(ctx); err != nil {
				b.Fatal(err)
			}
			now := m.TrainedAt.Add(time.Hour)
			sid := func(s int) shelfwise.SessionID { return shelfwise.SessionID(fmt.Sprintf("s%d", s)) }
			for s := 0; s < 2000; s++ {
				for k := 0; k < 3; k++ {
					if err := e.Observe(shelfwise.Event{Time: now, Session: sid(s), Type: shelfwise.EventView, SKU: sku((s*7 + k*13) % 4000)}); err != nil {
						b.Fatal(err)
					}
				}
			}
			req := Request{N: 10, Filter: Filter{MaxPerCategory: 3, DedupeVariants: true, MaxPrice: 4.5}}
			b.ResetTimer()
			c0 := cpuTime()
			defer func() { reportCPU(b, c0) }()
			for i := 0; i < b.N; i++ {
				req.Session = sid(i % 2000)
				if signed {
					req.Customer = cust(i % 2000)
				}
				if _, err := e.Recommend(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkObserveFoldIn: a live purchase of a known customer, including
// the fold-in of their latent vector.
func BenchmarkObserveFoldIn(b *testing.B) {
	m := benchModel4k(b)
	e := NewEngine(m)
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	b.ResetTimer()
	c0 := cpuTime()
	defer func() { reportCPU(b, c0) }()
	for i := 0; i < b.N; i++ {
		c := cust(i % 2000)
		if i%2000 == 0 {
			b.StopTimer()
			e.Swap(m) // drop the live events so histories stay realistic
			b.StartTimer()
		}
		if err := e.Observe(shelfwise.Event{Time: now, Customer: c, Type: shelfwise.EventPurchase, SKU: sku(i % 4000), Quantity: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// largeModel builds a model over n items directly (no training): clustered
// 32-factor item vectors, 100 kNN neighbours for a few thousand items, and
// trending scores, served through the embedding index.
func largeModel(n, f int) *Model {
	rng := rand.New(rand.NewPCG(1, 2))
	lg := &Log{Items: make([]shelfwise.SKU, n), itemIndex: make(map[shelfwise.SKU]int32, n), userIndex: map[shelfwise.CustomerKey]int32{}}
	for i := range lg.Items {
		lg.Items[i] = shelfwise.SKU(fmt.Sprintf("S%07d", i))
		lg.itemIndex[lg.Items[i]] = int32(i)
	}
	const clusters = 500
	centers := make([]float64, clusters*f)
	for i := range centers {
		centers[i] = rng.NormFloat64()
	}
	a := &ALS{Cfg: DefaultALS, f: f, V: make([]float64, n*f)}
	a.Cfg.Factors = f
	for i := 0; i < n; i++ {
		c := rng.IntN(clusters)
		for k := 0; k < f; k++ {
			a.V[i*f+k] = centers[c*f+k] + 0.3*rng.NormFloat64()
		}
	}
	// benchCustomers customers with 40 purchases each (random items: the
	// requests in turn touch different parts of the catalogue, as a
	// stream of real requests would).
	a.U = make([]float64, 0, benchCustomers*f)
	knn := &ItemKNN{Cfg: DefaultKNN, Neighbors: make([][]Neighbor, n)}
	for c := 0; c < benchCustomers; c++ {
		key := shelfwise.CustomerKey(fmt.Sprintf("c%d", c))
		lg.Users = append(lg.Users, key)
		lg.userIndex[key] = int32(c)
		var h []Event
		for k := 0; k < 40; k++ {
			h = append(h, Event{Item: int32(rng.IntN(n)), Basket: int32(k / 4), Time: int64(1_700_000_000 + k*86400*3), Qty: 1})
		}
		lg.Histories = append(lg.Histories, h)
		lg.End = max(lg.End, h[len(h)-1].Time)
		for _, e := range h {
			for k := 0; k < 100; k++ {
				knn.Neighbors[e.Item] = append(knn.Neighbors[e.Item], Neighbor{Item: int32(rng.IntN(n)), Sim: rng.Float32()})
			}
		}
	}
	for _, h := range lg.Histories {
		a.U = append(a.U, a.FoldIn(h, lg.End)...)
	}
	trend := &Popular{Scores: make([]float64, n)}
	for i := range trend.Scores {
		trend.Scores[i] = rng.ExpFloat64()
	}
	comps := []Component{{"als", a}, {"knn", knn}, {"last_basket", &LastBasket{KNN: knn}}, {"trending", trend}}
	w := make([]float64, NumRepeatFeatures+2*len(comps))
	w[0], w[2], w[NumRepeatFeatures], w[NumRepeatFeatures+1], w[NumRepeatFeatures+3] = 1, 1, 1, 0.5, 0.3
	hy := &Hybrid{Cfg: DefaultHybrid, Components: comps, W: w}
	m := &Model{Version: "large", Log: lg, All: hy, New: hy, Trending: trend, als: a, knn: knn,
		FBT: &FBT{Rules: make([][]Rule, n)}, Session: &SessionModel{Cfg: DefaultSession, Next: make([][]Neighbor, n)}}
	m.setCatalogue(TrainInput{})
	m.trendCache = TopK(trend.Scores, 500)
	m.index = NewIndex(a.V, f, 1)
	return m
}

// benchCustomers is the number of customers of largeModel.
const benchCustomers = 64

// BenchmarkRecommend1M: a top-10 request with filters and explanations on
// a catalogue of one million items, candidates from the embedding index,
// for benchCustomers customers in turn.
func BenchmarkRecommend1M(b *testing.B) {
	m := largeModel(1_000_000, 32)
	e := NewEngine(m)
	ctx := context.Background()
	req := Request{N: 10, Filter: Filter{MaxPerCategory: 3, DedupeVariants: true, NewOnly: true}}
	b.ResetTimer()
	c0 := cpuTime()
	defer func() { reportCPU(b, c0) }()
	for i := 0; i < b.N; i++ {
		req.Customer = shelfwise.CustomerKey(fmt.Sprintf("c%d", i%benchCustomers))
		if _, err := e.Recommend(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the process's user+system CPU time. Benchmarks report CPU
// time per operation beside wall time because the shared machine's load
// inflates wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports CPU nanoseconds per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkRecommendOnlineRetail: one top-10 request with filters and
// explanations from the model trained on all of Online Retail (3,600-odd
// items, its reranker included when validation accepts it), for the
// customers in turn. The training (about a minute) is not timed.
func BenchmarkRecommendOnlineRetail(b *testing.B) {
	m := onlineRetailModel(b)
	if r := m.All.Rerank; r != nil && r.Trees != nil {
		b.Logf("reranker: %d trees over the top %d", r.Trees.NumTrees(), r.Top)
	}
	blendOnly := *m.All
	blendOnly.Rerank = nil
	wide := Filter{MaxPerCategory: 3, DedupeVariants: true, MaxPrice: 10}
	// Items at 1.50 or less (1,656 of the 3,660): many of the reranker's
	// top items are filtered out, and the trees score only the others.
	cheap := Filter{MaxPerCategory: 3, DedupeVariants: true, MaxPrice: 1.5}
	if c, n := m.compile(&cheap, nil), m.Log.NumItems(); n > 0 {
		allowed := 0
		for i := range n {
			if c.allows(int32(i)) {
				allowed++
			}
		}
		b.Logf("at 1.50 or less: %d of %d items", allowed, n)
	}
	for _, bc := range []struct {
		name   string
		all    *Hybrid
		filter Filter
	}{{"AsTrained", m.All, wide}, {"BlendOnly", &blendOnly, wide}, {"AsTrainedUnder1.50", m.All, cheap}} {
		b.Run(bc.name, func(b *testing.B) {
			mm := m.withAll(bc.all)
			e := NewEngine(mm)
			ctx := context.Background()
			if err := e.Warm(ctx); err != nil { // as a server does
				b.Fatal(err)
			}
			req := Request{N: 10, Filter: bc.filter}
			users := m.Log.Users
			b.ResetTimer()
			c0 := cpuTime()
			defer func() { reportCPU(b, c0) }()
			for i := 0; i < b.N; i++ {
				req.Customer = users[i%len(users)]
				if _, err := e.Recommend(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// onlineRetailModel trains the default model on all of Online Retail,
// cached in the file SHELFWISE_BENCH_MODEL names (see cachedModel).
func onlineRetailModel(b *testing.B) *Model {
	b.Helper()
	m, err := cachedModel(b, "SHELFWISE_BENCH_MODEL", func() (*Model, error) {
		ps := PurchasesFromLines(loadOnlineRetail(b))
		return TrainModel(context.Background(), TrainInput{Purchases: ps}, DefaultModel)
	})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// cachedModel returns train's model. With the environment variable env set
// to a file path it reads the model from that file when it exists and
// writes it there after training otherwise, so repeated benchmark runs of
// the same code skip the training (delete the file after changing
// anything the training does).
func cachedModel(b *testing.B, env string, train func() (*Model, error)) (*Model, error) {
	b.Helper()
	cache := os.Getenv(env)
	if cache != "" {
		if data, err := os.ReadFile(cache); err == nil {
			m, err := UnmarshalModel(data)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", cache, err)
			}
			b.Logf("model read from %s", cache)
			return m, nil
		}
	}
	m, err := train()
	if err != nil || cache == "" {
		return m, err
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return m, os.WriteFile(cache, data, 0o600)
}

// withAll is a copy of m serving the all-items blend h.
func (m *Model) withAll(h *Hybrid) *Model {
	c := *m
	c.All = h
	return &c
}

// BenchmarkLookupOnlineRetail times the item-to-item lists on the real
// Online Retail model, at the width the HTTP layer asks for before its
// rules narrow the list (1,000) and at 10; the anchor products cycle
// through the 200 most trending.
func BenchmarkLookupOnlineRetail(b *testing.B) {
	m := onlineRetailModel(b)
	e := NewEngine(m)
	if err := e.Warm(context.Background()); err != nil {
		b.Fatal(err)
	}
	var skus []shelfwise.SKU
	for _, it := range m.trendTop(200) {
		skus = append(skus, m.Log.Items[it])
	}
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("Similar/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := e.Similar(skus[i%len(skus)], n); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("BoughtTogether/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := e.BoughtTogether(skus[i%len(skus)], n); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("Trending/%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				e.Trending("", n)
			}
		})
	}
}
