package propensity

import (
	"context"
	"math/rand/v2"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/parallel"
	"github.com/shelfwise/shelfwise/ml/gbdt"
)

// table is sessions encoded with a schema: raw and dense rows, labels.
type table struct {
	sc         *Schema
	rows, pos  int
	raw, dense []float64 // row-major
	y          []float64
}

func newTable(sc *Schema, ss []shelfwise.Session) *table {
	t := &table{sc: sc, rows: len(ss), raw: make([]float64, len(ss)*sc.RawCols()),
		dense: make([]float64, len(ss)*sc.DenseCols()), y: make([]float64, len(ss))}
	for i, s := range ss {
		sc.Raw(s, t.rawRow(i))
		sc.Dense(t.rawRow(i), t.denseRow(i))
		if s.Purchased {
			t.y[i] = 1
			t.pos++
		}
	}
	return t
}

func (t *table) rawRow(i int) []float64 {
	w := t.sc.RawCols()
	return t.raw[i*w : (i+1)*w]
}

func (t *table) denseRow(i int) []float64 {
	w := t.sc.DenseCols()
	return t.dense[i*w : (i+1)*w]
}

func (t *table) labels() []bool {
	b := make([]bool, t.rows)
	for i, v := range t.y {
		b[i] = v == 1
	}
	return b
}

// subset returns the rows where mask[i] == want.
func (t *table) subset(mask []bool, want bool) *table {
	out := &table{sc: t.sc}
	for i := 0; i < t.rows; i++ {
		if mask[i] != want {
			continue
		}
		out.raw = append(out.raw, t.rawRow(i)...)
		out.dense = append(out.dense, t.denseRow(i)...)
		out.y = append(out.y, t.y[i])
		out.rows++
		if t.y[i] == 1 {
			out.pos++
		}
	}
	return out
}

// rawMatrix returns the raw rows as a gbdt matrix.
func (t *table) rawMatrix() *gbdt.Matrix {
	w := t.sc.RawCols()
	X := gbdt.NewMatrix(t.rows, w)
	for i := 0; i < t.rows; i++ {
		for j, v := range t.rawRow(i) {
			X.Set(i, j, v)
		}
	}
	return X
}

// denseMatrix returns the dense rows as a gbdt matrix.
func (t *table) denseMatrix() *gbdt.Matrix {
	w := t.sc.DenseCols()
	X := gbdt.NewMatrix(t.rows, w)
	for i := 0; i < t.rows; i++ {
		for j, v := range t.denseRow(i) {
			X.Set(i, j, v)
		}
	}
	return X
}

// holdoutMask marks a stratified random fraction of rows.
func holdoutMask(y []float64, frac float64, rng *rand.Rand) []bool {
	mask := make([]bool, len(y))
	for _, cls := range []float64{0, 1} {
		var idx []int
		for i, v := range y {
			if v == cls {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		k := int(frac*float64(len(idx)) + 0.5)
		for _, i := range idx[:k] {
			mask[i] = true
		}
	}
	return mask
}

// parallelRange calls fn on contiguous chunks of [0, n) on at most workers
// goroutines (GOMAXPROCS when workers <= 0).
func parallelRange(ctx context.Context, n, workers int, fn func(lo, hi int)) error {
	return parallel.Chunks(ctx, n, workers, 1024, fn)
}
