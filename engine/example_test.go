package engine_test

import (
	"context"
	"fmt"

	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// A two-node model y = relu(x·Wᵀ + b), run with two batch sizes while also
// fetching the intermediate Gemm output.
func Example() {
	g := &onnxbuild.Graph{
		Name: "tiny",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Gemm", "fc", []string{"x", "W", "b"}, []string{"h"}, onnxbuild.AttrInt("transB", 1)),
			onnxbuild.NewNode("Relu", "act", []string{"h"}, []string{"y"}),
		},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.FloatTensor("W", []int64{2, 3}, []float32{1, 0, -1, 0.5, 0.5, 0.5}),
			onnxbuild.FloatTensor("b", []int64{2}, []float32{0, -1}),
		},
		Inputs:  []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 3})},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 2})},
	}
	m, err := onnxbuild.NewModel(g, 13, "example").Build()
	if err != nil {
		panic(err)
	}
	p, err := engine.Prepare(m, engine.Options{})
	if err != nil {
		panic(err)
	}
	for _, x := range []*engine.Tensor{
		engine.NewFloat([]int{1, 3}, []float32{1, 2, 3}),
		engine.NewFloat([]int{2, 3}, []float32{3, 2, 1, 0, 0, 0}),
	} {
		out, err := p.Run(context.Background(), map[string]*engine.Tensor{"x": x}, []string{"h", "y"})
		if err != nil {
			panic(err)
		}
		fmt.Println(out["h"].Shape, out["h"].F, out["y"].F)
	}
	// Output:
	// [1 2] [-2 2] [0 2]
	// [2 2] [2 2 0 -1] [2 2 0 0]
}
