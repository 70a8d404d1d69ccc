package gbdt

import (
	"context"
	"fmt"

	"github.com/shelfwise/shelfwise/ml/modelio"
)

// Model is a trained boosted ensemble. It is safe for concurrent use.
type Model struct {
	Objective   Objective
	NumFeatures int
	// BaseScore is the raw prediction before any tree.
	BaseScore float64
	// BestIteration is the number of trees kept (after early stopping).
	BestIteration int
	// ValidLoss is the validation loss at BestIteration when early
	// stopping ran, else 0.
	ValidLoss float64
	// Rounds is the number of boosting rounds run, before truncation to
	// BestIteration (not serialised).
	Rounds int
	// Params are the training parameters with defaults filled in.
	Params Params
	// CatValues and IsCat describe categorical features as in Binned.
	CatValues [][]float32
	IsCat     []bool
	Trees     []tree
}

// NumTrees returns the number of trees.
func (m *Model) NumTrees() int { return len(m.Trees) }

// PredictRaw returns the raw score (log-odds, log mean, or the value
// itself) for a row of NumFeatures values; NaN means missing.
func (m *Model) PredictRaw(row []float64) float64 {
	s := m.BaseScore
	for i := range m.Trees {
		t := &m.Trees[i]
		s += t.Nodes[t.leafOf(row, m.CatValues)].Value
	}
	return s
}

// Predict returns the prediction on the response scale: a probability for
// Logistic, the mean for SquaredError and Tweedie, the quantile for
// Quantile.
func (m *Model) Predict(row []float64) float64 {
	return transform(m.Objective, m.PredictRaw(row))
}

// PredictBatch writes Predict of every row of X to out (len X.Rows), in
// parallel.
func (m *Model) PredictBatch(ctx context.Context, X *Matrix, out []float64) error {
	if X.Cols != m.NumFeatures {
		return fmt.Errorf("gbdt: matrix has %d columns, model %d", X.Cols, m.NumFeatures)
	}
	if len(out) != X.Rows {
		return fmt.Errorf("gbdt: output has %d slots for %d rows", len(out), X.Rows)
	}
	const chunk = 1024
	nChunks := (X.Rows + chunk - 1) / chunk
	return parallelFor(ctx, nChunks, m.Params.Workers, func(c int) {
		row := make([]float64, X.Cols)
		for i := c * chunk; i < min(X.Rows, (c+1)*chunk); i++ {
			out[i] = m.Predict(X.Row(i, row))
		}
	})
}

// ImportanceKind selects a feature importance measure.
type ImportanceKind int

// Importance measures.
const (
	// ImportanceGain sums the loss reduction of the splits on a feature.
	ImportanceGain ImportanceKind = iota
	// ImportanceSplits counts the splits on a feature.
	ImportanceSplits
)

// FeatureImportance returns one value per feature, normalised to sum to 1
// (all zeros if no tree splits).
func (m *Model) FeatureImportance(kind ImportanceKind) []float64 {
	imp := make([]float64, m.NumFeatures)
	var tot float64
	for _, t := range m.Trees {
		for _, nd := range t.Nodes {
			if nd.Left < 0 {
				continue
			}
			v := nd.Gain
			if kind == ImportanceSplits {
				v = 1
			}
			imp[nd.Feature] += v
			tot += v
		}
	}
	if tot > 0 {
		for i := range imp {
			imp[i] /= tot
		}
	}
	return imp
}

// formatVersion is the current serialisation format of Model.
const formatVersion = 1

// MarshalBinary encodes the model in a checksummed modelio envelope.
func (m *Model) MarshalBinary() ([]byte, error) {
	var e modelio.Encoder
	e.String(string(m.Objective))
	e.Int(m.NumFeatures)
	e.F64(m.BaseScore)
	e.Int(m.BestIteration)
	e.F64(m.ValidLoss)
	e.F64(m.Params.TweedieVariancePower)
	e.F64(m.Params.Alpha)
	e.F64(m.Params.LearningRate)
	for j := 0; j < m.NumFeatures; j++ {
		e.Bool(m.IsCat[j])
		e.F32s(m.CatValues[j])
	}
	e.Int(len(m.Trees))
	for _, t := range m.Trees {
		e.Int(len(t.Nodes))
		for _, nd := range t.Nodes {
			e.U32(uint32(nd.Left))
			e.U32(uint32(nd.Right))
			e.U32(uint32(nd.Feature))
			e.F32(nd.Threshold)
			e.U8(nd.Bin)
			e.Bool(nd.DefaultLeft)
			e.U32(uint32(nd.Cat))
			e.F64(nd.Value)
			e.F64(nd.Cover)
			e.F64(nd.Gain)
		}
		e.Int(len(t.Cats))
		for _, c := range t.Cats {
			for _, w := range c {
				e.U64(w)
			}
		}
	}
	return modelio.Seal("gbdt", formatVersion, e.Buf), nil
}

// UnmarshalBinary decodes a model written by MarshalBinary. A truncated,
// altered or foreign file is an error wrapping modelio.ErrCorrupt.
func (m *Model) UnmarshalBinary(data []byte) error {
	_, payload, err := modelio.Open(data, "gbdt", formatVersion)
	if err != nil {
		return err
	}
	d := modelio.NewDecoder(payload)
	var out Model
	out.Objective = Objective(d.String())
	out.NumFeatures = d.Len(1)
	out.BaseScore = d.F64()
	out.BestIteration = d.Int()
	out.ValidLoss = d.F64()
	out.Params.Objective = out.Objective
	out.Params.TweedieVariancePower = d.F64()
	out.Params.Alpha = d.F64()
	out.Params.LearningRate = d.F64()
	out.IsCat = make([]bool, out.NumFeatures)
	out.CatValues = make([][]float32, out.NumFeatures)
	for j := 0; j < out.NumFeatures && d.Err() == nil; j++ {
		out.IsCat[j] = d.Bool()
		out.CatValues[j] = d.F32s()
	}
	nt := d.Len(8)
	out.Trees = make([]tree, nt)
	for ti := range out.Trees {
		nn := d.Len(46) // bytes per encoded node
		t := tree{Nodes: make([]node, nn)}
		for i := range t.Nodes {
			nd := &t.Nodes[i]
			nd.Left = int32(d.U32())
			nd.Right = int32(d.U32())
			nd.Feature = int32(d.U32())
			nd.Threshold = d.F32()
			nd.Bin = d.U8()
			nd.DefaultLeft = d.Bool()
			nd.Cat = int32(d.U32())
			nd.Value = d.F64()
			nd.Cover = d.F64()
			nd.Gain = d.F64()
		}
		t.Cats = make([][4]uint64, d.Len(32))
		for i := range t.Cats {
			for k := range t.Cats[i] {
				t.Cats[i][k] = d.U64()
			}
		}
		out.Trees[ti] = t
		if d.Err() != nil {
			break
		}
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if err := out.validate(); err != nil {
		return fmt.Errorf("%w: %v", modelio.ErrCorrupt, err)
	}
	*m = out
	return nil
}

// validate checks the tree structure so a decoded model cannot loop or
// index out of range.
func (m *Model) validate() error {
	switch m.Objective {
	case Logistic, SquaredError, Tweedie, Quantile, LambdaRank:
	default:
		return fmt.Errorf("unknown objective %q", m.Objective)
	}
	if len(m.IsCat) != m.NumFeatures || len(m.CatValues) != m.NumFeatures {
		return fmt.Errorf("feature descriptions do not match %d features", m.NumFeatures)
	}
	for j, cv := range m.CatValues {
		if len(cv) > 254 {
			return fmt.Errorf("feature %d has %d categories, at most 254", j, len(cv))
		}
	}
	for ti, t := range m.Trees {
		n := int32(len(t.Nodes))
		if n == 0 {
			return fmt.Errorf("tree %d has no nodes", ti)
		}
		for i, nd := range t.Nodes {
			if nd.Left < 0 {
				continue
			}
			// Children always come after their parent, so routing ends.
			if nd.Left <= int32(i) || nd.Right <= int32(i) || nd.Left >= n || nd.Right >= n ||
				nd.Feature < 0 || int(nd.Feature) >= m.NumFeatures ||
				nd.Cat >= int32(len(t.Cats)) || (nd.Cat >= 0 && !m.IsCat[nd.Feature]) {
				return fmt.Errorf("tree %d node %d is malformed", ti, i)
			}
		}
	}
	return nil
}
