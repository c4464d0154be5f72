package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// TestWriteHostileModels writes the models of the issue 14 runs into
// $CONCEPTCELLS_HOSTILE_DIR (skipped when unset): bigconv.onnx, one 16→1024 9×9
// convolution for timing Ctrl-C in a long kernel, with big.npy, two
// 16×256×256 inputs for it (8 MB), and convtranspose_bomb.onnx, 188 bytes
// asking for 51 GiB, and the models of the other cases of the issue
// (wrapped Reshape, hostile names, a hidden external file, a sparse 2 GiB
// external file read by one or two tensors, an input with a default, an
// empty map).
func TestWriteHostileModels(t *testing.T) {
	dir := os.Getenv("CONCEPTCELLS_HOSTILE_DIR")
	if dir == "" {
		t.Skip("CONCEPTCELLS_HOSTILE_DIR not set")
	}
	opset := int64(13)
	write := func(name string, g *onnxbuild.Graph) {
		b, err := onnxbuild.NewModel(g, opset, "issue 14").Encode()
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
	write("bigconv.onnx", &onnxbuild.Graph{Name: "bigconv",
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 16, 256, 256})},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{1024, 16, 9, 9}, w)},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Conv", "conv", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("pads", 4, 4, 4, 4))},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 1024, 256, 256})}})
	write("convtranspose_bomb.onnx", &onnxbuild.Graph{Name: "bomb",
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 1, 28, 28})},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("w", []int64{1, 1, 3, 3}, make([]float32, 9))},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("ConvTranspose", "up", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("strides", 4096, 4096))},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 1, -1, -1})}})
	// A 0-element tensor reshaped to [2^62,4,0], then a Softmax: used
	// (an output) and unused (nothing reads it).
	for _, used := range []bool{true, false} {
		g := &onnxbuild.Graph{Name: "wrapped",
			Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 1, 28, 28})},
			Initializers: []*onnxbuild.Tensor{
				onnxbuild.Int64Tensor("shape", []int64{3}, []int64{1 << 62, 4, 0}),
				onnxbuild.FloatTensor("empty", []int64{0}, nil)},
			Nodes: []*onnxbuild.Node{
				onnxbuild.NewNode("Reshape", "wrap", []string{"empty", "shape"}, []string{"r"}, onnxbuild.AttrInt("allowzero", 1)),
				onnxbuild.NewNode("Softmax", "spin", []string{"r"}, []string{"s"}, onnxbuild.AttrInt("axis", 1)),
				onnxbuild.NewNode("Relu", "relu", []string{"x"}, []string{"y"})},
			Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 1, 28, 28})}}
		name := "reshape_unused.onnx"
		if used {
			g.Outputs = append(g.Outputs, onnxbuild.ValueInfo("s", onnxio.Float, nil))
			name = "reshape_used.onnx"
		}
		opset = 14 // Reshape's allowzero
		write(name, g)
		opset = 13
	}
	// Names with terminal controls, one of 1 MiB, on 100 nodes.
	{
		g := &onnxbuild.Graph{Name: "names", Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 1, 28, 28})}}
		last := "x"
		for i := range 100 {
			name, out := fmt.Sprintf("relu%d", i), fmt.Sprintf("t%d", i)
			switch i {
			case 0:
				name = "fc\x1b[2K\rconceptcells: wrote /etc/passwd\x07"
			case 1:
				name = strings.Repeat("n", 1<<20)
			}
			g.Nodes = append(g.Nodes, onnxbuild.NewNode("Relu", name, []string{last}, []string{out}))
			last = out
		}
		g.Outputs = []*onnxbuild.Value{onnxbuild.ValueInfo(last, onnxio.Float, []int64{-1, 1, 28, 28})}
		write("names.onnx", g)
	}
	// A bias read from the hidden file .secret next to the model.
	if err := os.MkdirAll(filepath.Join(dir, "secret"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret", ".secret"), []byte("hunter2!"), 0o600); err != nil {
		t.Fatal(err)
	}
	{
		b := &onnxbuild.Tensor{Name: "b", DType: onnxio.Float, Dims: []int64{2},
			External: []onnxio.KeyValue{{Key: "location", Value: ".secret"}}}
		write(filepath.Join("secret", "m.onnx"), &onnxbuild.Graph{Name: "secret",
			Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 2})},
			Initializers: []*onnxbuild.Tensor{b},
			Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Add", "fc2", []string{"x", "b"}, []string{"y"})},
			Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 2})}})
	}
	// External data: a sparse 2 GiB file read by one tensor, and by two
	// tensors at once (the same bytes).
	if err := os.MkdirAll(filepath.Join(dir, "sparse"), 0o755); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Create(filepath.Join(dir, "sparse", "w.bin")); err != nil {
		t.Fatal(err)
	} else {
		f.Truncate(2 << 30) // sparse: no disk blocks
		f.Close()
	}
	ext := func(name string) *onnxbuild.Tensor {
		return &onnxbuild.Tensor{Name: name, DType: onnxio.Float, Dims: []int64{1 << 29},
			External: []onnxio.KeyValue{{Key: "location", Value: "w.bin"}}}
	}
	for _, n := range []int{1, 2} {
		g := &onnxbuild.Graph{Name: "sparse",
			Inputs:  []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{1 << 29})},
			Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y0", onnxio.Float, []int64{1 << 29})}}
		for i := range n {
			w := fmt.Sprintf("w%d", i)
			g.Initializers = append(g.Initializers, ext(w))
			g.Nodes = append(g.Nodes, onnxbuild.NewNode("Add", "", []string{"x", w}, []string{fmt.Sprintf("y%d", i)}))
		}
		write(filepath.Join("sparse", fmt.Sprintf("m%d.onnx", n)), g)
	}
	// An input with an initializer as its default (IR 8), the only input.
	write("input_default.onnx", &onnxbuild.Graph{Name: "default",
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{1, 1, 28, 28})},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("x", []int64{1, 1, 28, 28}, make([]float32, 784))},
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Relu", "relu", []string{"x"}, []string{"y"})},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{1, 1, 28, 28})}})
	// A map with no positions, for --reduce spatial-mean.
	write("empty_map.onnx", &onnxbuild.Graph{Name: "empty",
		Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 1, 28, 28})},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.Int64Tensor("zero", []int64{1}, []int64{0}),
			onnxbuild.Int64Tensor("two", []int64{1}, []int64{2})},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Slice", "cut", []string{"x", "zero", "zero", "two"}, []string{"e"})},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("e", onnxio.Float, []int64{-1, 1, 0, 28})}})

	x := make([]float32, 2*16*256*256)
	for i := range x {
		x[i] = float32(i%251) / 251
	}
	if err := dataset.WriteNpy(filepath.Join(dir, "big.npy"), true, []int{2, 16, 256, 256}, x); err != nil {
		t.Fatal(err)
	}
}
