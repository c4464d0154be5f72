package cells

import "math"

// BinSums returns S_i = Σ a_k over the points k in bin i (spec §1.3), into
// dst (length N·N, allocated when nil). Points outside the range are
// skipped. Preconditions: len(acts) == f.K.
func (f *Frame) BinSums(dst, acts []float64) []float64 {
	if dst == nil {
		dst = make([]float64, f.N*f.N)
	}
	clear(dst)
	for k, b := range f.Bin {
		if b >= 0 {
			dst[b] += acts[k]
		}
	}
	return dst
}

// RawMap returns the binned mean λ_i = S_i / C_i (DeepMind
// calculate_ratemap, spec §1.3 school 1), NaN where C_i < minCount. It is
// the map used for scoring. dst may be nil.
func (f *Frame) RawMap(dst, acts []float64, minCount int) []float64 {
	dst = f.BinSums(dst, acts)
	rawFromSums(dst, dst, f.Count, minCount)
	return dst
}

func rawFromSums(dst, sums, count []float64, minCount int) {
	for i, c := range count {
		if c >= float64(minCount) && c > 0 {
			dst[i] = sums[i] / c
		} else {
			dst[i] = math.NaN()
		}
	}
}

// SmoothMap returns the smooth-then-divide map λ_i = (G∗S)_i / (G∗C)_i
// (Nadaraya–Watson, CINPLA/BNT; spec §1.3 school 2) with G the separable
// Gaussian of standard deviation sigma bins sampled at integer offsets
// |d| ≤ int(4σ + 0.5) with zero padding (scipy gaussian_filter,
// mode='constant', truncate=4), NaN where C_i < minCount. Bins below
// minCount contribute neither to S nor to C. sigma = 0 returns the raw map.
func (f *Frame) SmoothMap(dst, acts []float64, sigma float64, minCount int) []float64 {
	n := f.N
	s := f.BinSums(nil, acts)
	c := make([]float64, n*n)
	for i, ci := range f.Count {
		if ci >= float64(minCount) && ci > 0 {
			c[i] = ci
		} else {
			s[i] = 0
		}
	}
	if dst == nil {
		dst = make([]float64, n*n)
	}
	if sigma == 0 {
		rawFromSums(dst, s, f.Count, minCount)
		return dst
	}
	k := GaussianKernel(sigma)
	tmp := make([]float64, n*n)
	gs := make([]float64, n*n)
	gc := make([]float64, n*n)
	Smooth2D(gs, s, tmp, n, k)
	Smooth2D(gc, c, tmp, n, k)
	for i := range dst {
		if c[i] > 0 {
			dst[i] = gs[i] / gc[i]
		} else {
			dst[i] = math.NaN()
		}
	}
	return dst
}

// GaussianKernel returns the normalised weights exp(−d²/(2σ²)) for
// d = −R…R, R = int(4σ + 0.5) (scipy.ndimage.gaussian_filter1d,
// truncate = 4). Preconditions: sigma > 0.
func GaussianKernel(sigma float64) []float64 {
	r := int(4*sigma + 0.5)
	k := make([]float64, 2*r+1)
	sum := 0.0
	for d := -r; d <= r; d++ {
		w := math.Exp(-0.5 / (sigma * sigma) * float64(d*d))
		k[d+r] = w
		sum += w
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// Smooth2D convolves the n×n array src with the separable kernel k (odd
// length, centred) along rows (axis 0) then columns (axis 1) with zero
// padding, writing dst; tmp is scratch of length n·n. NaN inputs propagate.
func Smooth2D(dst, src, tmp []float64, n int, k []float64) {
	r := len(k) / 2
	// axis 0 (along the row index)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			s := 0.0
			for d := -r; d <= r; d++ {
				ii := i + d
				if ii < 0 || ii >= n {
					continue
				}
				s += k[d+r] * src[ii*n+j]
			}
			tmp[i*n+j] = s
		}
	}
	for i := 0; i < n; i++ {
		row := tmp[i*n : i*n+n]
		for j := 0; j < n; j++ {
			s := 0.0
			for d := -r; d <= r; d++ {
				jj := j + d
				if jj < 0 || jj >= n {
					continue
				}
				s += k[d+r] * row[jj]
			}
			dst[i*n+j] = s
		}
	}
}
