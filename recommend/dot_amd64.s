#include "textflag.h"

// func dotRowsAVX(a, x, y *float32, rows, n int)
//
// y[r] = a[r*n:(r+1)*n] . x for r < rows (n > 0, n % 16 == 0), summed as
// gonum's f32.DotUnitary sums a row with an aligned x: eight lanes, lane j
// adding the products of elements j, j+8, j+16, ... in turn; then the
// upper four lanes added to the lower four, and two horizontal adds. Four
// rows at a time share each load of x.
TEXT ·dotRowsAVX(SB), NOSPLIT, $0-40
	MOVQ a+0(FP), SI
	MOVQ x+8(FP), DI
	MOVQ y+16(FP), DX
	MOVQ rows+24(FP), R8
	MOVQ n+32(FP), R10
	SHLQ $2, R10             // R10 = bytes per row

rows4:
	CMPQ R8, $4
	JLT  rows1
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	LEAQ (SI)(R10*1), R11    // row 1
	LEAQ (R11)(R10*1), R12   // row 2
	LEAQ (R12)(R10*1), R13   // row 3
	XORQ AX, AX

inner4:
	VMOVUPS (DI)(AX*1), Y4
	VMULPS  (SI)(AX*1), Y4, Y5
	VADDPS  Y5, Y0, Y0
	VMULPS  (R11)(AX*1), Y4, Y6
	VADDPS  Y6, Y1, Y1
	VMULPS  (R12)(AX*1), Y4, Y7
	VADDPS  Y7, Y2, Y2
	VMULPS  (R13)(AX*1), Y4, Y8
	VADDPS  Y8, Y3, Y3
	ADDQ    $32, AX
	CMPQ    AX, R10
	JLT     inner4

	VEXTRACTF128 $1, Y0, X9
	VADDPS       X9, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, (DX)
	VEXTRACTF128 $1, Y1, X9
	VADDPS       X9, X1, X1
	VHADDPS      X1, X1, X1
	VHADDPS      X1, X1, X1
	VMOVSS       X1, 4(DX)
	VEXTRACTF128 $1, Y2, X9
	VADDPS       X9, X2, X2
	VHADDPS      X2, X2, X2
	VHADDPS      X2, X2, X2
	VMOVSS       X2, 8(DX)
	VEXTRACTF128 $1, Y3, X9
	VADDPS       X9, X3, X3
	VHADDPS      X3, X3, X3
	VHADDPS      X3, X3, X3
	VMOVSS       X3, 12(DX)

	LEAQ (R13)(R10*1), SI    // next four rows
	ADDQ $16, DX
	SUBQ $4, R8
	JMP  rows4

rows1:
	CMPQ R8, $0
	JEQ  done
	VXORPS Y0, Y0, Y0
	XORQ   AX, AX

inner1:
	VMOVUPS (DI)(AX*1), Y4
	VMULPS  (SI)(AX*1), Y4, Y5
	VADDPS  Y5, Y0, Y0
	ADDQ    $32, AX
	CMPQ    AX, R10
	JLT     inner1

	VEXTRACTF128 $1, Y0, X9
	VADDPS       X9, X0, X0
	VHADDPS      X0, X0, X0
	VHADDPS      X0, X0, X0
	VMOVSS       X0, (DX)
	ADDQ         R10, SI
	ADDQ         $4, DX
	DECQ         R8
	JMP          rows1

done:
	VZEROUPPER
	RET
