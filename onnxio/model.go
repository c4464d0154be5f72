package onnxio

import (
	"container/heap"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// MaxIRVersion is the newest ONNX IR version accepted. IR 11 only adds a
// float4 type (in the schema) and multi-device configuration (kept as an
// unknown field), neither of which changes a single-device graph.
const MaxIRVersion = 11

// MaxModelBytes bounds the size of a model file read by Load (the protobuf
// wire format cannot describe more than 2 GiB anyway).
const MaxModelBytes = 2 << 30

// Model is a decoded, validated ONNX model.
//
// Its graph is seen through read-only views (Node, ValueInfo, Tensor) built
// once when the model is loaded; the protobuf types stay inside onnxio. To
// write models, see package onnxbuild.
type Model struct {
	Path   string // file the model was loaded from; "" for Decode and DecodeIn
	Dir    string // folder external data is resolved against; "" for Decode
	SHA256 string // hex SHA-256 of the encoded model bytes

	IRVersion int64
	// Opsets maps each imported operator set domain to its version. The
	// default domain is the key "" (an import of "ai.onnx" is stored there).
	Opsets map[string]int64

	// ProducerName and ProducerVersion name the tool that wrote the file.
	ProducerName, ProducerVersion string
	// Metadata holds the model's metadata_props in file order.
	Metadata []KeyValue

	// Nodes holds the graph's nodes in topological order: every node comes
	// after the producers of its inputs. Among nodes whose inputs are ready,
	// file order is kept.
	Nodes []*Node
	// Initializers holds every initializer, decoded, by name.
	Initializers map[string]*Tensor
	// Inputs are the graph inputs that are not initializers: the tensors a
	// caller must feed.
	Inputs []*ValueInfo
	// Outputs are the graph outputs.
	Outputs []*ValueInfo
	// ValueInfos are the graph's value_info entries: types the file
	// declares for intermediate tensors (possibly none).
	ValueInfos []*ValueInfo

	proto    *onnxpb.ModelProto
	graph    *onnxpb.GraphProto
	producer map[string]int // tensor name → index in Nodes
	opts     LoadOptions
}

// LoadOptions changes how LoadWith reads a model.
type LoadOptions struct {
	// SkipExternalData checks every tensor's external data (location,
	// regular file inside the model's folder, declared length against the
	// file's size, no byte claimed by two tensors) without reading a byte
	// of it: such initializers keep their DType and Dims but no data
	// (Tensor.Unloaded). It is for inspecting a model (names, shapes,
	// parameter counts), whose memory then does not grow with the size of
	// its external files; a model loaded so cannot be run.
	SkipExternalData bool
	// MaxMemory bounds the bytes the model's decoded tensors (initializers
	// and tensor attributes) take in memory, counted in Tensor's types: 4
	// bytes an element for the float32 carriers, 8 for the others (int8,
	// uint8, int16, uint16 and bool are widened to int64, 8 times their
	// size in the file). Loading fails before a tensor that would pass it
	// is allocated. 0: no bound.
	MaxMemory int64
}

// Load reads, decodes and validates the model at path. External tensor data
// is resolved in the model's folder and read whole.
func Load(path string) (*Model, error) {
	return LoadWith(path, LoadOptions{})
}

// LoadWith is Load with options.
func LoadWith(path string, opts LoadOptions) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading model: %w", err)
	}
	if st.IsDir() {
		return nil, &FormatError{Stage: "reading model", File: path, Msg: "is a folder, not an ONNX file"}
	}
	if !st.Mode().IsRegular() {
		// Devices and pipes may never end (think /dev/zero).
		return nil, &FormatError{Stage: "reading model", File: path, Msg: "is not a regular file"}
	}
	if st.Size() > MaxModelBytes {
		return nil, &FormatError{Stage: "reading model", File: path, Msg: fmt.Sprintf("%d bytes, more than the 2 GiB a protobuf can hold", st.Size())}
	}
	data, err := fsutil.ReadRegular(path, MaxModelBytes)
	if err != nil {
		return nil, fmt.Errorf("reading model: %w", err)
	}
	m, err := decode(data, filepath.Dir(path), opts)
	if err != nil {
		setFile(err, path)
		return nil, err
	}
	m.Path = path
	return m, nil
}

// setFile names path in err when err is a FormatError without a file.
func setFile(err error, path string) {
	var fe *FormatError
	if errors.As(err, &fe) && fe.File == "" {
		fe.File = path
	}
}

// Decode decodes and validates a model held in memory. Models with external
// tensor data must be read with Load, which knows their folder, or with
// DecodeIn.
func Decode(data []byte) (*Model, error) {
	return decode(data, "", LoadOptions{})
}

// DecodeIn is Decode for a model whose external tensor data is resolved in
// folder dir, as Load resolves it beside the model's file.
func DecodeIn(data []byte, dir string) (*Model, error) {
	return decode(data, dir, LoadOptions{})
}

func decode(data []byte, dir string, opts LoadOptions) (*Model, error) {
	if len(data) == 0 {
		return nil, &FormatError{Stage: "parsing model", Msg: "empty input"}
	}
	mp := new(onnxpb.ModelProto)
	if err := proto.Unmarshal(data, mp); err != nil {
		// Strings that are not UTF-8 are valid ONNX (proto2): escape them
		// and decode again (see escapeStrings).
		fixed, changed := escapeStrings(data, mp.ProtoReflect().Descriptor(), 0)
		if !changed || proto.Unmarshal(fixed, mp) != nil {
			return nil, &FormatError{Stage: "parsing model", Msg: "not an ONNX protobuf", Err: err}
		}
	}
	m, err := fromProto(mp, dir, opts)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	m.SHA256 = hex.EncodeToString(sum[:])
	return m, nil
}

// fromProto validates mp and builds a Model from it, with external data
// resolved in dir (SHA256 stays empty). The model must satisfy:
//
//   - ir_version is set and at most MaxIRVersion; the graph is present;
//   - every operator domain used by a node has one opset import (IR ≥ 3;
//     older models default to opset 1);
//   - initializers decode (see decodeTensorProto: their data size matches
//     dims × element size) and names of inputs, initializers and node
//     outputs are each defined once;
//   - every node input is empty (an omitted optional input) or defined by a
//     graph input, an initializer or another node, and the nodes sort
//     topologically (no cycles);
//   - every graph output is defined.
func fromProto(mp *onnxpb.ModelProto, dir string, opts LoadOptions) (*Model, error) {
	if mp == nil {
		return nil, &FormatError{Msg: "no model"}
	}
	m := &Model{proto: mp, Dir: dir, IRVersion: mp.GetIrVersion(), graph: mp.GetGraph(), opts: opts,
		ProducerName: mp.GetProducerName(), ProducerVersion: mp.GetProducerVersion()}
	for _, kv := range mp.GetMetadataProps() {
		m.Metadata = append(m.Metadata, KeyValue{Key: kv.GetKey(), Value: kv.GetValue()})
	}
	switch {
	case m.IRVersion <= 0:
		return nil, &FormatError{Msg: fmt.Sprintf("ir_version %d: must be set (1..%d)", m.IRVersion, MaxIRVersion)}
	case m.IRVersion > MaxIRVersion:
		return nil, &UnsupportedError{Stage: "unsupported model", Msg: fmt.Sprintf("IR version %d (this build reads up to %d)", m.IRVersion, MaxIRVersion)}
	case m.graph == nil:
		return nil, &FormatError{Msg: "model has no graph"}
	}
	if err := m.readOpsets(); err != nil {
		return nil, err
	}
	if err := m.readGraph(); err != nil {
		return nil, err
	}
	return m, nil
}

// NormalizeDomain maps "ai.onnx" to "", the default domain.
func NormalizeDomain(d string) string {
	if d == "ai.onnx" {
		return ""
	}
	return d
}

func (m *Model) readOpsets() error {
	m.Opsets = make(map[string]int64)
	for _, op := range m.proto.GetOpsetImport() {
		d := NormalizeDomain(op.GetDomain())
		if op.GetVersion() <= 0 {
			return &FormatError{Msg: fmt.Sprintf("opset import of domain %q has version %d", op.GetDomain(), op.GetVersion())}
		}
		if v, ok := m.Opsets[d]; ok && v != op.GetVersion() {
			return &FormatError{Msg: fmt.Sprintf("domain %q imported twice, as opset %d and %d", op.GetDomain(), v, op.GetVersion())}
		}
		m.Opsets[d] = op.GetVersion()
	}
	if len(m.proto.GetOpsetImport()) == 0 && m.IRVersion < 3 {
		m.Opsets[""] = 1 // before IR 3 a model had no opset imports
	}
	return nil
}

// Opset returns the imported version of domain ("" or "ai.onnx" for the
// default domain), or 0 if it is not imported.
func (m *Model) Opset(domain string) int64 {
	return m.Opsets[NormalizeDomain(domain)]
}

func (m *Model) readGraph() error {
	g := m.graph
	if len(g.GetSparseInitializer()) > 0 {
		return &UnsupportedError{Stage: "unsupported model", Tensor: g.GetSparseInitializer()[0].GetValues().GetName(), Msg: "sparse initializers"}
	}
	defined := make(map[string]string) // name → what defines it
	ext := &externalSet{skipData: m.opts.SkipExternalData, budget: m.opts.MaxMemory}
	if err := m.readInitializers(defined, ext); err != nil {
		return err
	}
	if err := m.readInputs(defined); err != nil {
		return err
	}
	m.ValueInfos = newValueInfos(g.GetValueInfo())
	nodes := g.GetNode()
	producer, err := m.checkNodes(nodes, defined, ext)
	if err != nil {
		return err
	}
	deps, users, err := nodeDeps(nodes, defined, producer)
	if err != nil {
		return err
	}
	order, err := topoSort(nodes, deps, users)
	if err != nil {
		return err
	}
	m.Nodes = make([]*Node, len(order))
	m.producer = make(map[string]int, len(producer))
	for k, i := range order {
		m.Nodes[k] = newNode(nodes[i], k)
		for _, out := range nodes[i].GetOutput() {
			if out != "" {
				m.producer[out] = k
			}
		}
	}
	for _, vi := range g.GetOutput() {
		name := vi.GetName()
		if _, ok := defined[name]; ok {
			m.Outputs = append(m.Outputs, newValueInfo(vi))
			continue
		}
		if _, ok := producer[name]; !ok {
			return &FormatError{Tensor: name, Role: "graph output", Msg: "is not defined by a graph input, an initializer or a node"}
		}
		m.Outputs = append(m.Outputs, newValueInfo(vi))
	}
	return nil
}

// readInitializers decodes every initializer into m.Initializers and
// records it in defined.
func (m *Model) readInitializers(defined map[string]string, ext *externalSet) error {
	m.Initializers = make(map[string]*Tensor, len(m.graph.GetInitializer()))
	for _, tp := range m.graph.GetInitializer() {
		name := tp.GetName()
		if name == "" {
			return &FormatError{Msg: "initializer without a name"}
		}
		if _, dup := defined[name]; dup {
			return &FormatError{Tensor: name, Role: "initializer", Msg: "defined twice"}
		}
		t, err := decodeTensor(tp, m.Dir, ext)
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				return &FormatError{Tensor: name, Role: "initializer", Msg: fe.Msg, File: fe.File, Err: fe.Err}
			}
			return err
		}
		m.Initializers[name] = t
		defined[name] = "initializer"
	}
	return nil
}

// readInputs sets m.Inputs: the graph inputs a caller feeds (those with an
// initializer are defaults, unless one is the model's only input).
func (m *Model) readInputs(defined map[string]string) error {
	g := m.graph
	inputSeen := make(map[string]bool)
	var inputs, defaulted []*onnxpb.ValueInfoProto
	for _, vi := range g.GetInput() {
		name := vi.GetName()
		if name == "" {
			return &FormatError{Msg: "graph input without a name"}
		}
		if inputSeen[name] {
			return &FormatError{Tensor: name, Role: "graph input", Msg: "listed twice"}
		}
		inputSeen[name] = true
		if _, isInit := m.Initializers[name]; isInit {
			// An input with a default value: before IR 4 every
			// initializer was listed so; it stays a constant.
			defaulted = append(defaulted, vi)
			continue
		}
		defined[name] = "graph input"
		inputs = append(inputs, vi)
	}
	if m.IRVersion >= 4 && len(inputs) == 0 && len(defaulted) == 1 {
		// From IR 4 on, initializers need not be inputs, so an input that
		// has one is an input whose initializer is only a default; when
		// it is the model's only input it is the one to feed.
		inputs = defaulted
	}
	m.Inputs = newValueInfos(inputs)
	return nil
}

// checkNodes checks each node's op type, domain and attributes and that
// each output is defined once; it returns the producer of every output.
func (m *Model) checkNodes(nodes []*onnxpb.NodeProto, defined map[string]string, ext *externalSet) (map[string]int, error) {
	producer := make(map[string]int)
	for i, n := range nodes {
		label := nodeLabel(n, i)
		if n.GetOpType() == "" {
			return nil, &FormatError{Node: label, Msg: "node without op_type"}
		}
		d := NormalizeDomain(n.GetDomain())
		if _, ok := m.Opsets[d]; !ok {
			return nil, &FormatError{Node: label, Msg: fmt.Sprintf("domain %q of op %s has no opset import", n.GetDomain(), n.GetOpType())}
		}
		if err := checkAttributes(n, label, m.Dir, ext); err != nil {
			return nil, err
		}
		for _, out := range n.GetOutput() {
			if out == "" {
				continue // omitted optional output
			}
			if what, ok := defined[out]; ok {
				return nil, &FormatError{Node: label, Tensor: out, Role: "output", Msg: "already defined by " + what}
			}
			if j, ok := producer[out]; ok {
				return nil, &FormatError{Node: label, Tensor: out, Role: "output", Msg: fmt.Sprintf("already produced by node %q", nodeLabel(nodes[j], j))}
			}
			producer[out] = i
		}
	}
	return producer, nil
}

// nodeDeps returns, for each node, the nodes producing its inputs and the
// names its subgraphs read from this scope (deps), and the nodes using its
// outputs (users).
func nodeDeps(nodes []*onnxpb.NodeProto, defined map[string]string, producer map[string]int) (deps, users [][]int, err error) {
	deps = make([][]int, len(nodes))
	users = make([][]int, len(nodes))
	for i, n := range nodes {
		label := nodeLabel(n, i)
		need := func(name, role string) error {
			if name == "" {
				return nil
			}
			if _, ok := defined[name]; ok {
				return nil
			}
			j, ok := producer[name]
			if !ok {
				return &FormatError{Node: label, Tensor: name, Role: role, Msg: "is not defined by a graph input, an initializer or a node"}
			}
			if j == i {
				return &FormatError{Node: label, Tensor: name, Role: role, Msg: "is the node's own output (a cycle)"}
			}
			deps[i] = append(deps[i], j)
			users[j] = append(users[j], i)
			return nil
		}
		for _, in := range n.GetInput() {
			if err := need(in, "input"); err != nil {
				return nil, nil, err
			}
		}
		for _, a := range n.GetAttribute() {
			for _, sg := range append([]*onnxpb.GraphProto{a.GetG()}, a.GetGraphs()...) {
				if sg == nil {
					continue
				}
				for _, name := range freeNames(sg) {
					if err := need(name, "outer-scope tensor"); err != nil {
						return nil, nil, err
					}
				}
			}
		}
	}
	return deps, users, nil
}

// checkAttributes checks a node's attributes: named, unique, typed, no
// reference attributes outside functions, tensor values decodable (their
// external data checked but not read when ext.skipData is set, and their
// memory counted in ext's budget).
func checkAttributes(n *onnxpb.NodeProto, label, dir string, ext *externalSet) error {
	seen := make(map[string]bool)
	for _, a := range n.GetAttribute() {
		name := a.GetName()
		if name == "" {
			return &FormatError{Node: label, Msg: "attribute without a name"}
		}
		if seen[name] {
			return &FormatError{Node: label, Attr: name, Msg: "given twice"}
		}
		seen[name] = true
		if a.GetRefAttrName() != "" {
			return &FormatError{Node: label, Attr: name, Msg: "refers to a function attribute outside a function"}
		}
		typ := attrType(a)
		if _, ok := onnxpb.AttributeProto_AttributeType_name[int32(typ)]; !ok || typ == onnxpb.AttributeProto_UNDEFINED {
			return &FormatError{Node: label, Attr: name, Msg: fmt.Sprintf("unknown attribute type %d", a.GetType())}
		}
		for _, tp := range append([]*onnxpb.TensorProto{a.GetT()}, a.GetTensors()...) {
			if tp == nil {
				continue
			}
			// Each attribute tensor reads its external bytes on its own.
			own := &externalSet{skipData: ext.skipData, budget: ext.budget, used: ext.used}
			_, err := decodeTensor(tp, dir, own)
			ext.used = own.used
			if err != nil {
				var fe *FormatError
				if errors.As(err, &fe) {
					return &FormatError{Node: label, Attr: name, Msg: fe.Msg, File: fe.File, Err: fe.Err}
				}
				// Unsupported tensor types in attributes are the
				// executor's concern (it may never read them).
			}
		}
	}
	return nil
}

// freeNames returns the names a subgraph reads that it does not define
// itself (outer-scope references), including those of nested subgraphs.
func freeNames(g *onnxpb.GraphProto) []string {
	local := make(map[string]bool)
	for _, vi := range g.GetInput() {
		local[vi.GetName()] = true
	}
	for _, tp := range g.GetInitializer() {
		local[tp.GetName()] = true
	}
	for _, n := range g.GetNode() {
		for _, o := range n.GetOutput() {
			local[o] = true
		}
	}
	seen := make(map[string]bool)
	var free []string
	add := func(name string) {
		if name != "" && !local[name] && !seen[name] {
			seen[name] = true
			free = append(free, name)
		}
	}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			add(in)
		}
		for _, a := range n.GetAttribute() {
			for _, sg := range append([]*onnxpb.GraphProto{a.GetG()}, a.GetGraphs()...) {
				if sg != nil {
					for _, name := range freeNames(sg) {
						add(name)
					}
				}
			}
		}
	}
	for _, vi := range g.GetOutput() {
		add(vi.GetName())
	}
	return free
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// topoSort orders nodes by Kahn's algorithm, taking the lowest file index
// among ready nodes. A cycle is a FormatError naming its nodes.
func topoSort(nodes []*onnxpb.NodeProto, deps, users [][]int) ([]int, error) {
	pending := make([]int, len(nodes))
	ready := &intHeap{}
	for i := range nodes {
		pending[i] = len(deps[i])
		if pending[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	order := make([]int, 0, len(nodes))
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, u := range users[i] {
			pending[u]--
			if pending[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(order) == len(nodes) {
		return order, nil
	}
	// Walk unfinished dependencies from an unfinished node until a node
	// repeats: the repeated stretch is a cycle.
	start := -1
	for i := range nodes {
		if pending[i] > 0 {
			start = i
			break
		}
	}
	pos := make(map[int]int)
	var path []int
	for i := start; ; {
		if p, ok := pos[i]; ok {
			path = path[p:]
			break
		}
		pos[i] = len(path)
		path = append(path, i)
		next := -1
		for _, j := range deps[i] {
			if pending[j] > 0 {
				next = j
				break
			}
		}
		if next < 0 { // cannot happen: an unfinished node has an unfinished dependency
			break
		}
		i = next
	}
	// path follows dependencies backwards; reverse it into data-flow
	// order and start at the node listed first in the file.
	cyc := make([]int, len(path))
	first := 0
	for k, i := range path {
		cyc[len(path)-1-k] = i
	}
	for k, i := range cyc {
		if i < cyc[first] {
			first = k
		}
	}
	names := make([]string, 0, len(cyc)+1)
	for k := range cyc {
		i := cyc[(first+k)%len(cyc)]
		names = append(names, fmt.Sprintf("%q", nodeLabel(nodes[i], i)))
	}
	names = append(names, names[0])
	return nil, &FormatError{Msg: fmt.Sprintf("graph has a cycle through nodes %s (%d of %d nodes cannot be ordered)",
		strings.Join(names, " -> "), len(nodes)-len(order), len(nodes))}
}

// Producer returns the node producing tensor name and its index in Nodes,
// or nil and -1 for graph inputs, initializers and unknown names.
func (m *Model) Producer(name string) (*Node, int) {
	if i, ok := m.producer[name]; ok {
		return m.Nodes[i], i
	}
	return nil, -1
}
