package train

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Dense returns y = x·w + b for x (B, in), w (in, out) and b (1, out),
// computed with the packed GEMM of internal/kernels. It replaces gorgonia's
// Mul followed by a BroadcastAdd of the bias. Gradients: dx = dy·wᵀ,
// dw = xᵀ·dy, db = Σ_rows dy. Every GEMM is split over rows of its result
// only, so each sum runs over its whole depth in one piece and the result
// does not depend on the number of CPUs.
func Dense(x, w, b *G.Node) (*G.Node, error) {
	xs, ws, bs := x.Shape(), w.Shape(), b.Shape()
	if xs.Dims() != 2 || ws.Dims() != 2 || xs[1] != ws[0] || !bs.Eq(tensor.Shape{1, ws[1]}) {
		return nil, fmt.Errorf("train: Dense: input %v, weights %v and bias %v do not fit (want (B, in), (in, out), (1, out))", xs, ws, bs)
	}
	d := denseDims{B: xs[0], In: ws[0], Out: ws[1]}
	return G.ApplyOp(denseOp{newBase(fmt.Sprintf("Dense%v", d)), d, &denseScratch{}}, x, w, b)
}

type denseDims struct{ B, In, Out int }

// denseScratch holds the packing buffers of each chunk, reused from batch
// to batch (the ops run one at a time; chunk c uses only work[c]).
type denseScratch struct {
	work [chunks]kernels.Scratch
}

// gemmRows computes C = op(A)·op(B) + beta·C (m×n, row-major, ldc = n)
// with the rows of C split into chunks.
func (s *denseScratch) gemmRows(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32) {
	par.Chunks(m, chunks, func(ch, lo, hi int) {
		var ai []float32
		if transA {
			ai = a[lo:]
		} else {
			ai = a[lo*lda:]
		}
		kernels.Gemm(transA, transB, hi-lo, n, k, 1, ai, lda, b, ldb, beta, c[lo*n:hi*n], n, &s.work[ch])
	})
}

type denseOp struct {
	opBase
	d denseDims
	s *denseScratch
}

func (o denseOp) Arity() int    { return 3 }
func (o denseOp) Type() hm.Type { return fnType(3) }
func (o denseOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{o.d.B, o.d.Out}, nil
}
func (o denseOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o denseOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	x, w, b := v[0], v[1], v[2]
	d := o.d
	out := o.output(pre, tensor.Shape{d.B, d.Out}, in...)
	y := out.Data().([]float32)
	for r := 0; r < d.B; r++ {
		copy(y[r*d.Out:(r+1)*d.Out], b[:d.Out])
	}
	o.s.gemmRows(false, false, d.B, d.Out, d.In, x, d.In, w, d.Out, 1, y)
	return out, nil
}

func (o denseOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (o denseOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(denseGradOp{newBase("DenseGradX" + o.name), o.d, 0, o.s}, in[1], grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(denseGradOp{newBase("DenseGradW" + o.name), o.d, 1, o.s}, in[0], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(denseGradOp{newBase("DenseGradB" + o.name), o.d, 2, o.s}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// denseGradOp is one gradient of Dense: which 0 is dx from (w, dy), 1 is
// dw from (x, dy), 2 is db from (dy).
type denseGradOp struct {
	opBase
	d     denseDims
	which int
	s     *denseScratch
}

func (o denseGradOp) Arity() int {
	if o.which == 2 {
		return 1
	}
	return 2
}
func (o denseGradOp) Type() hm.Type { return fnType(o.Arity()) }
func (o denseGradOp) shape() tensor.Shape {
	switch o.which {
	case 0:
		return tensor.Shape{o.d.B, o.d.In}
	case 1:
		return tensor.Shape{o.d.In, o.d.Out}
	}
	return tensor.Shape{1, o.d.Out}
}
func (o denseGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.shape(), nil }
func (o denseGradOp) Do(in ...G.Value) (G.Value, error)              { return o.UsePreallocDo(nil, in...) }
func (o denseGradOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	d := o.d
	out := o.output(pre, o.shape(), in...)
	r := out.Data().([]float32)
	switch o.which {
	case 0: // dx (B, in) = dy (B, out) · wᵀ
		w, dy := v[0], v[1]
		o.s.gemmRows(false, true, d.B, d.In, d.Out, dy, d.Out, w, d.Out, 0, r)
	case 1: // dw (in, out) = xᵀ · dy, x stored (B, in)
		x, dy := v[0], v[1]
		o.s.gemmRows(true, false, d.In, d.Out, d.B, x, d.In, dy, d.Out, 0, r)
	default: // db (1, out) = Σ_rows dy
		dy := v[0]
		clear(r)
		for row := 0; row < d.B; row++ {
			for j, g := range dy[row*d.Out : (row+1)*d.Out] {
				r[j] += g
			}
		}
	}
	return out, nil
}
func (o denseGradOp) DiffWRT(int) []bool { return make([]bool, o.Arity()) }
func (o denseGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("train: no second derivative of Dense")
}
