package probe_test

import (
	"context"
	"fmt"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe"
)

// Collect hooks a node (its first output) and a tensor of a small PyTorch
// export and returns one N×units matrix per hook; the graph output gives the
// predictions.
func ExampleCollect() {
	m, err := onnxio.Load("../testdata/models/lenet/model.onnx")
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := dataset.ReadNpy("../testdata/models/lenet/input.npy") // 3×1×16×16
	if err != nil {
		fmt.Println(err)
		return
	}
	data := &dataset.Set{Name: "input.npy", N: x.Shape[0], Shape: x.Shape[1:], X: x.Float32()}
	acts, err := probe.Collect(context.Background(), m, data, probe.CollectOptions{
		Hooks:  []string{"/conv2/Conv", "/fc2/Gemm_output_0"},
		Reduce: probe.ReduceSpatialMean,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range acts.Tensors {
		fmt.Printf("%s (%s %s): %d × %d from %v\n", a.Name, a.Op, a.Node, a.N, a.Units, a.Shape)
	}
	fmt.Println("output", acts.Output.Name, "predictions", len(acts.Predictions))
	// Output:
	// /conv2/Conv_output_0 (Conv /conv2/Conv): 3 × 6 from [6 4 4]
	// /fc2/Gemm_output_0 (Gemm /fc2/Gemm): 3 × 12 from [12]
	// output output predictions 3
}
