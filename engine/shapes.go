package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/conceptcells/conceptcells/onnxio"
)

// Shapes come from the kernels themselves: the engine owns the operators'
// semantics, so it also owns their shapes. A shape pass prepares the model
// and runs it on zero-filled inputs, noting the element type and shape of
// every tensor a node makes (Program.observe; nothing is kept, and the
// memory budget holds as in any run). A dynamic input dimension (a
// symbol: the batch, or a dim_param) is run at two values, its base and
// base+1, one symbol at a time; a size that changes with it is k times the
// symbol when it does so exactly at both values, else unknown. See
// docs/design.md for why this beats a second set of shape rules.

// Bases of the symbols: the batch (axis 0) runs at 1 and 2; other dynamic
// sizes (a sequence length, an image side) at 32 and 33, large enough for
// the strides of a typical CNN.
const (
	batchBase = 1
	otherBase = 32
)

// shapeInputs lists, per operator, the inputs whose values (not only
// shapes) decide the output's shape. When such an input depends on the
// data rather than on constants or on input shapes, the shape depends on
// the data: zero inputs would give one answer among many, so the tensor
// (and everything computed from it) is reported with an unknown shape.
var shapeInputs = map[string][]int{
	"Reshape": {1}, "Squeeze": {1}, "Unsqueeze": {1}, "Split": {1}, "Slice": {1, 2, 3, 4},
	"ConstantOfShape": {0}, "Pad": {1}, "Tile": {1}, "Expand": {1}, "Range": {0, 1, 2},
	"Upsample": {1}, "Resize": {1, 2, 3},
	"ReduceMean": {1}, "ReduceSum": {1}, "ReduceMax": {1}, "ReduceMin": {1}, "ReduceProd": {1},
	"ReduceL2": {1}, "ReduceSumSquare": {1},
}

// symbol is a dynamic input dimension.
type symbol struct {
	key   string // dim_param, or "" for an anonymous dimension
	name  string // display: "N" for the batch, the dim_param, or "?"
	base  int
	value int // the caller's batch (CheckPlan, a batch given), 0 when symbolic
}

// symDim is one dimension of a tensor in a shape pass: a constant v, or k
// times symbol sym (sym ≥ 0), or unknown (sym == -2).
type symDim struct {
	v, k int64
	sym  int
}

const unknownSym = -2

// symType is a tensor's storage type and shape in a shape pass; dims is
// nil when the shape is not known (it depends on the data, or its rank
// changes with a symbol).
type symType struct {
	dtype DType
	dims  []symDim
}

// feedSpec is a graph input of a shape pass: each dim is a size (≥ 0) or
// −(1+i) for symbol i.
type feedSpec struct {
	name string
	dims []int64
}

// resolveInputs checks the caller's input shapes against the model (names,
// ranks, declared sizes) and turns dynamic sizes into symbols.
func resolveInputs(m *onnxio.Model, inputs map[string][]int64, defaults map[string]bool) ([]feedSpec, []symbol, error) {
	ferr := func(name, role, format string, args ...any) error {
		return &onnxio.FormatError{Stage: "computing shapes", Tensor: name, Role: role, Msg: fmt.Sprintf(format, args...)}
	}
	for name := range inputs {
		if !slices.ContainsFunc(m.Inputs, func(vi *onnxio.ValueInfo) bool { return vi.Name() == name }) {
			return nil, nil, ferr(name, "", "is not an input of the model")
		}
	}
	var syms []symbol
	symOf := func(key, name string, base int) int {
		if key != "" {
			for i, s := range syms {
				if s.key == key {
					if name == "N" {
						syms[i].name, syms[i].base = "N", batchBase
					}
					return i
				}
			}
		}
		syms = append(syms, symbol{key: key, name: name, base: base})
		return len(syms) - 1
	}
	var feeds []feedSpec
	for _, vi := range m.Inputs {
		name := vi.Name()
		dims, params, ok := vi.Shape()
		given, isGiven := inputs[name]
		given = slices.Clone(given)
		dynamicBatch := !ok || (len(dims) > 0 && dims[0] < 0)
		switch {
		case isGiven && ok:
			if len(given) != len(dims) {
				return nil, nil, ferr(name, "input", "shape %v has rank %d, the model declares rank %d (%v)", given, len(given), len(dims), dims)
			}
			for i := range given {
				if given[i] < onnxio.Unknown {
					return nil, nil, ferr(name, "input", "negative size in shape %v", given)
				}
				if dims[i] >= 0 && given[i] >= 0 && dims[i] != given[i] {
					return nil, nil, ferr(name, "input", "shape %v does not match the declared %v in dimension %d", given, dims, i)
				}
				if given[i] < 0 && dims[i] >= 0 {
					given[i] = dims[i] // the model fixes this size
				}
			}
			dims = given
		case isGiven:
			for _, d := range given {
				if d < onnxio.Unknown {
					return nil, nil, ferr(name, "input", "negative size in shape %v", given)
				}
			}
			dims = given
		case defaults[name]:
			continue // fed by its initializer
		case !ok:
			return nil, nil, ferr(name, "input", "declares no shape; give one")
		}
		f := feedSpec{name: name, dims: slices.Clone(dims)}
		for i, d := range f.dims {
			if d >= 0 {
				continue
			}
			key := ""
			if i < len(params) {
				key = params[i]
			}
			switch {
			case i == 0:
				if key == "" {
					key = "\x00batch" // every anonymous batch is one symbol
				}
				f.dims[i] = -1 - int64(symOf(key, "N", batchBase))
			case key != "":
				f.dims[i] = -1 - int64(symOf(key, key, otherBase))
			default:
				f.dims[i] = -1 - int64(symOf("", "?", otherBase))
			}
		}
		if isGiven && dynamicBatch && len(f.dims) > 0 && f.dims[0] > 0 {
			// A batch given for a model with a dynamic one: run at batch 1
			// and 2 and scale, rather than run the whole batch.
			v := f.dims[0]
			i := symOf("\x00batch="+strconv.FormatInt(v, 10), "N", batchBase)
			syms[i].value = int(v)
			f.dims[0] = -1 - int64(i)
		}
		feeds = append(feeds, f)
	}
	return feeds, syms, nil
}

// shapePass runs p on zero-filled inputs once per symbol and once at the
// bases, and returns the type of every tensor the planned nodes for want
// make (want nil: every node output). A run that fails still gives the
// tensors made before the failure in every run; the error of the first
// failing run is returned with them.
func (p *Program) shapePass(ctx context.Context, feeds []feedSpec, syms []symbol, want []string) (map[string]symType, error) {
	if want == nil {
		want = p.sinks()
	}
	runs := make([]map[string]symType, 1+len(syms))
	var firstErr error
	for r := range runs {
		seen := make(map[string]symType)
		in := make(map[string]*Tensor, len(feeds))
		for _, f := range feeds {
			shape := make([]int, len(f.dims))
			for i, d := range f.dims {
				if d >= 0 {
					shape[i] = int(d)
					continue
				}
				s := int(-1 - d)
				shape[i] = syms[s].base
				if r == s+1 {
					shape[i]++
				}
			}
			var spec inputSpec
			for _, s := range p.inputs {
				if s.name == f.name {
					spec = s
				}
			}
			if err := checkShape(shape); err != nil {
				return nil, fmt.Errorf("input %q: %w", f.name, err)
			}
			n := checkedNumel(shape)
			if spec.dtype == Int64 {
				in[f.name] = NewInt(shape, make([]int64, n))
			} else {
				in[f.name] = NewFloat(shape, make([]float32, n))
			}
		}
		for _, s := range p.inputs {
			if t, ok := in[s.name]; ok {
				seen[s.name] = observedType(t)
			} else if t := p.defaults[s.name]; t != nil {
				seen[s.name] = observedType(t)
			}
		}
		p.observe = func(name string, t *Tensor) { seen[name] = observedType(t) }
		out, err := p.Run(ctx, in, want)
		p.observe = nil
		p.Recycle(out)
		if err != nil && firstErr == nil {
			firstErr = runError(err, syms, r)
		}
		runs[r] = seen
	}
	tainted := p.dataShaped()
	types := make(map[string]symType, len(runs[0]))
	for name, t0 := range runs[0] {
		st := symType{dtype: t0.dtype, dims: t0.dims}
		for _, other := range runs[1:] {
			if _, ok := other[name]; !ok {
				st.dims, t0.dims = nil, nil
			}
		}
		if t0.dims == nil || tainted[name] {
			st.dims = nil
			types[name] = st
			continue
		}
		st.dims = make([]symDim, len(t0.dims))
		for i, d := range t0.dims {
			st.dims[i] = symDim{v: d.v, sym: -1}
			for s, run := range runs[1:] {
				o := run[name].dims
				if len(o) != len(t0.dims) {
					st.dims = nil
					break
				}
				if o[i].v == d.v {
					continue
				}
				b := int64(syms[s].base)
				if st.dims[i].sym != -1 || d.v%b != 0 || o[i].v != d.v/b*(b+1) || d.v == 0 {
					st.dims[i] = symDim{sym: unknownSym}
					break
				}
				st.dims[i] = symDim{k: d.v / b, sym: s}
			}
			if st.dims == nil {
				break
			}
		}
		types[name] = st
	}
	return types, firstErr
}

// runError says at which sizes the failed run r of a shape pass fed its
// inputs (it is not the caller's run: the data are zeros).
func runError(err error, syms []symbol, r int) error {
	var me *MemoryError
	if errors.As(err, &me) {
		return err
	}
	var at []string
	for s, y := range syms {
		v := y.base
		if r == s+1 {
			v++
		}
		at = append(at, fmt.Sprintf("%s = %d", y.name, v))
	}
	where := "a run on zero inputs"
	if len(at) > 0 {
		where += " with " + strings.Join(at, ", ")
	}
	return fmt.Errorf("computing shapes by %s: %w", where, err)
}

// observedType is t's type in a shape pass.
func observedType(t *Tensor) symType {
	dims := make([]symDim, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = symDim{v: int64(d), sym: -1}
	}
	return symType{dtype: t.DType, dims: dims}
}

// sinks returns the tensors no node reads, and the graph outputs: asking
// Run for them makes every node run while every other intermediate is
// freed after its last use.
func (p *Program) sinks() []string {
	read := make(map[string]bool)
	for _, nd := range p.nodes {
		for _, in := range nd.inputs {
			read[in] = true
		}
	}
	out := append([]string(nil), p.outputs...)
	for _, nd := range p.nodes {
		for _, o := range nd.outputs {
			if o != "" && !read[o] && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// dataShaped marks the tensors whose shape depends on the data (see
// shapeInputs): outputs of a node whose shape input is computed from the
// data, and everything computed from them.
func (p *Program) dataShaped() map[string]bool {
	tainted := make(map[string]bool)
	static := make(map[string]bool)
	for _, nd := range p.nodes {
		for _, o := range nd.outputs {
			static[o] = nd.static
		}
	}
	for _, nd := range p.nodes {
		bad := false
		for j, in := range nd.inputs {
			if in == "" {
				continue
			}
			if tainted[in] {
				bad = true
				break
			}
			if !slices.Contains(shapeInputs[nd.op], j) {
				continue
			}
			if _, isConst := p.consts[in]; isConst {
				continue
			}
			if static[in] {
				continue
			}
			bad = true
			break
		}
		if bad {
			for _, o := range nd.outputs {
				tainted[o] = true
			}
		}
	}
	return tainted
}

// InferTypes returns the element type and shape of every tensor of m
// (graph inputs, initializers and node outputs) for the given input
// shapes, as the engine computes them (see the comment at the top of
// shapes.go). inputs maps graph input names to shapes; inputs it omits
// take the shape the model declares. A size of onnxio.Unknown (−1), or a
// dynamic size the model declares, is symbolic: it shows in
// ValueType.Dims as N (the batch, axis 0), its dim_param, or a multiple
// such as 2N, and as onnxio.Unknown in ValueType.Shape; a size that
// depends on a symbol otherwise, or on the data, is "?". A batch size
// given for a model whose batch is dynamic is computed at 1 and 2 and
// scaled (multiples of it are then sizes; others "?"). Element types
// are those the model declares for the tensor, else the engine's storage
// type (float for floating-point data, int64 for integers and booleans).
//
// Bad input shapes are an *onnxio.FormatError naming the input. A model
// the engine cannot prepare gives the types of its inputs and
// initializers with Prepare's error (an *onnxio.UnsupportedError names
// the node); a run that fails gives the types found before the failure
// with the error, which names the node.
func InferTypes(ctx context.Context, m *onnxio.Model, inputs map[string][]int64) (map[string]onnxio.ValueType, error) {
	defaults := make(map[string]bool)
	for name := range m.Initializers {
		defaults[name] = true
	}
	feeds, syms, err := resolveInputs(m, inputs, defaults)
	if err != nil {
		return nil, err
	}
	declared := make(map[string]onnxio.DType)
	for _, vis := range [][]*onnxio.ValueInfo{m.ValueInfos, m.Outputs, m.Inputs} {
		for _, vi := range vis {
			if dt := vi.DType(); dt != onnxio.Undefined {
				declared[vi.Name()] = dt
			}
		}
	}
	out := make(map[string]onnxio.ValueType)
	for _, f := range feeds {
		dims := make([]symDim, len(f.dims))
		for i, d := range f.dims {
			dims[i] = symDim{v: d, sym: -1}
			if d < 0 {
				dims[i] = symDim{k: 1, sym: int(-1 - d)}
			}
		}
		out[f.name] = valueType(symType{dims: dims}, declared[f.name], syms)
	}
	for name, t := range m.Initializers {
		if _, fed := out[name]; !fed {
			out[name] = onnxio.ValueType{DType: t.DType, Shape: slices.Clone(t.Dims), Dims: dimNames(t.Dims)}
		}
	}
	for name, t := range m.Initializers {
		if t.Unloaded {
			return out, &onnxio.FormatError{Stage: "computing shapes", Tensor: name, Role: "initializer",
				Msg: "its external data was not read, and the engine computes shapes by running the model"}
		}
	}
	// No constant folding: every node then runs (static nodes once), so
	// every node output is seen.
	p, err := PrepareContext(ctx, m, Options{NoConstantFolding: true})
	if err != nil {
		return out, err
	}
	types, err := p.shapePass(ctx, feeds, syms, nil)
	logical := make(map[string]onnxio.DType, len(out))
	for name, vt := range out {
		logical[name] = vt.DType
	}
	for _, n := range m.Nodes {
		for j, o := range n.Outputs() {
			st, ok := types[o]
			if _, done := out[o]; !ok || done || o == "" {
				continue
			}
			dt := declared[o]
			if dt == onnxio.Undefined {
				dt = elementType(n, j, st.dtype, logical)
			}
			logical[o] = dt
			out[o] = valueType(st, dt, syms)
		}
	}
	return out, err
}

// comparisons are the operators with boolean outputs.
var comparisons = map[string]bool{"Equal": true, "Less": true, "Greater": true, "LessOrEqual": true,
	"GreaterOrEqual": true, "Not": true, "And": true, "Or": true, "Xor": true, "IsNaN": true, "IsInf": true}

// elementType is the ONNX element type of output j of n, which the engine
// stored as dt: the engine keeps every floating type as float32 and
// every integer or boolean type as int64, so the type users see follows
// the op (comparisons give bool, Cast its "to", a Constant its value's
// type) or the data input, when the storage agrees; else the storage.
func elementType(n *onnxio.Node, j int, dt DType, logical map[string]onnxio.DType) onnxio.DType {
	fits := func(t onnxio.DType) bool {
		st, err := storageType(t)
		return err == nil && st == dt
	}
	attrs := n.Attrs()
	var want onnxio.DType
	switch op := n.OpType(); {
	case n.Domain() != "" && n.Domain() != "ai.onnx":
	case comparisons[op]:
		want = onnxio.Bool
	case op == "Cast":
		to, _ := attrs.Int("to", 0)
		want = onnxio.DType(to)
	case op == "Constant" || op == "ConstantOfShape":
		want = attrs.TensorType("value")
	case op == "Shape" || op == "Size" || op == "ArgMax" || op == "ArgMin" || (op == "Dropout" && j == 1):
	case len(n.Inputs()) > 0:
		src := n.Inputs()[0]
		if op == "Where" && len(n.Inputs()) > 1 {
			src = n.Inputs()[1]
		}
		want = logical[src]
	}
	if want != onnxio.Undefined && fits(want) {
		return want
	}
	if dt == Int64 {
		return onnxio.Int64
	}
	return onnxio.Float
}

// valueType turns a shape-pass type into what users see.
func valueType(st symType, declared onnxio.DType, syms []symbol) onnxio.ValueType {
	vt := onnxio.ValueType{DType: declared}
	if vt.DType == onnxio.Undefined {
		vt.DType = onnxio.Float
		if st.dtype == Int64 {
			vt.DType = onnxio.Int64
		}
	}
	if st.dims == nil {
		return vt
	}
	vt.Shape = make([]int64, len(st.dims))
	vt.Dims = make([]string, len(st.dims))
	for i, d := range st.dims {
		switch {
		case d.sym == -1:
			vt.Shape[i], vt.Dims[i] = d.v, strconv.FormatInt(d.v, 10)
		case d.sym == unknownSym || syms[d.sym].name == "?":
			vt.Shape[i], vt.Dims[i] = onnxio.Unknown, "?"
		case syms[d.sym].value > 0: // a size the caller gave
			vt.Shape[i] = d.k * int64(syms[d.sym].value)
			vt.Dims[i] = strconv.FormatInt(vt.Shape[i], 10)
		case d.k == 1:
			vt.Shape[i], vt.Dims[i] = onnxio.Unknown, syms[d.sym].name
		default:
			vt.Shape[i], vt.Dims[i] = onnxio.Unknown, strconv.FormatInt(d.k, 10)+syms[d.sym].name
		}
	}
	return vt
}

// dimNames writes constant sizes for display.
func dimNames(dims []int64) []string {
	out := make([]string, len(dims))
	for i, d := range dims {
		out[i] = strconv.FormatInt(d, 10)
	}
	return out
}

// observed shows t, made as tensor name by Run, to p.observe if set.
func (p *Program) observed(name string, t *Tensor) {
	if p.observe != nil {
		p.observe(name, t)
	}
}
