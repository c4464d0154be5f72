package embed

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/conceptcells/conceptcells/internal/par"
)

// Approximate neighbour search for large N: a random-projection forest
// (Dasgupta & Freund 2008; as in Annoy and pynndescent) on the PCA
// coordinates proposes candidates, one round of neighbour-of-neighbour
// refinement (Dong, Charikar & Li 2011, NN-descent) adds more, and every
// candidate is ranked by its exact distance in the full space. Candidates
// are visited in increasing order of the projection's lower bound, so a
// candidate that cannot enter the current k best is never measured.
const (
	rpTrees      = 8
	rpLeafMin    = 64
	refineTopK   = 30 // neighbours whose neighbours are proposed
	refineRounds = 3
)

// knnApprox finds approximate k nearest neighbours of the n rows of x. pr
// holds the projection used for the trees and the bounds.
func knnApprox(ctx context.Context, x []float32, n, d, k int, pr *projected, seed uint64) (*neighbors, error) {
	// Reorder the rows along the leaves of one tree first, so that the
	// candidates of a point (mostly in nearby leaves) lie close together
	// in memory: for large N the search is bound by memory traffic.
	rng := rand.New(rand.NewPCG(seed, 0x6f72646572))
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	var perm []int32
	for _, l := range rpSplit(pr, idx, max(rpLeafMin, 2*k), rng, nil) {
		perm = append(perm, l...)
	}
	xp := make([]float32, n*d)
	pp := &projected{n: n, m: pr.m, z: make([]float64, n*pr.m), zz: make([]float64, n), r: make([]float64, n)}
	par.For(n, func(lo, hi int) {
		for q := lo; q < hi; q++ {
			i := int(perm[q])
			copy(xp[q*d:(q+1)*d], x[i*d:(i+1)*d])
			copy(pp.z[q*pr.m:(q+1)*pr.m], pr.z[i*pr.m:(i+1)*pr.m])
			pp.zz[q], pp.r[q] = pr.zz[i], pr.r[i]
		}
	})
	nbp, err := knnApproxOrdered(ctx, xp, n, d, k, pp, seed)
	if err != nil {
		return nil, err
	}
	nb := &neighbors{n: n, k: k, idx: make([]int32, n*k), d2: make([]float64, n*k)}
	for q := 0; q < n; q++ {
		i := int(perm[q])
		for c := 0; c < k; c++ {
			nb.idx[i*k+c] = perm[nbp.idx[q*k+c]]
			nb.d2[i*k+c] = nbp.d2[q*k+c]
		}
	}
	return nb, nil
}

// knnApproxOrdered is knnApprox without the reordering.
func knnApproxOrdered(ctx context.Context, x []float32, n, d, k int, pr *projected, seed uint64) (*neighbors, error) {
	leaf := max(rpLeafMin, 2*k)
	// Build the trees in parallel; each has its own seeded generator.
	leaves := make([][][]int32, rpTrees)
	par.Chunks(rpTrees, rpTrees, func(t, _, _ int) {
		rng := rand.New(rand.NewPCG(seed, uint64(t)+1))
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(i)
		}
		leaves[t] = rpSplit(pr, idx, leaf, rng, nil)
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Leaf of each point in each tree.
	leafOf := make([][]int32, rpTrees)
	for t := range leaves {
		leafOf[t] = make([]int32, n)
		for l, pts := range leaves[t] {
			for _, p := range pts {
				leafOf[t][p] = int32(l)
			}
		}
	}
	xx := sqNorms(x, n, d)
	nb := &neighbors{n: n, k: k, idx: make([]int32, n*k), d2: make([]float64, n*k)}
	var cancelled atomic.Bool
	// search ranks, for each point, the candidates proposed by candidates();
	// with seeded, the point's current neighbours (distances known) start in
	// the heap and are not measured again.
	search := func(seeded bool, candidates func(i int, add func(int32))) {
		var prevIdx []int32
		var prevD2 []float64
		if seeded {
			prevIdx = append([]int32(nil), nb.idx...)
			prevD2 = append([]float64(nil), nb.d2...)
		}
		par.For(n, func(lo, hi int) {
			stamp := make([]int32, n)
			for i := range stamp {
				stamp[i] = -1
			}
			var cand []int32
			var lb []float64
			var ord []int32
			var h kHeap
			for i := lo; i < hi; i++ {
				if i%512 == 0 && ctx.Err() != nil {
					cancelled.Store(true)
					return
				}
				cand = cand[:0]
				stamp[i] = int32(i)
				h.reset(k)
				if seeded {
					for q, j := range prevIdx[i*k : (i+1)*k] {
						stamp[j] = int32(i)
						h.push(prevD2[i*k+q], j)
					}
				}
				candidates(i, func(j int32) {
					if stamp[j] != int32(i) {
						stamp[j] = int32(i)
						cand = append(cand, j)
					}
				})
				lb = lb[:0]
				for _, j := range cand {
					lb = append(lb, pr.lowerBound(i, int(j)))
				}
				ord = ord[:0]
				for q := range cand {
					ord = append(ord, int32(q))
				}
				xi := x[i*d : (i+1)*d]
				visitByBound(ord, lb, 2*k, func(q int32) bool {
					if lb[q] > h.worst() {
						return false
					}
					j := cand[q]
					h.push(dotDist(xi, x[int(j)*d:(int(j)+1)*d], xx[i], xx[j]), j)
					return true
				})
				// Fewer than k candidates: pad with the nearest by index scan
				// (only for tiny leaves; rare).
				for j := 0; len(h.d) < k && j < n; j++ {
					if j != i && stamp[j] != int32(i) {
						h.push(dotDist(xi, x[j*d:(j+1)*d], xx[i], xx[j]), int32(j))
					}
				}
				h.sortedInto(nb.idx[i*k:(i+1)*k], nb.d2[i*k:(i+1)*k])
			}
		})
	}
	// Round 1: leaf-mates in every tree.
	search(false, func(i int, add func(int32)) {
		for t := range leaves {
			for _, j := range leaves[t][leafOf[t][i]] {
				add(j)
			}
		}
	})
	if cancelled.Load() {
		return nil, ctx.Err()
	}
	// Refinement rounds: current neighbours, and the neighbours of the
	// nearest few.
	top := min(refineTopK, k)
	for round := 0; round < refineRounds; round++ {
		prev := append([]int32(nil), nb.idx...)
		search(true, func(i int, add func(int32)) {
			for _, j := range prev[i*k : i*k+top] {
				for _, l := range prev[int(j)*k : int(j)*k+top] {
					add(l)
				}
			}
		})
		if cancelled.Load() {
			return nil, ctx.Err()
		}
	}
	return nb, nil
}

// lowerBound is ‖zᵢ−zⱼ‖² + (rᵢ−rⱼ)² ≤ ‖xᵢ−xⱼ‖².
func (p *projected) lowerBound(i, j int) float64 {
	zi := p.z[i*p.m : (i+1)*p.m]
	zj := p.z[j*p.m : (j+1)*p.m]
	var s float64
	for c, v := range zi {
		t := v - zj[c]
		s += t * t
	}
	dr := p.r[i] - p.r[j]
	return s*(1-1e-9) + dr*dr
}

// rpSplit recursively splits idx by random hyperplanes (normal zₐ − z_b for
// two random members, through their midpoint) into leaves of at most leaf
// points, appending them to out.
func rpSplit(p *projected, idx []int32, leaf int, rng *rand.Rand, out [][]int32) [][]int32 {
	if len(idx) <= leaf {
		return append(out, idx)
	}
	m := p.m
	a := int(idx[rng.IntN(len(idx))])
	b := int(idx[rng.IntN(len(idx))])
	normal := make([]float64, m)
	var off float64
	for c := 0; c < m; c++ {
		normal[c] = p.z[a*m+c] - p.z[b*m+c]
		off += normal[c] * (p.z[a*m+c] + p.z[b*m+c]) / 2
	}
	side := make([]float64, len(idx))
	for q, i := range idx {
		var s float64
		for c, v := range p.z[int(i)*m : int(i)*m+m] {
			s += v * normal[c]
		}
		side[q] = s - off
	}
	// Partition in place: negative side first.
	l, r := 0, len(idx)-1
	for l <= r {
		if side[l] < 0 {
			l++
			continue
		}
		idx[l], idx[r] = idx[r], idx[l]
		side[l], side[r] = side[r], side[l]
		r--
	}
	if l == 0 || l == len(idx) || math.IsNaN(off) {
		// Degenerate hyperplane (duplicates): split at random.
		rng.Shuffle(len(idx), func(i, j int) { idx[i], idx[j] = idx[j], idx[i] })
		l = len(idx) / 2
	}
	out = rpSplit(p, idx[:l], leaf, rng, out)
	return rpSplit(p, idx[l:], leaf, rng, out)
}
