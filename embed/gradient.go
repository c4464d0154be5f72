package embed

import (
	"math"

	"github.com/conceptcells/conceptcells/internal/par"
)

// chunks used for deterministic parallel reductions.
const reduceChunks = 64

// attractive adds exag·Σ_j p_ij w_ij (yᵢ−yⱼ) to grad, w_ij = 1/(1+|yᵢ−yⱼ|²).
// If klTerm is true it returns Σ p_ij ln w_ij (for the KL divergence). The
// weights of four edges at a time share one division (quarterWeights); the
// forces do not depend on klTerm.
func attractive(p *sparseP, y []float64, exag float64, grad []float64, klTerm bool) float64 {
	part := make([]float64, reduceChunks)
	par.Chunks(p.n, reduceChunks, func(ch, lo, hi int) {
		var s float64
		for i := lo; i < hi; i++ {
			yi0, yi1 := y[2*i], y[2*i+1]
			var g0, g1 float64
			e, end := p.rowPtr[i], p.rowPtr[i+1]
			cols, vals := p.col[e:end], p.val[e:end]
			k := 0
			for ; k+4 <= len(cols); k += 4 {
				j0, j1, j2, j3 := cols[k], cols[k+1], cols[k+2], cols[k+3]
				a0, a1 := yi0-y[2*j0], yi1-y[2*j0+1]
				b0, b1 := yi0-y[2*j1], yi1-y[2*j1+1]
				c0, c1 := yi0-y[2*j2], yi1-y[2*j2+1]
				d0, d1 := yi0-y[2*j3], yi1-y[2*j3+1]
				wa, wb, wc, wd := quarterWeights(1+a0*a0+a1*a1, 1+b0*b0+b1*b1, 1+c0*c0+c1*c1, 1+d0*d0+d1*d1)
				pa, pb, pc, pd := vals[k]*wa, vals[k+1]*wb, vals[k+2]*wc, vals[k+3]*wd
				g0 += (pa*a0 + pb*b0) + (pc*c0 + pd*d0)
				g1 += (pa*a1 + pb*b1) + (pc*c1 + pd*d1)
				if klTerm {
					s += vals[k]*math.Log(wa) + vals[k+1]*math.Log(wb) + vals[k+2]*math.Log(wc) + vals[k+3]*math.Log(wd)
				}
			}
			for ; k < len(cols); k++ {
				j := cols[k]
				d0, d1 := yi0-y[2*j], yi1-y[2*j+1]
				w := 1 / (1 + d0*d0 + d1*d1)
				pw := vals[k] * w
				g0 += pw * d0
				g1 += pw * d1
				if klTerm {
					s += vals[k] * math.Log(w)
				}
			}
			grad[2*i] += exag * g0
			grad[2*i+1] += exag * g1
		}
		part[ch] = s
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return s
}

// quarterWeights returns 1/a, 1/b, 1/c, 1/d (each ≥ 1) with one division:
// r = 1/(ab·cd), then 1/a = b·cd·r and so on, to a few ulps. Division is
// the bottleneck of the attractive forces; when the product overflows
// (coordinates beyond 1e77, a diverged run) it divides four times.
func quarterWeights(a, b, c, d float64) (float64, float64, float64, float64) {
	ab, cd := a*b, c*d
	q := ab * cd
	if q > math.MaxFloat64 {
		return 1 / a, 1 / b, 1 / c, 1 / d
	}
	r := 1 / q
	abr, cdr := ab*r, cd*r
	return b * cdr, a * cdr, d * abr, c * abr
}

// exactRepulsion returns rep (n×2) with repᵢ = Σ_j w_ij² (yᵢ−yⱼ) and the
// normaliser Z = Σ_{i≠j} w_ij, by direct summation over all pairs.
func exactRepulsion(y []float64, n int, rep []float64) float64 {
	part := make([]float64, reduceChunks)
	par.Chunks(n, reduceChunks, func(ch, lo, hi int) {
		var z float64
		for i := lo; i < hi; i++ {
			yi0, yi1 := y[2*i], y[2*i+1]
			var r0, r1 float64
			for j := 0; j < n; j++ {
				d0, d1 := yi0-y[2*j], yi1-y[2*j+1]
				w := 1 / (1 + d0*d0 + d1*d1)
				z += w
				w2 := w * w
				r0 += w2 * d0
				r1 += w2 * d1
			}
			z-- // the j = i term
			rep[2*i], rep[2*i+1] = r0, r1
		}
		part[ch] = z
	})
	var z float64
	for _, v := range part {
		z += v
	}
	return z
}

// exactZ returns Σ_{i≠j} 1/(1+|yᵢ−yⱼ|²) by direct summation.
func exactZ(y []float64, n int) float64 {
	part := make([]float64, reduceChunks)
	par.Chunks(n, reduceChunks, func(ch, lo, hi int) {
		var z float64
		for i := lo; i < hi; i++ {
			yi0, yi1 := y[2*i], y[2*i+1]
			for j := i + 1; j < n; j++ {
				d0, d1 := yi0-y[2*j], yi1-y[2*j+1]
				z += 1 / (1 + d0*d0 + d1*d1)
			}
		}
		part[ch] = z
	})
	var z float64
	for _, v := range part {
		z += v
	}
	return 2 * z
}

// fftRepulsion is exactRepulsion by grid interpolation (see gridRepulsion).
type fftRepulsion struct {
	grid                   gridRepulsion
	phi1, phix, phiy, psis []float64
}

func (f *fftRepulsion) compute(y []float64, n int, rep []float64) float64 {
	if len(f.phi1) != n {
		f.phi1 = make([]float64, n)
		f.phix = make([]float64, n)
		f.phiy = make([]float64, n)
		f.psis = make([]float64, n)
	}
	f.grid.compute(y, n, f.phi1, f.phix, f.phiy, f.psis)
	part := make([]float64, reduceChunks)
	par.Chunks(n, reduceChunks, func(ch, lo, hi int) {
		var z float64
		for i := lo; i < hi; i++ {
			rep[2*i] = y[2*i]*f.phi1[i] - f.phix[i]
			rep[2*i+1] = y[2*i+1]*f.phi1[i] - f.phiy[i]
			z += f.psis[i]
		}
		part[ch] = z
	})
	var z float64
	for _, v := range part {
		z += v
	}
	return z - float64(n)
}
