package recommend

// maxPosAVX is positiveMaxGo over s[:n] in assembly (norm_amd64.s): n > 0
// and n % 16 == 0.
//
//go:noescape
func maxPosAVX(s *float64, n int) float64

// scaleAddAVX sets s[i] *= inv and adds w x s[i] to out[i] for i < n, in
// assembly (norm_amd64.s): n > 0 and n % 4 == 0.
//
//go:noescape
func scaleAddAVX(s, out *float64, n int, inv, w float64)

// positiveMax is the largest of s and 0 (NaN is passed over): with AVX,
// sixteen running maxima in assembly over the first len(s) &^ 15 scores,
// and positiveMaxGo over the rest (or all of s without AVX). The maximum
// of a set is the same whatever the order it is taken in, and neither part
// is below +0 or NaN.
func positiveMax(s []float64) float64 {
	if !hasAVX || len(s) < 16 {
		return positiveMaxGo(s)
	}
	k := len(s) &^ 15
	return max(maxPosAVX(&s[0], k), positiveMaxGo(s[k:]))
}

// scaleAdd is scaleAddGo bit for bit: with AVX in one pass, in assembly,
// over the first len(s) &^ 3 scores, and scaleAddGo over the rest (or all
// of s without AVX).
func scaleAdd(s, out []float64, inv, w float64) {
	k := 0
	if hasAVX {
		k = len(s) &^ 3
	}
	if k > 0 {
		_ = out[len(s)-1]
		scaleAddAVX(&s[0], &out[0], k, inv, w)
	}
	scaleAddGo(s[k:], out[k:], inv, w)
}
