package recommend

import (
	"math"
	"runtime"
	"slices"
	"sync"
)

// TopK returns the indexes of the k highest finite scores, best first; ties
// go to the lower index. Scores of -Inf (or NaN) are never returned, which is
// how callers exclude items. It runs in O(n + k log k) on average, however
// the scores are ordered: candidates gather in a buffer of 2k; when it is
// full, quickselect keeps the best k, and the weakest of those becomes the
// bar a later score must pass (a later equal score loses the tie on its
// higher index; -Inf and NaN never pass).
func TopK(scores []float64, k int) []int32 {
	return topKWhere(scores, k, nil)
}

// topKWhere is TopK over the items that ok allows (nil: all), as if the
// others scored -Inf; ok is asked only about scores that pass the bar, so
// a costly filter runs on a few items, not the catalogue.
func topKWhere(scores []float64, k int, ok func(int32) bool) []int32 {
	if k <= 0 {
		return nil
	}
	if k <= smallK {
		return topKSmall(scores, k, ok)
	}
	out, _ := topKFloor(nil, nil, scores, k, ok, math.Inf(-1))
	if out == nil {
		out = []int32{} // as ever: empty, not nil
	}
	return out
}

// topKFloor is topKWhere's buffered selection (any k > 0) appending to
// dst, with buf as its buffer (grown when short); it returns the extended
// dst and the buffer for reuse, so a caller that keeps both allocates
// nothing. Scores below floor are skipped: floor must be at most the k-th
// best score (e.g. the k-th best of any k distinct items; -Inf when none
// is known), so those cannot be among the best k, and skipping them
// spares the selections they would cause without changing the answer.
//
// On a long list (n >= 32 k) it first guesses a higher floor from a
// sample (sampleFloor) and scans with it; the guess is kept only when at
// least k allowed scores reach it, which makes it a floor as above, so
// the answer is the same either way. Else it scans again with the given
// floor: on 20,000 lists of 4,000 random scores for each k of 20, 40, 50
// and 80, the guess was too high for 0 to 14 of them.
func topKFloor(dst []int32, buf []scored, scores []float64, k int, ok func(int32) bool, floor float64) ([]int32, []scored) {
	if k <= 0 {
		return dst, buf
	}
	if g := sampleFloor(scores, k, ok); g > floor {
		n0 := len(dst)
		out, full, passed := topKScan(dst, buf, scores, k, ok, g)
		if passed >= k {
			return out, full
		}
		dst, buf = out[:n0], full
	}
	out, full, _ := topKScan(dst, buf, scores, k, ok, floor)
	return out, full
}

// topKScan is topKFloor's selection with the floor it is given; passed
// counts the scores that entered the buffer, which is every allowed score
// at or above floor when it is under k (no selection ran before the end).
func topKScan(dst []int32, buf []scored, scores []float64, k int, ok func(int32) bool, floor float64) (out []int32, full []scored, passed int) {
	full = slices.Grow(buf[:0], min(2*k, len(scores)))
	buf = full[:0:min(2*k, len(scores))]
	bar := math.Inf(-1)
	for i := nextAbove(scores, 0, floor, bar); i < len(scores); i = nextAbove(scores, i+1, floor, bar) {
		s := scores[i]
		if ok != nil && !ok(int32(i)) {
			continue
		}
		if len(buf) == cap(buf) {
			selectBest(buf, k)
			buf = buf[:k]
			if bar = buf[k-1].s; !(s > bar) {
				continue
			}
		}
		buf = append(buf, scored{int32(i), s})
		passed++
	}
	if len(buf) > k {
		selectBest(buf, k)
		buf = buf[:k]
	}
	return topHeap(buf).appendSorted(dst), full, passed
}

// nextAbove returns the first index from i on whose score is at least
// floor and above bar (never a NaN), or len(scores). It is the selections'
// scan, kept apart as a tight loop: most scores fail both tests.
func nextAbove(scores []float64, i int, floor, bar float64) int {
	for ; i < len(scores); i++ {
		if s := scores[i]; s >= floor && s > bar {
			return i
		}
	}
	return len(scores)
}

// sampleFloor guesses a floor for the best k of a long list of scores:
// the smallK-th best allowed score among every sampleStride(k)-th item, so
// that about 2.5 k scores of the whole list reach it on average. -Inf
// when the list is short (under 32 k) or the sample holds too few allowed
// finite scores.
func sampleFloor(scores []float64, k int, ok func(int32) bool) float64 {
	n := len(scores)
	stride := sampleStride(k)
	if n < 32*k || stride < 2 {
		return math.Inf(-1)
	}
	st := smallTop{k: smallK, bar: math.Inf(-1)}
	for i := 0; i < n; i += stride {
		s := scores[i]
		if !(s > st.bar) || (ok != nil && !ok(int32(i))) {
			continue
		}
		st.push(scored{int32(i), s})
	}
	if st.n < smallK {
		return math.Inf(-1)
	}
	return st.bar
}

// sampleStride is sampleFloor's stride for the best k: smallK x stride =
// 2.5 k.
func sampleStride(k int) int { return k * 10 / 64 }

// smallK is the largest k topKWhere keeps in a sorted array (topKSmall)
// rather than its buffer of 2k: for a list this short, sliding a new entry
// into place costs less than the buffer's selections (the tuning asks for
// the top 10 of a few hundred candidates very many times).
const smallK = 16

// topKSmall is topKWhere for k <= smallK (see smallTop).
func topKSmall(scores []float64, k int, ok func(int32) bool) []int32 {
	st := smallTop{k: k, bar: math.Inf(-1)}
	for i := nextAbove(scores, 0, math.Inf(-1), st.bar); i < len(scores); i = nextAbove(scores, i+1, math.Inf(-1), st.bar) {
		if ok != nil && !ok(int32(i)) {
			continue
		}
		st.push(scored{int32(i), scores[i]})
	}
	return st.ranked()
}

// smallTop keeps the best k <= smallK entries offered to it in increasing
// index order, arr[:n] sorted weakest first; the weakest's score is the
// bar a later entry must pass (start it at -Inf: it stays there until k
// are kept), which callers test before push.
type smallTop struct {
	arr  [smallK]scored
	n, k int
	bar  float64
}

// ranked returns the indexes kept, best first.
func (st *smallTop) ranked() []int32 {
	top := st.arr[:st.n]
	out := make([]int32, len(top))
	for r := range top {
		out[r] = top[len(top)-1-r].i
	}
	return out
}

// push keeps e, which passed the bar.
func (st *smallTop) push(e scored) {
	k := st.k
	if st.n < k {
		// Insert: entries weaker than e stay below it.
		top := st.arr[:st.n+1]
		j := st.n
		for ; j > 0 && e.less(top[j-1]); j-- {
			top[j] = top[j-1]
		}
		top[j] = e
		if st.n++; st.n == k {
			st.bar = top[0].s
		}
		return
	}
	// Replace the weakest: e beats it (a higher score, as an equal one
	// comes later and loses the tie), and moves up past every entry it
	// beats.
	top := st.arr[:k]
	j := 0
	for ; j+1 < k && top[j+1].less(e); j++ {
		top[j] = top[j+1]
	}
	top[j] = e
	st.bar = top[0].s
}

// selectBest reorders a so that a[:k] holds its k best entries (higher
// score, then lower index) with the k-th best at a[k-1] (quickselect,
// median-of-three pivots). 0 < k <= len(a).
func selectBest(a []scored, k int) {
	better := func(x, y scored) bool { return y.less(x) }
	lo, hi := 0, len(a)-1
	for lo < hi {
		m := lo + (hi-lo)/2
		if better(a[m], a[lo]) {
			a[m], a[lo] = a[lo], a[m]
		}
		if better(a[hi], a[lo]) {
			a[hi], a[lo] = a[lo], a[hi]
		}
		if better(a[hi], a[m]) {
			a[hi], a[m] = a[m], a[hi]
		}
		p := a[m]
		i, j := lo, hi
		for i <= j {
			for better(a[i], p) {
				i++
			}
			for better(p, a[j]) {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		// a[lo..j] are better than or equal to p, a[i..hi] worse or
		// equal, and anything between is p itself.
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
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

// bestFirst orders entries for slices.SortFunc: higher scores first,
// equal scores by index (as TopK).
func bestFirst(a, b scored) int {
	if b.less(a) {
		return -1
	}
	if a.less(b) {
		return 1
	}
	return 0
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

func (h topHeap) sorted() []int32 { return h.appendSorted(nil) }

// appendSorted sorts h best first and appends its items to dst.
func (h topHeap) appendSorted(dst []int32) []int32 {
	slices.SortFunc(h, bestFirst)
	dst = slices.Grow(dst, len(h))
	for _, e := range h {
		dst = append(dst, e.i)
	}
	return dst
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
