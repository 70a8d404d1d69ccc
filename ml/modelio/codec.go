package modelio

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encoder appends little-endian values to a byte slice.
type Encoder struct {
	Buf []byte
}

// U8 appends a byte.
func (e *Encoder) U8(v uint8) { e.Buf = append(e.Buf, v) }

// U32 appends a uint32.
func (e *Encoder) U32(v uint32) { e.Buf = binary.LittleEndian.AppendUint32(e.Buf, v) }

// U64 appends a uint64.
func (e *Encoder) U64(v uint64) { e.Buf = binary.LittleEndian.AppendUint64(e.Buf, v) }

// Int appends an int as int64.
func (e *Encoder) Int(v int) { e.U64(uint64(int64(v))) }

// F32 appends a float32.
func (e *Encoder) F32(v float32) { e.U32(math.Float32bits(v)) }

// F64 appends a float64.
func (e *Encoder) F64(v float64) { e.U64(math.Float64bits(v)) }

// Bool appends a bool as one byte.
func (e *Encoder) Bool(v bool) {
	if v {
		e.U8(1)
	} else {
		e.U8(0)
	}
}

// String appends a length-prefixed string.
func (e *Encoder) String(s string) {
	e.Int(len(s))
	e.Buf = append(e.Buf, s...)
}

// Bytes appends a length-prefixed byte slice.
func (e *Encoder) Bytes(b []byte) {
	e.Int(len(b))
	e.Buf = append(e.Buf, b...)
}

// F64s appends a length-prefixed []float64.
func (e *Encoder) F64s(v []float64) {
	e.Int(len(v))
	for _, x := range v {
		e.F64(x)
	}
}

// F32s appends a length-prefixed []float32.
func (e *Encoder) F32s(v []float32) {
	e.Int(len(v))
	for _, x := range v {
		e.F32(x)
	}
}

// Strings appends a length-prefixed []string.
func (e *Encoder) Strings(v []string) {
	e.Int(len(v))
	for _, s := range v {
		e.String(s)
	}
}

// Decoder reads what an Encoder wrote. The first error sticks: later reads
// return zero values, and Err reports it.
type Decoder struct {
	buf []byte
	off int
	err error
}

// NewDecoder reads from b.
func NewDecoder(b []byte) *Decoder { return &Decoder{buf: b} }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Finish returns the first error, or an error if bytes are left over.
func (d *Decoder) Finish() error {
	if d.err == nil && d.off != len(d.buf) {
		d.err = fmt.Errorf("%w: %d unexpected trailing bytes", ErrCorrupt, len(d.buf)-d.off)
	}
	return d.err
}

// Fail records err (if none is recorded yet), for decoders that validate.
func (d *Decoder) Fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)
	}
}

func (d *Decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || d.off+n > len(d.buf) {
		d.Fail("payload ends early at byte %d", d.off)
		return nil
	}
	b := d.buf[d.off : d.off+n]
	d.off += n
	return b
}

// U8 reads a byte.
func (d *Decoder) U8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

// U32 reads a uint32.
func (d *Decoder) U32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// U64 reads a uint64.
func (d *Decoder) U64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// Int reads an int written by Encoder.Int.
func (d *Decoder) Int() int { return int(int64(d.U64())) }

// Len reads a length and checks it is plausible: non-negative and at most
// the remaining bytes divided by elemSize.
func (d *Decoder) Len(elemSize int) int {
	n := d.Int()
	if d.err != nil {
		return 0
	}
	if n < 0 || (elemSize > 0 && n > (len(d.buf)-d.off)/elemSize) {
		d.Fail("implausible length %d at byte %d", n, d.off)
		return 0
	}
	return n
}

// F32 reads a float32.
func (d *Decoder) F32() float32 { return math.Float32frombits(d.U32()) }

// F64 reads a float64.
func (d *Decoder) F64() float64 { return math.Float64frombits(d.U64()) }

// Bool reads a bool.
func (d *Decoder) Bool() bool { return d.U8() != 0 }

// String reads a length-prefixed string.
func (d *Decoder) String() string { return string(d.take(d.Len(1))) }

// Bytes reads a length-prefixed byte slice (a copy).
func (d *Decoder) Bytes() []byte { return append([]byte(nil), d.take(d.Len(1))...) }

// F64s reads a length-prefixed []float64.
func (d *Decoder) F64s() []float64 {
	n := d.Len(8)
	v := make([]float64, n)
	for i := range v {
		v[i] = d.F64()
	}
	return v
}

// F32s reads a length-prefixed []float32.
func (d *Decoder) F32s() []float32 {
	n := d.Len(4)
	v := make([]float32, n)
	for i := range v {
		v[i] = d.F32()
	}
	return v
}

// Strings reads a length-prefixed []string.
func (d *Decoder) Strings() []string {
	n := d.Len(8)
	v := make([]string, n)
	for i := range v {
		v[i] = d.String()
	}
	return v
}
