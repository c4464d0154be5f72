package kernels

import "fmt"

// ReluInPlace sets x = max(x, 0) with Go's semantics (NaN stays NaN, −0
// becomes +0), in assembly where the CPU allows.
func ReluInPlace(x []float32) { reluInPlace(x) }

var reluInPlace = reluInPlaceGo

func reluInPlaceGo(x []float32) {
	for i, v := range x {
		x[i] = max(v, 0)
	}
}

// Vmax sets dst[i] = a[i] when a[i] is NaN or greater than b[i], and b[i]
// otherwise (so a NaN in either propagates), for i < len(dst); dst may be
// a or b. In assembly where the CPU allows.
func Vmax(dst, a, b []float32) { vmax(dst, a, b) }

var vmax = vmaxGo

func vmaxGo(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = MaxNaN(a[i], b[i])
	}
}

// ScaleShift sets dst[i] = a·src[i] + b for i < len(dst) (dst may be src),
// rounding the product before the sum (never a fused multiply-add, whatever
// the compiler's target), in assembly where the CPU allows.
func ScaleShift(dst, src []float32, a, b float32) { scaleShift(dst, src, a, b) }

var scaleShift = scaleShiftGo

func scaleShiftGo(dst, src []float32, a, b float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = float32(a*v) + b
	}
}

// MulAdd sets y[i] += a·x[i] for i < len(y), rounding the product before
// the sum (never a fused multiply-add, whatever the compiler's target), in
// assembly where the CPU allows: one tap of a depthwise convolution over a
// whole plane.
func MulAdd(y, x []float32, a float32) { mulAdd(y, x, a) }

var mulAdd = mulAddGo

func mulAddGo(y, x []float32, a float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] += float32(a * v)
	}
}

// Clip sets dst[i] = lo if src[i] < lo, hi if src[i] > hi, and src[i]
// otherwise, for i < len(dst) (dst may be src): ONNX's Clip, NaN and −0
// passing through as they are. In assembly where the CPU allows.
func Clip(dst, src []float32, lo, hi float32) { clip(dst, src, lo, hi) }

var clip = clipGo

func clipGo(dst, src []float32, lo, hi float32) {
	src = src[:len(dst)]
	for i, v := range src {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		dst[i] = v
	}
}

// Deinterleave splits src into its even and odd elements: even[i] =
// src[2i] for i < len(even) and odd[i] = src[2i+1] for i < len(odd), with
// len(even) = ⌈len(src)/2⌉ and len(odd) = ⌊len(src)/2⌋ (a stride-2
// convolution's input columns by parity). In assembly where the CPU
// allows.
func Deinterleave(even, odd, src []float32) {
	if len(even) != (len(src)+1)/2 || len(odd) != len(src)/2 {
		panic(fmt.Sprintf("kernels: Deinterleave: %d values into %d even and %d odd", len(src), len(even), len(odd)))
	}
	deinterleave(even, odd, src)
}

var deinterleave = deinterleaveGo

func deinterleaveGo(even, odd, src []float32) {
	for i := range odd {
		even[i], odd[i] = src[2*i], src[2*i+1]
	}
	if len(even) > len(odd) {
		even[len(odd)] = src[2*len(odd)]
	}
}

// Transpose sets dst[m·ldd + i] = src[i·lds + m] for m < rows and i < p,
// or max(·, 0) of it with relu (NaN stays NaN, −0 becomes +0, as
// ReluInPlace): the transposed output of a convolution computed as
// Yᵀ = Xcolᵀ·Wᵀ, put back as channels × positions. In AVX2 assembly where
// the CPU allows, 8×8 blocks at a time.
func Transpose(dst []float32, ldd int, src []float32, lds int, rows, p int, relu bool) {
	if rows <= 0 || p <= 0 {
		return
	}
	if len(dst) < (rows-1)*ldd+p || len(src) < (p-1)*lds+rows {
		panic(fmt.Sprintf("kernels: Transpose: %d×%d into %d floats (stride %d) from %d (stride %d)", rows, p, len(dst), ldd, len(src), lds))
	}
	r8, p8 := 0, 0
	if useAsm && ldd >= 8 && lds >= 8 {
		r8, p8 = rows&^7, p&^7
		for i0 := 0; i0 < p8 && r8 > 0; i0 += 8 {
			transpose8(dst[i0:], ldd, src[i0*lds:], lds, r8/8, relu)
		}
	}
	if r8 < rows { // the last rows mod 8
		transposeGo(dst[r8*ldd:], ldd, src[r8:], lds, rows-r8, p8, relu)
	}
	if p8 < p { // the last positions mod 8
		transposeGo(dst[p8:], ldd, src[p8*lds:], lds, rows, p-p8, relu)
	}
}

// transposeGo is Transpose in Go, in blocks of 16 positions so that the 16
// rows of src being read stay in L1 while each of their cache lines serves
// 16 outputs.
func transposeGo(dst []float32, ldd int, src []float32, lds int, rows, p int, relu bool) {
	const blk = 16
	for i0 := 0; i0 < p; i0 += blk {
		i1 := min(i0+blk, p)
		for m := 0; m < rows; m++ {
			d := dst[m*ldd+i0 : m*ldd+i1]
			if relu {
				for i := range d {
					d[i] = max(src[(i0+i)*lds+m], 0)
				}
				continue
			}
			for i := range d {
				d[i] = src[(i0+i)*lds+m]
			}
		}
	}
}
