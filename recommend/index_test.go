package recommend

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shelfwise/shelfwise"
)

// TestIndexRecall compares the index with an exact scan on clustered
// vectors: most of the true top-10 must be found, and the accept filter
// must hold.
func TestIndexRecall(t *testing.T) {
	const n, f, clusters = 20000, 16, 100
	rng := rand.New(rand.NewPCG(9, 9))
	centers := make([]float64, clusters*f)
	for i := range centers {
		centers[i] = rng.NormFloat64()
	}
	V := make([]float64, n*f)
	for i := 0; i < n; i++ {
		c := rng.IntN(clusters)
		for k := 0; k < f; k++ {
			V[i*f+k] = centers[c*f+k] + 0.3*rng.NormFloat64()
		}
	}
	x := NewIndex(V, f, 1)
	found, total := 0, 0
	scores := make([]float64, n)
	for qi := 0; qi < 50; qi++ {
		q := V[rng.IntN(n)*f:]
		q = append([]float64(nil), q[:f]...)
		for i := range scores {
			scores[i] = dot(q, V[i*f:(i+1)*f])
		}
		exact := map[int32]bool{}
		for _, it := range TopK(scores, 10) {
			exact[it] = true
		}
		for _, it := range x.Search(q, 10, nil) {
			if exact[it] {
				found++
			}
		}
		total += 10
		for _, it := range x.Search(q, 10, func(i int32) bool { return i%2 == 0 }) {
			if it%2 != 0 {
				t.Fatalf("filtered search returned %d", it)
			}
		}
	}
	if r := float64(found) / float64(total); r < 0.9 {
		t.Fatalf("index recall@10 = %v, want >= 0.9", r)
	}
}

// TestIndexScore: Score gives each item's inner product with the query in
// float32 precision, whatever the item's place in the index.
func TestIndexScore(t *testing.T) {
	const n, f = 3000, 8
	x, V, q := randomIndex(4, n, f)
	items := []int32{0, 17, 2999, 1500, 17}
	out := make([]float64, len(items))
	x.Score(q, items, out)
	for k, it := range items {
		want := dot(q, V[int(it)*f:int(it+1)*f])
		if math.Abs(out[k]-want) > 1e-4*(1+math.Abs(want)) {
			t.Fatalf("item %d: score %v, want %v", it, out[k], want)
		}
	}
}

// TestIndexPathAgreesWithDense serves the test model through the embedding
// index (the large-catalogue path) and through the full scan: the lists
// must mostly agree and stay in the customer's taste group, with the
// filters applied.
func TestIndexPathAgreesWithDense(t *testing.T) {
	m, prefs := testModel(t)
	cp := *m
	cp.index = NewIndex(m.als.V, m.als.Factors(), 1)
	dense, indexed := NewEngine(m), NewEngine(&cp)
	ctx := context.Background()
	same, inGroup, total := 0, 0, 0
	for u := 0; u < 30; u++ {
		req := Request{Customer: cust(u), N: 10, Filter: Filter{MaxPrice: 4.5}}
		a, err := dense.Recommend(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := indexed.Recommend(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		want := map[shelfwise.SKU]bool{}
		for _, r := range a {
			want[r.SKU] = true
		}
		for _, r := range b {
			if r.Reason == "" {
				t.Fatalf("customer %d: %s without a reason", u, r.SKU)
			}
			var i int
			fmt.Sscanf(string(r.SKU), "P%d", &i)
			if 1+r.SKU[4]%5 == 5 { // the test model's price rule
				t.Fatalf("customer %d: %s priced 5 passed MaxPrice 4.5", u, r.SKU)
			}
			if want[r.SKU] {
				same++
			}
			if prefs[u][i] {
				inGroup++
			}
		}
		total += len(b)
	}
	if total != 300 {
		t.Fatalf("%d recommendations for 30 customers, want 300", total)
	}
	t.Logf("shared with the full scan %d/%d, in the taste group %d/%d", same, total, inGroup, total)
	if r := float64(same) / float64(total); r < 0.6 {
		t.Errorf("index path shares %.2f of the full scan's items, want >= 0.6", r)
	}
	if r := float64(inGroup) / float64(total); r < 0.8 {
		t.Errorf("index path: %.2f of items in the taste group, want >= 0.8", r)
	}
	// A visitor's session weighs its transitions alike on both paths,
	// also against a reranker's scores and a blend of a hundred times the
	// scale (the session is weighed against the blend's spread).
	rr := withReranker(t, m)
	all := *rr.All
	all.W = slices.Clone(all.W)
	for i := range all.W {
		all.W[i] *= 100
	}
	rr.All = &all
	rrIndexed := *rr
	rrIndexed.index = cp.index
	dense, indexed = NewEngine(rr), NewEngine(&rrIndexed)
	now := time.Unix(m.Log.End, 0).Add(time.Hour)
	for _, e := range []*Engine{dense, indexed} {
		for _, i := range []int{110, 120} {
			if err := e.Observe(shelfwise.Event{Time: now, Session: "v", Type: shelfwise.EventView, SKU: sku(i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	a, _ := dense.Recommend(ctx, Request{Session: "v", N: 10})
	b, _ := indexed.Recommend(ctx, Request{Session: "v", N: 10})
	shared := 0
	for _, r := range b {
		if slices.ContainsFunc(a, func(x shelfwise.Recommendation) bool { return x.SKU == r.SKU }) {
			shared++
		}
	}
	if len(b) != 10 || shared < 8 {
		t.Errorf("visitor's session: the index path shares %d of its %d items with the full scan's %+v: %+v", shared, len(b), a, b)
	}
}

// TestIndexScoreAsDense: with 64 factors the index scores each item bit for
// bit as the full scan (ALS.Score's matVec32) does, so the large-catalogue
// path ranks its candidates by the same numbers.
func TestIndexScoreAsDense(t *testing.T) {
	const n, f = 500, 64
	q32 := toFloat32(make([]float64, f))
	if !matVecFast(make([]float32, f), q32, make([]float32, 1)) {
		t.Skip("no AVX here: the full scan goes through gonum and the index through its own dot")
	}
	x, V, q := randomIndex(5, n, f)
	dense := make([]float32, n)
	matVec32(toFloat32(V), toFloat32(q), dense)
	items := make([]int32, n)
	for i := range items {
		items[i] = int32(n - 1 - i)
	}
	out := make([]float64, n)
	x.Score(q, items, out)
	for k, it := range items {
		if out[k] != float64(dense[it]) {
			t.Fatalf("item %d: index score %v, full scan %v", it, out[k], dense[it])
		}
	}
}

// randomIndex indexes n random factor rows of f values (standard normal,
// seeded) and draws a random query: the index, the rows and the query.
func randomIndex(seed uint64, n, f int) (*Index, []float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	V := make([]float64, n*f)
	for i := range V {
		V[i] = rng.NormFloat64()
	}
	q := make([]float64, f)
	for i := range q {
		q[i] = rng.NormFloat64()
	}
	return NewIndex(V, f, 1), V, q
}

// TestIndexSearchExact: with every leaf explored, Search returns exactly
// the k best items by their index scores (Score's, bit for bit the
// search's own products), best first and ties by item, with and without
// a filter: the heap's skip of rows that cannot enter drops none that
// should. A third of the vectors are copies of others, so the cut of a
// list often falls inside a tie.
func TestIndexSearchExact(t *testing.T) {
	const n, f = 3000, 16
	rng := rand.New(rand.NewPCG(3, 4))
	V := make([]float64, n*f)
	for i := 0; i < n; i++ {
		if i >= 3 && rng.IntN(3) == 0 {
			j := rng.IntN(i)
			copy(V[i*f:(i+1)*f], V[j*f:(j+1)*f])
			continue
		}
		for k := 0; k < f; k++ {
			V[i*f+k] = rng.NormFloat64()
		}
	}
	x := NewIndex(V, f, 1)
	x.ProbeCells, x.ProbeLeaves = x.c1, x.c1*x.c2
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	scores := make([]float64, n)
	ties := 0
	for qi := 0; qi < 30; qi++ {
		q := make([]float64, f)
		for k := range q {
			q[k] = rng.NormFloat64()
		}
		x.Score(q, all, scores)
		for _, k := range []int{1, 10, 200} {
			for _, even := range []bool{false, true} {
				var accept func(int32) bool
				want := scores
				if even {
					accept = func(i int32) bool { return i%2 == 0 }
					want = append([]float64(nil), scores...)
					for i := 1; i < n; i += 2 {
						want[i] = math.Inf(-1)
					}
				}
				exp := TopK(want, k)
				got := x.Search(q, k, accept)
				if !slices.Equal(got, exp) {
					t.Fatalf("query %d, k %d, even %v: search %v, want %v", qi, k, even, got, exp)
				}
				// An item left out with the last one's score: the
				// cut falls inside a tie.
				in := map[int32]bool{}
				for _, it := range exp {
					in[it] = true
				}
				for i, s := range want {
					if !in[int32(i)] && s == want[exp[len(exp)-1]] {
						ties++
						break
					}
				}
			}
		}
	}
	if ties == 0 {
		t.Fatal("no equal scores at the edge of a list: the ties are untested")
	}
	if x.Search(make([]float64, f), 0, nil) != nil {
		t.Fatal("k = 0 gave items")
	}
}
