package onnxio

import (
	"sort"
	"strconv"
	"strings"
)

// Layer is one hookable tensor: an output of a node.
type Layer struct {
	Index  int      // the node's position in Model.Nodes (topological order)
	Node   string   // node name ("#index op" if the node has none)
	Op     string   // operator type; prefixed with "domain:" outside the default domain
	Output string   // output tensor name
	DType  DType    // inferred element type (Undefined if unknown)
	Shape  []int64  // inferred shape, Unknown (-1) for dynamic sizes; nil if not inferred
	Dims   []string // display names of the dimensions (see ValueType.Dims)
	// Params counts the elements of the floating-point initializers the
	// node reads (weights and biases; integer constants such as axes or
	// shapes are not parameters). Every output of a node repeats it.
	Params int64
}

// Layers lists every node output of m in topological order, with shapes
// inferred for inputs (see InferShapes). It returns the list even when
// inference stopped early (shapes then nil), with the inference error.
func Layers(m *Model, inputs map[string][]int64) ([]Layer, error) {
	types, err := InferTypes(m, inputs)
	if types == nil {
		return nil, err
	}
	var layers []Layer
	for i, n := range m.Nodes {
		var params int64
		seen := make(map[string]bool)
		for _, in := range n.Inputs() {
			if t, ok := m.Initializers[in]; ok && !seen[in] && t.DType.IsFloat() {
				seen[in] = true
				params += int64(t.Len())
			}
		}
		op := n.OpType()
		if d := NormalizeDomain(n.Domain()); d != "" {
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
	return layers, err
}

// TotalParams counts the elements of the floating-point initializers that
// nodes read, each initializer once.
func (m *Model) TotalParams() int64 {
	used := make(map[string]bool)
	var total int64
	for _, n := range m.Nodes {
		for _, in := range n.Inputs() {
			if t, ok := m.Initializers[in]; ok && !used[in] && t.DType.IsFloat() {
				used[in] = true
				total += int64(t.Len())
			}
		}
	}
	return total
}

// FormatShape writes a shape as "[N,10,24,24]": a dynamic first dimension
// shows as N, other dynamic dimensions as ?, and an unknown shape as "?".
func FormatShape(shape []int64) string {
	if shape == nil {
		return "?"
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		switch {
		case d >= 0:
			parts[i] = strconv.FormatInt(d, 10)
		case i == 0:
			parts[i] = "N"
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// FormatDims writes display dimensions (ValueType.Dims) as "[N,10,24,24]",
// or "?" for an unknown shape.
func FormatDims(dims []string) string {
	if dims == nil {
		return "?"
	}
	return "[" + strings.Join(dims, ",") + "]"
}

// ParseShape reads a shape written as "1,1,28,28" (also "[1,1,28,28]" or
// "1×1×28×28"); N, ? and -1 stand for a dynamic size.
func ParseShape(s string) ([]int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if s == "" {
		return []int64{}, nil
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '×' || r == ' ' })
	out := make([]int64, len(fields))
	for i, f := range fields {
		switch f {
		case "N", "n", "?", "-1":
			out[i] = Unknown
			continue
		}
		v, err := strconv.ParseInt(f, 10, 64)
		if err != nil || v < 0 {
			return nil, &FormatError{Stage: "parsing shape", Msg: strconv.Quote(s) + ": size " + strconv.Quote(f) + " is not a non-negative integer, N or -1"}
		}
		out[i] = v
	}
	return out, nil
}

// SortedOpsets returns the opset imports as "domain version" pairs with the
// default domain written ai.onnx, sorted by domain.
func (m *Model) SortedOpsets() []string {
	var out []string
	for d, v := range m.Opsets {
		if d == "" {
			d = "ai.onnx"
		}
		out = append(out, d+" "+strconv.FormatInt(v, 10))
	}
	sort.Strings(out)
	return out
}
