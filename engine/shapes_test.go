package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

func inferTypes(t *testing.T, m *onnxio.Model, inputs map[string][]int64) (map[string]onnxio.ValueType, error) {
	t.Helper()
	return InferTypes(context.Background(), m, inputs)
}

func loadTestModel(t *testing.T, path ...string) *onnxio.Model {
	t.Helper()
	m, err := onnxio.Load(filepath.Join(path...))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Shapes of every node output of the reference CNN, from the table in
// ../shared/reference/mnist-cnn/README.md (N = batch, -1 here).
var mnistShapes = map[string][]int64{
	"/conv1/Conv_output_0": {-1, 10, 24, 24},
	"/MaxPool_output_0":    {-1, 10, 12, 12},
	"/Relu_output_0":       {-1, 10, 12, 12},
	"/conv2/Conv_output_0": {-1, 20, 8, 8},
	"/MaxPool_1_output_0":  {-1, 20, 4, 4},
	"/Relu_1_output_0":     {-1, 20, 4, 4},
	"/Constant_output_0":   {2},
	"/Reshape_output_0":    {-1, 320},
	"/fc1/Gemm_output_0":   {-1, 50},
	"/Relu_2_output_0":     {-1, 50},
	"/fc2/Gemm_output_0":   {-1, 10},
	"log_probs":            {-1, 10},
}

func TestShapesMNIST(t *testing.T) {
	m := loadTestModel(t, testenv.Shared(t, "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx"))
	for _, batch := range []int64{-1, 7} {
		var inputs map[string][]int64
		if batch > 0 {
			inputs = map[string][]int64{"input": {batch, 1, 28, 28}}
		}
		types, err := inferTypes(t, m, inputs)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range mnistShapes {
			w := slices.Clone(want)
			if len(w) > 1 {
				w[0] = batch
			}
			if !slices.Equal(types[name].Shape, w) {
				t.Errorf("batch %d: %s = %v, want %v", batch, name, types[name].Shape, w)
			}
			if batch < 0 {
				if got, w := onnxio.FormatDims(types[name].Dims), onnxio.FormatShape(want); got != w {
					t.Errorf("%s dims %s, want %s", name, got, w)
				}
			}
		}
	}
	// A batch given is not run in full (a million images would take 3 GB
	// of input alone): the pass runs at 1 and 2 and scales.
	types, err := inferTypes(t, m, map[string][]int64{"input": {1 << 20, 1, 28, 28}})
	if err != nil || !slices.Equal(types["log_probs"].Shape, []int64{1 << 20, 10}) || onnxio.FormatDims(types["/Reshape_output_0"].Dims) != "[1048576,320]" {
		t.Errorf("batch 2^20: %v, %v %v", err, types["log_probs"], types["/Reshape_output_0"])
	}
	for _, c := range []struct {
		shape []int64
		want  string
	}{
		{[]int64{1, 3, 28, 28}, `input "input": shape [1 3 28 28] does not match the declared [-1 1 28 28] in dimension 1`},
		{[]int64{1, 28, 28}, "rank 3"},
	} {
		if _, err := inferTypes(t, m, map[string][]int64{"input": c.shape}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("input %v: %v, want %q", c.shape, err, c.want)
		}
	}
	if _, err := inferTypes(t, m, map[string][]int64{"image": {1, 1, 28, 28}}); err == nil || !strings.Contains(err.Error(), `"image": is not an input`) {
		t.Errorf("unknown input name: %v", err)
	}
	// A 20×20 image is too small for the fixed Reshape to 320 (and the
	// model declares 28×28).
	if _, err := inferTypes(t, m, map[string][]int64{"input": {1, 1, 20, 20}}); err == nil || !strings.Contains(err.Error(), `input "input"`) {
		t.Errorf("20×20 input: %v", err)
	}
}

// Shapes from onnx.shape_inference.infer_shapes (python3-onnx 1.12) on
// ../onnxio/testdata/tiny_cnn.onnx, with the batch symbolic.
func TestShapesTinyCNN(t *testing.T) {
	m := loadTestModel(t, "..", "onnxio", "testdata", "tiny_cnn.onnx")
	types, err := inferTypes(t, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		dt   onnxio.DType
		dims string
	}{
		"/conv/Conv_output_0": {onnxio.Float, "[N,2,6,6]"},
		"/Relu_output_0":      {onnxio.Float, "[N,2,6,6]"},
		"/MaxPool_output_0":   {onnxio.Float, "[N,2,3,3]"},
		"/Constant_output_0":  {onnxio.Int64, "[2]"},
		"/Reshape_output_0":   {onnxio.Float, "[N,18]"}, // onnx: [unk__0,18]; N×18 elements / 18 = N
		"/fc/Gemm_output_0":   {onnxio.Float, "[N,3]"},
		"log_probs":           {onnxio.Float, "[N,3]"},
	}
	for name, w := range want {
		got := types[name]
		if got.DType != w.dt || onnxio.FormatDims(got.Dims) != w.dims || onnxio.FormatShape(got.Shape) != w.dims {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
}

// Every backend model: shapes for the dims of test_data_set_0's inputs,
// compared on the graph outputs with the dims of its output_*.pb (produced
// by PyTorch when the test data was made).
func TestShapesBackend(t *testing.T) {
	root := testenv.Shared(t, "reference", "onnx-backend")
	var models []string
	for _, set := range []string{"pytorch-converted", "pytorch-operator"} {
		ms, err := filepath.Glob(filepath.Join(root, set, "*", "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		models = append(models, ms...)
	}
	if len(models) == 0 {
		t.Fatalf("no models under %s", root)
	}
	for _, f := range models {
		m := loadTestModel(t, f)
		dir := filepath.Join(filepath.Dir(f), "test_data_set_0")
		inputs := make(map[string][]int64)
		for i, vi := range m.Inputs {
			tn, err := onnxio.ReadTensorFile(filepath.Join(dir, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			inputs[vi.Name()] = tn.Dims
		}
		types, err := inferTypes(t, m, inputs)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for i, vi := range m.Outputs {
			tn, err := onnxio.ReadTensorFile(filepath.Join(dir, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			if got := types[vi.Name()].Shape; !slices.Equal(got, tn.Dims) || got == nil {
				t.Errorf("%s: output %s has shape %v, test data has %v", f, vi.Name(), got, tn.Dims)
			}
		}
	}
	t.Logf("%d models", len(models))
}

// ../onnxio/testdata/tiny_dyn.onnx. c, p, t, s, b1, shape2, xp, g, gs and
// z agree with onnx.shape_inference.infer_shapes(data_prop=True) of
// python3-onnx 1.12; r and y (which onnx leaves unknown) follow by hand: p
// = [N,4,2,2] holds 16 values per sample, so Reshape to [N,-1] gives
// [N,16] and MatMul with W[16,5] gives [N,5]. Conv: floor((9+1+1-(2×2+1))/2)+1
// = 4; MaxPool with ceil_mode: ceil((4-3)/2)+1 = 2. Flatten(axis 2) of
// [N,3,13,15]: [3N,195].
func TestShapesTinyDyn(t *testing.T) {
	m := loadTestModel(t, "..", "onnxio", "testdata", "tiny_dyn.onnx")
	for _, batch := range []int64{-1, 2} {
		types, err := inferTypes(t, m, map[string][]int64{"x": {batch, 3, 9, 9}})
		if err != nil {
			t.Fatal(err)
		}
		n3 := int64(-1)
		if batch > 0 {
			n3 = 3 * batch
		}
		want := map[string][]int64{
			"c": {batch, 4, 4, 4}, "p": {batch, 4, 2, 2}, "t": {batch, 2, 2, 4}, "s": {4}, "b": {}, "b1": {1},
			"shape2": {2}, "r": {batch, 16}, "y": {batch, 5}, "xp": {batch, 3, 13, 15}, "f": {n3, 195},
			"g": {batch, 4, 1, 1}, "gs": {batch, 4}, "z": {batch, 9},
		}
		for name, w := range want {
			if got := types[name].Shape; !slices.Equal(got, w) || got == nil {
				t.Errorf("batch %d: %s = %v, want %v", batch, name, got, w)
			}
		}
	}
	types, err := inferTypes(t, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"r": "[N,16]", "f": "[3N,195]", "z": "[N,9]", "b": "[]", "s": "[4]"} {
		if got := onnxio.FormatDims(types[name].Dims); got != want {
			t.Errorf("%s dims %s, want %s", name, got, want)
		}
	}
}

// TestShapesErrorNamesNode: a shape error in a model with a dynamic batch
// names the node and the problem, and says at which batch the shapes were
// computed.
func TestShapesErrorNamesNode(t *testing.T) {
	g := &graph{opset: 13}
	g.input("x", onnxio.Float, -1, 3).init("w", []int64{4, 2}, make([]float32, 8))
	g.node("MatMul", []string{"x", "w"}, []string{"y"})
	g.outs = []string{"y"}
	_, err := inferTypes(t, g.model(t), nil)
	if err == nil {
		t.Fatal("MatMul of [N,3] and [4,2]: no error")
	}
	if msg := err.Error(); strings.Contains(msg, "922337") || !strings.Contains(msg, `node "nA" (MatMul`) || !strings.Contains(msg, "N = 1") {
		t.Errorf("error %q: want the node, the problem and the batch", msg)
	} else {
		t.Logf("error: %s", msg)
	}
}

// TestShapesSymbols: a dim_param at axis 0 shows as N, others by name, and
// sizes computed from them as multiples (kN, k·seq) or ? when not a
// multiple.
func TestShapesSymbols(t *testing.T) {
	g := &graph{opset: 13}
	g.inputs = append(g.inputs, onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, -1, 4}, "batch", "seq"))
	g.initInt("shape", []int64{2}, []int64{-1, 2})
	g.initInt("pads", []int64{6}, []int64{0, 1, 0, 0, 0, 0})
	g.node("Reshape", []string{"x", "shape"}, []string{"r"}) // [2·N·seq, 2]
	g.node("Transpose", []string{"x"}, []string{"t"}, onnxbuild.AttrInts("perm", 1, 0, 2))
	g.node("Pad", []string{"x", "pads"}, []string{"p"}) // [N, seq+1, 4]
	g.outs = []string{"r", "t", "p"}
	types, err := inferTypes(t, g.model(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x": "[N,seq,4]", "t": "[seq,N,4]", "p": "[N,?,4]", "r": "[?,2]"} {
		if got := onnxio.FormatDims(types[name].Dims); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	types, err = inferTypes(t, g.model(t), map[string][]int64{"x": {-1, 5, 4}})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"t": "[5,N,4]", "p": "[N,6,4]", "r": "[10N,2]"} {
		if got := onnxio.FormatDims(types[name].Dims); got != want {
			t.Errorf("seq 5: %s: %s, want %s", name, got, want)
		}
	}
}

// TestShapesDataDependent: a Reshape whose target comes from the data has
// no known shape (zeros would give one answer among many), nor has what
// is computed from it; integer division of data by zero is an error
// naming the node, not a panic.
func TestShapesDataDependent(t *testing.T) {
	g := &graph{opset: 13}
	g.input("x", onnxio.Float, 2, 3)
	g.input("s", onnxio.Int64, 2)
	g.initInt("six", []int64{2}, []int64{6, 1})
	g.node("Add", []string{"s", "six"}, []string{"target"})
	g.node("Reshape", []string{"x", "target"}, []string{"r"})
	g.node("Relu", []string{"r"}, []string{"y"})
	g.node("Relu", []string{"x"}, []string{"z"})
	g.outs = []string{"y", "z"}
	types, err := inferTypes(t, g.model(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if types["r"].Shape != nil || types["y"].Shape != nil || !slices.Equal(types["z"].Shape, []int64{2, 3}) || !slices.Equal(types["target"].Shape, []int64{2}) {
		t.Errorf("r %v, y %v, z %v, target %v; want unknown, unknown, [2 3], [2]", types["r"], types["y"], types["z"], types["target"])
	}

	g = &graph{opset: 13}
	g.input("a", onnxio.Int64, -1, 2)
	g.initInt("ten", []int64{}, []int64{10})
	g.node("Div", []string{"ten", "a"}, []string{"q"})
	g.outs = []string{"q"}
	types, err = inferTypes(t, g.model(t), nil)
	if err == nil || !strings.Contains(err.Error(), `node "nA" (Div`) || !strings.Contains(err.Error(), "division by zero") {
		t.Errorf("10 / zeros: %v, want a division error naming the node", err)
	}
	if got := onnxio.FormatDims(types["a"].Dims); got != "[N,2]" {
		t.Errorf("input a: %s", got)
	}
}

// TestShapesVision computes every tensor's shape of the torchvision
// ResNet-18 (width 8) and ViT-tiny exports in testdata/models (opsets 13,
// 14, 17; dynamic batch) and checks it against the tensors a run at batch
// 3 makes: no dimension may be left unknown ("?"), the batch shows as N
// and its multiples as kN (the attention's N·heads).
func TestShapesVision(t *testing.T) {
	for _, name := range []string{"resnet18_w8", "vit_tiny_op13", "vit_tiny_op14", "vit_tiny_op17"} {
		t.Run(name, func(t *testing.T) {
			m := loadTestModel(t, "..", "testdata", "models", name, "model.onnx")
			types, err := inferTypes(t, m, nil)
			if err != nil {
				t.Fatal(err)
			}
			var fetch []string
			for _, n := range m.Nodes {
				for _, o := range n.Outputs() {
					if o != "" {
						fetch = append(fetch, o)
					}
				}
			}
			prog, err := Prepare(m, Options{})
			if err != nil {
				t.Fatal(err)
			}
			const batch = 3
			x := make([]float32, batch*3*32*32)
			for i := range x {
				x[i] = float32(i%17) / 17
			}
			outs, err := prog.Run(context.Background(), map[string]*Tensor{"input": NewFloat([]int{batch, 3, 32, 32}, x)}, fetch)
			if err != nil {
				t.Fatal(err)
			}
			kN := 0
			for _, f := range fetch {
				vt, ok := types[f]
				if !ok || vt.Dims == nil {
					t.Errorf("%s: no shape", f)
					continue
				}
				got := onnxio.FormatDims(vt.Dims)
				if strings.Contains(got, "?") {
					t.Errorf("%s: %s", f, got)
					continue
				}
				if strings.Contains(got, "N") && !strings.Contains(got, "[N") {
					kN++
				}
				dims := make([]string, len(outs[f].Shape))
				for i, d := range outs[f].Shape {
					dims[i] = fmt.Sprint(d)
				}
				want := "[" + strings.Join(dims, ",") + "]"
				if sub := substituteBatch(vt.Dims, batch); sub != want {
					t.Errorf("%s: %s (%s for N = %d), a run gives %s", f, got, sub, batch, want)
				}
			}
			if got := onnxio.FormatDims(types[m.Outputs[0].Name()].Dims); got != "[N,10]" {
				t.Errorf("logits: %s, want [N,10]", got)
			}
			if strings.HasPrefix(name, "vit") && kN == 0 {
				t.Error("no multiple of N among the attention's shapes")
			}
		})
	}
}

// substituteBatch formats dims with N (and kN) replaced by numbers.
func substituteBatch(dims []string, n int) string {
	out := make([]string, len(dims))
	for i, d := range dims {
		out[i] = d
		if k, ok := strings.CutSuffix(d, "N"); ok {
			f := 1
			if k != "" {
				fmt.Sscan(k, &f)
			}
			out[i] = fmt.Sprint(f * n)
		}
	}
	return "[" + strings.Join(out, ",") + "]"
}

// TestLayersUnsupported: a model with an operator the engine does not run
// is still listed (names, ops, parameters) without shapes, with an error
// naming the node and the op.
func TestLayersUnsupported(t *testing.T) {
	// ../onnxio/testdata/tiny_cnn.onnx with its Relu replaced.
	g := &graph{opset: 13, outs: []string{"log_probs"}}
	g.inputs = append(g.inputs, onnxbuild.ValueInfo("input", onnxio.Float, []int64{-1, 1, 6, 6}, "batch"))
	g.init("conv.weight", []int64{2, 1, 3, 3}, make([]float32, 18)).init("conv.bias", []int64{2}, make([]float32, 2))
	g.init("fc.weight", []int64{3, 18}, make([]float32, 54)).init("fc.bias", []int64{3}, make([]float32, 3))
	add := func(op, name string, in, out []string, attrs ...*onnxbuild.Attr) {
		g.nodes = append(g.nodes, onnxbuild.NewNode(op, name, in, out, attrs...))
	}
	add("Conv", "/conv/Conv", []string{"input", "conv.weight", "conv.bias"}, []string{"c"}, onnxbuild.AttrInts("kernel_shape", 3, 3), onnxbuild.AttrInts("pads", 1, 1, 1, 1))
	add("MysteryOp", "/Relu", []string{"c"}, []string{"r"})
	add("MaxPool", "/MaxPool", []string{"r"}, []string{"p"}, onnxbuild.AttrInts("kernel_shape", 2, 2), onnxbuild.AttrInts("strides", 2, 2))
	add("Constant", "/Constant", nil, []string{"shape"}, onnxbuild.AttrTensor("value", onnxbuild.Int64Tensor("", []int64{2}, []int64{-1, 18})))
	add("Reshape", "/Reshape", []string{"p", "shape"}, []string{"flat"})
	add("Gemm", "/fc/Gemm", []string{"flat", "fc.weight", "fc.bias"}, []string{"logits"}, onnxbuild.AttrInt("transB", 1))
	add("LogSoftmax", "/LogSoftmax", []string{"logits"}, []string{"log_probs"}, onnxbuild.AttrInt("axis", 1))
	m := g.model(t)
	layers, types, err := Layers(context.Background(), m, map[string][]int64{"input": {2, 1, 6, 6}})
	var ue *onnxio.UnsupportedError
	if !errors.As(err, &ue) || ue.Node != "/Relu" || ue.Op != "MysteryOp" {
		t.Fatalf("error %v, want UnsupportedError for node /Relu", err)
	}
	if len(layers) != 7 || layers[1].Op != "MysteryOp" || layers[0].Shape != nil || layers[5].Shape != nil {
		t.Errorf("layers %+v", layers)
	}
	if !slices.Equal(types["input"].Shape, []int64{2, 1, 6, 6}) {
		t.Errorf("input type %v", types["input"])
	}
	if layers[0].Params != 20 || layers[5].Params != 57 || m.TotalParams() != 77 {
		t.Errorf("params %d %d total %d; want 2×9+2=20, 3×18+3=57, 77", layers[0].Params, layers[5].Params, m.TotalParams())
	}
}

// FuzzShapes computes shapes of ../onnxio/testdata/tiny_dyn.onnx with
// hostile attribute values, Reshape targets and input shapes: InferTypes
// must return shapes or an error, never panic; when the Reshape's shapes
// are known and concrete, it keeps the element count of its input.
//
//	go test -run XXX -fuzz FuzzShapes -fuzztime 1m ./engine/
func FuzzShapes(f *testing.F) {
	f.Add(int64(3), int64(2), int64(1), int64(2), int64(3), int64(2), int64(0), int64(-1), int64(2), int64(9), int64(9), int64(1))
	f.Add(int64(1), int64(1), int64(0), int64(1), int64(1), int64(1), int64(-1), int64(16), int64(-1), int64(5), int64(7), int64(0))
	f.Fuzz(func(t *testing.T, k, stride, pad, dil, pk, ps, r0, r1, batch, h, w, ceil int64) {
		// tiny_dyn.onnx's Conv → MaxPool → Transpose → Reshape → MatMul
		// path, with the fuzzed attributes and a fixed Reshape target.
		kk := min(max(k, 0), 5)
		g := &graph{opset: 13, outs: []string{"y"}}
		g.inputs = append(g.inputs, onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 3, 9, 9}, "N"))
		g.init("w", []int64{4, 3, kk, kk}, make([]float32, 4*3*kk*kk)).init("fcw", []int64{16, 5}, make([]float32, 80))
		g.initInt("target", []int64{2}, []int64{r0, r1})
		g.node("Conv", []string{"x", "w"}, []string{"c"}, onnxbuild.AttrInts("strides", stride, stride), onnxbuild.AttrInts("pads", pad, pad, pad, pad), onnxbuild.AttrInts("dilations", dil, dil))
		g.node("MaxPool", []string{"c"}, []string{"p"}, onnxbuild.AttrInts("kernel_shape", pk, pk), onnxbuild.AttrInts("strides", ps, ps), onnxbuild.AttrInt("ceil_mode", ceil))
		g.node("Transpose", []string{"p"}, []string{"t"}, onnxbuild.AttrInts("perm", 0, 2, 3, 1))
		g.node("Reshape", []string{"t", "target"}, []string{"r"})
		g.node("MatMul", []string{"r", "fcw"}, []string{"y"})
		gp := &onnxbuild.Graph{Name: "fuzz", Nodes: g.nodes, Initializers: g.inits, Inputs: g.inputs,
			Outputs: []*onnxbuild.Value{{Name: "y", DType: onnxio.Float, NoShape: true}}}
		m, err := onnxbuild.NewModel(gp, 13, "engine test").Build()
		if err != nil {
			return
		}
		// Keep the runs small: the fuzzer explores shapes, not sizes.
		batch, h, w = min(batch, 4), min(h, 64), min(w, 64)
		types, err := InferTypes(context.Background(), m, map[string][]int64{"x": {batch, 3, h, w}})
		if err != nil {
			return
		}
		size := func(s []int64) int64 {
			n := int64(1)
			for _, d := range s {
				if d < 0 {
					return -1
				}
				n *= d
			}
			return n
		}
		in, out := types["t"].Shape, types["r"].Shape
		if in != nil && out != nil && size(in) >= 0 && size(out) >= 0 && size(in) != size(out) {
			t.Fatalf("Reshape %v -> %v changes the element count", in, out)
		}
	})
}
