//go:build !amd64

package recommend

// positiveMax is the largest of s and 0 (NaN is passed over): see
// positiveMaxGo.
func positiveMax(s []float64) float64 { return positiveMaxGo(s) }

// scaleAdd is scaleAddGo: only amd64 has a one-pass form.
func scaleAdd(s, out []float64, inv, w float64) { scaleAddGo(s, out, inv, w) }
