package probe

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/conceptcells/conceptcells/cells"
	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/embed"
	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
)

// pipeline wires Run to the executor (Collect), the t-SNE (embed)
// and the cell scorer (cells).
var pipeline = stages{collect: collectStage, tsne: tsneStage, score: scoreStage}

// collectStage runs Collect, reporting its progress as the "activations"
// stage, and returns the hooked tensors by the names they were asked for.
func collectStage(ctx context.Context, m *onnxio.Model, data *dataset.Set, tensors []string, o Options) (map[string]tensorActs, error) {
	acts, err := Collect(ctx, m, data, CollectOptions{Hooks: tensors, BatchSize: o.BatchSize, SkipOutput: true, MaxMemory: o.MaxMemory,
		Reduce: o.Reduce, MatchKind: true, LayerReduce: o.LayerReduce,
		Progress: func(done, total int) { o.report("activations", done, total) }})
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
		out[h] = tensorActs{Shape: shape, Data: a.Data, TensorShape: a.Shape, Reduce: a.Reduce, Layout: a.Layout}
	}
	return out, nil
}

// tsneStage runs the t-SNE runs with embed.TSNEMany (one neighbour search,
// affinities once per perplexity) from random initialisations, printing
// its progress lines to log. Warnings repeated by several runs are
// returned once.
func tsneStage(ctx context.Context, x []float32, n, d int, o Options, runs []tsneRun, log io.Writer) ([]embedding, []string, error) {
	// The t-SNE keeps to the executor's budget: a run estimated to need
	// more is refused before it starts.
	budget := o.MaxMemory
	if budget == 0 {
		budget = engine.DefaultMaxMemory()
	}
	to := embed.TSNEOptions{Perplexity: o.Perplexity, Iterations: o.Iterations, PCA: o.TSNEPCA, Init: "random",
		Seed: uint64(runs[0].Seed), Progress: log, MaxMemory: budget}
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
// frame run chose, reporting its progress as the "cells" stage.
func scoreStage(ctx context.Context, xy []float64, frame [4]float64, signals [][]float32, labels []int, nclass int, o Options, seed int64) ([]PartScores, *cells.Params, error) {
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
	co.Progress = func(done, total int) { o.report("cells", done, total) }
	r, err := cells.ScoreUnits(ctx, f, cols, labels, co)
	if err != nil {
		return nil, nil, err
	}
	if len(r.Units) != len(signals) {
		return nil, nil, fmt.Errorf("probe: cells scored %d parts for %d signals", len(r.Units), len(signals))
	}
	out := make([]PartScores, len(r.Units))
	for i, u := range r.Units {
		p := PartScores{Labels: u.Labels, Scores: u.Scores, Reasons: u.Reasons}
		if u.N > 0 {
			p.RateMap = &Map{Rows: u.N, Cols: u.N, Values: u.Raw}
			p.Smooth = &Map{Rows: u.N, Cols: u.N, Values: u.Smooth}
			if m := 2*u.N - 1; len(u.SAC) == m*m {
				p.SAC = &Map{Rows: m, Cols: m, Values: u.SAC}
			}
		}
		out[i] = p
	}
	return out, &r.Params, nil
}
