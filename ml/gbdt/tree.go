package gbdt

import (
	"math"
	"slices"
)

// node is one node of a tree. A leaf has Left == -1.
type node struct {
	Left, Right int32
	Feature     int32
	// Threshold: a numeric row goes left when value <= Threshold.
	Threshold float32
	// Bin: a binned row goes left when its bin <= Bin (numeric splits).
	Bin         uint8
	DefaultLeft bool
	// Cat indexes tree.Cats for a categorical split, -1 otherwise.
	Cat int32
	// Value is the (shrunk) output of a leaf; internal nodes keep the value
	// they would have had as leaves, for path attributions.
	Value float64
	// Cover is the number of training rows that reached the node.
	Cover float64
	// Gain is the loss reduction of the node's split.
	Gain float64
}

// tree is a regression tree in flat form; node 0 is the root.
type tree struct {
	Nodes []node
	// Cats are the left-going bin sets of categorical splits.
	Cats [][4]uint64
}

// leftBinned tells where a row with bin bin of the node's feature goes.
func (t *tree) leftBinned(nd *node, bin uint8, missingBin int) bool {
	if nd.Cat >= 0 {
		c := &t.Cats[nd.Cat]
		return c[bin>>6]&(1<<(bin&63)) != 0
	}
	if int(bin) == missingBin {
		return nd.DefaultLeft
	}
	return bin <= nd.Bin
}

// predictBinned returns the leaf value for a binned row.
func (t *tree) predictBinned(row []uint8, numBins []int) float64 {
	i := int32(0)
	for {
		nd := &t.Nodes[i]
		if nd.Left < 0 {
			return nd.Value
		}
		if t.leftBinned(nd, row[nd.Feature], numBins[nd.Feature]) {
			i = nd.Left
		} else {
			i = nd.Right
		}
	}
}

// leafOf returns the index of the leaf a raw row reaches.
func (t *tree) leafOf(row []float64, catValues [][]float32) int32 {
	i := int32(0)
	for {
		nd := &t.Nodes[i]
		if nd.Left < 0 {
			return i
		}
		if t.goesLeft(nd, row[nd.Feature], catValues) {
			i = nd.Left
		} else {
			i = nd.Right
		}
	}
}

// goesLeft routes a raw value at an internal node.
func (t *tree) goesLeft(nd *node, v float64, catValues [][]float32) bool {
	if nd.Cat >= 0 {
		cv := catValues[nd.Feature]
		bin := len(cv) // missing or unseen category
		if v == v {
			if k, ok := slices.BinarySearch(cv, float32(v)); ok {
				bin = k
			}
		}
		c := &t.Cats[nd.Cat]
		return c[bin>>6]&(1<<(uint(bin)&63)) != 0
	}
	if v != v {
		return nd.DefaultLeft
	}
	return float32(v) <= nd.Threshold
}

// histBin accumulates gradients, hessians and row counts of one bin.
type histBin struct{ G, H, N float64 }

func (a *histBin) add(b histBin) { a.G += b.G; a.H += b.H; a.N += b.N }
func (a histBin) sub(b histBin) histBin {
	return histBin{a.G - b.G, a.H - b.H, a.N - b.N}
}

// gpair is a row's gradient and hessian (already weighted).
type gpair struct{ G, H float64 }

// split is a candidate split of a leaf.
type split struct {
	gain        float64
	feature     int
	bin         int
	defaultLeft bool
	cat         bool
	catSet      [4]uint64
	left, right histBin
}

// noSplit marks a leaf that will not be split.
var noSplit = split{gain: math.Inf(-1), feature: -1}

// goesLeftTab fills tab with the direction of every bin of sp's feature.
func (sp *split) goesLeftTab(tab *[256]bool, missingBin int) {
	for b := range tab {
		switch {
		case sp.cat:
			tab[b] = sp.catSet[b>>6]&(1<<(uint(b)&63)) != 0
		case b == missingBin:
			tab[b] = sp.defaultLeft
		default:
			tab[b] = b <= sp.bin
		}
	}
}
