package recommend

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Index finds items with the largest inner product with a query vector
// without scanning the catalogue: a two-level inverted file. Items are
// clustered by k-means into coarse cells and each cell into fine leaves; a
// search scores the coarse centroids, then the fine centroids of the best
// cells, and scores exactly only the items of the best leaves. It is built
// once per model and read-only afterwards (safe for concurrent searches).
type Index struct {
	f         int
	c1, c2    int
	coarse    []float32 // c1 x f
	fine      []float32 // c1*c2 x f; leaf l = cell*c2 + sub
	vecs      []float32 // items ordered by leaf, n x f
	ids       []int32   // item index of each row of vecs
	rowOf     []int32   // row of vecs of each item
	leafStart []int32   // rows of leaf l: [leafStart[l], leafStart[l+1])
	// ProbeCells and ProbeLeaves set how much a search explores.
	ProbeCells, ProbeLeaves int
}

// NewIndex builds the index over n = len(V)/f item vectors (row-major).
func NewIndex(V []float64, f int, seed uint64) *Index {
	return NewIndex32(toFloat32(V), f, seed)
}

// NewIndex32 is NewIndex on float32 vectors (taken over, not copied).
func NewIndex32(V []float32, f int, seed uint64) *Index {
	n := len(V) / f
	rng := rand.New(rand.NewPCG(seed, 0x1d))
	c := max(1, int(math.Sqrt(math.Sqrt(float64(n)))))
	c = min(c, 32)
	x := &Index{f: f, c1: c, c2: c, ProbeCells: max(1, c/4), ProbeLeaves: max(1, c*c/40)}
	all := make([]int32, n)
	for i := range all {
		all[i] = int32(i)
	}
	x.coarse = kmeans(V, f, all, x.c1, rng)
	cellOf := assign(V, f, all, x.coarse)
	members := make([][]int32, x.c1)
	for i, cl := range cellOf {
		members[cl] = append(members[cl], int32(i))
	}
	x.fine = make([]float32, x.c1*x.c2*f)
	leafMembers := make([][]int32, x.c1*x.c2)
	for cl, ms := range members {
		if len(ms) == 0 {
			continue
		}
		cent := kmeans(V, f, ms, x.c2, rng)
		copy(x.fine[cl*x.c2*f:], cent)
		sub := assign(V, f, ms, cent)
		for k, it := range ms {
			l := cl*x.c2 + int(sub[k])
			leafMembers[l] = append(leafMembers[l], it)
		}
	}
	x.vecs = make([]float32, 0, n*f)
	adviseHugePages(x.vecs)
	x.leafStart = make([]int32, 0, len(leafMembers)+1)
	for _, ms := range leafMembers {
		x.leafStart = append(x.leafStart, int32(len(x.ids)))
		for _, it := range ms {
			x.ids = append(x.ids, it)
			x.vecs = append(x.vecs, V[int(it)*f:int(it+1)*f]...)
		}
	}
	x.leafStart = append(x.leafStart, int32(len(x.ids)))
	x.rowOf = make([]int32, n)
	adviseHugePages(x.rowOf)
	for r, it := range x.ids {
		x.rowOf[it] = int32(r)
	}
	return x
}

// Score writes the inner product of q with each item's vector to out (in
// float32 precision, as Search ranks): half the memory traffic of the
// float64 factors for items scattered over a large catalogue.
//
// The items' vectors lie scattered over the index, so nearly every one is
// a cache miss: they are copied, scoreChunk at a time, into one block
// first (copies of different rows do not wait for each other, so their
// misses overlap, where a dot product per row would wait on each row in
// turn), and the block is scored in one matrix-vector product, which
// gives each row the bits a product of that row alone gives.
func (x *Index) Score(q []float64, items []int32, out []float64) {
	f := x.f
	q32 := toFloat32(q)
	var ys [scoreChunk]float32
	block := make([]float32, min(len(items), scoreChunk)*f)
	for lo := 0; lo < len(items); lo += scoreChunk {
		chunk := items[lo:min(len(items), lo+scoreChunk)]
		for j, it := range chunk {
			r := int(x.rowOf[it])
			copy(block[j*f:(j+1)*f], x.vecs[r*f:(r+1)*f])
		}
		y := ys[:len(chunk)]
		if matVecFast(block[:len(chunk)*f], q32, y) { // as ALS.Score computes it
			for j, v := range y {
				out[lo+j] = float64(v)
			}
			continue
		}
		for j := range chunk {
			out[lo+j] = float64(dot(q32, block[j*f:(j+1)*f]))
		}
	}
}

// scoreChunk is how many items Index.Score copies together.
const scoreChunk = 64

// kmeans clusters the rows `rows` of V into k centroids (Lloyd, on a sample
// of at most 20,000 rows, 8 iterations). Empty clusters keep their seed row.
func kmeans(V []float32, f int, rows []int32, k int, rng *rand.Rand) []float32 {
	sample := rows
	if len(sample) > 20000 {
		sample = make([]int32, 20000)
		for i := range sample {
			sample[i] = rows[rng.IntN(len(rows))]
		}
	}
	cent := make([]float32, k*f)
	for c := 0; c < k; c++ {
		r := sample[rng.IntN(len(sample))]
		copy(cent[c*f:(c+1)*f], V[int(r)*f:int(r+1)*f])
	}
	sum := make([]float64, k*f)
	cnt := make([]int, k)
	for it := 0; it < 8; it++ {
		lab := assign(V, f, sample, cent)
		clear(sum)
		clear(cnt)
		for s, r := range sample {
			c := int(lab[s])
			cnt[c]++
			v := V[int(r)*f : int(r+1)*f]
			for j := range v {
				sum[c*f+j] += float64(v[j])
			}
		}
		for c := 0; c < k; c++ {
			if cnt[c] == 0 {
				continue
			}
			for j := 0; j < f; j++ {
				cent[c*f+j] = float32(sum[c*f+j] / float64(cnt[c]))
			}
		}
	}
	return cent
}

// assign labels each row with its nearest centroid (Euclidean), in parallel.
func assign(V []float32, f int, rows []int32, cent []float32) []int32 {
	k := len(cent) / f
	norms := make([]float32, k)
	for c := 0; c < k; c++ {
		norms[c] = dot(cent[c*f:(c+1)*f], cent[c*f:(c+1)*f])
	}
	lab := make([]int32, len(rows))
	parallelFor(len(rows), func(_, i int) {
		v := V[int(rows[i])*f : int(rows[i]+1)*f]
		best, bd := 0, float32(math.Inf(1))
		for c := 0; c < k; c++ {
			// |v-c|² - |v|² = |c|² - 2 v·c
			d := norms[c] - 2*dot(v, cent[c*f:(c+1)*f])
			if d < bd {
				best, bd = c, d
			}
		}
		lab[i] = int32(best)
	})
	return lab
}

// Search returns up to k items with the largest inner product with q among
// the explored leaves, best first, skipping items accept rejects (nil
// accepts all).
func (x *Index) Search(q []float64, k int, accept func(int32) bool) []int32 {
	if k <= 0 {
		return nil
	}
	f := x.f
	q32 := toFloat32(q)
	cs := make([]float64, x.c1)
	for c := range cs {
		cs[c] = float64(dot(q32, x.coarse[c*f:(c+1)*f]))
	}
	cells := TopK(cs, x.ProbeCells)
	ls := make([]float64, 0, len(cells)*x.c2)
	leaves := make([]int32, 0, len(cells)*x.c2)
	for _, cl := range cells {
		for s := 0; s < x.c2; s++ {
			l := int(cl)*x.c2 + s
			if x.leafStart[l] == x.leafStart[l+1] {
				continue
			}
			leaves = append(leaves, int32(l))
			ls = append(ls, float64(dot(q32, x.fine[l*f:(l+1)*f])))
		}
	}
	h := make(topHeap, 0, k)
	var ys []float32
	for _, li := range TopK(ls, x.ProbeLeaves) {
		l := leaves[li]
		lo, hi := int(x.leafStart[l]), int(x.leafStart[l+1])
		// The leaf's scores in one matrix-vector product (vectorised).
		ys = slices.Grow(ys[:0], hi-lo)[:hi-lo]
		matVec32(x.vecs[lo*f:hi*f], q32, ys)
		for r := lo; r < hi; r++ {
			id := x.ids[r]
			s := float64(ys[r-lo])
			if len(h) == k && s <= h[0].s {
				continue // cannot enter: skip the (costlier) filter
			}
			if accept != nil && !accept(id) {
				continue
			}
			if len(h) < k {
				h.push(id, s)
			} else if s > h[0].s {
				h[0] = scored{id, s}
				h.down(0)
			}
		}
	}
	return h.sorted()
}
