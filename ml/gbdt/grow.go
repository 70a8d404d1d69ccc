package gbdt

import (
	"context"
	"math"
	"slices"
	"sort"
)

// minParallelRows is the node size below which a histogram is built by one
// goroutine: below it, starting workers costs more than it saves.
const minParallelRows = 16_384

// histParts bounds the partial histograms a large node's rows are summed
// into. The split of rows into parts depends only on the node's size, never
// on the worker count, and parts are added in order, so a model is the same
// bit for bit on any number of cores.
const histParts = 8

// grower builds one tree at a time from binned data and per-row gradients.
type grower struct {
	p       Params
	b       *Binned
	gh      []gpair
	offsets []int // histogram offset of each feature
	histLen int
	workers int
	scratch [][]histBin // partial histograms of parts 1.. (kept zeroed)
	free    [][]histBin // recycled histogram buffers
	rows    []int32     // row indices, partitioned by leaf
	tmp     []int32     // partition scratch
	// colData is b.Data column-major: partitioning reads one feature of
	// the node's rows (ascending), which is sequential here and one cache
	// line per row in the row-major layout.
	colData []uint8
	active  []bool // features usable in this tree
	order   []int  // category sort scratch
	// hfeat are the features whose histograms this tree builds (the
	// active ones and feature 0, which total reads), hoff their offsets
	// and hseg the histogram ranges they cover, merged where adjacent:
	// bins of other features are never written, cleared or read.
	hfeat []int
	hoff  []int
	hseg  [][2]int
	// levelWise forces level-by-level processing (tests compare it with
	// depth first).
	levelWise bool
}

func newGrower(p Params, b *Binned, gh []gpair) *grower {
	g := &grower{p: p, b: b, gh: gh, workers: numWorkers(p.Workers)}
	g.offsets = make([]int, b.Cols)
	for j := 0; j < b.Cols; j++ {
		g.offsets[j] = g.histLen
		g.histLen += b.NumBins[j] + 1
	}
	g.scratch = make([][]histBin, histParts)
	g.tmp = make([]int32, b.Rows)
	g.active = make([]bool, b.Cols)
	g.colData = make([]uint8, len(b.Data))
	parallelChunks(b.Cols, g.workers, 1, func(_, lo, hi int) {
		for j := lo; j < hi; j++ {
			col := g.colData[j*b.Rows : (j+1)*b.Rows]
			for i := range col {
				col[i] = b.Data[i*b.Cols+j]
			}
		}
	})
	return g
}

// setHistFeatures derives hfeat, hoff and hseg from active.
func (g *grower) setHistFeatures() {
	g.hfeat, g.hoff, g.hseg = g.hfeat[:0], g.hoff[:0], g.hseg[:0]
	for f := 0; f < g.b.Cols; f++ {
		if !g.active[f] && f != 0 {
			continue
		}
		lo, hi := g.offsets[f], g.offsets[f]+g.b.NumBins[f]+1
		g.hfeat = append(g.hfeat, f)
		g.hoff = append(g.hoff, lo)
		if n := len(g.hseg); n > 0 && g.hseg[n-1][1] == lo {
			g.hseg[n-1][1] = hi
		} else {
			g.hseg = append(g.hseg, [2]int{lo, hi})
		}
	}
}

// clearHist zeroes the histograms of the features in use.
func (g *grower) clearHist(h []histBin) {
	for _, sg := range g.hseg {
		clear(h[sg[0]:sg[1]])
	}
}

func (g *grower) getHist() []histBin {
	if n := len(g.free); n > 0 {
		h := g.free[n-1]
		g.free = g.free[:n-1]
		return h
	}
	return make([]histBin, g.histLen)
}

func (g *grower) putHist(h []histBin) {
	if h != nil {
		g.free = append(g.free, h)
	}
}

// buildHist fills dst with the histograms of all features over rows. Rows
// of a large node are cut into parts by size alone; each part is summed on
// its own (concurrently) and the parts are added in order, so the float
// sums, and the model, do not depend on how many workers ran.
func (g *grower) buildHist(dst []histBin, rows []int32) {
	g.clearHist(dst)
	parts := min(histParts, len(rows)/(minParallelRows/2))
	if parts <= 1 {
		g.accumulate(dst, rows)
		return
	}
	for k := 1; k < parts; k++ {
		if g.scratch[k] == nil {
			g.scratch[k] = make([]histBin, g.histLen)
		}
	}
	n := len(rows)
	// Part 0 is summed into dst; the others into scratch buffers, which
	// are kept zeroed between calls.
	_ = parallelFor(context.Background(), parts, g.workers, func(k int) {
		buf := dst
		if k > 0 {
			buf = g.scratch[k]
		}
		g.accumulate(buf, rows[k*n/parts:(k+1)*n/parts])
	})
	for k := 1; k < parts; k++ {
		s := g.scratch[k]
		for _, sg := range g.hseg {
			d, s := dst[sg[0]:sg[1]], s[sg[0]:sg[1]]
			for i := range d {
				d[i].add(s[i])
			}
			clear(s)
		}
	}
}

// accumulate adds rows' gradients to the histograms of the features in
// use: the hot loop of training.
func (g *grower) accumulate(h []histBin, rows []int32) {
	cols := g.b.Cols
	data := g.b.Data
	gh := g.gh
	if len(g.hfeat) == cols {
		off := g.offsets[:cols]
		for _, r := range rows {
			p := gh[r]
			row := data[int(r)*cols : int(r)*cols+cols]
			for f, bin := range row {
				e := &h[off[f]+int(bin)]
				e.G += p.G
				e.H += p.H
				e.N++
			}
		}
		return
	}
	feats := g.hfeat
	off := g.hoff[:len(feats)]
	for _, r := range rows {
		p := gh[r]
		row := data[int(r)*cols : int(r)*cols+cols]
		for k, f := range feats {
			e := &h[off[k]+int(row[f])]
			e.G += p.G
			e.H += p.H
			e.N++
		}
	}
}

// leafState is a leaf under construction.
type leafState struct {
	node   int32
	lo, hi int // range in grower.rows
	hist   []histBin
	sum    histBin
	depth  int
	sp     split
}

// leafRange is a finished leaf and the rows (grower.rows[lo:hi]) in it.
type leafRange struct {
	node   int32
	lo, hi int
}

// grow builds a tree over rows (which grower takes over and partitions).
// Leaf values are Newton steps, not yet shrunk by the learning rate.
func (g *grower) grow(rows []int32) (*tree, []leafRange) {
	g.rows = rows
	t := &tree{}
	root := &leafState{lo: 0, hi: len(rows), hist: g.getHist()}
	g.buildHist(root.hist, rows)
	root.sum = g.total(root.hist)
	t.Nodes = append(t.Nodes, g.newNode(root.sum))
	g.findSplit(root)
	var done []leafRange
	cands := []*leafState{root}
	leaves := 1
	// Level by level (a queue) unless the leaf cap cannot bind before the
	// depth limit does: then the splits made do not depend on the order,
	// and depth first (a stack) keeps the histograms in use few and in
	// cache; the nodes are renumbered level by level afterwards, so the
	// tree is the same either way.
	depthFirst := !g.levelWise && g.p.Growth != LeafWise && g.p.MaxDepth >= 0 && g.p.MaxDepth < 31 && g.p.MaxLeaves >= 1<<g.p.MaxDepth
	for len(cands) > 0 {
		k := 0
		if depthFirst {
			k = len(cands) - 1
		}
		if g.p.Growth == LeafWise {
			for i, c := range cands {
				if c.sp.gain > cands[k].sp.gain {
					k = i
				}
			}
		}
		l := cands[k]
		cands = slices.Delete(cands, k, k+1)
		if leaves >= g.p.MaxLeaves || l.sp.feature < 0 || l.sp.gain <= g.p.MinGain {
			done = append(done, leafRange{l.node, l.lo, l.hi})
			g.putHist(l.hist)
			continue
		}
		leaves++
		left, right := g.apply(t, l, leaves < g.p.MaxLeaves)
		cands = append(cands, left, right)
	}
	for _, c := range cands {
		g.putHist(c.hist)
	}
	if depthFirst {
		t.levelOrder(done)
	}
	return t, done
}

// levelOrder renumbers t's nodes (and categorical sets) in the order a
// level-by-level growth creates them: a node's children are numbered
// together, in the order their parents are reached level by level. done's
// nodes are renumbered and put in the same order.
func (t *tree) levelOrder(done []leafRange) {
	n := len(t.Nodes)
	newID := make([]int32, n)
	order := make([]int32, 1, n) // old ids in the new order
	for q := 0; q < len(order); q++ {
		nd := &t.Nodes[order[q]]
		if nd.Left >= 0 {
			newID[nd.Left], newID[nd.Right] = int32(len(order)), int32(len(order)+1)
			order = append(order, nd.Left, nd.Right)
		}
	}
	nodes := make([]node, n)
	var cats [][4]uint64
	for i, old := range order {
		nd := t.Nodes[old]
		if nd.Left >= 0 {
			nd.Left, nd.Right = newID[nd.Left], newID[nd.Right]
		}
		if nd.Cat >= 0 {
			cats = append(cats, t.Cats[nd.Cat])
			nd.Cat = int32(len(cats) - 1)
		}
		nodes[i] = nd
	}
	t.Nodes, t.Cats = nodes, cats
	for i := range done {
		done[i].node = newID[done[i].node]
	}
	slices.SortFunc(done, func(a, b leafRange) int { return int(a.node - b.node) })
}

// total sums feature 0's histogram: every row has some bin of every feature.
func (g *grower) total(h []histBin) histBin {
	var s histBin
	if g.b.Cols == 0 {
		return s
	}
	for _, e := range h[:g.b.NumBins[0]+1] {
		s.add(e)
	}
	return s
}

func (g *grower) newNode(s histBin) node {
	return node{Left: -1, Right: -1, Feature: -1, Cat: -1, Cover: s.N, Value: -s.G / (s.H + g.p.Lambda)}
}

// apply splits leaf l: partitions its rows, fills the node and returns the
// two children with histograms (one built, one by subtraction) and splits.
// When neither child may split further (more leaves not allowed, maximum
// depth reached, too few rows) no histogram is built at all: at depth 6
// that saves the most expensive level.
func (g *grower) apply(t *tree, l *leafState, moreLeaves bool) (*leafState, *leafState) {
	sp := l.sp
	var dir [256]bool
	sp.goesLeftTab(&dir, g.b.NumBins[sp.feature])
	var tab [256]uint8
	for b, left := range dir {
		if left {
			tab[b] = 1
		}
	}
	mid := g.partition(l.lo, l.hi, sp.feature, &tab)

	nd := &t.Nodes[l.node]
	nd.Feature = int32(sp.feature)
	nd.Gain = sp.gain
	nd.DefaultLeft = sp.defaultLeft
	if sp.cat {
		nd.Cat = int32(len(t.Cats))
		t.Cats = append(t.Cats, sp.catSet)
	} else {
		nd.Bin = uint8(sp.bin)
		nd.Threshold = g.b.Upper[sp.feature][sp.bin]
	}
	li := int32(len(t.Nodes))
	t.Nodes[l.node].Left, t.Nodes[l.node].Right = li, li+1
	t.Nodes = append(t.Nodes, g.newNode(sp.left), g.newNode(sp.right))

	left := &leafState{node: li, lo: l.lo, hi: mid, sum: sp.left, depth: l.depth + 1}
	right := &leafState{node: li + 1, lo: mid, hi: l.hi, sum: sp.right, depth: l.depth + 1}
	canSplit := func(c *leafState) bool {
		return moreLeaves && (g.p.MaxDepth < 0 || c.depth < g.p.MaxDepth) && c.hi-c.lo >= 2*g.p.MinSamplesLeaf
	}
	left.sp, right.sp = noSplit, noSplit
	if !canSplit(left) && !canSplit(right) {
		g.putHist(l.hist)
		l.hist = nil
		return left, right
	}
	small, large := left, right
	if small.hi-small.lo > large.hi-large.lo {
		small, large = large, small
	}
	small.hist = g.getHist()
	g.buildHist(small.hist, g.rows[small.lo:small.hi])
	large.hist = l.hist
	for _, sg := range g.hseg {
		lh, sh := large.hist[sg[0]:sg[1]], small.hist[sg[0]:sg[1]]
		for i, s := range sh {
			lh[i] = lh[i].sub(s)
		}
	}
	l.hist = nil
	for _, c := range [2]*leafState{left, right} {
		if canSplit(c) {
			g.findSplit(c)
		}
		if c.sp.feature < 0 {
			g.putHist(c.hist)
			c.hist = nil
		}
	}
	return left, right
}

// partition stably reorders rows[lo:hi] so that rows going left come first
// and returns the boundary. Large ranges are split over the workers: each
// partitions its chunk in place, then the chunks are merged by moving each
// chunk's left part in front of the rights gathered so far.
func (g *grower) partition(lo, hi, feature int, tab *[256]uint8) int {
	n := hi - lo
	w := min(g.workers, n/minParallelRows)
	if w <= 1 {
		return lo + g.partitionChunk(g.rows[lo:hi], g.tmp[lo:hi], feature, tab)
	}
	lefts := make([]int, w)
	parallelChunks(n, w, minParallelRows, func(k, a, b int) {
		lefts[k] = g.partitionChunk(g.rows[lo+a:lo+b], g.tmp[lo+a:lo+b], feature, tab)
	})
	// Merge: rows[lo:lo+nl] are all lefts so far, rows[lo+nl:end] rights.
	nl, end := lefts[0], lo+n/w
	for k := 1; k < w; k++ {
		a, b := lo+k*n/w, lo+(k+1)*n/w
		rights := g.tmp[:end-(lo+nl)]
		copy(rights, g.rows[lo+nl:end])
		copy(g.rows[lo+nl:], g.rows[a:a+lefts[k]])
		copy(g.rows[lo+nl+lefts[k]:], rights)
		nl += lefts[k]
		end = b
	}
	return lo + nl
}

// partitionChunk stably partitions rows (using tmp, of the same length, as
// scratch) and returns the number of rows going left; tab[bin] is 1 for
// left. Every row is written to both sides and only the matching cursor
// advances: no branch on the (unpredictable) direction.
func (g *grower) partitionChunk(rows, tmp []int32, feature int, tab *[256]uint8) int {
	col := g.colData[feature*g.b.Rows : (feature+1)*g.b.Rows]
	tmp = tmp[:len(rows)]
	j, k := 0, 0
	for _, r := range rows {
		left := int(tab[col[r]])
		rows[j] = r
		tmp[k] = r
		j += left
		k += 1 - left
	}
	copy(rows[j:], tmp[:k])
	return j
}

func (g *grower) score(s histBin) float64 { return s.G * s.G / (s.H + g.p.Lambda) }

// ok reports whether a child satisfies the leaf-size constraints.
func (g *grower) ok(s histBin) bool {
	return s.N >= float64(g.p.MinSamplesLeaf) && s.H >= g.p.MinHessianLeaf
}

// findSplit sets l.sp to the best split over the active features.
func (g *grower) findSplit(l *leafState) {
	best := noSplit
	parent := g.score(l.sum)
	for f := 0; f < g.b.Cols; f++ {
		if !g.active[f] {
			continue
		}
		h := l.hist[g.offsets[f] : g.offsets[f]+g.b.NumBins[f]+1]
		if g.b.IsCat[f] {
			g.catSplit(f, h, l.sum, parent, &best)
		} else {
			g.numSplit(f, h, l.sum, parent, &best)
		}
	}
	l.sp = best
}

// numSplit scans the bins of numeric feature f, with missing values sent
// right and then left.
func (g *grower) numSplit(f int, h []histBin, total histBin, parent float64, best *split) {
	nb := len(h) - 1
	miss := h[nb]
	for pass := 0; pass < 2; pass++ {
		var left histBin
		if pass == 1 {
			if miss.N == 0 {
				return
			}
			left = miss
		}
		for k := 0; k < nb-1; k++ {
			left.add(h[k])
			if !g.ok(left) {
				continue
			}
			right := total.sub(left)
			if !g.ok(right) {
				break
			}
			if gain := g.score(left) + g.score(right) - parent; gain > best.gain {
				*best = split{gain: gain, feature: f, bin: k, defaultLeft: pass == 1, left: left, right: right}
			}
		}
	}
}

// catSplit finds the best subset of categories of feature f to send left:
// one-vs-rest for few categories, otherwise prefixes of the categories
// ordered by their regularised gradient ratio.
func (g *grower) catSplit(f int, h []histBin, total histBin, parent float64, best *split) {
	order := g.order[:0]
	for k, e := range h {
		if e.N > 0 {
			order = append(order, k)
		}
	}
	g.order = order
	if len(order) < 2 {
		return
	}
	try := func(left histBin, set [4]uint64) {
		if !g.ok(left) {
			return
		}
		right := total.sub(left)
		if !g.ok(right) {
			return
		}
		if gain := g.score(left) + g.score(right) - parent; gain > best.gain {
			*best = split{gain: gain, feature: f, cat: true, catSet: set, left: left, right: right}
		}
	}
	if len(order) <= g.p.MaxCatOneHot {
		for _, k := range order {
			var set [4]uint64
			set[k>>6] |= 1 << (uint(k) & 63)
			try(h[k], set)
		}
		return
	}
	sm := g.p.CatSmooth
	sort.Slice(order, func(a, b int) bool {
		ea, eb := h[order[a]], h[order[b]]
		return ea.G/(ea.H+sm) < eb.G/(eb.H+sm)
	})
	var left histBin
	var set [4]uint64
	for i := 0; i+1 < len(order); i++ {
		k := order[i]
		left.add(h[k])
		set[k>>6] |= 1 << (uint(k) & 63)
		try(left, set)
	}
}

// shrink turns Newton steps into shrunk outputs for every node.
func (t *tree) shrink(lr float64) {
	for i := range t.Nodes {
		t.Nodes[i].Value *= lr
		if math.IsNaN(t.Nodes[i].Value) {
			t.Nodes[i].Value = 0
		}
	}
}
