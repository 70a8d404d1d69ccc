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
// sixteen running maxima in assembly over the first len(s) &^ 15 scores
// and then the rest one by one; positiveMaxGo otherwise. The maximum of a
// set is the same whatever the order it is taken in.
func positiveMax(s []float64) float64 {
	if !hasAVX || len(s) < 16 {
		return positiveMaxGo(s)
	}
	k := len(s) &^ 15
	m := maxPosAVX(&s[0], k)
	for _, v := range s[k:] {
		if v > m {
			m = v
		}
	}
	return m
}

// scaleAdd sets s[i] *= inv and adds w x s[i] to out[i] (len(out) >=
// len(s)): bit for bit floats.Scale(inv, s) and then floats.AddScaled(out,
// w, s), in one pass, in assembly with AVX. It reports whether it ran
// (false without AVX).
func scaleAdd(s, out []float64, inv, w float64) bool {
	if !hasAVX {
		return false
	}
	out = out[:len(s)]
	k := len(s) &^ 3
	if k > 0 {
		scaleAddAVX(&s[0], &out[0], k, inv, w)
	}
	for i := k; i < len(s); i++ {
		x := s[i] * inv
		s[i] = x
		out[i] += float64(w * x) // rounded before the sum, as in AddScaled
	}
	return true
}
