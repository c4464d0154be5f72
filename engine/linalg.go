package engine

import (
	"fmt"
	"slices"

	"github.com/conceptcells/conceptcells/internal/kernels"
)

// gemmOp computes Gemm: Y = alpha·op(A)·op(B) + beta·C with op(A) M×K,
// op(B) K×N (transposed when transA/transB) and C unidirectionally
// broadcast to M×N (ONNX Gemm).
//
// pre, when not nil, is B already packed (a constant weight, packed at
// Prepare time); b is then only used for its shape.
func gemmOp(a, b, c *Tensor, transA, transB bool, alpha, beta float32, pre *kernels.PackedB, ar *arena, ws *workspace) (*Tensor, error) {
	if a.DType != Float32 || b.DType != Float32 || len(a.Shape) != 2 || len(b.Shape) != 2 {
		return nil, fmt.Errorf("Gemm needs two float32 matrices, got %s and %s", a, b)
	}
	m, k := a.Shape[0], a.Shape[1]
	if transA {
		m, k = k, m
	}
	kb, n := b.Shape[0], b.Shape[1]
	if transB {
		kb, n = n, kb
	}
	if k != kb {
		return nil, fmt.Errorf("Gemm: op(A) is %d×%d but op(B) is %d×%d (A %v, B %v, transA %v, transB %v)", m, k, kb, n, a.Shape, b.Shape, transA, transB)
	}
	y := ar.get([]int{m, n})
	if c != nil && beta != 0 {
		if c.DType != Float32 {
			return nil, fmt.Errorf("Gemm: C %s is not float32", c)
		}
		out, err := broadcastShape([]int{m, n}, c.Shape)
		if err != nil || !slices.Equal(out, []int{m, n}) {
			return nil, fmt.Errorf("Gemm: C %v does not broadcast to %d×%d", c.Shape, m, n)
		}
		it := newBcastIter(y.Shape, c.Shape)
		s := it.istr[0]
		it.each(func(o int, offs []int) {
			src := c.F[offs[0]:]
			for i := 0; i < it.inner; i++ {
				y.F[o+i] = src[i*s]
			}
		})
	} else {
		beta = 0
	}
	if pre != nil && m > 0 && n > 0 && k > 0 && alpha != 0 {
		if beta != 0 && beta != 1 {
			kernels.ScaleRows(y.F, m, n, n, beta)
		}
		sgemmB(transA, m, alpha, a.F, a.Shape[1], *pre, beta != 0, y.F, n, ws)
		return y, nil
	}
	sgemm(transA, transB, m, n, k, alpha, a.F, a.Shape[1], b.F, b.Shape[1], beta, y.F, n, ws)
	return y, nil
}

// matmul is NumPy matmul: 1-D operands are promoted (and the added axis
// removed), leading batch dimensions broadcast.
//
// pre, when not nil, is the 2-D b already packed (a constant weight).
func matmul(a, b *Tensor, pre *kernels.PackedB, ar *arena, ws *workspace) (*Tensor, error) {
	if a.DType != Float32 || b.DType != Float32 {
		return nil, fmt.Errorf("MatMul needs float32 inputs, got %s and %s", a, b)
	}
	as, bs := a.Shape, b.Shape
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("MatMul of a scalar: %s and %s", a, b)
	}
	dropA, dropB := false, false
	if len(as) == 1 {
		as = []int{1, as[0]}
		dropA = true
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
		dropB = true
	}
	m, k := as[len(as)-2], as[len(as)-1]
	kb, n := bs[len(bs)-2], bs[len(bs)-1]
	if k != kb {
		return nil, fmt.Errorf("MatMul: %v × %v: inner dimensions %d and %d differ", a.Shape, b.Shape, k, kb)
	}
	batch, err := broadcastShape(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("MatMul batch dimensions: %v", err)
	}
	shape := append(append([]int(nil), batch...), m, n)
	y := ar.get(shape)
	nb := numel(batch)
	if y.Len() == 0 {
		return y, nil
	}
	if k == 0 {
		clear(y.F)
		return y, nil
	}
	// Offsets of each batch entry in a and b.
	aoff := batchOffsets(batch, as[:len(as)-2], m*k)
	boff := batchOffsets(batch, bs[:len(bs)-2], k*n)
	if nb == 1 || (len(bs) == 2 && isContiguousBatch(aoff, m*k)) {
		// One GEMM: fold a's batch into its rows when b is shared.
		rows := m
		if nb > 1 {
			rows = m * nb
		}
		if pre != nil && len(bs) == 2 && !dropB {
			sgemmB(false, rows, 1, a.F[aoff[0]:], k, *pre, false, y.F, n, ws)
		} else {
			sgemm(false, false, rows, n, k, 1, a.F[aoff[0]:], k, b.F[boff[0]:], n, 0, y.F, n, ws)
		}
	} else {
		for i := 0; i < nb; i++ {
			sgemm(false, false, m, n, k, 1, a.F[aoff[i]:], k, b.F[boff[i]:], n, 0, y.F[i*m*n:], n, ws)
		}
	}
	switch {
	case dropA && dropB:
		y.Shape = shape[:len(shape)-2]
	case dropA:
		y.Shape = append(shape[:len(shape)-2], n)
	case dropB:
		y.Shape = shape[:len(shape)-1]
	}
	return y, nil
}

func batchOffsets(batch, shape []int, mat int) []int {
	nb := numel(batch)
	out := make([]int, nb)
	if nb == 0 {
		return out
	}
	off := len(batch) - len(shape)
	st := make([]int, len(batch))
	acc := mat
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 {
			st[off+i] = acc
		}
		acc *= shape[i]
	}
	idx := make([]int, len(batch))
	for j := 0; j < nb; j++ {
		o := 0
		for d := range idx {
			o += idx[d] * st[d]
		}
		out[j] = o
		nextIndex(idx, batch)
	}
	return out
}

func isContiguousBatch(off []int, mat int) bool {
	for i, o := range off {
		if o != i*mat {
			return false
		}
	}
	return true
}
