package global

import (
	"time"

	"github.com/shelfwise/shelfwise"
	"github.com/shelfwise/shelfwise/internal/calendar"
	"gonum.org/v1/gonum/mat"
)

// denoise projects each series' history (its first len-cut points) onto
// the leading rank directions of its group: the series of the same product
// or department across stores. Stores share most of a department's weekly
// pattern, so the projection keeps the common signal and drops store-level
// noise (the idea behind the winning Walmart Kaggle entry). Series in a
// group of fewer than three, or with histories of different lengths, are
// returned unchanged.
func denoise(series []*shelfwise.Series, cut, rank int) [][]float64 {
	out := make([][]float64, len(series))
	groups := map[string][]int{}
	for i, s := range series {
		g := string(s.Key.SKU) + "|" + s.Key.Department
		groups[g] = append(groups[g], i)
		out[i] = s.Values[:max(len(s.Values)-cut, 0)]
	}
	if rank <= 0 {
		return out
	}
	for _, idx := range groups {
		if len(idx) < 3 {
			continue
		}
		T := len(out[idx[0]])
		same := true
		for _, i := range idx {
			same = same && len(out[i]) == T
		}
		if !same || T < 2 {
			continue
		}
		S := len(idx)
		k := min(rank, S-1)
		X := mat.NewDense(S, T, nil)
		for r, i := range idx {
			X.SetRow(r, out[i])
		}
		var C mat.SymDense
		C.SymOuterK(1, X)
		var eig mat.EigenSym
		if !eig.Factorize(&C, true) {
			continue
		}
		var V mat.Dense
		eig.VectorsTo(&V)
		// Eigenvalues ascend: the last k columns lead.
		U := V.Slice(0, S, S-k, S)
		var coef, rec mat.Dense
		coef.Mul(U.T(), X)
		rec.Mul(U, &coef)
		for r, i := range idx {
			out[i] = mat.Row(nil, r, &rec)
		}
	}
	return out
}

// easter returns Easter Sunday of year y.
func easter(y int) time.Time { return calendar.Easter(y) }

// easterOffset is the number of days from when to the nearest Easter
// Sunday, clipped to +-35.
func easterOffset(when time.Time) float64 {
	d := easter(when.Year()).Sub(when).Hours() / 24
	return max(-35, min(35, d))
}
