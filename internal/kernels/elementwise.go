package kernels

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
		if av := a[i]; av != av || av > b[i] {
			dst[i] = av
		} else {
			dst[i] = b[i]
		}
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
