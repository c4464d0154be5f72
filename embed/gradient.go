package embed

import (
	"math"

	"github.com/conceptcells/conceptcells/internal/par"
)

// chunks used for deterministic parallel reductions.
const reduceChunks = 64

// attractive adds exag·Σ_j p_ij w_ij (yᵢ−yⱼ) to grad, w_ij = 1/(1+|yᵢ−yⱼ|²).
// If klTerm is true it returns Σ p_ij ln w_ij (for the KL divergence).
// The forces come from attractRows (AVX2 assembly where the CPU has it),
// the same bits either way.
func attractive(p *sparseP, y []float64, exag float64, grad []float64, klTerm bool) float64 {
	if !klTerm {
		par.Chunks(p.n, reduceChunks, func(_, lo, hi int) {
			attractRows(p, y, exag, grad, lo, hi)
		})
		return 0
	}
	part := make([]float64, reduceChunks)
	par.Chunks(p.n, reduceChunks, func(ch, lo, hi int) {
		var s float64
		for i := lo; i < hi; i++ {
			yi0, yi1 := y[2*i], y[2*i+1]
			for e := p.rowPtr[i]; e < p.rowPtr[i+1]; e++ {
				j := p.col[e]
				d0, d1 := yi0-y[2*j], yi1-y[2*j+1]
				s += p.val[e] * math.Log(1/(1+float64(d0*d0)+float64(d1*d1)))
			}
		}
		attractRows(p, y, exag, grad, lo, hi)
		part[ch] = s
	})
	var s float64
	for _, v := range part {
		s += v
	}
	return s
}

// attractRowsGo adds exag·Σ_j p_ij w_ij (yᵢ−yⱼ) to grad for the rows
// [lo, hi). The conversions float64(…) forbid fused multiply-adds, which
// the Go compiler may use on some targets and the assembly does not.
func attractRowsGo(p *sparseP, y []float64, exag float64, grad []float64, lo, hi int) {
	for i := lo; i < hi; i++ {
		yi0, yi1 := y[2*i], y[2*i+1]
		var g0, g1 float64
		for e := p.rowPtr[i]; e < p.rowPtr[i+1]; e++ {
			j := p.col[e]
			d0, d1 := yi0-y[2*j], yi1-y[2*j+1]
			w := 1 / (1 + float64(d0*d0) + float64(d1*d1))
			pw := p.val[e] * w
			g0 += float64(pw * d0)
			g1 += float64(pw * d1)
		}
		grad[2*i] += float64(exag * g0)
		grad[2*i+1] += float64(exag * g1)
	}
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
	grid             gridRepulsion
	phi1, phix, phiy []float64
}

func (f *fftRepulsion) compute(y []float64, n int, rep []float64) float64 {
	if len(f.phi1) != n {
		f.phi1 = make([]float64, n)
		f.phix = make([]float64, n)
		f.phiy = make([]float64, n)
	}
	psi := f.grid.compute(y, n, f.phi1, f.phix, f.phiy)
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rep[2*i] = y[2*i]*f.phi1[i] - f.phix[i]
			rep[2*i+1] = y[2*i+1]*f.phi1[i] - f.phiy[i]
		}
	})
	return psi - float64(n)
}
