#include "textflag.h"

// STEP moves chain P (tree K of the block) one level down for the row at
// R10: R11 = the node's feature offset, X1 = its threshold, P = 2P + 1,
// plus 1 when threshold < value (the carry UCOMISS sets), which for rows
// without NaN is value > threshold, the right child. Nodes are 8 bytes, a
// tree 32 slots (256 bytes) from R8.
#define STEP(P, K) \
	MOVL  (K*256)(R8)(P*8), R11 \
	MOVSS (K*256+4)(R8)(P*8), X1 \
	LEAQ  1(P)(P*1), P \
	UCOMISS (R10)(R11*1), X1 \
	ADCQ  $0, P

#define LEVEL \
	STEP(AX, 0) \
	STEP(BX, 1) \
	STEP(CX, 2) \
	STEP(DX, 3) \
	STEP(SI, 4) \
	STEP(DI, 5) \
	STEP(R9, 6) \
	STEP(R14, 7)

// func walkBlock8(nodes *shallowNode, values *float64, rows *float32, stride uintptr, n int, out *float64)
//
// For each of n rows (stride bytes apart from rows), walks the eight
// padded trees at nodes shallowDepth (5) levels down and adds their leaf
// values (32 per tree from values, slot p's leaf at p - 31) to the row's
// out in tree order, one ADDSD at a time: the same sums as predictShallow's
// Go loop. Uses R14 as a scratch register (ABI0).
TEXT ·walkBlock8(SB), NOSPLIT, $0-48
	MOVQ nodes+0(FP), R8
	MOVQ rows+16(FP), R10
	MOVQ n+32(FP), R12
	MOVQ out+40(FP), R13
	TESTQ R12, R12
	JLE  done
	IMULQ stride+24(FP), R12
	ADDQ R10, R12            // R12 = the end of the rows

row:
	XORL AX, AX
	XORL BX, BX
	XORL CX, CX
	XORL DX, DX
	XORL SI, SI
	XORL DI, DI
	XORL R9, R9
	XORL R14, R14
	LEVEL
	LEVEL
	LEVEL
	LEVEL
	LEVEL
	MOVQ values+8(FP), R11
	MOVSD (R13), X0
	ADDSD (0*256-248)(R11)(AX*8), X0
	ADDSD (1*256-248)(R11)(BX*8), X0
	ADDSD (2*256-248)(R11)(CX*8), X0
	ADDSD (3*256-248)(R11)(DX*8), X0
	ADDSD (4*256-248)(R11)(SI*8), X0
	ADDSD (5*256-248)(R11)(DI*8), X0
	ADDSD (6*256-248)(R11)(R9*8), X0
	ADDSD (7*256-248)(R11)(R14*8), X0
	MOVSD X0, (R13)
	ADDQ $8, R13
	ADDQ stride+24(FP), R10
	CMPQ R10, R12
	JCS  row

done:
	RET
