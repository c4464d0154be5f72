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
)

// DefaultBatchSize is the number of samples Collect runs at once when
// CollectOptions.BatchSize is zero.
const DefaultBatchSize = 256

// MaxOutputUnits bounds the values per sample of a graph output that
// Collect keeps in Activations.Output (a classifier's scores are far fewer);
// a larger output, such as a decoder's image, is computed but not kept.
const MaxOutputUnits = 4096

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
	// Reduce is the reduction of every hooked tensor: "" or ReduceNone
	// (keep C×H×W values per sample), ReduceSpatialMean or ReduceSpatialMax
	// (one value per channel), ReduceTokenMean or ReduceCLS (one value per
	// feature of a token tensor), or ReduceAuto (chosen per tensor).
	Reduce string
	// MatchKind applies Reduce only to the tensors of its kind (spatial
	// modes to feature maps, token modes to token tensors; the others get
	// ReduceAuto's choice), as probe does. Without it Reduce applies to
	// every tensor as asked.
	MatchKind bool
	// LayerReduce maps a hook (as given in Hooks) to its own reduction,
	// used as asked.
	LayerReduce map[string]string
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
	// Reduce is the reduction applied: ReduceNone, ReduceSpatialMean,
	// ReduceSpatialMax, ReduceTokenMean or ReduceCLS.
	Reduce string
	// Layout is LayoutVector, LayoutChannels or LayoutTokens (see
	// TokenLayout), and LayoutWhy the reason.
	Layout, LayoutWhy string
	// N is the number of samples and Units the values per sample.
	N, Units int
	// Data holds N×Units values.
	Data []float32
	// NaN and Inf count the non-finite values captured (before reduction).
	NaN, Inf int

	explicit bool // Reduce was asked for this hook by name
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
	if model == nil {
		return nil, errors.New("collect: no model")
	}
	if data == nil {
		return nil, errors.New("collect: no dataset")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("collect: %w", err)
	}
	c, err := newCollection(ctx, model, data, opts.withDefaults())
	if err != nil {
		return nil, err
	}
	if err := c.runBatches(ctx); err != nil {
		return nil, err
	}
	return c.finish(), nil
}

// Validate reports the first option out of its range: a negative
// BatchSize or Limit, an unknown reduction in Reduce or LayerReduce, or no
// Hooks.
func (o *CollectOptions) Validate() error {
	if o.BatchSize < 0 {
		return fmt.Errorf("batch size %d: must be positive", o.BatchSize)
	}
	if o.Reduce != "" {
		if err := ValidReduce(o.Reduce); err != nil {
			return err
		}
	}
	for h, r := range o.LayerReduce {
		if err := ValidReduce(r); err != nil {
			return fmt.Errorf("%s: %w", h, err)
		}
	}
	if len(o.Hooks) == 0 {
		return errors.New("no tensors to hook (name at least one tensor or node)")
	}
	if o.Limit < 0 {
		return fmt.Errorf("limit %d: must not be negative", o.Limit)
	}
	return nil
}

// withDefaults fills in DefaultBatchSize, ReduceNone and DefaultMaxBytes
// for zero values.
func (o CollectOptions) withDefaults() CollectOptions {
	if o.BatchSize == 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.Reduce == "" {
		o.Reduce = ReduceNone
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	return o
}

// collection is one Collect between its steps: what to feed, what to
// fetch, and the matrices filled batch by batch.
type collection struct {
	o      CollectOptions // defaults filled in
	data   *dataset.Set
	n, per int // samples to run, values per sample
	prog   *engine.Program
	// inName is the graph input fed, feedShape its per-sample shape and
	// fixedBatch its declared batch size (0 when free).
	inName     string
	feedShape  []int
	fixedBatch int
	acts       []*Activation          // distinct hooked tensors, in hook order
	seen       map[string]bool        // names of the hooked tensors
	byHook     map[string]*Activation // every hook as given → its activation
	fetch      []string               // tensors to fetch from each batch
	outName    string                 // the graph output kept, or ""
	out        *Activation            // the output collected, nil once dropped
}

// newCollection checks that data has n samples to run, fits them to the
// model's input, resolves the hooks to distinct tensors, prepares the
// program under the memory budget and checks the plan of a batch against
// it.
func newCollection(ctx context.Context, model *onnxio.Model, data *dataset.Set, o CollectOptions) (*collection, error) {
	c := &collection{o: o, data: data, n: data.N}
	if o.Limit > 0 && o.Limit < c.n {
		c.n = o.Limit
	}
	if c.n == 0 || len(data.X) == 0 {
		return nil, fmt.Errorf("collect: dataset %s is empty: no samples to run", data.Name)
	}
	c.per = data.SampleSize()
	if c.per <= 0 || len(data.X) < c.n*c.per || (data.Labels != nil && len(data.Labels) < c.n) {
		return nil, fmt.Errorf("collect: dataset %s is inconsistent: %d samples of %v but %d values and %d labels", data.Name, data.N, data.Shape, len(data.X), len(data.Labels))
	}
	g := newGraphIndex(model)
	in, err := g.input()
	if err != nil {
		return nil, err
	}
	c.feedShape, c.fixedBatch, err = fitInput(model, in, data)
	if err != nil {
		return nil, err
	}
	if c.fixedBatch > 0 {
		c.o.BatchSize = c.fixedBatch
	}
	c.inName = in.Name()
	if err := c.resolveHooks(model, g); err != nil {
		return nil, err
	}
	c.prog, err = engine.PrepareContext(ctx, model, engine.Options{MaxMemory: c.o.MaxMemory})
	if err != nil {
		return nil, err
	}
	// Refuse a plan that cannot fit before the first batch runs.
	planShape := append([]int{min(c.o.BatchSize, c.n)}, c.feedShape...)
	if c.fixedBatch > 0 {
		planShape[0] = c.fixedBatch
	}
	if err := c.prog.CheckPlan(map[string][]int{c.inName: planShape}, c.fetch); err != nil {
		return nil, err
	}
	if c.outName != "" {
		c.out = &Activation{Name: c.outName, Hook: c.outName, Reduce: ReduceNone}
		if nd := g.producer[c.outName]; nd != nil {
			c.out.Node, c.out.Op = nd.Name(), nd.OpType()
		}
	}
	return c, nil
}

// resolveHooks resolves the hooks to distinct tensors, in the order given,
// with their reduction and layout, and lists the tensors to fetch: the
// hooked ones and, unless SkipOutput, the model's first output.
func (c *collection) resolveHooks(model *onnxio.Model, g *graphIndex) error {
	c.seen, c.byHook = map[string]bool{}, map[string]*Activation{}
	byName := map[string]*Activation{}
	for _, h := range c.o.Hooks {
		a, err := g.resolve(h)
		if err != nil {
			return err
		}
		if c.seen[a.Name] {
			c.byHook[h] = byName[a.Name]
			continue
		}
		c.seen[a.Name] = true
		a.Reduce, a.explicit = c.o.Reduce, !c.o.MatchKind
		if r, ok := c.o.LayerReduce[h]; ok && r != "" {
			a.Reduce, a.explicit = r, true
		}
		a.Layout, a.LayoutWhy = TokenLayout(model, a.Name)
		c.acts = append(c.acts, a)
		c.byHook[h], byName[a.Name] = a, a
	}
	if !c.o.SkipOutput && len(model.Outputs) > 0 {
		c.outName = model.Outputs[0].Name()
	}
	c.fetch = make([]string, 0, len(c.acts)+1)
	for _, a := range c.acts {
		c.fetch = append(c.fetch, a.Name)
	}
	if c.outName != "" && !c.seen[c.outName] {
		c.fetch = append(c.fetch, c.outName)
	}
	return nil
}

// runBatches runs the samples in batches (a short last batch zero-padded
// for a fixed-batch model), checks the memory after the first, and takes
// each batch's rows of every hooked tensor and of the output.
func (c *collection) runBatches(ctx context.Context) error {
	n, per, batch := c.n, c.per, c.o.BatchSize
	feed := make([]int, 1+len(c.feedShape))
	copy(feed[1:], c.feedShape)
	var pad []float32 // zero-padded last batch for fixed-batch models
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		b := min(batch, n-start)
		x := c.data.X[start*per : (start+b)*per]
		rows := b
		if c.fixedBatch > 0 && b < c.fixedBatch {
			if pad == nil {
				pad = make([]float32, c.fixedBatch*per)
			}
			clear(pad)
			copy(pad, x)
			x, rows = pad, c.fixedBatch
		}
		feed[0] = rows
		outs, err := c.prog.Run(ctx, map[string]*engine.Tensor{c.inName: engine.NewFloat(feed, x)}, c.fetch)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
				return ctxErr
			}
			return fmt.Errorf("collect: samples %d–%d: %w", start, start+b-1, err)
		}
		if start == 0 {
			if err := checkMemory(c.acts, outs, n, c.o.MaxBytes); err != nil {
				return err
			}
		}
		for _, a := range c.acts {
			if err := a.take(outs[a.Name], start, b, rows, n); err != nil {
				return err
			}
		}
		if err := c.takeOutput(outs[c.outName], start, b, rows); err != nil {
			return err
		}
		if c.o.Progress != nil {
			c.o.Progress(start+b, n)
		}
	}
	return nil
}

// takeOutput takes a batch's rows of the graph output t, or drops the
// output for good when t is not a float32 tensor with a batch axis of at
// most MaxOutputUnits values per sample.
func (c *collection) takeOutput(t *engine.Tensor, start, b, rows int) error {
	if c.out == nil {
		return nil
	}
	if t != nil && t.DType == engine.Float32 && len(t.Shape) >= 1 && t.Shape[0] == rows && t.Len() <= rows*MaxOutputUnits {
		return c.out.take(t, start, b, rows, c.n)
	}
	c.out = nil
	return nil
}

// finish returns the activations with their warnings, and the output with
// its predictions and accuracy.
func (c *collection) finish() *Activations {
	n := c.n
	res := &Activations{N: n, Tensors: c.acts, Accuracy: math.NaN(), InputShape: append([]int{-1}, c.feedShape...), byHook: c.byHook}
	if c.data.Labels != nil {
		res.Labels = append([]int(nil), c.data.Labels[:n]...)
	}
	for _, a := range c.acts {
		if w := a.warning(); w != "" {
			res.Warnings = append(res.Warnings, w)
		}
	}
	out := c.out
	if out == nil {
		return res
	}
	if w := out.warning(); w != "" && !c.seen[c.outName] {
		res.Warnings = append(res.Warnings, w)
	}
	res.Output = out
	if len(out.Shape) == 1 && out.Units >= 2 {
		res.Predictions = argmaxRows(out.Data, out.N, out.Units)
	}
	if a := Accuracy(res.Predictions, res.Labels); a != nil {
		res.Accuracy = *a
	}
	return res
}

// checkMemory refuses to collect more than maxBytes of matrices: N samples
// times the units of every hooked tensor, as the first batch shows them.
func checkMemory(acts []*Activation, outs map[string]*engine.Tensor, n int, maxBytes int64) error {
	var total int64
	var big string
	var bigBytes int64
	for _, a := range acts {
		t := outs[a.Name]
		if t == nil || len(t.Shape) == 0 {
			continue // take reports it
		}
		units := int64(prod(t.Shape[1:]))
		units = int64(reducedUnits(t.Shape[1:], a.mode(t.Shape[1:])))
		b := units * int64(n) * 4
		total += b
		if b > bigBytes {
			big, bigBytes = a.Name, b
		}
	}
	if total > maxBytes {
		return fmt.Errorf("collect: the hooked tensors need %s for %d samples (largest %q, %s), over the %s limit: hook fewer or smaller tensors, use spatial-mean reduction, or fewer samples",
			engine.FormatBytes(total), n, big, engine.FormatBytes(bigBytes), engine.FormatBytes(maxBytes))
	}
	return nil
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
		mode := a.mode(a.Shape)
		a.Reduce = mode
		if len(a.Shape) <= 1 {
			a.Layout, a.LayoutWhy = LayoutVector, "one vector per sample"
		}
		a.N = n
		a.Units = reducedUnits(a.Shape, mode)
		if mode != ReduceNone && per == 0 && a.Units > 0 {
			// 0/0 would give NaN means without a NaN counted.
			return fmt.Errorf("collect: tensor %q of shape %v has an empty spatial map (or no tokens): nothing to reduce with %s", a.Name, a.Shape, mode)
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
	reduceRows(a.Data[start*a.Units:(start+b)*a.Units], src, b, a.Shape, a.Reduce)
	return nil
}

// mode returns the reduction of a for per-sample shape (see chooseReduce).
func (a *Activation) mode(shape []int) string {
	return chooseReduce(a.Reduce, a.explicit, a.Layout == LayoutTokens, shape)
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
	producer map[string]*onnxio.Node // tensor name → node that outputs it
	nodes    map[string]*onnxio.Node // node name → node
	order    []string                // every hookable tensor name, in graph order
}

func newGraphIndex(m *onnxio.Model) *graphIndex {
	x := &graphIndex{m: m, producer: map[string]*onnxio.Node{}, nodes: map[string]*onnxio.Node{}}
	for _, vi := range m.Inputs {
		x.order = append(x.order, vi.Name())
	}
	for _, nd := range m.Nodes {
		// Unnamed nodes go by "#i OpType", as `layers` and errors name them.
		label := nd.Label()
		if _, dup := x.nodes[label]; !dup {
			x.nodes[label] = nd
		}
		for _, o := range nd.Outputs() {
			if o != "" {
				x.producer[o] = nd
				x.order = append(x.order, o)
			}
		}
	}
	return x
}

// input returns the model's single data input.
func (g *graphIndex) input() (*onnxio.ValueInfo, error) {
	if len(g.m.Inputs) != 1 {
		names := make([]string, len(g.m.Inputs))
		for i, vi := range g.m.Inputs {
			names[i] = vi.Name()
		}
		return nil, fmt.Errorf("collect: model %s has %d graph inputs %q: only models with one data input can be run over a dataset", modelName(g.m), len(names), names)
	}
	return g.m.Inputs[0], nil
}

// resolve turns a hook (tensor or node name) into an empty Activation.
func (g *graphIndex) resolve(hook string) (*Activation, error) {
	if nd, ok := g.producer[hook]; ok {
		return &Activation{Name: hook, Hook: hook, Node: nd.Name(), Op: nd.OpType()}, nil
	}
	for _, vi := range g.m.Inputs {
		if vi.Name() == hook {
			return &Activation{Name: hook, Hook: hook}, nil
		}
	}
	if nd, ok := g.nodes[hook]; ok {
		if len(nd.Outputs()) == 0 || nd.Outputs()[0] == "" {
			return nil, fmt.Errorf("collect: hook %q: node has no output", hook)
		}
		return &Activation{Name: nd.Outputs()[0], Hook: hook, Node: nd.Name(), Op: nd.OpType()}, nil
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
func fitInput(m *onnxio.Model, in *onnxio.ValueInfo, data *dataset.Set) (feed []int, fixedBatch int, err error) {
	sample := data.Shape
	if dt := in.DType(); dt != onnxio.Undefined && !dt.IsFloat() {
		return nil, 0, fmt.Errorf("collect: model %s input %q is %s: only float inputs can be fed from a dataset", modelName(m), in.Name(), dt)
	}
	dims, names, ok := in.Shape()
	if !ok {
		return sample, 0, nil // no declared shape: the executor checks
	}
	mismatch := func() error {
		return fmt.Errorf("collect: input shape mismatch: model %s input %q expects %s, but dataset %s gives %s",
			modelName(m), in.Name(), declared(dims, names), data.Name, declared(append([]int64{-1}, ints64(sample)...), []string{"N"}))
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
