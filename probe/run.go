package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe/cells"
	"github.com/conceptcells/conceptcells/probe/embed"
)

// stages are Run's calls into the executor, the t-SNE and the cell
// scorer. Run uses pipeline (wired in wire.go); tests substitute simple
// deterministic stages to check the orchestration on its own.
type stages struct {
	// collect runs data through m and returns, for each tensor, its
	// per-point shape and the N×units activations.
	collect func(ctx context.Context, m *onnxio.Model, data *dataset.Set, tensors []string, o Options) (map[string]tensorActs, error)
	// tsne embeds the n×d matrix x in 2-D (n×2 row-major) and returns
	// quality metrics.
	tsne func(ctx context.Context, x []float32, n, d int, o Options, seed int64, log io.Writer) (xy []float64, quality map[string]float64, warnings []string, err error)
	// score scores each non-negative signal (n values each) on the points
	// xy (n×2) in frame, with optional labels, returning one PartScores per
	// signal (Sign left empty) and the scorer's parameters.
	score func(ctx context.Context, xy []float64, frame [4]float64, signals [][]float32, labels []int, nclass int, o Options, seed int64) ([]PartScores, map[string]any, error)
}

// tensorActs is one collected tensor.
type tensorActs struct {
	Shape []int     // per-point shape
	Data  []float32 // N × prod(Shape), row-major
}

// Run is the probe pipeline: it collects the activations of the chosen
// layers over data, embeds the input (image space) and a layer (network
// space) with t-SNE, runs PCA on each layer, and scores and classifies
// every unit and PC in both spaces. Signed signals (logits, PCs) are scored
// on their positive part max(a, 0) and, separately, their negative part
// max(−a, 0) (cell-metrics spec §1.4).
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
// gridness, empty bins); run moves them into the space's Quality.
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
		fmt.Fprintf(log, "conceptcells: layers %s (pre-final) and %s (final), chosen automatically\n", c.PreFinal, c.Final)
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
	for _, s := range spaces {
		sp.begin("t-SNE of %s (%d × %d) for the %s space", s.source, data.N, s.d, s.name)
		xy, q, warns, err := st.tsne(ctx, s.x, data.N, s.d, o, s.seed, log)
		if err != nil {
			return nil, fmt.Errorf("probe: %s space (t-SNE of %s): %w", s.name, s.source, err)
		}
		for _, w := range warns {
			res.Warnings = append(res.Warnings, fmt.Sprintf("t-SNE of %s: %s", s.source, w))
		}
		sp.end()
		res.Spaces = append(res.Spaces, SpaceResult{Name: s.name, Source: s.source, Dims: s.d, XY: xy, Frame: SquareFrame(xy), Quality: q})
	}

	// PCA per layer.
	for i := range res.Layers {
		l := &res.Layers[i]
		if l.Units < 2 {
			continue
		}
		sp.begin("PCA of %s (%d units)", l.Name, l.Units)
		p, warn, err := layerPCA(l.Acts, data.N, l.Units, o)
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

	// Cell scores: every unit and PC of every layer, in both spaces.
	nc := nclasses(data)
	cands := make([][]candidate, len(res.Spaces)) // grid candidates per space
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
			sp.begin("scoring %d units and %d PCs of %s in %s space (%d signals)", l.Units, len(items)-l.Units, l.Name, s.Name, len(signals))
			parts, params, err := st.score(ctx, s.XY, s.Frame, signals, data.Labels, nc, o, o.Seed+seedCells)
			if err != nil {
				return nil, fmt.Errorf("probe: scoring %s in %s space: %w", l.Name, s.Name, err)
			}
			if len(parts) != len(signals) {
				return nil, fmt.Errorf("probe: scorer returned %d results for %d signals", len(parts), len(signals))
			}
			sp.end()
			for k, v := range params {
				if q, ok := strings.CutPrefix(k, spacePrefix); ok {
					if f, ok := v.(float64); ok {
						if s.Quality == nil {
							s.Quality = map[string]float64{}
						}
						s.Quality[q] = f
					}
					delete(params, k)
				}
			}
			res.CellParams = params
			base := len(res.Scores)
			for j, p := range parts {
				it := &items[owner[j]]
				if it.Signed {
					p.Sign = "+"
					if len(it.Parts) == 1 {
						p.Sign = "-"
					}
				}
				if hasGridLabel(p.Labels) {
					cands[si] = append(cands[si], candidate{item: base + owner[j], part: len(it.Parts), signal: signals[j]})
				}
				it.Parts = append(it.Parts, p)
			}
			res.Scores = append(res.Scores, items...)
		}
	}

	// Robustness (cell-metrics spec §9.4): a grid label must hold in most
	// of 1 + RobustSeeds t-SNE embeddings of the same data.
	if o.RobustSeeds > 0 {
		for si := range res.Spaces {
			if err := robustness(ctx, res, si, spaces[si].x, spaces[si].d, spaces[si].seed, cands[si], nc, o, st, sp, log); err != nil {
				return nil, err
			}
		}
	}
	res.Timings = sp.timings
	return res, nil
}

// candidate is a scored part labelled grid or weakly-grid, with its signal.
type candidate struct {
	item, part int // index in Result.Scores and in its Parts
	signal     []float32
}

func hasGridLabel(labels []string) bool {
	return slices.Contains(labels, "grid") || slices.Contains(labels, "weakly-grid")
}

// robustSeedStep separates the seeds of the robustness embeddings from
// the main ones: run r of a space uses the space's seed + r·robustSeedStep.
const robustSeedStep = 100

// robustness re-embeds space si with o.RobustSeeds more t-SNE seeds,
// rescores the grid candidates there, and keeps a grid (weakly-grid) label
// only when the part has it in a majority of the 1 + RobustSeeds
// embeddings; the counts become the scores robust_runs, robust_grid_runs
// and robust_weak_grid_runs, and the decision a reason.
func robustness(ctx context.Context, res *Result, si int, x []float32, d int, seed0 int64, cands []candidate, nc int, o Options, st stages, sp *stepper, log io.Writer) error {
	if len(cands) == 0 {
		return nil
	}
	s := &res.Spaces[si]
	n := res.Data.N
	grid := make([]int, len(cands))
	weak := make([]int, len(cands)) // grid or weakly-grid
	signals := make([][]float32, len(cands))
	for j, c := range cands {
		signals[j] = c.signal
		p := &res.Scores[c.item].Parts[c.part]
		if slices.Contains(p.Labels, "grid") {
			grid[j]++
		}
		weak[j]++
	}
	for r := 1; r <= o.RobustSeeds; r++ {
		seed := seed0 + int64(r*robustSeedStep)
		res.Seeds[fmt.Sprintf("tsne_%s_robust%d", s.Name, r)] = seed
		sp.begin("robustness %d/%d: t-SNE of %s with seed %d, rescoring %d grid candidates", r, o.RobustSeeds, s.Source, seed, len(cands))
		xy, _, _, err := st.tsne(ctx, x, n, d, o, seed, log)
		if err != nil {
			return fmt.Errorf("probe: robustness t-SNE of %s (seed %d): %w", s.Source, seed, err)
		}
		parts, _, err := st.score(ctx, xy, SquareFrame(xy), signals, res.Data.Labels, nc, o, o.Seed+seedCells)
		if err != nil {
			return fmt.Errorf("probe: robustness scoring in %s space (seed %d): %w", s.Name, seed, err)
		}
		if len(parts) != len(signals) {
			return fmt.Errorf("probe: scorer returned %d results for %d signals", len(parts), len(signals))
		}
		for j, p := range parts {
			if slices.Contains(p.Labels, "grid") {
				grid[j]++
			}
			if hasGridLabel(p.Labels) {
				weak[j]++
			}
		}
		sp.end()
	}
	total := o.RobustSeeds + 1
	need := total/2 + 1
	for j, c := range cands {
		p := &res.Scores[c.item].Parts[c.part]
		if p.Scores == nil {
			p.Scores = map[string]*float64{}
		}
		t, g, w := float64(total), float64(grid[j]), float64(weak[j])
		p.Scores["robust_runs"], p.Scores["robust_grid_runs"], p.Scores["robust_weak_grid_runs"] = &t, &g, &w
		keep := func(label string, runs int) {
			if !slices.Contains(p.Labels, label) {
				return
			}
			mark := "pass"
			if runs < need {
				mark = "fail"
				p.Labels = slices.DeleteFunc(p.Labels, func(l string) bool { return l == label })
			}
			p.Reasons = append(p.Reasons, fmt.Sprintf("%s: robust over t-SNE seeds: in %d of %d embeddings >= %d (%s)", label, runs, total, need, mark))
		}
		hadGrid := slices.Contains(p.Labels, "grid")
		keep("grid", grid[j])
		if hadGrid && !slices.Contains(p.Labels, "grid") && weak[j] >= need {
			p.Labels = append(p.Labels, "weakly-grid")
			p.Reasons = append(p.Reasons, fmt.Sprintf("weakly-grid: grid or weakly-grid in %d of %d embeddings >= %d (pass)", weak[j], total, need))
		} else {
			keep("weakly-grid", weak[j])
		}
		if len(p.Labels) == 0 {
			p.Labels = []string{"none"}
		}
	}
	return nil
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
func layerPCA(x []float32, n, d int, o Options) (*PCAResult, string, error) {
	kmax := min(n, d, max(100, o.PCs))
	if o.PCs > kmax {
		return nil, "", fmt.Errorf("--pcs %d is more than the %d components of %d points × %d units", o.PCs, kmax, n, d)
	}
	r, err := embed.PCA(x, n, d, kmax)
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
