package kernels

import "math"

// max4 is the NaN-propagating maximum of four values (Go's built-in max
// returns NaN when any argument is NaN).
func max4(a, b, c, d float32) float32 {
	return max(max(a, b), max(c, d))
}

// maxPool2x2RowGo computes one output row of a 2×2, stride-2 max pool from
// input rows r0 and r1: y[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]).
func maxPool2x2RowGo(y, r0, r1 []float32) {
	for i := range y {
		y[i] = max4(r0[2*i], r0[2*i+1], r1[2*i], r1[2*i+1])
	}
}

// maxPool2x2Row is the row kernel in use (assembly where the CPU allows).
var maxPool2x2Row = maxPool2x2RowGo

// MaxPool2x2Row computes one output row of a 2×2, stride-2 max pool from
// input rows r0 and r1 (each at least 2·len(y) long):
// y[i] = max(r0[2i], r0[2i+1], r1[2i], r1[2i+1]), NaN if any of them is NaN.
func MaxPool2x2Row(y, r0, r1 []float32) { maxPool2x2Row(y, r0, r1) }

// MaxNaN is the larger of a and b, NaN if either is: a when a is NaN or
// greater, else b (Vmax's rule, element by element).
func MaxNaN(a, b float32) float32 {
	if a != a || a > b {
		return a
	}
	return b
}

// maxPool3x3s2RowGo computes one output row of a 3×3, stride-2 max pool
// from input rows r0, r1 and r2: y[i] = the maximum of rk[2i], rk[2i+1]
// and rk[2i+2] over the three rows, NaN if any is NaN.
func maxPool3x3s2RowGo(y, r0, r1, r2 []float32) {
	for i := range y {
		c := 2 * i
		m := MaxNaN(MaxNaN(r0[c], r1[c]), r2[c])
		m = MaxNaN(m, MaxNaN(MaxNaN(r0[c+1], r1[c+1]), r2[c+1]))
		y[i] = MaxNaN(m, MaxNaN(MaxNaN(r0[c+2], r1[c+2]), r2[c+2]))
	}
}

// maxPool3x3s2Row is the row kernel in use (assembly where the CPU allows).
var maxPool3x3s2Row = maxPool3x3s2RowGo

// MaxPool3x3s2Row computes one output row of a 3×3, stride-2 max pool from
// input rows r0, r1 and r2 (each at least 2·len(y)+1 long): y[i] = the
// maximum of rk[2i], rk[2i+1] and rk[2i+2] over the three rows, NaN if any
// of them is NaN (a tie of ±0 may give either sign).
func MaxPool3x3s2Row(y, r0, r1, r2 []float32) { maxPool3x3s2Row(y, r0, r1, r2) }

// MaxPool2x2Planes pools the planes lo ≤ pl < hi of x (planes of H×W, H
// and W even) into y (planes of H/2×W/2) with MaxPool2x2Row.
func MaxPool2x2Planes(y, x []float32, lo, hi, H, W int) {
	oh, ow := H/2, W/2
	for pl := lo; pl < hi; pl++ {
		xp := x[pl*H*W : (pl+1)*H*W]
		yp := y[pl*oh*ow : (pl+1)*oh*ow]
		for i := 0; i < oh; i++ {
			maxPool2x2Row(yp[i*ow:(i+1)*ow], xp[2*i*W:(2*i+1)*W], xp[(2*i+1)*W:(2*i+2)*W])
		}
	}
}

// ReluZero is ReLU as gorgonia's Rectify computes it, v·[v ≥ 0]: v for
// v ≥ 0, −0 for v < 0, NaN for NaN.
func ReluZero(v []float32) {
	for i, x := range v {
		if !(x >= 0) {
			v[i] = x * 0
		}
	}
}

// MaxPool2x2GradPlanes is the gradient of MaxPool2x2Planes for the planes
// lo ≤ pl < hi: each dy of a window goes to the window's first maximum in
// row-major order (ties included, as PyTorch's CPU max_pool2d), and the
// rest of dx is zero. With relu set it is the gradient of ReluZero after
// the pool: dy·[max ≥ 0] goes to the first maximum.
func MaxPool2x2GradPlanes(dx, x, dy []float32, lo, hi, H, W int, relu bool) {
	oh, ow := H/2, W/2
	clear(dx[lo*H*W : hi*H*W])
	for pl := lo; pl < hi; pl++ {
		xp, dxp, dyp := x[pl*H*W:(pl+1)*H*W], dx[pl*H*W:(pl+1)*H*W], dy[pl*oh*ow:(pl+1)*oh*ow]
		for i := 0; i < oh; i++ {
			r0, r1 := xp[2*i*W:(2*i+1)*W], xp[(2*i+1)*W:(2*i+2)*W]
			g := dyp[i*ow : (i+1)*ow]
			base := dxp[2*i*W : 2*i*W+W+W]
			for j, gj := range g {
				a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
				// The first maximum in the order a, b, c, d: the first of
				// each pair, then the second pair's only if strictly larger.
				// Branch-free (the outcomes are unpredictable): selects on
				// the float bits.
				c1 := b2u(b > a)
				m01 := selectF(c1, a, b)
				c2 := b2u(d > c)
				m23 := selectF(c2, c, d)
				c3 := b2u(m23 > m01)
				off := int((1-c3)*c1 + c3*(uint32(W)+c2))
				if relu {
					// dy·[max ≥ 0], as the product Rectify's gradient takes.
					gj *= float32(b2u(selectF(c3, m01, m23) >= 0))
				}
				base[2*j+off] += gj
			}
		}
	}
}

// b2u is 1 for true and 0 for false.
func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// selectF returns x when c is 0 and y when c is 1, without a branch.
func selectF(c uint32, x, y float32) float32 {
	ux, uy := math.Float32bits(x), math.Float32bits(y)
	return math.Float32frombits(ux ^ ((ux ^ uy) & -c))
}
