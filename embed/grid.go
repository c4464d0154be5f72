package embed

import (
	"math"
	"runtime"

	"github.com/conceptcells/conceptcells/internal/fft"
	"github.com/conceptcells/conceptcells/internal/par"
)

// gridRepulsion evaluates the t-SNE repulsive field of a 2-D point set by
// polynomial interpolation on a regular grid and FFT convolution, as in
// FIt-SNE (Linderman, Rachh, Hoskins, Steinerberger & Kluger 2019,
// doi:10.1038/s41592-018-0308-4). For each point i it returns
//
//	φ₁(i) = Σ_j K₂(yᵢ−yⱼ),  φ_y(i) = Σ_j K₂(yᵢ−yⱼ) yⱼ
//
// (and φ_x like φ_y; sums include j = i) with K₂(r) = 1/(1+|r|²)², and the
// total Σ_i ψ(i), ψ(i) = Σ_j K₁(yᵢ−yⱼ) with K₁(r) = 1/(1+|r|²). Charges are
// spread to the G×G grid nodes of spacing h with tensor-product Lagrange
// weights on the order×order nodes around each point, convolved with the
// kernels sampled on the grid (zero-padded circular convolution of size
// M = 2G, M a 2,3,5-smooth number so that the grid grows in small steps,
// transformed with internal/fft), and interpolated back with the same
// weights. The interpolation error is O(h^order) relative to the kernel's
// length scale 1.
//
// The three charge grids (1, y_x, y_y) and the three fields are real, so
// they take one and a half complex transforms each way: 1 + i·y_x is one
// complex grid; y_y goes by pairs of rows (fft.SplitReal, fft.JoinReal) and
// only the M/2+1 columns of its Hermitian half spectrum. ψ is needed only
// summed over the points, and spreading and interpolation share their
// weights, so Σ_i ψ(i) is the inner product of the unit charges Q with
// K₁∗Q, taken in the frequency domain without a transform back (Parseval:
// M⁻² Σ_k |Q̂(k)|² K̂₁(k)).
type gridRepulsion struct {
	maxSpacing float64
	order      int // interpolation nodes per dimension (even, ≥ 4)
	m, g       int
	h          float64
	f          *fft.Plan
	k1, k2     []float64    // real kernel spectra, M×M
	a          []complex128 // 1 + i·y_x charges, then their spectrum, then φ₁ + iφ_x (M×M)
	hb         []complex128 // y_y's half spectrum, then φ_y's (M×(M/2+1))
	qy, py     []float64    // y_y charges and φ_y on the G×G grid

	// work holds one working buffer per chunk of the transforms, kept from
	// call to call (750 iterations each transform some hundred columns in
	// blocks); see chunks.
	work [][]complex128
}

// chunks prepares a working buffer of n values (old contents garbage) for
// each of the GOMAXPROCS chunks a transform loop is cut into, and returns
// their number.
func (gr *gridRepulsion) chunks(n int) int {
	c := runtime.GOMAXPROCS(0)
	for len(gr.work) < c {
		gr.work = append(gr.work, nil)
	}
	for i := range c {
		if cap(gr.work[i]) < n {
			gr.work[i] = make([]complex128, n)
		}
		gr.work[i] = gr.work[i][:n]
	}
	return c
}

// minGrid is the fewest nodes per dimension: a grid of 32×32 (M = 64)
// holds the early, compact embedding at a spacing well below maxSpacing.
const minGrid = 32

// colBlock is the number of columns gathered into one interleaved batch for
// the column transforms.
const colBlock = 16

// prepare sizes the grid for points spanning [lo, lo+extent] in both axes.
func (gr *gridRepulsion) prepare(extent float64) {
	if gr.order == 0 {
		gr.order = 4
	}
	margin := gr.order + 2
	need := minGrid
	if !(extent <= float64(1<<20)*gr.maxSpacing) { // NaN or absurdly wide
		extent = float64(1<<20) * gr.maxSpacing
	}
	if c := int(math.Ceil(extent/gr.maxSpacing)) + margin; c > need {
		need = c
	}
	m := fft.FastLen(2 * need)
	if m%2 == 1 {
		m = fft.FastLen(m + 1)
	}
	g := m / 2
	// Use the whole grid (finer spacing is more accurate and costs
	// nothing), but only spacings on the ladder maxSpacing·1.1^−j, so the
	// kernel spectra are recomputed only when the extent crosses a rung.
	h := gr.maxSpacing
	if need := extent / float64(g-margin); need < h && need > 0 {
		j := math.Floor(math.Log(h/need) / math.Log(1.1))
		h *= math.Pow(1.1, -j)
		for h < need {
			h *= 1.1
		}
	}
	if h <= 0 || math.IsNaN(h) {
		h = 1e-12
	}
	if gr.m == m && gr.h == h {
		return
	}
	if gr.m != m {
		gr.m, gr.g = m, g
		gr.f = fft.New(m)
		gr.k1 = make([]float64, m*m)
		gr.k2 = make([]float64, m*m)
		gr.a = make([]complex128, m*m)
		gr.hb = make([]complex128, m*(m/2+1))
		gr.qy = make([]float64, g*g)
		gr.py = make([]float64, g*g)
	}
	gr.h = h
	// Both kernels are real and even, so their spectra are real: transform
	// K₁ + iK₂ once and split real and imaginary parts.
	buf := gr.a
	for r := 0; r < m; r++ {
		dy := float64(r)
		if r > g {
			dy = float64(r - m)
		}
		for c := 0; c < m; c++ {
			dx := float64(c)
			if c > g {
				dx = float64(c - m)
			}
			q := 1 / (1 + h*h*(dx*dx+dy*dy))
			buf[r*m+c] = complex(q, q*q)
		}
	}
	gr.fft2(buf, m)
	for i, v := range buf {
		gr.k1[i] = real(v)
		gr.k2[i] = imag(v)
	}
}

// fft2 transforms rows [0, rowsIn) then all columns (forward). Rows at or
// beyond rowsIn must be zero.
func (gr *gridRepulsion) fft2(a []complex128, rowsIn int) {
	gr.rows(a, rowsIn, false)
	gr.columns(a, gr.m, gr.m, false)
}

// ifft2 inverse-transforms all columns then rows [0, rowsOut), unscaled.
func (gr *gridRepulsion) ifft2(a []complex128, rowsOut int) {
	gr.columns(a, gr.m, gr.m, true)
	gr.rows(a, rowsOut, true)
}

func (gr *gridRepulsion) rows(a []complex128, rows int, inverse bool) {
	m := gr.m
	par.Chunks(rows, gr.chunks(m), func(c, lo, hi int) {
		scratch := gr.work[c]
		for r := lo; r < hi; r++ {
			gr.f.Transform(a[r*m:(r+1)*m], scratch, 1, inverse)
		}
	})
}

// columns transforms the first cols columns of the M-row array a (row
// stride stride), colBlock at a time: each block is gathered into a buffer
// of interleaved sequences (row t of the block at t·w), transformed at once
// and scattered back.
func (gr *gridRepulsion) columns(a []complex128, stride, cols int, inverse bool) {
	m := gr.m
	blocks := (cols + colBlock - 1) / colBlock
	par.Chunks(blocks, gr.chunks(2*colBlock*m), func(c, lo, hi int) {
		buf, scratch := gr.work[c][:colBlock*m], gr.work[c][colBlock*m:]
		for cb := lo; cb < hi; cb++ {
			c0 := cb * colBlock
			w := min(colBlock, cols-c0)
			for r := 0; r < m; r++ {
				copy(buf[r*w:(r+1)*w], a[r*stride+c0:r*stride+c0+w])
			}
			gr.f.Transform(buf[:w*m], scratch, w, inverse)
			for r := 0; r < m; r++ {
				copy(a[r*stride+c0:r*stride+c0+w], buf[r*w:(r+1)*w])
			}
		}
	})
}

// realForward fills hb with the half spectrum (columns 0 … M/2) of the
// real G×G grid q zero-padded to M×M: rows two at a time as one complex
// transform (fft.SplitReal), then the M/2+1 columns.
func (gr *gridRepulsion) realForward(q []float64, hb []complex128) {
	m, g, hw := gr.m, gr.g, gr.m/2+1
	clear(hb[g*hw:]) // the padding rows (g even), or all but the last pair's second row
	par.Chunks((g+1)/2, gr.chunks(2*m), func(c, lo, hi int) {
		z, scratch := gr.work[c][:m], gr.work[c][m:]
		for pr := lo; pr < hi; pr++ {
			r := 2 * pr
			r1 := q[r*g : (r+1)*g]
			clear(z[g:])
			if r+1 < g {
				r2 := q[(r+1)*g : (r+2)*g]
				for c := range r1 {
					z[c] = complex(r1[c], r2[c])
				}
			} else {
				for c := range r1 {
					z[c] = complex(r1[c], 0)
				}
			}
			gr.f.Transform(z, scratch, 1, false)
			fft.SplitReal(z, hb[r*hw:(r+1)*hw], hb[(r+1)*hw:(r+2)*hw])
		}
	})
	gr.columns(hb, hw, hw, false)
}

// realInverse inverse-transforms the half spectrum hb (overwritten) of a
// real M×M array, unscaled, into its G×G corner p: the M/2+1 columns, then
// rows two at a time (fft.JoinReal).
func (gr *gridRepulsion) realInverse(hb []complex128, p []float64) {
	m, g, hw := gr.m, gr.g, gr.m/2+1
	gr.columns(hb, hw, hw, true)
	par.Chunks((g+1)/2, gr.chunks(2*m), func(c, lo, hi int) {
		z, scratch := gr.work[c][:m], gr.work[c][m:]
		for pr := lo; pr < hi; pr++ {
			r := 2 * pr
			fft.JoinReal(hb[r*hw:(r+1)*hw], hb[(r+1)*hw:(r+2)*hw], z)
			gr.f.Transform(z, scratch, 1, true)
			o1 := p[r*g : (r+1)*g]
			for c := range o1 {
				o1[c] = real(z[c])
			}
			if r+1 < g {
				o2 := p[(r+1)*g : (r+2)*g]
				for c := range o2 {
					o2[c] = imag(z[c])
				}
			}
		}
	})
}

// lagrangeDenoms returns, for the p nodes −(p/2−1), …, p/2, the reciprocal
// 1/Π_{b≠a}(x_a − x_b) of each node's Lagrange denominator.
func lagrangeDenoms(p int) []float64 {
	inv := make([]float64, p)
	for a := 0; a < p; a++ {
		v := 1.0
		for b := 0; b < p; b++ {
			if b != a {
				v *= float64(a - b)
			}
		}
		inv[a] = 1 / v
	}
	return inv
}

// lagrangeWeights fills w (length p, p even) with the Lagrange weights of
// the nodes −(p/2−1), …, p/2 evaluated at u ∈ [0, 1): w_a =
// inv[a]·Π_{b≠a}(u − x_b), with inv from lagrangeDenoms(p), the products
// from prefix and suffix products (no division).
func lagrangeWeights(u float64, w, inv []float64) {
	p := len(w)
	off := p/2 - 1
	// w[a] ← Π_{b<a}(u − x_b), then times Π_{b>a}(u − x_b).
	pre := 1.0
	for a := 0; a < p; a++ {
		w[a] = pre
		pre *= u - float64(a-off)
	}
	suf := 1.0
	for a := p - 1; a >= 0; a-- {
		w[a] *= suf * inv[a]
		suf *= u - float64(a-off)
	}
}

// compute fills phi1, phix, phiy (each length n) for the points y (n×2
// row-major) and returns Σ_i ψ(i).
func (gr *gridRepulsion) compute(y []float64, n int, phi1, phix, phiy []float64) float64 {
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	for i := 0; i < n; i++ {
		x0, y0 := y[2*i], y[2*i+1]
		minX, maxX = math.Min(minX, x0), math.Max(maxX, x0)
		minY, maxY = math.Min(minY, y0), math.Max(maxY, y0)
	}
	extent := math.Max(maxX-minX, maxY-minY)
	gr.prepare(extent)
	m, g, h := gr.m, gr.g, gr.h
	// Grid origin: two nodes of margin below the minimum, centred.
	ox := (minX+maxX)/2 - h*float64(g-1)/2
	oy := (minY+maxY)/2 - h*float64(g-1)/2
	// Per-point base node and weights.
	p := gr.order
	off := p/2 - 1
	bx := make([]int32, n)
	by := make([]int32, n)
	wts := make([]float64, 2*p*n)
	inv := lagrangeDenoms(p)
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			tx := (y[2*i] - ox) / h
			ty := (y[2*i+1] - oy) / h
			fx, fy := math.Floor(tx), math.Floor(ty)
			ix, iy := int(fx)-off, int(fy)-off
			ix = max(0, min(ix, g-p))
			iy = max(0, min(iy, g-p))
			bx[i], by[i] = int32(ix), int32(iy)
			w := wts[2*p*i : 2*p*(i+1)]
			lagrangeWeights(tx-float64(ix+off), w[:p], inv)
			lagrangeWeights(ty-float64(iy+off), w[p:], inv)
		}
	})
	a, qy := gr.a, gr.qy
	clear(a[g*m:])
	// Spread the charges in parallel bands of grid rows. The points are
	// listed by their first row (a stable counting sort, so in increasing
	// order within a row), and a band takes those of its rows and the
	// p−1 before: every node sums its charges in that one order, whatever
	// the bands and CPUs.
	start := make([]int32, g+1)
	for i := 0; i < n; i++ {
		start[by[i]+1]++
	}
	for r := 0; r < g; r++ {
		start[r+1] += start[r]
	}
	order := make([]int32, n)
	next := append([]int32(nil), start[:g]...)
	for i := 0; i < n; i++ {
		order[next[by[i]]] = int32(i)
		next[by[i]]++
	}
	par.For(g, func(lo, hi int) {
		clear(a[lo*m : hi*m])
		clear(qy[lo*g : hi*g])
		for _, i := range order[start[max(0, lo-p+1)]:start[hi]] {
			r0 := int(by[i])
			w := wts[2*p*int(i) : 2*p*(int(i)+1)]
			yx, yy := y[2*i], y[2*i+1]
			for r := max(0, lo-r0); r < min(p, hi-r0); r++ {
				wy := w[p+r]
				rowA := a[(r0+r)*m+int(bx[i]):][:p]
				rowQ := qy[(r0+r)*g+int(bx[i]):][:p]
				for c := range rowA {
					ww := wy * w[c]
					rowA[c] += complex(ww, ww*yx)
					rowQ[c] += ww * yy
				}
			}
		}
	})
	gr.fft2(a, g)
	gr.realForward(qy, gr.hb)
	k1, k2 := gr.k1, gr.k2
	// Σψ = M⁻² Σ_k |Q̂(k)|² K̂₁(k), with Q̂(k) = (Â(k) + conj Â(−k))/2 the
	// spectrum of the unit charges (the real part of A); reduced over fixed
	// chunks of rows.
	part := make([]float64, m)
	par.For(m, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			nr := (m - r) % m
			var s float64
			for c := 0; c < m; c++ {
				nc := (m - c) % m
				fa := a[r*m+c]
				fan := a[nr*m+nc]
				// The halving written out: Go divides complex numbers in
				// the runtime.
				q1r, q1i := 0.5*(real(fa)+real(fan)), 0.5*(imag(fa)-imag(fan))
				s += (q1r*q1r + q1i*q1i) * k1[r*m+c]
			}
			part[r] = s
		}
	})
	var psi float64
	for _, v := range part {
		psi += v
	}
	par.For(len(a), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a[i] = complex(real(a[i])*k2[i], imag(a[i])*k2[i])
		}
	})
	hw := m/2 + 1
	hb := gr.hb
	par.For(m, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row, kr := hb[r*hw:(r+1)*hw], k2[r*m:r*m+hw]
			for c, v := range row {
				row[c] = complex(real(v)*kr[c], imag(v)*kr[c])
			}
		}
	})
	gr.ifft2(a, g)
	gr.realInverse(hb, gr.py)
	py := gr.py
	scale := 1 / float64(m*m)
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			w := wts[2*p*i : 2*p*(i+1)]
			x0, y0 := int(bx[i]), int(by[i])
			var s1, sx, sy float64
			for r := 0; r < p; r++ {
				wy := w[p+r]
				rowA := a[(y0+r)*m+x0:][:p]
				rowP := py[(y0+r)*g+x0:][:p]
				for c := range rowA {
					ww := wy * w[c]
					s1 += ww * real(rowA[c])
					sx += ww * imag(rowA[c])
					sy += ww * rowP[c]
				}
			}
			phi1[i] = s1 * scale
			phix[i] = sx * scale
			phiy[i] = sy * scale
		}
	})
	return psi * scale
}
