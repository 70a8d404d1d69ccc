package recommend

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// dotRowsAVX sets y[r] to row r of the rows x n matrix a dotted with x,
// bit for bit as gonum's f32.DotUnitary (hence blas32.Gemv with alpha 1
// and beta 0) computes it when x is 16-byte aligned; n > 0 and n % 16 ==
// 0. Written in dot_amd64.s.
//
//go:noescape
func dotRowsAVX(a, x, y *float32, rows, n int)

// hasAVX tells whether dotRowsAVX may run.
var hasAVX = cpu.X86.HasAVX

// matVecFast computes y = A x as matVec32 does, bit for bit, with
// dotRowsAVX when it can (AVX, len(x) a multiple of 16, x 16-byte
// aligned so gonum would not have peeled a first element off), and
// reports whether it did.
func matVecFast(A, x, y []float32) bool {
	n := len(x)
	if !hasAVX || n == 0 || n%16 != 0 || len(y) == 0 || uintptr(unsafe.Pointer(&x[0]))%16 != 0 || len(A) < len(y)*n {
		return false
	}
	dotRowsAVX(&A[0], &x[0], &y[0], len(y), n)
	return true
}
