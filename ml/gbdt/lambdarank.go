package gbdt

import (
	"math"
	"slices"
)

// queryRanges returns the row ranges [lo, hi) of the consecutive runs of
// equal query ids.
func queryRanges(query []int32) [][2]int {
	var out [][2]int
	for i := range query {
		if i == 0 || query[i] != query[i-1] {
			out = append(out, [2]int{i, i})
		}
		out[len(out)-1][1] = i + 1
	}
	return out
}

// rankDiscount is the NDCG discount of 0-based rank r, 0 from rank k on.
func rankDiscount(r, k int) float64 {
	if r >= k {
		return 0
	}
	return 1 / math.Log2(float64(r)+2)
}

// gain is the NDCG gain of relevance y.
func gain(y float64) float64 { return math.Exp2(y) - 1 }

// idealDCG is the DCG@k of the relevances y sorted best first (y is not
// changed).
func idealDCG(y []float64, k int) float64 {
	s := slices.Clone(y)
	slices.SortFunc(s, func(a, b float64) int { return -cmpFloat(a, b) })
	d := 0.0
	for r, v := range s[:min(k, len(s))] {
		d += gain(v) * rankDiscount(r, k)
	}
	return d
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ranking returns the offsets 0..len(f)-1 ordered by f descending (ties by
// offset) and each offset's rank.
func ranking(f []float64) (order, rank []int) {
	order = make([]int, len(f))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(f[a], f[b]) })
	rank = make([]int, len(f))
	for r, i := range order {
		rank[i] = r
	}
	return order, rank
}

// queryWeight is the weight of the query of rows [lo, hi): its first
// row's.
func queryWeight(w []float64, lo int) float64 {
	if w == nil {
		return 1
	}
	return w[lo]
}

// lambdaPairs calls fn(i, j, dz) for every pair of rows of the query
// [lo, hi) with y[i] > y[j] whose swap changes NDCG@k at the ranking by f
// (dz is that change, normalised by the ideal DCG, positive).
func lambdaPairs(y, f []float64, lo, hi, k int, fn func(i, j int, dz float64)) {
	yq, fq := y[lo:hi], f[lo:hi]
	idcg := idealDCG(yq, k)
	if idcg <= 0 {
		return
	}
	_, rank := ranking(fq)
	for a := range yq {
		for b := range yq {
			if yq[a] <= yq[b] {
				continue
			}
			dz := math.Abs((gain(yq[a]) - gain(yq[b])) * (rankDiscount(rank[a], k) - rankDiscount(rank[b], k)) / idcg)
			if dz > 0 {
				fn(lo+a, lo+b, dz)
			}
		}
	}
}

// lambdaGradients fills gh for the rows of the queries groups: the
// gradient and hessian of the LambdaRank loss (see lambdaLoss) with the
// pair weights held at the current ranking.
func lambdaGradients(p *Params, y, w, f []float64, gh []gpair, groups [][2]int) {
	for _, g := range groups {
		lo, hi := g[0], g[1]
		for i := lo; i < hi; i++ {
			gh[i] = gpair{0, 0}
		}
		qw := queryWeight(w, lo)
		lambdaPairs(y, f, lo, hi, p.RankAt, func(i, j int, dz float64) {
			rho := sigmoid(f[j] - f[i]) // the probability the pair is misordered
			gr := qw * dz * rho
			he := qw * dz * rho * (1 - rho)
			gh[i].G -= gr
			gh[j].G += gr
			gh[i].H += he
			gh[j].H += he
		})
		for i := lo; i < hi; i++ {
			gh[i].H = math.Max(gh[i].H, 1e-16)
		}
	}
}

// lambdaLoss is the LambdaRank loss over the queries groups: for every
// pair i, j of a query with y[i] > y[j], its query's weight x the NDCG
// change of swapping them at the ranking by f x log(1 + exp(f[j] - f[i])).
// lambdaGradients is its gradient wherever the ranking does not change
// (no ties).
func lambdaLoss(p *Params, y, w, f []float64, groups [][2]int) float64 {
	s := 0.0
	for _, g := range groups {
		qw := queryWeight(w, g[0])
		lambdaPairs(y, f, g[0], g[1], p.RankAt, func(i, j int, dz float64) {
			s += qw * dz * softplus(f[j]-f[i])
		})
	}
	return s
}

// meanNDCG is the query-weighted mean NDCG@k of the rankings by f over the
// queries groups that have a relevant row.
func meanNDCG(y, w, f []float64, groups [][2]int, k int) float64 {
	var s, sw float64
	for _, g := range groups {
		lo, hi := g[0], g[1]
		idcg := idealDCG(y[lo:hi], k)
		if idcg <= 0 {
			continue
		}
		order, _ := ranking(f[lo:hi])
		dcg := 0.0
		for r, i := range order[:min(k, len(order))] {
			dcg += gain(y[lo+i]) * rankDiscount(r, k)
		}
		qw := queryWeight(w, lo)
		s += qw * dcg / idcg
		sw += qw
	}
	if sw == 0 {
		return 0
	}
	return s / sw
}
