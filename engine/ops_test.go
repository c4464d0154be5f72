package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// graph is a small model under construction for tests.
type graph struct {
	opset  int64
	nodes  []*onnxbuild.Node
	inits  []*onnxbuild.Tensor
	inputs []*onnxbuild.Value
	outs   []string
}

func (g *graph) input(name string, dt onnxio.DType, dims ...int64) *graph {
	g.inputs = append(g.inputs, onnxbuild.ValueInfo(name, dt, dims))
	return g
}

func (g *graph) init(name string, dims []int64, data []float32) *graph {
	g.inits = append(g.inits, onnxbuild.FloatTensor(name, dims, data))
	return g
}

func (g *graph) initInt(name string, dims []int64, data []int64) *graph {
	g.inits = append(g.inits, onnxbuild.Int64Tensor(name, dims, data))
	return g
}

func (g *graph) node(op string, in, out []string, attrs ...*onnxbuild.Attr) *graph {
	g.nodes = append(g.nodes, onnxbuild.NewNode(op, "n"+string(rune('A'+len(g.nodes))), in, out, attrs...))
	return g
}

func (g *graph) model(t testing.TB) *onnxio.Model {
	t.Helper()
	gp := &onnxbuild.Graph{Name: "test", Nodes: g.nodes, Initializers: g.inits, Inputs: g.inputs}
	for _, o := range g.outs {
		gp.Outputs = append(gp.Outputs, &onnxbuild.Value{Name: o, DType: onnxio.Float, NoShape: true})
	}
	m, err := onnxbuild.NewModel(gp, g.opset, "engine test").Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (g *graph) prepare(t testing.TB) *Program {
	t.Helper()
	p, err := Prepare(g.model(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// runOne prepares a one-node graph "op(x, extra inits...) → y" and runs it.
func runOne(t *testing.T, opset int64, op string, x *Tensor, inits []*onnxbuild.Tensor, attrs ...*onnxbuild.Attr) *Tensor {
	t.Helper()
	dims := make([]int64, len(x.Shape))
	for i, d := range x.Shape {
		dims[i] = int64(d)
	}
	dt := onnxio.Float
	if x.DType == Int64 {
		dt = onnxio.Int64
	}
	g := &graph{opset: opset, outs: []string{"y"}}
	g.input("x", dt, dims...)
	in := []string{"x"}
	for _, tp := range inits {
		if tp == nil {
			in = append(in, "")
			continue
		}
		g.inits = append(g.inits, tp)
		in = append(in, tp.Name)
	}
	g.node(op, in, []string{"y"}, attrs...)
	p := g.prepare(t)
	out, err := p.Run(context.Background(), map[string]*Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out["y"]
}

func expectF(t *testing.T, what string, got *Tensor, shape []int, want []float32) {
	t.Helper()
	if got.DType != Float32 || !slices.Equal(got.Shape, shape) {
		t.Fatalf("%s: got %s, want float32%v", what, got, shape)
	}
	for i := range want {
		if math.Abs(float64(got.F[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: element %d: got %v, want %v (first values %v)", what, i, got.F[i], want[i], got.F[:min(len(got.F), 12)])
		}
	}
}

func expectI(t *testing.T, what string, got *Tensor, shape []int, want []int64) {
	t.Helper()
	if got.DType != Int64 || !slices.Equal(got.Shape, shape) {
		t.Fatalf("%s: got %s, want int64%v", what, got, shape)
	}
	for i := range want {
		if got.I[i] != want[i] {
			t.Fatalf("%s: got %v, want %v", what, got.I, want)
		}
	}
}

func seq(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i + 1)
	}
	return s
}

func TestConvHandComputed(t *testing.T) {
	x := NewFloat([]int{1, 1, 3, 3}, seq(9)) // [1 2 3; 4 5 6; 7 8 9]
	w := onnxbuild.FloatTensor("w", []int64{1, 1, 2, 2}, []float32{1, 1, 1, 1})
	b := onnxbuild.FloatTensor("b", []int64{1}, []float32{1})
	// 2×2 box sums + 1.
	expectF(t, "valid", runOne(t, 13, "Conv", x, []*onnxbuild.Tensor{w, b}), []int{1, 1, 2, 2}, []float32{13, 17, 25, 29})
	// pads 1, stride 2: windows at (−1,−1), (−1,1), (1,−1), (1,1).
	expectF(t, "pad+stride", runOne(t, 13, "Conv", x, []*onnxbuild.Tensor{w, b},
		onnxbuild.AttrInts("pads", 1, 1, 1, 1), onnxbuild.AttrInts("strides", 2, 2)), []int{1, 1, 2, 2}, []float32{2, 6, 12, 29})
	// groups: channel 0 ×2, channel 1 ×3.
	x2 := NewFloat([]int{1, 2, 1, 2}, []float32{1, 2, 3, 4})
	wg := onnxbuild.FloatTensor("w", []int64{2, 1, 1, 1}, []float32{2, 3})
	expectF(t, "groups", runOne(t, 13, "Conv", x2, []*onnxbuild.Tensor{wg}, onnxbuild.AttrInt("group", 2)), []int{1, 2, 1, 2}, []float32{2, 4, 9, 12})
	// 1-D SAME_UPPER, kernel 2: total pad 1 goes at the end.
	x1 := NewFloat([]int{1, 1, 3}, []float32{1, 2, 3})
	w1 := onnxbuild.FloatTensor("w", []int64{1, 1, 2}, []float32{1, 1})
	expectF(t, "same_upper", runOne(t, 13, "Conv", x1, []*onnxbuild.Tensor{w1}, onnxbuild.AttrString("auto_pad", "SAME_UPPER")), []int{1, 1, 3}, []float32{3, 5, 3})
	expectF(t, "same_lower", runOne(t, 13, "Conv", x1, []*onnxbuild.Tensor{w1}, onnxbuild.AttrString("auto_pad", "SAME_LOWER")), []int{1, 1, 3}, []float32{1, 3, 5})
	// dilation 2: x[i] + x[i+2].
	x5 := NewFloat([]int{1, 1, 5}, seq(5))
	expectF(t, "dilation", runOne(t, 13, "Conv", x5, []*onnxbuild.Tensor{w1}, onnxbuild.AttrInts("dilations", 2)), []int{1, 1, 3}, []float32{4, 6, 8})
}

func TestConvTransposeHandComputed(t *testing.T) {
	// x = [1 2], kernel [1 1 1], stride 2: 1·[1 1 1 0 0] + 2·[0 0 1 1 1].
	x := NewFloat([]int{1, 1, 2}, []float32{1, 2})
	w := onnxbuild.FloatTensor("w", []int64{1, 1, 3}, []float32{1, 1, 1})
	expectF(t, "stride 2", runOne(t, 13, "ConvTranspose", x, []*onnxbuild.Tensor{w}, onnxbuild.AttrInts("strides", 2)), []int{1, 1, 5}, []float32{1, 1, 3, 2, 2})
	// pads 1,1 crop one value at each end; output_padding adds one at the end.
	expectF(t, "pads", runOne(t, 13, "ConvTranspose", x, []*onnxbuild.Tensor{w}, onnxbuild.AttrInts("strides", 2), onnxbuild.AttrInts("pads", 1, 1)), []int{1, 1, 3}, []float32{1, 3, 2})
	expectF(t, "output_padding", runOne(t, 13, "ConvTranspose", x, []*onnxbuild.Tensor{w}, onnxbuild.AttrInts("strides", 2), onnxbuild.AttrInts("output_padding", 1)), []int{1, 1, 6}, []float32{1, 1, 3, 2, 2, 0})
}

func TestPoolingHandComputed(t *testing.T) {
	x := NewFloat([]int{1, 1, 5}, seq(5)) // [1 2 3 4 5]
	k2s2 := []*onnxbuild.Attr{onnxbuild.AttrInts("kernel_shape", 2), onnxbuild.AttrInts("strides", 2)}
	expectF(t, "max floor", runOne(t, 13, "MaxPool", x, nil, k2s2...), []int{1, 1, 2}, []float32{2, 4})
	ceil := append(k2s2, onnxbuild.AttrInt("ceil_mode", 1))
	expectF(t, "max ceil", runOne(t, 13, "MaxPool", x, nil, ceil...), []int{1, 1, 3}, []float32{2, 4, 5})
	expectF(t, "avg ceil", runOne(t, 13, "AveragePool", x, nil, ceil...), []int{1, 1, 3}, []float32{1.5, 3.5, 5})
	// kernel 3, stride 2, pads 1: padded [0 1 2 3 4 5 0].
	k3 := []*onnxbuild.Attr{onnxbuild.AttrInts("kernel_shape", 3), onnxbuild.AttrInts("strides", 2), onnxbuild.AttrInts("pads", 1, 1)}
	expectF(t, "avg exclude pad", runOne(t, 13, "AveragePool", x, nil, k3...), []int{1, 1, 3}, []float32{1.5, 3, 4.5})
	expectF(t, "avg include pad", runOne(t, 13, "AveragePool", x, nil, append(k3, onnxbuild.AttrInt("count_include_pad", 1))...), []int{1, 1, 3}, []float32{1, 3, 3})
	expectF(t, "max pad", runOne(t, 13, "MaxPool", NewFloat([]int{1, 1, 5}, []float32{-1, -2, -3, -4, -5}), nil, k3...), []int{1, 1, 3}, []float32{-1, -2, -4})
	// dilation 2, kernel 2: max(x[i], x[i+2]).
	expectF(t, "max dilation", runOne(t, 13, "MaxPool", x, nil, onnxbuild.AttrInts("kernel_shape", 2), onnxbuild.AttrInts("dilations", 2)), []int{1, 1, 3}, []float32{3, 4, 5})
	x2 := NewFloat([]int{1, 2, 2, 2}, []float32{1, 2, 3, 4, -1, -5, 0, 2})
	expectF(t, "global avg", runOne(t, 13, "GlobalAveragePool", x2, nil), []int{1, 2, 1, 1}, []float32{2.5, -1})
	expectF(t, "global max", runOne(t, 13, "GlobalMaxPool", x2, nil), []int{1, 2, 1, 1}, []float32{4, 2})
	expectF(t, "2x2 max", runOne(t, 13, "MaxPool", NewFloat([]int{1, 1, 2, 4}, []float32{1, 5, 2, 0, 3, 4, 8, 1}), nil, onnxbuild.AttrInts("kernel_shape", 2, 2), onnxbuild.AttrInts("strides", 2, 2)), []int{1, 1, 1, 2}, []float32{5, 8})
}

func TestNormalisationHandComputed(t *testing.T) {
	x := NewFloat([]int{1, 2, 2}, []float32{1, 3, 10, 20})
	// BatchNorm: channel 0 (mean 2, var 4, scale 2, bias 1): 2·(x−2)/2+1;
	// channel 1 (mean 0, var 1, scale 1, bias 0) with ε = 0.
	bn := []*onnxbuild.Tensor{
		onnxbuild.FloatTensor("s", []int64{2}, []float32{2, 1}), onnxbuild.FloatTensor("b", []int64{2}, []float32{1, 0}),
		onnxbuild.FloatTensor("m", []int64{2}, []float32{2, 0}), onnxbuild.FloatTensor("v", []int64{2}, []float32{4, 1}),
	}
	expectF(t, "batchnorm", runOne(t, 15, "BatchNormalization", x, bn, onnxbuild.AttrFloat("epsilon", 0)), []int{1, 2, 2}, []float32{0, 2, 10, 20})
	// InstanceNorm: channel 0 [1 3] → [−1 1]; channel 1 [10 20] → [−1 1]; then ×[1 2] + [0 5].
	in := []*onnxbuild.Tensor{onnxbuild.FloatTensor("s", []int64{2}, []float32{1, 2}), onnxbuild.FloatTensor("b", []int64{2}, []float32{0, 5})}
	expectF(t, "instancenorm", runOne(t, 13, "InstanceNormalization", x, in, onnxbuild.AttrFloat("epsilon", 0)), []int{1, 2, 2}, []float32{-1, 1, 3, 7})
	// LRN size 3 over 2 channels at position 0: x0/(1 + 1/3·(1+100))^1.
	lrnOut := runOne(t, 13, "LRN", x, nil, onnxbuild.AttrInt("size", 3), onnxbuild.AttrFloat("alpha", 1), onnxbuild.AttrFloat("beta", 1), onnxbuild.AttrFloat("bias", 1))
	expectF(t, "lrn", lrnOut, []int{1, 2, 2}, []float32{1 / (1 + 101.0/3), 3 / (1 + 409.0/3), 10 / (1 + 101.0/3), 20 / (1 + 409.0/3)})
}

func TestSoftmaxAxisSemantics(t *testing.T) {
	l3 := float32(math.Log(3))
	x := NewFloat([]int{1, 2, 2}, []float32{0, 0, l3, 0})
	// Opset 13: along axis 1 only → columns [0 ln3] and [0 0].
	expectF(t, "softmax-13", runOne(t, 13, "Softmax", x, nil, onnxbuild.AttrInt("axis", 1)), []int{1, 2, 2}, []float32{0.25, 0.5, 0.75, 0.5})
	// Opset 11: coerced to 1×4 → exp [1 1 3 1]/6.
	expectF(t, "softmax-11", runOne(t, 11, "Softmax", x, nil, onnxbuild.AttrInt("axis", 1)), []int{1, 2, 2}, []float32{1.0 / 6, 1.0 / 6, 0.5, 1.0 / 6})
	ls := runOne(t, 13, "LogSoftmax", x, nil)
	expectF(t, "logsoftmax default axis -1", ls, []int{1, 2, 2}, []float32{float32(math.Log(0.5)), float32(math.Log(0.5)), float32(math.Log(0.75)), float32(math.Log(0.25))})
}

func TestElementwiseHandComputed(t *testing.T) {
	x := NewFloat([]int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	row := onnxbuild.FloatTensor("r", []int64{3}, []float32{10, 20, 30})
	expectF(t, "add row", runOne(t, 13, "Add", x, []*onnxbuild.Tensor{row}), []int{2, 3}, []float32{11, 22, 33, 14, 25, 36})
	col := onnxbuild.FloatTensor("c", []int64{2, 1}, []float32{1, 2})
	expectF(t, "div col", runOne(t, 13, "Div", x, []*onnxbuild.Tensor{col}), []int{2, 3}, []float32{1, 2, 3, 2, 2.5, 3})
	// Opset 6 legacy broadcast with axis 0: B [2] lines up with A's axis 0.
	b2 := onnxbuild.FloatTensor("b", []int64{2}, []float32{100, 200})
	expectF(t, "legacy axis", runOne(t, 6, "Sub", x, []*onnxbuild.Tensor{b2}, onnxbuild.AttrInt("broadcast", 1), onnxbuild.AttrInt("axis", 0)), []int{2, 3}, []float32{-99, -98, -97, -196, -195, -194})
	expectF(t, "pow", runOne(t, 13, "Pow", x, []*onnxbuild.Tensor{onnxbuild.FloatTensor("e", nil, []float32{2})}), []int{2, 3}, []float32{1, 4, 9, 16, 25, 36})
	v := NewFloat([]int{4}, []float32{-2, -0.5, 0.5, 2})
	expectF(t, "clip attr", runOne(t, 6, "Clip", v, nil, onnxbuild.AttrFloat("min", -1), onnxbuild.AttrFloat("max", 1)), []int{4}, []float32{-1, -0.5, 0.5, 1})
	expectF(t, "clip input", runOne(t, 13, "Clip", v, []*onnxbuild.Tensor{onnxbuild.FloatTensor("lo", nil, []float32{0}), nil}), []int{4}, []float32{0, 0, 0.5, 2})
	expectF(t, "leakyrelu", runOne(t, 13, "LeakyRelu", v, nil, onnxbuild.AttrFloat("alpha", 0.1)), []int{4}, []float32{-0.2, -0.05, 0.5, 2})
	expectF(t, "hardsigmoid", runOne(t, 13, "HardSigmoid", v, nil), []int{4}, []float32{0.1, 0.4, 0.6, 0.9})
	expectF(t, "softsign", runOne(t, 13, "Softsign", v, nil), []int{4}, []float32{-2.0 / 3, -1.0 / 3, 1.0 / 3, 2.0 / 3})
	expectF(t, "prelu", runOne(t, 13, "PRelu", v, []*onnxbuild.Tensor{onnxbuild.FloatTensor("s", []int64{1}, []float32{0.5})}), []int{4}, []float32{-1, -0.25, 0.5, 2})
	expectF(t, "elu", runOne(t, 13, "Elu", v, nil), []int{4}, []float32{float32(math.Expm1(-2)), float32(math.Expm1(-0.5)), 0.5, 2})
	expectF(t, "erf", runOne(t, 13, "Erf", v, nil), []int{4}, []float32{float32(math.Erf(-2)), float32(math.Erf(-0.5)), float32(math.Erf(0.5)), float32(math.Erf(2))})
	mx := runOne(t, 13, "Max", x, []*onnxbuild.Tensor{onnxbuild.FloatTensor("m", []int64{3}, []float32{3, 3, 3})})
	expectF(t, "max", mx, []int{2, 3}, []float32{3, 3, 3, 4, 5, 6})
	mean := runOne(t, 13, "Mean", x, []*onnxbuild.Tensor{onnxbuild.FloatTensor("m", []int64{1}, []float32{1})})
	expectF(t, "mean", mean, []int{2, 3}, []float32{1, 1.5, 2, 2.5, 3, 3.5})
}

func TestLinearAlgebraHandComputed(t *testing.T) {
	x := NewFloat([]int{2, 2}, []float32{1, 2, 3, 4})
	w := onnxbuild.FloatTensor("w", []int64{2, 2}, []float32{5, 6, 7, 8}) // used as Bᵀ
	c := onnxbuild.FloatTensor("c", []int64{2}, []float32{1, -1})
	// x·wᵀ = [1·5+2·6, 1·7+2·8; 3·5+4·6, 3·7+4·8] = [17 23; 39 53]; 2·that + 0.5·c.
	expectF(t, "gemm", runOne(t, 13, "Gemm", x, []*onnxbuild.Tensor{w, c}, onnxbuild.AttrInt("transB", 1), onnxbuild.AttrFloat("alpha", 2), onnxbuild.AttrFloat("beta", 0.5)),
		[]int{2, 2}, []float32{34.5, 45.5, 78.5, 105.5})
	// Batched broadcast MatMul: [2,1,2,2] × [3,2,2] → [2,3,2,2]; b[k] = (k+1)·I.
	a := NewFloat([]int{2, 1, 2, 2}, []float32{1, 2, 3, 4, 5, 6, 7, 8})
	bb := onnxbuild.FloatTensor("b", []int64{3, 2, 2}, []float32{1, 0, 0, 1, 2, 0, 0, 2, 3, 0, 0, 3})
	got := runOne(t, 13, "MatMul", a, []*onnxbuild.Tensor{bb})
	want := []float32{}
	for i := 0; i < 2; i++ {
		for k := 1; k <= 3; k++ {
			for j := 0; j < 4; j++ {
				want = append(want, float32(k)*a.F[i*4+j])
			}
		}
	}
	expectF(t, "matmul broadcast", got, []int{2, 3, 2, 2}, want)
	// 1-D × 2-D: [1 2]·[5 6; 7 8] = [19 22].
	v := NewFloat([]int{2}, []float32{1, 2})
	expectF(t, "matmul vector", runOne(t, 13, "MatMul", v, []*onnxbuild.Tensor{onnxbuild.FloatTensor("b", []int64{2, 2}, []float32{5, 6, 7, 8})}), []int{2}, []float32{19, 22})
}

func TestShapeOpsHandComputed(t *testing.T) {
	x := NewFloat([]int{2, 3}, seq(6))
	expectF(t, "reshape 0,-1", runOne(t, 13, "Reshape", x, []*onnxbuild.Tensor{onnxbuild.Int64Tensor("s", []int64{3}, []int64{0, -1, 1})}), []int{2, 3, 1}, seq(6))
	expectF(t, "reshape opset 1 attr", runOne(t, 1, "Reshape", x, nil, onnxbuild.AttrInts("shape", 3, 2)), []int{3, 2}, seq(6))
	expectF(t, "transpose", runOne(t, 13, "Transpose", x, nil), []int{3, 2}, []float32{1, 4, 2, 5, 3, 6})
	expectF(t, "flatten 0", runOne(t, 13, "Flatten", x, nil, onnxbuild.AttrInt("axis", 0)), []int{1, 6}, seq(6))
	expectF(t, "unsqueeze attr", runOne(t, 11, "Unsqueeze", x, nil, onnxbuild.AttrInts("axes", 0, 3)), []int{1, 2, 3, 1}, seq(6))
	expectF(t, "unsqueeze input", runOne(t, 13, "Unsqueeze", x, []*onnxbuild.Tensor{onnxbuild.Int64Tensor("a", []int64{1}, []int64{-1})}), []int{2, 3, 1}, seq(6))
	expectF(t, "squeeze all", runOne(t, 13, "Squeeze", NewFloat([]int{1, 3, 1}, seq(3)), nil), []int{3}, seq(3))
	expectF(t, "slice step -1", runOne(t, 13, "Slice", x, []*onnxbuild.Tensor{
		onnxbuild.Int64Tensor("st", []int64{1}, []int64{-1}), onnxbuild.Int64Tensor("en", []int64{1}, []int64{math.MinInt64}),
		onnxbuild.Int64Tensor("ax", []int64{1}, []int64{1}), onnxbuild.Int64Tensor("sp", []int64{1}, []int64{-2})}), []int{2, 2}, []float32{3, 1, 6, 4})
	expectF(t, "slice opset 1", runOne(t, 1, "Slice", x, nil, onnxbuild.AttrInts("starts", 1), onnxbuild.AttrInts("ends", 100), onnxbuild.AttrInts("axes", 1)), []int{2, 2}, []float32{2, 3, 5, 6})
	expectF(t, "gather negative", runOne(t, 13, "Gather", x, []*onnxbuild.Tensor{onnxbuild.Int64Tensor("i", []int64{2}, []int64{-1, 0})}, onnxbuild.AttrInt("axis", 1)), []int{2, 2}, []float32{3, 1, 6, 4})
	expectF(t, "tile", runOne(t, 13, "Tile", NewFloat([]int{1, 2}, []float32{1, 2}), []*onnxbuild.Tensor{onnxbuild.Int64Tensor("r", []int64{2}, []int64{2, 2})}), []int{2, 4}, []float32{1, 2, 1, 2, 1, 2, 1, 2})
	expectF(t, "expand", runOne(t, 13, "Expand", NewFloat([]int{2, 1}, []float32{1, 2}), []*onnxbuild.Tensor{onnxbuild.Int64Tensor("s", []int64{2}, []int64{2, 3})}), []int{2, 3}, []float32{1, 1, 1, 2, 2, 2})
	p1 := NewFloat([]int{1, 3}, []float32{1, 2, 3})
	expectF(t, "pad reflect", runOne(t, 13, "Pad", p1, []*onnxbuild.Tensor{onnxbuild.Int64Tensor("p", []int64{4}, []int64{0, 2, 0, 1})}, onnxbuild.AttrString("mode", "reflect")), []int{1, 6}, []float32{3, 2, 1, 2, 3, 2})
	expectF(t, "pad edge", runOne(t, 13, "Pad", p1, []*onnxbuild.Tensor{onnxbuild.Int64Tensor("p", []int64{4}, []int64{0, 2, 0, 1})}, onnxbuild.AttrString("mode", "edge")), []int{1, 6}, []float32{1, 1, 1, 2, 3, 3})
	expectF(t, "pad constant attr", runOne(t, 2, "Pad", p1, nil, onnxbuild.AttrInts("pads", 1, 0, 0, 1), onnxbuild.AttrFloat("value", 9)), []int{2, 4}, []float32{9, 9, 9, 9, 1, 2, 3, 9})
	expectF(t, "reducemean attr", runOne(t, 13, "ReduceMean", x, nil, onnxbuild.AttrInts("axes", 1), onnxbuild.AttrInt("keepdims", 0)), []int{2}, []float32{2, 5})
	expectF(t, "reducesum input", runOne(t, 13, "ReduceSum", x, []*onnxbuild.Tensor{onnxbuild.Int64Tensor("a", []int64{1}, []int64{0})}), []int{1, 3}, []float32{5, 7, 9})
	expectF(t, "reducemax all", runOne(t, 13, "ReduceMax", x, nil, onnxbuild.AttrInt("keepdims", 0)), nil, []float32{6})
	expectI(t, "cast", runOne(t, 13, "Cast", NewFloat([]int{3}, []float32{-1.7, 0.2, 2.9}), nil, onnxbuild.AttrInt("to", int64(onnxio.Int64))), []int{3}, []int64{-1, 0, 2})
	expectI(t, "shape", runOne(t, 15, "Shape", x, nil, onnxbuild.AttrInt("start", -1)), []int{1}, []int64{3})
	expectF(t, "resize nearest", runOne(t, 13, "Resize", NewFloat([]int{1, 1, 1, 2}, []float32{1, 2}), []*onnxbuild.Tensor{nil, onnxbuild.FloatTensor("s", []int64{4}, []float32{1, 1, 1, 2})}, onnxbuild.AttrString("coordinate_transformation_mode", "asymmetric"), onnxbuild.AttrString("nearest_mode", "floor")), []int{1, 1, 1, 4}, []float32{1, 1, 2, 2})
	expectF(t, "resize linear align", runOne(t, 13, "Resize", NewFloat([]int{1, 1, 1, 2}, []float32{1, 2}), []*onnxbuild.Tensor{nil, nil, onnxbuild.Int64Tensor("sz", []int64{4}, []int64{1, 1, 1, 3})}, onnxbuild.AttrString("mode", "linear"), onnxbuild.AttrString("coordinate_transformation_mode", "align_corners")), []int{1, 1, 1, 3}, []float32{1, 1.5, 2})
}

func TestSplitConcat(t *testing.T) {
	g := &graph{opset: 13, outs: []string{"a", "b", "c"}}
	g.input("x", onnxio.Float, 2, 3).initInt("sp", []int64{2}, []int64{1, 2})
	g.node("Split", []string{"x", "sp"}, []string{"a", "b"}, onnxbuild.AttrInt("axis", 1))
	g.node("Concat", []string{"b", "a"}, []string{"c"}, onnxbuild.AttrInt("axis", 1))
	out, err := g.prepare(t).Run(context.Background(), map[string]*Tensor{"x": NewFloat([]int{2, 3}, seq(6))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectF(t, "split a", out["a"], []int{2, 1}, []float32{1, 4})
	expectF(t, "split b", out["b"], []int{2, 2}, []float32{2, 3, 5, 6})
	expectF(t, "concat", out["c"], []int{2, 3}, []float32{2, 3, 1, 5, 6, 4})
}

// TestShapeSubgraphCache runs the PyTorch view(x.size(0), -1) pattern
// Shape→Gather→Unsqueeze→Concat→Reshape with varying batch sizes.
func TestShapeSubgraphCache(t *testing.T) {
	g := &graph{opset: 13, outs: []string{"y"}}
	g.input("x", onnxio.Float, -1, 2, 2).initInt("zero", nil, []int64{0}).initInt("ax", []int64{1}, []int64{0}).initInt("m1", []int64{1}, []int64{-1})
	g.node("Shape", []string{"x"}, []string{"s"})
	g.node("Gather", []string{"s", "zero"}, []string{"n"})
	g.node("Unsqueeze", []string{"n", "ax"}, []string{"n1"})
	g.node("Concat", []string{"n1", "m1"}, []string{"shape"}, onnxbuild.AttrInt("axis", 0))
	g.node("Reshape", []string{"x", "shape"}, []string{"y"})
	p := g.prepare(t)
	static := 0
	for _, nd := range p.nodes {
		if nd.static {
			static++
		}
	}
	if static != 4 {
		t.Fatalf("%d shape-only nodes, want 4", static)
	}
	for _, n := range []int{2, 3, 2, 1} {
		out, err := p.Run(context.Background(), map[string]*Tensor{"x": NewFloat([]int{n, 2, 2}, seq(4*n))}, nil)
		if err != nil {
			t.Fatal(err)
		}
		expectF(t, "reshape", out["y"], []int{n, 4}, seq(4*n))
	}
	if len(p.shapeCache) != 3 {
		t.Fatalf("shape cache has %d entries, want 3 (batch 2, 3, 1)", len(p.shapeCache))
	}
}

// TestFreesIntermediates checks that only needed nodes run and that buffers
// of dead intermediates return to the arena and are reused.
func TestFreesIntermediates(t *testing.T) {
	g := &graph{opset: 13, outs: []string{"t4"}}
	g.input("x", onnxio.Float, -1, 4096)
	prev := "x"
	for i, op := range []string{"Relu", "Neg", "Neg", "Relu"} {
		name := "t" + string(rune('1'+i))
		g.node(op, []string{prev}, []string{name})
		prev = name
	}
	p := g.prepare(t)
	x := NewFloat([]int{1, 4096}, seq(4096))
	pl, err := p.planFor([]string{"t1"})
	if err != nil {
		t.Fatal(err)
	}
	if !pl.run[0] || pl.run[1] || pl.run[2] || pl.run[3] {
		t.Fatalf("hooking t1 runs nodes %v, want only the first", pl.run)
	}
	out, err := p.Run(context.Background(), map[string]*Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]float32, 4096)
	for i := range want {
		want[i] = float32(i + 1) // relu(−(−relu(x))) = x for x > 0
	}
	expectF(t, "chain", out["t4"], []int{1, 4096}, want)
	// t1..t3 were released: t1 after node 2, etc. With recycling, the run
	// needs only two live buffers; the arena now holds the freed ones.
	if p.ar.pooled == 0 {
		t.Fatal("no buffer was returned to the arena")
	}
	if p.ar.pooled > 2*4096 {
		t.Fatalf("arena holds %d values: intermediates were not reused", p.ar.pooled)
	}
	// The returned tensor is detached: a second run must not overwrite it.
	before := out["t4"].F[10]
	out2, err := p.Run(context.Background(), map[string]*Tensor{"x": NewFloat([]int{1, 4096}, make([]float32, 4096))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out["t4"].F[10] != before {
		t.Fatal("a later run overwrote a returned tensor")
	}
	// Recycle takes the latest run's lent buffer back once; outputs of
	// earlier runs and inputs are never taken.
	pooled := p.ar.pooled
	p.Recycle(map[string]*Tensor{"t4": out["t4"], "x": x})
	if out["t4"].F == nil || x.F == nil || p.ar.pooled != pooled {
		t.Fatal("Recycle took an earlier run's output or an input")
	}
	p.Recycle(out2)
	if out2["t4"].F != nil || p.ar.pooled != pooled+4096 {
		t.Fatalf("Recycle: pooled %d → %d, output data nil %v", pooled, p.ar.pooled, out2["t4"].F == nil)
	}
	p.Recycle(out2)
	if p.ar.pooled != pooled+4096 {
		t.Fatal("Recycle took a buffer twice")
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("unsupported op", func(t *testing.T) {
		g := &graph{opset: 13, outs: []string{"y"}}
		g.input("x", onnxio.Float, 1, 2).node("Relu", []string{"x"}, []string{"r"}).node("LSTM", []string{"r"}, []string{"y"})
		_, err := Prepare(g.model(t), Options{})
		var ue *onnxio.UnsupportedError
		if !errors.As(err, &ue) || ue.Op != "LSTM" || ue.Node != "nB" || ue.Opset != 13 {
			t.Fatalf("got %v, want UnsupportedError for LSTM node nB opset 13", err)
		}
	})
	t.Run("unsupported attribute", func(t *testing.T) {
		g := &graph{opset: 13, outs: []string{"y"}}
		g.input("x", onnxio.Float, 1, 1, 4, 4).node("Resize", []string{"x", "", "sc"}, []string{"y"}, onnxbuild.AttrString("mode", "cubic"))
		g.init("sc", []int64{4}, []float32{1, 1, 2, 2})
		_, err := Prepare(g.model(t), Options{})
		var ue *onnxio.UnsupportedError
		if !errors.As(err, &ue) || ue.Attr != "mode" || !strings.Contains(err.Error(), "cubic") {
			t.Fatalf("got %v, want UnsupportedError for attribute mode", err)
		}
		g2 := &graph{opset: 13, outs: []string{"y"}}
		g2.input("x", onnxio.Float, 1, 2).node("Relu", []string{"x"}, []string{"y"}, onnxbuild.AttrInt("bogus", 1))
		_, err = Prepare(g2.model(t), Options{})
		if !errors.As(err, &ue) || ue.Attr != "bogus" {
			t.Fatalf("got %v, want UnsupportedError for attribute bogus", err)
		}
	})
	t.Run("opset too new", func(t *testing.T) {
		g := &graph{opset: MaxOpset + 1, outs: []string{"y"}}
		g.input("x", onnxio.Float, 1, 2).node("Relu", []string{"x"}, []string{"y"})
		_, err := Prepare(g.model(t), Options{})
		var ue *onnxio.UnsupportedError
		if !errors.As(err, &ue) || ue.Opset != MaxOpset+1 {
			t.Fatalf("got %v, want UnsupportedError naming the opset", err)
		}
	})
	g := &graph{opset: 13, outs: []string{"y"}}
	g.input("x", onnxio.Float, -1, 1, 4, 4).init("w", []int64{2, 1, 3, 3}, make([]float32, 18))
	g.node("Conv", []string{"x", "w"}, []string{"y"})
	p := g.prepare(t)
	t.Run("wrong input shape", func(t *testing.T) {
		_, err := p.Run(ctx, map[string]*Tensor{"x": NewFloat([]int{2, 3, 4, 4}, make([]float32, 96))}, nil)
		if err == nil || !strings.Contains(err.Error(), "[2,3,4,4]") || !strings.Contains(err.Error(), "[?,1,4,4]") {
			t.Fatalf("got %v, want an error naming both shapes", err)
		}
	})
	t.Run("wrong channels inside the graph", func(t *testing.T) {
		g := &graph{opset: 13, outs: []string{"y"}}
		g.input("x", onnxio.Float, -1, -1, -1, -1).init("w", []int64{2, 1, 3, 3}, make([]float32, 18))
		g.node("Conv", []string{"x", "w"}, []string{"y"})
		_, err := g.prepare(t).Run(ctx, map[string]*Tensor{"x": NewFloat([]int{1, 3, 4, 4}, make([]float32, 48))}, nil)
		if err == nil || !strings.Contains(err.Error(), "nA") || !strings.Contains(err.Error(), "3 channels") || !strings.Contains(err.Error(), "[2 1 3 3]") {
			t.Fatalf("got %v, want an error naming the node, the channels and the weights", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := p.Run(cctx, map[string]*Tensor{"x": NewFloat([]int{1, 1, 4, 4}, make([]float32, 16))}, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
	t.Run("unknown tensor", func(t *testing.T) {
		_, err := p.Run(ctx, map[string]*Tensor{"x": NewFloat([]int{1, 1, 4, 4}, make([]float32, 16))}, []string{"nope"})
		if err == nil || !strings.Contains(err.Error(), `"nope"`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("missing input", func(t *testing.T) {
		_, err := p.Run(ctx, map[string]*Tensor{}, nil)
		if err == nil || !strings.Contains(err.Error(), `"x"`) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("empty batch", func(t *testing.T) {
		out, err := p.Run(ctx, map[string]*Tensor{"x": NewFloat([]int{0, 1, 4, 4}, nil)}, nil)
		if err != nil || !slices.Equal(out["y"].Shape, []int{0, 2, 2, 2}) {
			t.Fatalf("got %v, %v; want an empty [0,2,2,2] output", out, err)
		}
	})
}

func TestResolveAndLimits(t *testing.T) {
	g := &graph{opset: 13, outs: []string{"y"}}
	g.input("x", onnxio.Float, 1, 2).node("Relu", []string{"x"}, []string{"r"}).node("Neg", []string{"r"}, []string{"y"})
	p := g.prepare(t)
	for in, want := range map[string]string{"r": "r", "nA": "r", "nB": "y", "x": "x"} {
		if got, err := p.Resolve(in); err != nil || got != want {
			t.Errorf("Resolve(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := p.Resolve("nope"); err == nil {
		t.Error("Resolve(nope) succeeded")
	}
	if got := p.TensorNames(); len(got) != 3 || got[0] != "x" || got[1] != "r" || got[2] != "y" {
		t.Errorf("TensorNames = %v", got)
	}
	// A hostile ConstantOfShape asking for 2^40 elements fails cleanly.
	g2 := &graph{opset: 13, outs: []string{"y"}}
	g2.input("s", onnxio.Int64, 2).node("ConstantOfShape", []string{"s"}, []string{"y"})
	_, err := g2.prepare(t).Run(context.Background(), map[string]*Tensor{"s": NewInt([]int{2}, []int64{1 << 20, 1 << 20})}, nil)
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("got %v, want a size error", err)
	}
}

func TestExtraOpsHandComputed(t *testing.T) {
	x := NewFloat([]int{2, 3}, []float32{1, 5, 5, 7, 2, 7})
	expectI(t, "argmax", runOne(t, 13, "ArgMax", x, nil, onnxbuild.AttrInt("axis", 1)), []int{2, 1}, []int64{1, 0})
	expectI(t, "argmax last", runOne(t, 13, "ArgMax", x, nil, onnxbuild.AttrInt("axis", 1), onnxbuild.AttrInt("select_last_index", 1), onnxbuild.AttrInt("keepdims", 0)), []int{2}, []int64{2, 2})
	expectI(t, "argmin", runOne(t, 13, "ArgMin", x, nil, onnxbuild.AttrInt("axis", 0)), []int{1, 3}, []int64{0, 1, 0})
	// DepthToSpace DCR, blocksize 2 on 1×4×1×1 [a b c d] → 1×1×2×2 [a b; c d].
	d := NewFloat([]int{1, 4, 1, 1}, []float32{1, 2, 3, 4})
	expectF(t, "depthtospace", runOne(t, 13, "DepthToSpace", d, nil, onnxbuild.AttrInt("blocksize", 2)), []int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	s := NewFloat([]int{1, 1, 2, 2}, []float32{1, 2, 3, 4})
	expectF(t, "spacetodepth", runOne(t, 13, "SpaceToDepth", s, nil, onnxbuild.AttrInt("blocksize", 2)), []int{1, 4, 1, 1}, []float32{1, 2, 3, 4})
	// LayerNorm over the last axis of [1 3] → [−1 1], ×2 + 1.
	ln := runOne(t, 17, "LayerNormalization", NewFloat([]int{1, 2}, []float32{1, 3}), []*onnxbuild.Tensor{onnxbuild.FloatTensor("g", []int64{2}, []float32{2, 2}), onnxbuild.FloatTensor("b", []int64{2}, []float32{1, 1})}, onnxbuild.AttrFloat("epsilon", 0))
	expectF(t, "layernorm", ln, []int{1, 2}, []float32{-1, 3})
	expectI(t, "mod", runOne(t, 13, "Mod", NewInt([]int{2}, []int64{-7, 7}), []*onnxbuild.Tensor{onnxbuild.Int64Tensor("m", []int64{1}, []int64{3})}), []int{2}, []int64{2, 1})
	expectF(t, "sign", runOne(t, 13, "Sign", NewFloat([]int{3}, []float32{-2, 0, 3}), nil), []int{3}, []float32{-1, 0, 1})
}

// TestShapeCacheAcrossPlans requests a tensor that needs no shape node
// first, then one that does, with the same input shape: the second run must
// compute the shape nodes the first one skipped.
func TestShapeCacheAcrossPlans(t *testing.T) {
	g := &graph{opset: 13, outs: []string{"y"}}
	g.input("x", onnxio.Float, -1, 4).initInt("m1", []int64{1}, []int64{-1})
	g.node("Relu", []string{"x"}, []string{"r"})
	g.node("Shape", []string{"x"}, []string{"s"})
	g.node("Concat", []string{"s", "m1"}, []string{"shape"}, onnxbuild.AttrInt("axis", 0))
	g.node("Reshape", []string{"r", "shape"}, []string{"y"})
	p := g.prepare(t)
	x := NewFloat([]int{2, 4}, seq(8))
	if _, err := p.Run(context.Background(), map[string]*Tensor{"x": x}, []string{"r"}); err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), map[string]*Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectF(t, "reshape", out["y"], []int{2, 4, 1}, seq(8))
	out, err = p.Run(context.Background(), map[string]*Tensor{"x": x}, []string{"shape"})
	if err != nil {
		t.Fatal(err)
	}
	out["shape"].I[0] = 99 // the caller's copy; the cache must be unaffected
	out, err = p.Run(context.Background(), map[string]*Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectF(t, "reshape after mutation", out["y"], []int{2, 4, 1}, seq(8))
}

// TestLargeElementwiseParallel checks the split path of same-shape and
// scalar binary ops (≥ 32768 elements) against the serial formula.
func TestLargeElementwiseParallel(t *testing.T) {
	n := 100000
	a, b := make([]float32, n), make([]float32, n)
	for i := range a {
		a[i], b[i] = float32(i%97)-48, float32(i%13)+1
	}
	x, y := NewFloat([]int{n}, a), NewFloat([]int{n}, b)
	var ar arena
	for _, op := range []binOp{opAdd, opSub, opMul, opDiv} {
		got, err := binary(op, x, y, &ar)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := binary(op, x, NewFloat(nil, []float32{3}), &ar)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			var w, ws float32
			switch op {
			case opAdd:
				w, ws = a[i]+b[i], a[i]+3
			case opSub:
				w, ws = a[i]-b[i], a[i]-3
			case opMul:
				w, ws = a[i]*b[i], a[i]*3
			case opDiv:
				w, ws = a[i]/b[i], a[i]/3
			}
			if got.F[i] != w || sc.F[i] != ws {
				t.Fatalf("op %d element %d: got %v, %v want %v, %v", op, i, got.F[i], sc.F[i], w, ws)
			}
		}
	}
}

// TestReluFusion compares Conv→Relu, MaxPool→Relu, Gemm→Relu and Add→Relu run fused
// (only the Relu outputs requested) with the unfused run (the inputs of the
// Relus requested too, so nothing is fused).
func TestReluFusion(t *testing.T) {
	g := &graph{opset: 13, outs: []string{"r3"}}
	g.input("x", onnxio.Float, -1, 2, 5, 5)
	w := make([]float32, 3*2*3*3)
	for i := range w {
		w[i] = float32(i%5) - 2
	}
	g.init("w", []int64{3, 2, 3, 3}, w).init("b", []int64{3}, []float32{-1, 0, 1})
	g.init("fw", []int64{4, 3}, []float32{1, -1, 0.5, -2, 1, 0, 0, 3, -1, 1, 1, 1}).init("fb", []int64{4}, []float32{0, -5, 5, 0})
	g.node("Conv", []string{"x", "w", "b"}, []string{"c"}, onnxbuild.AttrInts("pads", 1, 1, 1, 1))
	g.node("Relu", []string{"c"}, []string{"r1"})
	g.node("MaxPool", []string{"r1"}, []string{"m"}, onnxbuild.AttrInts("kernel_shape", 5, 5))
	g.node("Relu", []string{"m"}, []string{"r2"})
	g.node("Flatten", []string{"r2"}, []string{"f"})
	g.node("Gemm", []string{"f", "fw", "fb"}, []string{"gm"}, onnxbuild.AttrInt("transB", 1))
	g.node("Relu", []string{"gm"}, []string{"g3"})
	g.node("Add", []string{"g3", "fb"}, []string{"ad"})
	g.node("Relu", []string{"ad"}, []string{"r3"})
	p := g.prepare(t)
	x := NewFloat([]int{3, 2, 5, 5}, make([]float32, 150))
	for i := range x.F {
		x.F[i] = float32((i*37)%11) - 5
	}
	ctx := context.Background()
	plain, err := p.Run(ctx, map[string]*Tensor{"x": x}, []string{"c", "r1", "m", "r2", "gm", "g3", "ad", "r3"})
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := p.planFor([]string{"r1", "r2", "g3", "r3"})
	n := 0
	for _, a := range pl.absorbed {
		if a {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("%d Relus fused, want 4", n)
	}
	fused, err := p.Run(ctx, map[string]*Tensor{"x": x}, []string{"r1", "r2", "g3", "r3"})
	if err != nil {
		t.Fatal(err)
	}
	negatives := 0
	for _, v := range plain["c"].F {
		if v < 0 {
			negatives++
		}
	}
	if negatives == 0 {
		t.Fatal("test data never exercises the Relu")
	}
	for _, name := range []string{"r1", "r2", "g3", "r3"} {
		expectF(t, name, fused[name], plain[name].Shape, plain[name].F)
	}
}

// TestConvTransposeGroupsAndOutputShape checks group=2 against two separate
// group-1 ConvTransposes, and output_shape against the equivalent pads.
func TestConvTransposeGroupsAndOutputShape(t *testing.T) {
	x := NewFloat([]int{1, 4, 2, 2}, seq(16))
	w := make([]float32, 4*1*2*2) // C=4 in, 1 out per group, k 2×2
	for i := range w {
		w[i] = float32(i%3) - 1
	}
	got := runOne(t, 13, "ConvTranspose", x, []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{4, 1, 2, 2}, w)}, onnxbuild.AttrInt("group", 2), onnxbuild.AttrInts("strides", 2, 2))
	if !slices.Equal(got.Shape, []int{1, 2, 4, 4}) {
		t.Fatalf("shape %v", got.Shape)
	}
	for g := 0; g < 2; g++ {
		xg := NewFloat([]int{1, 2, 2, 2}, x.F[g*8:(g+1)*8])
		wg := onnxbuild.FloatTensor("w", []int64{2, 1, 2, 2}, w[g*8:(g+1)*8])
		ref := runOne(t, 13, "ConvTranspose", xg, []*onnxbuild.Tensor{wg}, onnxbuild.AttrInts("strides", 2, 2))
		expectF(t, fmt.Sprintf("group %d", g), NewFloat([]int{1, 1, 4, 4}, got.F[g*16:(g+1)*16]), ref.Shape, ref.F)
	}
	// 1-D: x=[1 2], kernel [1 1 1], stride 2 gives [1 1 3 2 2]; output_shape 3
	// trims total padding 2 as pads (1, 1) → [1 3 2].
	x1 := NewFloat([]int{1, 1, 2}, []float32{1, 2})
	w1 := onnxbuild.FloatTensor("w", []int64{1, 1, 3}, []float32{1, 1, 1})
	expectF(t, "output_shape", runOne(t, 13, "ConvTranspose", x1, []*onnxbuild.Tensor{w1}, onnxbuild.AttrInts("strides", 2), onnxbuild.AttrInts("output_shape", 3)), []int{1, 1, 3}, []float32{1, 3, 2})
	// SAME_UPPER: output = input·stride = 4, total padding 1 at the end.
	expectF(t, "same_upper", runOne(t, 13, "ConvTranspose", x1, []*onnxbuild.Tensor{w1}, onnxbuild.AttrInts("strides", 2), onnxbuild.AttrString("auto_pad", "SAME_UPPER")), []int{1, 1, 4}, []float32{1, 1, 3, 2})
}

func TestResizeLinearHalfPixel(t *testing.T) {
	// [1 3] upsampled ×2 with half_pixel: source x = (o+0.5)/2 − 0.5 =
	// −0.25, 0.25, 0.75, 1.25 → clamped/interpolated 1, 1.5, 2.5, 3.
	x := NewFloat([]int{1, 1, 1, 2}, []float32{1, 3})
	got := runOne(t, 13, "Resize", x, []*onnxbuild.Tensor{nil, onnxbuild.FloatTensor("s", []int64{4}, []float32{1, 1, 1, 2})}, onnxbuild.AttrString("mode", "linear"))
	expectF(t, "half_pixel", got, []int{1, 1, 1, 4}, []float32{1, 1.5, 2.5, 3})
	// Upsample-9 nearest ×2 (asymmetric, floor): [1 1 3 3].
	up := runOne(t, 9, "Upsample", x, []*onnxbuild.Tensor{onnxbuild.FloatTensor("s", []int64{4}, []float32{1, 1, 1, 2})})
	expectF(t, "upsample", up, []int{1, 1, 1, 4}, []float32{1, 1, 3, 3})
}

// TestMatMulConstantWeights covers the prepacked-weight path: a batched
// [2,3,2] input times a constant [2,2] matrix folds the batch into rows.
func TestMatMulConstantWeights(t *testing.T) {
	a := NewFloat([]int{2, 3, 2}, seq(12))
	w := []float32{1, 2, -1, 0.5}
	got := runOne(t, 13, "MatMul", a, []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{2, 2}, w)})
	want := make([]float32, 12)
	for r := 0; r < 6; r++ {
		x0, x1 := a.F[2*r], a.F[2*r+1]
		want[2*r] = x0*w[0] + x1*w[2]
		want[2*r+1] = x0*w[1] + x1*w[3]
	}
	expectF(t, "matmul const", got, []int{2, 3, 2}, want)
}
