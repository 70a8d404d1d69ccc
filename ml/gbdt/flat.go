package gbdt

import (
	"fmt"
	"math"
	"unsafe"
)

// Flat is a read-only copy of a model's trees laid out for fast prediction
// of many rows: 16-byte nodes of every tree in one slice, each node's two
// children next to each other, rows of float32 values. Its raw predictions
// are bit-identical to Model.PredictRaw of the same rows widened to
// float64 (PredictRaw compares float32(value) with the thresholds, and
// the trees are summed in the same order). Safe for concurrent use.
type Flat struct {
	m      *Model
	base   float64
	nf     int
	roots  []int32
	depths []int32
	nodes  []flatNode
	// values[i] is the value of leaf node i (0 for internal nodes).
	values []float64
	// hasCat: the model has categorical splits, which Flat does not lay
	// out; prediction then goes through Model.PredictRaw.
	hasCat bool
	// shallow is the same trees padded to depth shallowDepth (nil when
	// some tree is deeper): see shallowTrees.
	shallow *shallowTrees
}

// flatNode is a node: a row goes to kids when row[feat] <= thr, or when
// missing and dleft, else to kids+1. A leaf points to itself (thr = +Inf,
// dleft), so every row can take the same number of steps, the tree's
// depth, without testing for leaves.
type flatNode struct {
	feat  int32
	thr   float32
	kids  int32
	dleft bool
}

// nextAt is the child the row starting at rows[off] goes to; nan: the
// row may hold missing values.
func (nd *flatNode) nextAt(rows []float32, off int, nan bool) int32 {
	v := rows[off+int(nd.feat)]
	if nan && v != v {
		if nd.dleft {
			return nd.kids
		}
		return nd.kids + 1
	}
	// Written so the compiler can pick the child without a branch (a
	// conditional move): the direction is data.
	step := int32(0)
	if v > nd.thr {
		step = 1
	}
	return nd.kids + step
}

// Flatten lays the model's trees out for PredictRawBatch.
func (m *Model) Flatten() *Flat {
	f := &Flat{m: m, base: m.BaseScore, nf: m.NumFeatures, roots: make([]int32, len(m.Trees)), depths: make([]int32, len(m.Trees))}
	for ti := range m.Trees {
		t := &m.Trees[ti]
		for _, nd := range t.Nodes {
			if nd.Left >= 0 && nd.Cat >= 0 {
				f.hasCat = true
			}
		}
		if f.hasCat {
			continue
		}
		f.roots[ti] = int32(len(f.nodes))
		f.nodes = append(f.nodes, flatNode{})
		// Breadth-first: place a node's children as a pair.
		f.values = append(f.values, 0)
		queue := [][3]int32{{0, f.roots[ti], 0}} // (source node, flat slot, depth)
		for len(queue) > 0 {
			src, dst, d := queue[0][0], queue[0][1], queue[0][2]
			queue = queue[1:]
			nd := &t.Nodes[src]
			if nd.Left < 0 {
				f.nodes[dst] = flatNode{thr: float32(math.Inf(1)), kids: dst, dleft: true}
				f.values[dst] = nd.Value
				f.depths[ti] = max(f.depths[ti], d)
				continue
			}
			kids := int32(len(f.nodes))
			f.nodes = append(f.nodes, flatNode{}, flatNode{})
			f.values = append(f.values, 0, 0)
			f.nodes[dst] = flatNode{feat: nd.Feature, thr: nd.Threshold, kids: kids, dleft: nd.DefaultLeft}
			queue = append(queue, [3]int32{nd.Left, kids, d + 1}, [3]int32{nd.Right, kids + 1, d + 1})
		}
	}
	if f.hasCat {
		f.roots, f.nodes, f.values = nil, nil, nil
		return f
	}
	f.shallow = f.padShallow()
	return f
}

// shallowDepth is the depth shallowTrees pads every tree to; a model with
// a deeper tree keeps the node-by-node walk.
const shallowDepth = 5

// shallowSlots is a padded tree's slots: its 2^shallowDepth - 1 internal
// nodes in heap order (node p's children at 2p+1 and 2p+2, one spare
// slot) and, separately, its 2^shallowDepth leaf values.
const shallowSlots = 1 << shallowDepth

// shallowTrees are the trees of a model no deeper than shallowDepth, each
// padded to exactly that depth and laid out at a fixed stride, so a row
// walks eight trees at once with every node address a constant offset from
// one base (see predictShallow). Padding nodes send every value without
// NaN left (threshold +Inf) and a leaf above the last level fills all the
// leaves below it, so a row ends in the leaf it reaches in the tree.
//
// Measured against it and not kept (2026-11-30): V-QuickScorer (Lucchese
// et al., SIGIR 2016), in AVX2 assembly, eight rows per block: each
// feature's splits visited in threshold order, clearing the left
// subtree's leaves from a 32-bit word per tree and lane, the exit leaf the
// lowest bit left, bit for bit the same sums. On the Online Retail
// reranker (449 trees of up to 32 leaves, 10,956 splits, 54 features)
// and 19,595 of its serving rows, a block visits 6,617 splits, 827 per
// row against the walk's 2,245 steps, but each visit costs about four
// cycles: 88-97 µs per request's 49 rows against 106-111 µs, and on
// whole requests (BenchmarkRecommendOnlineRetail, six interleaved runs)
// 317-359 µs against 332-352 µs, 0-7% and within this machine's noise in
// some runs. Not worth a second path of assembly.
type shallowTrees struct {
	nodes  []shallowNode // shallowSlots per tree
	values []float64     // shallowSlots per tree
}

// shallowNode is an internal node: a row goes to the right child when its
// value at byte offset off is greater than thr.
type shallowNode struct {
	off uint32
	thr float32
}

// padShallow lays f's trees out as shallowTrees, nil when a tree is
// deeper than shallowDepth or a row is too wide for the offsets.
func (f *Flat) padShallow() *shallowTrees {
	for _, d := range f.depths {
		if d > shallowDepth {
			return nil
		}
	}
	if f.nf <= 0 || uint64(f.nf)*4 > math.MaxUint32 {
		return nil
	}
	// The unsafe walk trusts every split's feature to lie inside a row: a
	// model read from a damaged file may not, and keeps the checked walk.
	for i, nd := range f.nodes {
		if nd.kids != int32(i) && (nd.feat < 0 || int(nd.feat) >= f.nf) {
			return nil
		}
	}
	nt := len(f.roots)
	st := &shallowTrees{nodes: make([]shallowNode, nt*shallowSlots), values: make([]float64, nt*shallowSlots)}
	for t, root := range f.roots {
		nodes := st.nodes[t*shallowSlots : (t+1)*shallowSlots]
		values := st.values[t*shallowSlots : (t+1)*shallowSlots]
		// place puts flat node src at heap slot p of level lvl.
		var place func(src int32, p, lvl int)
		place = func(src int32, p, lvl int) {
			nd := &f.nodes[src]
			leaf := nd.kids == src
			if lvl == shallowDepth {
				values[p-(shallowSlots-1)] = f.values[src]
				return
			}
			if leaf {
				nodes[p] = shallowNode{thr: float32(math.Inf(1))}
				place(src, 2*p+1, lvl+1)
				place(src, 2*p+2, lvl+1)
				return
			}
			nodes[p] = shallowNode{off: uint32(nd.feat) * 4, thr: nd.thr}
			place(nd.kids, 2*p+1, lvl+1)
			place(nd.kids+1, 2*p+2, lvl+1)
		}
		place(root, 0, 0)
	}
	return st
}

// step is the heap slot after node n for the row at rb: 2p+1 (left) or
// 2p+2 (right).
func step(p uintptr, n *shallowNode, rb unsafe.Pointer) uintptr {
	right := uintptr(0)
	if *(*float32)(unsafe.Add(rb, n.off)) > n.thr {
		right = 1
	}
	return 2*p + 1 + right
}

// predictShallow writes each row's raw score to out, the trees summed in
// model order as PredictRawBatch does; rows hold no NaN and len(rows) =
// len(out) x nf (checked by the caller). The walk reads nodes and row
// values through unsafe pointers: a padded tree's slots are at
// t x shallowSlots + p with p < shallowSlots - 1 for the shallowDepth
// steps, and every offset is a feature's byte offset inside a row
// (padShallow checked that each split's feature is below nf).
func (st *shallowTrees) predictShallow(base float64, nf int, rows []float32, out []float64) {
	const S = shallowSlots
	nt := len(st.nodes) / S
	for r := range out {
		out[r] = base
	}
	// Block by block of eight trees, each block over every row: a block's
	// 2 KiB of nodes stays in the fastest cache while the rows pass, where
	// a row walking all trees would fetch them all again. Each row still
	// adds the trees in model order.
	t := 0
	for ; t+8 <= nt; t += 8 {
		walkBlock8Rows(st.nodes[t*S:(t+8)*S], st.values[t*S:(t+8)*S], rows, nf, out)
	}
	for ; t < nt; t++ {
		nb := unsafe.Pointer(&st.nodes[t*S])
		for r := range out {
			rb := unsafe.Pointer(&rows[r*nf])
			var p uintptr
			for range shallowDepth {
				p = step(p, (*shallowNode)(unsafe.Add(nb, p*8)), rb)
			}
			out[r] += st.values[t*S+int(p)-(S-1)]
		}
	}
}

// walkBlock8Go adds to each row's out the leaf values of the eight padded
// trees of nodes and values (shallowSlots each), in tree order: the
// portable form of walkBlock8Rows, which amd64 runs in assembly. Rows of
// nf values hold no NaN; len(rows) = len(out) x nf.
func walkBlock8Go(nodes []shallowNode, values []float64, rows []float32, nf int, out []float64) {
	const S = shallowSlots
	nb := unsafe.Pointer(&nodes[0])
	v := (*[8 * S]float64)(values)
	for r := range out {
		rb := unsafe.Pointer(&rows[r*nf])
		// Eight trees at a time: their paths are independent, so
		// the processor overlaps the chains of loads.
		var p0, p1, p2, p3, p4, p5, p6, p7 uintptr
		for range shallowDepth {
			p0 = step(p0, (*shallowNode)(unsafe.Add(nb, (0*S+p0)*8)), rb)
			p1 = step(p1, (*shallowNode)(unsafe.Add(nb, (1*S+p1)*8)), rb)
			p2 = step(p2, (*shallowNode)(unsafe.Add(nb, (2*S+p2)*8)), rb)
			p3 = step(p3, (*shallowNode)(unsafe.Add(nb, (3*S+p3)*8)), rb)
			p4 = step(p4, (*shallowNode)(unsafe.Add(nb, (4*S+p4)*8)), rb)
			p5 = step(p5, (*shallowNode)(unsafe.Add(nb, (5*S+p5)*8)), rb)
			p6 = step(p6, (*shallowNode)(unsafe.Add(nb, (6*S+p6)*8)), rb)
			p7 = step(p7, (*shallowNode)(unsafe.Add(nb, (7*S+p7)*8)), rb)
		}
		acc := out[r]
		acc += v[0*S+p0-(S-1)]
		acc += v[1*S+p1-(S-1)]
		acc += v[2*S+p2-(S-1)]
		acc += v[3*S+p3-(S-1)]
		acc += v[4*S+p4-(S-1)]
		acc += v[5*S+p5-(S-1)]
		acc += v[6*S+p6-(S-1)]
		acc += v[7*S+p7-(S-1)]
		out[r] = acc
	}
}

// Model returns the model f was made from.
func (f *Flat) Model() *Model { return f.m }

// PredictRawBatch writes the raw score of each row to out: rows holds
// len(out) rows of NumFeatures values back to back (NaN = missing).
// out[i] equals Model.PredictRaw of row i widened to float64, bit for bit.
func (f *Flat) PredictRawBatch(rows []float32, out []float64) error {
	if len(rows) != len(out)*f.nf {
		return fmt.Errorf("gbdt: %d values for %d rows of %d features", len(rows), len(out), f.nf)
	}
	if f.hasCat {
		row := make([]float64, f.nf)
		for r := range out {
			for k, v := range rows[r*f.nf : (r+1)*f.nf] {
				row[k] = float64(v)
			}
			out[r] = f.m.PredictRaw(row)
		}
		return nil
	}
	nodes, values, nf := f.nodes, f.values, f.nf
	// Without missing values, no node needs to test for them.
	nan := false
	for _, v := range rows {
		if v != v {
			nan = true
			break
		}
	}
	if !nan && f.shallow != nil {
		f.shallow.predictShallow(f.base, nf, rows, out)
		return nil
	}
	for r := range out {
		out[r] = f.base
	}
	// Tree by tree, so a tree's nodes stay in cache over the rows; each
	// row still sums the trees in model order.
	for ti, root := range f.roots {
		depth := f.depths[ti]
		r := 0
		// Eight rows at a time: their paths are independent, so the
		// processor overlaps the chains of loads.
		for ; r+8 <= len(out); r += 8 {
			blk := rows[r*nf : (r+8)*nf : (r+8)*nf]
			i0, i1, i2, i3, i4, i5, i6, i7 := root, root, root, root, root, root, root, root
			for range depth {
				i0 = nodes[i0].nextAt(blk, 0*nf, nan)
				i1 = nodes[i1].nextAt(blk, 1*nf, nan)
				i2 = nodes[i2].nextAt(blk, 2*nf, nan)
				i3 = nodes[i3].nextAt(blk, 3*nf, nan)
				i4 = nodes[i4].nextAt(blk, 4*nf, nan)
				i5 = nodes[i5].nextAt(blk, 5*nf, nan)
				i6 = nodes[i6].nextAt(blk, 6*nf, nan)
				i7 = nodes[i7].nextAt(blk, 7*nf, nan)
			}
			out[r+0] += values[i0]
			out[r+1] += values[i1]
			out[r+2] += values[i2]
			out[r+3] += values[i3]
			out[r+4] += values[i4]
			out[r+5] += values[i5]
			out[r+6] += values[i6]
			out[r+7] += values[i7]
		}
		for ; r < len(out); r++ {
			i := root
			for range depth {
				i = nodes[i].nextAt(rows, r*nf, nan)
			}
			out[r] += values[i]
		}
	}
	return nil
}
