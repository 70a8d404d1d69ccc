package recommend

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestSummaryCache: the engine summarises a trained customer's history once
// per model (the same summary as Summarize, reused by the next request), a
// live purchase makes the customer's next requests use the new history (the
// item bought leaves a new-items list at once, exactly as for an engine
// that never cached), and a swapped-in model gets summaries of its own.
func TestSummaryCache(t *testing.T) {
	m, _ := testModel(t)
	ctx := context.Background()
	e := NewEngine(m)
	for u := 0; u < 20; u++ {
		c := m.Log.Users[u]
		if _, err := e.Recommend(ctx, Request{Customer: c}); err != nil {
			t.Fatal(err)
		}
		sm := e.summary(m, u)
		if sm != e.summary(m, u) {
			t.Fatalf("customer %d summarised twice", u)
		}
		if !reflect.DeepEqual(sm, Summarize(m.Log.Histories[u])) {
			t.Fatalf("customer %d: cached summary differs from Summarize", u)
		}
	}
	u := 3
	c := m.Log.Users[u]
	req := Request{Customer: c, N: 10, Filter: Filter{NewOnly: true}}
	before, _ := e.Recommend(ctx, req)
	if len(before) == 0 {
		t.Fatal("no recommendations")
	}
	bought := before[0].SKU
	ev := shelfwise.Event{Time: time.Unix(m.Log.End, 0).Add(time.Hour), Customer: c, Type: shelfwise.EventPurchase, SKU: bought, Quantity: 1}
	if err := e.Observe(ev); err != nil {
		t.Fatal(err)
	}
	after, _ := e.Recommend(ctx, req)
	fresh := NewEngine(m)
	if err := fresh.Observe(ev); err != nil {
		t.Fatal(err)
	}
	want, _ := fresh.Recommend(ctx, req)
	if !reflect.DeepEqual(after, want) {
		t.Fatalf("after a live purchase: %+v, an engine without cache: %+v", after, want)
	}
	if slices.ContainsFunc(after, func(r shelfwise.Recommendation) bool { return r.SKU == bought }) {
		t.Fatalf("%s bought live is still recommended as new: %+v", bought, after)
	}
	// A retrain: the old model's summaries are not served for the new one.
	m2 := *m
	e.Swap(&m2)
	if s2 := e.summary(&m2, 0); s2 == e.summary(m, 0) && s2 != nil {
		t.Fatal("the swapped-in model reuses the old model's summary")
	}
	// Replace (an erasure's copy) drops the cached summaries at once.
	e.summary(&m2, 0)
	m3 := m2
	e.Replace(&m3)
	if e.summaries.Load() != nil {
		t.Fatal("Replace kept the old model's cached summaries")
	}
}

// TestSummaryCacheConcurrent: requests of the same customers in parallel,
// while their live events arrive and models are swapped, all get the
// recommendations of one history (run with -race).
func TestSummaryCacheConcurrent(t *testing.T) {
	m, _ := testModel(t)
	ctx := context.Background()
	e := NewEngine(m)
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 60 {
				u := (w + k) % 10
				if _, err := e.Recommend(ctx, Request{Customer: m.Log.Users[u], N: 5}); err != nil {
					t.Error(err)
					return
				}
				if w == 0 && k%10 == 0 {
					e.Observe(shelfwise.Event{Time: now, Customer: m.Log.Users[u], Type: shelfwise.EventCart, SKU: sku(k)})
				}
				if w == 1 && k == 30 {
					e.Swap(m)
				}
			}
		}()
	}
	wg.Wait()
	for u := 0; u < 10; u++ {
		if sm := e.summary(m, u); !reflect.DeepEqual(sm, Summarize(m.Log.Histories[u])) {
			t.Fatalf("customer %d: cached summary differs from Summarize", u)
		}
	}
}

// TestSummaryFirstRace: customers whose first requests race to create
// the engine's cache are all cached, the losers of the race included (a
// loser once summarised without caching, so Warm could leave a customer
// out: seen in CI as "customer 64 not summarised by Warm").
func TestSummaryFirstRace(t *testing.T) {
	m, _ := testModel(t)
	const workers = 8
	for round := 0; round < 200; round++ {
		e := NewEngine(m)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				e.summary(m, w)
			}()
		}
		close(start)
		wg.Wait()
		for u := 0; u < workers; u++ {
			if cachedSummary(e, m, u) == nil {
				t.Fatalf("round %d: customer %d summarised but not cached", round, u)
			}
		}
	}
}

// cachedSummary is the engine's cached summary of customer u of m, nil if
// none (without computing one).
func cachedSummary(e *Engine, m *Model, u int) *Summary {
	c := e.summaries.Load()
	if c == nil || c.m != m {
		return nil
	}
	ch := c.chunks[u/summaryChunk].Load()
	if ch == nil {
		return nil
	}
	return ch[u%summaryChunk].Load()
}

// TestWarm: Warm leaves every trained customer summarised (as Summarize
// would), the first requests then reuse those summaries, and a cancelled
// Warm reports its context's error without summarising anyone.
func TestWarm(t *testing.T) {
	m, _ := testModel(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := NewEngine(m)
	if err := e.Warm(ctx); err != context.Canceled {
		t.Fatalf("cancelled Warm: %v, want context.Canceled", err)
	}
	for u := range m.Log.Users {
		if cachedSummary(e, m, u) != nil {
			t.Fatalf("cancelled Warm summarised customer %d", u)
		}
	}
	if err := e.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	for u := range m.Log.Users {
		sm := cachedSummary(e, m, u)
		if sm == nil {
			t.Fatalf("customer %d not summarised by Warm", u)
		}
		if !reflect.DeepEqual(sm, Summarize(m.Log.Histories[u])) {
			t.Fatalf("customer %d: warmed summary differs from Summarize", u)
		}
		if e.summary(m, u) != sm {
			t.Fatalf("customer %d summarised again after Warm", u)
		}
	}
}

// TestWarmConcurrent: Warm runs beside requests and a swap (run with
// -race) and returns nil whether it finished first or was swapped out;
// the swapped-in model's customers then get their own summaries.
func TestWarmConcurrent(t *testing.T) {
	m, _ := testModel(t)
	cp := *m // another model value: the engine tells them apart
	e := NewEngine(m)
	ctx := context.Background()
	done := make(chan error, 1)
	go func() { done <- e.Warm(ctx) }()
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for u := w; u < len(m.Log.Users); u += 2 {
				if _, err := e.Recommend(ctx, Request{Customer: m.Log.Users[u], N: 5}); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	e.Swap(&cp)
	wg.Wait()
	if err := <-done; err != nil {
		t.Fatalf("Warm: %v", err)
	}
	if err := e.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	for u := range cp.Log.Users {
		if sm := cachedSummary(e, &cp, u); sm == nil || !reflect.DeepEqual(sm, Summarize(cp.Log.Histories[u])) {
			t.Fatalf("customer %d: no correct summary for the swapped-in model", u)
		}
	}
}

// TestWarmPreparesReranker: Warm lays out the reranker's trees and builds
// its strong items, the same set the first reranked request builds
// without Warm, so that request does not pay for either.
func TestWarmPreparesReranker(t *testing.T) {
	base, _ := testModel(t)
	m := withReranker(t, base)
	r := m.All.Rerank
	if r.flat.Load() != nil || r.strong.Load() != nil {
		t.Fatal("a new reranker is already prepared")
	}
	if err := NewEngine(m).Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.flat.Load() == nil || r.strong.Load() == nil {
		t.Fatalf("after Warm: trees laid out %v, strong items built %v", r.flat.Load() != nil, r.strong.Load() != nil)
	}
	// The same reranker, unprepared, through a request.
	cold := *m
	all := *m.All
	all.Rerank = &Reranker{Trees: r.Trees, Top: r.Top, Blend: r.Blend, Facts: r.Facts}
	cold.All = &all
	if _, err := NewEngine(&cold).Recommend(context.Background(), Request{Customer: m.Log.Users[0], N: 10}); err != nil {
		t.Fatal(err)
	}
	got, want := all.Rerank.strong.Load(), r.strong.Load()
	if got == nil || !reflect.DeepEqual(*got, *want) {
		t.Fatalf("strong items: Warm built %v, a request %v", want, got)
	}
}

// TestTrendTopIsTopK: the trending cache answers every width as TopK of
// the trending scores would, beyond the catalogue too.
func TestTrendTopIsTopK(t *testing.T) {
	m, _ := testModel(t)
	ni := m.Log.NumItems()
	for _, n := range []int{1, 10, ni / 2, ni, ni + 5} {
		if got, want := m.trendTop(n), TopK(m.Trending.Scores, n); !slices.Equal(got, want) {
			t.Fatalf("trendTop(%d) = %v, TopK %v", n, got, want)
		}
	}
}
