package cells

import (
	"math"
	"math/cmplx"

	"github.com/conceptcells/conceptcells/internal/fft"
)

// sacPlan computes NaN-aware autocorrelograms of N×N maps by FFT. It holds
// FFT plans and scratch buffers and is not safe for concurrent use; make one
// per goroutine. The validity mask spectrum is cached and recomputed only
// when the mask changes.
type sacPlan struct {
	n, p       int
	fft        *fft.Plan
	scratch    []complex128
	z, w1, w2  []complex128
	vspec      []complex128 // spectrum of the current mask
	svv        []float64    // overlap counts per lag ((2N−1)², rounded)
	mask       []bool       // current mask (copy)
	hasMask    bool
	x, q       []float64
	sxv, sqv   []float64 // per lag, (2N−1)²
	sxx        []float64
	minOverlap int
}

func newSACPlan(n, minOverlap int) *sacPlan {
	p := fft.FastLen(2*n - 1)
	m := 2*n - 1
	return &sacPlan{
		n: n, p: p, fft: fft.New(p), scratch: make([]complex128, p*p),
		z: make([]complex128, p*p), w1: make([]complex128, p*p), w2: make([]complex128, p*p),
		vspec: make([]complex128, p*p), svv: make([]float64, m*m), mask: make([]bool, n*n),
		x: make([]float64, n*n), q: make([]float64, n*n),
		sxv: make([]float64, m*m), sqv: make([]float64, m*m), sxx: make([]float64, m*m),
		minOverlap: minOverlap,
	}
}

// fft2 transforms the p×p buffer in place: rows (only the first rows rows,
// the others being zero) then all columns at once (interleaved). inverse
// uses the backward transform (unnormalised), columns first, then only the
// rows holding lags |dy| < n.
func (s *sacPlan) fft2(buf []complex128, rows int, inverse bool) {
	p := s.p
	if !inverse {
		for r := 0; r < rows; r++ {
			s.fft.Transform(buf[r*p:r*p+p], s.scratch[:p], 1, false)
		}
		s.fft.Transform(buf, s.scratch, p, false)
		return
	}
	s.fft.Transform(buf, s.scratch, p, true)
	for r := 0; r < p; r++ {
		if r >= s.n && r <= p-s.n {
			continue
		}
		s.fft.Transform(buf[r*p:r*p+p], s.scratch[:p], 1, true)
	}
}

// lag returns the entry of lag (dy, dx) of an inverse-transformed buffer
// (negative lags wrap around the period p).
func (s *sacPlan) lag(buf []complex128, dy, dx int) complex128 {
	p := s.p
	return buf[((dy+p)%p)*p+(dx+p)%p]
}

func (s *sacPlan) setMask(valid []bool) {
	if s.hasMask {
		same := true
		for i := range valid {
			if valid[i] != s.mask[i] {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	copy(s.mask, valid)
	s.hasMask = true
	n, p := s.n, s.p
	clear(s.vspec)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			if valid[r*n+c] {
				s.vspec[r*p+c] = 1
			}
		}
	}
	s.fft2(s.vspec, n, false)
	for i, v := range s.vspec {
		s.w1[i] = complex(real(v)*real(v)+imag(v)*imag(v), 0)
	}
	s.fft2(s.w1, 0, true)
	m := 2*n - 1
	norm := 1 / float64(p*p)
	for dy := -(n - 1); dy < n; dy++ {
		for dx := -(n - 1); dx < n; dx++ {
			s.svv[(dy+n-1)*m+dx+n-1] = math.Round(real(s.lag(s.w1, dy, dx)) * norm)
		}
	}
}

// autocorr writes the (2N−1)×(2N−1) autocorrelogram of the N×N map into
// dst. Spec mode: bins that are NaN are empty; lag values are the Pearson
// correlation over the overlap of valid bins (spec §2), NaN when the overlap
// has fewer than minOverlap bins or a variance is 0. DeepMind mode: NaN bins
// are zero and count as valid (calculate_sac), no minimum overlap, and
// non-finite values become 0.
func (s *sacPlan) autocorr(dst, m []float64, compat Compat) {
	n, p := s.n, s.p
	size := 2*n - 1
	dm := compat == CompatDeepMind
	val := func(v float64) (float64, bool) {
		if math.IsNaN(v) {
			return 0, dm // DeepMind: nan_to_num before the masks
		}
		return v, true
	}
	// centre and scale the valid values: per-lag Pearson is invariant to
	// both, and it keeps the FFT sums well conditioned.
	mean, cnt := 0.0, 0
	changed := !s.hasMask
	for i, v := range m {
		x, ok := val(v)
		if ok {
			mean += x
			cnt++
		}
		if ok != s.mask[i] {
			changed = true
		}
	}
	if cnt == 0 {
		for i := range dst[:size*size] {
			dst[i] = math.NaN()
		}
		return
	}
	mean /= float64(cnt)
	ss := 0.0
	for _, v := range m {
		if x, ok := val(v); ok {
			ss += (x - mean) * (x - mean)
		}
	}
	scale := 1.0
	if ss > 0 {
		scale = 1 / math.Sqrt(ss/float64(cnt))
	}
	if changed {
		mk := make([]bool, n*n)
		for i, v := range m {
			_, mk[i] = val(v)
		}
		s.setMask(mk)
	}
	for i, v := range m {
		x, ok := val(v)
		if !ok {
			s.x[i], s.q[i] = 0, 0
			continue
		}
		x = (x - mean) * scale
		s.x[i], s.q[i] = x, x*x
	}
	clear(s.z)
	for r := 0; r < n; r++ {
		for c := 0; c < n; c++ {
			s.z[r*p+c] = complex(s.x[r*n+c], s.q[r*n+c])
		}
	}
	s.fft2(s.z, n, false)
	// X = (Z[k] + conj Z[−k])/2, Q = (Z[k] − conj Z[−k])/(2i)
	for ky := 0; ky < p; ky++ {
		my := (p - ky) % p
		for kx := 0; kx < p; kx++ {
			mx := (p - kx) % p
			zk := s.z[ky*p+kx]
			zm := cmplx.Conj(s.z[my*p+mx])
			X := (zk + zm) * 0.5
			Q := fft.MulI(zk-zm, -1) * 0.5 // (zk − zm)/(2i)
			V := s.vspec[ky*p+kx]
			cx := cmplx.Conj(X)
			s.w1[ky*p+kx] = cx*V + complex(0, 1)*(cmplx.Conj(Q)*V)
			s.w2[ky*p+kx] = complex(real(X)*real(X)+imag(X)*imag(X), 0)
		}
	}
	s.fft2(s.w1, 0, true)
	s.fft2(s.w2, 0, true)
	norm := 1 / float64(p*p)
	for dy := -(n - 1); dy < n; dy++ {
		for dx := -(n - 1); dx < n; dx++ {
			i := (dy+n-1)*size + dx + n - 1
			a := s.lag(s.w1, dy, dx)
			s.sxv[i] = real(a) * norm
			s.sqv[i] = imag(a) * norm
			s.sxx[i] = real(s.lag(s.w2, dy, dx)) * norm
		}
	}
	last := size*size - 1
	for i := 0; i <= last; i++ {
		nn := s.svv[i]
		if compat == CompatDeepMind {
			s1, s2 := s.sxv[i], s.sxv[last-i]
			v1 := nn*s.sqv[i] - s1*s1
			v2 := nn*s.sqv[last-i] - s2*s2
			if v1 <= 1e-8*nn*nn || v2 <= 1e-8*nn*nn {
				// near-constant overlap: DeepMind's direct sums resolve
				// structure far below the FFT's rounding; redo it directly.
				dst[i] = dmDirectLag(m, n, i/size-(n-1), i%size-(n-1))
				continue
			}
			dst[i] = dmCoef(nn, s1, s2, s.sqv[i], s.sqv[last-i], s.sxx[i])
			continue
		}
		if nn < float64(s.minOverlap) {
			dst[i] = math.NaN()
			continue
		}
		s1, s2 := s.sxv[i], s.sxv[last-i]
		v1 := nn*s.sqv[i] - s1*s1
		v2 := nn*s.sqv[last-i] - s2*s2
		if v1 <= sacVarEps*nn*nn || v2 <= sacVarEps*nn*nn {
			dst[i] = math.NaN()
			continue
		}
		r := (nn*s.sxx[i] - s1*s2) / math.Sqrt(v1*v2)
		dst[i] = math.Max(-1, math.Min(1, r))
	}
}

// dmCoef is DeepMind's per-lag coefficient with nan_to_num: 0/0 → 0;
// a zero standard deviation with non-zero covariance → 0 here (DeepMind
// gives ±1.8e308 and then no score; see spec §2).
func dmCoef(n, s1, s2, q1, q2, sxy float64) float64 {
	if n < 0.5 {
		return 0
	}
	v1 := q1/n - s1*s1/(n*n)
	v2 := q2/n - s2*s2/(n*n)
	if v1 <= 1e-12 || v2 <= 1e-12 {
		return 0
	}
	cov := sxy/n - s1*s2/(n*n)
	return cov / (math.Sqrt(v1) * math.Sqrt(v2))
}

// Autocorrelogram returns the spatial autocorrelogram of the n×n map m
// (row-major, NaN = empty bin) as a (2n−1)×(2n−1) row-major array with zero
// lag at (n−1, n−1):
//
//	r(dy,dx) = (k Σλλ' − Σλ Σλ') / sqrt((k Σλ² − (Σλ)²)(k Σλ'² − (Σλ')²))
//
// over the k bin pairs (i, i+(dy,dx)) valid in both (Hafting et al. 2005;
// Sargolini et al. 2006; spec §2). A lag is NaN when k < minOverlap or a
// variance is 0. Computed exactly (up to rounding) from six FFT
// correlations of the masked map, its square and the mask. With
// CompatDeepMind the DeepMind conventions apply (see Compat).
// Preconditions: len(m) == n·n, n ≥ 2.
func Autocorrelogram(m []float64, n, minOverlap int, compat Compat) []float64 {
	s := newSACPlan(n, minOverlap)
	dst := make([]float64, (2*n-1)*(2*n-1))
	s.autocorr(dst, m, compat)
	return dst
}

// sacVarEps: after scaling the map to unit variance, a lag whose overlap
// variance is below sacVarEps is a constant overlap (plateau) and is
// undefined. The FFT sums carry an absolute error of ~1e-12 there.
const sacVarEps = 1e-10

// dmDirectLag is DeepMind's calculate_sac coefficient at one lag computed
// by direct summation over the zero-filled map: cov/(std·std) with
// std = sqrt(Σx²/n − (Σx/n)²), non-finite results → 0 (nan_to_num; an
// infinite result, which DeepMind turns into ±1.8e308, is also 0 here).
func dmDirectLag(m []float64, n, dy, dx int) float64 {
	r0, r1 := max(0, -dy), min(n, n-dy)
	c0, c1 := max(0, -dx), min(n, n-dx)
	var k, s1, s2, q1, q2, sxy float64
	for r := r0; r < r1; r++ {
		for c := c0; c < c1; c++ {
			a, b := m[r*n+c], m[(r+dy)*n+c+dx]
			if math.IsNaN(a) {
				a = 0
			}
			if math.IsNaN(b) {
				b = 0
			}
			k++
			s1 += a
			s2 += b
			q1 += a * a
			q2 += b * b
			sxy += a * b
		}
	}
	if k == 0 {
		return 0
	}
	std1 := math.Sqrt(q1/k - s1*s1/(k*k))
	std2 := math.Sqrt(q2/k - s2*s2/(k*k))
	r := (sxy/k - s1*s2/(k*k)) / (std1 * std2)
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return 0
	}
	return r
}
