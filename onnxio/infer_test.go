package onnxio

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

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

func TestInferMNIST(t *testing.T) {
	m, err := Load(testenv.Shared(t, "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int64{-1, 7} {
		var inputs map[string][]int64
		if batch > 0 {
			inputs = map[string][]int64{"input": {batch, 1, 28, 28}}
		}
		shapes, err := InferShapes(m, inputs)
		if err != nil {
			t.Fatal(err)
		}
		for name, want := range mnistShapes {
			w := append([]int64{}, want...)
			if len(w) > 1 {
				w[0] = batch
			}
			if !equalSlices(shapes[name], w) {
				t.Errorf("batch %d: %s = %v, want %v", batch, name, shapes[name], w)
			}
		}
	}
	types, err := InferTypes(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range mnistShapes {
		if got, w := FormatDims(types[name].Dims), FormatShape(want); got != w {
			t.Errorf("%s dims %s, want %s", name, got, w)
		}
	}
	if _, err := InferShapes(m, map[string][]int64{"input": {1, 3, 28, 28}}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("3-channel input: %v", err)
	}
	if _, err := InferShapes(m, map[string][]int64{"input": {1, 28, 28}}); err == nil || !strings.Contains(err.Error(), "rank 3") {
		t.Errorf("rank-3 input: %v", err)
	}
	if _, err := InferShapes(m, map[string][]int64{"image": {1, 1, 28, 28}}); err == nil {
		t.Error("unknown input name accepted")
	}
	// A 20×20 image is too small for the fixed Reshape to 320.
	if _, err := InferShapes(m, map[string][]int64{"input": {1, 1, 20, 20}}); err == nil {
		t.Error("20×20 input accepted")
	}
}

// Shapes from onnx.shape_inference.infer_shapes (python3-onnx 1.12) on
// testdata/tiny_cnn.onnx: batch symbolic, Reshape output dim unknown.
func TestInferTinyCNN(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny_cnn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	types, err := InferTypes(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		dt   DType
		dims string
	}{
		"/conv/Conv_output_0": {Float, "[N,2,6,6]"},
		"/Relu_output_0":      {Float, "[N,2,6,6]"},
		"/MaxPool_output_0":   {Float, "[N,2,3,3]"},
		"/Constant_output_0":  {Int64, "[2]"},
		"/Reshape_output_0":   {Float, "[N,18]"}, // onnx: [unk__0,18]; N×18 elements / 18 = N
		"/fc/Gemm_output_0":   {Float, "[N,3]"},
		"log_probs":           {Float, "[N,3]"},
	}
	for name, w := range want {
		got := types[name]
		if got.DType != w.dt || FormatDims(got.Dims) != w.dims || FormatShape(got.Shape) != w.dims {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
}

// Every backend model: infer shapes from the dims of test_data_set_0's
// inputs and compare the graph outputs with the dims of its output_*.pb
// (produced by PyTorch when the test data was made).
func TestInferBackend(t *testing.T) {
	models := backendFiles(t, "model.onnx")
	checked := 0
	var unsupported []string
	for _, f := range models {
		m, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Join(filepath.Dir(f), "test_data_set_0")
		inputs := make(map[string][]int64)
		for i, vi := range m.Inputs {
			tn, err := ReadTensorFile(filepath.Join(dir, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			inputs[vi.Name()] = tn.Dims
		}
		shapes, err := InferShapes(m, inputs)
		var ue *UnsupportedError
		if errors.As(err, &ue) {
			unsupported = append(unsupported, fmt.Sprintf("%s: %v", filepath.Base(filepath.Dir(f)), err))
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		for i, vi := range m.Outputs {
			tn, err := ReadTensorFile(filepath.Join(dir, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Fatal(err)
			}
			if !equalSlices(shapes[vi.Name()], tn.Dims) {
				t.Errorf("%s: output %s inferred %v, test data has %v", f, vi.Name(), shapes[vi.Name()], tn.Dims)
			}
		}
		checked++
	}
	if len(unsupported) > 0 {
		t.Errorf("no shape rule in %d models:\n%s", len(unsupported), strings.Join(unsupported, "\n"))
	}
	t.Logf("shapes match the test data for %d of %d models", checked, len(models))
}

// testdata/tiny_dyn.onnx. c, p, t, s, b1, shape2, xp, g, gs and z agree with
// onnx.shape_inference.infer_shapes(data_prop=True) of python3-onnx 1.12;
// r and y (which onnx leaves unknown) follow by hand: p = [N,4,2,2] holds
// 16 values per sample, so Reshape to [N,-1] gives [N,16] and MatMul with
// W[16,5] gives [N,5]. Conv: floor((9+1+1-(2×2+1))/2)+1 = 4; MaxPool with
// ceil_mode: ceil((4-3)/2)+1 = 2. Flatten(axis 2) of [N,3,13,15]: [3N,195],
// 3N unknown.
func TestInferTinyDyn(t *testing.T) {
	m, err := Load(filepath.Join("testdata", "tiny_dyn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int64{-1, 2} {
		shapes, err := InferShapes(m, map[string][]int64{"x": {batch, 3, 9, 9}})
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
			if !equalSlices(shapes[name], w) {
				t.Errorf("batch %d: %s = %v, want %v", batch, name, shapes[name], w)
			}
		}
	}
	types, err := InferTypes(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"r": "[N,16]", "f": "[?,195]", "z": "[N,9]", "b": "[]"} {
		if got := FormatDims(types[name].Dims); got != want {
			t.Errorf("%s dims %s, want %s", name, got, want)
		}
	}
}

func TestReshapeRule(t *testing.T) {
	n := int64(math.MinInt64 + 1) // a symbolic batch size
	cases := []struct {
		in, target, want []int64
		allowzero        bool
		err              string
	}{
		{[]int64{2, 3, 4}, []int64{0, -1}, []int64{2, 12}, false, ""},
		{[]int64{n, 3, 4}, []int64{0, -1}, []int64{n, 12}, false, ""},   // 0 copies the symbolic batch, so -1 is known
		{[]int64{n, 3, 4}, []int64{n, -1}, []int64{n, 12}, false, ""},   // x.view(x.size(0), -1)
		{[]int64{n, 3, 4}, []int64{-1, 12}, []int64{n, 12}, false, ""},  // 12N / 12 = N
		{[]int64{n, 3, 4}, []int64{-1, 5}, []int64{-1, 5}, false, ""},   // N×12/5 may be whole: not decidable
		{[]int64{-1, 3, 4}, []int64{0, -1}, []int64{-1, -1}, false, ""}, // anonymous unknown: nothing cancels
		{[]int64{2, 3, 4}, []int64{4, 0, 2}, []int64{4, 3, 2}, false, ""},
		{[]int64{2, 3, 4}, []int64{0, 24}, nil, true, "cannot reshape"},
		{[]int64{2, 3, 4}, []int64{5, -1}, nil, false, "cannot reshape"},
		{[]int64{2, 3, 4}, []int64{-1, -1}, nil, false, "more than one -1"},
		{[]int64{2, 3, 4}, []int64{7, 3}, nil, false, "cannot reshape"},
	}
	for _, c := range cases {
		got, err := reshape(c.in, c.target, c.allowzero)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("reshape(%v, %v): %v, want error %q", c.in, c.target, err, c.err)
			}
			continue
		}
		if err != nil || !equalSlices(got, c.want) {
			t.Errorf("reshape(%v, %v) = %v, %v; want %v", c.in, c.target, got, err, c.want)
		}
	}
}

// TestInferErrorNamesSymbols: an error about a shape with a dynamic batch
// writes the batch as N, not as the number that stands for it inside
// inference (−9223372036854775807).
func TestInferErrorNamesSymbols(t *testing.T) {
	g := &onnxpb.GraphProto{
		Name:        "bad_matmul",
		Node:        []*onnxpb.NodeProto{NewNode("MatMul", "mm", []string{"x", "w"}, []string{"y"})},
		Initializer: []*onnxpb.TensorProto{FloatTensor("w", []int64{4, 2}, make([]float32, 8))},
		Input:       []*onnxpb.ValueInfoProto{valueInfo("x", Float, []int64{-1, 3}, "batch")},
		Output:      []*onnxpb.ValueInfoProto{valueInfo("y", Float, []int64{-1, 2}, "batch")},
	}
	raw, err := proto.Marshal(NewModel(g, 13, "test"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	_, err = InferTypes(m, nil)
	if err == nil {
		t.Fatal("MatMul of [N,3] and [4,2]: no error")
	}
	if msg := err.Error(); strings.Contains(msg, "922337") || !strings.Contains(msg, "[batch 3]") && !strings.Contains(msg, "[N 3]") {
		t.Errorf("error %q: want the batch by name", msg)
	} else {
		t.Logf("error: %s", msg)
	}
}
