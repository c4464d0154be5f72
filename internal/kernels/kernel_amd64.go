//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)

//go:noescape
func kernel4x16(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)

//go:noescape
func kernel6x32(k int, a, b, c *float32, ldc int, mode uint8, bias, b2 *float32)

//go:noescape
func kernel4x32(k int, a, b, c *float32, ldc int, mode uint8, bias, b2 *float32)

//go:noescape
func kernel6x32r(k int, a *float32, src unsafe.Pointer, kOff *int32, c0, c8, c16, c24 int, c *float32, ldc int, bias *float32)

//go:noescape
func kernel4x32r(k int, a *float32, src unsafe.Pointer, kOff *int32, c0, c8, c16, c24 int, c *float32, ldc int, bias *float32)

//go:noescape
func kernel6x16z(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)

//go:noescape
func kernel4x16z(k int, a, b, c *float32, ldc int, mode uint8, bias *float32)

//go:noescape
func reluAVX2(x *float32, n int)

//go:noescape
func vmaxAVX2(dst, a, b *float32, n int)

//go:noescape
func scaleShiftAVX2(dst, src *float32, n int, a, b float32)

//go:noescape
func gatherRuns16(out, src unsafe.Pointer, kOff *int32, k int, c0, c8 int)

//go:noescape
func gatherStride2x16(out, src unsafe.Pointer, kOff *int32, k int, c0 int)

//go:noescape
func maxPool2x2AVX2(dst, r0, r1 *float32, n int)

// microKernel2Asm computes the two adjacent h×NR tiles of the B panels b
// and b2 (h = MR or MR4) with the AVX-512 kernels.
func microKernel2Asm(h, k int, a, b, b2 []float32, c []float32, ldc int, mode uint8, bias []float32) {
	if k < 1 || ldc < 2*NR || len(b2) < k*NR || !kernelArgsOK(h, k, a, b, c[NR:], ldc, bias) {
		microKernelGoH(h, k, a, b, c, ldc, mode, bias)
		microKernelGoH(h, k, a, b2, c[NR:], ldc, mode, bias)
		return
	}
	if h == MR {
		kernel6x32(k, &a[0], &b[0], &c[0], ldc, mode, biasPtr(bias), &b2[0])
	} else {
		kernel4x32(k, &a[0], &b[0], &c[0], ldc, mode, biasPtr(bias), &b2[0])
	}
}

// microKernelAsm is microKernelGo in AVX2/FMA assembly.
func microKernelAsm(k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	if k < 1 || !kernelArgsOK(MR, k, a, b, c, ldc, bias) {
		microKernelGo(k, a, b, c, ldc, mode, bias)
		return
	}
	kernel6x16(k, &a[0], &b[0], &c[0], ldc, mode, biasPtr(bias))
}

// microKernel512 is microKernelGoH (h = MR or MR4) in AVX-512 assembly, one
// ZMM register per row.
func microKernel512(h, k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	if k < 1 || !kernelArgsOK(h, k, a, b, c, ldc, bias) {
		microKernelGoH(h, k, a, b, c, ldc, mode, bias)
		return
	}
	if h == MR {
		kernel6x16z(k, &a[0], &b[0], &c[0], ldc, mode, biasPtr(bias))
	} else {
		kernel4x16z(k, &a[0], &b[0], &c[0], ldc, mode, biasPtr(bias))
	}
}

// microKernel4Asm is microKernel4Go in AVX2/FMA assembly.
func microKernel4Asm(k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	if k < 1 || !kernelArgsOK(MR4, k, a, b, c, ldc, bias) {
		microKernel4Go(k, a, b, c, ldc, mode, bias)
		return
	}
	kernel4x16(k, &a[0], &b[0], &c[0], ldc, mode, biasPtr(bias))
}

// kernelArgsOK checks the operand lengths the assembly relies on (the Go
// kernel, which bounds-checks, handles anything else).
func kernelArgsOK(h, k int, a, b, c []float32, ldc int, bias []float32) bool {
	return len(a) >= k*h && len(b) >= k*NR && ldc >= NR && len(c) >= (h-1)*ldc+NR && (bias == nil || len(bias) >= h)
}

func biasPtr(bias []float32) *float32 {
	if bias == nil {
		return nil
	}
	return &bias[0]
}

const asmName = "avx2-fma"

func init() {
	// x/sys/cpu reports a feature only when the OS saves its registers.
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		useAsm = true
		useAsm512 = cpu.X86.HasAVX512F
		maxPool2x2Row = maxPool2x2RowAVX2
		maxPool3x3s2Row = maxPool3x3s2RowAVX2
		reluInPlace = reluInPlaceAVX2
		vmax = vmaxAVX2Slices
		scaleShift = scaleShiftAVX2Slices
		mulAdd = mulAddAVX2Slices
		clip = clipAVX2Slices
		deinterleave = deinterleaveAVX2Slices
		gatherRuns = gatherRunsAVX2
		gatherStride2 = gatherStride2AVX2
	}
}

// maxPool2x2RowAVX2 is maxPool2x2RowGo with the first n − n mod 4 outputs
// in AVX2 assembly.
func maxPool2x2RowAVX2(y, r0, r1 []float32) {
	n := len(y) &^ 3
	if n > 0 && len(r0) >= 2*n && len(r1) >= 2*n {
		maxPool2x2AVX2(&y[0], &r0[0], &r1[0], n)
	} else {
		n = 0
	}
	maxPool2x2RowGo(y[n:], r0[2*n:], r1[2*n:])
}

// reluInPlaceAVX2 is reluInPlaceGo with all but the last n mod 8 elements
// in AVX2 assembly.
func reluInPlaceAVX2(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		reluAVX2(&x[0], n)
	}
	reluInPlaceGo(x[n:])
}

// vmaxAVX2Slices is vmaxGo with all but the last n mod 8 elements in AVX2
// assembly.
func vmaxAVX2Slices(dst, a, b []float32) {
	n := len(dst) &^ 7
	if n > 0 && len(a) >= n && len(b) >= n {
		vmaxAVX2(&dst[0], &a[0], &b[0], n)
	} else {
		n = 0
	}
	vmaxGo(dst[n:], a[n:], b[n:])
}

// scaleShiftAVX2Slices is scaleShiftGo with all but the last n mod 8
// elements in AVX2 assembly.
func scaleShiftAVX2Slices(dst, src []float32, a, b float32) {
	n := len(dst) &^ 7
	if n > 0 && len(src) >= n {
		scaleShiftAVX2(&dst[0], &src[0], n, a, b)
	} else {
		n = 0
	}
	scaleShiftGo(dst[n:], src[n:], a, b)
}

// gatherRunsAVX2 is gatherRunsGo in AVX2 assembly.
func gatherRunsAVX2(panel []float32, sp unsafe.Pointer, kOff []int32, c0, c8 int32) {
	if len(kOff) == 0 || len(panel) < NR*len(kOff) {
		gatherRunsGo(panel, sp, kOff, c0, c8)
		return
	}
	gatherRuns16(unsafe.Pointer(&panel[0]), sp, &kOff[0], len(kOff), int(c0), int(c8))
}

// gatherStride2AVX2 is gatherStride2Go in AVX2 assembly.
func gatherStride2AVX2(panel []float32, sp unsafe.Pointer, kOff []int32, c0 int32) {
	if len(kOff) == 0 || len(panel) < NR*len(kOff) {
		gatherStride2Go(panel, sp, kOff, c0)
		return
	}
	gatherStride2x16(unsafe.Pointer(&panel[0]), sp, &kOff[0], len(kOff), int(c0))
}

// runsKernel computes one h×32 tile (h = MR or MR4) of A times the two B
// panels whose four half rows start at cols (see GemmRuns) with the AVX-512
// assembly; the caller has checked every operand.
func runsKernel(h, k int, a []float32, src []float32, kOff []int32, cols [4]int32, c []float32, ldc int, bias []float32) {
	bp := biasPtr(bias)
	if h == MR {
		kernel6x32r(k, &a[0], unsafe.Pointer(&src[0]), &kOff[0], int(cols[0]), int(cols[1]), int(cols[2]), int(cols[3]), &c[0], ldc, bp)
	} else {
		kernel4x32r(k, &a[0], unsafe.Pointer(&src[0]), &kOff[0], int(cols[0]), int(cols[1]), int(cols[2]), int(cols[3]), &c[0], ldc, bp)
	}
}

//go:noescape
func kernel6x32p(k int, src unsafe.Pointer, kOff, pos *int32, b, b2, c *float32, ldc int, bias *float32)

//go:noescape
func kernel6x16p(k int, src unsafe.Pointer, kOff, pos *int32, b, c *float32, ldc int, bias *float32)

// directKernel computes the MR×2NR tile of the positions pos[0:MR] of
// GemmDirectT's product with the assembly: one AVX-512 kernel for both
// panels, or the AVX2 one per panel. The caller has checked every operand.
func directKernel(k int, src []float32, kOff, pos []int32, bp, bp2 []float32, c []float32, ldc int, bias []float32) {
	if useAsm512 {
		kernel6x32p(k, unsafe.Pointer(&src[0]), &kOff[0], &pos[0], &bp[0], &bp2[0], &c[0], ldc, biasPtr(bias))
		return
	}
	var b2 *float32
	if bias != nil {
		b2 = &bias[NR]
	}
	kernel6x16p(k, unsafe.Pointer(&src[0]), &kOff[0], &pos[0], &bp[0], &c[0], ldc, biasPtr(bias))
	kernel6x16p(k, unsafe.Pointer(&src[0]), &kOff[0], &pos[0], &bp2[0], &c[NR], ldc, b2)
}

//go:noescape
func transpose8x8s(dst *float32, ldd int, src *float32, lds int, n int, relu bool)

// transpose8 transposes n 8×8 blocks along src's rows (see Transpose,
// which has checked the bounds) in AVX2 assembly.
func transpose8(dst []float32, ldd int, src []float32, lds int, n int, relu bool) {
	transpose8x8s(&dst[0], ldd, &src[0], lds, n, relu)
}

//go:noescape
func maxPool3x3s2(y, r0, r1, r2 *float32, n int)

// maxPool3x3s2RowAVX2 is maxPool3x3s2RowGo in AVX2 assembly, 8 outputs at
// a time; a row not a multiple of 8 long ends with the last 8 outputs
// computed again (the same values), and one shorter than 8 runs in Go.
func maxPool3x3s2RowAVX2(y, r0, r1, r2 []float32) {
	n := len(y)
	if need := 2*n + 1; n < 8 || len(r0) < need || len(r1) < need || len(r2) < need {
		maxPool3x3s2RowGo(y, r0, r1, r2)
		return
	}
	maxPool3x3s2(&y[0], &r0[0], &r1[0], &r2[0], n/8)
	if t := n - 8; n%8 != 0 {
		maxPool3x3s2(&y[t], &r0[2*t], &r1[2*t], &r2[2*t], 1)
	}
}

//go:noescape
func mulAddAVX2(y, x *float32, n int, a float32)

// mulAddAVX2Slices is mulAddGo with all but the last n mod 8 elements in
// AVX2 assembly.
func mulAddAVX2Slices(y, x []float32, a float32) {
	n := len(y) &^ 7
	if n > 0 && len(x) >= n {
		mulAddAVX2(&y[0], &x[0], n, a)
	} else {
		n = 0
	}
	mulAddGo(y[n:], x[n:], a)
}

//go:noescape
func clipAVX2(dst, src *float32, n int, lo, hi float32)

// clipAVX2Slices is clipGo with all but the last n mod 8 elements in AVX2
// assembly.
func clipAVX2Slices(dst, src []float32, lo, hi float32) {
	n := len(dst) &^ 7
	if n > 0 && len(src) >= n {
		clipAVX2(&dst[0], &src[0], n, lo, hi)
	} else {
		n = 0
	}
	clipGo(dst[n:], src[n:], lo, hi)
}

//go:noescape
func deinterleaveAVX2(even, odd, src *float32, n int)

// deinterleaveAVX2Slices is deinterleaveGo with the first 8·⌊len(odd)/8⌋
// pairs in AVX2 assembly.
func deinterleaveAVX2Slices(even, odd, src []float32) {
	n := len(odd) / 8
	if n > 0 && len(even) >= 8*n && len(src) >= 16*n {
		deinterleaveAVX2(&even[0], &odd[0], &src[0], n)
	} else {
		n = 0
	}
	deinterleaveGo(even[8*n:], odd[8*n:], src[16*n:])
}
