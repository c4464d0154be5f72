//go:build amd64 && !purego

#include "textflag.h"

// The GEMM micro-kernels' mode argument (kernels.modeSet/modeAdd/modeCont):
// 0 starts each chain at bias[i] (0 without a bias) and overwrites C; 1
// starts it there and adds the result to C; 2 starts it from C's current
// value (the chain so far, stored as the float32 it was) and overwrites C,
// so a depth split into blocks gives the bits of one pass.

// func kernel6x32(k int, a, b, c *float32, ldc int, mode uint8, bias, b2 *float32)
//
// Two adjacent 6×16 tiles in one: C[0:6][0:32] (+)= bias[i] + Σ_l a[l*6+i] · B[l][j],
// with columns 0–15 from the B panel at b and 16–31 from the panel at b2.
// Every element is the same chain of fused multiply-adds as in kernel6x16, so the results are
// bit-identical; ZMM registers only halve the instructions.
TEXT ·kernel6x32(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ b2+56(FP), R12
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $2
	JNE kernel6x32_bias
	// Mode 2: continue the chains from C.
	MOVQ DX, R10
	VMOVUPS (R10), Z0
	VMOVUPS 64(R10), Z1
	ADDQ R8, R10
	VMOVUPS (R10), Z2
	VMOVUPS 64(R10), Z3
	ADDQ R8, R10
	VMOVUPS (R10), Z4
	VMOVUPS 64(R10), Z5
	ADDQ R8, R10
	VMOVUPS (R10), Z6
	VMOVUPS 64(R10), Z7
	ADDQ R8, R10
	VMOVUPS (R10), Z8
	VMOVUPS 64(R10), Z9
	ADDQ R8, R10
	VMOVUPS (R10), Z10
	VMOVUPS 64(R10), Z11
	JMP kernel6x32_start

kernel6x32_bias:
	MOVQ bias+48(FP), R11
	TESTQ R11, R11
	JE kernel6x32_zero
	VBROADCASTSS 0(R11), Z0
	VMOVAPS Z0, Z1
	VBROADCASTSS 4(R11), Z2
	VMOVAPS Z2, Z3
	VBROADCASTSS 8(R11), Z4
	VMOVAPS Z4, Z5
	VBROADCASTSS 12(R11), Z6
	VMOVAPS Z6, Z7
	VBROADCASTSS 16(R11), Z8
	VMOVAPS Z8, Z9
	VBROADCASTSS 20(R11), Z10
	VMOVAPS Z10, Z11
	JMP kernel6x32_start

kernel6x32_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

kernel6x32_start:
	TESTQ CX, CX
	JE kernel6x32_store

kernel6x32_loop:
	VMOVUPS (DI), Z28
	VMOVUPS (R12), Z29
	VBROADCASTSS 0(SI), Z30
	VFMADD231PS Z28, Z30, Z0
	VFMADD231PS Z29, Z30, Z1
	VBROADCASTSS 4(SI), Z31
	VFMADD231PS Z28, Z31, Z2
	VFMADD231PS Z29, Z31, Z3
	VBROADCASTSS 8(SI), Z30
	VFMADD231PS Z28, Z30, Z4
	VFMADD231PS Z29, Z30, Z5
	VBROADCASTSS 12(SI), Z31
	VFMADD231PS Z28, Z31, Z6
	VFMADD231PS Z29, Z31, Z7
	VBROADCASTSS 16(SI), Z30
	VFMADD231PS Z28, Z30, Z8
	VFMADD231PS Z29, Z30, Z9
	VBROADCASTSS 20(SI), Z31
	VFMADD231PS Z28, Z31, Z10
	VFMADD231PS Z29, Z31, Z11
	ADDQ $24, SI
	ADDQ $64, DI
	ADDQ $64, R12
	DECQ CX
	JNE kernel6x32_loop

kernel6x32_store:
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $1
	JNE kernel6x32_write
	MOVQ DX, R10
	VADDPS (R10), Z0, Z0
	VADDPS 64(R10), Z1, Z1
	ADDQ R8, R10
	VADDPS (R10), Z2, Z2
	VADDPS 64(R10), Z3, Z3
	ADDQ R8, R10
	VADDPS (R10), Z4, Z4
	VADDPS 64(R10), Z5, Z5
	ADDQ R8, R10
	VADDPS (R10), Z6, Z6
	VADDPS 64(R10), Z7, Z7
	ADDQ R8, R10
	VADDPS (R10), Z8, Z8
	VADDPS 64(R10), Z9, Z9
	ADDQ R8, R10
	VADDPS (R10), Z10, Z10
	VADDPS 64(R10), Z11, Z11

kernel6x32_write:
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z8, (DX)
	VMOVUPS Z9, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z10, (DX)
	VMOVUPS Z11, 64(DX)
	VZEROUPPER
	RET

// func kernel4x32(k int, a, b, c *float32, ldc int, mode uint8, bias, b2 *float32)
//
// Two adjacent 4×16 tiles in one: C[0:4][0:32] (+)= bias[i] + Σ_l a[l*4+i] · B[l][j],
// with columns 0–15 from the B panel at b and 16–31 from the panel at b2.
// Every element is the same chain of fused multiply-adds as in kernel4x16, so the results are
// bit-identical; ZMM registers only halve the instructions.
TEXT ·kernel4x32(SB), NOSPLIT, $0-64
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVQ b2+56(FP), R12
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $2
	JNE kernel4x32_bias
	// Mode 2: continue the chains from C.
	MOVQ DX, R10
	VMOVUPS (R10), Z0
	VMOVUPS 64(R10), Z1
	ADDQ R8, R10
	VMOVUPS (R10), Z2
	VMOVUPS 64(R10), Z3
	ADDQ R8, R10
	VMOVUPS (R10), Z4
	VMOVUPS 64(R10), Z5
	ADDQ R8, R10
	VMOVUPS (R10), Z6
	VMOVUPS 64(R10), Z7
	JMP kernel4x32_start

kernel4x32_bias:
	MOVQ bias+48(FP), R11
	TESTQ R11, R11
	JE kernel4x32_zero
	VBROADCASTSS 0(R11), Z0
	VMOVAPS Z0, Z1
	VBROADCASTSS 4(R11), Z2
	VMOVAPS Z2, Z3
	VBROADCASTSS 8(R11), Z4
	VMOVAPS Z4, Z5
	VBROADCASTSS 12(R11), Z6
	VMOVAPS Z6, Z7
	JMP kernel4x32_start

kernel4x32_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

kernel4x32_start:
	TESTQ CX, CX
	JE kernel4x32_store

kernel4x32_loop:
	VMOVUPS (DI), Z28
	VMOVUPS (R12), Z29
	VBROADCASTSS 0(SI), Z30
	VFMADD231PS Z28, Z30, Z0
	VFMADD231PS Z29, Z30, Z1
	VBROADCASTSS 4(SI), Z31
	VFMADD231PS Z28, Z31, Z2
	VFMADD231PS Z29, Z31, Z3
	VBROADCASTSS 8(SI), Z30
	VFMADD231PS Z28, Z30, Z4
	VFMADD231PS Z29, Z30, Z5
	VBROADCASTSS 12(SI), Z31
	VFMADD231PS Z28, Z31, Z6
	VFMADD231PS Z29, Z31, Z7
	ADDQ $16, SI
	ADDQ $64, DI
	ADDQ $64, R12
	DECQ CX
	JNE kernel4x32_loop

kernel4x32_store:
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $1
	JNE kernel4x32_write
	MOVQ DX, R10
	VADDPS (R10), Z0, Z0
	VADDPS 64(R10), Z1, Z1
	ADDQ R8, R10
	VADDPS (R10), Z2, Z2
	VADDPS 64(R10), Z3, Z3
	ADDQ R8, R10
	VADDPS (R10), Z4, Z4
	VADDPS 64(R10), Z5, Z5
	ADDQ R8, R10
	VADDPS (R10), Z6, Z6
	VADDPS 64(R10), Z7, Z7

kernel4x32_write:
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ R8, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	VZEROUPPER
	RET

// func kernel6x16z(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)
//
// kernel6x16 with one ZMM register per row instead of two YMM: C[0:6][0:16]
// (+)= bias[i] + Σ_l a[l*6+i] · b[l*16+j]. Every element is the same chain of
// fused multiply-adds as in kernel6x16, so the results are bit-identical.
TEXT ·kernel6x16z(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $2
	JNE kernel6x16z_bias
	// Mode 2: continue the chains from C.
	MOVQ DX, R10
	VMOVUPS (R10), Z0
	ADDQ R8, R10
	VMOVUPS (R10), Z1
	ADDQ R8, R10
	VMOVUPS (R10), Z2
	ADDQ R8, R10
	VMOVUPS (R10), Z3
	ADDQ R8, R10
	VMOVUPS (R10), Z4
	ADDQ R8, R10
	VMOVUPS (R10), Z5
	JMP kernel6x16z_start

kernel6x16z_bias:
	MOVQ bias+48(FP), R11
	TESTQ R11, R11
	JE kernel6x16z_zero
	VBROADCASTSS 0(R11), Z0
	VBROADCASTSS 4(R11), Z1
	VBROADCASTSS 8(R11), Z2
	VBROADCASTSS 12(R11), Z3
	VBROADCASTSS 16(R11), Z4
	VBROADCASTSS 20(R11), Z5
	JMP kernel6x16z_start

kernel6x16z_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5

kernel6x16z_start:
	TESTQ CX, CX
	JE kernel6x16z_store

kernel6x16z_loop:
	VMOVUPS (DI), Z12
	VBROADCASTSS 0(SI), Z14
	VFMADD231PS Z12, Z14, Z0
	VBROADCASTSS 4(SI), Z15
	VFMADD231PS Z12, Z15, Z1
	VBROADCASTSS 8(SI), Z14
	VFMADD231PS Z12, Z14, Z2
	VBROADCASTSS 12(SI), Z15
	VFMADD231PS Z12, Z15, Z3
	VBROADCASTSS 16(SI), Z14
	VFMADD231PS Z12, Z14, Z4
	VBROADCASTSS 20(SI), Z15
	VFMADD231PS Z12, Z15, Z5
	ADDQ $24, SI
	ADDQ $64, DI
	DECQ CX
	JNE kernel6x16z_loop

kernel6x16z_store:
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $1
	JNE kernel6x16z_write
	MOVQ DX, R10
	VADDPS (R10), Z0, Z0
	ADDQ R8, R10
	VADDPS (R10), Z1, Z1
	ADDQ R8, R10
	VADDPS (R10), Z2, Z2
	ADDQ R8, R10
	VADDPS (R10), Z3, Z3
	ADDQ R8, R10
	VADDPS (R10), Z4, Z4
	ADDQ R8, R10
	VADDPS (R10), Z5, Z5

kernel6x16z_write:
	VMOVUPS Z0, (DX)
	ADDQ R8, DX
	VMOVUPS Z1, (DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	ADDQ R8, DX
	VMOVUPS Z3, (DX)
	ADDQ R8, DX
	VMOVUPS Z4, (DX)
	ADDQ R8, DX
	VMOVUPS Z5, (DX)
	VZEROUPPER
	RET

// func kernel4x16z(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)
//
// kernel4x16 with one ZMM register per row instead of two YMM: C[0:4][0:16]
// (+)= bias[i] + Σ_l a[l*4+i] · b[l*16+j]. Every element is the same chain of
// fused multiply-adds as in kernel4x16, so the results are bit-identical.
TEXT ·kernel4x16z(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $2
	JNE kernel4x16z_bias
	// Mode 2: continue the chains from C.
	MOVQ DX, R10
	VMOVUPS (R10), Z0
	ADDQ R8, R10
	VMOVUPS (R10), Z1
	ADDQ R8, R10
	VMOVUPS (R10), Z2
	ADDQ R8, R10
	VMOVUPS (R10), Z3
	JMP kernel4x16z_start

kernel4x16z_bias:
	MOVQ bias+48(FP), R11
	TESTQ R11, R11
	JE kernel4x16z_zero
	VBROADCASTSS 0(R11), Z0
	VBROADCASTSS 4(R11), Z1
	VBROADCASTSS 8(R11), Z2
	VBROADCASTSS 12(R11), Z3
	JMP kernel4x16z_start

kernel4x16z_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3

kernel4x16z_start:
	TESTQ CX, CX
	JE kernel4x16z_store

kernel4x16z_loop:
	VMOVUPS (DI), Z12
	VBROADCASTSS 0(SI), Z14
	VFMADD231PS Z12, Z14, Z0
	VBROADCASTSS 4(SI), Z15
	VFMADD231PS Z12, Z15, Z1
	VBROADCASTSS 8(SI), Z14
	VFMADD231PS Z12, Z14, Z2
	VBROADCASTSS 12(SI), Z15
	VFMADD231PS Z12, Z15, Z3
	ADDQ $16, SI
	ADDQ $64, DI
	DECQ CX
	JNE kernel4x16z_loop

kernel4x16z_store:
	MOVBLZX mode+40(FP), R9
	CMPQ R9, $1
	JNE kernel4x16z_write
	MOVQ DX, R10
	VADDPS (R10), Z0, Z0
	ADDQ R8, R10
	VADDPS (R10), Z1, Z1
	ADDQ R8, R10
	VADDPS (R10), Z2, Z2
	ADDQ R8, R10
	VADDPS (R10), Z3, Z3

kernel4x16z_write:
	VMOVUPS Z0, (DX)
	ADDQ R8, DX
	VMOVUPS Z1, (DX)
	ADDQ R8, DX
	VMOVUPS Z2, (DX)
	ADDQ R8, DX
	VMOVUPS Z3, (DX)
	VZEROUPPER
	RET

// func kernel6x32r(k int, a *float32, src unsafe.Pointer, kOff *int32, c0, c8, c16, c24 int, c *float32, ldc int, bias *float32)
//
// kernel6x32 with B read from the image instead of a packed panel: for tap
// l, columns 0–7, 8–15, 16–23 and 24–31 of B row l are the 8 floats at
// src + kOff[l] + c0, c8, c16 and c24 (elements). C[0:6][0:32] = bias[i] +
// Σ_l a[l*6+i]·B[l][j] (C overwritten); the same chains of fused
// multiply-adds as kernel6x32 on the gathered panels, so the same bits.
TEXT ·kernel6x32r(SB), NOSPLIT, $0-88
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ src+16(FP), DI
	MOVQ kOff+24(FP), R8
	MOVQ c0+32(FP), R9
	SHLQ $2, R9
	MOVQ c8+40(FP), R10
	SHLQ $2, R10
	MOVQ c16+48(FP), R12
	SHLQ $2, R12
	MOVQ c24+56(FP), R13
	SHLQ $2, R13
	MOVQ bias+80(FP), R11
	TESTQ R11, R11
	JE kernel6x32r_zero
	VBROADCASTSS 0(R11), Z0
	VMOVAPS Z0, Z1
	VBROADCASTSS 4(R11), Z2
	VMOVAPS Z2, Z3
	VBROADCASTSS 8(R11), Z4
	VMOVAPS Z4, Z5
	VBROADCASTSS 12(R11), Z6
	VMOVAPS Z6, Z7
	VBROADCASTSS 16(R11), Z8
	VMOVAPS Z8, Z9
	VBROADCASTSS 20(R11), Z10
	VMOVAPS Z10, Z11
	JMP kernel6x32r_start

kernel6x32r_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11

kernel6x32r_start:
	TESTQ CX, CX
	JE kernel6x32r_store

kernel6x32r_loop:
	MOVLQSX (R8), AX
	LEAQ (DI)(AX*4), BX
	VMOVUPS (BX)(R9*1), Y12
	VINSERTF64X4 $1, (BX)(R10*1), Z12, Z12
	VMOVUPS (BX)(R12*1), Y13
	VINSERTF64X4 $1, (BX)(R13*1), Z13, Z13
	VBROADCASTSS 0(SI), Z14
	VFMADD231PS Z12, Z14, Z0
	VFMADD231PS Z13, Z14, Z1
	VBROADCASTSS 4(SI), Z15
	VFMADD231PS Z12, Z15, Z2
	VFMADD231PS Z13, Z15, Z3
	VBROADCASTSS 8(SI), Z16
	VFMADD231PS Z12, Z16, Z4
	VFMADD231PS Z13, Z16, Z5
	VBROADCASTSS 12(SI), Z17
	VFMADD231PS Z12, Z17, Z6
	VFMADD231PS Z13, Z17, Z7
	VBROADCASTSS 16(SI), Z18
	VFMADD231PS Z12, Z18, Z8
	VFMADD231PS Z13, Z18, Z9
	VBROADCASTSS 20(SI), Z19
	VFMADD231PS Z12, Z19, Z10
	VFMADD231PS Z13, Z19, Z11
	ADDQ $24, SI
	ADDQ $4, R8
	DECQ CX
	JNE kernel6x32r_loop

kernel6x32r_store:
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), R11
	SHLQ $2, R11
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z8, (DX)
	VMOVUPS Z9, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z10, (DX)
	VMOVUPS Z11, 64(DX)
	VZEROUPPER
	RET

// func kernel4x32r(k int, a *float32, src unsafe.Pointer, kOff *int32, c0, c8, c16, c24 int, c *float32, ldc int, bias *float32)
//
// kernel4x32 with B read from the image instead of a packed panel: for tap
// l, columns 0–7, 8–15, 16–23 and 24–31 of B row l are the 8 floats at
// src + kOff[l] + c0, c8, c16 and c24 (elements). C[0:4][0:32] = bias[i] +
// Σ_l a[l*4+i]·B[l][j] (C overwritten); the same chains of fused
// multiply-adds as kernel4x32 on the gathered panels, so the same bits.
TEXT ·kernel4x32r(SB), NOSPLIT, $0-88
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ src+16(FP), DI
	MOVQ kOff+24(FP), R8
	MOVQ c0+32(FP), R9
	SHLQ $2, R9
	MOVQ c8+40(FP), R10
	SHLQ $2, R10
	MOVQ c16+48(FP), R12
	SHLQ $2, R12
	MOVQ c24+56(FP), R13
	SHLQ $2, R13
	MOVQ bias+80(FP), R11
	TESTQ R11, R11
	JE kernel4x32r_zero
	VBROADCASTSS 0(R11), Z0
	VMOVAPS Z0, Z1
	VBROADCASTSS 4(R11), Z2
	VMOVAPS Z2, Z3
	VBROADCASTSS 8(R11), Z4
	VMOVAPS Z4, Z5
	VBROADCASTSS 12(R11), Z6
	VMOVAPS Z6, Z7
	JMP kernel4x32r_start

kernel4x32r_zero:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

kernel4x32r_start:
	TESTQ CX, CX
	JE kernel4x32r_store

kernel4x32r_loop:
	MOVLQSX (R8), AX
	LEAQ (DI)(AX*4), BX
	VMOVUPS (BX)(R9*1), Y12
	VINSERTF64X4 $1, (BX)(R10*1), Z12, Z12
	VMOVUPS (BX)(R12*1), Y13
	VINSERTF64X4 $1, (BX)(R13*1), Z13, Z13
	VBROADCASTSS 0(SI), Z14
	VFMADD231PS Z12, Z14, Z0
	VFMADD231PS Z13, Z14, Z1
	VBROADCASTSS 4(SI), Z15
	VFMADD231PS Z12, Z15, Z2
	VFMADD231PS Z13, Z15, Z3
	VBROADCASTSS 8(SI), Z16
	VFMADD231PS Z12, Z16, Z4
	VFMADD231PS Z13, Z16, Z5
	VBROADCASTSS 12(SI), Z17
	VFMADD231PS Z12, Z17, Z6
	VFMADD231PS Z13, Z17, Z7
	ADDQ $16, SI
	ADDQ $4, R8
	DECQ CX
	JNE kernel4x32r_loop

kernel4x32r_store:
	MOVQ c+64(FP), DX
	MOVQ ldc+72(FP), R11
	SHLQ $2, R11
	VMOVUPS Z0, (DX)
	VMOVUPS Z1, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z2, (DX)
	VMOVUPS Z3, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z4, (DX)
	VMOVUPS Z5, 64(DX)
	ADDQ R11, DX
	VMOVUPS Z6, (DX)
	VMOVUPS Z7, 64(DX)
	VZEROUPPER
	RET

// func kernel6x32p(k int, src unsafe.Pointer, kOff, pos *int32, b, b2, c *float32, ldc int, bias *float32)
//
// kernel6x32 with A read from the image instead of a packed panel, for the
// transposed product Yᵀ = Xcolᵀ·Wᵀ of a convolution: A[i][l], tap l of
// output position i, is the float at src + pos[i] + kOff[l] (elements) for
// the six positions i < 6. Columns 0–15 come from the B panel at b and
// 16–31 from the panel at b2. With a bias, each chain starts at its
// column's bias (bias[0:32]); without, it continues from C. C is
// overwritten. The chains are those of kernel6x32 on the gathered panels,
// so the same bits.
TEXT ·kernel6x32p(SB), NOSPLIT, $0-72
	MOVQ bias+64(FP), AX
	TESTQ AX, AX
	JE kernel6x32p_cont
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	VMOVAPS Z0, Z2
	VMOVAPS Z1, Z3
	VMOVAPS Z0, Z4
	VMOVAPS Z1, Z5
	VMOVAPS Z0, Z6
	VMOVAPS Z1, Z7
	VMOVAPS Z0, Z8
	VMOVAPS Z1, Z9
	VMOVAPS Z0, Z10
	VMOVAPS Z1, Z11
	JMP kernel6x32p_setup

kernel6x32p_cont:
	MOVQ c+48(FP), AX
	MOVQ ldc+56(FP), R13
	SHLQ $2, R13
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	ADDQ R13, AX
	VMOVUPS (AX), Z2
	VMOVUPS 64(AX), Z3
	ADDQ R13, AX
	VMOVUPS (AX), Z4
	VMOVUPS 64(AX), Z5
	ADDQ R13, AX
	VMOVUPS (AX), Z6
	VMOVUPS 64(AX), Z7
	ADDQ R13, AX
	VMOVUPS (AX), Z8
	VMOVUPS 64(AX), Z9
	ADDQ R13, AX
	VMOVUPS (AX), Z10
	VMOVUPS 64(AX), Z11

kernel6x32p_setup:
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
	MOVQ b2+40(FP), R12
	TESTQ CX, CX
	JE kernel6x32p_store

kernel6x32p_loop:
	MOVLQSX (R8), AX
	VMOVUPS (SI), Z28
	VMOVUPS (R12), Z29
	VBROADCASTSS (BX)(AX*4), Z30
	VFMADD231PS Z28, Z30, Z0
	VFMADD231PS Z29, Z30, Z1
	VBROADCASTSS (DX)(AX*4), Z31
	VFMADD231PS Z28, Z31, Z2
	VFMADD231PS Z29, Z31, Z3
	VBROADCASTSS (DI)(AX*4), Z30
	VFMADD231PS Z28, Z30, Z4
	VFMADD231PS Z29, Z30, Z5
	VBROADCASTSS (R9)(AX*4), Z31
	VFMADD231PS Z28, Z31, Z6
	VFMADD231PS Z29, Z31, Z7
	VBROADCASTSS (R10)(AX*4), Z30
	VFMADD231PS Z28, Z30, Z8
	VFMADD231PS Z29, Z30, Z9
	VBROADCASTSS (R11)(AX*4), Z31
	VFMADD231PS Z28, Z31, Z10
	VFMADD231PS Z29, Z31, Z11
	ADDQ $4, R8
	ADDQ $64, SI
	ADDQ $64, R12
	DECQ CX
	JNE kernel6x32p_loop

kernel6x32p_store:
	MOVQ c+48(FP), AX
	MOVQ ldc+56(FP), R13
	SHLQ $2, R13
	VMOVUPS Z0, (AX)
	VMOVUPS Z1, 64(AX)
	ADDQ R13, AX
	VMOVUPS Z2, (AX)
	VMOVUPS Z3, 64(AX)
	ADDQ R13, AX
	VMOVUPS Z4, (AX)
	VMOVUPS Z5, 64(AX)
	ADDQ R13, AX
	VMOVUPS Z6, (AX)
	VMOVUPS Z7, 64(AX)
	ADDQ R13, AX
	VMOVUPS Z8, (AX)
	VMOVUPS Z9, 64(AX)
	ADDQ R13, AX
	VMOVUPS Z10, (AX)
	VMOVUPS Z11, 64(AX)
	VZEROUPPER
	RET
