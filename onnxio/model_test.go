package onnxio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// tinyMLP builds x[N,4] -> Gemm(W[3,4], B[3], transB) -> Relu -> y[N,3].
func tinyMLP() *onnxpb.ModelProto {
	w := make([]float32, 12)
	for i := range w {
		w[i] = float32(i)/10 - 0.5
	}
	g := &onnxpb.GraphProto{
		Name: "tiny",
		Node: []*onnxpb.NodeProto{
			NewNode("Gemm", "/fc/Gemm", []string{"x", "fc.weight", "fc.bias"}, []string{"h"}, AttrInt("transB", 1)),
			NewNode("Relu", "/Relu", []string{"h"}, []string{"y"}),
		},
		Initializer: []*onnxpb.TensorProto{
			FloatTensor("fc.weight", []int64{3, 4}, w),
			FloatTensor("fc.bias", []int64{3}, []float32{0.1, 0, -0.1}),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", Float, []int64{-1, 4}, "batch")},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", Float, []int64{-1, 3}, "batch")},
	}
	return NewModel(g, 13, "conceptcells-test")
}

func encodeT(t *testing.T, mp *onnxpb.ModelProto) []byte {
	t.Helper()
	data, err := encode(mp)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecodeTiny(t *testing.T) {
	m, err := Decode(encodeT(t, tinyMLP()))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Nodes) != 2 || m.Nodes[0].OpType() != "Gemm" || m.Opset("ai.onnx") != 13 || m.Opsets[""] != 13 {
		t.Errorf("nodes %v opsets %v", m.Nodes, m.Opsets)
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Name() != "x" {
		t.Errorf("inputs %v", m.Inputs)
	}
	if w := m.Initializers["fc.weight"]; w == nil || w.Len() != 12 || w.F32[11] != 0.6 {
		t.Errorf("weight %+v", w)
	}
	if n, i := m.Producer("y"); n == nil || i != 1 {
		t.Errorf("Producer(y) = %v, %d", n, i)
	}
	dims, names, ok := m.Inputs[0].Shape()
	if !ok || !equalSlices(dims, []int64{-1, 4}) || names[0] != "batch" {
		t.Errorf("Shape = %v %v %v", dims, names, ok)
	}
	a := m.Nodes[0].Attrs()
	if v, err := a.Int("transB", 0); v != 1 || err != nil {
		t.Errorf("transB = %d, %v", v, err)
	}
	if v, err := a.Float("alpha", 1); v != 1 || err != nil {
		t.Errorf("alpha default = %g, %v", v, err)
	}
	if _, err := a.Ints("transB", nil); err == nil || !strings.Contains(err.Error(), `node "/fc/Gemm" attribute "transB": is INT, Gemm expects INTS`) {
		t.Errorf("wrong-type attribute error: %v", err)
	}
}

func TestTopologicalOrder(t *testing.T) {
	mp := tinyMLP()
	g := mp.Graph
	g.Node[0], g.Node[1] = g.Node[1], g.Node[0] // Relu listed before Gemm
	m, err := Decode(encodeT(t, mp))
	if err != nil {
		t.Fatal(err)
	}
	if m.Nodes[0].OpType() != "Gemm" || m.Nodes[1].OpType() != "Relu" {
		t.Errorf("order %s, %s; want Gemm, Relu", m.Nodes[0].OpType(), m.Nodes[1].OpType())
	}
}

func TestModelErrors(t *testing.T) {
	good := encodeT(t, tinyMLP())
	cases := []struct {
		name   string
		mutate func(mp *onnxpb.ModelProto)
		want   string
	}{
		{"undefined input", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Input[0] = "nowhere" },
			`malformed model: node "/Relu" input "nowhere": is not defined by a graph input, an initializer or a node`},
		{"cycle", func(mp *onnxpb.ModelProto) {
			// h = Gemm(x, W, B) reads z, z = Relu(h): a two-node cycle.
			mp.Graph.Node[0].Input[0] = "z"
			mp.Graph.Node[1].Output[0] = "z"
			mp.Graph.Output[0].Name = "z"
		}, `graph has a cycle through nodes "/fc/Gemm" -> "/Relu" -> "/fc/Gemm"`},
		{"self loop", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Input[0] = "y" }, `node "/Relu" input "y": is the node's own output`},
		{"duplicate output", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Output[0] = "h" }, `node "/Relu" output "h": already produced by node "/fc/Gemm"`},
		{"output shadows initializer", func(mp *onnxpb.ModelProto) { mp.Graph.Node[1].Output[0] = "fc.bias" }, `output "fc.bias": already defined by initializer`},
		{"undefined graph output", func(mp *onnxpb.ModelProto) { mp.Graph.Output[0].Name = "q" }, `graph output "q": is not defined`},
		{"no opset", func(mp *onnxpb.ModelProto) { mp.OpsetImport = nil }, `domain "" of op Gemm has no opset import`},
		{"no ir version", func(mp *onnxpb.ModelProto) { mp.IrVersion = 0 }, "ir_version 0"},
		{"no graph", func(mp *onnxpb.ModelProto) { mp.Graph = nil }, "model has no graph"},
		{"initializer size", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[1].Dims = []int64{4} },
			`initializer "fc.bias": raw_data holds 12 bytes, dims [4] of float32 need 16`},
		{"initializer 2^40", func(mp *onnxpb.ModelProto) { mp.Graph.Initializer[1].Dims = []int64{1 << 40} },
			`initializer "fc.bias": dims [1099511627776] declare 1099511627776 elements, more than the limit`},
		{"duplicate attribute", func(mp *onnxpb.ModelProto) {
			mp.Graph.Node[0].Attribute = append(mp.Graph.Node[0].Attribute, AttrInt("transB", 0))
		}, `node "/fc/Gemm" attribute "transB": given twice`},
		{"external passwd", func(mp *onnxpb.ModelProto) {
			b := mp.Graph.Initializer[1]
			b.RawData = nil
			b.DataLocation = onnxpb.TensorProto_EXTERNAL
			b.ExternalData = []*onnxpb.StringStringEntryProto{{Key: "location", Value: "../../etc/passwd"}}
		}, `initializer "fc.bias": external data location "../../etc/passwd" escapes the model's folder`},
	}
	for _, c := range cases {
		mp := new(onnxpb.ModelProto)
		if err := proto.Unmarshal(good, mp); err != nil {
			t.Fatal(err)
		}
		c.mutate(mp)
		data := encodeT(t, mp)
		_, err := Decode(data)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v\nwant a FormatError containing %s", c.name, err, c.want)
		}
	}
	// A newer IR version is a valid model we do not read.
	mp := tinyMLP()
	mp.IrVersion = 99
	var ue *UnsupportedError
	if _, err := Decode(encodeT(t, mp)); !errors.As(err, &ue) {
		t.Errorf("IR 99: error %v, want UnsupportedError", err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	good := encodeT(t, tinyMLP())
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 4096)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	files := map[string][]byte{
		"truncated.onnx": good[:len(good)*2/3],
		"random.onnx":    junk,
		"empty.onnx":     nil,
		"text.onnx":      []byte("this is not an ONNX model\n"),
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want a FormatError naming the file", name, err)
			continue
		}
		t.Logf("%s: %v", name, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.onnx")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	for _, p := range []string{dir, os.DevNull} {
		if _, err := Load(p); err == nil {
			t.Errorf("Load(%s) accepted", p)
		}
		if _, err := ReadTensorFile(p); err == nil {
			t.Errorf("ReadTensorFile(%s) accepted", p)
		}
	}
	// Every prefix of a valid model either decodes to a valid model (a cut
	// on a field boundary) or gives a FormatError; never a panic. Cuts
	// inside the graph field always fail: the graph's length prefix then
	// overruns the input.
	failed := 0
	for cut := 1; cut < len(good); cut++ {
		_, err := Decode(good[:cut])
		if err == nil {
			continue
		}
		failed++
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("cut at %d: error %T %v, want a FormatError", cut, err, err)
		}
	}
	if failed < len(good)/2 {
		t.Errorf("only %d of %d truncations failed", failed, len(good)-1)
	}
}

// The reference CNN of ../shared/reference/mnist-cnn: facts from its README
// and manifest.json (sha256, opset 13, IR 7, initializer shapes).
func TestLoadMNISTReference(t *testing.T) {
	p := testenv.Shared(t, "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx")
	m, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if m.SHA256 != "f74e0b6b816e0a6c452627f7860b4a53fbcde190cb26c4bd747e6fc6f5478690" {
		t.Errorf("sha256 %s differs from manifest.json", m.SHA256)
	}
	if m.IRVersion != 7 || m.Opset("") != 13 || len(m.Nodes) != 12 {
		t.Errorf("IR %d opset %d nodes %d; want 7, 13, 12", m.IRVersion, m.Opset(""), len(m.Nodes))
	}
	want := map[string][]int64{
		"conv1.weight": {10, 1, 5, 5}, "conv1.bias": {10}, "conv2.weight": {20, 10, 5, 5}, "conv2.bias": {20},
		"fc1.weight": {50, 320}, "fc1.bias": {50}, "fc2.weight": {10, 50}, "fc2.bias": {10},
	}
	for name, dims := range want {
		tn := m.Initializers[name]
		if tn == nil || !equalSlices(tn.Dims, dims) || tn.DType != Float || len(tn.F32) != tn.Len() {
			t.Errorf("initializer %s = %+v, want float32 %v", name, tn, dims)
		}
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Name() != "input" || m.Outputs[0].Name() != "log_probs" {
		t.Errorf("inputs %v outputs %v", m.Inputs, m.Outputs)
	}
	data, err := encode(m.proto)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := Decode(data)
	if err != nil || !proto.Equal(m.proto, m2.proto) {
		t.Errorf("round trip: %v", err)
	}
}

func TestBackendModelsRoundTrip(t *testing.T) {
	files := backendFiles(t, "model.onnx")
	for _, f := range files {
		m, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		data, err := encode(m.proto)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		m2, err := Decode(data)
		if err != nil {
			t.Errorf("%s: re-encoded model: %v", f, err)
			continue
		}
		if !proto.Equal(m.proto, m2.proto) {
			t.Errorf("%s: Encode/Decode round trip differs", f)
		}
		// Encoding is deterministic.
		if data2, _ := encode(m2.proto); !bytes.Equal(data, data2) {
			t.Errorf("%s: second encoding differs", f)
		}
	}
	t.Logf("loaded and round-tripped %d models", len(files))
}
