package probe

import (
	"github.com/conceptcells/conceptcells/cells"
	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
)

// Result is everything Run computed. reports.New turns it into a report.
type Result struct {
	Model   *onnxio.Model
	Data    *dataset.Set // the points used (after Limit)
	Options Options      // the options in effect, defaults filled in

	// Plan is the plan Run checked before running the model.
	Plan *Plan
	// LayersChosen says how the layers were picked ("--layers", or the
	// automatic choice with its reasons).
	LayersChosen string
	Layers       []LayerResult
	Spaces       []SpaceResult
	// Scores holds one entry per layer, space and unit or PC.
	Scores []UnitScores

	// Accuracy is the top-1 accuracy of the model's first output against
	// the labels, or nil.
	Accuracy *float64
	// AccuracyNote says why Accuracy is nil when the data have labels.
	AccuracyNote string
	// Cells holds the cell scorer's parameters and thresholds (those of
	// the last layer scored in the first embedding of a space; the options
	// are the same for every call), nil when nothing was scored.
	Cells    *cells.Params
	Seeds    map[string]int64
	Timings  []Timing
	Warnings []string
}

// Timing is the wall time of one pipeline step.
type Timing struct {
	Step    string
	Seconds float64
}

// LayerResult is one hooked tensor.
type LayerResult struct {
	Name string // tensor name
	Node string // producing node
	Op   string // producing op type
	Role string // "final", "pre-final" or ""
	// TensorShape is the per-point shape of the hooked tensor; Reduce
	// the reduction that turned it into units (ReduceNone,
	// ReduceSpatialMean, ReduceSpatialMax, ReduceTokenMean, ReduceCLS)
	// and Layout how the tensor was read (LayoutVector, LayoutChannels,
	// LayoutTokens; "" when not known).
	TensorShape []int
	Reduce      string
	Layout      string
	// Shape is the per-point shape of the units (after reduction and
	// selection); Units its product.
	Shape []int
	Units int
	// UnitIndex holds the original index (after reduction) of each unit
	// kept by Options.Units, nil when all are kept; UnitScores.Index is
	// the original index.
	UnitIndex []int
	// Acts holds the activations, N×Units row-major.
	Acts []float32
	// PCA of the activations, nil when skipped.
	PCA *PCAResult
}

// PCAResult is the principal component analysis of one layer.
type PCAResult struct {
	// Method is "exact" (embed.PCA) or "randomized" (embed.TruncatedPCA).
	Method    string
	K         int
	Auto      bool
	Threshold float64
	// Ratios holds the explained-variance ratio of every computed
	// component (at least K), largest first.
	Ratios []float64
	// Scores holds the projections on the K kept components, N×K row-major.
	Scores []float32
}

// SpaceResult is one 2-D concept space.
type SpaceResult struct {
	Name   string // "image" or "network"
	Source string // "input" or the embedded tensor's name
	Dims   int
	// XY holds the embedding shown, N×2 row-major: the first of
	// Embeddings.
	XY      []float64
	Frame   [4]float64 // square bounding box xmin, xmax, ymin, ymax
	Quality map[string]float64
	// Embeddings describes every t-SNE of the space, the shown one first;
	// each unit part's labels are voted over them.
	Embeddings []Embedding
}

// Embedding is one t-SNE of a space.
type Embedding struct {
	Seed       int64
	Perplexity float64 // as asked; Quality["perplexity"] is the one used
	// Quality holds the final KL divergence ("kl"), the perplexity used,
	// the iterations and the scorer's facts about the space
	// ("density_gridness", "frac_empty_bins", "points_in_frame": the
	// DensityGridness, FracEmpty and PointsInFrame of its cells.Params).
	Quality map[string]float64
}

// UnitScores holds the cell scores of one unit or PC in one space.
type UnitScores struct {
	Layer, Space string
	Kind         string // "unit" or "pc"
	Index        int
	Signed       bool
	Parts        []PartScores // one for an unsigned signal; "+" and "-" parts otherwise
}

// PartScores is the scoring of one non-negative signal. Scores, Reasons
// and the maps are those of the space's first embedding, as cells scored
// them; Labels are voted over all its embeddings (see Options.RobustSeeds)
// and Vote says how.
type PartScores struct {
	Sign string // "", "+" or "-"
	// Labels are those held in a strict majority of the embeddings.
	Labels []string
	// EmbeddingLabels holds the labels in each embedding, the shown one
	// first, and Runs, for every label that occurred, the number of
	// embeddings it held in.
	EmbeddingLabels [][]string
	Runs            map[string]int
	// Reasons are the scorer's checks behind the labels of the shown
	// embedding, and Vote the vote's reasons (one per label, only with
	// more than one embedding).
	Reasons []cells.Reason
	Vote    []string
	// Scores are the cell scores in the shown embedding.
	Scores cells.Scores
	// RateMap (raw binned mean), Smooth (display map) and SAC are row-major
	// with row 0 at the lowest y; NaN marks an empty bin or undefined lag.
	RateMap, Smooth, SAC *Map
}

// Map is a row-major 2-D array.
type Map struct {
	Rows, Cols int
	Values     []float64
}
