package engine

import (
	"context"

	"github.com/conceptcells/conceptcells/onnxio"
)

// Layer is one hookable tensor: an output of a node.
type Layer struct {
	Index  int          // the node's position in Model.Nodes (topological order)
	Node   string       // node name ("#index op" if the node has none)
	Op     string       // operator type; prefixed with "domain:" outside the default domain
	Output string       // output tensor name
	DType  onnxio.DType // element type (Undefined if unknown)
	// Shape is the shape with onnxio.Unknown (-1) for dynamic sizes, nil
	// if not known; Dims the display names of the dimensions (see
	// onnxio.ValueType.Dims).
	Shape []int64
	Dims  []string
	// Params counts the elements of the floating-point initializers the
	// node reads (weights and biases; integer constants such as axes or
	// shapes are not parameters). Every output of a node repeats it.
	Params int64
}

// Layers lists every node output of m in topological order, with the
// types InferTypes computes for inputs, and returns them too (graph inputs
// and outputs included). When InferTypes fails (bad input shapes) it
// returns nil lists and the error; when the model cannot be prepared or a
// run fails, it returns every layer, those without a computed shape with
// a nil Shape, and the error.
func Layers(ctx context.Context, m *onnxio.Model, inputs map[string][]int64) ([]Layer, map[string]onnxio.ValueType, error) {
	types, err := InferTypes(ctx, m, inputs)
	if types == nil {
		return nil, nil, err
	}
	var layers []Layer
	for i, n := range m.Nodes {
		params := m.NodeParams(n)
		op := n.OpType()
		if d := onnxio.NormalizeDomain(n.Domain()); d != "" {
			op = d + ":" + op
		}
		for _, out := range n.Outputs() {
			if out == "" {
				continue
			}
			l := Layer{Index: i, Node: n.Label(), Op: op, Output: out, Params: params}
			if t, ok := types[out]; ok {
				l.DType, l.Shape, l.Dims = t.DType, t.Shape, t.Dims
			}
			layers = append(layers, l)
		}
	}
	return layers, types, err
}
