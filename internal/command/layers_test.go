package command

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// Shapes from the table in ../shared/reference/mnist-cnn/README.md.
var readmeShapes = []struct {
	node, op, output, shape string
	params                  int64
}{
	{"/conv1/Conv", "Conv", "/conv1/Conv_output_0", "[N,10,24,24]", 10*1*5*5 + 10},
	{"/MaxPool", "MaxPool", "/MaxPool_output_0", "[N,10,12,12]", 0},
	{"/Relu", "Relu", "/Relu_output_0", "[N,10,12,12]", 0},
	{"/conv2/Conv", "Conv", "/conv2/Conv_output_0", "[N,20,8,8]", 20*10*5*5 + 20},
	{"/MaxPool_1", "MaxPool", "/MaxPool_1_output_0", "[N,20,4,4]", 0},
	{"/Relu_1", "Relu", "/Relu_1_output_0", "[N,20,4,4]", 0},
	{"/Constant", "Constant", "/Constant_output_0", "[2]", 0},
	{"/Reshape", "Reshape", "/Reshape_output_0", "[N,320]", 0},
	{"/fc1/Gemm", "Gemm", "/fc1/Gemm_output_0", "[N,50]", 50*320 + 50},
	{"/Relu_2", "Relu", "/Relu_2_output_0", "[N,50]", 0},
	{"/fc2/Gemm", "Gemm", "/fc2/Gemm_output_0", "[N,10]", 10*50 + 10},
	{"/LogSoftmax", "LogSoftmax", "log_probs", "[N,10]", 0},
}

func TestLayersMNIST(t *testing.T) {
	model := testenv.Shared(t, "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx")
	out, _, err := runApp(t, "layers", model)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	for _, want := range readmeShapes {
		found := false
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) == 7 && f[1] == want.node {
				found = true
				if f[2] != want.op || f[3] != want.output || f[4] != want.shape || f[6] != strconv.FormatInt(want.params, 10) {
					t.Errorf("row %q, want %s %s %s %s params %d", l, want.node, want.op, want.output, want.shape, want.params)
				}
			}
		}
		if !found {
			t.Errorf("no row for %s in\n%s", want.node, out)
		}
	}
	if !strings.Contains(out, "12 tensors, 21840 parameters") {
		t.Errorf("missing total line in\n%s", out)
	}

	// JSON, with a concrete batch.
	out, _, err = runApp(t, "layers", "--input-shape", "3,1,28,28", "--json", model)
	if err != nil {
		t.Fatal(err)
	}
	var rep layersReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Layers) != len(readmeShapes) || rep.TotalParams != 21840 || rep.Opsets["ai.onnx"] != 13 || rep.IRVersion != 7 ||
		rep.SHA256 != "f74e0b6b816e0a6c452627f7860b4a53fbcde190cb26c4bd747e6fc6f5478690" {
		t.Fatalf("report %+v", rep)
	}
	for i, want := range readmeShapes {
		l := rep.Layers[i]
		shape := strings.Replace(want.shape, "N", "3", 1)
		if l.Index != i || l.Node != want.node || l.Output != want.output || fmtShape(l.Shape) != shape || l.Params != want.params ||
			"["+strings.Join(l.Dims, ",")+"]" != shape {
			t.Errorf("layer %d = %+v, want %s %s %s", i, l, want.node, want.output, shape)
		}
	}
	if rep.Layers[6].DType != "int64" || rep.Layers[0].DType != "float32" {
		t.Errorf("dtypes %s, %s", rep.Layers[6].DType, rep.Layers[0].DType)
	}
}

func fmtShape(s []int64) string {
	b, _ := json.Marshal(s)
	return strings.ReplaceAll(string(b), " ", "")
}

func TestLayersErrors(t *testing.T) {
	model := filepath.Join("..", "..", "onnxio", "testdata", "tiny_cnn.onnx")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"layers"}, "expected one MODEL argument"},
		{[]string{"layers", "nope.onnx"}, "nope.onnx"},
		{[]string{"layers", "--input-shape", "1,x,6,6", model}, `--input-shape: parsing shape: "1,x,6,6": size "x"`},
		{[]string{"layers", "--input-shape", "1,2,6,6", model}, `input "input": shape [1 2 6 6] does not match the declared [-1 1 6 6]`},
		{[]string{"layers", "--input-shape", "other=1,1,6,6", model}, `tensor "other": is not an input of the model`},
	}
	for _, c := range cases {
		_, _, err := runApp(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
	out, _, err := runApp(t, "layers", "--input-shape", "5,1,6,6", model)
	if err != nil || !strings.Contains(out, "[5,3]") {
		t.Errorf("tiny_cnn with batch 5: %v\n%s", err, out)
	}
	// Flatten(axis 2) of [N,3,13,15] is [3N,195]: not the batch, but
	// three times it.
	out, _, err = runApp(t, "layers", filepath.Join("..", "..", "onnxio", "testdata", "tiny_dyn.onnx"))
	if err != nil || !strings.Contains(out, "f       [3N,195]") || !strings.Contains(out, "r       [N,16]") {
		t.Errorf("tiny_dyn: %v\n%s", err, out)
	}
}

// TestLayersUnsupportedOp: a model with an operator the engine does not
// run is still listed (nodes, ops, parameters) with "?" shapes, and a
// warning names the node, the op and why the shapes are missing; a model
// whose shapes fail at a node names that node.
func TestLayersUnsupportedOp(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "onnxio", "testdata", "tiny_cnn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := onnxbuild.EditOpType(data, "/Relu", "MysteryOp")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mystery.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runApp(t, "layers", path)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 6 && f[1] == "/Relu" {
			found = f[2] == "MysteryOp" && f[3] == "/Relu_output_0" && f[4] == "?"
		}
	}
	if !found || !strings.Contains(out, "7 tensors, 77 parameters") {
		t.Errorf("listing:\n%s", out)
	}
	if !strings.Contains(errOut, "no shapes") || !strings.Contains(errOut, `"/Relu"`) || !strings.Contains(errOut, "MysteryOp") {
		t.Errorf("warning %q: want the node, the op and why", errOut)
	}

	// A MatMul whose weight does not fit its input: the shapes stop at
	// the MatMul, which the warning names with the problem.
	g := &onnxbuild.Graph{Name: "bad", Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 3}, "batch")},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{4, 2}, make([]float32, 8))},
		Nodes: []*onnxbuild.Node{onnxbuild.NewNode("Relu", "pre", []string{"x"}, []string{"h"}),
			onnxbuild.NewNode("MatMul", "mm", []string{"h", "w"}, []string{"y"})},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 2}, "batch")}}
	if b, err = onnxbuild.NewModel(g, 13, "test").Encode(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, err = runApp(t, "layers", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "h       [N,3]") || !strings.Contains(errOut, `node "mm" (MatMul`) || !strings.Contains(errOut, "inner dimensions 3 and 4") {
		t.Errorf("bad MatMul: listing\n%s\nwarning %q", out, errOut)
	}
}

// TestLayersBundledModel: the Go-trained model's Flatten keeps the batch
// symbol, so the paper's layers show as [N,50] and [N,10] (train/export.go
// names them fc1_relu and fc2).
func TestLayersBundledModel(t *testing.T) {
	model := filepath.Join(testenv.ModuleRoot(t), "testdata", "mnist_cnn_go.onnx")
	out, _, err := runApp(t, "layers", model)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"flatten    Flatten     flatten    [N,320]", "fc1_relu   Relu        fc1_relu   [N,50]", "fc2        Gemm        fc2        [N,10]"} {
		if !strings.Contains(out, want) {
			t.Errorf("layers output lacks %q:\n%s", want, out)
		}
	}
}
