package recommend

import (
	"math/rand/v2"
	"testing"
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
