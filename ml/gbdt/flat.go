package gbdt

import (
	"fmt"
	"math"
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
	}
	return f
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
	for r := range out {
		out[r] = f.base
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
