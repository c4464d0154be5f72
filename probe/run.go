package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/conceptcells/conceptcells/cells"
	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/embed"
	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/internal/termsafe"
	"github.com/conceptcells/conceptcells/onnxio"
)

// stages are Run's calls into the executor, the t-SNE and the cell
// scorer. Run uses pipeline (wired in wire.go); tests substitute simple
// deterministic stages to check the orchestration on its own.
type stages struct {
	// collect runs data through m and returns, for each tensor, its
	// per-point shape and the N×units activations.
	collect func(ctx context.Context, m *onnxio.Model, data *dataset.Set, tensors []string, o Options) (map[string]tensorActs, error)
	// tsne embeds the n×d matrix x in 2-D once per run and returns one
	// embedding per run, and warnings.
	tsne func(ctx context.Context, x []float32, n, d int, o Options, runs []tsneRun, log io.Writer) ([]embedding, []string, error)
	// score scores each non-negative signal (n values each) on the points
	// xy (n×2) in frame, with optional labels, returning one PartScores per
	// signal (Sign left empty) and the scorer's parameters, which include
	// its facts about the space (density gridness, empty bins, points in
	// the frame).
	score func(ctx context.Context, xy []float64, frame [4]float64, signals [][]float32, labels []int, nclass int, o Options, seed int64) ([]PartScores, *cells.Params, error)
}

// tsneRun is one t-SNE of a space: its seed and perplexity.
type tsneRun struct {
	Seed       int64
	Perplexity float64
}

// embedding is one t-SNE: n×2 row-major coordinates and quality metrics.
type embedding struct {
	XY      []float64
	Quality map[string]float64
}

// tensorActs is one collected tensor.
type tensorActs struct {
	Shape []int     // per-point shape, after reduction
	Data  []float32 // N × prod(Shape), row-major
	// TensorShape is the per-point shape before reduction, Reduce the
	// reduction and Layout the tensor's layout ("" when not known).
	TensorShape []int
	Reduce      string
	Layout      string
}

// Run is the probe pipeline: it collects the activations of the chosen
// layers over data, embeds the input (image space) and a layer (network
// space) with t-SNE, runs PCA on each layer, and scores and classifies
// every unit and PC in both spaces. Each space is embedded
// 1 + o.RobustSeeds times (random initialisations, distinct seeds); every
// part is scored in every embedding and keeps the labels it has in a
// strict majority of them. Signed signals (logits, PCs) are scored on their
// positive part max(a, 0) and, separately, their negative part max(−a, 0)
// (cell-metrics spec §1.4).
//
// Hooked feature maps and token tensors become units by o.Reduce (one per
// channel, or per feature of the class token, by default). Before running
// the model Run plans the work from the inferred shapes (PlanRun) and
// refuses a layer with more than o.MaxUnits units (a *UnitsError); layers
// whose shape cannot be inferred are checked after collecting, before the
// t-SNE. Options out of range are refused first (Options.Validate).
// Progress goes to o.Log (step lines) and o.Progress (per stage).
func Run(ctx context.Context, m *onnxio.Model, data *dataset.Set, o Options) (*Result, error) {
	return run(ctx, m, data, o, pipeline)
}

// stepper logs and times the pipeline steps, one at a time.
type stepper struct {
	log     io.Writer
	timings []Timing
	start   time.Time
	name    string
}

// begin logs and starts timing the step named by format and args.
func (s *stepper) begin(format string, args ...any) {
	s.name = fmt.Sprintf(format, args...)
	s.start = time.Now()
	fmt.Fprintf(s.log, "conceptcells: %s…\n", s.name)
}

// end logs and records the time of the current step.
func (s *stepper) end() {
	d := time.Since(s.start).Seconds()
	s.timings = append(s.timings, Timing{Step: s.name, Seconds: d})
	fmt.Fprintf(s.log, "conceptcells: %s done in %.1f s\n", s.name, d)
}

// Seeds derived from Options.Seed, one per step.
const (
	seedTSNEImage   = 0
	seedTSNENetwork = 1
	seedCells       = 2
	seedPCA         = 3
)

// run is Run with the stages st: it checks the options and the data, then
// takes the steps in order — chooseLayers, plan, collect, keepLayers,
// embedSpaces, runPCA and scoreAll — each a method of runner.
func run(ctx context.Context, m *onnxio.Model, data *dataset.Set, o Options, st stages) (*Result, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	if data == nil || m == nil && len(o.Layers) == 0 {
		return nil, errors.New("probe: no model or no data")
	}
	if o.Limit > 0 {
		data = data.Limit(o.Limit)
	}
	if data.N < 2 {
		return nil, fmt.Errorf("probe: dataset %s has %d points; the probe needs at least 2 (and t-SNE needs more than 3·perplexity)", data.Name, data.N)
	}
	log := o.Log
	if log == nil || o.Quiet {
		log = io.Discard
	}
	r := &runner{m: m, data: data, o: o, st: st, log: log, sp: &stepper{log: log},
		res: &Result{Model: m, Data: data, Seeds: map[string]int64{
			"tsne_image":   o.Seed + seedTSNEImage,
			"tsne_network": o.Seed + seedTSNENetwork,
			"cells":        o.Seed + seedCells,
		}}}
	roles, err := r.chooseLayers()
	if err != nil {
		return nil, err
	}
	if err := r.plan(); err != nil {
		return nil, err
	}
	acts, err := r.collect(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.keepLayers(acts, roles); err != nil {
		return nil, err
	}
	xys, err := r.embedSpaces(ctx, acts)
	if err != nil {
		return nil, err
	}
	if err := r.runPCA(ctx); err != nil {
		return nil, err
	}
	if err := r.scoreAll(ctx, xys); err != nil {
		return nil, err
	}
	r.res.Timings = r.sp.timings
	return r.res, nil
}

// runner holds the state of one Run between its steps.
type runner struct {
	m    *onnxio.Model
	data *dataset.Set // after o.Limit
	o    Options      // defaults filled in; Layers and SpaceLayer once chosen
	st   stages
	log  io.Writer
	sp   *stepper
	res  *Result
	// out is the model output hooked for the accuracy, or "".
	out string
}

// chooseLayers fills o.Layers (automatically when not given, with
// ChooseLayers) and o.SpaceLayer, records how they were chosen, and
// returns the role of each layer ("pre-final" and "final": the last two).
func (r *runner) chooseLayers() (map[string]string, error) {
	o := &r.o
	roles := map[string]string{}
	if len(o.Layers) == 0 {
		c, err := ChooseLayers(r.m)
		if err != nil {
			return nil, err
		}
		o.Layers = []string{c.PreFinal, c.Final}
		roles[c.PreFinal], roles[c.Final] = "pre-final", "final"
		r.res.LayersChosen = "automatic: " + strings.Join(c.Why, "; ")
		fmt.Fprintf(r.log, "conceptcells: layers %s (pre-final) and %s (final), chosen automatically\n", termsafe.Escape(c.PreFinal), termsafe.Escape(c.Final))
	} else {
		r.res.LayersChosen = "--layers"
		if len(o.Layers) >= 2 {
			roles[o.Layers[len(o.Layers)-2]] = "pre-final"
		}
		roles[o.Layers[len(o.Layers)-1]] = "final"
	}
	if o.SpaceLayer == "" {
		o.SpaceLayer = o.Layers[len(o.Layers)-1]
	}
	r.res.Options = *o
	return roles, nil
}

// plan plans the units of each layer (PlanRun), refusing a layer over
// o.MaxUnits before any inference, and logs the plan.
func (r *runner) plan() error {
	plan, err := PlanRun(r.m, r.data, r.o)
	if err != nil {
		return err
	}
	r.res.Plan = plan
	for _, lp := range plan.Layers {
		fmt.Fprintf(r.log, "conceptcells: layer %s: %s\n", lp.Name, lp.Describe())
	}
	if plan.MemoryBytes > 0 {
		fmt.Fprintf(r.log, "conceptcells: plan: %d points; estimated %s of memory for the analysis and up to %s of report\n",
			plan.N, engine.FormatBytes(plan.MemoryBytes), engine.FormatBytes(plan.ReportBytes))
	}
	return nil
}

// collect runs the data through the model, hooking the layers, the space
// layer and, with labels, the model's first output (for the accuracy);
// it checks the activations, warns of non-finite values and computes the
// accuracy.
func (r *runner) collect(ctx context.Context) (map[string]tensorActs, error) {
	o, data, m := r.o, r.data, r.m
	hooks := slices.Clone(o.Layers)
	if !slices.Contains(hooks, o.SpaceLayer) {
		hooks = append(hooks, o.SpaceLayer)
	}
	if m != nil && len(m.Outputs) > 0 && data.Labels != nil {
		r.out = m.Outputs[0].Name()
		if !slices.Contains(hooks, r.out) {
			hooks = append(hooks, r.out)
		}
	}
	source := "the activations given"
	if m != nil {
		source = m.Path
	}
	r.sp.begin("running %d points through %s, hooking %s", data.N, source, strings.Join(hooks, ", "))
	acts, err := r.st.collect(ctx, m, data, hooks, o)
	if err != nil {
		return nil, err
	}
	r.sp.end()
	for _, h := range hooks {
		a, ok := acts[h]
		if !ok {
			return nil, fmt.Errorf("probe: the executor returned no activations for %q", h)
		}
		if u := prod(a.Shape); u == 0 || len(a.Data) != data.N*u {
			return nil, fmt.Errorf("probe: activations of %q hold %d values, want %d points × %v", h, len(a.Data), data.N, a.Shape)
		}
		if bad := countNonFinite(a.Data); bad > 0 {
			r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("%s: %d of %d activations are NaN or ±Inf", h, bad, len(a.Data)))
		}
	}
	r.accuracy(acts)
	return acts, nil
}

// accuracy sets the top-1 accuracy of the hooked output against the
// labels, or the note saying why there is none.
func (r *runner) accuracy(acts map[string]tensorActs) {
	if r.out == "" {
		return
	}
	res, out := r.res, acts[r.out]
	labels, why := OutputLabels(r.data, prod(out.Shape))
	if labels != nil {
		res.Accuracy = accuracy(out, labels)
	}
	if res.Accuracy == nil {
		if why == "" {
			why = fmt.Sprintf("output %q has shape %v, not one score per class of the %d labels", r.out, out.Shape, nclasses(r.data))
			res.Warnings = append(res.Warnings, "no accuracy: "+why)
		}
		res.AccuracyNote = why
	}
}

// keepLayers makes the LayerResult of every layer: its units after
// o.Units, and the units check for a layer the plan could not infer.
func (r *runner) keepLayers(acts map[string]tensorActs, roles map[string]string) error {
	n := r.data.N
	for i, name := range r.o.Layers {
		a := acts[name]
		lr := LayerResult{Name: name, Role: roles[name], Shape: a.Shape, Units: prod(a.Shape), Acts: a.Data,
			TensorShape: a.TensorShape, Reduce: a.Reduce, Layout: a.Layout}
		if lr.TensorShape == nil {
			lr.TensorShape = a.Shape
		}
		if lr.Reduce == "" {
			lr.Reduce = ReduceNone
		}
		if r.m != nil {
			if node, _ := r.m.Producer(name); node != nil {
				lr.Node, lr.Op = node.Name(), node.OpType()
			}
		}
		sel, err := selectUnits(r.o.Units, name, lr.Units)
		if err != nil {
			return err
		}
		if sel != nil {
			lr.UnitIndex = sel
			lr.Acts = columns(a.Data, n, lr.Units, sel)
			lr.Units, lr.Shape = len(sel), []int{len(sel)}
		}
		if lp := r.res.Plan.Layers[i]; lp.TensorShape == nil {
			lp.TensorShape, lp.Reduce, lp.Layout, lp.Units, lp.Selected, lp.Kept = lr.TensorShape, lr.Reduce, lr.Layout, prod(a.Shape), sel, lr.Units
			if err := checkUnits(lp, n, r.o); err != nil {
				return err
			}
		}
		r.res.Layers = append(r.res.Layers, lr)
	}
	return nil
}

// embedSpaces embeds the image space (the inputs, when the data hold
// them) and the network space (o.SpaceLayer), each 1 + o.RobustSeeds
// times, and returns per space the coordinates of each embedding.
func (r *runner) embedSpaces(ctx context.Context, acts map[string]tensorActs) ([][][]float64, error) {
	o, data, res := r.o, r.data, r.res
	type space struct {
		name, source string
		x            []float32
		d            int
		seed         int64
	}
	var spaces []space
	if d := data.SampleSize(); len(data.Shape) > 0 && len(data.X) == data.N*d {
		spaces = append(spaces, space{"image", "input", data.X, d, o.Seed + seedTSNEImage})
	} else {
		res.Warnings = append(res.Warnings, "no image space: the data hold no model inputs (with activations, give --data to embed the inputs too)")
	}
	spaces = append(spaces, space{"network", o.SpaceLayer, acts[o.SpaceLayer].Data, prod(acts[o.SpaceLayer].Shape), o.Seed + seedTSNENetwork})
	xys := make([][][]float64, len(spaces))
	for si, s := range spaces {
		runs := embeddingRuns(o, s.seed)
		for k := 1; k < len(runs); k++ {
			res.Seeds[fmt.Sprintf("tsne_%s_robust%d", s.name, k)] = runs[k].Seed
		}
		r.sp.begin("t-SNE of %s (%d × %d) for the %s space, %d embedding(s)", s.source, data.N, s.d, s.name, len(runs))
		embs, warns, err := r.st.tsne(ctx, s.x, data.N, s.d, o, runs, r.log)
		if err != nil {
			return nil, fmt.Errorf("probe: %s space (t-SNE of %s): %w", s.name, s.source, err)
		}
		if len(embs) != len(runs) {
			return nil, fmt.Errorf("probe: %s space: t-SNE returned %d embeddings for %d runs", s.name, len(embs), len(runs))
		}
		for _, w := range warns {
			res.Warnings = append(res.Warnings, fmt.Sprintf("t-SNE of %s: %s", s.source, w))
		}
		r.sp.end()
		sr := SpaceResult{Name: s.name, Source: s.source, Dims: s.d, XY: embs[0].XY, Frame: SquareFrame(embs[0].XY), Quality: embs[0].Quality}
		for k, e := range embs {
			sr.Embeddings = append(sr.Embeddings, Embedding{Seed: runs[k].Seed, Perplexity: runs[k].Perplexity, Quality: maps.Clone(e.Quality)})
			xys[si] = append(xys[si], e.XY)
		}
		res.Spaces = append(res.Spaces, sr)
	}
	return xys, nil
}

// runPCA runs the PCA of every layer of at least 2 units (layerPCA); a
// failed PCA is a warning, cancellation an error.
func (r *runner) runPCA(ctx context.Context) error {
	res := r.res
	for i := range res.Layers {
		l := &res.Layers[i]
		if l.Units < 2 {
			continue
		}
		r.sp.begin("PCA of %s (%d units)", l.Name, l.Units)
		p, warn, err := layerPCA(ctx, l.Acts, r.data.N, l.Units, r.o, r.log)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("no PCA of %s: %v", l.Name, err))
		} else {
			l.PCA = p
			if p.Method == "randomized" {
				res.Seeds["pca"] = r.o.Seed + seedPCA
			}
		}
		if warn != "" {
			res.Warnings = append(res.Warnings, l.Name+": "+warn)
		}
		r.sp.end()
	}
	return nil
}

// signals are the non-negative signals of one layer's units and PCs, as
// scored: one per unsigned item, its positive and negative parts for a
// signed one.
type signals struct {
	items  []UnitScores
	values [][]float32
	owner  []int // signal → item
}

// add adds the item kind idx in space with values v and its signal(s).
func (s *signals) add(layer, space, kind string, idx int, v []float32) {
	signed := hasNegative(v)
	s.items = append(s.items, UnitScores{Layer: layer, Space: space, Kind: kind, Index: idx, Signed: signed})
	it := len(s.items) - 1
	if !signed {
		s.values = append(s.values, v)
		s.owner = append(s.owner, it)
		return
	}
	pos, neg := splitSigns(v)
	s.values = append(s.values, pos, neg)
	s.owner = append(s.owner, it, it)
}

// layerSignals returns the signals of every unit and PC of l in space.
func layerSignals(l *LayerResult, space string, n int) *signals {
	s := &signals{}
	for u := 0; u < l.Units; u++ {
		idx := u
		if l.UnitIndex != nil {
			idx = l.UnitIndex[u]
		}
		s.add(l.Name, space, "unit", idx, column(l.Acts, n, l.Units, u))
	}
	if l.PCA != nil {
		for k := 0; k < l.PCA.K; k++ {
			s.add(l.Name, space, "pc", k, column(l.PCA.Scores, n, l.PCA.K, k))
		}
	}
	return s
}

// scoreAll scores every unit and PC of every layer in every embedding of
// both spaces (scoreLayer) and appends the results.
func (r *runner) scoreAll(ctx context.Context, xys [][][]float64) error {
	for si := range r.res.Spaces {
		for li := range r.res.Layers {
			items, err := r.scoreLayer(ctx, &r.res.Spaces[si], &r.res.Layers[li], xys[si])
			if err != nil {
				return err
			}
			r.res.Scores = append(r.res.Scores, items...)
		}
	}
	return nil
}

// scoreLayer scores the signals of layer l in each embedding xys of space
// s, records the scorer's facts about each embedding in its quality (and
// the first's in the space's), keeps each part's scores in the first
// embedding and votes its labels over all of them.
func (r *runner) scoreLayer(ctx context.Context, s *SpaceResult, l *LayerResult, xys [][]float64) ([]UnitScores, error) {
	sig := layerSignals(l, s.Name, r.data.N)
	var shown []PartScores                      // per signal, in the first embedding
	sets := make([][][]string, len(sig.values)) // per signal, its labels in each embedding
	for e, xy := range xys {
		r.sp.begin("scoring %d units and %d PCs of %s in %s space, embedding %d of %d (%d signals)",
			l.Units, len(sig.items)-l.Units, l.Name, s.Name, e+1, len(xys), len(sig.values))
		frame := s.Frame
		if e > 0 {
			frame = SquareFrame(xy)
		}
		parts, params, err := r.st.score(ctx, xy, frame, sig.values, r.data.Labels, nclasses(r.data), r.o, r.o.Seed+seedCells)
		if err != nil {
			return nil, fmt.Errorf("probe: scoring %s in %s space (embedding %d): %w", l.Name, s.Name, e+1, err)
		}
		if len(parts) != len(sig.values) {
			return nil, fmt.Errorf("probe: scorer returned %d results for %d signals", len(parts), len(sig.values))
		}
		r.sp.end()
		facts := spaceFacts(params)
		addFacts(&s.Embeddings[e].Quality, facts)
		if e == 0 {
			addFacts(&s.Quality, facts)
			r.res.Cells = params
			shown = parts
		}
		for j, p := range parts {
			sets[j] = append(sets[j], p.Labels)
		}
	}
	for j, p := range shown {
		vote(&p, sets[j])
		it := &sig.items[sig.owner[j]]
		if it.Signed {
			p.Sign = "+"
			if len(it.Parts) == 1 {
				p.Sign = "-"
			}
		}
		it.Parts = append(it.Parts, p)
	}
	return sig.items, nil
}

// spaceFacts returns the scorer's facts about the space, by the names of
// the space's and the embedding's quality: the density gridness, the
// fraction of empty bins and the points in the frame. A nil params has
// none.
func spaceFacts(params *cells.Params) map[string]float64 {
	if params == nil {
		return map[string]float64{}
	}
	return map[string]float64{"density_gridness": params.DensityGridness, "frac_empty_bins": params.FracEmpty,
		"points_in_frame": float64(params.PointsInFrame)}
}

// addFacts copies facts into *q, making the map when it is nil.
func addFacts(q *map[string]float64, facts map[string]float64) {
	if *q == nil {
		*q = map[string]float64{}
	}
	maps.Copy(*q, facts)
}

// robustSeedStep separates the seeds of a space's embeddings: embedding r
// uses the space's seed + r·robustSeedStep, so the seeds of the two spaces
// (which differ by 1) and the scorer's never meet.
const robustSeedStep = 100

// embeddingRuns returns the t-SNE runs of a space whose first seed is
// seed: the first at o.Perplexity, then o.RobustSeeds more with seeds
// seed + r·robustSeedStep, at o.Perplexity for odd r and at
// o.RobustPerplexity for even r.
func embeddingRuns(o Options, seed int64) []tsneRun {
	runs := make([]tsneRun, 1+o.RobustSeeds)
	for r := range runs {
		runs[r] = tsneRun{Seed: seed + int64(r*robustSeedStep), Perplexity: o.Perplexity}
		if r > 0 && r%2 == 0 {
			runs[r].Perplexity = o.RobustPerplexity
		}
	}
	return runs
}

// vote sets p's labels to those it has in a strict majority of the
// embeddings, given its labels in each (sets, the shown embedding first),
// and records the count per label (p.Runs, p.EmbeddingLabels and, with
// more than one embedding, one reason per label in p.Vote):
//
//   - grid holds when grid holds in a majority;
//   - weakly-grid holds when grid or weakly-grid holds in a majority and
//     grid does not;
//   - any other label (place, concept, cluster-grid, …) holds when it
//     holds in a majority;
//   - when none of these holds, silent or undefined if it holds in a
//     majority (they do not depend on the embedding), else none.
func vote(p *PartScores, sets [][]string) {
	n := len(sets)
	need := n/2 + 1
	runs := map[string]int{}
	var order []string // labels in order of first appearance
	for _, set := range sets {
		seen := map[string]bool{}
		for _, l := range set {
			if seen[l] {
				continue
			}
			seen[l] = true
			if runs[l] == 0 {
				order = append(order, l)
			}
			runs[l]++
		}
	}
	var labels, reasons []string
	// held records the reason for label and reports whether k of the n
	// embeddings are a majority.
	held := func(label, what string, k int) bool {
		mark := "fail"
		if k >= need {
			mark = "pass"
		}
		reasons = append(reasons, fmt.Sprintf("%s: %sin %d of %d embeddings ≥ %d (%s)", label, what, k, n, need, mark))
		return k >= need
	}
	gridPass := runs[LabelGrid] >= need
	weakDone := false // weakly-grid decided
	weak := func() {
		if weakDone {
			return
		}
		weakDone = true
		if gridPass {
			if runs[LabelWeaklyGrid] > 0 {
				reasons = append(reasons, fmt.Sprintf("%s: in %d of %d embeddings; grid holds instead", LabelWeaklyGrid, runs[LabelWeaklyGrid], n))
			}
			return
		}
		if held(LabelWeaklyGrid, "grid or weakly-grid ", runs[LabelGrid]+runs[LabelWeaklyGrid]) {
			labels = append(labels, LabelWeaklyGrid)
		}
	}
	for _, l := range order {
		switch {
		case isNullLabel(l):
		case l == LabelGrid:
			if held(LabelGrid, "", runs[LabelGrid]) {
				labels = append(labels, LabelGrid)
			}
			weak()
		case l == LabelWeaklyGrid:
			weak()
		default:
			if held(l, "", runs[l]) {
				labels = append(labels, l)
			}
		}
	}
	if len(labels) == 0 {
		labels = []string{LabelNone}
		for _, l := range []string{LabelSilent, LabelUndefined} {
			if runs[l] >= need {
				labels = []string{l}
			}
		}
	}
	p.Labels = labels
	p.EmbeddingLabels = sets
	p.Runs = runs
	p.Vote = nil
	if n > 1 {
		p.Vote = reasons
	}
}

func prod(s []int) int {
	if len(s) == 0 {
		return 0
	}
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

func countNonFinite(v []float32) int {
	n := 0
	for _, a := range v {
		if f := float64(a); math.IsNaN(f) || math.IsInf(f, 0) {
			n++
		}
	}
	return n
}

func nclasses(d *dataset.Set) int {
	n := len(d.Classes)
	for _, l := range d.Labels {
		n = max(n, l+1)
	}
	return n
}

// accuracy is the fraction of points whose largest output equals the label,
// or nil when the output is not one score per class.
func accuracy(out tensorActs, labels []int) *float64 {
	if labels == nil || len(out.Shape) != 1 {
		return nil
	}
	c := out.Shape[0]
	nc := 0
	for _, l := range labels {
		nc = max(nc, l+1)
	}
	if c < 2 || c < nc || len(out.Data) != len(labels)*c {
		return nil
	}
	return Accuracy(argmaxRows(out.Data, len(labels), c), labels)
}

// columns returns the columns js of the n×k row-major matrix a, as an
// n×len(js) row-major matrix.
func columns(a []float32, n, k int, js []int) []float32 {
	c := make([]float32, 0, n*len(js))
	for i := 0; i < n; i++ {
		row := a[i*k : (i+1)*k]
		for _, j := range js {
			c = append(c, row[j])
		}
	}
	return c
}

// column returns column j of the n×k row-major matrix a.
func column(a []float32, n, k, j int) []float32 {
	c := make([]float32, n)
	for i := range c {
		c[i] = a[i*k+j]
	}
	return c
}

func hasNegative(v []float32) bool {
	for _, a := range v {
		if a < 0 {
			return true
		}
	}
	return false
}

// splitSigns returns the positive part max(a, 0) and the negative part
// max(−a, 0) of v; NaN stays NaN in both.
func splitSigns(v []float32) (pos, neg []float32) {
	pos = make([]float32, len(v))
	neg = make([]float32, len(v))
	for i, a := range v {
		switch {
		case a > 0:
			pos[i] = a
		case a < 0:
			neg[i] = -a
		case a != a:
			pos[i], neg[i] = a, a
		}
	}
	return pos, neg
}

// SquareFrame returns the square bounding box [xmin, xmax, ymin, ymax] of
// the n×2 row-major points xy (cells.SquareBounds: extent max(x range,
// y range) on both axes, centred on the data; cell-metrics spec §1.1). A
// degenerate or non-finite set gives the unit square around its first
// point, or around 0.
func SquareFrame(xy []float64) [4]float64 {
	n := len(xy) / 2
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = xy[2*i], xy[2*i+1]
	}
	r, err := cells.SquareBounds(xs, ys)
	if err != nil {
		c := [2]float64{}
		if n > 0 && !math.IsNaN(xs[0]) && !math.IsInf(xs[0], 0) && !math.IsNaN(ys[0]) && !math.IsInf(ys[0], 0) {
			c = [2]float64{xs[0], ys[0]}
		}
		return [4]float64{c[0] - 0.5, c[0] + 0.5, c[1] - 0.5, c[1] + 0.5}
	}
	return [4]float64{r.XMin, r.XMax, r.YMin, r.YMax}
}

// layerPCA runs PCA on the n×d activations: with o.PCs > 0 it keeps that
// many components, else the fewest whose explained-variance ratios sum to
// at least o.PCVariance. Ratios are computed for min(n, d, 100) components
// (or more when o.PCs asks for more). When min(n, d) ≥
// embed.TruncatedPCAMin embed.AutoPCA uses the randomized PCA (seeded from
// o.Seed, progress to log), which never forms the d×d covariance.
func layerPCA(ctx context.Context, x []float32, n, d int, o Options, log io.Writer) (*PCAResult, string, error) {
	kmax := min(n, d, max(maxPCAComponents, o.PCs))
	if o.PCs > kmax {
		return nil, "", fmt.Errorf("%d PCs asked for: more than the %d components of %d points × %d units", o.PCs, kmax, n, d)
	}
	r, randomized, err := embed.AutoPCA(ctx, x, n, d, kmax, uint64(o.Seed+seedPCA), log)
	method := "exact"
	if randomized {
		method = "randomized"
	}
	if err != nil {
		return nil, "", err
	}
	p := &PCAResult{Auto: o.PCs == 0, Threshold: o.PCVariance, Ratios: r.ExplainedVarianceRatio, Method: method}
	warn := ""
	if p.Auto {
		sum := 0.0
		p.K = len(p.Ratios)
		for i, v := range p.Ratios {
			sum += v
			if sum >= o.PCVariance-1e-12 {
				p.K = i + 1
				break
			}
		}
		if sum < o.PCVariance-1e-12 {
			warn = fmt.Sprintf("the first %d PCs explain only %.1f%% of the variance (wanted %.0f%%); kept them all", p.K, 100*sum, 100*o.PCVariance)
		}
	} else {
		p.K = o.PCs
	}
	p.Scores = make([]float32, n*p.K)
	for i := 0; i < n; i++ {
		for j := 0; j < p.K; j++ {
			p.Scores[i*p.K+j] = float32(r.Projection.At(i, j))
		}
	}
	return p, warn, nil
}
