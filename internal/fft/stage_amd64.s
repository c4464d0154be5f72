//go:build amd64 && !purego

#include "textflag.h"

// The Stockham stages of Plan.Transform for an even stride s, two
// sequences (q, q+1) per YMM register, with the Go loops' operations in the
// same order and no FMA, so the same bits. A complex product x·w is Go's
// (xr·wr − xi·wi, xr·wi + xi·wr): x·wr, then swap(x)·wi, then VADDSUBPD;
// the real constants of radices 3 and 5 are products by (c, 0) the same
// way, as Go computes them. MulI(z, sign) is swap(z)·(−sign, sign).
//
// Arguments: dst, src (the stage's output and input), tw (the stage's
// twiddles, r−1 per p), m (= nc/r), s (stride, even), k (*stageConsts).
// Registers: AX input p-block 0, DX a later input block, BX output 0, R13 a
// later output, R12 m·s·16 (input block stride), R10 s·16 (output stride),
// CX bytes left in the q loop, R9 p countdown, R8 twiddles of p, SI k,
// Y15 (−sign, sign, −sign, sign).

// x ← x·(wr + i·wi), wr and wi broadcast; t1, t2 scratch.
#define CMUL(x, wr, wi, t1, t2) \
	VMULPD wr, x, t1; \
	VPERMILPD $5, x, t2; \
	VMULPD wi, t2, t2; \
	VADDSUBPD t2, t1, x

// x ← MulI(x, sign).
#define MULI(x) \
	VPERMILPD $5, x, x; \
	VMULPD Y15, x, x

#define PROLOGUE \
	MOVQ dst+0(FP), BX; \
	MOVQ src+8(FP), AX; \
	MOVQ tw+16(FP), R8; \
	MOVQ m+24(FP), R9; \
	MOVQ s+32(FP), R10; \
	MOVQ k+40(FP), SI; \
	SHLQ $4, R10; \
	MOVQ R9, R12; \
	IMULQ R10, R12; \
	VMOVUPD (SI), Y15

// func stage2AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)
TEXT ·stage2AVX2(SB), NOSPLIT, $0-48
	PROLOGUE
p2:
	VBROADCASTSD (R8), Y6
	VBROADCASTSD 8(R8), Y7
	MOVQ R10, CX
q2:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R12*1), Y1
	VADDPD Y1, Y0, Y2
	VSUBPD Y1, Y0, Y3
	CMUL(Y3, Y6, Y7, Y8, Y9)
	VMOVUPD Y2, (BX)
	VMOVUPD Y3, (BX)(R10*1)
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $32, CX
	JNZ q2
	ADDQ R10, BX
	ADDQ $16, R8
	DECQ R9
	JNZ p2
	VZEROUPPER
	RET

// func stage3AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)
TEXT ·stage3AVX2(SB), NOSPLIT, $0-48
	PROLOGUE
	VBROADCASTSD 64(SI), Y12 // sin60
	VBROADCASTSD 72(SI), Y13 // 0.5
	VBROADCASTSD 80(SI), Y14 // 0
p3:
	VBROADCASTSD (R8), Y6
	VBROADCASTSD 8(R8), Y7
	VBROADCASTSD 16(R8), Y8
	VBROADCASTSD 24(R8), Y9
	MOVQ R10, CX
q3:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R12*1), Y1
	VMOVUPD (AX)(R12*2), Y2
	VADDPD Y2, Y1, Y3 // t1
	VMULPD Y13, Y3, Y4
	VSUBPD Y4, Y0, Y4 // t2 = a0 − t1/2
	VSUBPD Y2, Y1, Y5
	MULI(Y5)
	CMUL(Y5, Y12, Y14, Y10, Y11) // t3
	VADDPD Y3, Y0, Y0
	VMOVUPD Y0, (BX)
	VADDPD Y5, Y4, Y1
	CMUL(Y1, Y6, Y7, Y10, Y11)
	VMOVUPD Y1, (BX)(R10*1)
	VSUBPD Y5, Y4, Y2
	CMUL(Y2, Y8, Y9, Y10, Y11)
	VMOVUPD Y2, (BX)(R10*2)
	ADDQ $32, AX
	ADDQ $32, BX
	SUBQ $32, CX
	JNZ q3
	LEAQ (BX)(R10*2), BX
	ADDQ $32, R8
	DECQ R9
	JNZ p3
	VZEROUPPER
	RET

// func stage4AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)
TEXT ·stage4AVX2(SB), NOSPLIT, $0-48
	PROLOGUE
p4:
	VBROADCASTSD (R8), Y6
	VBROADCASTSD 8(R8), Y7
	VBROADCASTSD 16(R8), Y8
	VBROADCASTSD 24(R8), Y9
	VBROADCASTSD 32(R8), Y10
	VBROADCASTSD 40(R8), Y11
	LEAQ (AX)(R12*2), DX
	LEAQ (BX)(R10*1), R13
	MOVQ R10, CX
q4:
	VMOVUPD (AX), Y0
	VMOVUPD (AX)(R12*1), Y1
	VMOVUPD (DX), Y2
	VMOVUPD (DX)(R12*1), Y3
	VADDPD Y2, Y0, Y4 // t0
	VSUBPD Y2, Y0, Y0 // t1
	VADDPD Y3, Y1, Y5 // t2
	VSUBPD Y3, Y1, Y1
	MULI(Y1)          // t3
	VADDPD Y5, Y4, Y2
	VMOVUPD Y2, (BX)
	VADDPD Y1, Y0, Y2
	CMUL(Y2, Y6, Y7, Y12, Y13)
	VMOVUPD Y2, (R13)
	VSUBPD Y5, Y4, Y3
	CMUL(Y3, Y8, Y9, Y12, Y13)
	VMOVUPD Y3, (BX)(R10*2)
	VSUBPD Y1, Y0, Y0
	CMUL(Y0, Y10, Y11, Y12, Y13)
	VMOVUPD Y0, (R13)(R10*2)
	ADDQ $32, AX
	ADDQ $32, DX
	ADDQ $32, BX
	ADDQ $32, R13
	SUBQ $32, CX
	JNZ q4
	LEAQ (BX)(R10*2), BX
	ADDQ R10, BX
	ADDQ $48, R8
	DECQ R9
	JNZ p4
	VZEROUPPER
	RET

// func stage5AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)
//
// Twiddles and constants are broadcast from memory where used (sixteen
// YMM registers do not hold them all): c5a 32(SI), c5b 40, s5a 48, s5b 56,
// 0 at 80.
TEXT ·stage5AVX2(SB), NOSPLIT, $0-48
	PROLOGUE
	VBROADCASTSD 80(SI), Y14 // 0
p5:
	LEAQ (AX)(R12*2), DX
	ADDQ R12, DX // input block 3
	LEAQ (BX)(R10*2), R13
	ADDQ R10, R13 // output 3
	MOVQ R10, CX
q5:
	VMOVUPD (AX)(R12*1), Y1
	VMOVUPD (DX)(R12*1), Y4
	VADDPD Y4, Y1, Y5 // b1
	VSUBPD Y4, Y1, Y6 // d1
	VMOVUPD (AX)(R12*2), Y2
	VMOVUPD (DX), Y3
	VADDPD Y3, Y2, Y7 // b2
	VSUBPD Y3, Y2, Y8 // d2
	VMOVUPD (AX), Y0
	// t1 = a0 + c5a·b1 + c5b·b2
	VBROADCASTSD 32(SI), Y12
	VMOVAPD Y5, Y1
	CMUL(Y1, Y12, Y14, Y10, Y11)
	VADDPD Y1, Y0, Y1
	VBROADCASTSD 40(SI), Y13
	VMOVAPD Y7, Y2
	CMUL(Y2, Y13, Y14, Y10, Y11)
	VADDPD Y2, Y1, Y1 // t1
	// t2 = a0 + c5b·b1 + c5a·b2
	VMOVAPD Y5, Y2
	CMUL(Y2, Y13, Y14, Y10, Y11)
	VADDPD Y2, Y0, Y2
	VMOVAPD Y7, Y3
	CMUL(Y3, Y12, Y14, Y10, Y11)
	VADDPD Y3, Y2, Y2 // t2
	// out0 = a0 + b1 + b2
	VADDPD Y5, Y0, Y0
	VADDPD Y7, Y0, Y0
	VMOVUPD Y0, (BX)
	// u1 = MulI(s5a·d1 + s5b·d2), u2 = MulI(s5b·d1 − s5a·d2)
	VBROADCASTSD 48(SI), Y12
	VBROADCASTSD 56(SI), Y13
	VMOVAPD Y6, Y3
	CMUL(Y3, Y12, Y14, Y10, Y11) // s5a·d1
	VMOVAPD Y8, Y4
	CMUL(Y4, Y13, Y14, Y10, Y11) // s5b·d2
	VADDPD Y4, Y3, Y3
	MULI(Y3) // u1
	VMOVAPD Y6, Y4
	CMUL(Y4, Y13, Y14, Y10, Y11) // s5b·d1
	VMOVAPD Y8, Y5
	CMUL(Y5, Y12, Y14, Y10, Y11) // s5a·d2
	VSUBPD Y5, Y4, Y4
	MULI(Y4) // u2
	// out1 = (t1 + u1)·w1, out4 = (t1 − u1)·w4
	VADDPD Y3, Y1, Y5
	VBROADCASTSD (R8), Y12
	VBROADCASTSD 8(R8), Y13
	CMUL(Y5, Y12, Y13, Y10, Y11)
	VMOVUPD Y5, (BX)(R10*1)
	VSUBPD Y3, Y1, Y5
	VBROADCASTSD 48(R8), Y12
	VBROADCASTSD 56(R8), Y13
	CMUL(Y5, Y12, Y13, Y10, Y11)
	VMOVUPD Y5, (R13)(R10*1)
	// out2 = (t2 + u2)·w2, out3 = (t2 − u2)·w3
	VADDPD Y4, Y2, Y5
	VBROADCASTSD 16(R8), Y12
	VBROADCASTSD 24(R8), Y13
	CMUL(Y5, Y12, Y13, Y10, Y11)
	VMOVUPD Y5, (BX)(R10*2)
	VSUBPD Y4, Y2, Y5
	VBROADCASTSD 32(R8), Y12
	VBROADCASTSD 40(R8), Y13
	CMUL(Y5, Y12, Y13, Y10, Y11)
	VMOVUPD Y5, (R13)
	ADDQ $32, AX
	ADDQ $32, DX
	ADDQ $32, BX
	ADDQ $32, R13
	SUBQ $32, CX
	JNZ q5
	LEAQ (BX)(R10*4), BX
	ADDQ $64, R8
	DECQ R9
	JNZ p5
	VZEROUPPER
	RET
