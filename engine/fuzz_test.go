package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// fuzzOps are the operators the graph fuzzer draws from, with the number of
// tensor inputs each takes from the graph built so far (extra inputs, such
// as shapes and axes, are int64 initializers drawn from the bytes).
var fuzzOps = []struct {
	op      string
	ins     int // tensors from the graph
	intArgs int // int64 initializer inputs after them
}{
	{"Relu", 1, 0}, {"Add", 2, 0}, {"Mul", 2, 0}, {"Div", 2, 0}, {"Sub", 2, 0}, {"Pow", 2, 0},
	{"MatMul", 2, 0}, {"Gemm", 2, 0}, {"Conv", 2, 0}, {"ConvTranspose", 2, 0},
	{"MaxPool", 1, 0}, {"AveragePool", 1, 0}, {"GlobalAveragePool", 1, 0}, {"GlobalMaxPool", 1, 0},
	{"Softmax", 1, 0}, {"LogSoftmax", 1, 0}, {"Reshape", 1, 1}, {"Transpose", 1, 0},
	{"Flatten", 1, 0}, {"Concat", 2, 0}, {"Slice", 1, 3}, {"Gather", 1, 1},
	{"ReduceMean", 1, 0}, {"ReduceSum", 1, 1}, {"ReduceMax", 1, 0}, {"ReduceProd", 1, 0},
	{"Expand", 1, 1}, {"Tile", 1, 1}, {"Pad", 1, 1}, {"ConstantOfShape", 0, 1}, {"Range", 0, 3},
	{"Squeeze", 1, 1}, {"Unsqueeze", 1, 1}, {"Shape", 1, 0}, {"Size", 1, 0}, {"Cast", 1, 0},
	{"Clip", 1, 0}, {"Sigmoid", 1, 0}, {"Exp", 1, 0}, {"Log", 1, 0}, {"Sqrt", 1, 0},
	{"Where", 3, 0}, {"Equal", 2, 0}, {"Max", 2, 0}, {"Split", 1, 0}, {"Identity", 1, 0},
	{"Resize", 1, 0}, {"InstanceNormalization", 3, 0}, {"LRN", 1, 0}, {"PRelu", 2, 0},
	{"ArgMax", 1, 0}, {"Erf", 1, 0}, {"Mod", 2, 0}, {"Neg", 1, 0},
}

// opAttrs returns the attributes worth drawing for op (an unknown one
// makes the node unsupported, which ends the case early).
func opAttrs(op string) []string {
	switch op {
	case "Conv", "ConvTranspose":
		return []string{"pads", "strides", "dilations", "kernel_shape", "group", "output_shape", "output_padding", "auto_pad"}
	case "MaxPool", "AveragePool":
		return []string{"pads", "strides", "kernel_shape", "kernel_shape", "ceil_mode", "count_include_pad", "dilations"}
	case "Gemm":
		return []string{"transA", "transB"}
	case "Softmax", "LogSoftmax", "Flatten", "Concat", "Gather", "Split", "ArgMax":
		return []string{"axis", "keepdims"}
	case "ReduceMean", "ReduceMax", "ReduceProd", "ReduceSum", "Squeeze", "Unsqueeze":
		return []string{"axes", "keepdims"}
	case "Transpose":
		return []string{"perm"}
	case "Reshape":
		return []string{"allowzero"}
	case "Cast":
		return []string{"to"}
	case "LRN":
		return []string{"size"}
	}
	return nil
}

func slicesContainsAttr(attrs []*onnxbuild.Attr, name string) bool {
	for _, a := range attrs {
		if a.Name == name {
			return true
		}
	}
	return false
}

// fuzzBytes reads the fuzzer's bytes as a stream of small numbers.
type fuzzBytes struct {
	b []byte
	i int
}

func (r *fuzzBytes) next() int {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return int(r.b[r.i-1])
}

// value returns a dimension-like int: mostly small, sometimes 0, negative
// or huge.
func (r *fuzzBytes) value() int64 {
	v := r.next()
	switch {
	case v < 200:
		return int64(v % 6)
	case v < 220:
		return -int64(v%3) - 1
	case v < 240:
		return int64(v) << (v % 40)
	default:
		return 1 << 62
	}
}

func (r *fuzzBytes) ints(max int) []int64 {
	n := r.next() % (max + 1)
	out := make([]int64, n)
	for i := range out {
		out[i] = r.value()
	}
	return out
}

// fuzzGraph builds a model from data: an input of a drawn shape, then up to
// 8 nodes, each an op of fuzzOps on tensors made so far, with drawn
// attributes and int64 initializers; every node output is a graph output.
func fuzzGraph(data []byte) (*onnxbuild.Model, []int) {
	r := &fuzzBytes{b: data}
	opset := int64(7 + r.next()%16)
	rank := 1 + r.next()%4
	shape := make([]int, rank)
	dims := make([]int64, rank)
	for i := range shape {
		shape[i] = r.next() % 5
		dims[i] = int64(shape[i])
	}
	g := &onnxbuild.Graph{Name: "fuzz", Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, dims)}}
	tensors := []string{"x"}
	nodes := 1 + r.next()%8
	for k := 0; k < nodes; k++ {
		op := fuzzOps[r.next()%len(fuzzOps)]
		var ins []string
		for j := 0; j < op.ins; j++ {
			if r.next()%4 == 0 {
				// A small float initializer of drawn shape.
				d := r.ints(3)
				n := int64(1)
				for i := range d {
					d[i] = d[i] & 3
					n *= d[i]
				}
				name := "c" + string(rune('a'+k)) + string(rune('0'+j))
				g.Initializers = append(g.Initializers, onnxbuild.FloatTensor(name, d, make([]float32, n)))
				ins = append(ins, name)
				continue
			}
			ins = append(ins, tensors[r.next()%len(tensors)])
		}
		for j := 0; j < op.intArgs; j++ {
			name := "i" + string(rune('a'+k)) + string(rune('0'+j))
			v := r.ints(4)
			g.Initializers = append(g.Initializers, onnxbuild.Int64Tensor(name, []int64{int64(len(v))}, v))
			ins = append(ins, name)
		}
		var attrs []*onnxbuild.Attr
		allowed := opAttrs(op.op)
		for a := r.next() % 3; a > 0 && len(allowed) > 0; a-- {
			name := allowed[r.next()%len(allowed)]
			if slicesContainsAttr(attrs, name) {
				continue
			}
			if r.next()%2 == 0 {
				attrs = append(attrs, onnxbuild.AttrInt(name, r.value()))
			} else {
				attrs = append(attrs, onnxbuild.AttrInts(name, r.ints(6)...))
			}
		}
		out := "t" + string(rune('a'+k))
		g.Nodes = append(g.Nodes, onnxbuild.NewNode(op.op, "n"+out, ins, []string{out}, attrs...))
		tensors = append(tensors, out)
		g.Outputs = append(g.Outputs, &onnxbuild.Value{Name: out, NoShape: true})
	}
	return onnxbuild.NewModel(g, opset, "fuzz"), shape
}

// FuzzExecutor runs random small graphs under a 16 MiB budget: any outcome
// is fine but a crash, a recovered panic ("internal error"), exceeding the
// budget without a MemoryError, or a run that does not stop.
func FuzzExecutor(f *testing.F) {
	f.Add([]byte{6, 2, 2, 3, 1, 0})
	f.Add([]byte{13, 3, 1, 2, 4, 4, 8, 1, 1, 0})
	f.Add([]byte{6, 1, 0, 2, 16, 1, 4, 230, 240, 0})
	f.Add([]byte{7, 3, 1, 1, 5, 3, 9, 0, 1, 1, 1, 2, 0, 1, 13, 5, 200, 201})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 512 {
			return
		}
		mp, shape := fuzzGraph(data)
		m, err := mp.Build()
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		p, err := PrepareContext(ctx, m, Options{MaxMemory: 16 << 20})
		if err == nil {
			x := NewFloat(shape, make([]float32, numel(shape)))
			_, err = p.Run(ctx, map[string]*Tensor{"x": x}, nil)
		}
		if took := time.Since(start); took > 4*time.Second {
			t.Fatalf("took %v (the context expired after 2 s)", took)
		}
		if err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%v\nmodel: %v", err, mp)
		}
	})
}
