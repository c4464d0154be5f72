package train

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Relu returns G.Rectify(x) as one op of ours: y = x·[x ≥ 0] (−0 for
// negative x, as Rectify's product gives), with dx = dy·[x ≥ 0]. Unlike
// Rectify (a comparison and a product in the graph), it reuses its output
// from batch to batch.
func Relu(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(eltOp{newBase(fmt.Sprintf("Relu%v", x.Shape())), eltRelu, x.Shape().Clone()}, x)
}

// MulMask returns G.HadamardProd(x, m) for a mask m that needs no gradient
// (the dropout masks, inputs of the graph): y = x·m, dx = dy·m.
func MulMask(x, m *G.Node) (*G.Node, error) {
	if !x.Shape().Eq(m.Shape()) {
		return nil, fmt.Errorf("train: MulMask: input %v and mask %v differ in shape", x.Shape(), m.Shape())
	}
	return G.ApplyOp(eltOp{newBase(fmt.Sprintf("MulMask%v", x.Shape())), eltMask, x.Shape().Clone()}, x, m)
}

type eltKind int

const (
	eltRelu     eltKind = iota // y = x·[x ≥ 0]
	eltMask                    // y = x·m
	eltReluGrad                // dx = dy·[x ≥ 0], from (x, dy)
)

type eltOp struct {
	opBase
	kind eltKind
	s    tensor.Shape
}

func (o eltOp) Arity() int {
	if o.kind == eltRelu {
		return 1
	}
	return 2
}
func (o eltOp) Type() hm.Type                                  { return fnType(o.Arity()) }
func (o eltOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return o.s.Clone(), nil }
func (o eltOp) Do(in ...G.Value) (G.Value, error)              { return o.UsePreallocDo(nil, in...) }
func (o eltOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	out := o.output(pre, o.s, in...)
	y := out.Data().([]float32)
	x := v[0][:len(y)]
	switch o.kind {
	case eltRelu:
		for i, a := range x {
			if a >= 0 {
				y[i] = a
			} else {
				y[i] = a * 0
			}
		}
	case eltMask:
		m := v[1][:len(y)]
		for i, a := range x {
			y[i] = a * m[i]
		}
	case eltReluGrad:
		dy := v[1][:len(y)]
		for i, a := range x {
			if a >= 0 {
				y[i] = dy[i] * 1
			} else {
				y[i] = dy[i] * 0
			}
		}
	}
	return out, nil
}

func (o eltOp) DiffWRT(int) []bool {
	switch o.kind {
	case eltRelu:
		return []bool{true}
	case eltMask:
		return []bool{true, false}
	}
	return []bool{false, false}
}

func (o eltOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	switch o.kind {
	case eltRelu:
		dx, err := G.ApplyOp(eltOp{newBase("ReluGrad" + o.name), eltReluGrad, o.s}, in[0], grad)
		return G.Nodes{dx}, err
	case eltMask:
		dx, err := G.ApplyOp(eltOp{newBase("MulMaskGrad" + o.name), eltMask, o.s}, grad, in[1])
		return G.Nodes{dx, nil}, err
	}
	return nil, fmt.Errorf("train: no second derivative of %s", o.name)
}
