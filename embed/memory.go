package embed

import (
	"errors"
	"fmt"
	"math"
)

// ErrMemory reports a t-SNE whose estimated memory exceeds
// TSNEOptions.MaxMemory; it is refused before any work.
var ErrMemory = errors.New("more than the memory budget")

// TSNEMemory estimates the peak bytes TSNE allocates for n points of d
// features with opts (zero fields taking their defaults), besides the
// input itself. See tsneMemory.
func TSNEMemory(n, d int, opts TSNEOptions) int64 {
	o := opts.withDefaults()
	k := max(1, int(min(3*o.Perplexity, float64(n-1))))
	return tsneMemory(n, d, k, o)
}

// tsneMemory estimates the peak bytes of a t-SNE of n points of d
// features whose runs use at most kmax neighbours, counting what is alive
// at once at the worst moment (an upper bound, as the garbage of one stage
// may be reclaimed before the next):
//
//   - the neighbours: kmax indices (int32) and squared distances (float64)
//     a point, the approximate search's projected copy and forest, and the
//     screened exact search's packed float32 copy of the data, its block
//     of products and per-point bounds;
//   - the PCA: the n×m projection (float64, m ≤ 50 or o.PCA), the reduced
//     data (float32) and the bounds of the pruned search (float64);
//   - the affinities: the conditional n×kmax matrix, the symmetrised one
//     of up to 2·kmax entries a row (int32 column, float64 value) held
//     twice while rows are merged, and three per-point counters;
//   - the optimisation: position, gradient, repulsion, update and gains
//     (2 float64 each a point) and the FFT interpolation's per-point
//     weights, cells and potentials.
//
// Float arithmetic keeps absurd sizes from overflowing; the result is
// capped at math.MaxInt64.
func tsneMemory(n, d, kmax int, o TSNEOptions) int64 {
	N, K := float64(n), float64(kmax)
	bytes := N * K * (4 + 8) // neighbours
	if n > o.KNNExactMaxN {
		bytes += N*float64(d)*4 + N*2*rpTrees*4 + N*4
	} else if d > 32 && screenable(n, d) && !(o.PCA > 0 && o.PCA < d) {
		bytes += (N+16)*float64(d)*4 + 240*N*4 + 6*N*8
	}
	if d > 1 {
		m := float64(min(50, d, n))
		if o.PCA > 0 {
			m = float64(min(o.PCA, d, n))
		}
		bytes += N*m*8 + N*m*4 + N*m*8 + N*2*8
	}
	bytes += N*K*8 + 2*(N*2*K*(4+8)) + 3*N*8 // affinities
	grid := float64(4*8 + 2*4 + 2*o.GridOrder*8)
	bytes += N * (5*2*8 + grid) // optimisation
	if bytes >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(bytes)
}

// checkMemory refuses, wrapping ErrMemory, a t-SNE whose estimate passes
// o.MaxMemory (when set).
func checkMemory(n, d, kmax int, o TSNEOptions) error {
	if o.MaxMemory <= 0 {
		return nil
	}
	need := tsneMemory(n, d, kmax, o)
	if need <= o.MaxMemory {
		return nil
	}
	return fmt.Errorf("embed: t-SNE of %d points with %d neighbours each needs about %s (neighbours, affinities, gradients), %w of %s",
		n, kmax, gibibytes(need), ErrMemory, gibibytes(o.MaxMemory))
}

// gibibytes writes n bytes in GiB, or MiB below 1 GiB.
func gibibytes(n int64) string {
	if n < 1<<30 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
