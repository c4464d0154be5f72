package probe

import (
	"context"
	"fmt"
	"io"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/progress"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe/embed"
)

// pipeline wires Run to the executor (Collect), the t-SNE (probe/embed)
// and the cell scorer (probe/cells).
var pipeline = stages{collect: collectStage, tsne: tsneStage, score: scoreStage}

// collectStage runs Collect with a progress bar and returns the hooked
// tensors by the names they were asked for.
func collectStage(ctx context.Context, m *onnxio.Model, data *dataset.Set, tensors []string, o Options) (map[string]tensorActs, error) {
	bar := progress.New(int64(data.N), "activations", o.Quiet)
	acts, err := Collect(ctx, m, data, CollectOptions{Hooks: tensors, BatchSize: o.BatchSize, SkipOutput: true,
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

// tsneStage runs embed.TSNE with the probe's options, printing its
// progress lines to log.
func tsneStage(ctx context.Context, x []float32, n, d int, o Options, seed int64, log io.Writer) ([]float64, map[string]float64, []string, error) {
	to := embed.TSNEOptions{Perplexity: o.Perplexity, Iterations: o.Iterations, PCA: o.TSNEPCA, Seed: uint64(seed), Progress: log}
	r, err := embed.TSNE(ctx, x, n, d, to)
	if err != nil {
		return nil, nil, nil, err
	}
	q := map[string]float64{"kl": r.KL, "perplexity": r.Perplexity, "iterations": float64(r.Iterations)}
	return r.Y, q, r.Warnings, nil
}

// scoreStage is wired to probe/cells once its unit scorer lands.
func scoreStage(ctx context.Context, xy []float64, frame [4]float64, signals [][]float32, labels []int, nclass int, o Options, seed int64) ([]PartScores, map[string]any, error) {
	return nil, nil, fmt.Errorf("probe: the cell scorer is not wired yet")
}
