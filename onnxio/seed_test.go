package onnxio

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

var update = flag.Bool("update", false, "rewrite testdata seed models")

// tinyCNN builds input[N,1,6,6] -> Conv(2×1×3×3, pad 1) -> Relu ->
// MaxPool(2) -> Reshape(Constant [-1,18]) -> Gemm(3×18, transB) -> LogSoftmax,
// the layout of the PyTorch MNIST exports in miniature.
func tinyCNN() *onnxpb.ModelProto {
	cw := make([]float32, 18)
	for i := range cw {
		cw[i] = float32(i%5)/4 - 0.5
	}
	fw := make([]float32, 54)
	for i := range fw {
		fw[i] = float32(i%7)/7 - 0.4
	}
	g := &onnxpb.GraphProto{
		Name: "tiny_cnn",
		Node: []*onnxpb.NodeProto{
			NewNode("Conv", "/conv/Conv", []string{"input", "conv.weight", "conv.bias"}, []string{"/conv/Conv_output_0"},
				AttrInts("kernel_shape", 3, 3), AttrInts("pads", 1, 1, 1, 1), AttrInts("strides", 1, 1)),
			NewNode("Relu", "/Relu", []string{"/conv/Conv_output_0"}, []string{"/Relu_output_0"}),
			NewNode("MaxPool", "/MaxPool", []string{"/Relu_output_0"}, []string{"/MaxPool_output_0"},
				AttrInts("kernel_shape", 2, 2), AttrInts("strides", 2, 2)),
			NewNode("Constant", "/Constant", nil, []string{"/Constant_output_0"},
				AttrTensor("value", Int64Tensor("", []int64{2}, []int64{-1, 18}))),
			NewNode("Reshape", "/Reshape", []string{"/MaxPool_output_0", "/Constant_output_0"}, []string{"/Reshape_output_0"}),
			NewNode("Gemm", "/fc/Gemm", []string{"/Reshape_output_0", "fc.weight", "fc.bias"}, []string{"/fc/Gemm_output_0"},
				AttrFloat("alpha", 1), AttrFloat("beta", 1), AttrInt("transB", 1)),
			NewNode("LogSoftmax", "/LogSoftmax", []string{"/fc/Gemm_output_0"}, []string{"log_probs"}, AttrInt("axis", 1)),
		},
		Initializer: []*onnxpb.TensorProto{
			FloatTensor("conv.weight", []int64{2, 1, 3, 3}, cw),
			FloatTensor("conv.bias", []int64{2}, []float32{0.05, -0.05}),
			FloatTensor("fc.weight", []int64{3, 18}, fw),
			FloatTensor("fc.bias", []int64{3}, []float32{0, 0.1, -0.1}),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("input", Float, []int64{-1, 1, 6, 6}, "batch")},
		Output: []*onnxpb.ValueInfoProto{valueInfo("log_probs", Float, []int64{-1, 3}, "batch")},
	}
	return NewModel(g, 13, "conceptcells-test")
}

// tinyDyn builds the dynamic-batch flatten chain of PyTorch exports
// (x.view(x.size(0), -1)) around a strided, padded, dilated Conv and a
// ceil-mode MaxPool:
//
//	x[N,3,9,9] -> Conv(4×3×3×3, stride 2, pad 1, dilation 2) -> MaxPool(3, stride 2, ceil)
//	-> Transpose(0,2,3,1) -> Shape -> Gather(0) -> Unsqueeze(0) -> Concat(·, [-1])
//	-> Reshape -> MatMul(W[?,5]) ; also Pad, Flatten, Squeeze, GlobalAveragePool, Concat.
func tinyDyn() *onnxpb.ModelProto {
	g := &onnxpb.GraphProto{
		Name: "tiny_dyn",
		Node: []*onnxpb.NodeProto{
			NewNode("Conv", "conv", []string{"x", "w"}, []string{"c"},
				AttrInts("strides", 2, 2), AttrInts("pads", 1, 1, 1, 1), AttrInts("dilations", 2, 2)),
			NewNode("MaxPool", "pool", []string{"c"}, []string{"p"},
				AttrInts("kernel_shape", 3, 3), AttrInts("strides", 2, 2), AttrInt("ceil_mode", 1)),
			NewNode("Transpose", "nhwc", []string{"p"}, []string{"t"}, AttrInts("perm", 0, 2, 3, 1)),
			NewNode("Shape", "shape", []string{"t"}, []string{"s"}),
			NewNode("Gather", "batch", []string{"s", "zero"}, []string{"b"}, AttrInt("axis", 0)),
			NewNode("Unsqueeze", "batch1", []string{"b", "axes0"}, []string{"b1"}),
			NewNode("Concat", "target", []string{"b1", "minus1"}, []string{"shape2"}, AttrInt("axis", 0)),
			NewNode("Reshape", "flat", []string{"t", "shape2"}, []string{"r"}),
			NewNode("MatMul", "fc", []string{"r", "fcw"}, []string{"y"}),
			NewNode("Pad", "pad", []string{"x", "pads"}, []string{"xp"}),
			NewNode("Flatten", "flatten", []string{"xp"}, []string{"f"}, AttrInt("axis", 2)),
			NewNode("GlobalAveragePool", "gap", []string{"c"}, []string{"g"}),
			NewNode("Squeeze", "squeeze", []string{"g", "axes23"}, []string{"gs"}),
			NewNode("Concat", "cat", []string{"gs", "y"}, []string{"z"}, AttrInt("axis", 1)),
		},
		Initializer: []*onnxpb.TensorProto{
			FloatTensor("w", []int64{4, 3, 3, 3}, make([]float32, 108)),
			FloatTensor("fcw", []int64{16, 5}, make([]float32, 80)),
			Int64Tensor("zero", []int64{}, []int64{0}),
			Int64Tensor("axes0", []int64{1}, []int64{0}),
			Int64Tensor("axes23", []int64{2}, []int64{2, 3}),
			Int64Tensor("minus1", []int64{1}, []int64{-1}),
			Int64Tensor("pads", []int64{8}, []int64{0, 0, 1, 2, 0, 0, 3, 4}),
		},
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", Float, []int64{-1, 3, 9, 9}, "N")},
		Output: []*onnxpb.ValueInfoProto{valueInfo("z", Float, []int64{-1, 9}, "N"), valueInfo("f", Float, []int64{-1, 195}, "N")},
	}
	return NewModel(g, 13, "conceptcells-test")
}

// seedModels are the fuzz seeds and checker samples kept in testdata.
var seedModels = map[string]func() *onnxpb.ModelProto{
	"tiny_mlp.onnx": tinyMLP,
	"tiny_cnn.onnx": tinyCNN,
	"tiny_dyn.onnx": tinyDyn,
}

// TestSeedModels keeps testdata/*.onnx equal to what Encode writes for the
// Go-built models (go test -run TestSeedModels -update rewrites them). These
// files were checked once with onnx.checker.check_model(full_check=True).
func TestSeedModels(t *testing.T) {
	for name, build := range seedModels {
		data := encodeT(t, build())
		p := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		old, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create)", err)
		}
		if !bytes.Equal(old, data) {
			t.Errorf("%s differs from Encode output (run with -update)", p)
		}
		if _, err := Load(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
