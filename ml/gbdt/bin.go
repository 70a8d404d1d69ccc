package gbdt

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
)

// binSample is the most rows whose values decide a feature's bin edges.
const binSample = 200_000

// Binned is a feature matrix mapped to uint8 bins, stored row-major so that
// building all features' histograms for a set of rows reads each row once.
// Bin k of numeric feature j holds values <= Upper[j][k] (and above the
// previous edge); bin NumBins[j] holds missing values. For a categorical
// feature bin k holds the category CatValues[j][k], and the last bin holds
// missing and rare categories.
type Binned struct {
	Rows, Cols int
	// Data[i*Cols+j] is the bin of row i, feature j.
	Data []uint8
	// NumBins[j] is the number of non-missing bins of feature j.
	NumBins []int
	// Upper[j] are the upper edges of feature j's bins (numeric only).
	Upper [][]float32
	// CatValues[j] are the category codes of feature j's bins, ascending
	// (categorical only, nil otherwise).
	CatValues [][]float32
	// IsCat marks categorical features.
	IsCat []bool
}

// Bin computes bin edges from X (at most maxBins bins per feature, chosen
// from value quantiles) and bins X. categorical lists the category columns.
func Bin(ctx context.Context, X *Matrix, maxBins int, categorical []int, workers int) (*Binned, error) {
	if maxBins < 2 || maxBins > 255 {
		return nil, fmt.Errorf("gbdt: maxBins %d not in [2, 255]", maxBins)
	}
	b := &Binned{
		Rows: X.Rows, Cols: X.Cols,
		NumBins:   make([]int, X.Cols),
		Upper:     make([][]float32, X.Cols),
		CatValues: make([][]float32, X.Cols),
		IsCat:     make([]bool, X.Cols),
	}
	for _, c := range categorical {
		if c < 0 || c >= X.Cols {
			return nil, fmt.Errorf("gbdt: categorical column %d out of range [0, %d)", c, X.Cols)
		}
		b.IsCat[c] = true
	}
	err := parallelFor(ctx, X.Cols, workers, func(j int) {
		if b.IsCat[j] {
			b.CatValues[j] = catEdges(X.Col(j), maxBins)
			b.NumBins[j] = len(b.CatValues[j])
		} else {
			b.Upper[j] = numericEdges(X.Col(j), maxBins)
			b.NumBins[j] = len(b.Upper[j])
		}
	})
	if err != nil {
		return nil, err
	}
	return b, b.fill(ctx, X, workers)
}

// Apply bins another matrix (a validation or test set) with b's edges.
func (b *Binned) Apply(ctx context.Context, X *Matrix, workers int) (*Binned, error) {
	if X.Cols != b.Cols {
		return nil, fmt.Errorf("gbdt: matrix has %d columns, bins have %d", X.Cols, b.Cols)
	}
	nb := &Binned{Rows: X.Rows, Cols: X.Cols, NumBins: b.NumBins, Upper: b.Upper, CatValues: b.CatValues, IsCat: b.IsCat}
	return nb, nb.fill(ctx, X, workers)
}

// fill computes Data from X with the current edges.
func (b *Binned) fill(ctx context.Context, X *Matrix, workers int) error {
	b.Data = make([]uint8, X.Rows*X.Cols)
	cols := b.Cols
	return parallelFor(ctx, X.Cols, workers, func(j int) {
		col := X.Col(j)
		for i, v := range col {
			b.Data[i*cols+j] = b.binOf(j, v)
		}
	})
}

// binOf maps a value of feature j to its bin.
func (b *Binned) binOf(j int, v float32) uint8 {
	if v != v {
		return uint8(b.NumBins[j])
	}
	if b.IsCat[j] {
		cv := b.CatValues[j]
		k, ok := slices.BinarySearch(cv, v)
		if !ok {
			return uint8(len(cv))
		}
		return uint8(k)
	}
	up := b.Upper[j]
	lo, hi := 0, len(up)-1 // the last edge is +Inf
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if v <= up[m] {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return uint8(lo)
}

// sampleCol returns the non-missing values of col (at most binSample of
// them, taken at a fixed stride so binning is deterministic), sorted.
func sampleCol(col []float32) []float32 {
	step := 1
	if len(col) > binSample {
		step = (len(col) + binSample - 1) / binSample
	}
	vals := make([]float32, 0, len(col)/step+1)
	for i := 0; i < len(col); i += step {
		if v := col[i]; v == v {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	return vals
}

// numericEdges chooses at most maxBins upper edges from value quantiles;
// the last edge is +Inf. A feature with no values gets one bin.
func numericEdges(col []float32, maxBins int) []float32 {
	vals := sampleCol(col)
	inf := float32(math.Inf(1))
	if len(vals) == 0 {
		return []float32{inf}
	}
	// Distinct values and their counts.
	var distinct []float32
	var counts []int
	for i, v := range vals {
		if i == 0 || v != vals[i-1] {
			distinct = append(distinct, v)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	var edges []float32
	cut := func(k int) { // cut after distinct[k]
		e := float32((float64(distinct[k]) + float64(distinct[k+1])) / 2)
		if e >= distinct[k+1] {
			e = distinct[k]
		}
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	if len(distinct) <= maxBins {
		for k := 0; k+1 < len(distinct); k++ {
			cut(k)
		}
		return append(edges, inf)
	}
	// Greedy equal-frequency cuts: close a bin once it holds its share of
	// the remaining rows; a heavy value gets a bin to itself.
	remaining, binsLeft, acc := len(vals), maxBins, 0
	for k := 0; k+1 < len(distinct) && binsLeft > 1; k++ {
		acc += counts[k]
		target := float64(remaining) / float64(binsLeft)
		if float64(acc) >= target || float64(counts[k+1]) >= target {
			cut(k)
			remaining -= acc
			acc = 0
			binsLeft--
		}
	}
	return append(edges, inf)
}

// catEdges keeps the maxBins-1 most frequent categories (sorted by code);
// the rest share the missing bin.
func catEdges(col []float32, maxBins int) []float32 {
	counts := map[float32]int{}
	for _, v := range col {
		if v == v {
			counts[v]++
		}
	}
	cats := make([]float32, 0, len(counts))
	for v := range counts {
		cats = append(cats, v)
	}
	sort.Slice(cats, func(a, b int) bool {
		if counts[cats[a]] != counts[cats[b]] {
			return counts[cats[a]] > counts[cats[b]]
		}
		return cats[a] < cats[b]
	})
	if len(cats) > maxBins-1 {
		cats = cats[:maxBins-1]
	}
	slices.Sort(cats)
	return cats
}
