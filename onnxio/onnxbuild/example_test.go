package onnxbuild_test

import (
	"fmt"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// A one-node model y = relu(x + b), built and read back through onnxio's
// views.
func ExampleModel_Build() {
	g := &onnxbuild.Graph{
		Name:         "tiny",
		Nodes:        []*onnxbuild.Node{onnxbuild.NewNode("Add", "add", []string{"x", "b"}, []string{"s"}), onnxbuild.NewNode("Relu", "", []string{"s"}, []string{"y"})},
		Initializers: []*onnxbuild.Tensor{onnxbuild.FloatTensor("b", []int64{2}, []float32{1, -1})},
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 2}, "batch")},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 2}, "batch")},
	}
	m, err := onnxbuild.NewModel(g, 13, "example").Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, n := range m.Nodes {
		fmt.Println(n.Label(), n.Inputs(), "→", n.Outputs())
	}
	dims, params, _ := m.Inputs[0].Shape()
	fmt.Println(m.Inputs[0].Name(), m.Inputs[0].DType(), dims, params, m.Initializers["b"].F32)

	// A node reading a tensor nobody defines is reported with its name.
	g.Nodes[1].Inputs = []string{"nowhere"}
	_, err = onnxbuild.NewModel(g, 13, "example").Build()
	fmt.Println(err)
	// Output:
	// add [x b] → [s]
	// #1 Relu [s] → [y]
	// x float32 [-1 2] [batch ] [1 -1]
	// malformed model: node "#1 Relu" input "nowhere": is not defined by a graph input, an initializer or a node
}
