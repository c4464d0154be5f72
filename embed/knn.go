package embed

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/conceptcells/conceptcells/internal/par"
)

var impl gonum.Implementation

// sqNorms returns ‖xᵢ‖² for each row, in float64.
func sqNorms(x []float32, n, d int) []float64 {
	out := make([]float64, n)
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			r := x[i*d : (i+1)*d]
			out[i] = impl.Dsdot(d, r, 1, r, 1)
		}
	})
	return out
}

// dotDist is ‖a‖²+‖b‖²−2a·b with a float64-accumulated SIMD dot product,
// clamped at 0. With float64 accumulation its rounding error is far below
// float32 data resolution.
func dotDist(a, b []float32, aa, bb float64) float64 {
	v := aa + bb - 2*impl.Dsdot(len(a), a, 1, b, 1)
	if v < 0 {
		return 0
	}
	return v
}

// neighbors is a k-nearest-neighbour graph: row i holds the k nearest other
// points of point i, nearest first, with squared Euclidean distances.
type neighbors struct {
	n, k int
	idx  []int32   // n×k
	d2   []float64 // n×k
}

// prefix returns the graph of the first k ≤ nb.k neighbours of each point
// (nb itself when k = nb.k).
func (nb *neighbors) prefix(k int) *neighbors {
	if k == nb.k {
		return nb
	}
	if k > nb.k || k < 1 {
		panic(fmt.Sprintf("embed: neighbour prefix %d of %d", k, nb.k))
	}
	out := &neighbors{n: nb.n, k: k, idx: make([]int32, nb.n*k), d2: make([]float64, nb.n*k)}
	for i := 0; i < nb.n; i++ {
		copy(out.idx[i*k:(i+1)*k], nb.idx[i*nb.k:])
		copy(out.d2[i*k:(i+1)*k], nb.d2[i*nb.k:])
	}
	return out
}

// sqDist is the squared Euclidean distance between two float32 rows,
// accumulated in float64.
func sqDist(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0 := float64(a[i]) - float64(b[i])
		d1 := float64(a[i+1]) - float64(b[i+1])
		d2 := float64(a[i+2]) - float64(b[i+2])
		d3 := float64(a[i+3]) - float64(b[i+3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := float64(a[i]) - float64(b[i])
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// kHeap keeps the k smallest (distance, index) pairs seen, as a max-heap.
type kHeap struct {
	d   []float64
	idx []int32
	k   int
}

func (h *kHeap) reset(k int) {
	h.k = k
	h.d = h.d[:0]
	h.idx = h.idx[:0]
}

// worst is the largest kept distance, or +Inf while fewer than k are kept.
func (h *kHeap) worst() float64 {
	if len(h.d) < h.k {
		return math.Inf(1)
	}
	return h.d[0]
}

func (h *kHeap) push(d float64, j int32) {
	if len(h.d) < h.k {
		h.d = append(h.d, d)
		h.idx = append(h.idx, j)
		c := len(h.d) - 1
		for c > 0 {
			p := (c - 1) / 2
			if !h.less(p, c) {
				break
			}
			h.swap(p, c)
			c = p
		}
		return
	}
	if !(d < h.d[0] || (d == h.d[0] && j < h.idx[0])) {
		return
	}
	h.d[0], h.idx[0] = d, j
	c := 0
	for {
		l := 2*c + 1
		if l >= len(h.d) {
			break
		}
		m := l
		if r := l + 1; r < len(h.d) && h.less(l, r) {
			m = r
		}
		if !h.less(c, m) {
			break
		}
		h.swap(c, m)
		c = m
	}
}

// less orders by distance, then index, so results are deterministic.
func (h *kHeap) less(a, b int) bool {
	if h.d[a] != h.d[b] {
		return h.d[a] < h.d[b]
	}
	return h.idx[a] < h.idx[b]
}

func (h *kHeap) swap(a, b int) {
	h.d[a], h.d[b] = h.d[b], h.d[a]
	h.idx[a], h.idx[b] = h.idx[b], h.idx[a]
}

// sortedInto writes the kept pairs in increasing order.
func (h *kHeap) sortedInto(idx []int32, d2 []float64) {
	n := len(h.d)
	ord := make([]int, n)
	for i := range ord {
		ord[i] = i
	}
	sort.Slice(ord, func(a, b int) bool { return h.less(ord[a], ord[b]) })
	for i, o := range ord {
		idx[i] = h.idx[o]
		d2[i] = h.d[o]
	}
}

// knnBrute finds exact k nearest neighbours by comparing all pairs. It is
// used when d is small.
func knnBrute(ctx context.Context, x []float32, n, d, k int) (*neighbors, error) {
	return knnAllPairs(ctx, x, n, d, k, sqDist)
}

// knnSweep finds the same neighbours as knnBrute (for each point the k
// smallest pairs of sqDist and index, in the order of kHeap) without
// comparing all pairs: the points are sorted by their coordinate along the
// data's first principal axis u, and each point's search walks outwards
// through that order, always to the nearer side, until the gap along u
// alone rules out the rest, since |u·(xᵢ−xⱼ)| ≤ ‖xᵢ−xⱼ‖ for a unit u. The
// gap is shrunk by a bound on its rounding and the test has a margin far
// above sqDist's rounding, so a skipped point is always farther than the
// k-th kept one, and the neighbours, their order and their distances are
// those of knnBrute. For low-dimensional data (a network's last layer) it
// evaluates a small fraction of the pairs.
func knnSweep(ctx context.Context, x []float32, n, d, k int) (*neighbors, error) {
	u := principalAxis(x, n, d)
	proj, tol := make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		var p, a float64
		for c, v := range x[i*d : (i+1)*d] {
			p += u[c] * float64(v)
			a += math.Abs(float64(v))
		}
		proj[i], tol[i] = p, 1e-12*(1+a)
	}
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(a, b int) bool { return proj[order[a]] < proj[order[b]] })
	rank := make([]int, n)
	for r, i := range order {
		rank[i] = r
	}
	return eachPoint(ctx, n, k, func(i int, h *kHeap) {
		xi, pi := x[i*d:(i+1)*d], proj[i]
		a, b := rank[i]-1, rank[i]+1
		for a >= 0 || b < n {
			var j int32
			var gap float64
			if b >= n || (a >= 0 && pi-proj[order[a]] <= proj[order[b]]-pi) {
				j, gap = order[a], pi-proj[order[a]]
				a--
			} else {
				j, gap = order[b], proj[order[b]]-pi
				b++
			}
			// Gaps only grow from here: once one rules its point out, it
			// rules out all the rest.
			if lb := gap - tol[i] - tol[j]; lb > 0 && lb*lb*(1-1e-9) > h.worst() {
				break
			}
			if dd := sqDist(xi, x[int(j)*d:(int(j)+1)*d]); dd <= h.worst() {
				h.push(dd, j)
			}
		}
	})
}

// principalAxis returns a unit vector along the largest principal axis of
// the n rows of x (d columns), by power iteration on their covariance
// (the first axis when the data do not vary); knnSweep needs only some
// unit vector, and the better it separates the points the less it reads.
func principalAxis(x []float32, n, d int) []float64 {
	mean := columnMeans(x, n, d)
	cov := make([]float64, d*d)
	row := make([]float64, d)
	for i := 0; i < n; i++ {
		for c, v := range x[i*d : (i+1)*d] {
			row[c] = float64(v) - mean[c]
		}
		for a, va := range row {
			for b, vb := range row {
				cov[a*d+b] += va * vb
			}
		}
	}
	u, next := make([]float64, d), make([]float64, d)
	for c := range u {
		u[c] = 1 / math.Sqrt(float64(d))
	}
	for it := 0; it < 100; it++ {
		var norm float64
		for a := range next {
			var s float64
			for b, ub := range u {
				s += cov[a*d+b] * ub
			}
			next[a] = s
			norm += s * s
		}
		norm = math.Sqrt(norm)
		if !(norm > 0) || math.IsInf(norm, 0) {
			clear(u)
			u[0] = 1
			return u
		}
		for a := range next {
			u[a] = next[a] / norm
		}
	}
	return u
}

// knnAllPairs finds the exact k nearest neighbours of each of the n rows
// of x (n×d, row-major) by comparing all pairs with dist, on all cores. It
// returns ctx.Err() if the context is cancelled.
func knnAllPairs[T float32 | float64](ctx context.Context, x []T, n, d, k int, dist func(a, b []T) float64) (*neighbors, error) {
	return eachPoint(ctx, n, k, func(i int, h *kHeap) {
		xi := x[i*d : (i+1)*d]
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			dd := dist(xi, x[j*d:(j+1)*d])
			if dd <= h.worst() {
				h.push(dd, int32(j))
			}
		}
	})
}

// eachPoint builds a k-nearest-neighbour graph of n points on all cores:
// search(i, h) offers point i's candidates to the empty heap h, which then
// holds its neighbours. It returns ctx.Err() if the context is cancelled.
func eachPoint(ctx context.Context, n, k int, search func(i int, h *kHeap)) (*neighbors, error) {
	nb := &neighbors{n: n, k: k, idx: make([]int32, n*k), d2: make([]float64, n*k)}
	var cancelled atomic.Bool
	par.For(n, func(lo, hi int) {
		var h kHeap
		for i := lo; i < hi; i++ {
			if i%256 == 0 && ctx.Err() != nil {
				cancelled.Store(true)
				return
			}
			h.reset(k)
			search(i, &h)
			h.sortedInto(nb.idx[i*k:(i+1)*k], nb.d2[i*k:(i+1)*k])
		}
	})
	if cancelled.Load() {
		return nil, ctx.Err()
	}
	return nb, nil
}

// projected is a low-dimensional view of centred data used to bound
// distances: z holds the first m principal coordinates (n×m) and r the norm
// of what the projection leaves out, so that for any two points
//
//	‖zᵢ−zⱼ‖² + (rᵢ−rⱼ)² ≤ ‖xᵢ−xⱼ‖² ≤ ‖zᵢ−zⱼ‖² + (rᵢ+rⱼ)².
type projected struct {
	n, m int
	z    []float64
	zz   []float64 // ‖zᵢ‖²
	r    []float64
}

// newProjected builds the bound structure from a PCA projection of x.
func newProjected(x []float32, n, d int, p *PCAResult) *projected {
	_, m := p.Projection.Dims()
	pr := &projected{n: n, m: m, z: make([]float64, n*m), zz: make([]float64, n), r: make([]float64, n)}
	raw := p.Projection.RawMatrix()
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var t float64
			for j, v := range x[i*d : (i+1)*d] {
				c := float64(v) - p.Mean[j]
				t += c * c
			}
			var s float64
			row := raw.Data[i*raw.Stride : i*raw.Stride+m]
			copy(pr.z[i*m:], row)
			for _, v := range row {
				s += v * v
			}
			pr.zz[i] = s
			pr.r[i] = math.Sqrt(math.Max(t-s, 0))
		}
	})
	return pr
}

// gramBlock returns the rows [lo, hi) of Z·Zᵀ as a (hi-lo)×n matrix.
func (p *projected) gramBlock(lo, hi int, dst []float64) []float64 {
	rows := hi - lo
	if cap(dst) < rows*p.n {
		dst = make([]float64, rows*p.n)
	}
	dst = dst[:rows*p.n]
	a := blas64.General{Rows: rows, Cols: p.m, Stride: p.m, Data: p.z[lo*p.m : hi*p.m]}
	b := blas64.General{Rows: p.n, Cols: p.m, Stride: p.m, Data: p.z}
	c := blas64.General{Rows: rows, Cols: p.n, Stride: p.n, Data: dst}
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, a, b, 0, c)
	return dst
}

// knnPruned finds the exact k nearest neighbours in the full space, using
// the projection's lower bound to skip most exact distance evaluations:
// candidates are visited in increasing order of the lower bound and the
// search stops once the bound exceeds the current k-th distance. It is
// exact (up to float64 rounding) and costs one n×n×m product plus a few
// exact distances per point.
func knnPruned(ctx context.Context, x []float32, n, d, k int, p *projected, stats *knnStats) (*neighbors, error) {
	nb := &neighbors{n: n, k: k, idx: make([]int32, n*k), d2: make([]float64, n*k)}
	const block = 256
	var gram []float64
	var evals atomic.Int64
	xx := sqNorms(x, n, d)
	for b0 := 0; b0 < n; b0 += block {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b1 := min(b0+block, n)
		gram = p.gramBlock(b0, b1, gram)
		par.For(b1-b0, func(lo, hi int) {
			var h kHeap
			lb := make([]float64, n)
			ord := make([]int32, n)
			var local int64
			for r := lo; r < hi; r++ {
				i := b0 + r
				g := gram[r*n : (r+1)*n]
				zi, ri := p.zz[i], p.r[i]
				for j := 0; j < n; j++ {
					dz := zi + p.zz[j] - 2*g[j]
					// Guard against rounding in the Gram identity.
					dz -= 1e-9 * (zi + p.zz[j])
					if dz < 0 {
						dz = 0
					}
					dr := ri - p.r[j]
					lb[j] = dz + dr*dr
					ord[j] = int32(j)
				}
				lb[i] = math.Inf(1)
				h.reset(k)
				xi := x[i*d : (i+1)*d]
				// Visit candidates in increasing bound, in batches.
				start, c := 0, 4*k+16
				for start < n {
					end := min(start+c, n)
					selectSmallest(ord[start:], lb, end-start)
					seg := ord[start:end]
					sort.Slice(seg, func(a, b int) bool {
						la, lb2 := lb[seg[a]], lb[seg[b]]
						if la != lb2 {
							return la < lb2
						}
						return seg[a] < seg[b]
					})
					done := false
					for _, j := range seg {
						if lb[j] > h.worst() {
							done = true
							break
						}
						if int(j) == i {
							continue
						}
						local++
						h.push(dotDist(xi, x[int(j)*d:(int(j)+1)*d], xx[i], xx[j]), j)
					}
					if done {
						break
					}
					start = end
					c *= 2
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

// visitByBound calls visit on the entries of ord in increasing key order
// (ties by value) until visit returns false. It sorts lazily: first the
// smallest batch entries, then batches twice as large.
func visitByBound(ord []int32, key []float64, batch int, visit func(q int32) bool) {
	start, c := 0, batch
	for start < len(ord) {
		end := min(start+c, len(ord))
		selectSmallest(ord[start:], key, end-start)
		seg := ord[start:end]
		sort.Slice(seg, func(a, b int) bool {
			ka, kb := key[seg[a]], key[seg[b]]
			if ka != kb {
				return ka < kb
			}
			return seg[a] < seg[b]
		})
		for _, q := range seg {
			if !visit(q) {
				return
			}
		}
		start = end
		c *= 2
	}
}

type knnStats struct {
	ExactEvals int64
}

// selectSmallest partially orders ord so that its first c entries are the
// c with the smallest key[ord[i]] (in no particular order). Hoare-style
// quickselect with a median-of-three pivot.
func selectSmallest(ord []int32, key []float64, c int) {
	if c >= len(ord) || c <= 0 {
		return
	}
	lo, hi := 0, len(ord)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		a, b, cc := key[ord[lo]], key[ord[mid]], key[ord[hi]]
		pivot := b
		if (a <= b) == (b <= cc) {
			pivot = b
		} else if (b <= a) == (a <= cc) {
			pivot = a
		} else {
			pivot = cc
		}
		i, j := lo, hi
		for i <= j {
			for key[ord[i]] < pivot {
				i++
			}
			for key[ord[j]] > pivot {
				j--
			}
			if i <= j {
				ord[i], ord[j] = ord[j], ord[i]
				i++
				j--
			}
		}
		if c-1 <= j {
			hi = j
		} else if c-1 >= i {
			lo = i
		} else {
			return
		}
	}
}
