package probe

import (
	"context"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// Spatial-mean reduction of a map with no positions used to write NaN
// means while counting no NaN ("nan": 0 in the manifest).
func TestCollectSpatialMeanOfEmptyMap(t *testing.T) {
	g := &onnxbuild.Graph{Name: "empty",
		Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 1, 4, 4})},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.Int64Tensor("zero", []int64{1}, []int64{0}),
			onnxbuild.Int64Tensor("two", []int64{1}, []int64{2}),
		},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("Slice", "cut", []string{"x", "zero", "zero", "two"}, []string{"e"})},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("e", onnxio.Float, []int64{-1, 1, 0, 4})}}
	m, err := onnxbuild.NewModel(g, 13, "test").Build()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Collect(context.Background(), m, zeros(3, 1, 4, 4), CollectOptions{Hooks: []string{"e"}, Reduce: ReduceSpatialMean, SkipOutput: true})
	if err == nil || !strings.Contains(err.Error(), "empty spatial map") {
		t.Errorf("got %v, want a refusal", err)
	}
}
