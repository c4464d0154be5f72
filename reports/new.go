package reports

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/conceptcells/conceptcells/cells"
	"github.com/conceptcells/conceptcells/internal/version"
	"github.com/conceptcells/conceptcells/probe"
)

// New builds the report of a probe result. The result's slices are
// copied or referenced, never modified.
func New(res *probe.Result) *Report {
	r := &Report{Tool: "conceptcells", Version: version.Version, Created: time.Now().UTC().Format(time.RFC3339),
		Accuracy: res.Accuracy, AccuracyNote: res.AccuracyNote, Seeds: res.Seeds, Warnings: res.Warnings}
	if m := res.Model; m != nil {
		r.Model = Model{File: filepath.Base(m.Path), SHA256: m.SHA256, IRVersion: m.IRVersion, Opsets: m.Opsets, Nodes: len(m.Nodes)}
		if m.Path == "" {
			r.Model.File = "(in memory)"
		}
		r.Model.Producer = m.ProducerName
		r.Model.ProducerVersion = m.ProducerVersion
		if len(m.Metadata) > 0 {
			r.Model.Metadata = map[string]string{}
			for _, kv := range m.Metadata {
				r.Model.Metadata[kv.Key] = kv.Value
			}
		}
		for _, in := range m.Inputs {
			r.Model.Inputs = append(r.Model.Inputs, in.Name())
		}
		for _, out := range m.Outputs {
			r.Model.Outputs = append(r.Model.Outputs, out.Name())
		}
	}
	if d := res.Data; d != nil {
		r.Dataset = Dataset{Name: d.Name, Source: withoutDirs(d.Source), N: d.N, Shape: d.Shape, HasLabels: d.Labels != nil}
		norm := "fed as stored"
		if d.Norm != nil {
			norm = "normalised " + d.Norm.String()
		}
		if d.Scaled {
			norm = "pixels/255, " + norm
		}
		r.Dataset.Normalisation = norm
		r.Labels = d.Labels
		r.Classes = d.Classes
		if r.Labels != nil && r.Classes == nil {
			n := 0
			for _, l := range r.Labels {
				n = max(n, l+1)
			}
			for c := 0; c < n; c++ {
				r.Classes = append(r.Classes, fmt.Sprint(c))
			}
		}
	}
	o := res.Options
	pcs := "auto"
	if o.PCs > 0 {
		pcs = fmt.Sprint(o.PCs)
	}
	r.Params = Params{Layers: o.Layers, LayersChosen: res.LayersChosen, SpaceLayer: o.SpaceLayer, Limit: o.Limit,
		BatchSize: o.BatchSize, PCs: pcs, PCVariance: o.PCVariance, Perplexity: o.Perplexity, Iterations: o.Iterations,
		TSNEPCA: max(o.TSNEPCA, 0), Bins: o.Bins, Shuffles: o.Shuffles, FieldShuffles: o.FieldShuffles, RobustSeeds: o.RobustSeeds, RobustPerplexity: o.RobustPerplexity, Seed: o.Seed,
		Cells: cellSettings(res.Cells)}
	for _, t := range res.Timings {
		r.Timings = append(r.Timings, Timing{Step: t.Step, Seconds: t.Seconds})
	}
	n := 0
	if res.Data != nil {
		n = res.Data.N
	}
	for _, sp := range res.Spaces {
		s := Space{Name: sp.Name, Source: sp.Source, Dims: sp.Dims, Frame: sp.Frame, Quality: sp.Quality,
			X: make(Floats, len(sp.XY)/2), Y: make(Floats, len(sp.XY)/2)}
		for i := range s.X {
			s.X[i] = float32(sp.XY[2*i])
			s.Y[i] = float32(sp.XY[2*i+1])
		}
		if s.Frame == ([4]float64{}) {
			s.Frame = probe.SquareFrame(sp.XY)
		}
		for _, e := range sp.Embeddings {
			s.Embeddings = append(s.Embeddings, Embedding{Seed: e.Seed, Perplexity: e.Perplexity, Quality: e.Quality})
		}
		r.Spaces = append(r.Spaces, s)
	}
	signed := map[string]bool{}
	for _, u := range res.Scores {
		if u.Kind == "unit" && u.Signed {
			signed[u.Layer] = true
		}
	}
	for _, l := range res.Layers {
		ly := Layer{Name: l.Name, Node: l.Node, Op: l.Op, Role: l.Role, Shape: l.Shape, Units: l.Units, Signed: signed[l.Name],
			TensorShape: l.TensorShape, Reduce: l.Reduce, Layout: l.Layout, UnitIndex: l.UnitIndex}
		ly.Activations = columns(l.Acts, n, l.Units)
		if p := l.PCA; p != nil {
			ly.PCA = &PCA{K: p.K, Auto: p.Auto, Threshold: p.Threshold, Explained: p.Ratios, Scores: columns(p.Scores, n, p.K)}
			for i := 0; i < p.K && i < len(p.Ratios); i++ {
				ly.PCA.Cumulative += p.Ratios[i]
			}
		}
		r.Layers = append(r.Layers, ly)
	}
	index := map[string]int{}
	for _, u := range res.Scores {
		key := u.Layer + "\x00" + u.Space
		i, ok := index[key]
		if !ok {
			i = len(r.Results)
			index[key] = i
			r.Results = append(r.Results, Result{Layer: u.Layer, Space: u.Space})
		}
		unit := Unit{Kind: u.Kind, Index: u.Index, Signed: u.Signed}
		for _, p := range u.Parts {
			unit.Parts = append(unit.Parts, Part{Sign: p.Sign, Labels: p.Labels, EmbeddingLabels: p.EmbeddingLabels, Runs: p.Runs,
				Reasons: reasons(&p), Scores: partScores(&p), RateMap: grid(p.RateMap), Smooth: grid(p.Smooth), SAC: grid(p.SAC)})
		}
		r.Results[i].Units = append(r.Results[i].Units, unit)
	}
	r.setSummary(probe.Summarise(res.Outcome()))
	return r
}

// columns splits an n×k row-major matrix into k series of n values.
func columns(a []float32, n, k int) []Floats {
	if k <= 0 || n <= 0 || len(a) < n*k {
		return nil
	}
	out := make([]Floats, k)
	for j := range out {
		out[j] = make(Floats, n)
		for i := 0; i < n; i++ {
			out[j][i] = a[i*k+j]
		}
	}
	return out
}

// cellSettings returns the scorer's settings by name (cells.Params.Settings),
// or nil when nothing was scored.
func cellSettings(p *cells.Params) map[string]any {
	if p == nil {
		return nil
	}
	return p.Settings()
}

// reasons formats p's reasons: the scorer's checks, then the vote's.
func reasons(p *probe.PartScores) []string {
	var out []string
	for _, r := range p.Reasons {
		out = append(out, r.String())
	}
	return append(out, p.Vote...)
}

// partScores returns p's scores by their JSON names (cells.Scores.Map),
// with robust_runs, the number of embeddings the labels were voted over.
func partScores(p *probe.PartScores) map[string]*float64 {
	m := p.Scores.Map()
	n := float64(max(len(p.EmbeddingLabels), 1))
	m["robust_runs"] = &n
	return m
}

func grid(m *probe.Map) *Grid {
	if m == nil {
		return nil
	}
	return &Grid{Rows: m.Rows, Cols: m.Cols, Values: m.Values}
}

// Title is a one-line description of the report for logs.
func (r *Report) Title() string {
	return strings.TrimSpace(fmt.Sprintf("%s on %s (%d points)", r.Model.File, r.Dataset.Name, r.Dataset.N))
}

// absPath matches an absolute path in a dataset description: a token that
// starts with "/" (or a drive letter and a separator) after the start, a
// space or an opening bracket, up to a space, comma, semicolon or bracket.
var absPath = regexp.MustCompile(`(^|[\s(\[])((?:[A-Za-z]:)?[/\\][^\s,;()\[\]]*)`)

// withoutDirs replaces every absolute path in s by its last element, so
// that a report, which is made to be shared, does not carry the folders of
// the machine it was made on ("image folder /home/me/data/digits: …" →
// "image folder digits: …").
func withoutDirs(s string) string {
	return absPath.ReplaceAllStringFunc(s, func(m string) string {
		g := absPath.FindStringSubmatch(m)
		path := strings.TrimRight(g[2], ":")
		colon := g[2][len(path):]
		base := filepath.Base(strings.ReplaceAll(strings.TrimRight(path, `/\`), `\`, "/"))
		if base == "" || base == "." || base == "/" {
			return m
		}
		return g[1] + base + colon
	})
}
