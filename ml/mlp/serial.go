package mlp

import (
	"fmt"

	"github.com/shelfwise/shelfwise/ml/modelio"
)

// Kinds and versions of the serialised forms.
const (
	kindNet       = "mlp"
	kindQuantized = "mlp-int8"
	netVersion    = 1
)

// MarshalBinary encodes the network with float64 weights (exact).
func (n *Net) MarshalBinary() ([]byte, error) { return n.marshal(64), nil }

// MarshalFloat32 encodes the network with float32 weights: the usual
// deployment size, and the reference for Quantized's compression ratio.
func (n *Net) MarshalFloat32() []byte { return n.marshal(32) }

func (n *Net) marshal(bits uint8) []byte {
	var e modelio.Encoder
	e.U8(bits)
	e.U8(uint8(n.Loss))
	e.F64(n.TweediePower)
	e.F64(n.Alpha)
	floats := func(v []float64) {
		if bits == 64 {
			e.F64s(v)
			return
		}
		e.Int(len(v))
		for _, x := range v {
			e.F32(float32(x))
		}
	}
	floats(n.Mean)
	floats(n.Std)
	e.Int(len(n.Layers))
	for _, l := range n.Layers {
		e.Int(l.In)
		e.Int(l.Out)
		e.U8(uint8(l.Act))
		floats(l.W)
		floats(l.B)
	}
	return modelio.Seal(kindNet, netVersion, e.Buf)
}

// UnmarshalBinary decodes MarshalBinary or MarshalFloat32 output. A
// truncated or altered file is an error wrapping modelio.ErrCorrupt.
func (n *Net) UnmarshalBinary(data []byte) error {
	_, payload, err := modelio.Open(data, kindNet, netVersion)
	if err != nil {
		return err
	}
	d := modelio.NewDecoder(payload)
	bits := d.U8()
	floats := func() []float64 {
		if bits == 64 {
			return d.F64s()
		}
		v32 := d.F32s()
		v := make([]float64, len(v32))
		for i, x := range v32 {
			v[i] = float64(x)
		}
		return v
	}
	out := &Net{Loss: Loss(d.U8()), TweediePower: d.F64(), Alpha: d.F64()}
	out.Mean, out.Std = floats(), floats()
	nl := d.Len(17)
	for i := 0; i < nl && d.Err() == nil; i++ {
		l := Layer{In: d.Int(), Out: d.Int(), Act: Activation(d.U8())}
		l.W, l.B = floats(), floats()
		out.Layers = append(out.Layers, l)
	}
	if err := d.Finish(); err != nil {
		return err
	}
	if bits != 32 && bits != 64 {
		return fmt.Errorf("%w: weight width %d", modelio.ErrCorrupt, bits)
	}
	if err := out.validate(); err != nil {
		return fmt.Errorf("%w: %v", modelio.ErrCorrupt, err)
	}
	n.Layers, n.Loss, n.Mean, n.Std, n.TweediePower, n.Alpha = out.Layers, out.Loss, out.Mean, out.Std, out.TweediePower, out.Alpha
	return nil
}

// validate checks that layer shapes chain and end in one output.
func (n *Net) validate() error {
	if len(n.Layers) == 0 {
		return fmt.Errorf("no layers")
	}
	if n.Loss > Pinball {
		return fmt.Errorf("unknown loss %d", n.Loss)
	}
	in := n.Layers[0].In
	if len(n.Mean) != in || len(n.Std) != in {
		return fmt.Errorf("standardisation has %d/%d values for %d inputs", len(n.Mean), len(n.Std), in)
	}
	for i, l := range n.Layers {
		if l.In != in || l.In <= 0 || l.Out <= 0 || len(l.W) != l.In*l.Out || len(l.B) != l.Out || l.Act > Sigmoid {
			return fmt.Errorf("layer %d malformed", i)
		}
		in = l.Out
	}
	if in != 1 {
		return fmt.Errorf("network has %d outputs, want 1", in)
	}
	return nil
}
