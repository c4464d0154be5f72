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
	// signal (Sign left empty) and the scorer's parameters.
	score func(ctx context.Context, xy []float64, frame [4]float64, signals [][]float32, labels []int, nclass int, o Options, seed int64) ([]PartScores, map[string]any, error)
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
	Shape []int     // per-point shape
	Data  []float32 // N × prod(Shape), row-major
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
func Run(ctx context.Context, m *onnxio.Model, data *dataset.Set, o Options) (*Result, error) {
	return run(ctx, m, data, o, pipeline)
}

// step logs and times one pipeline step.
type stepper struct {
	log     io.Writer
	timings []Timing
	start   time.Time
	name    string
}

func (s *stepper) begin(format string, args ...any) {
	s.name = fmt.Sprintf(format, args...)
	s.start = time.Now()
	fmt.Fprintf(s.log, "conceptcells: %s…\n", s.name)
}

func (s *stepper) end() {
	d := time.Since(s.start).Seconds()
	s.timings = append(s.timings, Timing{Step: s.name, Seconds: d})
	fmt.Fprintf(s.log, "conceptcells: %s done in %.1f s\n", s.name, d)
}

// spacePrefix marks scorer parameters that describe the space (density
// gridness, empty bins); run moves them into the quality of the space and
// of the embedding.
const spacePrefix = "space:"

// Seeds derived from Options.Seed, one per step.
const (
	seedTSNEImage   = 0
	seedTSNENetwork = 1
	seedCells       = 2
)

func run(ctx context.Context, m *onnxio.Model, data *dataset.Set, o Options, st stages) (*Result, error) {
	o = o.withDefaults()
	if m == nil || data == nil {
		return nil, errors.New("probe: no model or no data")
	}
	if o.Seed < 1 {
		return nil, fmt.Errorf("probe: seed %d: must be ≥ 1", o.Seed)
	}
	if o.RobustSeeds < 0 {
		return nil, fmt.Errorf("probe: %d extra embeddings: must be ≥ 0", o.RobustSeeds)
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
	res := &Result{Model: m, Data: data, Seeds: map[string]int64{
		"tsne_image":   o.Seed + seedTSNEImage,
		"tsne_network": o.Seed + seedTSNENetwork,
		"cells":        o.Seed + seedCells,
	}}
	sp := &stepper{log: log}

	// Layers.
	roles := map[string]string{}
	if len(o.Layers) == 0 {
		c, err := ChooseLayers(m)
		if err != nil {
			return nil, err
		}
		o.Layers = []string{c.PreFinal, c.Final}
		roles[c.PreFinal], roles[c.Final] = "pre-final", "final"
		res.LayersChosen = "automatic: " + strings.Join(c.Why, "; ")
		fmt.Fprintf(log, "conceptcells: layers %s (pre-final) and %s (final), chosen automatically\n", termsafe.Escape(c.PreFinal), termsafe.Escape(c.Final))
	} else {
		res.LayersChosen = "--layers"
		if len(o.Layers) >= 2 {
			roles[o.Layers[len(o.Layers)-2]] = "pre-final"
		}
		roles[o.Layers[len(o.Layers)-1]] = "final"
	}
	if o.SpaceLayer == "" {
		o.SpaceLayer = o.Layers[len(o.Layers)-1]
	}
	res.Options = o

	// tensorActs (plus the model output, for the accuracy).
	hooks := slices.Clone(o.Layers)
	if !slices.Contains(hooks, o.SpaceLayer) {
		hooks = append(hooks, o.SpaceLayer)
	}
	out := ""
	if len(m.Outputs) > 0 && data.Labels != nil {
		out = m.Outputs[0].GetName()
		if !slices.Contains(hooks, out) {
			hooks = append(hooks, out)
		}
	}
	sp.begin("running %d points through %s, hooking %s", data.N, m.Path, strings.Join(hooks, ", "))
	acts, err := st.collect(ctx, m, data, hooks, o)
	if err != nil {
		return nil, err
	}
	sp.end()
	for _, h := range hooks {
		a, ok := acts[h]
		if !ok {
			return nil, fmt.Errorf("probe: the executor returned no activations for %q", h)
		}
		if u := prod(a.Shape); u == 0 || len(a.Data) != data.N*u {
			return nil, fmt.Errorf("probe: activations of %q hold %d values, want %d points × %v", h, len(a.Data), data.N, a.Shape)
		}
		if bad := countNonFinite(a.Data); bad > 0 {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d of %d activations are NaN or ±Inf", h, bad, len(a.Data)))
		}
	}
	if out != "" {
		res.Accuracy = accuracy(acts[out], data.Labels)
		if res.Accuracy == nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("no accuracy: output %q has shape %v, not one score per class of the %d labels", out, acts[out].Shape, nclasses(data)))
		}
	}
	for _, name := range o.Layers {
		a := acts[name]
		lr := LayerResult{Name: name, Role: roles[name], Shape: a.Shape, Units: prod(a.Shape), Acts: a.Data}
		if n, _ := m.Producer(name); n != nil {
			lr.Node, lr.Op = n.GetName(), n.GetOpType()
		}
		res.Layers = append(res.Layers, lr)
	}

	// Concept spaces.
	type space struct {
		name, source string
		x            []float32
		d            int
		seed         int64
	}
	spaces := []space{
		{"image", "input", data.X, data.SampleSize(), o.Seed + seedTSNEImage},
		{"network", o.SpaceLayer, acts[o.SpaceLayer].Data, prod(acts[o.SpaceLayer].Shape), o.Seed + seedTSNENetwork},
	}
	xys := make([][][]float64, len(spaces)) // per space, the coordinates of each embedding
	for si, s := range spaces {
		runs := embeddingRuns(o, s.seed)
		for r := 1; r < len(runs); r++ {
			res.Seeds[fmt.Sprintf("tsne_%s_robust%d", s.name, r)] = runs[r].Seed
		}
		sp.begin("t-SNE of %s (%d × %d) for the %s space, %d embedding(s)", s.source, data.N, s.d, s.name, len(runs))
		embs, warns, err := st.tsne(ctx, s.x, data.N, s.d, o, runs, log)
		if err != nil {
			return nil, fmt.Errorf("probe: %s space (t-SNE of %s): %w", s.name, s.source, err)
		}
		if len(embs) != len(runs) {
			return nil, fmt.Errorf("probe: %s space: t-SNE returned %d embeddings for %d runs", s.name, len(embs), len(runs))
		}
		for _, w := range warns {
			res.Warnings = append(res.Warnings, fmt.Sprintf("t-SNE of %s: %s", s.source, w))
		}
		sp.end()
		sr := SpaceResult{Name: s.name, Source: s.source, Dims: s.d, XY: embs[0].XY, Frame: SquareFrame(embs[0].XY), Quality: embs[0].Quality}
		for r, e := range embs {
			sr.Embeddings = append(sr.Embeddings, Embedding{Seed: runs[r].Seed, Perplexity: runs[r].Perplexity, Quality: maps.Clone(e.Quality)})
			xys[si] = append(xys[si], e.XY)
		}
		res.Spaces = append(res.Spaces, sr)
	}

	// PCA per layer.
	for i := range res.Layers {
		l := &res.Layers[i]
		if l.Units < 2 {
			continue
		}
		sp.begin("PCA of %s (%d units)", l.Name, l.Units)
		p, warn, err := layerPCA(ctx, l.Acts, data.N, l.Units, o)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("no PCA of %s: %v", l.Name, err))
		} else {
			l.PCA = p
		}
		if warn != "" {
			res.Warnings = append(res.Warnings, l.Name+": "+warn)
		}
		sp.end()
	}

	// Cell scores: every unit and PC of every layer, in every embedding of
	// both spaces.
	nc := nclasses(data)
	for si := range res.Spaces {
		s := &res.Spaces[si]
		for _, l := range res.Layers {
			var items []UnitScores
			var signals [][]float32
			var owner []int // signal → item
			add := func(kind string, idx int, v []float32) {
				signed := hasNegative(v)
				u := UnitScores{Layer: l.Name, Space: s.Name, Kind: kind, Index: idx, Signed: signed}
				items = append(items, u)
				if !signed {
					signals = append(signals, v)
					owner = append(owner, len(items)-1)
					return
				}
				pos, neg := splitSigns(v)
				signals = append(signals, pos, neg)
				owner = append(owner, len(items)-1, len(items)-1)
			}
			for u := 0; u < l.Units; u++ {
				add("unit", u, column(l.Acts, data.N, l.Units, u))
			}
			if l.PCA != nil {
				for k := 0; k < l.PCA.K; k++ {
					add("pc", k, column(l.PCA.Scores, data.N, l.PCA.K, k))
				}
			}
			var shown []PartScores                   // per signal, in the first embedding
			sets := make([][][]string, len(signals)) // per signal, its labels in each embedding
			for e, xy := range xys[si] {
				sp.begin("scoring %d units and %d PCs of %s in %s space, embedding %d of %d (%d signals)",
					l.Units, len(items)-l.Units, l.Name, s.Name, e+1, len(xys[si]), len(signals))
				frame := s.Frame
				if e > 0 {
					frame = SquareFrame(xy)
				}
				parts, params, err := st.score(ctx, xy, frame, signals, data.Labels, nc, o, o.Seed+seedCells)
				if err != nil {
					return nil, fmt.Errorf("probe: scoring %s in %s space (embedding %d): %w", l.Name, s.Name, e+1, err)
				}
				if len(parts) != len(signals) {
					return nil, fmt.Errorf("probe: scorer returned %d results for %d signals", len(parts), len(signals))
				}
				sp.end()
				facts := spaceFacts(params)
				addFacts(&s.Embeddings[e].Quality, facts)
				if e == 0 {
					addFacts(&s.Quality, facts)
					res.CellParams = params
					shown = parts
				}
				for j, p := range parts {
					sets[j] = append(sets[j], p.Labels)
				}
			}
			for j, p := range shown {
				vote(&p, sets[j])
				it := &items[owner[j]]
				if it.Signed {
					p.Sign = "+"
					if len(it.Parts) == 1 {
						p.Sign = "-"
					}
				}
				it.Parts = append(it.Parts, p)
			}
			res.Scores = append(res.Scores, items...)
		}
	}
	res.Timings = sp.timings
	return res, nil
}

// spaceFacts removes the scorer's facts about the space (the parameters
// named with spacePrefix) from params and returns them by their own names.
func spaceFacts(params map[string]any) map[string]float64 {
	facts := map[string]float64{}
	for k, v := range params {
		if name, ok := strings.CutPrefix(k, spacePrefix); ok {
			if f, ok := v.(float64); ok {
				facts[name] = f
			}
			delete(params, k)
		}
	}
	return facts
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

// Labels with a fixed meaning in the vote: grid and weakly-grid are voted
// together, and the null labels hold only when no other label does.
const (
	labelGrid       = "grid"
	labelWeaklyGrid = "weakly-grid"
	labelNone       = "none"
	labelSilent     = "silent"
	labelUndefined  = "undefined"
)

func isNullLabel(l string) bool { return l == labelNone || l == labelSilent || l == labelUndefined }

// vote sets p's labels to those it has in a strict majority of the
// embeddings, given its labels in each (sets, the shown embedding first),
// and records the count per label (p.Runs, p.EmbeddingLabels, the score
// robust_runs and, with more than one embedding, one reason per label):
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
	gridPass := runs[labelGrid] >= need
	weakDone := false // weakly-grid decided
	weak := func() {
		if weakDone {
			return
		}
		weakDone = true
		if gridPass {
			if runs[labelWeaklyGrid] > 0 {
				reasons = append(reasons, fmt.Sprintf("%s: in %d of %d embeddings; grid holds instead", labelWeaklyGrid, runs[labelWeaklyGrid], n))
			}
			return
		}
		if held(labelWeaklyGrid, "grid or weakly-grid ", runs[labelGrid]+runs[labelWeaklyGrid]) {
			labels = append(labels, labelWeaklyGrid)
		}
	}
	for _, l := range order {
		switch {
		case isNullLabel(l):
		case l == labelGrid:
			if held(labelGrid, "", runs[labelGrid]) {
				labels = append(labels, labelGrid)
			}
			weak()
		case l == labelWeaklyGrid:
			weak()
		default:
			if held(l, "", runs[l]) {
				labels = append(labels, l)
			}
		}
	}
	if len(labels) == 0 {
		labels = []string{labelNone}
		for _, l := range []string{labelSilent, labelUndefined} {
			if runs[l] >= need {
				labels = []string{l}
			}
		}
	}
	p.Labels = labels
	p.EmbeddingLabels = sets
	p.Runs = runs
	if p.Scores == nil {
		p.Scores = map[string]*float64{}
	}
	total := float64(n)
	p.Scores["robust_runs"] = &total
	if n > 1 {
		p.Reasons = append(p.Reasons, reasons...)
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
	hit := 0
	for i, l := range labels {
		row := out.Data[i*c : (i+1)*c]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		if best == l {
			hit++
		}
	}
	a := float64(hit) / float64(len(labels))
	return &a
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
// (or more when o.PCs asks for more).
func layerPCA(ctx context.Context, x []float32, n, d int, o Options) (*PCAResult, string, error) {
	kmax := min(n, d, max(100, o.PCs))
	if o.PCs > kmax {
		return nil, "", fmt.Errorf("--pcs %d is more than the %d components of %d points × %d units", o.PCs, kmax, n, d)
	}
	r, err := embed.PCAContext(ctx, x, n, d, kmax)
	if err != nil {
		return nil, "", err
	}
	p := &PCAResult{Auto: o.PCs == 0, Threshold: o.PCVariance, Ratios: r.ExplainedVarianceRatio}
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
