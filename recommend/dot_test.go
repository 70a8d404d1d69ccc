package recommend

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// TestMatVecFastMatchesGonum: the fast matrix-vector product gives
// gonum's blas32.Gemv results bit for bit (scores feed rankings, whose
// ties a last-bit change can flip), for factor counts 16 to 128, row
// counts with every remainder mod 4, and values of mixed sign and scale;
// and it declines what it cannot match (a length not a multiple of 16, an
// unaligned x), leaving those to gonum.
func TestMatVecFastMatchesGonum(t *testing.T) {
	if !hasAVX {
		t.Skip("no AVX: matVecFast always declines")
	}
	rng := rand.New(rand.NewPCG(8, 1))
	val := func() float32 {
		v := float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(7)-3)))
		if rng.IntN(20) == 0 {
			v = 0
		}
		return v
	}
	for _, n := range []int{16, 32, 48, 64, 128} {
		for _, rows := range []int{1, 2, 3, 4, 5, 7, 8, 63, 257} {
			A := make([]float32, rows*n)
			for i := range A {
				A[i] = val()
			}
			x := make([]float32, n)
			for i := range x {
				x[i] = val()
			}
			want := make([]float32, rows)
			blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: rows, Cols: n, Stride: n, Data: A},
				blas32.Vector{N: n, Inc: 1, Data: x}, 0, blas32.Vector{N: rows, Inc: 1, Data: want})
			got := make([]float32, rows)
			if !matVecFast(A, x, got) {
				t.Fatalf("n %d rows %d: declined", n, rows)
			}
			for r := range want {
				if math.Float32bits(got[r]) != math.Float32bits(want[r]) {
					t.Fatalf("n %d row %d of %d: %v, gonum %v", n, r, rows, got[r], want[r])
				}
			}
		}
	}
	x := make([]float32, 40)
	if matVecFast(make([]float32, 40*3), x[:24], make([]float32, 3)) {
		t.Fatal("24 factors: not declined")
	}
	if matVecFast(make([]float32, 32*3), x[1:33], make([]float32, 3)) {
		t.Fatal("unaligned x: not declined")
	}
}
