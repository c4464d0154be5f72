//go:build amd64 && !purego

#include "textflag.h"

// The GEMM micro-kernels' mode argument (kernels.modeSet/modeAdd/modeCont):
// 0 starts each chain at bias[i] (0 without a bias) and overwrites C; 1
// starts it there and adds the result to C; 2 starts it from C's current
// value (the chain so far, stored as the float32 it was) and overwrites C,
// so a depth split into blocks gives the bits of one pass.

// func kernel6x16(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)
//
// C[0:6][0:16] (+)= bias[i] + Σ_l a[l*6+i] · b[l*16+j], with C rows ldc
// floats apart (no bias when bias is nil).
// Twelve YMM accumulators hold the tile; per l, two YMM loads of b and six
// broadcasts of a feed twelve FMAs.
TEXT ·kernel6x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $2
	JNE kernel6x16_bias
	// Mode 2: continue the chains from C.
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	LEAQ (DX)(R8*1), R10
	VMOVUPS (R10), Y2
	VMOVUPS 32(R10), Y3
	ADDQ R8, R10
	VMOVUPS (R10), Y4
	VMOVUPS 32(R10), Y5
	ADDQ R8, R10
	VMOVUPS (R10), Y6
	VMOVUPS 32(R10), Y7
	ADDQ R8, R10
	VMOVUPS (R10), Y8
	VMOVUPS 32(R10), Y9
	ADDQ R8, R10
	VMOVUPS (R10), Y10
	VMOVUPS 32(R10), Y11
	JMP start

kernel6x16_bias:
	MOVQ bias+48(FP), R11
	TESTQ R11, R11
	JE zero
	VBROADCASTSS (R11), Y0
	VMOVAPS Y0, Y1
	VBROADCASTSS 4(R11), Y2
	VMOVAPS Y2, Y3
	VBROADCASTSS 8(R11), Y4
	VMOVAPS Y4, Y5
	VBROADCASTSS 12(R11), Y6
	VMOVAPS Y6, Y7
	VBROADCASTSS 16(R11), Y8
	VMOVAPS Y8, Y9
	VBROADCASTSS 20(R11), Y10
	VMOVAPS Y10, Y11
	JMP start

zero:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

start:
	TESTQ CX, CX
	JE store

loop:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS 8(SI), Y14
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS 16(SI), Y14
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VBROADCASTSS 20(SI), Y15
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNE loop

store:
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $1
	JNE write
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	LEAQ (DX)(R8*1), R10
	VADDPS (R10), Y2, Y2
	VADDPS 32(R10), Y3, Y3
	ADDQ R8, R10
	VADDPS (R10), Y4, Y4
	VADDPS 32(R10), Y5, Y5
	ADDQ R8, R10
	VADDPS (R10), Y6, Y6
	VADDPS 32(R10), Y7, Y7
	ADDQ R8, R10
	VADDPS (R10), Y8, Y8
	VADDPS 32(R10), Y9, Y9
	ADDQ R8, R10
	VADDPS (R10), Y10, Y10
	VADDPS 32(R10), Y11, Y11

write:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y8, (DX)
	VMOVUPS Y9, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y10, (DX)
	VMOVUPS Y11, 32(DX)
	VZEROUPPER
	RET

// func kernel4x16(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)
//
// kernel6x16 for a 4-row A panel (a advances 16 bytes per l).
TEXT ·kernel4x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $2
	JNE kernel4x16_bias
	// Mode 2: continue the chains from C.
	VMOVUPS (DX), Y0
	VMOVUPS 32(DX), Y1
	LEAQ (DX)(R8*1), R10
	VMOVUPS (R10), Y2
	VMOVUPS 32(R10), Y3
	ADDQ R8, R10
	VMOVUPS (R10), Y4
	VMOVUPS 32(R10), Y5
	ADDQ R8, R10
	VMOVUPS (R10), Y6
	VMOVUPS 32(R10), Y7
	JMP start4

kernel4x16_bias:
	MOVQ bias+48(FP), R11
	TESTQ R11, R11
	JE zero4
	VBROADCASTSS (R11), Y0
	VMOVAPS Y0, Y1
	VBROADCASTSS 4(R11), Y2
	VMOVAPS Y2, Y3
	VBROADCASTSS 8(R11), Y4
	VMOVAPS Y4, Y5
	VBROADCASTSS 12(R11), Y6
	VMOVAPS Y6, Y7
	JMP start4

zero4:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7

start4:
	TESTQ CX, CX
	JE store4

loop4:
	VMOVUPS (DI), Y12
	VMOVUPS 32(DI), Y13
	VBROADCASTSS (SI), Y14
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VBROADCASTSS 4(SI), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS 8(SI), Y14
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VBROADCASTSS 12(SI), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	ADDQ $16, SI
	ADDQ $64, DI
	DECQ CX
	JNE loop4

store4:
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $1
	JNE write4
	VADDPS (DX), Y0, Y0
	VADDPS 32(DX), Y1, Y1
	LEAQ (DX)(R8*1), R10
	VADDPS (R10), Y2, Y2
	VADDPS 32(R10), Y3, Y3
	ADDQ R8, R10
	VADDPS (R10), Y4, Y4
	VADDPS 32(R10), Y5, Y5
	ADDQ R8, R10
	VADDPS (R10), Y6, Y6
	VADDPS 32(R10), Y7, Y7

write4:
	VMOVUPS Y0, (DX)
	VMOVUPS Y1, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y2, (DX)
	VMOVUPS Y3, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y4, (DX)
	VMOVUPS Y5, 32(DX)
	ADDQ R8, DX
	VMOVUPS Y6, (DX)
	VMOVUPS Y7, 32(DX)
	VZEROUPPER
	RET

// func maxPool2x2AVX2(dst, r0, r1 *float32, n int)
//
// dst[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]) for 0 ≤ i < n, n a
// multiple of 4, with NaN propagated like Go's max: MAXPS returns its second
// operand when either is NaN, so a NaN first operand is blended back in.
TEXT ·maxPool2x2AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DX
	MOVQ n+24(FP), CX
	MOVQ CX, BX
	SHRQ $3, CX
	JE tail4

loop8:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DX), Y4
	VMOVUPS 32(DX), Y5
	VMAXPS Y4, Y0, Y6
	VCMPPS $3, Y0, Y0, Y8
	VBLENDVPS Y8, Y0, Y6, Y6
	VMAXPS Y5, Y1, Y7
	VCMPPS $3, Y1, Y1, Y8
	VBLENDVPS Y8, Y1, Y7, Y7
	VSHUFPS $0x88, Y7, Y6, Y0
	VSHUFPS $0xDD, Y7, Y6, Y1
	VMAXPS Y1, Y0, Y2
	VCMPPS $3, Y0, Y0, Y8
	VBLENDVPS Y8, Y0, Y2, Y2
	VPERMPD $0xD8, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $32, DI
	DECQ CX
	JNE loop8

tail4:
	ANDQ $4, BX
	JE done
	VMOVUPS (SI), X0
	VMOVUPS 16(SI), X1
	VMOVUPS (DX), X4
	VMOVUPS 16(DX), X5
	VMAXPS X4, X0, X6
	VCMPPS $3, X0, X0, X8
	VBLENDVPS X8, X0, X6, X6
	VMAXPS X5, X1, X7
	VCMPPS $3, X1, X1, X8
	VBLENDVPS X8, X1, X7, X7
	VSHUFPS $0x88, X7, X6, X0
	VSHUFPS $0xDD, X7, X6, X1
	VMAXPS X1, X0, X2
	VCMPPS $3, X0, X0, X8
	VBLENDVPS X8, X0, X2, X2
	VMOVUPS X2, (DI)

done:
	VZEROUPPER
	RET

// func reluAVX2(x *float32, n int)
//
// x[i] = max(x[i], 0) for i < n, n a multiple of 8, with Go's semantics:
// NaN stays NaN and −0 becomes +0. VMAXPS returns its second source when
// either is NaN or both are zero, so max(x, +0) gives +0 for ±0 and NaN
// lanes are put back from x by an unordered-compare blend.
TEXT ·reluAVX2(SB), NOSPLIT, $0-16
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	SHRQ $3, CX
	JE reludone
	VXORPS Y0, Y0, Y0

reluloop:
	VMOVUPS (DI), Y1
	VMAXPS Y0, Y1, Y2
	VCMPPS $3, Y1, Y1, Y3
	VBLENDVPS Y3, Y1, Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, DI
	DECQ CX
	JNE reluloop
	VZEROUPPER

reludone:
	RET

// func vmaxAVX2(dst, a, b *float32, n int)
//
// dst[i] = a[i] if a[i] is NaN or a[i] > b[i], else b[i], for i < n (n a
// multiple of 8): VMAXPS returns its second source for NaNs and ties, and
// NaN lanes of a are put back by an unordered-compare blend.
TEXT ·vmaxAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JE vmaxdone

vmaxloop:
	VMOVUPS (SI), Y1
	VMOVUPS (DI), Y2
	VMAXPS Y2, Y1, Y3
	VCMPPS $3, Y1, Y1, Y4
	VBLENDVPS Y4, Y1, Y3, Y3
	VMOVUPS Y3, (DX)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNE vmaxloop
	VZEROUPPER

vmaxdone:
	RET

// func gatherRuns16(out, src unsafe.Pointer, kOff *int32, k int, c0, c8 int)
//
// For l < k: out[16l : 16l+8] = src[kOff[l]+c0 : +8] and
// out[16l+8 : 16l+16] = src[kOff[l]+c8 : +8] (float32 elements, offsets
// in elements): the im2col gather of one packed panel whose two halves are
// contiguous runs.
TEXT ·gatherRuns16(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kOff+16(FP), R8
	MOVQ k+24(FP), CX
	MOVQ c0+32(FP), R9
	MOVQ c8+40(FP), R10
	SHLQ $2, R9
	SHLQ $2, R10
	TESTQ CX, CX
	JE gatherdone

gatherloop:
	MOVLQSX (R8), AX
	LEAQ (SI)(AX*4), BX
	VMOVUPS (BX)(R9*1), Y0
	VMOVUPS (BX)(R10*1), Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $4, R8
	ADDQ $64, DI
	DECQ CX
	JNE gatherloop
	VZEROUPPER

gatherdone:
	RET

// func scaleShiftAVX2(dst, src *float32, n int, a, b float32)
//
// dst[i] = a·src[i] + b for i < n, n a multiple of 8, the product rounded
// before the sum (VMULPS then VADDPS, not a fused multiply-add) like
// scaleShiftGo.
TEXT ·scaleShiftAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JE ssdone
	VBROADCASTSS a+24(FP), Y1
	VBROADCASTSS b+28(FP), Y2

ssloop:
	VMULPS (SI), Y1, Y0
	VADDPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNE ssloop
	VZEROUPPER

ssdone:
	RET

// func gatherStride2x16(out, src unsafe.Pointer, kOff *int32, k int, c0 int)
//
// For l < k: out[16l+j] = src[kOff[l]+c0+2j], j < 16 (float32 elements,
// offsets in elements): the im2col gather of one packed panel whose 16
// columns are every other float of one run, as along an output row of a
// stride-2 window. Reads src[kOff[l]+c0 : +32] (one float past the last
// one used).
TEXT ·gatherStride2x16(SB), NOSPLIT, $0-40
	MOVQ out+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kOff+16(FP), R8
	MOVQ k+24(FP), CX
	MOVQ c0+32(FP), R9
	SHLQ $2, R9
	ADDQ R9, SI
	TESTQ CX, CX
	JE s2done

s2loop:
	MOVLQSX (R8), AX
	LEAQ (SI)(AX*4), BX
	VMOVUPS (BX), Y0
	VMOVUPS 32(BX), Y1
	VMOVUPS 64(BX), Y2
	VMOVUPS 96(BX), Y3
	VSHUFPS $0x88, Y1, Y0, Y4
	VPERMPD $0xD8, Y4, Y4
	VSHUFPS $0x88, Y3, Y2, Y5
	VPERMPD $0xD8, Y5, Y5
	VMOVUPS Y4, (DI)
	VMOVUPS Y5, 32(DI)
	ADDQ $4, R8
	ADDQ $64, DI
	DECQ CX
	JNE s2loop
	VZEROUPPER

s2done:
	RET

// RELU8(r) sets r = max(r, 0) with Y0 = 0, keeping NaNs (as reluAVX2), in
// Y1 and Y2.
#define RELU8(r) VMAXPS Y0, r, Y1; VCMPPS $3, r, r, Y2; VBLENDVPS Y2, r, Y1, r

// func transpose8x8s(dst *float32, ldd int, src *float32, lds int, n int, relu bool)
//
// n blocks of 8×8 along src's rows: for block b, dst[(8b+m)·ldd + i] =
// src[i·lds + 8b + m] for i, m < 8, and max(·, 0) of it with relu (NaN
// stays NaN, −0 becomes +0, as reluAVX2). Rows are unpacked in pairs,
// shuffled in fours and their 128-bit halves exchanged.
TEXT ·transpose8x8s(SB), NOSPLIT, $0-41
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), R9
	SHLQ $2, R9
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), R8
	SHLQ $2, R8
	MOVQ n+32(FP), CX
	MOVBLZX relu+40(FP), DX
	TESTQ CX, CX
	JE tr8done

tr8loop:
	MOVQ SI, AX
	VMOVUPS (AX), Y0
	ADDQ R8, AX
	VMOVUPS (AX), Y1
	ADDQ R8, AX
	VMOVUPS (AX), Y2
	ADDQ R8, AX
	VMOVUPS (AX), Y3
	ADDQ R8, AX
	VMOVUPS (AX), Y4
	ADDQ R8, AX
	VMOVUPS (AX), Y5
	ADDQ R8, AX
	VMOVUPS (AX), Y6
	ADDQ R8, AX
	VMOVUPS (AX), Y7
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xEE, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xEE, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xEE, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xEE, Y15, Y13, Y7
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15
	TESTQ DX, DX
	JE tr8store
	VXORPS Y0, Y0, Y0
	RELU8(Y8)
	RELU8(Y9)
	RELU8(Y10)
	RELU8(Y11)
	RELU8(Y12)
	RELU8(Y13)
	RELU8(Y14)
	RELU8(Y15)

tr8store:
	MOVQ DI, AX
	VMOVUPS Y8, (AX)
	ADDQ R9, AX
	VMOVUPS Y9, (AX)
	ADDQ R9, AX
	VMOVUPS Y10, (AX)
	ADDQ R9, AX
	VMOVUPS Y11, (AX)
	ADDQ R9, AX
	VMOVUPS Y12, (AX)
	ADDQ R9, AX
	VMOVUPS Y13, (AX)
	ADDQ R9, AX
	VMOVUPS Y14, (AX)
	ADDQ R9, AX
	VMOVUPS Y15, (AX)
	ADDQ $32, SI
	LEAQ (AX)(R9*1), DI
	DECQ CX
	JNE tr8loop
	VZEROUPPER

tr8done:
	RET

// func kernel6x16p(k int, src unsafe.Pointer, kOff, pos *int32, b, c *float32, ldc int, bias *float32)
//
// kernel6x16 with A read from the image instead of a packed panel (the
// AVX2 form of kernel6x32p, one B panel): A[i][l] is the float at src +
// pos[i] + kOff[l] for the six positions i < 6. With a bias, each chain
// starts at its column's bias (bias[0:16]); without, it continues from C.
// C is overwritten. The chains are those of kernel6x16 on the gathered
// panel, so the same bits.
TEXT ·kernel6x16p(SB), NOSPLIT, $0-64
	MOVQ bias+56(FP), AX
	TESTQ AX, AX
	JE kernel6x16p_cont
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	VMOVAPS Y0, Y2
	VMOVAPS Y1, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y0, Y6
	VMOVAPS Y1, Y7
	VMOVAPS Y0, Y8
	VMOVAPS Y1, Y9
	VMOVAPS Y0, Y10
	VMOVAPS Y1, Y11
	JMP kernel6x16p_setup

kernel6x16p_cont:
	MOVQ c+40(FP), AX
	MOVQ ldc+48(FP), R13
	SHLQ $2, R13
	VMOVUPS (AX), Y0
	VMOVUPS 32(AX), Y1
	ADDQ R13, AX
	VMOVUPS (AX), Y2
	VMOVUPS 32(AX), Y3
	ADDQ R13, AX
	VMOVUPS (AX), Y4
	VMOVUPS 32(AX), Y5
	ADDQ R13, AX
	VMOVUPS (AX), Y6
	VMOVUPS 32(AX), Y7
	ADDQ R13, AX
	VMOVUPS (AX), Y8
	VMOVUPS 32(AX), Y9
	ADDQ R13, AX
	VMOVUPS (AX), Y10
	VMOVUPS 32(AX), Y11

kernel6x16p_setup:
	// One base pointer per position.
	MOVQ src+8(FP), R13
	MOVQ pos+24(FP), AX
	MOVLQSX 0(AX), BX
	LEAQ (R13)(BX*4), BX
	MOVLQSX 4(AX), DX
	LEAQ (R13)(DX*4), DX
	MOVLQSX 8(AX), DI
	LEAQ (R13)(DI*4), DI
	MOVLQSX 12(AX), R9
	LEAQ (R13)(R9*4), R9
	MOVLQSX 16(AX), R10
	LEAQ (R13)(R10*4), R10
	MOVLQSX 20(AX), R11
	LEAQ (R13)(R11*4), R11
	MOVQ k+0(FP), CX
	MOVQ kOff+16(FP), R8
	MOVQ b+32(FP), SI
	TESTQ CX, CX
	JE kernel6x16p_store

kernel6x16p_loop:
	MOVLQSX (R8), AX
	VMOVUPS (SI), Y12
	VMOVUPS 32(SI), Y13
	VBROADCASTSS (BX)(AX*4), Y14
	VFMADD231PS Y12, Y14, Y0
	VFMADD231PS Y13, Y14, Y1
	VBROADCASTSS (DX)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y2
	VFMADD231PS Y13, Y15, Y3
	VBROADCASTSS (DI)(AX*4), Y14
	VFMADD231PS Y12, Y14, Y4
	VFMADD231PS Y13, Y14, Y5
	VBROADCASTSS (R9)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y6
	VFMADD231PS Y13, Y15, Y7
	VBROADCASTSS (R10)(AX*4), Y14
	VFMADD231PS Y12, Y14, Y8
	VFMADD231PS Y13, Y14, Y9
	VBROADCASTSS (R11)(AX*4), Y15
	VFMADD231PS Y12, Y15, Y10
	VFMADD231PS Y13, Y15, Y11
	ADDQ $4, R8
	ADDQ $64, SI
	DECQ CX
	JNE kernel6x16p_loop

kernel6x16p_store:
	MOVQ c+40(FP), AX
	MOVQ ldc+48(FP), R13
	SHLQ $2, R13
	VMOVUPS Y0, (AX)
	VMOVUPS Y1, 32(AX)
	ADDQ R13, AX
	VMOVUPS Y2, (AX)
	VMOVUPS Y3, 32(AX)
	ADDQ R13, AX
	VMOVUPS Y4, (AX)
	VMOVUPS Y5, 32(AX)
	ADDQ R13, AX
	VMOVUPS Y6, (AX)
	VMOVUPS Y7, 32(AX)
	ADDQ R13, AX
	VMOVUPS Y8, (AX)
	VMOVUPS Y9, 32(AX)
	ADDQ R13, AX
	VMOVUPS Y10, (AX)
	VMOVUPS Y11, 32(AX)
	VZEROUPPER
	RET

// VMAXNAN(a, b, d, t) sets d = a if a is NaN or a > b, else b (vmaxAVX2's
// rule), using t; d must not be a.
#define VMAXNAN(a, b, d, t) VMAXPS b, a, d; VCMPPS $3, a, a, t; VBLENDVPS t, a, d, d

// The lanes 1…7, 7: even columns shifted down by one.
DATA shiftDown1<>+0(SB)/4, $1
DATA shiftDown1<>+4(SB)/4, $2
DATA shiftDown1<>+8(SB)/4, $3
DATA shiftDown1<>+12(SB)/4, $4
DATA shiftDown1<>+16(SB)/4, $5
DATA shiftDown1<>+20(SB)/4, $6
DATA shiftDown1<>+24(SB)/4, $7
DATA shiftDown1<>+28(SB)/4, $7
GLOBL shiftDown1<>(SB), RODATA, $32

// func maxPool3x3s2(y, r0, r1, r2 *float32, n int)
//
// n groups of 8 outputs of a 3×3, stride-2 max pool row: y[i] = the
// NaN-propagating maximum of rk[2i], rk[2i+1], rk[2i+2] over the rows
// r0, r1, r2 (each read up to column 16n). Per group: the column maxima of
// the three rows over 16 columns and the 17th, split into even and odd
// columns (shuffle, then 64-bit permute), the even ones shifted down a lane
// with the 17th column put last, and the three combined.
TEXT ·maxPool3x3s2(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DX
	MOVQ r0+8(FP), SI
	MOVQ r1+16(FP), DI
	MOVQ r2+24(FP), R8
	MOVQ n+32(FP), CX
	TESTQ CX, CX
	JE mp3done
	VMOVUPS shiftDown1<>(SB), Y15

mp3loop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VMOVUPS (DI), Y2
	VMOVUPS 32(DI), Y3
	VMOVUPS (R8), Y4
	VMOVUPS 32(R8), Y5
	VMAXNAN(Y0, Y2, Y6, Y14)
	VMAXNAN(Y6, Y4, Y7, Y14)
	VMAXNAN(Y1, Y3, Y6, Y14)
	VMAXNAN(Y6, Y5, Y8, Y14)
	VBROADCASTSS 64(SI), Y0
	VBROADCASTSS 64(DI), Y2
	VBROADCASTSS 64(R8), Y4
	VMAXNAN(Y0, Y2, Y6, Y14)
	VMAXNAN(Y6, Y4, Y9, Y14)
	VSHUFPS $0x88, Y8, Y7, Y10
	VPERMPD $0xD8, Y10, Y10
	VSHUFPS $0xDD, Y8, Y7, Y11
	VPERMPD $0xD8, Y11, Y11
	VPERMPS Y10, Y15, Y12
	VBLENDPS $0x80, Y9, Y12, Y12
	VMAXNAN(Y10, Y11, Y13, Y14)
	VMAXNAN(Y13, Y12, Y6, Y14)
	VMOVUPS Y6, (DX)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $32, DX
	DECQ CX
	JNE mp3loop
	VZEROUPPER

mp3done:
	RET

// func mulAddAVX2(y, x *float32, n int, a float32)
//
// y[i] += a·x[i] for i < n (n a multiple of 8), the product rounded before
// the sum (VMULPS, then VADDPS: never fused), 16 at a time where it can.
TEXT ·mulAddAVX2(SB), NOSPLIT, $0-28
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Y0
	SHRQ $3, CX
	JE madone
	TESTQ $1, CX
	JE mapairs
	VMULPS (SI), Y0, Y1
	VADDPS (DI), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JE madone

mapairs:
	SHRQ $1, CX

maloop:
	VMULPS (SI), Y0, Y1
	VMULPS 32(SI), Y0, Y2
	VADDPS (DI), Y1, Y1
	VADDPS 32(DI), Y2, Y2
	VMOVUPS Y1, (DI)
	VMOVUPS Y2, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	DECQ CX
	JNE maloop

madone:
	VZEROUPPER
	RET

// func clipAVX2(dst, src *float32, n int, lo, hi float32)
//
// dst[i] = lo if src[i] < lo, else hi if src[i] > hi, else src[i], for
// i < n (n a multiple of 8): VMAXPS returns its second source (the value)
// for a NaN or a tie, and so does VMINPS, so NaN and −0 pass as in Go.
TEXT ·clipAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JE clipdone
	VBROADCASTSS lo+24(FP), Y1
	VBROADCASTSS hi+28(FP), Y2

cliploop:
	VMOVUPS (SI), Y0
	VMAXPS Y0, Y1, Y0
	VMINPS Y0, Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	DECQ CX
	JNE cliploop
	VZEROUPPER

clipdone:
	RET

// func deinterleaveAVX2(even, odd, src *float32, n int)
//
// even[i] = src[2i] and odd[i] = src[2i+1] for i < 8n: 16 floats at a
// time split by a shuffle per 128-bit lane and a 64-bit permute.
TEXT ·deinterleaveAVX2(SB), NOSPLIT, $0-32
	MOVQ even+0(FP), DI
	MOVQ odd+8(FP), DX
	MOVQ src+16(FP), SI
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JE dilvdone

dilvloop:
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VSHUFPS $0x88, Y1, Y0, Y2
	VPERMPD $0xD8, Y2, Y2
	VSHUFPS $0xDD, Y1, Y0, Y3
	VPERMPD $0xD8, Y3, Y3
	VMOVUPS Y2, (DI)
	VMOVUPS Y3, (DX)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, DX
	DECQ CX
	JNE dilvloop
	VZEROUPPER

dilvdone:
	RET
