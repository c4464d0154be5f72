//go:build amd64 && !purego

#include "textflag.h"

// func attractRowsAVX2(rowPtr *int, col *int32, val, y, grad *float64, lo, hi int, exag float64)
//
// For each row i in [lo, hi): g = Σ_e p_e w_e (yᵢ − y_j), w_e = 1/((1 +
// d0²) + d1²), over the edges e of row i in order, then grad[2i] +=
// exag·g0 and grad[2i+1] += exag·g1 — attractRowsGo's operations (no FMA),
// so its bits. Edges go four at a time: the four neighbours' coordinates
// are gathered into Y8 (x) and Y9 (y), the kernel and products computed
// lane-wise, and the four terms added to g0 (X0) and g1 (X1) in edge
// order; the last 0–3 edges of a row go one at a time.
//
// Registers: SI rowPtr, DI col, R8 val, R9 y, R10 grad, R11 i, R12 hi,
// BX e, DX end of row, Y12/Y13 yᵢ broadcast, Y14 ones, X15 exag.
TEXT ·attractRowsAVX2(SB), NOSPLIT, $0-64
	MOVQ rowPtr+0(FP), SI
	MOVQ col+8(FP), DI
	MOVQ val+16(FP), R8
	MOVQ y+24(FP), R9
	MOVQ grad+32(FP), R10
	MOVQ lo+40(FP), R11
	MOVQ hi+48(FP), R12
	MOVSD exag+56(FP), X15
	MOVQ $0x3FF0000000000000, AX
	MOVQ AX, X14
	VBROADCASTSD X14, Y14

row:
	CMPQ R11, R12
	JGE done
	MOVQ R11, AX
	SHLQ $4, AX
	VBROADCASTSD (R9)(AX*1), Y12
	VBROADCASTSD 8(R9)(AX*1), Y13
	VXORPD X0, X0, X0
	VXORPD X1, X1, X1
	MOVQ (SI)(R11*8), BX
	MOVQ 8(SI)(R11*8), DX

quad:
	LEAQ 4(BX), AX
	CMPQ AX, DX
	JGT tail
	MOVLQSX (DI)(BX*4), AX
	SHLQ $4, AX
	VMOVUPD (R9)(AX*1), X4
	MOVLQSX 4(DI)(BX*4), CX
	SHLQ $4, CX
	VMOVUPD (R9)(CX*1), X5
	MOVLQSX 8(DI)(BX*4), AX
	SHLQ $4, AX
	VMOVUPD (R9)(AX*1), X6
	MOVLQSX 12(DI)(BX*4), CX
	SHLQ $4, CX
	VMOVUPD (R9)(CX*1), X7
	VUNPCKLPD X5, X4, X8
	VUNPCKHPD X5, X4, X9
	VUNPCKLPD X7, X6, X10
	VUNPCKHPD X7, X6, X11
	VINSERTF128 $1, X10, Y8, Y8
	VINSERTF128 $1, X11, Y9, Y9
	VSUBPD Y8, Y12, Y8 // d0 = yᵢ₀ − y_j0
	VSUBPD Y9, Y13, Y9 // d1
	VMULPD Y8, Y8, Y10
	VADDPD Y14, Y10, Y10 // 1 + d0²
	VMULPD Y9, Y9, Y11
	VADDPD Y11, Y10, Y10 // + d1²
	VDIVPD Y10, Y14, Y10 // w
	VMULPD (R8)(BX*8), Y10, Y10 // p·w
	VMULPD Y10, Y8, Y2 // terms of g0
	VMULPD Y10, Y9, Y3 // terms of g1
	VADDSD X2, X0, X0
	VADDSD X3, X1, X1
	VUNPCKHPD X2, X2, X4
	VUNPCKHPD X3, X3, X5
	VADDSD X4, X0, X0
	VADDSD X5, X1, X1
	VEXTRACTF128 $1, Y2, X6
	VEXTRACTF128 $1, Y3, X7
	VADDSD X6, X0, X0
	VADDSD X7, X1, X1
	VUNPCKHPD X6, X6, X4
	VUNPCKHPD X7, X7, X5
	VADDSD X4, X0, X0
	VADDSD X5, X1, X1
	ADDQ $4, BX
	JMP quad

tail:
	CMPQ BX, DX
	JGE rowdone
	MOVLQSX (DI)(BX*4), AX
	SHLQ $4, AX
	VSUBSD (R9)(AX*1), X12, X4 // d0
	VSUBSD 8(R9)(AX*1), X13, X5 // d1
	VMULSD X4, X4, X6
	VADDSD X14, X6, X6
	VMULSD X5, X5, X7
	VADDSD X7, X6, X6
	VDIVSD X6, X14, X6
	VMULSD (R8)(BX*8), X6, X6
	VMULSD X6, X4, X4
	VADDSD X4, X0, X0
	VMULSD X6, X5, X5
	VADDSD X5, X1, X1
	INCQ BX
	JMP tail

rowdone:
	MOVQ R11, AX
	SHLQ $4, AX
	VMULSD X15, X0, X0
	VADDSD (R10)(AX*1), X0, X0
	VMOVSD X0, (R10)(AX*1)
	VMULSD X15, X1, X1
	VADDSD 8(R10)(AX*1), X1, X1
	VMOVSD X1, 8(R10)(AX*1)
	INCQ R11
	JMP row

done:
	VZEROUPPER
	RET
