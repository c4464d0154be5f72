package probe

import (
	"fmt"
	"io"
	"math"

	"github.com/conceptcells/conceptcells/cells"
)

// Options configures Run. Start from DefaultOptions; every zero field that
// has a default gets it.
type Options struct {
	// Layers names the hooked tensors; empty means ChooseLayers.
	Layers []string
	// SpaceLayer names the tensor whose t-SNE is the network space; empty
	// means the last of Layers.
	SpaceLayer string
	// Reduce turns each hooked tensor into units (see the Reduce*
	// constants); "" means ReduceAuto: one unit per channel (spatial mean)
	// of N×C×H×W and N×C×L tensors, the class token's features of N×T×D
	// token tensors, every value of N×C vectors. A global mode applies to
	// the tensors of its kind, the others keep their automatic mode.
	Reduce string
	// LayerReduce maps a layer (as named in Layers) to its own reduction,
	// used as asked.
	LayerReduce map[string]string
	// Units chooses units (after reduction) by index: Units[layer] for a
	// layer, Units[""] for every layer (the indices a layer has). Unit
	// scores keep the original indices.
	Units map[string][]int
	// MaxUnits is the most units per layer (after reduction and Units)
	// Run accepts: it refuses before running the model when a layer has
	// more (DefaultMaxUnits when 0; negative means no limit).
	MaxUnits int
	// Limit uses the first Limit points only; 0 means all.
	Limit int
	// BatchSize is the number of points per executor call.
	BatchSize int
	// MaxMemory is the executor's memory budget in bytes (0: the engine's
	// default, half the physical memory), which the t-SNE's estimate
	// (embed.TSNEMemory) must keep to as well.
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
	// Progress, when not nil and not Quiet, is told how far each long
	// stage has got (see Progress).
	Progress Progress
}

// Progress receives the progress of a long stage of Run: done of total
// steps of stage, called as the work advances, done = total last. The
// stages are "activations" (points run through the model) and "cells"
// (signals scored, once per layer, space and embedding). It may be called
// from several goroutines, never concurrently.
type Progress func(stage string, done, total int)

// report calls o.Progress, if any and not Quiet.
func (o *Options) report(stage string, done, total int) {
	if o.Progress != nil && !o.Quiet {
		o.Progress(stage, done, total)
	}
}

// DefaultMaxUnits is the default Options.MaxUnits: every unit is scored
// in every embedding of both spaces and drawn in the report, so a wide
// layer costs time, memory and report size in proportion.
const DefaultMaxUnits = 2048

// DefaultOptions are the paper's analysis with the cell-metrics spec's
// defaults: automatic layers and reductions (channel means of feature
// maps, the class token of token tensors), at most DefaultMaxUnits units
// per layer, PCs for 95% of the variance, three t-SNE
// embeddings per space (perplexities 30, 30 and 50) of 750 iterations on
// exact input-space neighbours, 40 bins, 200 permutations, 100 field
// shuffles, seed 1.
var DefaultOptions = Options{
	Reduce:           ReduceAuto,
	MaxUnits:         DefaultMaxUnits,
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

// Validate reports the first option out of its range once the zero
// fields have their defaults: Seed ≥ 1; RobustSeeds, Limit, PCs and
// TSNEPCA ≥ 0; PCVariance in (0, 1]; Perplexity and RobustPerplexity
// finite; Bins in 3…cells.MaxBins; Shuffles and FieldShuffles in 0…1e6;
// Reduce and LayerReduce known reductions.
func (o Options) Validate() error {
	o = o.withDefaults()
	bad := func(name string, v any, want string) error {
		return fmt.Errorf("probe: option Options.%s = %v: want %s", name, v, want)
	}
	switch {
	case o.Seed < 1:
		return bad("Seed", o.Seed, "≥ 1")
	case o.RobustSeeds < 0:
		return bad("RobustSeeds", o.RobustSeeds, "≥ 0")
	case o.Limit < 0:
		return bad("Limit", o.Limit, "≥ 0 (0 = all points)")
	case o.PCs < 0:
		return bad("PCs", o.PCs, "≥ 0 (0 = auto)")
	case !(o.PCVariance <= 1):
		return bad("PCVariance", o.PCVariance, "0 < v ≤ 1")
	case math.IsNaN(o.Perplexity) || math.IsInf(o.Perplexity, 0):
		return bad("Perplexity", o.Perplexity, "> 0")
	case math.IsNaN(o.RobustPerplexity) || math.IsInf(o.RobustPerplexity, 0):
		return bad("RobustPerplexity", o.RobustPerplexity, "> 0")
	case o.TSNEPCA < 0:
		return bad("TSNEPCA", o.TSNEPCA, "≥ 0 (0 = none)")
	case o.Bins < 3 || o.Bins > cells.MaxBins:
		return bad("Bins", o.Bins, fmt.Sprintf("3…%d", cells.MaxBins))
	case o.Shuffles > 1_000_000:
		return bad("Shuffles", o.Shuffles, "1…1e6")
	case o.FieldShuffles > 1_000_000:
		return bad("FieldShuffles", o.FieldShuffles, "1…1e6")
	}
	if err := ValidReduce(o.Reduce); err != nil {
		return fmt.Errorf("probe: option Options.Reduce: %w", err)
	}
	for l, r := range o.LayerReduce {
		if err := ValidReduce(r); err != nil {
			return fmt.Errorf("probe: option Options.LayerReduce[%q]: %w", l, err)
		}
	}
	return nil
}

// withDefaults fills zero fields from DefaultOptions.
func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.Reduce == "" {
		o.Reduce = d.Reduce
	}
	if o.MaxUnits == 0 {
		o.MaxUnits = d.MaxUnits
	}
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
