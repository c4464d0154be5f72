// Package probe runs ONNX models over datasets and captures the tensors a
// user picks (Collect), then analyses them for place, grid and concept cells.
package probe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxpb"
)

// DefaultBatchSize is the number of samples Collect runs at once when
// CollectOptions.BatchSize is zero.
const DefaultBatchSize = 256

// MaxOutputUnits bounds the values per sample of a graph output that
// Collect keeps in Activations.Output (a classifier's scores are far fewer);
// a larger output, such as a decoder's image, is computed but not kept.
const MaxOutputUnits = 4096

// Reductions accepted by CollectOptions.Reduce.
const (
	// ReduceNone keeps every value of a sample: units = C×H×W (flattened in C
	// order, as numpy's reshape(N, -1) does).
	ReduceNone = "none"
	// ReduceSpatialMean keeps one value per channel: the mean over every
	// axis after the channel axis (H×W), so units = C. Tensors of rank 2
	// ([N, C]) are kept as they are.
	ReduceSpatialMean = "spatial-mean"
)

// CollectOptions configure Collect. The zero value hooks nothing and is not
// valid: name at least one tensor in Hooks.
type CollectOptions struct {
	// Hooks names the tensors to capture, each either a tensor name (as
	// `conceptcells layers` prints it, e.g. "/Relu_2_output_0") or a node
	// name (e.g. "/Relu_2", or "#3 Relu" for an unnamed node), which
	// stands for the node's first output. A graph input may be hooked too.
	Hooks []string
	// BatchSize is the number of samples run at once (DefaultBatchSize when
	// zero). Models whose input declares a fixed batch size run in batches
	// of that size instead.
	BatchSize int
	// Reduce is "" or ReduceNone (keep C×H×W values per sample) or
	// ReduceSpatialMean (one value per channel).
	Reduce string
	// Limit, when positive, uses only the first Limit samples.
	Limit int
	// SkipOutput leaves the model's graph output out: Activations.Output,
	// Predictions and Accuracy stay empty, and only the nodes the hooks need
	// are run.
	SkipOutput bool
	// Progress, when not nil, is called after each batch with the number of
	// samples done so far and the total.
	Progress func(done, total int)
	// MaxBytes bounds the memory of the collected matrices (all hooks and
	// the output together); DefaultMaxBytes when zero. Going over it is an
	// error after the first batch, before the matrices are allocated.
	MaxBytes int64
	// MaxMemory is the executor's memory budget (engine.Options.MaxMemory:
	// 0 = engine.DefaultMaxMemory, negative = none).
	MaxMemory int64
}

// DefaultMaxBytes is the default CollectOptions.MaxBytes: 4 GiB.
const DefaultMaxBytes int64 = 4 << 30

// Activation is one captured tensor: an N×Units matrix in row-major order,
// row i holding sample i's values.
type Activation struct {
	// Name is the tensor name; Hook is how it was asked for (the tensor
	// name or a node name); Node and Op are the node that produces it
	// (empty for a graph input).
	Name, Hook, Node, Op string
	// Shape is the tensor's shape for one sample, without the batch axis,
	// before any reduction (e.g. [20 4 4]).
	Shape []int
	// Reduce is the reduction applied ("none" or "spatial-mean").
	Reduce string
	// N is the number of samples and Units the values per sample.
	N, Units int
	// Data holds N×Units values.
	Data []float32
	// NaN and Inf count the non-finite values captured (before reduction).
	NaN, Inf int
}

// Row returns sample i's values (aliasing Data).
func (a *Activation) Row(i int) []float32 { return a.Data[i*a.Units : (i+1)*a.Units] }

// Activations is the result of Collect.
type Activations struct {
	// N is the number of samples run.
	N int
	// Tensors holds one Activation per distinct hooked tensor, in the order
	// of CollectOptions.Hooks.
	Tensors []*Activation
	// Output is the model's first graph output as an N×Units matrix (nil
	// with SkipOutput, when it has no batch axis, or when it has more than
	// MaxOutputUnits values per sample).
	Output *Activation
	// Predictions is the argmax of Output per sample when Output is a
	// vector of two or more scores per sample (logits, probabilities or log
	// probabilities); else nil.
	Predictions []int
	// Labels are the dataset's labels for the samples run (nil if none).
	Labels []int
	// Accuracy is the fraction of samples whose prediction equals the
	// label, or NaN when there are no predictions or no labels.
	Accuracy float64
	// InputShape is the shape of one batch fed to the model, with the
	// batch axis set to -1.
	InputShape []int
	// Warnings are data conditions worth reporting, such as NaN or Inf
	// values in a captured tensor (with counts).
	Warnings []string

	byHook map[string]*Activation // every hook as given → its activation
}

// Tensor returns the activation captured for a tensor or node name, or nil.
func (a *Activations) Tensor(name string) *Activation {
	if t, ok := a.byHook[name]; ok {
		return t
	}
	for _, t := range a.Tensors {
		if t.Name == name || t.Hook == name {
			return t
		}
	}
	return nil
}

// Collect runs every sample of data through model and returns the hooked
// tensors as N×units float32 matrices, plus the model's output and its
// argmax predictions.
//
// The dataset is streamed in batches of opts.BatchSize samples; only the
// hooked tensors and the graph output are copied out of each batch, and the
// executor frees every other intermediate as soon as its last reader has
// run, so hooking an early tensor of a large model costs the memory of that
// tensor plus the largest live intermediates of one batch.
//
// Errors: an empty dataset, a hook naming no tensor or node, a dataset whose
// samples do not fit the model's declared input (the message gives both
// shapes), an operator the executor does not support (onnxio.UnsupportedError,
// raised before any batch runs), and ctx's error when ctx is cancelled
// (checked before every batch and by the executor between nodes).
func Collect(ctx context.Context, model *onnxio.Model, data *dataset.Set, opts CollectOptions) (*Activations, error) {
	if model == nil || model.Graph == nil {
		return nil, errors.New("collect: no model")
	}
	if data == nil {
		return nil, errors.New("collect: no dataset")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	batch := opts.BatchSize
	if batch == 0 {
		batch = DefaultBatchSize
	}
	if batch < 0 {
		return nil, fmt.Errorf("collect: batch size %d: must be positive", batch)
	}
	reduce := opts.Reduce
	switch reduce {
	case "":
		reduce = ReduceNone
	case ReduceNone, ReduceSpatialMean:
	default:
		return nil, fmt.Errorf("collect: reduce %q: want %q or %q", opts.Reduce, ReduceNone, ReduceSpatialMean)
	}
	if len(opts.Hooks) == 0 {
		return nil, errors.New("collect: no tensors to hook (name at least one tensor or node)")
	}
	if opts.Limit < 0 {
		return nil, fmt.Errorf("collect: limit %d: must not be negative", opts.Limit)
	}
	maxBytes := opts.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}

	n := data.N
	if opts.Limit > 0 && opts.Limit < n {
		n = opts.Limit
	}
	if n == 0 || len(data.X) == 0 {
		return nil, fmt.Errorf("collect: dataset %s is empty: no samples to run", data.Name)
	}
	per := data.SampleSize()
	if per <= 0 || len(data.X) < n*per || (data.Labels != nil && len(data.Labels) < n) {
		return nil, fmt.Errorf("collect: dataset %s is inconsistent: %d samples of %v but %d values and %d labels", data.Name, data.N, data.Shape, len(data.X), len(data.Labels))
	}

	g := newGraphIndex(model)
	in, err := g.input()
	if err != nil {
		return nil, err
	}
	feedShape, fixedBatch, err := fitInput(model, in, data)
	if err != nil {
		return nil, err
	}
	if fixedBatch > 0 {
		batch = fixedBatch
	}
	inName := in.GetName()

	// Resolve hooks to distinct tensors, in the order given.
	var acts []*Activation
	seen := map[string]bool{}
	byHook := map[string]*Activation{}
	byName := map[string]*Activation{}
	for _, h := range opts.Hooks {
		a, err := g.resolve(h)
		if err != nil {
			return nil, err
		}
		if seen[a.Name] {
			byHook[h] = byName[a.Name]
			continue
		}
		seen[a.Name] = true
		a.Reduce = reduce
		acts = append(acts, a)
		byHook[h], byName[a.Name] = a, a
	}
	outName := ""
	if !opts.SkipOutput && len(model.Outputs) > 0 {
		outName = model.Outputs[0].GetName()
	}
	fetch := make([]string, 0, len(acts)+1)
	for _, a := range acts {
		fetch = append(fetch, a.Name)
	}
	if outName != "" && !seen[outName] {
		fetch = append(fetch, outName)
	}

	prog, err := engine.PrepareContext(ctx, model, engine.Options{MaxMemory: opts.MaxMemory})
	if err != nil {
		return nil, err
	}
	// Refuse a plan that cannot fit before the first batch runs.
	planShape := append([]int{min(batch, n)}, feedShape...)
	if fixedBatch > 0 {
		planShape[0] = fixedBatch
	}
	if err := prog.CheckPlan(map[string][]int{inName: planShape}, fetch); err != nil {
		return nil, err
	}

	res := &Activations{N: n, Tensors: acts, Accuracy: math.NaN(), InputShape: append([]int{-1}, feedShape...), byHook: byHook}
	if data.Labels != nil {
		res.Labels = append([]int(nil), data.Labels[:n]...)
	}
	var out *Activation
	if outName != "" {
		out = &Activation{Name: outName, Hook: outName, Reduce: ReduceNone}
		if nd := g.producer[outName]; nd != nil {
			out.Node, out.Op = nd.GetName(), nd.GetOpType()
		}
	}

	feed := make([]int, 1+len(feedShape))
	copy(feed[1:], feedShape)
	var pad []float32 // zero-padded last batch for fixed-batch models
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := min(batch, n-start)
		x := data.X[start*per : (start+b)*per]
		rows := b
		if fixedBatch > 0 && b < fixedBatch {
			if pad == nil {
				pad = make([]float32, fixedBatch*per)
			}
			clear(pad)
			copy(pad, x)
			x, rows = pad, fixedBatch
		}
		feed[0] = rows
		outs, err := prog.Run(ctx, map[string]*engine.Tensor{inName: engine.NewFloat(feed, x)}, fetch)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return nil, ctxErr
			}
			return nil, fmt.Errorf("collect: samples %d–%d: %w", start, start+b-1, err)
		}
		if start == 0 {
			if err := checkMemory(acts, outs, n, reduce, maxBytes); err != nil {
				return nil, err
			}
		}
		for _, a := range acts {
			if err := a.take(outs[a.Name], start, b, rows, n); err != nil {
				return nil, err
			}
		}
		if out != nil {
			t := outs[outName]
			if t != nil && t.DType == engine.Float32 && len(t.Shape) >= 1 && t.Shape[0] == rows && t.Len() <= rows*MaxOutputUnits {
				if err := out.take(t, start, b, rows, n); err != nil {
					return nil, err
				}
			} else {
				out = nil
			}
		}
		if opts.Progress != nil {
			opts.Progress(start+b, n)
		}
	}

	for _, a := range acts {
		if w := a.warning(); w != "" {
			res.Warnings = append(res.Warnings, w)
		}
	}
	if out != nil {
		if w := out.warning(); w != "" && !seen[outName] {
			res.Warnings = append(res.Warnings, w)
		}
		res.Output = out
		if len(out.Shape) == 1 && out.Units >= 2 {
			res.Predictions = argmaxRows(out.Data, out.N, out.Units)
		}
		if res.Predictions != nil && res.Labels != nil {
			correct := 0
			for i, p := range res.Predictions {
				if p == res.Labels[i] {
					correct++
				}
			}
			res.Accuracy = float64(correct) / float64(n)
		}
	}
	return res, nil
}

// checkMemory refuses to collect more than maxBytes of matrices: N samples
// times the units of every hooked tensor, as the first batch shows them.
func checkMemory(acts []*Activation, outs map[string]*engine.Tensor, n int, reduce string, maxBytes int64) error {
	var total int64
	var big string
	var bigBytes int64
	for _, a := range acts {
		t := outs[a.Name]
		if t == nil || len(t.Shape) == 0 {
			continue // take reports it
		}
		units := int64(1)
		for _, d := range t.Shape[1:] {
			units *= int64(d)
		}
		if reduce == ReduceSpatialMean && len(t.Shape) >= 3 {
			units = int64(t.Shape[1])
		}
		b := units * int64(n) * 4
		total += b
		if b > bigBytes {
			big, bigBytes = a.Name, b
		}
	}
	if total > maxBytes {
		return fmt.Errorf("collect: the hooked tensors need %s for %d samples (largest %q, %s), over the %s limit: hook fewer or smaller tensors, use spatial-mean reduction, or fewer samples",
			humanBytes(total), n, big, humanBytes(bigBytes), humanBytes(maxBytes))
	}
	return nil
}

// humanBytes formats a byte count in decimal units, e.g. "16.4 MB".
func humanBytes(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(b)/1e6)
	case b >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(b)/1e3)
	}
	return fmt.Sprintf("%d B", b)
}

// take copies (and reduces) rows [0,b) of batch tensor t, whose batch axis
// has rows entries, into rows [start, start+b) of a. The matrix is
// allocated on the first batch, when the per-sample shape is known.
func (a *Activation) take(t *engine.Tensor, start, b, rows, n int) error {
	if t == nil {
		return fmt.Errorf("collect: tensor %q was not computed", a.Name)
	}
	if t.DType != engine.Float32 {
		return fmt.Errorf("collect: tensor %q is %s: only float tensors can be hooked", a.Name, t.DType)
	}
	if len(t.Shape) == 0 || t.Shape[0] != rows {
		return fmt.Errorf("collect: tensor %q has shape %v: want a batch axis of %d first (the tensor does not vary per sample)", a.Name, t.Shape, rows)
	}
	per := 1
	for _, d := range t.Shape[1:] {
		per *= d
	}
	if a.Data == nil {
		a.Shape = append([]int(nil), t.Shape[1:]...)
		a.N = n
		a.Units = per
		if a.Reduce == ReduceSpatialMean && len(a.Shape) >= 2 {
			a.Units = a.Shape[0]
			if per == 0 && a.Units > 0 {
				// 0/0 would give NaN means without a NaN counted.
				return fmt.Errorf("collect: tensor %q of shape %v has an empty spatial map: no spatial mean", a.Name, a.Shape)
			}
		}
		a.Data = make([]float32, n*a.Units)
	} else if !slices.Equal(a.Shape, t.Shape[1:]) {
		return fmt.Errorf("collect: tensor %q changed shape between batches: %v then %v", a.Name, a.Shape, t.Shape[1:])
	}
	src := t.F[:b*per]
	for _, v := range src {
		if v != v {
			a.NaN++
		} else if v > math.MaxFloat32 || v < -math.MaxFloat32 {
			a.Inf++
		}
	}
	dst := a.Data[start*a.Units : (start+b)*a.Units]
	if a.Units == per {
		copy(dst, src)
		return nil
	}
	// Spatial mean: per sample and channel, the mean over the trailing axes.
	c := a.Units
	hw := per / c
	inv := 1 / float64(hw)
	for i := range b * c {
		var s float64
		for _, v := range src[i*hw : (i+1)*hw] {
			s += float64(v)
		}
		dst[i] = float32(s * inv)
	}
	return nil
}

// warning describes the non-finite values captured, or returns "".
func (a *Activation) warning() string {
	if a.NaN == 0 && a.Inf == 0 {
		return ""
	}
	total := a.N
	for _, d := range a.Shape {
		total *= d
	}
	return fmt.Sprintf("tensor %q: %d NaN and %d Inf among %d values (%d samples × %v)", a.Name, a.NaN, a.Inf, total, a.N, a.Shape)
}

func argmaxRows(x []float32, n, k int) []int {
	p := make([]int, n)
	for i := range n {
		row := x[i*k : (i+1)*k]
		best := 0
		for j, v := range row {
			if v > row[best] || (row[best] != row[best] && v == v) {
				best = j
			}
		}
		p[i] = best
	}
	return p
}

// graphIndex maps tensor and node names of a model's main graph.
type graphIndex struct {
	m        *onnxio.Model
	producer map[string]*onnxpb.NodeProto // tensor name → node that outputs it
	nodes    map[string]*onnxpb.NodeProto // node name → node
	order    []string                     // every hookable tensor name, in graph order
}

func newGraphIndex(m *onnxio.Model) *graphIndex {
	x := &graphIndex{m: m, producer: map[string]*onnxpb.NodeProto{}, nodes: map[string]*onnxpb.NodeProto{}}
	for _, vi := range m.Inputs {
		x.order = append(x.order, vi.GetName())
	}
	for i, nd := range m.Nodes {
		// Unnamed nodes go by "#i OpType", as `layers` and errors name them.
		label := onnxio.NodeLabel(nd, i)
		if _, dup := x.nodes[label]; !dup {
			x.nodes[label] = nd
		}
		for _, o := range nd.Output {
			if o != "" {
				x.producer[o] = nd
				x.order = append(x.order, o)
			}
		}
	}
	return x
}

// input returns the model's single data input.
func (g *graphIndex) input() (*onnxpb.ValueInfoProto, error) {
	if len(g.m.Inputs) != 1 {
		names := make([]string, len(g.m.Inputs))
		for i, vi := range g.m.Inputs {
			names[i] = vi.GetName()
		}
		return nil, fmt.Errorf("collect: model %s has %d graph inputs %q: only models with one data input can be run over a dataset", modelName(g.m), len(names), names)
	}
	return g.m.Inputs[0], nil
}

// resolve turns a hook (tensor or node name) into an empty Activation.
func (g *graphIndex) resolve(hook string) (*Activation, error) {
	if nd, ok := g.producer[hook]; ok {
		return &Activation{Name: hook, Hook: hook, Node: nd.GetName(), Op: nd.GetOpType()}, nil
	}
	for _, vi := range g.m.Inputs {
		if vi.GetName() == hook {
			return &Activation{Name: hook, Hook: hook}, nil
		}
	}
	if nd, ok := g.nodes[hook]; ok {
		if len(nd.Output) == 0 || nd.Output[0] == "" {
			return nil, fmt.Errorf("collect: hook %q: node has no output", hook)
		}
		return &Activation{Name: nd.Output[0], Hook: hook, Node: nd.GetName(), Op: nd.GetOpType()}, nil
	}
	if _, ok := g.m.Initializers[hook]; ok {
		return nil, fmt.Errorf("collect: hook %q is an initializer (a weight), not an activation", hook)
	}
	return nil, fmt.Errorf("collect: hook %q: no tensor or node of that name in model %s (`conceptcells layers` lists them; e.g. %s)", hook, modelName(g.m), g.examples(hook))
}

// examples lists a few hookable tensor names, the closest to hook first.
func (g *graphIndex) examples(hook string) string {
	names := append([]string(nil), g.order...)
	low := strings.ToLower(hook)
	sort.SliceStable(names, func(i, j int) bool {
		return strings.Contains(strings.ToLower(names[i]), low) && !strings.Contains(strings.ToLower(names[j]), low)
	})
	if len(names) > 5 {
		names = names[:5]
	}
	q := make([]string, len(names))
	for i, s := range names {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

func modelName(m *onnxio.Model) string {
	if m.Path != "" {
		return m.Path
	}
	return "(in memory)"
}

// fitInput checks that samples of data fit the model's declared input and
// returns the per-sample shape to feed (the data's, or the model's flat
// vector for an MLP fed images) and the model's fixed batch size (0 when
// the batch axis is dynamic).
func fitInput(m *onnxio.Model, in *onnxpb.ValueInfoProto, data *dataset.Set) (feed []int, fixedBatch int, err error) {
	sample := data.Shape
	if dt := onnxio.ValueDType(in); dt != onnxio.Undefined && !dt.IsFloat() {
		return nil, 0, fmt.Errorf("collect: model %s input %q is %s: only float inputs can be fed from a dataset", modelName(m), in.GetName(), dt)
	}
	dims, names, ok := onnxio.ValueShape(in)
	if !ok {
		return sample, 0, nil // no declared shape: the executor checks
	}
	mismatch := func() error {
		return fmt.Errorf("collect: input shape mismatch: model %s input %q expects %s, but dataset %s gives %s",
			modelName(m), in.GetName(), declared(dims, names), data.Name, declared(append([]int64{-1}, ints64(sample)...), []string{"N"}))
	}
	if len(dims) == 0 {
		return nil, 0, mismatch()
	}
	if dims[0] > 0 {
		fixedBatch = int(dims[0])
	}
	rest := dims[1:]
	if fits(rest, sample) {
		return sample, fixedBatch, nil
	}
	// A fully static input of the same size is fed as a reshape of the
	// data when it only adds or drops unit axes ([28,28] as [1,28,28]) or
	// flattens a sample ([1,28,28] as [784] for an MLP). Anything else (such
	// as HWC vs CHW) is an error rather than a silent reinterpretation.
	static, prod := true, 1
	for _, d := range rest {
		static = static && d > 0
		prod *= int(max(d, 0))
	}
	size := 1
	for _, d := range sample {
		size *= d
	}
	if static && prod == size {
		if len(rest) == 1 || slices.Equal(dropUnit(ints(rest)), dropUnit(sample)) {
			return ints(rest), fixedBatch, nil
		}
	}
	return nil, 0, mismatch()
}

// fits reports whether sample matches dims, where dims < 0 match anything.
func fits(dims []int64, sample []int) bool {
	if len(dims) != len(sample) {
		return false
	}
	for i, d := range dims {
		if d > 0 && int(d) != sample[i] {
			return false
		}
	}
	return true
}

func dropUnit(d []int) []int {
	out := []int{}
	for _, v := range d {
		if v != 1 {
			out = append(out, v)
		}
	}
	return out
}

func ints(d []int64) []int {
	out := make([]int, len(d))
	for i, v := range d {
		out[i] = int(v)
	}
	return out
}

func ints64(d []int) []int64 {
	out := make([]int64, len(d))
	for i, v := range d {
		out[i] = int64(v)
	}
	return out
}

// declared formats a declared input shape, e.g. "[batch,1,28,28]".
func declared(dims []int64, names []string) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		switch {
		case d >= 0:
			parts[i] = fmt.Sprint(d)
		case i < len(names) && names[i] != "":
			parts[i] = names[i]
		default:
			parts[i] = "?"
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}
