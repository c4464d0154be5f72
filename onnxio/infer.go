package onnxio

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// Unknown marks a dimension whose size is not known statically (a dynamic
// batch, say) in the shapes returned by InferShapes.
const Unknown = -1

// unknownVal marks an unknown element in a constant integer value (such as
// the output of Shape on a tensor with a dynamic batch). It is distinct
// from -1, which Reshape reads as "infer this dimension".
const unknownVal = math.MinInt64

// Symbolic dimensions: inside inference an unknown dimension that comes
// from a graph input is a symbol, so that Reshape(x, [x.size(0), -1]) can
// cancel it. Symbols are the values math.MinInt64+1 … math.MinInt64+maxSyms;
// they appear in shapes (as negative sizes) and in constant values (as the
// output of Shape). InferTypes reports every negative size as Unknown.
const maxSyms = 1 << 20

// isSymbolic reports whether x is a symbol or unknownVal.
func isSymbolic(x int64) bool { return x <= math.MinInt64+maxSyms }

// maxConstLen bounds the integer tensors tracked as constant values.
const maxConstLen = 1 << 16

// ValueType is the element type and shape of a tensor. Shape entries are
// sizes, or Unknown.
type ValueType struct {
	DType DType
	Shape []int64
	// Dims names each dimension for display: the size in decimal, "N"
	// for the dynamic first dimension of a graph input (the batch) and
	// every dimension equal to it, the dim_param name for other dynamic
	// input dimensions, a multiple such as "2N" for sizes computed as a
	// constant times one of them (an attention's batch × heads), and "?"
	// for other dynamic sizes (such as N+1).
	Dims []string
}

// InferShapes infers the shape of every tensor of m (graph inputs,
// initializers and node outputs) for the given input shapes. inputs maps
// graph input names to shapes; inputs it omits take the shape the model
// declares. A dimension of Unknown (-1) stays symbolic and propagates: a
// dynamic batch gives outputs with an Unknown batch dimension.
//
// It covers the operators of typical PyTorch CNN and MLP exports (see
// InferTypes). Operators without a rule take the shape the model declares
// in value_info or outputs, if any; otherwise inference skips the node and
// everything computed from it, and returns the shapes it did infer together
// with an *UnsupportedError naming the first such node. Inconsistent shapes
// are a *FormatError.
func InferShapes(m *Model, inputs map[string][]int64) (map[string][]int64, error) {
	types, err := InferTypes(m, inputs)
	if types == nil {
		return nil, err
	}
	out := make(map[string][]int64, len(types))
	for k, v := range types {
		out[k] = v.Shape
	}
	return out, err
}

// InferTypes is InferShapes with element types. Rules exist for:
// elementwise unary ops and activations, broadcasting binary and variadic
// ops, comparisons, Where, Conv, ConvTranspose, MaxPool, AveragePool,
// LpPool, Global*Pool, BatchNormalization, InstanceNormalization,
// LayerNormalization, LRN, Softmax, LogSoftmax, Dropout, Cast, Constant,
// ConstantOfShape, Identity, Reshape (0 and -1), Flatten, Gemm, MatMul,
// Transpose, Concat, Split, Slice, Squeeze, Unsqueeze, Pad, Shape, Size,
// Gather, Expand, Tile, Resize, Upsample, Reduce*, ArgMax, ArgMin, Range,
// with constant propagation through Shape/Gather/Slice/Concat/Unsqueeze/
// Squeeze/Cast, ConstantOfShape, Equal, Where and integer arithmetic
// (multiples of a dynamic size kept as such), as PyTorch's dynamic-shape
// exports need (a ViT's class token expand(N, -1, -1) and its attention's
// reshape to [T, N·heads, D/heads]). Output sizes follow the ONNX operator specification, e.g. for Conv
// along each spatial axis:
//
//	out = floor((in + pad_begin + pad_end - dilation×(kernel-1) - 1) / stride) + 1
func InferTypes(m *Model, inputs map[string][]int64) (map[string]ValueType, error) {
	s := &inferState{
		sc:      &scaler{of: map[int64]scaled{}, by: map[scaled]int64{}},
		m:       m,
		types:   make(map[string]ValueType),
		ivals:   make(map[string][]int64),
		fvals:   make(map[string][]float32),
		skipped: make(map[string]bool),
	}
	declared := make(map[string]*onnxpb.ValueInfoProto)
	for _, vi := range m.graph.GetValueInfo() {
		declared[vi.GetName()] = vi
	}
	for _, vi := range m.graph.GetOutput() {
		declared[vi.GetName()] = vi
	}
	syms := make(map[string]int64) // dim_param → symbol
	fresh := func() int64 {
		v := math.MinInt64 + 1 + int64(len(syms))
		syms[fmt.Sprintf("#%d", len(syms))] = v
		return v
	}
	s.symNames = make(map[int64]string)
	for name := range inputs {
		found := false
		for _, vi := range m.Inputs {
			found = found || vi.Name() == name
		}
		if !found {
			return nil, &FormatError{Stage: "inferring shapes", Tensor: name, Msg: "is not an input of the model"}
		}
	}
	for _, vi := range m.Inputs {
		name := vi.Name()
		dims, params, ok := vi.Shape()
		given, isGiven := inputs[name]
		switch {
		case isGiven && ok:
			if len(given) != len(dims) {
				return nil, &FormatError{Stage: "inferring shapes", Tensor: name, Role: "input",
					Msg: fmt.Sprintf("shape %v has rank %d, the model declares rank %d (%v)", given, len(given), len(dims), dims)}
			}
			for i := range given {
				if given[i] < Unknown {
					return nil, &FormatError{Stage: "inferring shapes", Tensor: name, Role: "input", Msg: fmt.Sprintf("negative size in shape %v", given)}
				}
				if dims[i] >= 0 && given[i] >= 0 && dims[i] != given[i] {
					return nil, &FormatError{Stage: "inferring shapes", Tensor: name, Role: "input",
						Msg: fmt.Sprintf("shape %v does not match the declared %v in dimension %d", given, dims, i)}
				}
			}
			dims = given
		case isGiven:
			dims = given
		case !ok:
			return nil, &FormatError{Stage: "inferring shapes", Tensor: name, Role: "input", Msg: "declares no shape; give one"}
		}
		dims = append([]int64{}, dims...)
		for i, d := range dims {
			if d >= 0 {
				continue
			}
			if i < len(params) && params[i] != "" {
				if _, ok := syms[params[i]]; !ok {
					syms[params[i]] = math.MinInt64 + 1 + int64(len(syms))
				}
				dims[i] = syms[params[i]]
			} else {
				dims[i] = fresh()
			}
			name := "N"
			if i > 0 && i < len(params) && params[i] != "" {
				name = params[i]
			} else if i > 0 {
				name = "?"
			}
			if _, ok := s.symNames[dims[i]]; !ok {
				s.symNames[dims[i]] = name
			}
		}
		s.types[name] = ValueType{DType: vi.DType(), Shape: dims}
	}
	for name, t := range m.Initializers {
		s.types[name] = ValueType{DType: t.DType, Shape: append([]int64{}, t.Dims...)}
		s.setConst(name, t)
	}
	var firstErr error
	for i, n := range m.Nodes {
		err := s.node(n.proto, i)
		if err == nil {
			continue
		}
		ue, isUnsupported := err.(*UnsupportedError)
		if err != errSkip && !isUnsupported {
			return s.result(), s.readable(err)
		}
		// No rule: fall back on shapes the model declares, else skip the
		// node and what depends on it.
		for _, out := range n.Outputs() {
			vi := declared[out]
			dims, _, ok := valueShape(vi)
			switch {
			case out == "":
			case ok && err != errSkip:
				s.types[out] = ValueType{DType: valueDType(vi), Shape: dims}
			default:
				s.skipped[out] = true
				if firstErr == nil && isUnsupported {
					firstErr = ue
				}
			}
		}
	}
	return s.result(), firstErr
}

// symbolPrinted matches a symbolic size as fmt prints it (a value within
// maxSyms of math.MinInt64).
var symbolPrinted = regexp.MustCompile(`-922337203685477\d{4}`)

// readable returns err with every symbolic size written as its name ("N",
// a dim_param, or "?") instead of the number that stands for it
// internally (−9223372036854775807…).
func (s *inferState) readable(err error) error {
	msg := err.Error()
	if !symbolPrinted.MatchString(msg) {
		return err
	}
	fix := func(t string) string {
		return symbolPrinted.ReplaceAllStringFunc(t, func(v string) string {
			x, perr := strconv.ParseInt(v, 10, 64)
			if perr == nil && isSymbolic(x) {
				if name, ok := s.symNames[x]; ok && name != "" {
					return name
				}
			}
			return "?"
		})
	}
	var fe *FormatError
	if errors.As(err, &fe) && fe == err {
		c := *fe
		c.Msg = fix(c.Msg)
		return &c
	}
	return &readableError{msg: fix(msg), err: err}
}

// readableError is an error whose message was rewritten by readable; it
// unwraps to the original.
type readableError struct {
	msg string
	err error
}

func (e *readableError) Error() string { return e.msg }
func (e *readableError) Unwrap() error { return e.err }

// errSkip reports a node whose inputs depend on a node inference skipped.
var errSkip = errors.New("input shape unknown")

// result returns the inferred types with every negative size as Unknown.
func (s *inferState) result() map[string]ValueType {
	for name, t := range s.types {
		t.Shape = append([]int64{}, t.Shape...) // shapes may share storage
		t.Dims = make([]string, len(t.Shape))
		for i, d := range t.Shape {
			switch {
			case d >= 0:
				t.Dims[i] = strconv.FormatInt(d, 10)
			case s.symNames[d] != "":
				t.Dims[i] = s.symNames[d]
				t.Shape[i] = Unknown
			case s.sc.name(d, s.symNames) != "":
				t.Dims[i] = s.sc.name(d, s.symNames)
				t.Shape[i] = Unknown
			default:
				t.Dims[i] = "?"
				t.Shape[i] = Unknown
			}
		}
		s.types[name] = t
	}
	return s.types
}

type inferState struct {
	sc       *scaler // multiples of symbols
	m        *Model
	types    map[string]ValueType
	ivals    map[string][]int64   // known integer values (unknownVal for unknown entries)
	skipped  map[string]bool      // outputs of nodes inference could not handle
	symNames map[int64]string     // display names of input symbols
	fvals    map[string][]float32 // known small float values
}

func (s *inferState) setConst(name string, t *Tensor) {
	switch {
	case t.I64 != nil && len(t.I64) <= maxConstLen:
		s.ivals[name] = t.I64
	case t.F32 != nil && len(t.F32) <= 64:
		s.fvals[name] = t.F32
	}
}

// constSelect propagates constant integer values through Equal (1 for
// true, 0 for false) and Where, element by element with length-1 inputs
// broadcast, for out elements. A symbolic size (≥ 0) never equals a
// negative constant; other comparisons with unknown values are unknown.
func (s *inferState) constSelect(op string, ins []string, out int) ([]int64, bool) {
	vals := make([][]int64, len(ins))
	for i, name := range ins {
		v, ok := s.ivals[name]
		if !ok || (len(v) != 1 && len(v) != out) {
			return nil, false
		}
		vals[i] = v
	}
	at := func(v []int64, i int) int64 { return v[min(i, len(v)-1)] }
	res := make([]int64, out)
	for i := range res {
		switch op {
		case "Equal":
			x, y := at(vals[0], i), at(vals[1], i)
			switch {
			case x == unknownVal || y == unknownVal:
				if (x == unknownVal && y >= 0) || (y == unknownVal && x >= 0) || x == y {
					return nil, false
				}
				res[i] = 0
			case isSymbolic(x) && isSymbolic(y):
				if x != y {
					return nil, false
				}
				res[i] = 1
			case isSymbolic(x) && y < 0, isSymbolic(y) && x < 0:
				res[i] = 0
			case isSymbolic(x) || isSymbolic(y):
				return nil, false
			case x == y:
				res[i] = 1
			}
		case "Where":
			if len(vals) != 3 {
				return nil, false
			}
			c := at(vals[0], i)
			switch {
			case isSymbolic(c):
				return nil, false
			case c != 0:
				res[i] = at(vals[1], i)
			default:
				res[i] = at(vals[2], i)
			}
		}
	}
	return res, true
}

// scaler keeps the multiples k·S of symbols S that shape computations
// make (PyTorch's attention reshapes to [T, N·heads, D/heads]), each as a
// symbol of its own, numbered down from the top of the symbol range.
type scaler struct {
	of map[int64]scaled // symbol → its base and factor
	by map[scaled]int64
}

type scaled struct{ base, k int64 }

// expand returns the base symbol and factor of symbol d (d, 1 for a
// plain symbol or with a nil scaler).
func (sc *scaler) expand(d int64) (base, k int64) {
	if sc != nil {
		if m, ok := sc.of[d]; ok {
			return m.base, m.k
		}
	}
	return d, 1
}

// scale returns the symbol for k·d (k > 0), or unknownVal.
func (sc *scaler) scale(d, k int64) int64 {
	base, k0 := sc.expand(d)
	k *= k0
	switch {
	case k == 1:
		return base
	case sc == nil || k <= 0 || len(sc.of) >= maxSyms/2:
		return unknownVal
	}
	key := scaled{base, k}
	if v, ok := sc.by[key]; ok {
		return v
	}
	v := math.MinInt64 + maxSyms - int64(len(sc.of))
	sc.of[v], sc.by[key] = key, v
	return v
}

// divide returns the symbol for d/k when k divides d's factor, else
// unknownVal.
func (sc *scaler) divide(d, k int64) int64 {
	base, k0 := sc.expand(d)
	if k <= 0 || k0%k != 0 {
		return unknownVal
	}
	return sc.scale(base, k0/k)
}

// name is the display name of a multiple, e.g. "2N", or "".
func (sc *scaler) name(d int64, names map[int64]string) string {
	if sc == nil {
		return ""
	}
	m, ok := sc.of[d]
	if !ok || names[m.base] == "" {
		return ""
	}
	return fmt.Sprintf("%d%s", m.k, names[m.base])
}

func shapeLen(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return Unknown
		}
		n *= d
	}
	return n
}

// flatLen is shapeLen, except that one dynamic dimension among sizes of 1
// keeps its symbol: Flatten of [N,20,4,4] at axis 1 is [N,320], not [?,320].
func flatLen(shape []int64) int64 {
	sym, rest := int64(0), int64(1)
	for _, d := range shape {
		switch {
		case d >= 0:
			rest *= d
		case sym != 0:
			return Unknown
		default:
			sym = d
		}
	}
	if sym != 0 && rest == 1 {
		return sym
	}
	return shapeLen(shape)
}

func normAxis(axis int64, rank int) (int, bool) {
	if axis < 0 {
		axis += int64(rank)
	}
	return int(axis), axis >= 0 && axis < int64(rank)
}

// broadcast applies ONNX multidirectional (NumPy) broadcasting.
func broadcast(a, b []int64) ([]int64, bool) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := append([]int64{}, a...)
	off := len(a) - len(b)
	for i, db := range b {
		da := out[off+i]
		switch {
		case da == db:
		case da == 1:
			out[off+i] = db
		case db == 1:
		case da < 0 && db < 0:
			out[off+i] = Unknown
		case da < 0:
			out[off+i] = db
		case db < 0:
		default:
			return nil, false
		}
	}
	return out, true
}

func (s *inferState) node(n *onnxpb.NodeProto, idx int) error {
	op := n.GetOpType()
	label := nodeLabel(n, idx)
	opset := s.m.Opset(n.GetDomain())
	attrs := attrsOf(n)
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "inferring shapes", Node: label, Msg: fmt.Sprintf(format, args...)}
	}
	if NormalizeDomain(n.GetDomain()) != "" {
		return &UnsupportedError{Stage: "inferring shapes", Op: op, Domain: n.GetDomain(), Node: label, Opset: opset, Msg: "no shape rule for this domain"}
	}
	ins := n.GetInput()
	in := func(i int) (ValueType, bool) {
		if i >= len(ins) || ins[i] == "" {
			return ValueType{}, false
		}
		t, ok := s.types[ins[i]]
		return t, ok
	}
	need := func(k int) ([]ValueType, error) {
		if len(ins) < k {
			return nil, fail("%s needs %d inputs, has %d", op, k, len(ins))
		}
		vs := make([]ValueType, k)
		for i := range vs {
			v, ok := in(i)
			if !ok && s.skipped[ins[i]] {
				return nil, errSkip
			}
			if !ok {
				return nil, fail("input %d (%q) of %s has no known shape", i, ins[i], op)
			}
			vs[i] = v
		}
		return vs, nil
	}
	set := func(i int, dt DType, shape []int64) {
		if i < len(n.GetOutput()) && n.GetOutput()[i] != "" {
			shape = append([]int64{}, shape...)
			s.types[n.GetOutput()[i]] = ValueType{DType: dt, Shape: shape}
		}
	}
	setVal := func(i int, v []int64) {
		if i < len(n.GetOutput()) && n.GetOutput()[i] != "" {
			s.ivals[n.GetOutput()[i]] = v
		}
	}
	constInts := func(i int) ([]int64, bool) {
		if i >= len(ins) || ins[i] == "" {
			return nil, false
		}
		v, ok := s.ivals[ins[i]]
		return v, ok
	}
	// intsArg reads an integer list given as attribute name (before
	// opset fromOpset) or as constant input i (from it).
	intsArg := func(name string, i int, fromOpset int64) ([]int64, bool, error) {
		if opset < fromOpset {
			v, err := attrs.Ints(name, nil)
			return v, v != nil, err
		}
		if i >= len(ins) || ins[i] == "" {
			return nil, false, nil
		}
		v, ok := constInts(i)
		if !ok {
			return nil, false, &UnsupportedError{Stage: "inferring shapes", Op: op, Node: label, Opset: opset,
				Msg: fmt.Sprintf("input %q (%s) is not a constant", ins[i], name)}
		}
		for _, x := range v {
			if isSymbolic(x) {
				return nil, false, &UnsupportedError{Stage: "inferring shapes", Op: op, Node: label, Opset: opset,
					Msg: fmt.Sprintf("input %q (%s) depends on a dynamic dimension", ins[i], name)}
			}
		}
		return v, true, nil
	}

	// dynArg is intsArg for shape-like inputs that may hold symbols
	// (Reshape, Expand, ConstantOfShape, Tile); with unknown false, symbols
	// are kept for Reshape, otherwise they become Unknown sizes.
	dynArg := func(name string, i int, fromOpset int64, keep bool) ([]int64, bool, error) {
		if opset < fromOpset {
			return intsArg(name, i, fromOpset)
		}
		if i >= len(ins) || ins[i] == "" {
			return nil, false, nil
		}
		v, ok := constInts(i)
		if !ok {
			return nil, false, &UnsupportedError{Stage: "inferring shapes", Op: op, Node: label, Opset: opset,
				Msg: fmt.Sprintf("input %q (%s) is not a constant", ins[i], name)}
		}
		out := append([]int64{}, v...)
		for k, x := range out {
			if isSymbolic(x) && (!keep || x == unknownVal) {
				out[k] = Unknown
				if keep {
					out[k] = unknownVal
				}
			}
		}
		return out, true, nil
	}

	switch op {
	case "Identity", "Relu", "Sigmoid", "Tanh", "Exp", "Log", "Abs", "Neg", "Sqrt", "Reciprocal",
		"Floor", "Ceil", "Round", "Erf", "Softplus", "Softsign", "LeakyRelu", "Elu", "Selu", "Celu",
		"HardSigmoid", "HardSwish", "Clip", "Softmax", "LogSoftmax", "Hardmax", "Sign", "Gelu", "Mish",
		"Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh",
		"ThresholdedRelu", "Shrink", "LRN", "InstanceNormalization", "MeanVarianceNormalization", "Not", "Dropout", "IsNaN", "IsInf":
		v, err := need(1)
		if err != nil {
			return err
		}
		dt := v[0].DType
		if op == "IsNaN" || op == "IsInf" {
			dt = Bool
		}
		set(0, dt, v[0].Shape)
		if op == "Dropout" {
			set(1, Bool, v[0].Shape)
		}
		if op == "Identity" {
			if c, ok := constInts(0); ok {
				setVal(0, c)
			}
		}
		return nil

	case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "PRelu", "Mod", "BitShift",
		"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where":
		k := len(ins)
		if k == 0 || (op != "Max" && op != "Min" && op != "Sum" && op != "Mean" && k < 2) {
			return fail("%s needs at least 2 inputs", op)
		}
		vs, err := need(k)
		if err != nil {
			return err
		}
		shape := vs[0].Shape
		if op == "PRelu" {
			// The slope broadcasts to X (opset ≥ 7) or is per channel
			// (earlier); the output always has X's shape.
			set(0, vs[0].DType, shape)
			return nil
		}
		for _, v := range vs[1:] {
			b, ok := broadcast(shape, v.Shape)
			if !ok {
				return fail("input shapes %v and %v do not broadcast", shape, v.Shape)
			}
			shape = b
		}
		dt := vs[0].DType
		switch op {
		case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor":
			dt = Bool
		case "Where":
			dt = vs[1].DType
		}
		set(0, dt, shape)
		// Integer arithmetic on constants (shape computations).
		if k == 2 && (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") && shapeLen(shape) >= 0 && shapeLen(shape) <= maxConstLen {
			a, okA := constInts(0)
			b, okB := constInts(1)
			if okA && okB && len(a) > 0 && len(b) > 0 && (len(a) == 1 || len(b) == 1 || len(a) == len(b)) && int64(max(len(a), len(b))) == shapeLen(shape) {
				out := make([]int64, max(len(a), len(b)))
				for i := range out {
					x, y := a[min(i, len(a)-1)], b[min(i, len(b)-1)]
					switch {
					case op == "Mul" && x != unknownVal && y != unknownVal && isSymbolic(x) != isSymbolic(y):
						// A multiple of a size: bsz × heads.
						if isSymbolic(y) {
							x, y = y, x
						}
						out[i] = s.sc.scale(x, y)
					case op == "Div" && x != unknownVal && isSymbolic(x) && !isSymbolic(y):
						out[i] = s.sc.divide(x, y)
					case isSymbolic(x) || isSymbolic(y):
						out[i] = unknownVal
					case op == "Add":
						out[i] = x + y
					case op == "Sub":
						out[i] = x - y
					case op == "Mul":
						out[i] = x * y
					case y == 0:
						out[i] = unknownVal
					default:
						out[i] = floorDiv(x, y)
					}
				}
				setVal(0, out)
			}
		}
		if (op == "Equal" || op == "Where") && shapeLen(shape) >= 0 && shapeLen(shape) <= maxConstLen {
			if out, ok := s.constSelect(op, ins, int(shapeLen(shape))); ok {
				setVal(0, out)
			}
		}
		return nil

	case "Constant":
		for _, name := range attrs.Names() {
			switch name {
			case "value":
				t, err := attrs.Tensor("value", s.m.Dir)
				if err != nil {
					return err
				}
				set(0, t.DType, t.Dims)
				if len(n.GetOutput()) > 0 {
					s.setConst(n.GetOutput()[0], t)
				}
				return nil
			case "value_float":
				set(0, Float, nil)
				return nil
			case "value_floats":
				v, err := attrs.Floats(name, nil)
				if err != nil {
					return err
				}
				set(0, Float, []int64{int64(len(v))})
				return nil
			case "value_int":
				v, err := attrs.Int(name, 0)
				if err != nil {
					return err
				}
				set(0, Int64, nil)
				setVal(0, []int64{v})
				return nil
			case "value_ints":
				v, err := attrs.Ints(name, nil)
				if err != nil {
					return err
				}
				set(0, Int64, []int64{int64(len(v))})
				setVal(0, v)
				return nil
			}
		}
		return &UnsupportedError{Stage: "inferring shapes", Op: op, Node: label, Opset: opset, Msg: "Constant without value, value_float(s) or value_int(s)"}

	case "Cast":
		v, err := need(1)
		if err != nil {
			return err
		}
		to, err := attrs.Int("to", 0)
		if err != nil {
			return err
		}
		if !DType(to).Known() {
			return fail("Cast to unknown type %d", to)
		}
		set(0, DType(to), v[0].Shape)
		if c, ok := constInts(0); ok && DType(to) != Float && DType(to) != Double && DType(to) != Float16 {
			setVal(0, c)
		}
		return nil

	case "Shape":
		v, err := need(1)
		if err != nil {
			return err
		}
		r := int64(len(v[0].Shape))
		start, _ := attrs.Int("start", 0)
		end, _ := attrs.Int("end", r)
		start, end = clampIndex(start, r), clampIndex(end, r)
		val := []int64{}
		for i := start; i < end; i++ {
			d := v[0].Shape[i]
			if d == Unknown {
				d = unknownVal
			}
			val = append(val, d)
		}
		set(0, Int64, []int64{int64(len(val))})
		setVal(0, val)
		return nil

	case "Size":
		v, err := need(1)
		if err != nil {
			return err
		}
		set(0, Int64, nil)
		if l := shapeLen(v[0].Shape); l >= 0 {
			setVal(0, []int64{l})
		}
		return nil

	case "Conv", "ConvInteger", "MaxPool", "AveragePool", "LpPool":
		return s.convPool(n, label, opset, attrs, need, set)

	case "ConvTranspose":
		return s.convTranspose(label, attrs, need, set)

	case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
		v, err := need(1)
		if err != nil {
			return err
		}
		if len(v[0].Shape) < 2 {
			return fail("%s input has rank %d, needs N×C×…", op, len(v[0].Shape))
		}
		out := append([]int64{}, v[0].Shape...)
		for i := 2; i < len(out); i++ {
			out[i] = 1
		}
		set(0, v[0].DType, out)
		return nil

	case "BatchNormalization":
		v, err := need(5)
		if err != nil {
			return err
		}
		if len(v[0].Shape) < 2 {
			return fail("BatchNormalization input has rank %d, needs N×C×…", len(v[0].Shape))
		}
		set(0, v[0].DType, v[0].Shape)
		c := []int64{v[0].Shape[1]}
		for i := 1; i < len(n.GetOutput()); i++ {
			set(i, v[0].DType, c)
		}
		return nil

	case "LayerNormalization":
		v, err := need(1)
		if err != nil {
			return err
		}
		set(0, v[0].DType, v[0].Shape)
		axis, _ := attrs.Int("axis", -1)
		a, ok := normAxis(axis, len(v[0].Shape))
		if !ok {
			return fail("axis %d out of range for rank %d", axis, len(v[0].Shape))
		}
		stat := append([]int64{}, v[0].Shape...)
		for i := a; i < len(stat); i++ {
			stat[i] = 1
		}
		set(1, Float, stat)
		set(2, Float, stat)
		return nil

	case "Flatten":
		v, err := need(1)
		if err != nil {
			return err
		}
		r := len(v[0].Shape)
		axis, err := attrs.Int("axis", 1)
		if err != nil {
			return err
		}
		if axis < 0 {
			axis += int64(r)
		}
		if axis < 0 || axis > int64(r) {
			return fail("Flatten axis %d out of range for rank %d", axis, r)
		}
		set(0, v[0].DType, []int64{flatLen(v[0].Shape[:axis]), flatLen(v[0].Shape[axis:])})
		return nil

	case "Gemm":
		v, err := need(2)
		if err != nil {
			return err
		}
		a, b := v[0].Shape, v[1].Shape
		if len(a) != 2 || len(b) != 2 {
			return fail("Gemm needs 2-D inputs, has %v and %v", a, b)
		}
		ta, _ := attrs.Int("transA", 0)
		tb, _ := attrs.Int("transB", 0)
		m, ka := a[0], a[1]
		if ta != 0 {
			m, ka = a[1], a[0]
		}
		kb, nn := b[0], b[1]
		if tb != 0 {
			kb, nn = b[1], b[0]
		}
		if ka >= 0 && kb >= 0 && ka != kb {
			return fail("Gemm inner dimensions differ: A %v (transA %d), B %v (transB %d)", a, ta, b, tb)
		}
		out := []int64{m, nn}
		if c, ok := in(2); ok {
			if _, ok := broadcast(out, c.Shape); !ok || len(c.Shape) > 2 {
				return fail("Gemm bias shape %v does not broadcast to %v", c.Shape, out)
			}
		}
		set(0, v[0].DType, out)
		return nil

	case "MatMul", "MatMulInteger":
		v, err := need(2)
		if err != nil {
			return err
		}
		a, b := v[0].Shape, v[1].Shape
		if len(a) == 0 || len(b) == 0 {
			return fail("MatMul of a scalar")
		}
		a1, b1 := len(a) == 1, len(b) == 1
		if a1 {
			a = []int64{1, a[0]}
		}
		if b1 {
			b = []int64{b[0], 1}
		}
		ka, kb := a[len(a)-1], b[len(b)-2]
		if ka >= 0 && kb >= 0 && ka != kb {
			return fail("MatMul inner dimensions differ: %v and %v", v[0].Shape, v[1].Shape)
		}
		batch, ok := broadcast(a[:len(a)-2], b[:len(b)-2])
		if !ok {
			return fail("MatMul batch dimensions of %v and %v do not broadcast", v[0].Shape, v[1].Shape)
		}
		out := append(batch, a[len(a)-2], b[len(b)-1])
		if b1 {
			out = out[:len(out)-1] // drop N
		}
		if a1 {
			out = append(out[:len(batch)], out[len(batch)+1:]...) // drop M
		}
		dt := v[0].DType
		if op == "MatMulInteger" {
			dt = Int32
		}
		set(0, dt, out)
		return nil

	case "Reshape":
		v, err := need(1)
		if err != nil {
			return err
		}
		target, ok, err := dynArg("shape", 1, 5, true)
		if err != nil {
			return err
		}
		if !ok {
			return fail("Reshape without a target shape")
		}
		allowzero, _ := attrs.Int("allowzero", 0)
		out, err := reshapeSym(v[0].Shape, target, allowzero != 0, s.sc)
		if err != nil {
			return fail("%v", err)
		}
		set(0, v[0].DType, out)
		if c, ok := constInts(0); ok {
			setVal(0, c)
		}
		return nil

	case "Transpose":
		v, err := need(1)
		if err != nil {
			return err
		}
		r := len(v[0].Shape)
		perm, err := attrs.Ints("perm", nil)
		if err != nil {
			return err
		}
		if perm == nil {
			for i := r - 1; i >= 0; i-- {
				perm = append(perm, int64(i))
			}
		}
		if len(perm) != r {
			return fail("perm %v has %d entries for rank %d", perm, len(perm), r)
		}
		out := make([]int64, r)
		seen := make([]bool, r)
		for i, p := range perm {
			a, ok := normAxis(p, r)
			if !ok || seen[a] {
				return fail("perm %v is not a permutation of 0..%d", perm, r-1)
			}
			seen[a] = true
			out[i] = v[0].Shape[a]
		}
		set(0, v[0].DType, out)
		return nil

	case "Concat":
		if len(ins) == 0 {
			return fail("Concat without inputs")
		}
		vs, err := need(len(ins))
		if err != nil {
			return err
		}
		axis, err := attrs.Int("axis", 0)
		if err != nil {
			return err
		}
		r := len(vs[0].Shape)
		a, ok := normAxis(axis, r)
		if !ok {
			return fail("Concat axis %d out of range for rank %d", axis, r)
		}
		out := append([]int64{}, vs[0].Shape...)
		var val []int64
		allConst := r == 1
		for i, v := range vs {
			if len(v.Shape) != r {
				return fail("Concat inputs have ranks %d and %d", r, len(v.Shape))
			}
			if i > 0 {
				for d := range out {
					switch {
					case d == a:
						if out[d] < 0 || v.Shape[d] < 0 {
							out[d] = Unknown
						} else {
							out[d] += v.Shape[d]
						}
					case out[d] < 0:
						out[d] = v.Shape[d]
					case v.Shape[d] >= 0 && v.Shape[d] != out[d]:
						return fail("Concat inputs differ outside axis %d: %v and %v", a, vs[0].Shape, v.Shape)
					}
				}
			}
			c, ok := constInts(i)
			allConst = allConst && ok
			val = append(val, c...)
		}
		set(0, vs[0].DType, out)
		if allConst {
			setVal(0, val)
		}
		return nil

	case "Split":
		v, err := need(1)
		if err != nil {
			return err
		}
		r := len(v[0].Shape)
		axis, _ := attrs.Int("axis", 0)
		a, ok := normAxis(axis, r)
		if !ok {
			return fail("Split axis %d out of range for rank %d", axis, r)
		}
		split, ok, err := intsArg("split", 1, 13)
		if err != nil {
			return err
		}
		k := len(n.GetOutput())
		if !ok {
			d := v[0].Shape[a]
			split = make([]int64, k)
			for i := range split {
				switch {
				case d < 0:
					split[i] = Unknown
				default:
					// Opset 18 allows an uneven last chunk (ceil).
					chunk := (d + int64(k) - 1) / int64(k)
					split[i] = min(chunk, max(0, d-int64(i)*chunk))
				}
			}
		}
		if len(split) != k {
			return fail("Split has %d sizes for %d outputs", len(split), k)
		}
		for i, sz := range split {
			out := append([]int64{}, v[0].Shape...)
			out[a] = sz
			set(i, v[0].DType, out)
		}
		return nil

	case "Slice":
		return s.slice(label, opset, attrs, need, set, setVal, constInts, intsArg)

	case "Squeeze":
		v, err := need(1)
		if err != nil {
			return err
		}
		axes, ok, err := intsArg("axes", 1, 13)
		if err != nil {
			return err
		}
		r := len(v[0].Shape)
		drop := make([]bool, r)
		if !ok {
			for i, d := range v[0].Shape {
				if d < 0 {
					return &UnsupportedError{Stage: "inferring shapes", Op: op, Node: label, Opset: opset, Msg: "Squeeze without axes on a tensor with dynamic dimensions"}
				}
				drop[i] = d == 1
			}
		}
		for _, ax := range axes {
			a, ok := normAxis(ax, r)
			if !ok {
				return fail("Squeeze axis %d out of range for rank %d", ax, r)
			}
			if d := v[0].Shape[a]; d >= 0 && d != 1 {
				return fail("Squeeze axis %d has size %d, not 1", ax, d)
			}
			drop[a] = true
		}
		out := []int64{}
		for i, d := range v[0].Shape {
			if !drop[i] {
				out = append(out, d)
			}
		}
		set(0, v[0].DType, out)
		if c, ok := constInts(0); ok {
			setVal(0, c)
		}
		return nil

	case "Unsqueeze":
		v, err := need(1)
		if err != nil {
			return err
		}
		axes, ok, err := intsArg("axes", 1, 13)
		if err != nil {
			return err
		}
		if !ok {
			return fail("Unsqueeze without axes")
		}
		r := len(v[0].Shape) + len(axes)
		ins := make([]bool, r)
		for _, ax := range axes {
			a, ok := normAxis(ax, r)
			if !ok || ins[a] {
				return fail("Unsqueeze axes %v invalid for output rank %d", axes, r)
			}
			ins[a] = true
		}
		out := make([]int64, 0, r)
		j := 0
		for i := 0; i < r; i++ {
			if ins[i] {
				out = append(out, 1)
			} else {
				out = append(out, v[0].Shape[j])
				j++
			}
		}
		set(0, v[0].DType, out)
		if c, ok := constInts(0); ok {
			setVal(0, c)
		}
		return nil

	case "Pad":
		v, err := need(1)
		if err != nil {
			return err
		}
		pads, ok, err := intsArg("pads", 1, 11)
		if opset < 2 && err == nil && !ok {
			pads, err = attrs.Ints("paddings", nil)
			ok = pads != nil
		}
		if err != nil {
			return err
		}
		if !ok {
			return fail("Pad without pads")
		}
		r := len(v[0].Shape)
		axes := make([]int64, r)
		for i := range axes {
			axes[i] = int64(i)
		}
		if opset >= 18 {
			if ax, ok, err := intsArg("axes", 3, 18); err != nil {
				return err
			} else if ok {
				axes = ax
			}
		}
		if len(pads) != 2*len(axes) {
			return fail("pads %v has %d entries for %d axes", pads, len(pads), len(axes))
		}
		out := append([]int64{}, v[0].Shape...)
		for k, ax := range axes {
			a, ok := normAxis(ax, r)
			if !ok {
				return fail("Pad axis %d out of range for rank %d", ax, r)
			}
			if out[a] >= 0 {
				out[a] += pads[k] + pads[k+len(axes)]
				if out[a] < 0 {
					return fail("pads %v make dimension %d negative", pads, a)
				}
			}
		}
		set(0, v[0].DType, out)
		return nil

	case "Gather":
		v, err := need(2)
		if err != nil {
			return err
		}
		axis, err := attrs.Int("axis", 0)
		if err != nil {
			return err
		}
		r := len(v[0].Shape)
		a, ok := normAxis(axis, r)
		if !ok {
			return fail("Gather axis %d out of range for rank %d", axis, r)
		}
		out := append(append(append([]int64{}, v[0].Shape[:a]...), v[1].Shape...), v[0].Shape[a+1:]...)
		set(0, v[0].DType, out)
		data, okD := constInts(0)
		idx, okI := constInts(1)
		if okD && okI && r == 1 {
			val := make([]int64, len(idx))
			for i, x := range idx {
				if x < 0 {
					x += int64(len(data))
				}
				if x < 0 || x >= int64(len(data)) {
					return fail("Gather index %d out of range for %d entries", idx[i], len(data))
				}
				val[i] = data[x]
			}
			setVal(0, val)
		}
		return nil

	case "Expand":
		v, err := need(2)
		if err != nil {
			return err
		}
		// Symbols are kept: expanding a class token to [N, 1, D] keeps the
		// batch N.
		shape, _, err := dynArg("shape", 1, 8, true)
		if err != nil {
			return err
		}
		for i, d := range shape {
			if d == unknownVal {
				shape[i] = Unknown
			}
		}
		out, ok := broadcast(v[0].Shape, shape)
		if !ok {
			return fail("Expand of %v to %v does not broadcast", v[0].Shape, shape)
		}
		set(0, v[0].DType, out)
		return nil

	case "Tile":
		v, err := need(2)
		if err != nil {
			return err
		}
		reps, _, err := dynArg("repeats", 1, 6, false)
		if err != nil {
			return err
		}
		if len(reps) != len(v[0].Shape) {
			return fail("Tile repeats %v for rank %d", reps, len(v[0].Shape))
		}
		out := append([]int64{}, v[0].Shape...)
		for i := range out {
			switch {
			case reps[i] < 0:
				out[i] = Unknown
			case out[i] >= 0:
				out[i] *= reps[i]
			case reps[i] != 1:
				out[i] = Unknown
			}
		}
		set(0, v[0].DType, out)
		return nil

	case "ConstantOfShape":
		shape, _, err := dynArg("shape", 0, 9, false)
		if err != nil {
			return err
		}
		dt := Float
		var fill []int64
		if t, err := attrs.Tensor("value", s.m.Dir); err != nil {
			return err
		} else if t != nil {
			dt = t.DType
			fill = t.I64
		}
		set(0, dt, append([]int64{}, shape...))
		// An int64 fill of a known small shape is a constant (PyTorch's
		// expand(-1, …) computes its shape from ones).
		if n := shapeLen(shape); dt == Int64 && len(fill) == 1 && n >= 0 && n <= maxConstLen {
			out := make([]int64, n)
			for i := range out {
				out[i] = fill[0]
			}
			setVal(0, out)
		}
		return nil

	case "Range":
		v, err := need(3)
		if err != nil {
			return err
		}
		start, ok1 := constInts(0)
		limit, ok2 := constInts(1)
		delta, ok3 := constInts(2)
		out := []int64{Unknown}
		if ok1 && ok2 && ok3 && len(start) == 1 && len(limit) == 1 && len(delta) == 1 && delta[0] != 0 &&
			!isSymbolic(start[0]) && !isSymbolic(limit[0]) && !isSymbolic(delta[0]) {
			out[0] = max(0, ceilDiv(limit[0]-start[0], delta[0]))
		}
		set(0, v[0].DType, out)
		return nil

	case "Resize", "Upsample":
		return s.resize(label, opset, need, set, constInts, ins)

	case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
		"ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin":
		v, err := need(1)
		if err != nil {
			return err
		}
		r := len(v[0].Shape)
		keep, _ := attrs.Int("keepdims", 1)
		var axes []int64
		if op == "ArgMax" || op == "ArgMin" {
			ax, _ := attrs.Int("axis", 0)
			axes = []int64{ax}
		} else {
			from := int64(18)
			if op == "ReduceSum" {
				from = 13
			}
			axes, _, err = intsArg("axes", 1, from)
			if err != nil {
				return err
			}
			noop, _ := attrs.Int("noop_with_empty_axes", 0)
			if len(axes) == 0 && noop != 0 {
				set(0, v[0].DType, v[0].Shape)
				return nil
			}
		}
		red := make([]bool, r)
		if len(axes) == 0 {
			for i := range red {
				red[i] = true
			}
		}
		for _, ax := range axes {
			a, ok := normAxis(ax, r)
			if !ok {
				return fail("axis %d out of range for rank %d", ax, r)
			}
			red[a] = true
		}
		out := []int64{}
		for i, d := range v[0].Shape {
			switch {
			case !red[i]:
				out = append(out, d)
			case keep != 0:
				out = append(out, 1)
			}
		}
		dt := v[0].DType
		if op == "ArgMax" || op == "ArgMin" {
			dt = Int64
		}
		set(0, dt, out)
		return nil
	}
	return &UnsupportedError{Stage: "inferring shapes", Op: op, Node: label, Opset: opset, Msg: "no shape rule for this operator"}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

func clampIndex(i, r int64) int64 {
	if i < 0 {
		i += r
	}
	return max(0, min(i, r))
}

// reshape computes Reshape's output shape: 0 copies the input dimension
// (unless allowzero), one -1 takes the remaining size. Symbolic sizes (see
// isSymbolic) in the input and the target cancel, so [N,20,4,4] reshaped
// to [N,-1] gives [N,320]; a size that depends on an unmatched symbol is
// Unknown.
func reshape(in, target []int64, allowzero bool) ([]int64, error) {
	return reshapeSym(in, target, allowzero, nil)
}

// reshapeSym is reshape with multiples of symbols: sc (nil for none)
// expands a symbol into a base symbol times a factor and makes the symbol
// for a multiple, so that [17, N, 32] → [17, -1, 16] gives [17, 2N, 16].
func reshapeSym(in, target []int64, allowzero bool, sc *scaler) ([]int64, error) {
	out := make([]int64, len(target))
	infer := -1
	for i, t := range target {
		switch {
		case t == unknownVal:
			out[i] = Unknown
		case isSymbolic(t):
			out[i] = t
		case t == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("target shape %v has more than one -1", target)
			}
			infer = i
		case t == 0 && !allowzero:
			if i >= len(in) {
				return nil, fmt.Errorf("target shape %v copies dimension %d of a rank-%d input", target, i, len(in))
			}
			out[i] = in[i]
		case t < 0:
			return nil, fmt.Errorf("invalid size %d in target shape %v", t, target)
		default:
			out[i] = t
		}
	}
	// Known factors and symbols on each side; an anonymous Unknown makes
	// the element count unknown.
	factor := func(dims []int64, skip int) (known int64, syms map[int64]int, anon bool) {
		known, syms = 1, make(map[int64]int)
		for i, d := range dims {
			switch {
			case i == skip:
			case d == Unknown:
				anon = true
			case d < 0:
				base, k := sc.expand(d)
				syms[base]++
				known *= k
			default:
				known *= d
			}
		}
		return known, syms, anon
	}
	inKnown, inSyms, inAnon := factor(in, -1)
	outKnown, outSyms, outAnon := factor(out, infer)
	if inAnon || outAnon {
		if infer >= 0 {
			out[infer] = Unknown
		}
		return out, nil
	}
	for sym, k := range outSyms {
		if inSyms[sym] < k {
			// A symbol the input does not have: sizes cannot be compared.
			if infer >= 0 {
				out[infer] = Unknown
			}
			return out, nil
		}
		inSyms[sym] -= k
	}
	rest := 0
	for _, k := range inSyms {
		rest += k
	}
	if infer >= 0 {
		switch {
		case rest == 1 && inKnown == outKnown:
			// [N,20,4,4] -> [-1,320]: the -1 is the one symbol left.
			for sym, k := range inSyms {
				if k == 1 {
					out[infer] = sym
				}
			}
		case rest == 1 && sc != nil && outKnown > 0 && inKnown%outKnown == 0:
			// [17, N, 32] -> [17, -1, 16]: the -1 is a multiple, 2N.
			for sym, k := range inSyms {
				if k == 1 {
					out[infer] = sc.scale(sym, inKnown/outKnown)
				}
			}
		case rest > 0:
			out[infer] = Unknown
		case outKnown == 0 || inKnown%outKnown != 0:
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, inKnown, target)
		default:
			out[infer] = inKnown / outKnown
		}
	} else if rest == 0 && inKnown != outKnown {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v (%d elements)", in, inKnown, target, outKnown)
	}
	return out, nil
}

func (s *inferState) convPool(n *onnxpb.NodeProto, label string, opset int64, attrs Attributes,
	need func(int) ([]ValueType, error), set func(int, DType, []int64)) error {
	op := n.GetOpType()
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "inferring shapes", Node: label, Msg: fmt.Sprintf(format, args...)}
	}
	isConv := op == "Conv" || op == "ConvInteger"
	k := 1
	if isConv {
		k = 2
	}
	v, err := need(k)
	if err != nil {
		return err
	}
	x := v[0].Shape
	if len(x) < 3 {
		return fail("%s input has rank %d, needs N×C×spatial", op, len(x))
	}
	sp := len(x) - 2
	kernel, err := attrs.Ints("kernel_shape", nil)
	if err != nil {
		return err
	}
	outC := x[1]
	if isConv {
		w := v[1].Shape
		if len(w) != len(x) {
			return fail("Conv weight %v has rank %d, input %v has rank %d", w, len(w), x, len(x))
		}
		group, _ := attrs.Int("group", 1)
		if group <= 0 {
			return fail("group %d", group)
		}
		if x[1] >= 0 && w[1] >= 0 && x[1] != w[1]*group {
			return fail("input has %d channels, weight %v with group %d expects %d", x[1], w, group, w[1]*group)
		}
		outC = w[0]
		if kernel == nil {
			kernel = w[2:]
		}
	}
	if len(kernel) != sp {
		return fail("kernel_shape %v for %d spatial dimensions", kernel, sp)
	}
	strides, _ := attrs.Ints("strides", nil)
	dil, _ := attrs.Ints("dilations", nil)
	pads, _ := attrs.Ints("pads", nil)
	autoPad, _ := attrs.String("auto_pad", "NOTSET")
	ceil, _ := attrs.Int("ceil_mode", 0)
	if strides == nil {
		strides = ones(sp)
	}
	if dil == nil {
		dil = ones(sp)
	}
	if pads == nil {
		pads = make([]int64, 2*sp)
	}
	if len(strides) != sp || len(dil) != sp || len(pads) != 2*sp {
		return fail("strides %v, dilations %v, pads %v do not fit %d spatial dimensions", strides, dil, pads, sp)
	}
	out := []int64{x[0], outC}
	for i := 0; i < sp; i++ {
		in := x[2+i]
		if strides[i] <= 0 || dil[i] <= 0 || kernel[i] <= 0 {
			return fail("kernel %v, strides %v, dilations %v must be positive", kernel, strides, dil)
		}
		if in < 0 {
			out = append(out, Unknown)
			continue
		}
		ek := dil[i]*(kernel[i]-1) + 1
		var o int64
		switch autoPad {
		case "SAME_UPPER", "SAME_LOWER":
			o = ceilDiv(in, strides[i])
		case "VALID":
			o = floorDiv(in-ek, strides[i]) + 1
		case "NOTSET", "":
			span := in + pads[i] + pads[i+sp] - ek
			if ceil != 0 {
				o = ceilDiv(span, strides[i]) + 1
				// The last window must start inside the input or its
				// leading pad (as in the ONNX reference and PyTorch).
				if (o-1)*strides[i] >= in+pads[i] {
					o--
				}
			} else {
				o = floorDiv(span, strides[i]) + 1
			}
		default:
			return fail("auto_pad %q", autoPad)
		}
		if o <= 0 {
			return fail("%s output size %d along spatial axis %d (input %v, kernel %v, pads %v, strides %v)", op, o, i, x, kernel, pads, strides)
		}
		out = append(out, o)
	}
	dt := v[0].DType
	if op == "ConvInteger" {
		dt = Int32
	}
	set(0, dt, out)
	if op == "MaxPool" {
		set(1, Int64, out)
	}
	return nil
}

func ones(n int) []int64 {
	s := make([]int64, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func (s *inferState) convTranspose(label string, attrs Attributes, need func(int) ([]ValueType, error), set func(int, DType, []int64)) error {
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "inferring shapes", Node: label, Msg: fmt.Sprintf(format, args...)}
	}
	v, err := need(2)
	if err != nil {
		return err
	}
	x, w := v[0].Shape, v[1].Shape
	if len(x) < 3 || len(w) != len(x) {
		return fail("ConvTranspose input %v and weight %v", x, w)
	}
	sp := len(x) - 2
	group, _ := attrs.Int("group", 1)
	kernel, _ := attrs.Ints("kernel_shape", w[2:])
	strides, _ := attrs.Ints("strides", ones(sp))
	dil, _ := attrs.Ints("dilations", ones(sp))
	pads, _ := attrs.Ints("pads", make([]int64, 2*sp))
	outPad, _ := attrs.Ints("output_padding", make([]int64, sp))
	outShape, _ := attrs.Ints("output_shape", nil)
	autoPad, _ := attrs.String("auto_pad", "NOTSET")
	if len(kernel) != sp || len(strides) != sp || len(dil) != sp || len(pads) != 2*sp || len(outPad) != sp {
		return fail("ConvTranspose attributes do not fit %d spatial dimensions", sp)
	}
	out := []int64{x[0], w[1] * group}
	if w[1] < 0 {
		out[1] = Unknown
	}
	for i := 0; i < sp; i++ {
		switch {
		case outShape != nil:
			if len(outShape) != sp {
				return fail("output_shape %v for %d spatial dimensions", outShape, sp)
			}
			out = append(out, outShape[i])
		case x[2+i] < 0:
			out = append(out, Unknown)
		case autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER":
			out = append(out, x[2+i]*strides[i])
		default:
			p := pads[i] + pads[i+sp]
			if autoPad == "VALID" {
				p = 0
			}
			o := strides[i]*(x[2+i]-1) + outPad[i] + (kernel[i]-1)*dil[i] + 1 - p
			if o <= 0 {
				return fail("ConvTranspose output size %d", o)
			}
			out = append(out, o)
		}
	}
	set(0, v[0].DType, out)
	return nil
}

func (s *inferState) slice(label string, opset int64, attrs Attributes, need func(int) ([]ValueType, error),
	set func(int, DType, []int64), setVal func(int, []int64), constInts func(int) ([]int64, bool),
	intsArg func(string, int, int64) ([]int64, bool, error)) error {
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "inferring shapes", Node: label, Msg: fmt.Sprintf(format, args...)}
	}
	v, err := need(1)
	if err != nil {
		return err
	}
	starts, ok1, err := intsArg("starts", 1, 10)
	if err != nil {
		return err
	}
	ends, ok2, err := intsArg("ends", 2, 10)
	if err != nil {
		return err
	}
	if !ok1 || !ok2 || len(starts) != len(ends) {
		return fail("Slice needs starts and ends of equal length")
	}
	axes, ok, err := intsArg("axes", 3, 10)
	if err != nil {
		return err
	}
	if !ok {
		axes = make([]int64, len(starts))
		for i := range axes {
			axes[i] = int64(i)
		}
	}
	steps, ok, err := intsArg("steps", 4, 10)
	if err != nil {
		return err
	}
	if !ok {
		steps = ones(len(starts))
	}
	if len(axes) != len(starts) || len(steps) != len(starts) {
		return fail("Slice starts %v, ends %v, axes %v, steps %v differ in length", starts, ends, axes, steps)
	}
	r := len(v[0].Shape)
	out := append([]int64{}, v[0].Shape...)
	type rng struct{ start, step, n int64 }
	ranges := make(map[int]rng)
	for i, ax := range axes {
		a, ok := normAxis(ax, r)
		if !ok {
			return fail("Slice axis %d out of range for rank %d", ax, r)
		}
		if steps[i] == 0 {
			return fail("Slice step 0")
		}
		d := out[a]
		if d < 0 {
			continue
		}
		st, en, step := starts[i], ends[i], steps[i]
		if st < 0 {
			st += d
		}
		if en < 0 {
			en += d
		}
		var cnt int64
		if step > 0 {
			st, en = max(0, min(st, d)), max(0, min(en, d))
			cnt = max(0, ceilDiv(en-st, step))
		} else {
			st, en = max(-1, min(st, d-1)), max(-1, min(en, d-1))
			cnt = max(0, ceilDiv(st-en, -step))
		}
		out[a] = cnt
		ranges[a] = rng{st, step, cnt}
	}
	set(0, v[0].DType, out)
	if c, ok := constInts(0); ok && r == 1 {
		if rg, ok := ranges[0]; ok {
			val := make([]int64, rg.n)
			for i := range val {
				val[i] = c[rg.start+int64(i)*rg.step]
			}
			setVal(0, val)
		} else {
			setVal(0, c)
		}
	}
	return nil
}

func (s *inferState) resize(label string, opset int64, need func(int) ([]ValueType, error),
	set func(int, DType, []int64), constInts func(int) ([]int64, bool), ins []string) error {
	v, err := need(1)
	if err != nil {
		return err
	}
	x := v[0].Shape
	// Sizes: input 3 (Resize ≥ 11). Scales: input 1 (Upsample ≥ 9, Resize 10) or 2 (Resize ≥ 11).
	if sizes, ok := constInts(3); ok && len(sizes) == len(x) {
		set(0, v[0].DType, append([]int64{}, sizes...))
		return nil
	}
	si := 2
	if opset < 11 {
		si = 1
	}
	if si < len(ins) && ins[si] != "" {
		if sc, ok := s.fvals[ins[si]]; ok && len(sc) == len(x) {
			out := make([]int64, len(x))
			for i := range x {
				if x[i] < 0 {
					out[i] = Unknown
				} else {
					out[i] = int64(math.Floor(float64(x[i]) * float64(sc[i])))
				}
			}
			set(0, v[0].DType, out)
			return nil
		}
	}
	return &UnsupportedError{Stage: "inferring shapes", Op: "Resize", Node: label, Opset: opset, Msg: "scales or sizes are not constant"}
}
