package embed

import (
	"math"
	"sort"

	"github.com/conceptcells/conceptcells/internal/par"
)

// sparseP is a symmetric joint-probability matrix in compressed sparse row
// form: row i has columns col[rowPtr[i]:rowPtr[i+1]] (sorted) with values
// val; the values sum to 1.
type sparseP struct {
	n      int
	rowPtr []int
	col    []int32
	val    []float64
}

// conditionalP calibrates a Gaussian kernel for each point on its kNN
// distances so that the perplexity of p_{j|i} is perp:
//
//	p_{j|i} = exp(−β_i d²_ij) / Σ_l exp(−β_i d²_il),  H_i = −Σ_j p_{j|i} ln p_{j|i} = ln perp,
//
// with β_i found by bisection (doubling/halving until bracketed) to
// |H_i − ln perp| < 1e-5 or 200 steps (van der Maaten & Hinton 2008,
// JMLR 9:2579). Distances are shifted by the nearest one, which leaves p
// unchanged and avoids underflow. It returns the n×k conditional matrix in
// the layout of nb, and the number of points whose bisection did not
// converge.
func conditionalP(nb *neighbors, perp float64) ([]float64, int) {
	n, k := nb.n, nb.k
	p := make([]float64, n*k)
	target := math.Log(perp)
	fails := make([]int, n)
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			d := nb.d2[i*k : (i+1)*k]
			row := p[i*k : (i+1)*k]
			d0 := d[0]
			beta := 1.0
			// Scale the starting β to the data: 1/mean shifted distance.
			var mean float64
			for _, v := range d {
				mean += v - d0
			}
			mean /= float64(k)
			if mean > 0 {
				beta = 1 / mean
			}
			lo2, hi2 := math.Inf(-1), math.Inf(1)
			ok := false
			for step := 0; step < 200; step++ {
				var sum, dsum float64
				for j, v := range d {
					e := math.Exp(-beta * (v - d0))
					row[j] = e
					sum += e
					dsum += (v - d0) * e
				}
				h := math.Log(sum) + beta*dsum/sum
				diff := h - target
				if math.Abs(diff) < 1e-5 {
					ok = true
					break
				}
				if diff > 0 {
					lo2 = beta
					if math.IsInf(hi2, 1) {
						beta *= 2
					} else {
						beta = (beta + hi2) / 2
					}
				} else {
					hi2 = beta
					if math.IsInf(lo2, -1) {
						beta /= 2
					} else {
						beta = (beta + lo2) / 2
					}
				}
			}
			var sum float64
			for j, v := range d {
				e := math.Exp(-beta * (v - d0))
				row[j] = e
				sum += e
			}
			for j := range row {
				row[j] /= sum
			}
			if !ok {
				fails[i] = 1
			}
		}
	})
	nf := 0
	for _, f := range fails {
		nf += f
	}
	return p, nf
}

// symmetrize forms p_ij = (p_{j|i} + p_{i|j}) / 2n as a CSR matrix.
func symmetrize(nb *neighbors, pc []float64) *sparseP {
	n, k := nb.n, nb.k
	// Count entries per row: own k plus incoming.
	cnt := make([]int, n+1)
	for i := 0; i < n; i++ {
		cnt[i] += k
		for _, j := range nb.idx[i*k : (i+1)*k] {
			cnt[j]++
		}
	}
	ptr := make([]int, n+1)
	for i := 0; i < n; i++ {
		ptr[i+1] = ptr[i] + cnt[i]
	}
	col := make([]int32, ptr[n])
	val := make([]float64, ptr[n])
	fill := make([]int, n)
	copy(fill, ptr[:n])
	scale := 1 / (2 * float64(n))
	for i := 0; i < n; i++ {
		for q, j := range nb.idx[i*k : (i+1)*k] {
			v := pc[i*k+q] * scale
			col[fill[i]], val[fill[i]] = j, v
			fill[i]++
			col[fill[j]], val[fill[j]] = int32(i), v
			fill[j]++
		}
	}
	// Sort each row by column and merge duplicates.
	out := &sparseP{n: n, rowPtr: make([]int, n+1)}
	outCol := make([]int32, 0, ptr[n])
	outVal := make([]float64, 0, ptr[n])
	type cv struct {
		c int32
		v float64
	}
	var buf []cv
	for i := 0; i < n; i++ {
		buf = buf[:0]
		for e := ptr[i]; e < ptr[i+1]; e++ {
			buf = append(buf, cv{col[e], val[e]})
		}
		sort.Slice(buf, func(a, b int) bool { return buf[a].c < buf[b].c })
		for e := 0; e < len(buf); e++ {
			if len(outCol) > out.rowPtr[i] && outCol[len(outCol)-1] == buf[e].c {
				outVal[len(outVal)-1] += buf[e].v
				continue
			}
			outCol = append(outCol, buf[e].c)
			outVal = append(outVal, buf[e].v)
		}
		out.rowPtr[i+1] = len(outCol)
	}
	out.col, out.val = outCol, outVal
	// Renormalise to sum 1 exactly (sum over rows in order).
	var s float64
	for _, v := range out.val {
		s += v
	}
	for e := range out.val {
		out.val[e] /= s
	}
	return out
}
