package engine

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxpb"
)

// TestWriteHostileModels writes the models of the issue 14 runs into
// $CONCEPTCELLS_HOSTILE_DIR (skipped when unset): bigconv.onnx, one 16→1024 9×9
// convolution for timing Ctrl-C in a long kernel, with big.npy, two
// 16×256×256 inputs for it (8 MB), and convtranspose_bomb.onnx, 188 bytes
// asking for 51 GiB.
func TestWriteHostileModels(t *testing.T) {
	dir := os.Getenv("CONCEPTCELLS_HOSTILE_DIR")
	if dir == "" {
		t.Skip("CONCEPTCELLS_HOSTILE_DIR not set")
	}
	write := func(name string, g *onnxpb.GraphProto) {
		b, err := onnxio.Encode(onnxio.NewModel(g, 13, "issue 14"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// One 16→1024 9×9 convolution on 256×256: about 170 GFLOP per image
	// in a single node (the executor used to check the context between
	// nodes only), with 340 MB of im2col scratch space.
	w := make([]float32, 1024*16*9*9)
	for i := range w {
		w[i] = float32(i%7) / 1024
	}
	write("bigconv.onnx", &onnxpb.GraphProto{Name: "bigconv",
		Input:       []*onnxpb.ValueInfoProto{onnxio.ValueInfo("x", onnxio.Float, []int64{-1, 16, 256, 256})},
		Initializer: []*onnxpb.TensorProto{onnxio.FloatTensor("w", []int64{1024, 16, 9, 9}, w)},
		Node:        []*onnxpb.NodeProto{onnxio.NewNode("Conv", "conv", []string{"x", "w"}, []string{"y"}, onnxio.AttrInts("pads", 4, 4, 4, 4))},
		Output:      []*onnxpb.ValueInfoProto{onnxio.ValueInfo("y", onnxio.Float, []int64{-1, 1024, 256, 256})}})
	write("convtranspose_bomb.onnx", &onnxpb.GraphProto{Name: "bomb",
		Input:       []*onnxpb.ValueInfoProto{onnxio.ValueInfo("x", onnxio.Float, []int64{-1, 1, 28, 28})},
		Initializer: []*onnxpb.TensorProto{onnxio.FloatTensor("w", []int64{1, 1, 3, 3}, make([]float32, 9))},
		Node:        []*onnxpb.NodeProto{onnxio.NewNode("ConvTranspose", "up", []string{"x", "w"}, []string{"y"}, onnxio.AttrInts("strides", 4096, 4096))},
		Output:      []*onnxpb.ValueInfoProto{onnxio.ValueInfo("y", onnxio.Float, []int64{-1, 1, -1, -1})}})
	x := make([]float32, 2*16*256*256)
	for i := range x {
		x[i] = float32(i%251) / 251
	}
	if err := dataset.WriteNpy(filepath.Join(dir, "big.npy"), true, []int{2, 16, 256, 256}, x); err != nil {
		t.Fatal(err)
	}
}
