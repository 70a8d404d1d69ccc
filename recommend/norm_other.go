//go:build !amd64

package recommend

// positiveMax is the largest of s and 0 (NaN is passed over): see
// positiveMaxGo.
func positiveMax(s []float64) float64 { return positiveMaxGo(s) }

// scaleAdd is the one-pass form of floats.Scale and floats.AddScaled that
// only amd64 has: false, nothing done.
func scaleAdd(s, out []float64, inv, w float64) bool { return false }
