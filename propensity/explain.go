package propensity

import (
	"context"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/ml/explain"
	"github.com/shelfwise/shelfwise/ml/metrics"
)

// igSteps is the number of integrated-gradient steps for the network.
const igSteps = 32

// Reason is one feature's share in a score, in log-odds: positive raises
// the purchase probability, negative lowers it.
type Reason struct {
	Feature   string  `json:"feature"`
	Value     string  `json:"value"`
	Effect    float64 `json:"effect"`
	Direction string  `json:"direction"` // "raises" or "lowers"
}

// Explanation is a scored session with the reasons behind its score.
type Explanation struct {
	Probability float64 `json:"probability"`
	// Purchase applies the model's F1-optimal threshold.
	Purchase  bool    `json:"purchase"`
	Threshold float64 `json:"threshold"`
	// Baseline is the probability of a typical session, from which the
	// reasons' effects add up (in log-odds) to Probability.
	Baseline float64  `json:"baseline"`
	Reasons  []Reason `json:"reasons"`
}

// Contributions returns each raw feature's additive share of the session's
// log-odds and the baseline log-odds they start from: TreeSHAP for boosted
// trees, integrated gradients from the training mean for the network,
// exact terms for logistic regression, combined with the ensemble's
// weights. They sum to the logit of Score(s) (up to the integrated
// gradients' discretisation error).
func (m *Model) Contributions(s shelfwise.Session) (contrib []float64, base float64) {
	sc := m.Schema
	raw := make([]float64, sc.RawCols())
	dense := make([]float64, sc.DenseCols())
	sc.Raw(s, raw)
	sc.Dense(raw, dense)
	group := sc.denseGroup()
	var parts [][]float64
	var bases []float64
	if m.Trees != nil {
		phi := m.Trees.Contributions(raw)
		parts, bases = append(parts, phi[:len(phi)-1]), append(bases, phi[len(phi)-1])
	}
	if m.DenseTrees != nil {
		phi := m.DenseTrees.Contributions(dense)
		parts = append(parts, groupSum(phi[:len(phi)-1], group, sc.RawCols()))
		bases = append(bases, phi[len(phi)-1])
	}
	if m.Net != nil {
		baseline := m.Net.Mean
		ig := explain.IntegratedGradients(m.Net.RawGradient, dense, baseline, igSteps)
		parts = append(parts, groupSum(ig, group, sc.RawCols()))
		bases = append(bases, m.Net.PredictRaw(baseline))
	}
	if m.LogReg != nil {
		parts = append(parts, groupSum(m.LogReg.Contributions(dense), group, sc.RawCols()))
		bases = append(bases, m.LogReg.Intercept)
	}
	contrib = make([]float64, sc.RawCols())
	if m.Stack == nil {
		copy(contrib, parts[0])
		return contrib, bases[0]
	}
	base = m.Stack.Intercept
	for k, p := range parts {
		w := m.Stack.Coef[k] / m.Stack.Std[k]
		base += w * (bases[k] - m.Stack.Mean[k])
		for j, v := range p {
			contrib[j] += w * v
		}
	}
	return contrib, base
}

// groupSum adds dense-column values into their raw features.
func groupSum(v []float64, group []int, n int) []float64 {
	out := make([]float64, n)
	for j, x := range v {
		out[group[j]] += x
	}
	return out
}

// Explain scores s and returns its top reasons by absolute effect.
func (m *Model) Explain(s shelfwise.Session, top int) Explanation {
	p := m.Score(s)
	contrib, base := m.Contributions(s)
	raw := make([]float64, m.Schema.RawCols())
	m.Schema.Raw(s, raw)
	names := m.Schema.FeatureNames()
	idx := make([]int, len(contrib))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return math.Abs(contrib[idx[a]]) > math.Abs(contrib[idx[b]]) })
	if top <= 0 || top > len(idx) {
		top = len(idx)
	}
	ex := Explanation{Probability: p, Purchase: m.Decide(p), Threshold: m.Threshold, Baseline: sigmoid(base)}
	for _, j := range idx[:top] {
		dir := "raises"
		if contrib[j] < 0 {
			dir = "lowers"
		}
		ex.Reasons = append(ex.Reasons, Reason{Feature: names[j], Value: m.Schema.rawValue(raw, j), Effect: contrib[j], Direction: dir})
	}
	return ex
}

// FeatureImportance is a feature's permutation importance: the mean drop
// of ROC-AUC when its column is shuffled, and its standard deviation.
type FeatureImportance struct {
	Feature string  `json:"feature"`
	AUCDrop float64 `json:"auc_drop"`
	Std     float64 `json:"std"`
}

// Importance computes permutation importance on sessions (ideally ones the
// model was not trained on), sorted by decreasing AUC drop.
func (m *Model) Importance(ctx context.Context, ss []shelfwise.Session, repeats int, seed uint64) ([]FeatureImportance, error) {
	sc := m.Schema
	X := make([][]float64, len(ss))
	y := make([]bool, len(ss))
	for i, s := range ss {
		X[i] = make([]float64, sc.RawCols())
		sc.Raw(s, X[i])
		y[i] = s.Purchased
	}
	predict := func(X [][]float64) []float64 {
		p := make([]float64, len(X))
		_ = parallelRange(ctx, len(X), 0, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				p[i] = m.ScoreRaw(X[i])
			}
		})
		return p
	}
	auc := func(p []float64) float64 { return metrics.ROCAUC(p, y) }
	imp, err := explain.Permutation(ctx, X, predict, auc, nil, repeats, rand.New(rand.NewPCG(seed, 11)))
	if err != nil {
		return nil, err
	}
	names := sc.FeatureNames()
	out := make([]FeatureImportance, len(imp))
	for i, v := range imp {
		out[i] = FeatureImportance{Feature: names[v.Feature], AUCDrop: v.Mean, Std: v.Std}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].AUCDrop > out[b].AUCDrop })
	return out, nil
}
