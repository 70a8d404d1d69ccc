#include "textflag.h"

// func maxPosAVX(s *float64, n int) float64
//
// The largest of s[:n] and 0, NaN passed over (n > 0, n % 16 == 0): four
// running maxima of four lanes each, every one starting at +0 and replaced
// only by a larger value (VMAXPD keeps its second source when the first is
// NaN or not larger), then the sixteen lanes' maximum, which is the same
// whatever the order.
TEXT ·maxPosAVX(SB), NOSPLIT, $0-24
	MOVQ s+0(FP), SI
	MOVQ n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

loop:
	VMOVUPD (SI), Y4
	VMAXPD  Y0, Y4, Y0        // Y0 = Y4 > Y0 ? Y4 : Y0, lane by lane
	VMOVUPD 32(SI), Y5
	VMAXPD  Y1, Y5, Y1
	VMOVUPD 64(SI), Y6
	VMAXPD  Y2, Y6, Y2
	VMOVUPD 96(SI), Y7
	VMAXPD  Y3, Y7, Y3
	ADDQ $128, SI
	SUBQ $16, CX
	JNZ  loop

	VMAXPD Y1, Y0, Y0
	VMAXPD Y3, Y2, Y2
	VMAXPD Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPD X1, X0, X0
	VPERMILPD $1, X0, X1
	VMAXPD X1, X0, X0
	VZEROUPPER
	MOVSD X0, ret+16(FP)
	RET

// func scaleAddAVX(s, out *float64, n int, inv, w float64)
//
// For i < n (n > 0, n % 4 == 0): s[i] = s[i] * inv, then out[i] += w *
// s[i]: the products and the sum rounded one by one, as floats.Scale and
// then floats.AddScaled compute them.
TEXT ·scaleAddAVX(SB), NOSPLIT, $0-40
	MOVQ s+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ n+16(FP), CX
	VBROADCASTSD inv+24(FP), Y0
	VBROADCASTSD w+32(FP), Y1

loop:
	VMULPD  (SI), Y0, Y2
	VMOVUPD Y2, (SI)
	VMULPD  Y2, Y1, Y3
	VADDPD  (DI), Y3, Y3
	VMOVUPD Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JNZ  loop
	VZEROUPPER
	RET
