package engine

import (
	"runtime"

	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
)

// The packed GEMM, its micro-kernels and the im2col gather live in
// internal/kernels (shared with the trainer); this file splits GEMMs over
// goroutines and polls the run's context between blocks.

// moveCost is what moving one float (a copy, a gather, an elementwise
// operation) costs in the flops of workers: a gathered float takes about as
// long as 30 multiply-adds of the packed GEMM.
const moveCost = 32

// workers returns how many goroutines to use for n independent items of
// roughly cost flops each: at most GOMAXPROCS, and 1 for small work.
func workers(n int, cost float64) int {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	const minWork = 1 << 16 // flops per goroutine worth spawning for
	if t := float64(n) * cost / minWork; float64(w) > t {
		w = int(t)
	}
	if w < 1 {
		w = 1
	}
	return w
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C for op(A) m×k, op(B) k×n,
// all row-major, splitting the columns of C (or its rows, when n is small)
// across GOMAXPROCS goroutines. Scratch space comes from ws (may be nil).
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ws *workspace) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		kernels.ScaleRows(c, m, n, ldc, beta)
		return
	}
	acc := beta != 0
	if acc && beta != 1 {
		kernels.ScaleRows(c, m, n, ldc, beta)
	}
	var bbuf []float32
	if ws != nil {
		bbuf = ws.gemmB
	}
	pb := kernels.PackB(bbuf, transB, k, n, b, ldb)
	if ws != nil {
		ws.gemmB = pb.Data
	}
	sgemmB(transA, m, alpha, a, lda, pb, acc, c, ldc, ws)
}

// sgemmB computes C (+)= alpha·op(A)·B for an already packed B (k×n), C
// accumulated when acc is set and overwritten otherwise; the work is split
// over column panels of B or, when there are too few, row panels of A.
func sgemmB(transA bool, m int, alpha float32, a []float32, lda int, pb kernels.PackedB, acc bool, c []float32, ldc int, ws *workspace) {
	k, n := pb.K, pb.N
	var abuf []float32
	if ws != nil {
		abuf = ws.gemmA
	}
	pa := kernels.PackA(abuf, transA, m, k, alpha, a, lda)
	if ws != nil {
		ws.gemmA = pa.Data
	}
	panels := (n + kernels.NR - 1) / kernels.NR
	w := workers(panels, 2*float64(m)*float64(k)*kernels.NR)
	if w > 1 && panels >= w {
		par.Chunks(panels, w, func(_, lo, hi int) { gemmPackedPolled(ws.arena(), pa, pb, lo, hi, c, ldc, acc) })
		return
	}
	// Few column panels: split the rows instead (whole A panels).
	rp := (m + kernels.MR - 1) / kernels.MR
	w = workers(rp, 2*float64(kernels.MR)*float64(k)*float64(n))
	par.Chunks(rp, w, func(_, lo, hi int) {
		sub := pa.Rows(lo, hi)
		gemmPackedPolled(ws.arena(), sub, pb, 0, panels, c[lo*kernels.MR*ldc:], ldc, acc)
	})
}

// gemmPackedPolled is gemmPacked over the column panels lo..hi of B in
// blocks, polling ar (may be nil) for cancellation between blocks.
func gemmPackedPolled(ar *arena, pa kernels.PackedA, pb kernels.PackedB, lo, hi int, c []float32, ldc int, acc bool) {
	const block = 32
	for b := lo; b < hi; b += block {
		ar.poll()
		kernels.GemmPacked(pa, pb, b, min(b+block, hi), c, ldc, acc)
	}
}

// arena returns the run's arena of ws (nil for a nil workspace).
func (ws *workspace) arena() *arena {
	if ws == nil {
		return nil
	}
	return ws.ar
}
