package gbdt

// This file computes per-prediction feature contributions with the
// path-dependent TreeSHAP algorithm (Lundberg, Erion and Lee, "Consistent
// Individualized Feature Attribution for Tree Ensembles", 2018, Alg. 2):
// exact Shapley values of the tree's conditional expectation, in time
// polynomial in depth.

// pathElem is one feature on the current root-to-node path.
type pathElem struct {
	feature   int
	zero, one float64 // fraction of paths through when the feature is absent / present
	weight    float64
}

// Contributions returns the SHAP value of every feature for row (raw score
// units: log-odds for Logistic, log mean for Tweedie) and, as the last
// element, the expected raw score; they sum to PredictRaw(row).
func (m *Model) Contributions(row []float64) []float64 {
	phi := make([]float64, m.NumFeatures+1)
	phi[m.NumFeatures] = m.BaseScore
	for i := range m.Trees {
		t := &m.Trees[i]
		phi[m.NumFeatures] += t.expected()
		s := shapState{t: t, m: m, row: row, phi: phi}
		s.recurse(0, nil, 1, 1, -1)
	}
	return phi
}

// expected is the cover-weighted mean leaf value of the tree.
func (t *tree) expected() float64 {
	var s float64
	for _, nd := range t.Nodes {
		if nd.Left < 0 {
			s += nd.Value * nd.Cover
		}
	}
	if c := t.Nodes[0].Cover; c > 0 {
		return s / c
	}
	return 0
}

type shapState struct {
	t   *tree
	m   *Model
	row []float64
	phi []float64
}

func (s *shapState) recurse(j int32, parent []pathElem, pz, po float64, pi int) {
	path := make([]pathElem, len(parent), len(parent)+1)
	copy(path, parent)
	path = extendPath(path, pz, po, pi)
	nd := &s.t.Nodes[j]
	if nd.Left < 0 {
		for i := 1; i < len(path); i++ {
			w := unwoundSum(path, i)
			e := path[i]
			s.phi[e.feature] += w * (e.one - e.zero) * nd.Value
		}
		return
	}
	hot, cold := nd.Right, nd.Left
	if s.t.goesLeft(nd, s.row[nd.Feature], s.m.CatValues) {
		hot, cold = nd.Left, nd.Right
	}
	f := int(nd.Feature)
	iz, io := 1.0, 1.0
	for k := 1; k < len(path); k++ {
		if path[k].feature == f {
			iz, io = path[k].zero, path[k].one
			path = unwindPath(path, k)
			break
		}
	}
	cover := nd.Cover
	if cover == 0 {
		cover = 1
	}
	s.recurse(hot, path, iz*s.t.Nodes[hot].Cover/cover, io, f)
	s.recurse(cold, path, iz*s.t.Nodes[cold].Cover/cover, 0, f)
}

// extendPath adds a feature with the given fractions and updates the
// permutation weights.
func extendPath(path []pathElem, pz, po float64, pi int) []pathElem {
	l := len(path)
	w := 0.0
	if l == 0 {
		w = 1
	}
	path = append(path, pathElem{feature: pi, zero: pz, one: po, weight: w})
	for i := l - 1; i >= 0; i-- {
		path[i+1].weight += po * path[i].weight * float64(i+1) / float64(l+1)
		path[i].weight = pz * path[i].weight * float64(l-i) / float64(l+1)
	}
	return path
}

// unwindPath removes element k, undoing its extension.
func unwindPath(path []pathElem, k int) []pathElem {
	l := len(path) - 1
	o, z := path[k].one, path[k].zero
	next := path[l].weight
	for i := l - 1; i >= 0; i-- {
		if o != 0 {
			t := path[i].weight
			path[i].weight = next * float64(l+1) / (float64(i+1) * o)
			next = t - path[i].weight*z*float64(l-i)/float64(l+1)
		} else {
			path[i].weight = path[i].weight * float64(l+1) / (z * float64(l-i))
		}
	}
	for i := k; i < l; i++ {
		path[i].feature, path[i].zero, path[i].one = path[i+1].feature, path[i+1].zero, path[i+1].one
	}
	return path[:l]
}

// unwoundSum is the total permutation weight of the path with element k
// removed.
func unwoundSum(path []pathElem, k int) float64 {
	l := len(path) - 1
	o, z := path[k].one, path[k].zero
	next := path[l].weight
	var total float64
	if o != 0 {
		for i := l - 1; i >= 0; i-- {
			t := next / (float64(i+1) * o)
			total += t
			next = path[i].weight - t*z*float64(l-i)
		}
	} else {
		for i := l - 1; i >= 0; i-- {
			total += path[i].weight / (z * float64(l-i))
		}
	}
	return total * float64(l+1)
}
