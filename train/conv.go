package train

import (
	"fmt"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	gblas "gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

var gonumBLAS = gblas.Implementation{}

// Tile sizes for gemm: gonum's Sgemm goes parallel (a goroutine per 64×64
// block of C) once C has 4 or more blocks. Our ops already run one
// goroutine per batch chunk, so gemm hands gonum tiles of at most 1×3
// blocks, which it computes serially.
const (
	tileM = 64
	tileN = 192
)

// gemm computes C = A·B + C (alpha 1, beta 1) for row-major A (m×k, or k×m
// when transA), B (k×n, or n×k when transB) and C (m×n) with gonum's
// Sgemm, tile by tile. For the axpy-based kernels (B not transposed) every
// element of C is accumulated over k in order starting from its old value,
// exactly as in one Sgemm call. The dot-based kernel (A·Bᵀ) sums k in
// blocks of 64 when gonum goes parallel and in one dot when serial; for the
// network's shapes the two agree (k ≤ 64, or gonum was serial anyway), so
// training gives bit-identical results either way (TestGemmTilingBitIdentical).
func gemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if transA {
		ta = blas.Trans
	}
	if transB {
		tb = blas.Trans
	}
	for i0 := 0; i0 < m; i0 += tileM {
		mi := min(tileM, m-i0)
		var ai []float32
		if transA {
			ai = a[i0:]
		} else {
			ai = a[i0*lda:]
		}
		for j0 := 0; j0 < n; j0 += tileN {
			nj := min(tileN, n-j0)
			var bj []float32
			if transB {
				bj = b[j0*ldb:]
			} else {
				bj = b[j0:]
			}
			gonumBLAS.Sgemm(ta, tb, mi, nj, k, 1, ai, lda, bj, ldb, 1, c[i0*ldc+j0:], ldc)
		}
	}
}

// convDims describes a stride-1, unpadded convolution.
type convDims struct {
	B, C, H, W int // input
	O, KH, KW  int // filters
	OH, OW     int // output
}

func (d convDims) ckk() int { return d.C * d.KH * d.KW }
func (d convDims) p() int   { return d.OH * d.OW }

func newConvDims(x, w tensor.Shape) (convDims, error) {
	if x.Dims() != 4 || w.Dims() != 4 || x[1] != w[1] || x[2] < w[2] || x[3] < w[3] {
		return convDims{}, fmt.Errorf("train: Conv2dBias: input %v and filters %v do not fit (want NCHW and OCkhkw)", x, w)
	}
	return convDims{B: x[0], C: x[1], H: x[2], W: x[3], O: w[0], KH: w[2], KW: w[3],
		OH: x[2] - w[2] + 1, OW: x[3] - w[3] + 1}, nil
}

// im2col writes the patches of one image x (C,H,W) into col (C·KH·KW, OH·OW):
// col[(c·KH+i)·KW+j, oy·OW+ox] = x[c, oy+i, ox+j].
func (d convDims) im2col(col, x []float32) {
	p := d.p()
	for c := 0; c < d.C; c++ {
		for i := 0; i < d.KH; i++ {
			for j := 0; j < d.KW; j++ {
				row := col[((c*d.KH+i)*d.KW+j)*p:]
				for oy := 0; oy < d.OH; oy++ {
					src := x[(c*d.H+oy+i)*d.W+j:]
					copy(row[oy*d.OW:(oy+1)*d.OW], src[:d.OW])
				}
			}
		}
	}
}

// col2im adds col (C·KH·KW, OH·OW) back into the image gradient dx (C,H,W).
func (d convDims) col2im(dx, col []float32) {
	p := d.p()
	for c := 0; c < d.C; c++ {
		for i := 0; i < d.KH; i++ {
			for j := 0; j < d.KW; j++ {
				row := col[((c*d.KH+i)*d.KW+j)*p:]
				for oy := 0; oy < d.OH; oy++ {
					dst := dx[(c*d.H+oy+i)*d.W+j:][:d.OW]
					src := row[oy*d.OW : (oy+1)*d.OW]
					for k, v := range src {
						dst[k] += v
					}
				}
			}
		}
	}
}

// Conv2dBias returns the stride-1, unpadded cross-correlation of x (B,C,H,W)
// with filters w (O,C,KH,KW) plus a per-channel bias b (1,O,1,1):
//
//	y[n,o,oy,ox] = b[o] + Σ_{c,i,j} w[o,c,i,j] · x[n,c,oy+i,ox+j]
//
// computed per image as W(O, C·KH·KW) × im2col(x) with blas32 Sgemm (gonum),
// written directly in NCHW. It replaces gorgonia's Conv2d (im2col, a batched
// matmul into NHWC and a Transpose) followed by a BroadcastAdd of the bias.
// Gradients: dW = Σ_n dy_n × im2col(x_n)ᵀ, db[o] = Σ dy[·,o,·,·],
// dx = col2im(Wᵀ × dy_n). dx is not computed when x is an input node (the
// images).
func Conv2dBias(x, w, b *G.Node) (*G.Node, error) {
	d, err := newConvDims(x.Shape(), w.Shape())
	if err != nil {
		return nil, err
	}
	if !b.Shape().Eq(tensor.Shape{1, d.O, 1, 1}) {
		return nil, fmt.Errorf("train: Conv2dBias: bias shape %v, want (1, %d, 1, 1)", b.Shape(), d.O)
	}
	return G.ApplyOp(convOp{opBase{fmt.Sprintf("Conv2dBias%v", d)}, d, x.Op() != nil}, x, w, b)
}

type convOp struct {
	opBase
	d         convDims
	inputGrad bool // whether x needs a gradient
}

func (o convOp) Arity() int    { return 3 }
func (o convOp) Type() hm.Type { return fnType(3) }
func (o convOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{o.d.B, o.d.O, o.d.OH, o.d.OW}, nil
}
func (o convOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o convOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	x, w, b := v[0], v[1], v[2]
	d := o.d
	out := output(pre, tensor.Shape{d.B, d.O, d.OH, d.OW}, in...)
	y := out.Data().([]float32)
	ckk, p := d.ckk(), d.p()
	parallel(d.B, func(_, lo, hi int) {
		col := make([]float32, ckk*p)
		for n := lo; n < hi; n++ {
			yn := y[n*d.O*p : (n+1)*d.O*p]
			for o := 0; o < d.O; o++ {
				bo := b[o]
				row := yn[o*p : (o+1)*p]
				for k := range row {
					row[k] = bo
				}
			}
			d.im2col(col, x[n*d.C*d.H*d.W:])
			gemm(false, false, d.O, p, ckk, w, ckk, col, p, yn, p)
		}
	})
	return out, nil
}

func (o convOp) DiffWRT(int) []bool { return []bool{o.inputGrad, true, true} }
func (o convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var dx *G.Node
	var err error
	if o.inputGrad {
		if dx, err = G.ApplyOp(convGradXOp{opBase{"Conv2dGradX" + o.name}, o.d}, in[1], grad); err != nil {
			return nil, err
		}
	}
	dw, err := G.ApplyOp(convGradWOp{opBase{"Conv2dGradW" + o.name}, o.d}, in[0], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(convGradBOp{opBase{"Conv2dGradB" + o.name}, o.d}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// convGradXOp computes dx = col2im(Wᵀ × dy_n) from (w, dy).
type convGradXOp struct {
	opBase
	d convDims
}

func (o convGradXOp) Arity() int    { return 2 }
func (o convGradXOp) Type() hm.Type { return fnType(2) }
func (o convGradXOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{o.d.B, o.d.C, o.d.H, o.d.W}, nil
}
func (o convGradXOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o convGradXOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	w, dy := v[0], v[1]
	d := o.d
	out := output(pre, tensor.Shape{d.B, d.C, d.H, d.W}, in...)
	dx := out.Data().([]float32)
	ckk, p, img := d.ckk(), d.p(), d.C*d.H*d.W
	parallel(d.B, func(_, lo, hi int) {
		col := make([]float32, ckk*p)
		for n := lo; n < hi; n++ {
			clear(col)
			gemm(true, false, ckk, p, d.O, w, ckk, dy[n*d.O*p:], p, col, p)
			dxn := dx[n*img : (n+1)*img]
			clear(dxn)
			d.col2im(dxn, col)
		}
	})
	return out, nil
}
func (o convGradXOp) DiffWRT(int) []bool { return []bool{false, false} }
func (o convGradXOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("train: no second derivative of Conv2dBias")
}

// convGradWOp computes dW = Σ_n dy_n × im2col(x_n)ᵀ from (x, dy).
type convGradWOp struct {
	opBase
	d convDims
}

func (o convGradWOp) Arity() int    { return 2 }
func (o convGradWOp) Type() hm.Type { return fnType(2) }
func (o convGradWOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{o.d.O, o.d.C, o.d.KH, o.d.KW}, nil
}
func (o convGradWOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o convGradWOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	x, dy := v[0], v[1]
	d := o.d
	out := output(pre, tensor.Shape{d.O, d.C, d.KH, d.KW}, in...)
	dw := out.Data().([]float32)
	ckk, p, img := d.ckk(), d.p(), d.C*d.H*d.W
	// Each worker sums its own images; partial sums are added in worker
	// order, so the result depends only on GOMAXPROCS, not on scheduling.
	nw := min(maxWorkers(), d.B)
	partial := make([][]float32, nw)
	parallel(d.B, func(wk, lo, hi int) {
		col := make([]float32, ckk*p)
		acc := make([]float32, d.O*ckk)
		for n := lo; n < hi; n++ {
			d.im2col(col, x[n*img:])
			gemm(false, true, d.O, ckk, p, dy[n*d.O*p:], p, col, p, acc, ckk)
		}
		partial[wk] = acc
	})
	clear(dw)
	for _, acc := range partial {
		for i, v := range acc {
			dw[i] += v
		}
	}
	return out, nil
}
func (o convGradWOp) DiffWRT(int) []bool { return []bool{false, false} }
func (o convGradWOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("train: no second derivative of Conv2dBias")
}

// convGradBOp computes db[o] = Σ_{n,p} dy[n,o,p] from dy.
type convGradBOp struct {
	opBase
	d convDims
}

func (o convGradBOp) Arity() int    { return 1 }
func (o convGradBOp) Type() hm.Type { return fnType(1) }
func (o convGradBOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{1, o.d.O, 1, 1}, nil
}
func (o convGradBOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o convGradBOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	dy, err := f32(in[0])
	if err != nil {
		return nil, err
	}
	d := o.d
	out := output(pre, tensor.Shape{1, d.O, 1, 1}, in...)
	db := out.Data().([]float32)
	p := d.p()
	for o := range db {
		var s float32
		for n := 0; n < d.B; n++ {
			for _, v := range dy[(n*d.O+o)*p : (n*d.O+o+1)*p] {
				s += v
			}
		}
		db[o] = s
	}
	return out, nil
}
func (o convGradBOp) DiffWRT(int) []bool { return []bool{false} }
func (o convGradBOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("train: no second derivative of Conv2dBias")
}

// ---------------------------------------------------------------------------
// 2×2 max-pooling with stride 2.

// MaxPool2x2 returns y[n,c,i,j] = max over the 2×2 window x[n,c,2i..2i+1,2j..2j+1]
// for x (B,C,H,W) with even H and W. The gradient goes to the first maximum
// of each window in row-major order (as PyTorch's CPU kernel does).
func MaxPool2x2(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[2]%2 != 0 || s[3]%2 != 0 {
		return nil, fmt.Errorf("train: MaxPool2x2 needs NCHW with even H and W, got %v", s)
	}
	return G.ApplyOp(poolOp{opBase{fmt.Sprintf("MaxPool2x2%v", s)}, s.Clone()}, x)
}

type poolOp struct {
	opBase
	s tensor.Shape
}

func (o poolOp) Arity() int    { return 1 }
func (o poolOp) Type() hm.Type { return fnType(1) }
func (o poolOp) outShape() tensor.Shape {
	return tensor.Shape{o.s[0], o.s[1], o.s[2] / 2, o.s[3] / 2}
}
func (o poolOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.outShape(), nil }
func (o poolOp) Do(in ...G.Value) (G.Value, error)              { return o.UsePreallocDo(nil, in...) }
func (o poolOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	x, err := f32(in[0])
	if err != nil {
		return nil, err
	}
	out := output(pre, o.outShape(), in...)
	y := out.Data().([]float32)
	H, W := o.s[2], o.s[3]
	planes := o.s[0] * o.s[1]
	parallel(planes, func(_, lo, hi int) { maxPoolPlanes(y, x, lo, hi, H, W) })
	return out, nil
}

// maxPoolPlanes pools planes [lo, hi) of x (…, H, W) into y.
func maxPoolPlanes(y, x []float32, lo, hi, H, W int) {
	oh, ow := H/2, W/2
	for pl := lo; pl < hi; pl++ {
		xp := x[pl*H*W:]
		yp := y[pl*oh*ow:]
		for i := 0; i < oh; i++ {
			r0 := xp[2*i*W:]
			r1 := xp[(2*i+1)*W:]
			for j := 0; j < ow; j++ {
				m := r0[2*j]
				if v := r0[2*j+1]; v > m {
					m = v
				}
				if v := r1[2*j]; v > m {
					m = v
				}
				if v := r1[2*j+1]; v > m {
					m = v
				}
				yp[i*ow+j] = m
			}
		}
	}
}
func (o poolOp) DiffWRT(int) []bool { return []bool{true} }
func (o poolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(poolGradOp{opBase{"MaxPool2x2Grad" + o.name}, o.s}, in[0], grad)
	return G.Nodes{dx}, err
}

// poolGradOp routes dy to the first maximum of each window, from (x, dy).
type poolGradOp struct {
	opBase
	s tensor.Shape
}

func (o poolGradOp) Arity() int                                     { return 2 }
func (o poolGradOp) Type() hm.Type                                  { return fnType(2) }
func (o poolGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.s.Clone(), nil }
func (o poolGradOp) Do(in ...G.Value) (G.Value, error)              { return o.UsePreallocDo(nil, in...) }
func (o poolGradOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	x, dy := v[0], v[1]
	out := output(pre, o.s, in...)
	dx := out.Data().([]float32)
	H, W := o.s[2], o.s[3]
	planes := o.s[0] * o.s[1]
	parallel(planes, func(_, lo, hi int) { maxPoolGradPlanes(dx, x, dy, lo, hi, H, W) })
	return out, nil
}

// maxPoolGradPlanes routes dy to the first maximum of each window for
// planes [lo, hi).
func maxPoolGradPlanes(dx, x, dy []float32, lo, hi, H, W int) {
	oh, ow := H/2, W/2
	clear(dx[lo*H*W : hi*H*W])
	for pl := lo; pl < hi; pl++ {
		xp, dxp, dyp := x[pl*H*W:], dx[pl*H*W:], dy[pl*oh*ow:]
		for i := 0; i < oh; i++ {
			r0, r1 := xp[2*i*W:(2*i+1)*W], xp[(2*i+1)*W:(2*i+2)*W]
			d0, d1 := dxp[2*i*W:(2*i+1)*W], dxp[(2*i+1)*W:(2*i+2)*W]
			g := dyp[i*ow : (i+1)*ow]
			for j, gj := range g {
				a, b, c, d := r0[2*j], r0[2*j+1], r1[2*j], r1[2*j+1]
				// The first maximum in the order a, b, c, d.
				switch {
				case a >= b && a >= c && a >= d:
					d0[2*j] += gj
				case b >= c && b >= d:
					d0[2*j+1] += gj
				case c >= d:
					d1[2*j] += gj
				default:
					d1[2*j+1] += gj
				}
			}
		}
	}
}
func (o poolGradOp) DiffWRT(int) []bool { return []bool{false, false} }
func (o poolGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("train: no second derivative of MaxPool2x2")
}
