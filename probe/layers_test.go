package probe

import (
	"errors"
	"fmt"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

func TestChooseLayersPyTorch(t *testing.T) {
	path := testenv.Shared(t, "reference", "mnist-cnn", "mnist_cnn_op13_dyn.onnx")
	m, err := onnxio.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ChooseLayers(m)
	if err != nil {
		t.Fatal(err)
	}
	// The reference README's table: layer 6 = /Relu_2_output_0 (fc1 after
	// ReLU), layer 7 = /fc2/Gemm_output_0 (the logits).
	if c.PreFinal != "/Relu_2_output_0" || c.Final != "/fc2/Gemm_output_0" {
		t.Errorf("chose %q, %q; want /Relu_2_output_0, /fc2/Gemm_output_0", c.PreFinal, c.Final)
	}
	for _, w := range c.Why {
		t.Log(w)
	}
}

// mlp builds input → MatMul+Add → Tanh → Dropout → MatMul+Add → tail ops.
func mlp(t *testing.T, tail ...string) *onnxio.Model {
	t.Helper()
	w1 := onnxbuild.FloatTensor("w1", []int64{4, 3}, make([]float32, 12))
	b1 := onnxbuild.FloatTensor("b1", []int64{3}, make([]float32, 3))
	w2 := onnxbuild.FloatTensor("w2", []int64{3, 2}, make([]float32, 6))
	b2 := onnxbuild.FloatTensor("b2", []int64{2}, make([]float32, 2))
	nodes := []*onnxbuild.Node{
		onnxbuild.NewNode("MatMul", "mm1", []string{"x", "w1"}, []string{"h1"}),
		onnxbuild.NewNode("Add", "add1", []string{"h1", "b1"}, []string{"z1"}),
		onnxbuild.NewNode("Tanh", "act1", []string{"z1"}, []string{"a1"}),
		onnxbuild.NewNode("Dropout", "drop", []string{"a1"}, []string{"d1"}),
		onnxbuild.NewNode("MatMul", "mm2", []string{"d1", "w2"}, []string{"h2"}),
		onnxbuild.NewNode("Add", "add2", []string{"b2", "h2"}, []string{"z2"}),
	}
	last := "z2"
	for i, op := range tail {
		out := fmt.Sprintf("t%d", i)
		nodes = append(nodes, onnxbuild.NewNode(op, out, []string{last}, []string{out}))
		last = out
	}
	g := &onnxbuild.Graph{Name: "mlp", Nodes: nodes,
		Initializers: []*onnxbuild.Tensor{w1, b1, w2, b2},
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 4})},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo(last, onnxio.Float, []int64{-1, 2})}}
	m, err := onnxbuild.NewModel(g, 13, "test").Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestChooseLayersMatMulAdd(t *testing.T) {
	for _, tail := range [][]string{nil, {"Softmax"}, {"LogSoftmax", "Identity"}} {
		c, err := ChooseLayers(mlp(t, tail...))
		if err != nil {
			t.Fatalf("tail %v: %v", tail, err)
		}
		// The final layer is the biased sum z2, the pre-final the Tanh
		// output a1 behind the Dropout.
		if c.Final != "z2" || c.PreFinal != "a1" {
			t.Errorf("tail %v: chose %q, %q; want a1, z2", tail, c.PreFinal, c.Final)
		}
	}
	// An output behind an op we do not walk through is an error naming it.
	if _, err := ChooseLayers(mlp(t, "Sigmoid")); !errors.Is(err, ErrNameLayers) {
		t.Errorf("Sigmoid tail: err %v, want ErrNameLayers", err)
	}
}
