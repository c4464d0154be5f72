package train

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds gorgonia ops of our own (the G.Op interface plus G.SDOp
// for symbolic differentiation). Each forward op has a backward op that
// SymDiff puts into the graph. All work on float32 NCHW tensors.

// f32 returns the float32 backing of a gorgonia value.
func f32(v G.Value) ([]float32, error) {
	t, ok := v.(tensor.Tensor)
	if !ok {
		return nil, fmt.Errorf("train: op input is %T, not a tensor", v)
	}
	d, ok := t.Data().([]float32)
	if !ok {
		return nil, fmt.Errorf("train: op input has dtype %v, not float32", t.Dtype())
	}
	return d, nil
}

// f32s returns the float32 data of every input, in order.
func f32s(in []G.Value) ([][]float32, error) {
	out := make([][]float32, len(in))
	for i, v := range in {
		d, err := f32(v)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

// output returns a float32 tensor of shape s for the op's result: prealloc
// when it has that shape and does not alias any input, else the tensor the
// op returned last time (gorgonia's tape machine clears its registers on
// every Reset, so without this every run would allocate every output), else
// a new one, kept for next time. Each op writes every element of its
// output, so nothing of an earlier batch survives in it.
func (o opBase) output(prealloc G.Value, s tensor.Shape, inputs ...G.Value) *tensor.Dense {
	usable := func(d *tensor.Dense) bool {
		if d == nil || d.Dtype() != tensor.Float32 || !d.Shape().Eq(s) {
			return false
		}
		pd := d.Data().([]float32)
		for _, in := range inputs {
			if t, ok := in.(tensor.Tensor); ok {
				if id, ok := t.Data().([]float32); ok && len(id) > 0 && len(pd) > 0 && &id[0] == &pd[0] {
					return false
				}
			}
		}
		return true
	}
	if d, ok := prealloc.(*tensor.Dense); ok && usable(d) {
		return d
	}
	if o.out != nil && usable(o.out.t) {
		return o.out.t
	}
	t := tensor.New(tensor.WithShape(s.Clone()...), tensor.Of(tensor.Float32))
	if o.out != nil {
		o.out.t = t
	}
	return t
}

func hashOf(op fmt.Stringer) uint32 {
	h := fnv.New32a()
	h.Write([]byte(op.String()))
	return h.Sum32()
}

// chunks is the number of pieces the ops split a batch into (with
// internal/par). It is fixed, not runtime.GOMAXPROCS, so sums reduced over
// chunks (the convolution's weight gradient) are bit-identical on every
// machine.
const chunks = 4

// opBase supplies the boilerplate methods shared by our ops, and the
// op's output tensor reused from run to run (see output).
type opBase struct {
	name string
	out  *outCache
}

type outCache struct{ t *tensor.Dense }

func newBase(name string) opBase { return opBase{name, &outCache{}} }

func (o opBase) ReturnsPtr() bool      { return false }
func (o opBase) CallsExtern() bool     { return false }
func (o opBase) OverwritesInput() int  { return -1 }
func (o opBase) String() string        { return o.name }
func (o opBase) WriteHash(h hash.Hash) { h.Write([]byte(o.name)) }
func (o opBase) Hashcode() uint32      { return hashOf(o) }
func fnType(arity int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, arity+1)
	for i := range ts {
		ts[i] = a
	}
	return hm.NewFnType(ts...)
}

// ---------------------------------------------------------------------------
// Log-softmax over the last axis of a matrix.

// LogSoftmax returns y[i,j] = x[i,j] − m_i − log Σ_k exp(x[i,k] − m_i) with
// m_i = max_k x[i,k], for a (rows, cols) matrix x. Unlike G.LogSoftMax
// (gorgonia v0.9.18 / tensor v0.9.24), the max is taken over each row's own
// elements; tensor's kernel starts every row's max from the tensor's first
// element and skips each row's first element, so a row whose values lie far
// below x[0,0] underflows to −Inf.
// The gradient is dx = dy − exp(y) Σ_k dy[i,k].
func LogSoftmax(x *G.Node) (*G.Node, error) {
	if x.Shape().Dims() != 2 {
		return nil, fmt.Errorf("train: LogSoftmax needs a matrix, got shape %v", x.Shape())
	}
	return G.ApplyOp(logSoftmaxOp{newBase("LogSoftmaxRows")}, x)
}

type logSoftmaxOp struct{ opBase }

func (o logSoftmaxOp) Arity() int    { return 1 }
func (o logSoftmaxOp) Type() hm.Type { return fnType(1) }
func (o logSoftmaxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (o logSoftmaxOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o logSoftmaxOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	x, err := f32(in[0])
	if err != nil {
		return nil, err
	}
	s := in[0].Shape()
	out := o.output(pre, s, in...)
	y := out.Data().([]float32)
	logSoftmaxRows(y, x, s[1])
	return out, nil
}

func logSoftmaxRows(y, x []float32, cols int) {
	for r := 0; r+cols <= len(x); r += cols {
		row := x[r : r+cols]
		m := row[0]
		for _, v := range row[1:] {
			if v > m {
				m = v
			}
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(float64(v - m))
		}
		ls := float32(math.Log(sum))
		for j, v := range row {
			y[r+j] = v - m - ls
		}
	}
}

func (o logSoftmaxOp) DiffWRT(int) []bool { return []bool{true} }
func (o logSoftmaxOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(logSoftmaxGradOp{newBase("LogSoftmaxRowsGrad")}, out, grad)
	return G.Nodes{dx}, err
}

type logSoftmaxGradOp struct{ opBase }

func (o logSoftmaxGradOp) Arity() int    { return 2 }
func (o logSoftmaxGradOp) Type() hm.Type { return fnType(2) }
func (o logSoftmaxGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return in[0].(tensor.Shape).Clone(), nil
}
func (o logSoftmaxGradOp) Do(in ...G.Value) (G.Value, error) { return o.UsePreallocDo(nil, in...) }
func (o logSoftmaxGradOp) UsePreallocDo(pre G.Value, in ...G.Value) (G.Value, error) {
	v, err := f32s(in)
	if err != nil {
		return nil, err
	}
	y, dy := v[0], v[1]
	s := in[0].Shape()
	out := o.output(pre, s, in...)
	dx := out.Data().([]float32)
	cols := s[1]
	for r := 0; r+cols <= len(y); r += cols {
		var sum float32
		for _, v := range dy[r : r+cols] {
			sum += v
		}
		for j := r; j < r+cols; j++ {
			dx[j] = dy[j] - float32(math.Exp(float64(y[j])))*sum
		}
	}
	return out, nil
}
