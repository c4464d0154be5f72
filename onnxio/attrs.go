package onnxio

import (
	"fmt"
	"sort"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// attrType returns the declared type of a, or for IR 1 files that leave it
// unset, the type implied by the field in use.
func attrType(a *onnxpb.AttributeProto) onnxpb.AttributeProto_AttributeType {
	if a.GetType() != onnxpb.AttributeProto_UNDEFINED {
		return a.GetType()
	}
	switch {
	case len(a.GetFloats()) > 0:
		return onnxpb.AttributeProto_FLOATS
	case len(a.GetInts()) > 0:
		return onnxpb.AttributeProto_INTS
	case len(a.GetStrings()) > 0:
		return onnxpb.AttributeProto_STRINGS
	case len(a.GetTensors()) > 0:
		return onnxpb.AttributeProto_TENSORS
	case len(a.GetGraphs()) > 0:
		return onnxpb.AttributeProto_GRAPHS
	case a.GetT() != nil:
		return onnxpb.AttributeProto_TENSOR
	case a.GetG() != nil:
		return onnxpb.AttributeProto_GRAPH
	case a.GetS() != nil:
		return onnxpb.AttributeProto_STRING
	case a.GetI() != 0:
		return onnxpb.AttributeProto_INT
	case a.GetF() != 0:
		return onnxpb.AttributeProto_FLOAT
	}
	return onnxpb.AttributeProto_UNDEFINED
}

// Attributes gives typed access to a node's attributes (see Node.Attrs),
// with defaults for absent ones. A present attribute of the wrong type is a
// *FormatError naming the node and attribute.
type Attributes struct {
	node string
	op   string
	m    map[string]*onnxpb.AttributeProto
}

// attrsOf returns the attributes of n.
func attrsOf(n *onnxpb.NodeProto) Attributes {
	a := Attributes{node: n.GetName(), op: n.GetOpType(), m: make(map[string]*onnxpb.AttributeProto, len(n.GetAttribute()))}
	if a.node == "" {
		a.node = n.GetOpType()
	}
	for _, p := range n.GetAttribute() {
		a.m[p.GetName()] = p
	}
	return a
}

// Has reports whether attribute name is present.
func (a Attributes) Has(name string) bool { _, ok := a.m[name]; return ok }

// Names returns the present attribute names, sorted.
func (a Attributes) Names() []string {
	names := make([]string, 0, len(a.m))
	for k := range a.m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func (a Attributes) get(name string, want onnxpb.AttributeProto_AttributeType) (*onnxpb.AttributeProto, error) {
	p, ok := a.m[name]
	if !ok {
		return nil, nil
	}
	if got := attrType(p); got != want {
		return nil, &FormatError{Node: a.node, Attr: name, Msg: fmt.Sprintf("is %s, %s expects %s", got, a.op, want)}
	}
	return p, nil
}

// Int returns integer attribute name, or def if absent.
func (a Attributes) Int(name string, def int64) (int64, error) {
	p, err := a.get(name, onnxpb.AttributeProto_INT)
	if p == nil || err != nil {
		return def, err
	}
	return p.GetI(), nil
}

// Float returns float attribute name, or def if absent.
func (a Attributes) Float(name string, def float32) (float32, error) {
	p, err := a.get(name, onnxpb.AttributeProto_FLOAT)
	if p == nil || err != nil {
		return def, err
	}
	return p.GetF(), nil
}

// String returns string attribute name, or def if absent.
func (a Attributes) String(name string, def string) (string, error) {
	p, err := a.get(name, onnxpb.AttributeProto_STRING)
	if p == nil || err != nil {
		return def, err
	}
	return string(p.GetS()), nil
}

// Ints returns integer list attribute name, or def if absent.
func (a Attributes) Ints(name string, def []int64) ([]int64, error) {
	p, err := a.get(name, onnxpb.AttributeProto_INTS)
	if p == nil || err != nil {
		return def, err
	}
	return p.GetInts(), nil
}

// Floats returns float list attribute name, or def if absent.
func (a Attributes) Floats(name string, def []float32) ([]float32, error) {
	p, err := a.get(name, onnxpb.AttributeProto_FLOATS)
	if p == nil || err != nil {
		return def, err
	}
	return p.GetFloats(), nil
}

// Strings returns string list attribute name, or def if absent.
func (a Attributes) Strings(name string, def []string) ([]string, error) {
	p, err := a.get(name, onnxpb.AttributeProto_STRINGS)
	if p == nil || err != nil {
		return def, err
	}
	out := make([]string, len(p.GetStrings()))
	for i, s := range p.GetStrings() {
		out[i] = string(s)
	}
	return out, nil
}

// TensorType returns the element type of tensor attribute name without
// decoding its data (Undefined if absent or not a tensor).
func (a Attributes) TensorType(name string) DType {
	p, err := a.get(name, onnxpb.AttributeProto_TENSOR)
	if p == nil || err != nil {
		return Undefined
	}
	return DType(p.GetT().GetDataType())
}

// Tensor returns tensor attribute name decoded (external data resolved in
// dir), or nil if absent.
func (a Attributes) Tensor(name, dir string) (*Tensor, error) {
	p, err := a.get(name, onnxpb.AttributeProto_TENSOR)
	if p == nil || err != nil {
		return nil, err
	}
	t, err := decodeTensorProto(p.GetT(), dir)
	if err != nil {
		if fe, ok := err.(*FormatError); ok {
			fe.Node, fe.Attr = a.node, name
		}
		return nil, err
	}
	return t, nil
}
