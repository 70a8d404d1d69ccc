package global

import (
	"slices"

	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// pathExplainer attributes a boosted model's raw prediction to its
// features along each tree's decision path (Saabas' method): every split
// on the path credits its feature with the change in the expected output
// from the node to the child the row goes to. A node's expected output is
// the cover-weighted mean of its leaves, so the root holds the tree's
// expected value and the contributions of a row sum exactly to its
// prediction. It costs O(depth) per tree, where the exact TreeSHAP of
// gbdt.Model.Contributions costs O(leaves x depth^2) and allocates per
// node: explaining every step of thousands of series took minutes there
// and takes a second here. The attribution is not consistent in the
// Shapley sense (credit leans towards splits near the leaves), which is
// acceptable for grouping a forecast into level, trend, seasonality and
// event components.
type pathExplainer struct {
	m *gbdt.Model
	// expect[i][j] is the expected output of node j of tree i.
	expect [][]float64
	// base is the model's expected raw output: BaseScore plus every tree's
	// expected value.
	base float64
}

func newPathExplainer(m *gbdt.Model) *pathExplainer {
	e := &pathExplainer{m: m, expect: make([][]float64, len(m.Trees)), base: m.BaseScore}
	for i := range m.Trees {
		nodes := m.Trees[i].Nodes
		ex := make([]float64, len(nodes))
		var fill func(j int32) (value, cover float64)
		fill = func(j int32) (float64, float64) {
			nd := &nodes[j]
			if nd.Left < 0 {
				ex[j] = nd.Value
				return nd.Value, nd.Cover
			}
			lv, lc := fill(nd.Left)
			rv, rc := fill(nd.Right)
			switch {
			case lc+rc > 0:
				ex[j] = (lv*lc + rv*rc) / (lc + rc)
			default:
				ex[j] = (lv + rv) / 2
			}
			return ex[j], lc + rc
		}
		if len(nodes) > 0 {
			fill(0)
			e.base += ex[0]
		}
		e.expect[i] = ex
	}
	return e
}

// contributions writes each feature's contribution to the raw prediction
// of row into phi (length NumFeatures+1) and the expected raw output into
// its last element; they sum to m.PredictRaw(row).
func (e *pathExplainer) contributions(row, phi []float64) {
	clear(phi)
	phi[len(phi)-1] = e.base
	m := e.m
	for i := range m.Trees {
		t := &m.Trees[i]
		ex := e.expect[i]
		j := int32(0)
		for {
			nd := &t.Nodes[j]
			if nd.Left < 0 {
				break
			}
			next := nd.Right
			if goesLeft(m, t.Cats, nd.Feature, nd.Cat, nd.Threshold, nd.DefaultLeft, row[nd.Feature]) {
				next = nd.Left
			}
			phi[nd.Feature] += ex[next] - ex[j]
			j = next
		}
	}
}

// goesLeft routes value v at a split on feature f as gbdt does: categorical
// splits (cat >= 0) by the left-going set of the category's bin, with
// missing and unseen categories in the last bin; numeric splits by the
// threshold, missing values by the default direction.
func goesLeft(m *gbdt.Model, cats [][4]uint64, f, cat int32, threshold float32, defaultLeft bool, v float64) bool {
	if cat >= 0 {
		cv := m.CatValues[f]
		bin := len(cv)
		if v == v {
			if k, ok := slices.BinarySearch(cv, float32(v)); ok {
				bin = k
			}
		}
		return cats[cat][bin>>6]&(1<<(uint(bin)&63)) != 0
	}
	if v != v {
		return defaultLeft
	}
	return float32(v) <= threshold
}
