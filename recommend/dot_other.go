//go:build !amd64

package recommend

// hasAVX is false off amd64: the assembly is amd64's.
const hasAVX = false

// matVecFast is matVec32's fast path, which only amd64 has.
func matVecFast(A, x, y []float32) bool { return false }
