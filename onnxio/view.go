package onnxio

import (
	"fmt"
	"slices"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// Node is a read-only view of one node of a Model's graph, built once when
// the model is loaded. The slices it returns belong to the model: callers
// must not modify them.
type Node struct {
	proto *onnxpb.NodeProto
	index int // position in Model.Nodes
	attrs Attributes
}

func newNode(n *onnxpb.NodeProto, index int) *Node {
	return &Node{proto: n, index: index, attrs: attrsOf(n)}
}

// Name returns the node's name ("" when the file gives none).
func (n *Node) Name() string { return n.proto.GetName() }

// OpType returns the operator, e.g. "Conv".
func (n *Node) OpType() string { return n.proto.GetOpType() }

// Domain returns the operator set domain as written in the file ("" or
// "ai.onnx" for the default domain; see NormalizeDomain).
func (n *Node) Domain() string { return n.proto.GetDomain() }

// Inputs returns the names of the node's inputs; "" is an omitted optional
// input.
func (n *Node) Inputs() []string { return n.proto.GetInput() }

// Outputs returns the names of the node's outputs; "" is an omitted
// optional output.
func (n *Node) Outputs() []string { return n.proto.GetOutput() }

// Attrs returns the node's attributes.
func (n *Node) Attrs() Attributes { return n.attrs }

// Index returns the node's position in Model.Nodes (topological order).
func (n *Node) Index() int { return n.index }

// Label names the node for messages: its name, or "#i OpType" (i its
// Index) when it has none.
func (n *Node) Label() string { return nodeLabel(n.proto, n.index) }

// String returns the node's Label.
func (n *Node) String() string { return n.Label() }

// nodeLabel names node i of a node list for messages: its name, or
// "#i OpType" when it has none.
func nodeLabel(n *onnxpb.NodeProto, i int) string {
	if n.GetName() != "" {
		return n.GetName()
	}
	return fmt.Sprintf("#%d %s", i, n.GetOpType())
}

// ValueInfo is a read-only view of a graph input or output as the file
// declares it: its name, and for a tensor its element type and shape.
type ValueInfo struct {
	name   string
	tensor bool // the type is a tensor type
	dtype  DType
	shaped bool // the tensor type has a shape
	dims   []int64
	params []string
}

func newValueInfo(vi *onnxpb.ValueInfoProto) *ValueInfo {
	v := &ValueInfo{name: vi.GetName(), dtype: valueDType(vi)}
	v.tensor = vi.GetType().GetTensorType() != nil
	v.dims, v.params, v.shaped = valueShape(vi)
	return v
}

func newValueInfos(vis []*onnxpb.ValueInfoProto) []*ValueInfo {
	if len(vis) == 0 {
		return nil
	}
	out := make([]*ValueInfo, len(vis))
	for i, vi := range vis {
		out[i] = newValueInfo(vi)
	}
	return out
}

// Name returns the tensor's name.
func (v *ValueInfo) Name() string { return v.name }

// String returns the value's name.
func (v *ValueInfo) String() string { return v.name }

// IsTensor reports whether a tensor type is declared (a value info may
// declare no type at all, or a sequence or map type).
func (v *ValueInfo) IsTensor() bool { return v.tensor }

// DType returns the declared element type (Undefined if none).
func (v *ValueInfo) DType() DType { return v.dtype }

// Shape returns the declared dims: the value of each dimension, or -1 for a
// dynamic one (a dim_param or no value), with names holding the dim_param
// of each dynamic dimension ("" otherwise). ok is false when v is not a
// tensor with a shape. The slices are fresh copies.
func (v *ValueInfo) Shape() (dims []int64, names []string, ok bool) {
	if !v.shaped {
		return nil, nil, false
	}
	return slices.Clone(v.dims), slices.Clone(v.params), true
}

// valueShape returns the dims declared in vi (see ValueInfo.Shape).
func valueShape(vi *onnxpb.ValueInfoProto) (dims []int64, names []string, ok bool) {
	tt := vi.GetType().GetTensorType()
	if tt == nil || tt.GetShape() == nil {
		return nil, nil, false
	}
	for _, d := range tt.GetShape().GetDim() {
		if v, isVal := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); isVal {
			dims = append(dims, v.DimValue)
			names = append(names, "")
		} else {
			dims = append(dims, -1)
			names = append(names, d.GetDimParam())
		}
	}
	if dims == nil {
		dims = []int64{}
	}
	return dims, names, true
}

// valueDType returns the element type declared in vi (Undefined if none).
func valueDType(vi *onnxpb.ValueInfoProto) DType {
	return DType(vi.GetType().GetTensorType().GetElemType())
}

// KeyValue is one key/value pair, as in a model's metadata_props or a
// tensor's external_data.
type KeyValue struct {
	Key, Value string
}
