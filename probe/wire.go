package probe

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/conceptcells/conceptcells/cells"
	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/embed"
	"github.com/conceptcells/conceptcells/internal/progress"
	"github.com/conceptcells/conceptcells/onnxio"
)

// pipeline wires Run to the executor (Collect), the t-SNE (embed)
// and the cell scorer (cells).
var pipeline = stages{collect: collectStage, tsne: tsneStage, score: scoreStage}

// collectStage runs Collect with a progress bar and returns the hooked
// tensors by the names they were asked for.
func collectStage(ctx context.Context, m *onnxio.Model, data *dataset.Set, tensors []string, o Options) (map[string]tensorActs, error) {
	bar := progress.New(int64(data.N), "activations", o.Quiet)
	acts, err := Collect(ctx, m, data, CollectOptions{Hooks: tensors, BatchSize: o.BatchSize, SkipOutput: true, MaxMemory: o.MaxMemory,
		Progress: func(done, total int) { bar.Set(done) }})
	bar.Finish()
	if err != nil {
		return nil, err
	}
	out := map[string]tensorActs{}
	for _, h := range tensors {
		a := acts.Tensor(h)
		if a == nil {
			return nil, fmt.Errorf("probe: Collect returned no tensor for hook %q", h)
		}
		shape := a.Shape
		if prod(shape) != a.Units {
			shape = []int{a.Units}
		}
		out[h] = tensorActs{Shape: shape, Data: a.Data}
	}
	return out, nil
}

// tsneStage runs the t-SNE runs with embed.TSNEMany (one neighbour search,
// affinities once per perplexity) from random initialisations, printing
// its progress lines to log. Warnings repeated by several runs are
// returned once.
func tsneStage(ctx context.Context, x []float32, n, d int, o Options, runs []tsneRun, log io.Writer) ([]embedding, []string, error) {
	to := embed.TSNEOptions{Perplexity: o.Perplexity, Iterations: o.Iterations, PCA: o.TSNEPCA, Init: "random",
		Seed: uint64(runs[0].Seed), Progress: log}
	er := make([]embed.Run, len(runs))
	for i, r := range runs {
		er[i] = embed.Run{Perplexity: r.Perplexity, Seed: uint64(r.Seed)}
	}
	rs, err := embed.TSNEMany(ctx, x, n, d, to, er)
	if err != nil {
		return nil, nil, err
	}
	out := make([]embedding, len(rs))
	var warns []string
	for i, r := range rs {
		out[i] = embedding{XY: r.Y, Quality: map[string]float64{"kl": r.KL, "perplexity": r.Perplexity, "iterations": float64(r.Iterations)}}
		for _, w := range r.Warnings {
			if !slices.Contains(warns, w) {
				warns = append(warns, w)
			}
		}
	}
	return out, warns, nil
}

// scoreStage scores the non-negative signals with cells.ScoreUnits in the
// frame run chose, with a progress bar over the signals.
func scoreStage(ctx context.Context, xy []float64, frame [4]float64, signals [][]float32, labels []int, nclass int, o Options, seed int64) ([]PartScores, map[string]any, error) {
	n := len(xy) / 2
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		xs[i], ys[i] = xy[2*i], xy[2*i+1]
	}
	f, err := cells.NewFrame(xs, ys, o.Bins, &cells.Range{XMin: frame[0], XMax: frame[1], YMin: frame[2], YMax: frame[3]})
	if err != nil {
		return nil, nil, err
	}
	cols := make(cells.Columns, len(signals))
	for j, s := range signals {
		c := make([]float64, len(s))
		for i, v := range s {
			c[i] = float64(v)
		}
		cols[j] = c
	}
	co := cells.DefaultOptions()
	co.Bins = o.Bins
	co.Permutations = o.Shuffles
	co.FieldShuffles = o.FieldShuffles
	co.Seed = uint64(seed)
	co.Signed = cells.SignedNone // run splits signed signals itself
	bar := progress.New(int64(len(signals)), "cells", o.Quiet)
	co.Progress = func(done, total int) { bar.Set(done) }
	r, err := cells.ScoreUnits(ctx, f, cols, labels, co)
	bar.Finish()
	if err != nil {
		return nil, nil, err
	}
	if len(r.Units) != len(signals) {
		return nil, nil, fmt.Errorf("probe: cells scored %d parts for %d signals", len(r.Units), len(signals))
	}
	out := make([]PartScores, len(r.Units))
	for i, u := range r.Units {
		// Scores by the JSON names of `conceptcells cells`; nil = undefined.
		p := PartScores{Labels: u.Labels, Scores: u.Scores.Map()}
		for _, re := range u.Reasons {
			p.Reasons = append(p.Reasons, re.String())
		}
		if u.N > 0 {
			p.RateMap = &Map{Rows: u.N, Cols: u.N, Values: u.Raw}
			p.Smooth = &Map{Rows: u.N, Cols: u.N, Values: u.Smooth}
			if m := 2*u.N - 1; len(u.SAC) == m*m {
				p.SAC = &Map{Rows: m, Cols: m, Values: u.SAC}
			}
		}
		out[i] = p
	}
	pr := r.Params
	params := map[string]any{
		"bins": pr.Bins, "min_count": pr.MinCount, "smooth_sigma": pr.SmoothSigma, "min_overlap": pr.MinOverlap,
		"ring_inner": pr.RingInner, "ring_outer": pr.RingOuter, "compat": pr.Compat,
		"field_threshold": pr.FieldThreshold, "field_min_bins": pr.FieldMinBins,
		"permutations": pr.Permutations, "field_shuffles": pr.FieldShuffles, "percentile": pr.Percentile,
		"grid": pr.Thresholds.Grid, "weak_grid": pr.Thresholds.WeakGrid, "density_margin": pr.Thresholds.DensityMargin,
		"place_max_gridness": pr.Thresholds.PlaceMaxGridness, "place_fields": pr.Thresholds.PlaceFields,
		"place_max_field_frac": pr.Thresholds.PlaceMaxFieldFrac, "concept_csi": pr.Thresholds.ConceptCSI,
		"concept_p": pr.Thresholds.ConceptP, "concept_max_classes": pr.Thresholds.ConceptMaxClasses,
		"concept_class_frac": pr.Thresholds.ConceptClassFrac, "concept_within_class_p": pr.Thresholds.ConceptWithinClassP,
		"concept_coverage": pr.Thresholds.ConceptCoverage, "grid_min_fields": pr.Thresholds.GridMinFields,
		"field_null_max_frac": pr.Thresholds.FieldNullMaxFrac, "residual_gridness": pr.Thresholds.ResidualGridness,
		"grid_field_levels": pr.GridFieldLevels,
		// Per-space facts, moved into the space's quality by run.
		spacePrefix + "density_gridness": pr.DensityGridness, spacePrefix + "frac_empty_bins": pr.FracEmpty,
		spacePrefix + "points_in_frame": float64(pr.PointsInFrame),
	}
	return out, params, nil
}
