package train

import (
	"fmt"

	"github.com/chewxy/hm"
	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

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

// geom is d as the kernels' geometry of one image.
func (d convDims) geom() kernels.Conv2D {
	return kernels.Conv2D{C: d.C, H: d.H, W: d.W, KH: d.KH, KW: d.KW}
}

// convScratch is the memory a convolution and its gradient ops reuse from
// batch to batch: the im2col offset tables (fixed by the shapes), the
// packed weights, and per chunk of images the packing buffers and the
// weight-gradient partial sums. The ops run one at a time (gorgonia's tape
// machine), and within an op chunk c uses only work[c].
type convScratch struct {
	tap, pos []int32   // im2col offsets: tap l, output position j (padded to NR)
	tapPad   []int32   // tap padded to a multiple of NR (the weight gradient's columns)
	wpack    []float32 // packed W (forward) or Wᵀ (input gradient)
	bias     []float32 // the bias, padded to a multiple of kernels.MR
	work     [chunks]convWork
}

type convWork struct {
	kernels.Scratch
	col []float32 // an im2col matrix, plain or packed
	dw  []float32 // this chunk's weight-gradient sum
}

func newConvScratch(d convDims) *convScratch {
	s := &convScratch{}
	s.tap, s.pos = d.geom().Offsets(nil, nil)
	s.tapPad = make([]int32, kernels.RoundUp(len(s.tap), kernels.NR))
	copy(s.tapPad, s.tap)
	return s
}

// Conv2dBias returns the stride-1, unpadded cross-correlation of x (B,C,H,W)
// with filters w (O,C,KH,KW) plus a per-channel bias b (1,O,1,1):
//
//	y[n,o,oy,ox] = b[o] + Σ_{c,i,j} w[o,c,i,j] · x[n,c,oy+i,ox+j]
//
// computed per image as W(O, C·KH·KW) × im2col(x) with the packed GEMM of
// internal/kernels (the bias is where its sums start), written directly in
// NCHW. It replaces gorgonia's Conv2d (im2col, a batched
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
	return G.ApplyOp(convOp{newBase(fmt.Sprintf("Conv2dBias%v", d)), d, x.Op() != nil, newConvScratch(d)}, x, w, b)
}

type convOp struct {
	opBase
	d         convDims
	inputGrad bool // whether x needs a gradient
	s         *convScratch
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
	out := o.output(pre, tensor.Shape{d.B, d.O, d.OH, d.OW}, in...)
	y := out.Data().([]float32)
	ckk, p, img := d.ckk(), d.p(), d.C*d.H*d.W
	sc := o.s
	pa := kernels.PackA(sc.wpack, false, d.O, ckk, 1, w, ckk)
	sc.wpack = pa.Data
	if len(sc.bias) < kernels.RoundUp(d.O, kernels.MR) {
		sc.bias = make([]float32, kernels.RoundUp(d.O, kernels.MR))
	}
	copy(sc.bias, b[:d.O])
	pa.Bias = sc.bias
	size := kernels.PackedBSize(ckk, p)
	panels := (p + kernels.NR - 1) / kernels.NR
	par.Chunks(d.B, chunks, func(c, lo, hi int) {
		wk := &sc.work[c]
		if cap(wk.col) < size {
			wk.col = make([]float32, size)
		}
		for n := lo; n < hi; n++ {
			pb := kernels.GatherPacked(wk.col[:size], x[n*img:(n+1)*img], sc.tap, sc.pos, p, 0, panels)
			kernels.GemmPacked(pa, pb, 0, panels, y[n*d.O*p:(n+1)*d.O*p], p, false)
		}
	})
	return out, nil
}

func (o convOp) DiffWRT(int) []bool { return []bool{o.inputGrad, true, true} }
func (o convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var dx *G.Node
	var err error
	if o.inputGrad {
		if dx, err = G.ApplyOp(convGradXOp{newBase("Conv2dGradX" + o.name), o.d, o.s}, in[1], grad); err != nil {
			return nil, err
		}
	}
	dw, err := G.ApplyOp(convGradWOp{newBase("Conv2dGradW" + o.name), o.d, o.s}, in[0], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(convGradBOp{newBase("Conv2dGradB" + o.name), o.d}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// convGradXOp computes dx = col2im(Wᵀ × dy_n) from (w, dy).
type convGradXOp struct {
	opBase
	d convDims
	s *convScratch
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
	out := o.output(pre, tensor.Shape{d.B, d.C, d.H, d.W}, in...)
	dx := out.Data().([]float32)
	ckk, p, img := d.ckk(), d.p(), d.C*d.H*d.W
	sc := o.s
	pa := kernels.PackA(sc.wpack, true, ckk, d.O, 1, w, ckk) // Wᵀ
	sc.wpack = pa.Data
	g := d.geom()
	par.Chunks(d.B, chunks, func(c, lo, hi int) {
		wk := &sc.work[c]
		if cap(wk.col) < ckk*p {
			wk.col = make([]float32, ckk*p)
		}
		col := wk.col[:ckk*p]
		for n := lo; n < hi; n++ {
			pb := kernels.PackB(wk.B, false, d.O, p, dy[n*d.O*p:(n+1)*d.O*p], p)
			wk.B = pb.Data
			kernels.GemmPacked(pa, pb, 0, pb.Panels(), col, p, false)
			dxn := dx[n*img : (n+1)*img]
			clear(dxn)
			g.Col2im(dxn, col)
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
	s *convScratch
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
	out := o.output(pre, tensor.Shape{d.O, d.C, d.KH, d.KW}, in...)
	dw := out.Data().([]float32)
	ckk, p, img := d.ckk(), d.p(), d.C*d.H*d.W
	sc := o.s
	// Each chunk sums its own images (dy_n × im2col(x_n)ᵀ, the transposed
	// im2col gathered straight into the GEMM's B layout); the partial sums
	// are added in chunk order, so the result does not depend on
	// scheduling or on the number of CPUs.
	nc := min(chunks, d.B)
	size := kernels.PackedBSize(p, ckk)
	panels := (ckk + kernels.NR - 1) / kernels.NR
	par.Chunks(d.B, nc, func(c, lo, hi int) {
		wk := &sc.work[c]
		if cap(wk.col) < size {
			wk.col = make([]float32, size)
		}
		if cap(wk.dw) < d.O*ckk {
			wk.dw = make([]float32, d.O*ckk)
		}
		acc := wk.dw[:d.O*ckk]
		for n := lo; n < hi; n++ {
			pa := kernels.PackA(wk.A, false, d.O, p, 1, dy[n*d.O*p:(n+1)*d.O*p], p)
			wk.A = pa.Data
			pb := kernels.GatherPacked(wk.col[:size], x[n*img:(n+1)*img], sc.pos[:p], sc.tapPad, ckk, 0, panels)
			kernels.GemmPacked(pa, pb, 0, panels, acc, ckk, n > lo)
		}
	})
	copy(dw, sc.work[0].dw[:d.O*ckk])
	for c := 1; c < nc; c++ {
		for i, v := range sc.work[c].dw[:d.O*ckk] {
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
	out := o.output(pre, tensor.Shape{1, d.O, 1, 1}, in...)
	db := out.Data().([]float32)
	p := d.p()
	// Each channel's sum runs over the images and positions in order,
	// whatever the split of the channels.
	par.Chunks(d.O, chunks, func(_, lo, hi int) {
		for o := lo; o < hi; o++ {
			var s float32
			for n := 0; n < d.B; n++ {
				for _, v := range dy[(n*d.O+o)*p : (n*d.O+o+1)*p] {
					s += v
				}
			}
			db[o] = s
		}
	})
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
func MaxPool2x2(x *G.Node) (*G.Node, error) { return maxPool(x, false) }

// MaxPool2x2Relu is G.Rectify(MaxPool2x2(x)) in one op, with the same
// values and gradients (Rectify is v·[v ≥ 0], so its gradient passes dy·[v ≥ 0]).
func MaxPool2x2Relu(x *G.Node) (*G.Node, error) { return maxPool(x, true) }

func maxPool(x *G.Node, relu bool) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[2]%2 != 0 || s[3]%2 != 0 {
		return nil, fmt.Errorf("train: MaxPool2x2 needs NCHW with even H and W, got %v", s)
	}
	name := "MaxPool2x2"
	if relu {
		name = "MaxPool2x2Relu"
	}
	return G.ApplyOp(poolOp{newBase(fmt.Sprintf("%s%v", name, s)), s.Clone(), relu}, x)
}

type poolOp struct {
	opBase
	s    tensor.Shape
	relu bool // ReLU after the pool
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
	out := o.output(pre, o.outShape(), in...)
	y := out.Data().([]float32)
	H, W := o.s[2], o.s[3]
	planes := o.s[0] * o.s[1]
	oh, ow := H/2, W/2
	par.Chunks(planes, chunks, func(_, lo, hi int) {
		kernels.MaxPool2x2Planes(y, x, lo, hi, H, W)
		if o.relu {
			kernels.ReluZero(y[lo*oh*ow : hi*oh*ow])
		}
	})
	return out, nil
}

func (o poolOp) DiffWRT(int) []bool { return []bool{true} }
func (o poolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(poolGradOp{newBase("MaxPool2x2Grad" + o.name), o.s, o.relu}, in[0], grad)
	return G.Nodes{dx}, err
}

// poolGradOp routes dy to the first maximum of each window, from (x, dy).
type poolGradOp struct {
	opBase
	s    tensor.Shape
	relu bool
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
	out := o.output(pre, o.s, in...)
	dx := out.Data().([]float32)
	H, W := o.s[2], o.s[3]
	planes := o.s[0] * o.s[1]
	par.Chunks(planes, chunks, func(_, lo, hi int) { kernels.MaxPool2x2GradPlanes(dx, x, dy, lo, hi, H, W, o.relu) })
	return out, nil
}

func (o poolGradOp) DiffWRT(int) []bool { return []bool{false, false} }
func (o poolGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("train: no second derivative of MaxPool2x2")
}
