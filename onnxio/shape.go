package onnxio

import (
	"sort"
	"strconv"
	"strings"
)

// Unknown marks a dimension whose size is not known statically (a dynamic
// batch, say) in a ValueType's Shape.
const Unknown = -1

// ValueType is the element type and shape of a tensor. Shape entries are
// sizes, or Unknown; Shape is nil when the shape is not known.
type ValueType struct {
	DType DType
	Shape []int64
	// Dims names each dimension for display: the size in decimal, "N"
	// for the dynamic first dimension of a graph input (the batch) and
	// every dimension equal to it, the dim_param name for other dynamic
	// input dimensions, a multiple such as "2N" for sizes a constant
	// times one of them (an attention's batch × heads), and "?" for
	// other dynamic sizes (such as N+1).
	Dims []string
}

// TotalParams counts the elements of the floating-point initializers that
// nodes read, each initializer once.
func (m *Model) TotalParams() int64 {
	used := make(map[string]bool)
	var total int64
	for _, n := range m.Nodes {
		total += m.countParams(n.Inputs(), used)
	}
	return total
}

// NodeParams counts the elements of the floating-point initializers node n
// reads (weights and biases; integer constants such as axes or shapes are
// not parameters), each once.
func (m *Model) NodeParams(n *Node) int64 {
	return m.countParams(n.Inputs(), make(map[string]bool))
}

// countParams adds up the elements of the floating-point initializers
// among names that are not in seen, and marks them seen.
func (m *Model) countParams(names []string, seen map[string]bool) int64 {
	var total int64
	for _, in := range names {
		if t, ok := m.Initializers[in]; ok && !seen[in] && t.DType.IsFloat() {
			seen[in] = true
			total += int64(t.Len())
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
