package embed

import (
	"context"
	"math"
	"runtime"
	"sync/atomic"

	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
)

// knnScreened finds the exact k nearest neighbours of the n rows of x
// (n×d) under dotDist, as knnPruned does, but bounds every distance from
// below with one float32 product X·Xᵀ (the packed AVX-512/AVX2 GEMM of
// internal/kernels, in blocks of rows) instead of a PCA projection, so that
// few exact distances are needed.
//
// The bound is rigorous: each product entry is a chain of at most 2d
// float32 roundings (one FMA or one multiply and one add per term), so it
// is within γ·‖xᵢ‖‖xⱼ‖ of the true dot product with γ = 2d·u/(1 − 2d·u),
// u = 2⁻²⁴ (Higham, Accuracy and Stability of Numerical Algorithms, §3.1,
// with Cauchy–Schwarz); dotDist's own float64 error is bounded the same way
// with u = 2⁻⁵³, and a relative 1e-12 of ‖xᵢ‖²+‖xⱼ‖² covers the float64
// roundings of the norms and of the sum. With the matching upper bounds,
// the k-th smallest upper bound t is at least the k-th nearest exact
// distance, so only the points whose lower bound is at most t are
// evaluated exactly: the neighbours (ties broken by index) and their
// distances are exactly those of knnPruned and knnAllPairs with dotDist.
func knnScreened(ctx context.Context, x []float32, n, d, k int, stats *knnStats) (*neighbors, error) {
	nb := &neighbors{n: n, k: k, idx: make([]int32, n*k), d2: make([]float64, n*k)}
	xx := sqNorms(x, n, d)
	norm := make([]float64, n)
	for i, v := range xx {
		norm[i] = math.Sqrt(v)
	}
	gamma := func(u float64) float64 { t := 2 * float64(d) * u; return t / (1 - t) }
	slack := 2 * (gamma(0x1p-24) + gamma(0x1p-53))
	pb := kernels.PackB(nil, true, d, n, x, d) // Xᵀ, packed once
	const block = 40 * kernels.MR
	g := make([]float32, block*n)
	var abuf []float32
	var evals atomic.Int64
	workers := runtime.GOMAXPROCS(0)
	for b0 := 0; b0 < n; b0 += block {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b1 := min(b0+block, n)
		rows := b1 - b0
		pa := kernels.PackA(abuf, false, rows, d, 1, x[b0*d:b1*d], d)
		abuf = pa.Data
		gb := g[:rows*n]
		par.Chunks(pb.Panels(), workers, func(_, lo, hi int) {
			kernels.GemmPacked(pa, pb, lo, hi, gb, n, false)
		})
		par.For(rows, func(lo, hi int) {
			var h, ub kHeap
			lb := make([]float64, n)
			var local int64
			for r := lo; r < hi; r++ {
				i := b0 + r
				gr := gb[r*n : (r+1)*n]
				xi, ni := xx[i], norm[i]
				// lb and ub bound every exact distance; t, the k-th
				// smallest ub (+Inf with fewer than k others), bounds
				// the k-th nearest exact distance, so every neighbour
				// has lb ≤ t.
				ub.reset(k)
				for j := range lb {
					a := xi + xx[j] - 2*float64(gr[j])
					e := slack*ni*norm[j] + 1e-12*(xi+xx[j])
					lb[j] = a - e
					if j != i && a+e <= ub.worst() {
						ub.push(a+e, int32(j))
					}
				}
				t := ub.worst()
				h.reset(k)
				row := x[i*d : (i+1)*d]
				for j, l := range lb {
					if l <= t && j != i {
						local++
						h.push(dotDist(row, x[j*d:(j+1)*d], xi, xx[j]), int32(j))
					}
				}
				h.sortedInto(nb.idx[i*k:(i+1)*k], nb.d2[i*k:(i+1)*k])
			}
			evals.Add(local)
		})
	}
	if stats != nil {
		stats.ExactEvals = evals.Load()
	}
	return nb, nil
}
