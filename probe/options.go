package probe

import "io"

// Options configures Run. Start from DefaultOptions; every zero field that
// has a default gets it.
type Options struct {
	// Layers names the hooked tensors; empty means ChooseLayers.
	Layers []string
	// SpaceLayer names the tensor whose t-SNE is the network space; empty
	// means the last of Layers.
	SpaceLayer string
	// Limit uses the first Limit points only; 0 means all.
	Limit int
	// BatchSize is the number of points per executor call.
	BatchSize int
	// MaxMemory is the executor's memory budget in bytes (0: the engine's
	// default, half the physical memory).
	MaxMemory int64
	// PCs is the number of principal components kept per layer; 0 means
	// auto: the fewest that explain PCVariance of the variance.
	PCs        int
	PCVariance float64
	// Perplexity, Iterations and TSNEPCA (PCA dimensions before the kNN
	// search; 0 = none, exact neighbours in the input space) configure the
	// t-SNE of both spaces. Every t-SNE starts from a random
	// initialisation drawn from its own seed.
	Perplexity float64
	Iterations int
	TSNEPCA    int
	// Bins per side of the rate maps, activation permutations per unit (SI,
	// CSI) and field shuffles per unit (gridness).
	Bins          int
	Shuffles      int
	FieldShuffles int
	// RobustSeeds is the number of t-SNE embeddings of each space in
	// addition to the first (0 = one embedding). Extra embedding r uses a
	// new seed and, alternately, Perplexity (r odd) and RobustPerplexity (r
	// even). Every unit part is scored in every embedding and keeps the
	// labels it has in a strict majority of them (cell-metrics spec §9.4);
	// the first embedding is the one shown. Unlike the other fields, 0 is
	// not replaced by the default.
	RobustSeeds int
	// RobustPerplexity is the second perplexity of the extra embeddings.
	RobustPerplexity float64
	// Seed is the base seed; every step derives its own seed from it and
	// Result.Seeds records them.
	Seed int64
	// Quiet turns progress off; Log receives progress text (nil = none).
	Quiet bool
	Log   io.Writer
}

// DefaultOptions are the paper's analysis with the cell-metrics spec's
// defaults: automatic layers, PCs for 95% of the variance, three t-SNE
// embeddings per space (perplexities 30, 30 and 50) of 750 iterations on
// exact input-space neighbours, 40 bins, 200 permutations, 100 field
// shuffles, seed 1.
var DefaultOptions = Options{
	BatchSize:        256,
	PCVariance:       0.95,
	Perplexity:       30,
	Iterations:       750,
	Bins:             40,
	Shuffles:         200,
	FieldShuffles:    100,
	RobustSeeds:      2,
	RobustPerplexity: 50,
	Seed:             1,
}

// withDefaults fills zero fields from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.BatchSize <= 0 {
		o.BatchSize = d.BatchSize
	}
	if o.PCVariance <= 0 {
		o.PCVariance = d.PCVariance
	}
	if o.Perplexity <= 0 {
		o.Perplexity = d.Perplexity
	}
	if o.RobustPerplexity <= 0 {
		o.RobustPerplexity = d.RobustPerplexity
	}
	if o.Iterations <= 0 {
		o.Iterations = d.Iterations
	}
	if o.Bins <= 0 {
		o.Bins = d.Bins
	}
	if o.Shuffles <= 0 {
		o.Shuffles = d.Shuffles
	}
	if o.FieldShuffles <= 0 {
		o.FieldShuffles = d.FieldShuffles
	}
	return o
}
