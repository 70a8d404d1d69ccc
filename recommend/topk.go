package recommend

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// TopK returns the indexes of the k highest finite scores, best first; ties
// go to the lower index. Scores of -Inf (or NaN) are never returned, which is
// how callers exclude items. It runs in O(n log k).
func TopK(scores []float64, k int) []int32 {
	if k <= 0 {
		return nil
	}
	h := make(topHeap, 0, min(k, len(scores)))
	i := 0
	for ; i < len(scores) && len(h) < k; i++ {
		if s := scores[i]; !math.IsInf(s, -1) && s == s {
			h.push(int32(i), s)
		}
	}
	// The heap is full: an item enters only above the weakest, which is
	// finite or +Inf, so the test also rejects -Inf and NaN (and a later
	// equal score, whose higher index loses the tie).
	if i < len(scores) {
		weakest := h[0].s
		for ; i < len(scores); i++ {
			if s := scores[i]; s > weakest {
				h[0] = scored{int32(i), s}
				h.down(0)
				weakest = h[0].s
			}
		}
	}
	return h.sorted()
}

type scored struct {
	i int32
	s float64
}

// less orders a min-heap: the root is the weakest entry (lowest score, and
// among equal scores the highest index).
func (a scored) less(b scored) bool {
	if a.s != b.s {
		return a.s < b.s
	}
	return a.i > b.i
}

type topHeap []scored

func (h *topHeap) push(i int32, s float64) {
	*h = append(*h, scored{i, s})
	j := len(*h) - 1
	for j > 0 {
		p := (j - 1) / 2
		if !(*h)[j].less((*h)[p]) {
			break
		}
		(*h)[j], (*h)[p] = (*h)[p], (*h)[j]
		j = p
	}
}

func (h topHeap) down(j int) {
	n := len(h)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[j]) {
			return
		}
		h[j], h[m] = h[m], h[j]
		j = m
	}
}

func (h topHeap) sorted() []int32 {
	slices.SortFunc(h, func(a, b scored) int {
		if b.less(a) {
			return -1
		}
		if a.less(b) {
			return 1
		}
		return 0
	})
	out := make([]int32, len(h))
	for i, e := range h {
		out[i] = e.i
	}
	return out
}

// parallelFor runs fn(i) for i in [0, n) on a bounded pool of
// runtime.GOMAXPROCS(0) workers. fn receives the worker number so callers
// can keep per-worker scratch space.
func parallelFor(n int, fn func(worker, i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(0, i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	const chunk = 16
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				mu.Lock()
				lo := next
				next += chunk
				mu.Unlock()
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(w, i)
				}
			}
		}(w)
	}
	wg.Wait()
}

// workers is the size of the pool parallelFor uses.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }
