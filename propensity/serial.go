package propensity

import (
	"fmt"

	"github.com/shelfwise/shelfwise/ml/gbdt"
	"github.com/shelfwise/shelfwise/ml/linear"
	"github.com/shelfwise/shelfwise/ml/mlp"
	"github.com/shelfwise/shelfwise/ml/modelio"
)

// modelVersion is the serialisation format of Model.
const modelVersion = 1

// MarshalBinary encodes the model (schema, components, blend, thresholds)
// in a checksummed modelio envelope; components keep their own envelopes.
func (m *Model) MarshalBinary() ([]byte, error) {
	var e modelio.Encoder
	e.String(string(m.Kind))
	e.String(string(m.Features))
	e.F64(m.Threshold)
	e.F64(m.AccuracyThreshold)
	sc := m.Schema
	e.Strings(sc.Numeric)
	e.Int(sc.Derived)
	for j := range sc.Numeric {
		e.Bool(sc.Log[j])
		e.F64(sc.Impute[j])
	}
	e.Strings(sc.Categorical)
	for c := range sc.Categorical {
		e.Strings(sc.Levels[c])
		for _, ok := range sc.OneHot[c] {
			e.Bool(ok)
		}
	}
	blob := func(b interface{ MarshalBinary() ([]byte, error) }, present bool) error {
		if !present {
			e.Bytes(nil)
			return nil
		}
		data, err := b.MarshalBinary()
		e.Bytes(data)
		return err
	}
	if err := blob(m.Trees, m.Trees != nil); err != nil {
		return nil, err
	}
	if err := blob(m.DenseTrees, m.DenseTrees != nil); err != nil {
		return nil, err
	}
	if err := blob(m.Net, m.Net != nil); err != nil {
		return nil, err
	}
	if err := blob(m.LogReg, m.LogReg != nil); err != nil {
		return nil, err
	}
	if err := blob(m.Stack, m.Stack != nil); err != nil {
		return nil, err
	}
	return modelio.Seal("propensity", modelVersion, e.Buf), nil
}

// UnmarshalBinary decodes a model written by MarshalBinary. A truncated or
// altered file gives an error wrapping modelio.ErrCorrupt.
func (m *Model) UnmarshalBinary(data []byte) error {
	_, payload, err := modelio.Open(data, "propensity", modelVersion)
	if err != nil {
		return err
	}
	d := modelio.NewDecoder(payload)
	out := Model{Kind: ModelKind(d.String()), Features: FeatureSet(d.String()), Threshold: d.F64(), AccuracyThreshold: d.F64()}
	sc := &Schema{Numeric: d.Strings(), Derived: d.Int()}
	sc.Log = make([]bool, len(sc.Numeric))
	sc.Impute = make([]float64, len(sc.Numeric))
	for j := range sc.Numeric {
		sc.Log[j], sc.Impute[j] = d.Bool(), d.F64()
	}
	sc.Categorical = d.Strings()
	for range sc.Categorical {
		levels := d.Strings()
		oh := make([]bool, len(levels))
		for k := range oh {
			oh[k] = d.Bool()
		}
		sc.Levels, sc.OneHot = append(sc.Levels, levels), append(sc.OneHot, oh)
	}
	for _, dst := range []**gbdt.Model{&out.Trees, &out.DenseTrees} {
		if b := d.Bytes(); len(b) > 0 {
			*dst = new(gbdt.Model)
			if err := (*dst).UnmarshalBinary(b); err != nil {
				return fmt.Errorf("propensity model: boosted trees: %w", err)
			}
		}
	}
	if b := d.Bytes(); len(b) > 0 {
		out.Net = new(mlp.Net)
		if err := out.Net.UnmarshalBinary(b); err != nil {
			return fmt.Errorf("propensity model: network: %w", err)
		}
	}
	for _, dst := range []**linear.Logistic{&out.LogReg, &out.Stack} {
		if b := d.Bytes(); len(b) > 0 {
			*dst = new(linear.Logistic)
			if err := (*dst).UnmarshalBinary(b); err != nil {
				return fmt.Errorf("propensity model: logistic part: %w", err)
			}
		}
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if sc.Derived < 0 || sc.Derived > len(sc.Numeric) {
		return fmt.Errorf("%w: %d derived features of %d", modelio.ErrCorrupt, sc.Derived, len(sc.Numeric))
	}
	for _, name := range sc.Numeric[len(sc.Numeric)-sc.Derived:] {
		if !knownDerivation(name) {
			return fmt.Errorf("%w: unknown derived feature %q", modelio.ErrCorrupt, name)
		}
	}
	sc.layout()
	out.Schema = sc
	if err := out.check(); err != nil {
		return fmt.Errorf("%w: %v", modelio.ErrCorrupt, err)
	}
	*m = out
	return nil
}

// check verifies that the components match the schema and the kind.
func (m *Model) check() error {
	sc := m.Schema
	n := 0
	if m.Trees != nil {
		if m.Trees.NumFeatures != sc.RawCols() {
			return fmt.Errorf("boosted trees take %d features, schema has %d", m.Trees.NumFeatures, sc.RawCols())
		}
		n++
	}
	if m.DenseTrees != nil {
		if m.DenseTrees.NumFeatures != sc.DenseCols() {
			return fmt.Errorf("dense boosted trees take %d features, schema has %d", m.DenseTrees.NumFeatures, sc.DenseCols())
		}
		n++
	}
	if m.Net != nil {
		if m.Net.NumInputs() != sc.DenseCols() {
			return fmt.Errorf("network takes %d inputs, schema has %d", m.Net.NumInputs(), sc.DenseCols())
		}
		n++
	}
	if m.LogReg != nil {
		if len(m.LogReg.Coef) != sc.DenseCols() {
			return fmt.Errorf("logistic regression takes %d inputs, schema has %d", len(m.LogReg.Coef), sc.DenseCols())
		}
		n++
	}
	if n == 0 || (m.Stack == nil && n != 1) || (m.Stack != nil && len(m.Stack.Coef) != n) {
		return fmt.Errorf("%d components do not match the blend", n)
	}
	return nil
}

func knownDerivation(name string) bool {
	for _, d := range derivations {
		if d.name == name {
			return true
		}
	}
	return false
}
