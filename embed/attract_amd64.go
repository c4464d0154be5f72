//go:build amd64 && !purego

package embed

import "golang.org/x/sys/cpu"

// attractAsm says whether attractRows runs the AVX2 assembly.
var attractAsm = cpu.X86.HasAVX2

// attractRowsAVX2 is attractRowsGo in AVX2 assembly (attract_amd64.s),
// with the same operations in the same order, so the same bits: four
// edges at a time for the distances, kernels and products, their terms
// then added to the row's sums one by one.
//
//go:noescape
func attractRowsAVX2(rowPtr *int, col *int32, val, y, grad *float64, lo, hi int, exag float64)

func attractRows(p *sparseP, y []float64, exag float64, grad []float64, lo, hi int) {
	if !attractAsm || lo >= hi {
		attractRowsGo(p, y, exag, grad, lo, hi)
		return
	}
	// Bounds the assembly relies on: every row's edges, and the points of
	// the rows and of their neighbours.
	_ = p.rowPtr[hi]
	_ = grad[2*hi-1]
	if e := p.rowPtr[hi]; e > 0 {
		_ = p.col[e-1]
		_ = p.val[e-1]
	}
	_ = y[2*p.n-1]
	attractRowsAVX2(&p.rowPtr[0], unsafeFirst(p.col), unsafeFirst(p.val), &y[0], &grad[0], lo, hi, exag)
}

// unsafeFirst is &s[0], or nil for an empty slice (a P without edges).
func unsafeFirst[T any](s []T) *T {
	if len(s) == 0 {
		return nil
	}
	return &s[0]
}
