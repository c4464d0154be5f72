package engine

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/conceptcells/conceptcells/onnxio"
)

// MaxOpset is the newest default-domain opset version accepted.
const MaxOpset = 22

// Options configures Prepare. The zero value is ready to use.
type Options struct {
	// NoConstantFolding disables evaluating nodes whose inputs are all
	// constants once at Prepare time.
	NoConstantFolding bool
	// MaxMemory is the memory budget in bytes: every tensor a node makes,
	// and the scratch space of its kernel, is checked against it before it
	// is allocated, counting what the run holds at that point; constant
	// folding has the same budget for all the constants it makes. 0 means
	// DefaultMaxMemory; a negative value means no budget.
	MaxMemory int64
}

// kernel runs one prepared node on its inputs (nil for absent optional
// inputs) and returns its outputs (nil for outputs it does not produce).
type kernel func(r *runCtx, in []*Tensor) ([]*Tensor, error)

// runCtx is what kernels may use while running: the buffer arena and one
// workspace per worker goroutine.
type runCtx struct {
	ar *arena
	ws []*workspace
	// fuseRelu asks the kernel (Conv, pooling, Gemm, Add, BatchNormalization) to apply
	// max(·, 0) to its output: a following Relu was fused into it.
	fuseRelu bool
}

// reluFusable lists the ops whose kernels honour runCtx.fuseRelu.
var reluFusable = map[string]bool{"Conv": true, "MaxPool": true, "AveragePool": true, "Gemm": true, "Add": true, "BatchNormalization": true}

type node struct {
	index   int
	name    string // node name, or "#index OpType" when unnamed
	op      string
	inputs  []string
	outputs []string
	run     kernel
	static  bool // outputs depend only on the graph inputs' shapes
	nin     int  // length of the input slice the kernel receives
}

// inputSpec is a graph input as declared: dims −1 are dynamic.
type inputSpec struct {
	name  string
	dtype DType
	dims  []int64
	known bool // declared shape present
}

// Program is a prepared model, ready to Run. It is not safe for concurrent
// use: it reuses buffers and caches between runs.
type Program struct {
	model   *onnxio.Model
	opset   int64
	inputs  []inputSpec
	outputs []string
	consts  map[string]*Tensor
	// defaults holds the initializers of graph inputs that have one (IR ≥
	// 4): used when Run is not given the input.
	defaults map[string]*Tensor
	nodes    []*node
	produce  map[string]int // tensor name → producing node index

	plans      map[string]*plan
	shapeCache map[string]map[string]*Tensor
	budget     int64 // bytes; ≤ 0: none

	ar   arena
	ws   []*workspace
	lent map[*float32]int // buffers returned by Run that Recycle may take back

	// observe, when set, is shown every tensor a node of Run produces
	// (shapes.go); it must not keep the tensor.
	observe func(name string, t *Tensor)
}

// plan is the schedule for one set of requested tensors: which nodes run and
// which tensors can be released after each node.
type plan struct {
	want    []string
	run     []bool
	release [][]string
	// fusedOut[i] is the output name of a Relu fused into node i ("" when
	// none); absorbed[j] marks that Relu, which then does not run itself.
	fusedOut []string
	absorbed []bool
}

// Prepare checks every node of m against the model's default-domain opset
// and builds a Program. An operator, attribute, attribute value or opset that
// the engine does not handle is an *onnxio.UnsupportedError naming the op,
// node, opset and attribute; nothing is left to fail midway through a
// dataset for that reason.
func Prepare(m *onnxio.Model, opts Options) (*Program, error) {
	return PrepareContext(context.Background(), m, opts)
}

// PrepareContext is Prepare with a context that stops constant folding
// when cancelled (the error then wraps ctx.Err()).
func PrepareContext(ctx context.Context, m *onnxio.Model, opts Options) (*Program, error) {
	opset, ok := m.Opsets[""]
	if !ok {
		return nil, &onnxio.UnsupportedError{Msg: "the model imports no default-domain (ai.onnx) opset"}
	}
	if opset > MaxOpset || opset < 1 {
		return nil, &onnxio.UnsupportedError{Opset: opset, Msg: fmt.Sprintf("default-domain opset %d (1 to %d supported)", opset, MaxOpset)}
	}
	p := &Program{
		model:      m,
		opset:      opset,
		consts:     make(map[string]*Tensor),
		produce:    make(map[string]int),
		plans:      make(map[string]*plan),
		shapeCache: make(map[string]map[string]*Tensor),
		budget:     opts.MaxMemory,
	}
	if p.budget == 0 {
		p.budget = DefaultMaxMemory()
	}
	if err := p.bindInitializers(); err != nil {
		return nil, err
	}
	if err := p.bindIO(); err != nil {
		return nil, err
	}
	if err := p.prepareNodes(ctx, opts); err != nil {
		return nil, err
	}
	p.ws = make([]*workspace, runtime.GOMAXPROCS(0))
	for i := range p.ws {
		p.ws[i] = &workspace{}
	}
	return p, nil
}

// bindInitializers turns the initializers into constants, or into the
// defaults of graph inputs that have one.
func (p *Program) bindInitializers() error {
	m := p.model
	fed := make(map[string]bool, len(m.Inputs))
	for _, vi := range m.Inputs {
		fed[vi.Name()] = true
	}
	for name, t := range m.Initializers {
		et, err := FromONNX(t)
		if err != nil {
			return &onnxio.UnsupportedError{Tensor: name, Msg: "initializer: " + err.Error()}
		}
		if fed[name] {
			// A graph input with a default value: fed by the caller,
			// the initializer used when it is not.
			if p.defaults == nil {
				p.defaults = make(map[string]*Tensor)
			}
			p.defaults[name] = et
			continue
		}
		p.consts[name] = et
	}
	return nil
}

// bindIO records the graph inputs (storage type and declared sizes, which
// Run checks) and outputs.
func (p *Program) bindIO() error {
	for _, vi := range p.model.Inputs {
		spec := inputSpec{name: vi.Name()}
		if !vi.IsTensor() {
			return &onnxio.UnsupportedError{Tensor: vi.Name(), Msg: "graph input is not a tensor"}
		}
		dt, err := storageType(vi.DType())
		if err != nil {
			return &onnxio.UnsupportedError{Tensor: vi.Name(), Msg: err.Error()}
		}
		spec.dtype = dt
		if dims, _, ok := vi.Shape(); ok {
			spec.known = true
			for _, d := range dims {
				if d > 0 {
					spec.dims = append(spec.dims, d)
				} else {
					spec.dims = append(spec.dims, -1)
				}
			}
		}
		p.inputs = append(p.inputs, spec)
	}
	for _, vi := range p.model.Outputs {
		p.outputs = append(p.outputs, vi.Name())
	}
	return nil
}

// prepareNodes prepares every node's kernel, folds nodes whose inputs are
// all constants (unless opts says not to) and marks the nodes that depend
// on input shapes only. Every unsupported node is found before the first
// is reported.
func (p *Program) prepareNodes(ctx context.Context, opts Options) error {
	m := p.model
	staticT := make(map[string]bool) // tensors known from input shapes alone
	// Folded constants share one budget; the arena only accounts for them
	// (nothing it hands out is recycled, as every result is detached).
	foldAr := &arena{}
	defer foldAr.setRun(ctx, p.budget)()
	rc := &runCtx{ar: foldAr, ws: []*workspace{{ar: foldAr}}}
	fold := foldNeeded(m, p.consts)
	var folded []string // outputs of folded nodes
	var unsupported []error
	for i, np := range m.Nodes {
		nd := &node{index: i, name: np.Name(), op: np.OpType(), inputs: np.Inputs(), outputs: np.Outputs()}
		if nd.name == "" {
			nd.name = fmt.Sprintf("#%d %s", i, nd.op)
		}
		c := &nodeCtx{p: p, n: np, nd: nd, opset: p.opset, attrs: np.Attrs(), used: map[string]bool{}}
		k, err := prepareNode(c)
		if err != nil {
			if _, ok := err.(*onnxio.UnsupportedError); ok {
				unsupported = append(unsupported, err)
				continue
			}
			return err
		}
		nd.run = k
		for _, o := range nd.outputs {
			if o != "" {
				p.produce[o] = i
			}
		}
		allConst, allStatic := p.inputKinds(nd, staticT)
		if allConst && !opts.NoConstantFolding && len(unsupported) == 0 && fold[i] {
			outs, err := p.runNode(ctx, rc, nd, p.consts)
			if err != nil {
				return err
			}
			for j, o := range nd.outputs {
				if o != "" && j < len(outs) && outs[j] != nil {
					detach(outs[j])
					p.consts[o] = outs[j]
					folded = append(folded, o)
				}
			}
			continue
		}
		if nd.op == "Shape" || nd.op == "Size" || allStatic {
			nd.static = true
			for _, o := range nd.outputs {
				staticT[o] = true
			}
		}
		p.nodes = append(p.nodes, nd)
	}
	if len(unsupported) > 0 {
		// Report the first; mention how many more.
		if len(unsupported) > 1 {
			if ue, ok := unsupported[0].(*onnxio.UnsupportedError); ok {
				ue.Msg += fmt.Sprintf(" (and %d more unsupported nodes)", len(unsupported)-1)
			}
		}
		return unsupported[0]
	}
	p.dropFolded(folded)
	return nil
}

// inputKinds reports whether every input of nd is a constant, and whether
// every one is a constant or known from input shapes alone (staticT).
func (p *Program) inputKinds(nd *node, staticT map[string]bool) (allConst, allStatic bool) {
	allConst, allStatic = true, true
	for _, in := range nd.inputs {
		if in == "" {
			continue
		}
		if _, ok := p.consts[in]; !ok {
			allConst = false
			if !staticT[in] {
				allStatic = false
			}
		}
	}
	return allConst, allStatic
}

// storageType maps an ONNX element type to the engine's storage.
func storageType(dt onnxio.DType) (DType, error) {
	switch dt {
	case onnxio.Float, onnxio.Double, onnxio.Float16, onnxio.BFloat16:
		return Float32, nil
	case onnxio.Int64, onnxio.Int32, onnxio.Int16, onnxio.Int8, onnxio.Uint8, onnxio.Uint16, onnxio.Uint32, onnxio.Bool:
		return Int64, nil
	}
	return 0, fmt.Errorf("element type %s", dt)
}

// FromONNX converts a decoded ONNX tensor to an engine tensor: floating types
// become float32, integer and bool types int64. Data is shared when already
// float32 or int64.
func FromONNX(t *onnxio.Tensor) (*Tensor, error) {
	dt, err := storageType(t.DType)
	if err != nil {
		return nil, err
	}
	out := &Tensor{Shape: t.Shape(), DType: dt}
	if dt == Float32 {
		out.F = t.Float32()
	} else {
		out.I, err = t.Int64s()
		if err != nil {
			return nil, err
		}
	}
	if n := numel(out.Shape); len(out.F)+len(out.I) != n {
		return nil, fmt.Errorf("tensor %q: %d values for shape %v", t.Name, len(out.F)+len(out.I), out.Shape)
	}
	return out, nil
}

// Model returns the model the program was prepared from.
func (p *Program) Model() *onnxio.Model { return p.model }

// Opset returns the default-domain opset version in force.
func (p *Program) Opset() int64 { return p.opset }

// InputNames returns the names of the graph inputs a caller must feed.
func (p *Program) InputNames() []string {
	out := make([]string, len(p.inputs))
	for i, s := range p.inputs {
		out[i] = s.name
	}
	return out
}

// OutputNames returns the graph outputs.
func (p *Program) OutputNames() []string { return append([]string(nil), p.outputs...) }

// HasTensor reports whether name is a tensor Run can return: a graph input,
// an initializer or constant, or the output of a node.
func (p *Program) HasTensor(name string) bool {
	if _, ok := p.consts[name]; ok {
		return true
	}
	if _, ok := p.produce[name]; ok {
		return true
	}
	for _, s := range p.inputs {
		if s.name == name {
			return true
		}
	}
	return false
}

// planFor returns (building and caching) the schedule for want.
func (p *Program) planFor(want []string) (*plan, error) {
	key := strings.Join(want, "\x00")
	if pl, ok := p.plans[key]; ok {
		return pl, nil
	}
	wanted := make(map[string]bool, len(want))
	for _, w := range want {
		if !p.HasTensor(w) {
			return nil, fmt.Errorf("no tensor named %q in the model", w)
		}
		wanted[w] = true
	}
	pl := &plan{want: append([]string(nil), want...), run: make([]bool, len(p.nodes)), release: make([][]string, len(p.nodes))}
	// Walk backwards: a node runs when one of its outputs is needed.
	needed := make(map[string]bool, len(want))
	for w := range wanted {
		needed[w] = true
	}
	for i := len(p.nodes) - 1; i >= 0; i-- {
		nd := p.nodes[i]
		for _, o := range nd.outputs {
			if o != "" && needed[o] {
				pl.run[i] = true
				break
			}
		}
		if pl.run[i] {
			for _, in := range nd.inputs {
				if in != "" {
					needed[in] = true
				}
			}
		}
	}
	// Release each non-wanted tensor after its last consumer (or right after
	// its producer when nothing consumes it).
	last := make(map[string]int)
	for i, nd := range p.nodes {
		if !pl.run[i] {
			continue
		}
		for _, o := range nd.outputs {
			if o != "" {
				last[o] = i
			}
		}
		for _, in := range nd.inputs {
			if _, isConst := p.consts[in]; in != "" && !isConst {
				last[in] = i
			}
		}
	}
	for name, i := range last {
		if !wanted[name] {
			pl.release[i] = append(pl.release[i], name)
		}
	}
	p.fuseRelus(pl, wanted)
	for i := range pl.release {
		sort.Strings(pl.release[i])
	}
	if len(p.plans) > 64 {
		clear(p.plans)
	}
	p.plans[key] = pl
	return pl, nil
}

// fuseRelus marks Relu nodes whose input comes straight from a fusable node
// (Conv, pooling, Gemm, Add, BatchNormalization), is consumed by nothing else
// and is not requested:
// the producer then applies the Relu itself and emits the Relu's output.
func (p *Program) fuseRelus(pl *plan, wanted map[string]bool) {
	pl.fusedOut = make([]string, len(p.nodes))
	pl.absorbed = make([]bool, len(p.nodes))
	consumers := make(map[string]int)
	for i, nd := range p.nodes {
		if !pl.run[i] {
			continue
		}
		for _, in := range nd.inputs {
			consumers[in]++
		}
	}
	at := make(map[string]int) // output name → index in p.nodes
	for i, nd := range p.nodes {
		for _, o := range nd.outputs {
			at[o] = i
		}
	}
	for j, nd := range p.nodes {
		if !pl.run[j] || nd.op != "Relu" || len(nd.inputs) != 1 || len(nd.outputs) != 1 {
			continue
		}
		t := nd.inputs[0]
		i, ok := at[t]
		if !ok || wanted[t] || consumers[t] != 1 {
			continue
		}
		prod := p.nodes[i]
		if !pl.run[i] || prod.static || !reluFusable[prod.op] || len(prod.outputs) != 1 || pl.fusedOut[i] != "" {
			continue
		}
		pl.fusedOut[i] = nd.outputs[0]
		pl.absorbed[j] = true
	}
}

// Run feeds inputs (every graph input, by name) and returns the tensors
// named in want — graph outputs, graph inputs, constants or any intermediate
// tensor — or the graph outputs when want is empty. Only the nodes needed
// for want run; each intermediate is freed (its buffer recycled) right after
// its last consumer. Any batch size may be used from call to call; nodes
// computing only from input shapes (Shape → Gather → … → Reshape targets) are
// evaluated once per distinct set of input shapes. The context is checked
// between nodes.
//
// Returned tensors belong to the caller; inputs are never modified. Run must
// not be called concurrently on one Program.
func (p *Program) Run(ctx context.Context, inputs map[string]*Tensor, want []string) (map[string]*Tensor, error) {
	if len(want) == 0 {
		want = p.outputs
	}
	pl, err := p.planFor(want)
	if err != nil {
		return nil, err
	}
	// Only the latest run's outputs can be recycled; forgetting older ones
	// keeps this map from pinning buffers the caller has dropped.
	clear(p.lent)
	env, key, err := p.bindInputs(inputs)
	if err != nil {
		return nil, err
	}
	for len(p.ws) < runtime.GOMAXPROCS(0) {
		p.ws = append(p.ws, &workspace{})
	}
	defer p.ar.setRun(ctx, p.budget)()
	for _, w := range p.ws {
		w.ar = &p.ar
	}
	r := &run{p: p, pl: pl, inputs: inputs, env: env, cached: p.shapeResults(key),
		rc: &runCtx{ar: &p.ar, ws: p.ws[:runtime.GOMAXPROCS(0)]}}
	for i, nd := range p.nodes {
		if !pl.run[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			r.releaseAll(nil)
			return nil, err
		}
		if err := r.node(ctx, i, nd); err != nil {
			r.releaseAll(nil)
			return nil, err
		}
	}
	return r.outputs(want)
}

// bindInputs checks the caller's inputs (or the model's defaults) against
// the graph inputs and returns them as the run's first tensors, with a key
// of their types and shapes for the shape cache.
func (p *Program) bindInputs(inputs map[string]*Tensor) (map[string]*Tensor, string, error) {
	env := make(map[string]*Tensor, len(p.inputs)+8)
	var key strings.Builder
	for _, s := range p.inputs {
		t, ok := inputs[s.name]
		if !ok || t == nil {
			t = p.defaults[s.name]
		}
		if t == nil {
			return nil, "", fmt.Errorf("missing graph input %q", s.name)
		}
		if err := s.check(t); err != nil {
			return nil, "", err
		}
		env[s.name] = t
		key.WriteString(t.DType.String())
		key.WriteString(shapeString(t.Shape))
		key.WriteByte(';')
	}
	for name := range inputs {
		found := false
		for _, s := range p.inputs {
			found = found || s.name == name
		}
		if !found {
			return nil, "", fmt.Errorf("unknown graph input %q (the model takes %v)", name, p.InputNames())
		}
	}
	return env, key.String(), nil
}

// shapeResults returns the cache of shape-only node results for the input
// types and shapes key (at most 16 keys are kept).
func (p *Program) shapeResults(key string) map[string]*Tensor {
	cached := p.shapeCache[key]
	if cached == nil {
		if len(p.shapeCache) >= 16 {
			clear(p.shapeCache)
		}
		cached = make(map[string]*Tensor)
		p.shapeCache[key] = cached
	}
	return cached
}

// run is the state of one Program.Run: the live tensors by name.
type run struct {
	p      *Program
	pl     *plan
	rc     *runCtx
	inputs map[string]*Tensor
	env    map[string]*Tensor
	cached map[string]*Tensor // shape-only results for these input shapes
}

func (r *run) lookup(name string) *Tensor {
	if t, ok := r.env[name]; ok {
		return t
	}
	return r.p.consts[name]
}

// releaseAll returns every live tensor's buffer except the caller's inputs
// and those in keep.
func (r *run) releaseAll(keep map[string]bool) {
	for name, t := range r.env {
		if _, isInput := r.inputs[name]; !isInput && !keep[name] {
			r.rc.ar.release(t)
		}
	}
}

// node runs node i (or takes its cached shape results, or skips a fused
// Relu), then frees the tensors whose last reader it was.
func (r *run) node(ctx context.Context, i int, nd *node) error {
	p, pl, env := r.p, r.pl, r.env
	hit := nd.static
	for _, o := range nd.outputs {
		if _, ok := r.cached[o]; hit && o != "" && !ok {
			hit = false // not computed yet for these input shapes
		}
	}
	switch {
	case pl.absorbed[i]:
		// A Relu fused into the node producing its input.
	case hit:
		for _, o := range nd.outputs {
			if t, ok := r.cached[o]; ok {
				env[o] = t
				p.observed(o, t)
			}
		}
	default:
		r.rc.fuseRelu = pl.fusedOut[i] != ""
		outs, err := p.runNode(ctx, r.rc, nd, nil, r.lookup)
		r.rc.fuseRelu = false
		if err != nil {
			return err
		}
		if pl.fusedOut[i] != "" && len(outs) == 1 {
			env[pl.fusedOut[i]] = outs[0]
			p.observed(nd.outputs[0], outs[0]) // a Relu keeps the shape
			p.observed(pl.fusedOut[i], outs[0])
			break
		}
		for j, o := range nd.outputs {
			if o == "" || j >= len(outs) || outs[j] == nil {
				continue
			}
			p.observed(o, outs[j])
			if nd.static {
				detach(outs[j])
				r.cached[o] = outs[j]
			}
			env[o] = outs[j]
		}
	}
	for _, name := range pl.release[i] {
		if t, ok := env[name]; ok {
			if _, isInput := r.inputs[name]; !isInput {
				r.rc.ar.release(t)
			}
			delete(env, name)
		}
	}
	return nil
}

// outputs hands out the requested tensors after the last node.
func (r *run) outputs(want []string) (map[string]*Tensor, error) {
	p := r.p
	wantSet := make(map[string]bool, len(want))
	for _, w := range want {
		wantSet[w] = true
	}
	// Release what the caller did not ask for first, so that a requested
	// tensor whose buffer nothing else shares can be lent out (see Recycle).
	r.releaseAll(wantSet)
	out := make(map[string]*Tensor, len(want))
	for _, w := range want {
		t := r.lookup(w)
		if t == nil {
			return nil, fmt.Errorf("tensor %q was not computed", w)
		}
		if t.buf != nil && t.buf.refs == 1 && len(t.F) > 0 {
			if p.lent == nil {
				p.lent = make(map[*float32]int)
			}
			p.lent[&t.F[0]] = len(t.F)
		}
		detach(t)
		_, isConst := p.consts[w]
		isConst = isConst || (p.defaults[w] != nil && p.defaults[w] == t)
		if pi, ok := p.produce[w]; isConst || (ok && p.nodeStatic(pi)) {
			// Constants and cached shape results are shared between runs:
			// hand out a copy the caller may modify.
			t = t.Clone()
		}
		out[w] = t
	}
	return out, nil
}

// Recycle hands the buffers of tensors returned by the latest Run back to
// the Program for reuse by later runs, sparing the garbage collector when
// large tensors are hooked batch after batch. Only buffers the Program itself
// allocated and lent out in that run are taken; anything else (inputs,
// copies, tensors from earlier runs, tensors already recycled) is ignored.
// The caller must not use the tensors afterwards: their data slices are set
// to nil.
func (p *Program) Recycle(ts map[string]*Tensor) {
	for _, t := range ts {
		if t == nil || len(t.F) == 0 {
			continue
		}
		key := &t.F[0]
		if n, ok := p.lent[key]; ok && n == len(t.F) {
			delete(p.lent, key)
			b := &buffer{refs: 1, data: t.F}
			p.ar.release(&Tensor{F: t.F, buf: b})
			t.F = nil
		}
	}
}

// runNode gathers a node's inputs and runs its kernel, wrapping errors with
// the node's name and op.
func (p *Program) runNode(ctx context.Context, rc *runCtx, nd *node, env map[string]*Tensor, lookup ...func(string) *Tensor) (outs []*Tensor, err error) {
	defer func() {
		// Kernels validate their inputs; a panic here is a bug, but a model
		// is untrusted data, so report it as an error naming the node.
		// An abort is a kernel stopping for the budget or the context.
		if r := recover(); r != nil {
			if ab, ok := r.(abort); ok {
				if me, ok := ab.err.(*MemoryError); ok {
					me.Node, me.Op = nd.name, nd.op
					outs, err = nil, me
					return
				}
				outs, err = nil, fmt.Errorf("node %q (%s): %w", nd.name, nd.op, ab.err)
				return
			}
			outs, err = nil, fmt.Errorf("node %q (%s, opset %d): internal error: %v", nd.name, nd.op, p.opset, r)
		}
	}()
	get := func(name string) *Tensor { return env[name] }
	if len(lookup) > 0 {
		get = lookup[0]
	}
	in := make([]*Tensor, max(len(nd.inputs), nd.nin))
	for j, name := range nd.inputs {
		if name == "" {
			continue
		}
		t := get(name)
		if t == nil {
			return nil, fmt.Errorf("node %q (%s): input %q is not available", nd.name, nd.op, name)
		}
		in[j] = t
	}
	outs, err = nd.run(rc, in)
	if err != nil {
		return nil, fmt.Errorf("node %q (%s, opset %d): %w", nd.name, nd.op, p.opset, err)
	}
	return outs, nil
}

// check verifies t against the declared input type and shape.
func (s inputSpec) check(t *Tensor) error {
	if t.DType != s.dtype {
		return fmt.Errorf("input %q: got %s data, the model expects %s", s.name, t.DType, s.dtype)
	}
	n := numel(t.Shape)
	if (t.DType == Float32 && len(t.F) != n) || (t.DType == Int64 && len(t.I) != n) {
		return fmt.Errorf("input %q: shape %s needs %d values, have %d", s.name, shapeString(t.Shape), n, len(t.F)+len(t.I))
	}
	if !s.known {
		return nil
	}
	ok := len(t.Shape) == len(s.dims)
	for i := 0; ok && i < len(s.dims); i++ {
		ok = s.dims[i] < 0 || int64(t.Shape[i]) == s.dims[i]
	}
	if !ok {
		return fmt.Errorf("input %q: got shape %s, the model expects %s", s.name, shapeString(t.Shape), s.shapeString())
	}
	return nil
}

func (s inputSpec) shapeString() string {
	parts := make([]string, len(s.dims))
	for i, d := range s.dims {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// InputShape returns the declared shape of graph input name, −1 for dynamic
// dimensions (nil when undeclared or unknown).
func (p *Program) InputShape(name string) []int64 {
	for _, s := range p.inputs {
		if s.name == name && s.known {
			return append([]int64(nil), s.dims...)
		}
	}
	return nil
}

// Resolve maps a hook name to a tensor name: a tensor of the model (graph
// input, initializer or node output) is returned as is; otherwise a node
// name resolves to the node's first output. Unknown names are an error that
// lists how to find valid ones.
func (p *Program) Resolve(name string) (string, error) {
	if p.HasTensor(name) {
		return name, nil
	}
	for i, np := range p.model.Nodes {
		nn := np.Name()
		if nn == "" {
			nn = fmt.Sprintf("#%d %s", i, np.OpType())
		}
		if nn == name {
			for _, o := range np.Outputs() {
				if o != "" {
					return o, nil
				}
			}
		}
	}
	return "", fmt.Errorf("no tensor or node named %q in the model (use the names `layers` prints)", name)
}

// TensorNames returns every tensor Run can return, in graph order: graph
// inputs, then node outputs (initializers are left out).
func (p *Program) TensorNames() []string {
	out := p.InputNames()
	for _, np := range p.model.Nodes {
		for _, o := range np.Outputs() {
			if o != "" {
				out = append(out, o)
			}
		}
	}
	return out
}

// nodeStatic reports whether the node at model index i is a shape-only node.
func (p *Program) nodeStatic(i int) bool {
	for _, nd := range p.nodes {
		if nd.index == i {
			return nd.static
		}
	}
	return false
}

// FreeBuffers drops the buffers and scratch space the Program keeps for
// reuse between runs (they are rebuilt on demand by later runs).
func (p *Program) FreeBuffers() {
	p.ar.free, p.ar.pooled = nil, 0
	for i := range p.ws {
		p.ws[i] = &workspace{}
	}
	clear(p.lent)
}

// foldNeeded marks the nodes of m worth folding at Prepare: those whose
// inputs are all constants (initializers or outputs of other such nodes) and
// whose outputs something depends on, a graph output or a node that is not
// constant. A constant node that nothing uses is left to run only when its
// output is requested, so that an unused hostile subgraph costs nothing.
func foldNeeded(m *onnxio.Model, consts map[string]*Tensor) []bool {
	isConst := make(map[string]bool, len(consts))
	for name := range consts {
		isConst[name] = true
	}
	constNode := make([]bool, len(m.Nodes))
	for i, np := range m.Nodes {
		c := true
		for _, in := range np.Inputs() {
			if in != "" && !isConst[in] {
				c = false
				break
			}
		}
		constNode[i] = c
		if c {
			for _, o := range np.Outputs() {
				if o != "" {
					isConst[o] = true
				}
			}
		}
	}
	needed := make(map[string]bool)
	for _, vi := range m.Outputs {
		needed[vi.Name()] = true
	}
	fold := make([]bool, len(m.Nodes))
	for i := len(m.Nodes) - 1; i >= 0; i-- {
		np := m.Nodes[i]
		use := !constNode[i]
		for _, o := range np.Outputs() {
			use = use || (o != "" && needed[o])
		}
		if !use {
			continue
		}
		fold[i] = constNode[i]
		for _, in := range np.Inputs() {
			if in != "" {
				needed[in] = true
			}
		}
	}
	return fold
}

// dropFolded frees the folded constants among names that only other folded
// nodes read: no node left to run and no graph output needs them. They are
// no longer tensors of the Program (HasTensor is false), as nothing could
// compute them again.
func (p *Program) dropFolded(names []string) {
	needed := make(map[string]bool)
	for _, o := range p.outputs {
		needed[o] = true
	}
	for _, nd := range p.nodes {
		for _, in := range nd.inputs {
			needed[in] = true
		}
	}
	for _, name := range names {
		if !needed[name] {
			delete(p.consts, name)
			delete(p.produce, name)
		}
	}
}
