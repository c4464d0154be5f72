package cells

import "math"

// DeepMind's GridScorer rotates the autocorrelogram with
// scipy.ndimage.rotate(sac, θ, reshape=False): a cubic B-spline
// (order 3) whose coefficients are computed with mirror boundaries, sampled
// with mirror-mapped indices, and 0 (cval) where the source coordinate lies
// outside [0, size−1]. This file implements that interpolation (Unser,
// Aldroubi & Eden 1991, "Fast B-spline transforms for continuous image
// representation and interpolation") for CompatDeepMind.

// splinePole is the pole of the cubic B-spline prefilter, √3 − 2.
var splinePole = math.Sqrt(3) - 2

// prefilterLine replaces the samples c by cubic B-spline coefficients with
// mirror-symmetric boundary conditions (period 2n−2).
func prefilterLine(c []float64) {
	n := len(c)
	if n < 2 {
		return
	}
	z := splinePole
	gain := (1 - z) * (1 - 1/z)
	for i := range c {
		c[i] *= gain
	}
	// causal initialisation: one period of the mirrored sequence
	zn1 := math.Pow(z, float64(n-1))
	c0 := c[0] + zn1*c[n-1]
	zi := z
	for i := 1; i < n-1; i++ {
		c0 += zi * (c[i] + zn1*c[n-1-i])
		zi *= z
	}
	c[0] = c0 / (1 - zn1*zn1)
	for i := 1; i < n; i++ {
		c[i] += z * c[i-1]
	}
	c[n-1] = (z*c[n-2] + c[n-1]) * z / (z*z - 1)
	for i := n - 2; i >= 0; i-- {
		c[i] = z * (c[i+1] - c[i])
	}
}

// prefilter2D converts the size×size array a into spline coefficients in
// place, along rows and then columns; line is scratch of length size.
func prefilter2D(a []float64, size int, line []float64) {
	for r := 0; r < size; r++ {
		prefilterLine(a[r*size : r*size+size])
	}
	for c := 0; c < size; c++ {
		for r := 0; r < size; r++ {
			line[r] = a[r*size+c]
		}
		prefilterLine(line[:size])
		for r := 0; r < size; r++ {
			a[r*size+c] = line[r]
		}
	}
}

// cubicWeights returns the cubic B-spline weights for the samples
// floor(x)−1 … floor(x)+2.
func cubicWeights(x float64) (w [4]float64) {
	t := x - math.Floor(x)
	z := 1 - t
	w[0] = z * z * z / 6
	w[1] = (t*t*(t-2)*3 + 4) / 6
	w[2] = (z*z*(z-2)*3 + 4) / 6
	w[3] = 1 - w[0] - w[1] - w[2]
	return w
}

// mirrorIndex maps an index outside [0, n) by mirroring about the end
// samples (period 2n−2).
func mirrorIndex(i, n int) int {
	if n <= 1 {
		return 0
	}
	s2 := 2*n - 2
	if i < 0 {
		i = -i % s2
	} else {
		i %= s2
	}
	if i >= n {
		i = s2 - i
	}
	return i
}

// cubicTap is one cubic-spline sample of the rotated autocorrelogram.
type cubicTap struct {
	idx [16]int32
	w   [16]float64
	out bool // source outside the array: value 0
}

func cubicTapAt(sy, sx float64, size int) cubicTap {
	var t cubicTap
	lim := float64(size - 1)
	if sy < 0 || sy > lim || sx < 0 || sx > lim {
		t.out = true
		return t
	}
	wy, wx := cubicWeights(sy), cubicWeights(sx)
	y0, x0 := int(math.Floor(sy))-1, int(math.Floor(sx))-1
	k := 0
	for a := 0; a < 4; a++ {
		yy := mirrorIndex(y0+a, size)
		for b := 0; b < 4; b++ {
			xx := mirrorIndex(x0+b, size)
			t.idx[k] = int32(yy*size + xx)
			t.w[k] = wy[a] * wx[b]
			k++
		}
	}
	return t
}
