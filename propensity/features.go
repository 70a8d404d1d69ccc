package propensity

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/shelfwise/shelfwise"
)

// FeatureSet chooses the session features a model sees.
type FeatureSet string

// Feature sets.
const (
	// NumericFeatures uses only Session.Features (the UCI layout's 10
	// numeric columns): the seed's setting.
	NumericFeatures FeatureSet = "numeric"
	// AllFeatures adds Session.Categorical (month, browser, region...),
	// treated as categories, never as quantities.
	AllFeatures FeatureSet = "all"
)

// derivation is a feature computed from others of the UCI Online Shoppers
// layout: totals, time per page, page value kept past exit. Trees cannot
// form ratios and sums from single-feature splits, so these help them.
type derivation struct {
	name   string
	inputs []string
	f      func(v []float64) float64
}

var derivations = []derivation{
	{"pages_total", []string{"Administrative", "Informational", "ProductRelated"},
		func(v []float64) float64 { return v[0] + v[1] + v[2] }},
	{"duration_total", []string{"Administrative_Duration", "Informational_Duration", "ProductRelated_Duration"},
		func(v []float64) float64 { return v[0] + v[1] + v[2] }},
	{"product_seconds_per_page", []string{"ProductRelated_Duration", "ProductRelated"},
		func(v []float64) float64 { return v[0] / (v[1] + 1) }},
	{"seconds_per_page", []string{"Administrative_Duration", "Informational_Duration", "ProductRelated_Duration",
		"Administrative", "Informational", "ProductRelated"},
		func(v []float64) float64 { return (v[0] + v[1] + v[2]) / (v[3] + v[4] + v[5] + 1) }},
	{"page_value_kept", []string{"PageValues", "ExitRates"},
		func(v []float64) float64 { return v[0] * (1 - v[1]) }},
	{"exit_minus_bounce", []string{"ExitRates", "BounceRates"},
		func(v []float64) float64 { return v[0] - v[1] }},
	{"page_value_per_product_page", []string{"PageValues", "ProductRelated"},
		func(v []float64) float64 { return v[0] / (v[1] + 1) }},
}

// minLevelCount is the fewest training sessions a category level needs to
// get its own one-hot column; rarer levels share the "other" column.
const minLevelCount = 10

// Schema maps sessions to feature rows. It is learned from the training
// sessions only.
type Schema struct {
	// Numeric are the numeric feature names: the sessions' own, sorted,
	// then (AllFeatures only) the derived ones whose inputs exist.
	Numeric []string
	// Derived is the number of derived features at the end of Numeric.
	Derived int
	// Log marks numeric features transformed by log1p in the dense
	// encoding (those never negative in training: counts, durations).
	Log []bool
	// Impute is the training mean of each numeric feature (after the log
	// transform), used in the dense encoding when a value is missing.
	Impute []float64
	// Categorical are the categorical feature names, sorted.
	Categorical []string
	// Levels[c] are the levels of categorical feature c seen in training,
	// sorted; the raw code of a level is its index.
	Levels [][]string
	// OneHot[c] marks the levels frequent enough for a one-hot column.
	OneHot [][]bool

	denseCols int
	offsets   []int            // first dense column of each categorical feature
	index     []map[string]int // level -> code
}

// NewSchema learns a schema from training sessions.
func NewSchema(sessions []shelfwise.Session, fs FeatureSet) (*Schema, error) {
	if fs != NumericFeatures && fs != AllFeatures {
		return nil, fmt.Errorf("propensity: unknown feature set %q (want numeric or all)", fs)
	}
	if len(sessions) == 0 {
		return nil, fmt.Errorf("propensity: no sessions")
	}
	num := map[string]bool{}
	cat := map[string]map[string]int{}
	for _, s := range sessions {
		for k := range s.Features {
			num[k] = true
		}
		if fs == AllFeatures {
			for k, v := range s.Categorical {
				if cat[k] == nil {
					cat[k] = map[string]int{}
				}
				cat[k][v]++
			}
		}
	}
	sc := &Schema{Numeric: sortedKeys(num)}
	if len(sc.Numeric)+len(cat) == 0 {
		return nil, fmt.Errorf("propensity: sessions carry no features")
	}
	if fs == AllFeatures {
		for _, d := range derivations {
			ok := true
			for _, in := range d.inputs {
				ok = ok && num[in]
			}
			if ok {
				sc.Numeric = append(sc.Numeric, d.name)
				sc.Derived++
			}
		}
	}
	sc.layout()
	w := sc.RawCols()
	raw := make([]float64, len(sessions)*w)
	for i, s := range sessions {
		sc.Raw(s, raw[i*w:(i+1)*w])
	}
	sc.Log = make([]bool, len(sc.Numeric))
	sc.Impute = make([]float64, len(sc.Numeric))
	for j := range sc.Numeric {
		sc.Log[j] = true
		for i := range sessions {
			if raw[i*w+j] < 0 {
				sc.Log[j] = false
				break
			}
		}
		var sum float64
		var n int
		for i := range sessions {
			if v := raw[i*w+j]; !math.IsNaN(v) {
				sum += sc.transform(j, v)
				n++
			}
		}
		if n > 0 {
			sc.Impute[j] = sum / float64(n)
		}
	}
	for _, name := range sortedKeys(cat) {
		counts := cat[name]
		levels := make([]string, 0, len(counts))
		for v := range counts {
			levels = append(levels, v)
		}
		sortLevels(levels)
		oh := make([]bool, len(levels))
		for i, v := range levels {
			oh[i] = counts[v] >= minLevelCount
		}
		sc.Categorical = append(sc.Categorical, name)
		sc.Levels = append(sc.Levels, levels)
		sc.OneHot = append(sc.OneHot, oh)
	}
	sc.layout()
	return sc, nil
}

// layout computes the level index and the dense column offsets.
func (sc *Schema) layout() {
	sc.index = make([]map[string]int, len(sc.Levels))
	for c, levels := range sc.Levels {
		sc.index[c] = make(map[string]int, len(levels))
		for k, v := range levels {
			sc.index[c][v] = k
		}
	}
	sc.denseCols = len(sc.Numeric)
	sc.offsets = make([]int, len(sc.Categorical))
	for c := range sc.Categorical {
		sc.offsets[c] = sc.denseCols
		for _, ok := range sc.OneHot[c] {
			if ok {
				sc.denseCols++
			}
		}
		sc.denseCols++ // "other": rare or unseen levels
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// sortLevels orders levels numerically when they all are numbers ("2" <
// "10"), else as strings.
func sortLevels(levels []string) {
	allNum := true
	for _, v := range levels {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			allNum = false
			break
		}
	}
	sort.Slice(levels, func(a, b int) bool {
		if allNum {
			x, _ := strconv.ParseFloat(levels[a], 64)
			y, _ := strconv.ParseFloat(levels[b], 64)
			return x < y
		}
		return levels[a] < levels[b]
	})
}

// RawCols is the width of a raw row: numeric values, then category codes.
func (sc *Schema) RawCols() int { return len(sc.Numeric) + len(sc.Categorical) }

// DenseCols is the width of a dense row.
func (sc *Schema) DenseCols() int { return sc.denseCols }

// FeatureNames names the raw columns.
func (sc *Schema) FeatureNames() []string {
	return append(append([]string(nil), sc.Numeric...), sc.Categorical...)
}

// Raw writes a session's raw row into dst: numeric values as they are
// (NaN when absent) and category codes (index of the level, NaN when the
// level is absent or was not seen in training).
func (sc *Schema) Raw(s shelfwise.Session, dst []float64) {
	own := len(sc.Numeric) - sc.Derived
	for j, name := range sc.Numeric[:own] {
		v, ok := s.Features[name]
		if !ok {
			v = math.NaN()
		}
		dst[j] = v
	}
	var in [8]float64
	for j, name := range sc.Numeric[own:] {
		d := derivationByName(name)
		for k, n := range d.inputs {
			v, ok := s.Features[n]
			if !ok {
				v = math.NaN()
			}
			in[k] = v
		}
		dst[own+j] = d.f(in[:len(d.inputs)])
	}
	for c, name := range sc.Categorical {
		dst[len(sc.Numeric)+c] = sc.code(c, s.Categorical[name])
	}
}

func derivationByName(name string) *derivation {
	for i := range derivations {
		if derivations[i].name == name {
			return &derivations[i]
		}
	}
	panic("propensity: unknown derived feature " + name)
}

func (sc *Schema) code(c int, v string) float64 {
	if k, ok := sc.index[c][v]; ok {
		return float64(k)
	}
	return math.NaN()
}

func (sc *Schema) transform(j int, v float64) float64 {
	if sc.Log[j] {
		return math.Log1p(v)
	}
	return v
}

// Dense maps a raw row to the dense encoding of MLP and logistic
// regression: transformed numeric values (missing -> training mean) and
// one-hot category columns.
func (sc *Schema) Dense(raw, dst []float64) {
	nn := len(sc.Numeric)
	for j := range nn {
		v := raw[j]
		if math.IsNaN(v) {
			dst[j] = sc.Impute[j]
		} else {
			dst[j] = sc.transform(j, v)
		}
	}
	clear(dst[nn:sc.denseCols])
	for c := range sc.Categorical {
		dst[sc.denseColumn(c, raw[nn+c])] = 1
	}
}

// denseColumn is the one-hot column of category code v of feature c.
func (sc *Schema) denseColumn(c int, v float64) int {
	off := sc.offsets[c]
	oh := sc.OneHot[c]
	if !math.IsNaN(v) {
		k := int(v)
		if k >= 0 && k < len(oh) && oh[k] {
			col := off
			for i := 0; i < k; i++ {
				if oh[i] {
					col++
				}
			}
			return col
		}
	}
	other := off
	for _, ok := range oh {
		if ok {
			other++
		}
	}
	return other
}

// denseGroup returns the raw column each dense column comes from.
func (sc *Schema) denseGroup() []int {
	g := make([]int, sc.denseCols)
	for j := range sc.Numeric {
		g[j] = j
	}
	for c := range sc.Categorical {
		end := sc.denseCols
		if c+1 < len(sc.Categorical) {
			end = sc.offsets[c+1]
		}
		for k := sc.offsets[c]; k < end; k++ {
			g[k] = len(sc.Numeric) + c
		}
	}
	return g
}

// rawValue renders raw column j of row for people.
func (sc *Schema) rawValue(raw []float64, j int) string {
	if j < len(sc.Numeric) {
		if math.IsNaN(raw[j]) {
			return "missing"
		}
		return strconv.FormatFloat(raw[j], 'g', 4, 64)
	}
	c := j - len(sc.Numeric)
	v := raw[j]
	if math.IsNaN(v) || int(v) >= len(sc.Levels[c]) {
		return "unseen"
	}
	return sc.Levels[c][int(v)]
}
