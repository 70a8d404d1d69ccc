package gbdt

import (
	"fmt"
	"math"
)

// Matrix is a dense column-major float32 feature matrix: the value of row i,
// column j is Data[j*Rows+i]. NaN marks a missing value. Column-major keeps
// binning (one pass per feature) cache-friendly and halves memory against
// float64.
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// NewMatrix returns a rows x cols matrix of zeros.
func NewMatrix(rows, cols int) *Matrix {
	return &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
}

// FromRows copies row-major float64 rows into a Matrix. All rows must have
// the same length.
func FromRows(rows [][]float64) (*Matrix, error) {
	if len(rows) == 0 {
		return &Matrix{}, nil
	}
	cols := len(rows[0])
	m := NewMatrix(len(rows), cols)
	for i, r := range rows {
		if len(r) != cols {
			return nil, fmt.Errorf("gbdt: row %d has %d values, want %d", i, len(r), cols)
		}
		for j, v := range r {
			m.Data[j*m.Rows+i] = float32(v)
		}
	}
	return m, nil
}

// At returns the value at row i, column j as float64 (NaN when missing).
func (m *Matrix) At(i, j int) float64 { return float64(m.Data[j*m.Rows+i]) }

// Set stores v at row i, column j.
func (m *Matrix) Set(i, j int, v float64) { m.Data[j*m.Rows+i] = float32(v) }

// Col returns column j (shared, not copied).
func (m *Matrix) Col(j int) []float32 { return m.Data[j*m.Rows : (j+1)*m.Rows] }

// Row copies row i into dst (grown if needed) and returns it.
func (m *Matrix) Row(i int, dst []float64) []float64 {
	if cap(dst) < m.Cols {
		dst = make([]float64, m.Cols)
	}
	dst = dst[:m.Cols]
	for j := range dst {
		dst[j] = float64(m.Data[j*m.Rows+i])
	}
	return dst
}

// SelectRows returns a new matrix holding the given rows in order.
func (m *Matrix) SelectRows(idx []int) *Matrix {
	out := NewMatrix(len(idx), m.Cols)
	for j := 0; j < m.Cols; j++ {
		src, dst := m.Col(j), out.Col(j)
		for k, i := range idx {
			dst[k] = src[i]
		}
	}
	return out
}

// NaN32 is the float32 missing value, for callers filling a Matrix directly.
var NaN32 = float32(math.NaN())
