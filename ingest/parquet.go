package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/shelfwise/shelfwise"
)

// isParquet reports whether path starts with the Parquet magic "PAR1".
func isParquet(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [4]byte
	_, err = io.ReadFull(f, magic[:])
	return err == nil && string(magic[:]) == "PAR1"
}

// openTable opens a delimited file or, by its magic bytes, a Parquet file.
func openTable(path string, o csvOptions) (*csvFile, error) {
	if isParquet(path) {
		return openParquet(path, o)
	}
	return openCSV(path, o)
}

// pqColumn says how to render one flat Parquet column as text, so Parquet
// rows flow through the same parsing as CSV rows.
type pqColumn struct {
	name     string
	kind     parquet.Kind
	timeUnit time.Duration // >0 for TIMESTAMP columns
	dateCol  bool          // DATE columns (days since epoch)
	decimal  bool
	scale    int
}

// openParquet opens a flat (non-nested) Parquet file. Values are rendered
// as text: integers and doubles in their shortest exact form, timestamps as
// "2006-01-02 15:04:05" (UTC), DATE as "2006-01-02", DECIMAL with its scale
// applied (reading a DECIMAL as a float would otherwise silently give 0),
// nulls as "".
func openParquet(path string, o csvOptions) (*csvFile, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, &shelfwise.InputError{File: path, Err: errors.New("cannot open")}
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	pf, err := parquet.OpenFile(fh, st.Size())
	if err != nil {
		fh.Close()
		return nil, &shelfwise.InputError{File: path, Err: fmt.Errorf("not a readable Parquet file: %v", err)}
	}
	var cols []pqColumn
	var hdr []string
	for _, fld := range pf.Schema().Fields() {
		if !fld.Leaf() {
			fh.Close()
			return nil, &shelfwise.InputError{File: path, Field: fld.Name(), Err: errors.New("nested Parquet columns are not supported")}
		}
		c := pqColumn{name: fld.Name(), kind: fld.Type().Kind()}
		if lt := fld.Type().LogicalType(); lt != nil {
			switch t := lt.Value.(type) {
			case *format.TimestampType:
				c.timeUnit = time.Microsecond
				if t.Unit.Value != nil {
					c.timeUnit = t.Unit.Value.Duration()
				}
			case *format.DateType:
				c.dateCol = true
			case *format.DecimalType:
				c.decimal = true
				c.scale = int(t.Scale)
			}
		}
		cols = append(cols, c)
		hdr = append(hdr, c.name)
	}
	f := &csvFile{path: path, closer: fh.Close}
	if err := f.setHeader(hdr, o.Required); err != nil {
		fh.Close()
		return nil, err
	}
	groups := pf.RowGroups()
	var (
		gi           int
		rows         parquet.Rows
		buf          = make([]parquet.Row, 256)
		nbuf         int
		pos          int
		rowNo        int64
		rec          = make([]string, len(cols))
		text         []byte
		starts, ends = make([]int, len(cols)), make([]int, len(cols))
	)
	f.next = func() ([]string, int64, error) {
		for pos >= nbuf {
			if rows == nil {
				if gi >= len(groups) {
					return nil, 0, io.EOF
				}
				rows = groups[gi].Rows()
				gi++
			}
			n, err := rows.ReadRows(buf)
			nbuf, pos = n, 0
			if err == io.EOF {
				rows.Close()
				rows = nil
				if n == 0 {
					continue
				}
			} else if err != nil {
				return nil, 0, &shelfwise.InputError{File: path, Line: int(rowNo + 2), Err: fmt.Errorf("corrupt Parquet data: %v", err)}
			}
		}
		row := buf[pos]
		pos++
		rowNo++
		// Render the whole row into one buffer and slice one string, as
		// encoding/csv does: one allocation per row, not per value.
		text = text[:0]
		for i := range ends {
			starts[i], ends[i] = 0, 0
		}
		for _, v := range row {
			ci := v.Column()
			if ci < 0 || ci >= len(cols) || v.IsNull() {
				continue
			}
			starts[ci] = len(text)
			text = cols[ci].appendText(text, v)
			ends[ci] = len(text)
		}
		line := string(text)
		for i := range rec {
			rec[i] = line[starts[i]:ends[i]]
		}
		return rec, rowNo + 1, nil
	}
	return f, nil
}

// appendText appends one non-null value as text to dst.
func (c *pqColumn) appendText(dst []byte, v parquet.Value) []byte {
	switch {
	case c.timeUnit > 0:
		return appendISODateTime(dst, time.Unix(0, v.Int64()*int64(c.timeUnit)).UTC())
	case c.dateCol:
		return time.Unix(int64(v.Int32())*86400, 0).UTC().AppendFormat(dst, "2006-01-02")
	case c.decimal:
		var unscaled *big.Int
		switch c.kind {
		case parquet.Int32:
			unscaled = big.NewInt(int64(v.Int32()))
		case parquet.Int64:
			unscaled = big.NewInt(v.Int64())
		default:
			b := v.ByteArray()
			unscaled = new(big.Int).SetBytes(b)
			if len(b) > 0 && b[0]&0x80 != 0 { // two's complement negative
				unscaled.Sub(unscaled, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
			}
		}
		r := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(c.scale)), nil))
		return append(dst, r.FloatString(c.scale)...)
	}
	switch c.kind {
	case parquet.Boolean:
		return strconv.AppendBool(dst, v.Boolean())
	case parquet.Int32:
		return strconv.AppendInt(dst, int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.AppendInt(dst, v.Int64(), 10)
	case parquet.Float:
		return appendFloat(dst, float64(v.Float()))
	case parquet.Double:
		return appendFloat(dst, v.Double())
	default:
		return append(dst, v.ByteArray()...)
	}
}

// formatFloat writes integral values without a fraction ("17850", not
// "17850.0") and others in their shortest exact form.
func formatFloat(x float64) string { return string(appendFloat(nil, x)) }

// appendFloat appends x as formatFloat writes it.
func appendFloat(dst []byte, x float64) []byte {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return strconv.AppendInt(dst, int64(x), 10)
	}
	return strconv.AppendFloat(dst, x, 'f', -1, 64)
}

// formatISODateTime writes t as "2006-01-02 15:04:05", like t.Format with
// that layout but without interpreting the layout on every value.
func formatISODateTime(t time.Time) string { return string(appendISODateTime(nil, t)) }

// appendISODateTime appends t as formatISODateTime writes it.
func appendISODateTime(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "2006-01-02 15:04:05")
	}
	var b [19]byte
	put := func(i, v, n int) {
		for j := i + n - 1; j >= i; j-- {
			b[j] = byte('0' + v%10)
			v /= 10
		}
	}
	put(0, y, 4)
	b[4] = '-'
	put(5, int(mo), 2)
	b[7] = '-'
	put(8, d, 2)
	b[10] = ' '
	put(11, h, 2)
	b[13] = ':'
	put(14, mi, 2)
	b[16] = ':'
	put(17, sec, 2)
	return append(dst, b[:]...)
}
