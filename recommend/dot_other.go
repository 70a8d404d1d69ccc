//go:build !amd64

package recommend

// matVecFast is matVec32's fast path, which only amd64 has.
func matVecFast(A, x, y []float32) bool { return false }
