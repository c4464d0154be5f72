// Package reports turns the results of a probe into a self-contained HTML
// report, a JSON document and a CSV table of unit scores.
//
// The data model is Report: everything the HTML shows is a field of it, and
// WriteJSON writes all of it, so a reader of the JSON sees what a reader of
// the HTML sees. The HTML is one file with its CSS, JavaScript and images
// inline; it makes no network requests and opens from a file:// URL.
package reports

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/conceptcells/conceptcells/probe"
)

// Report is everything a probe report shows. The zero value is an empty
// report; New fills one from a probe result.
type Report struct {
	Tool    string `json:"tool"`    // "conceptcells"
	Version string `json:"version"` // tool version
	Created string `json:"created"` // RFC 3339 time the report was made

	Model   Model   `json:"model"`
	Dataset Dataset `json:"dataset"`
	// Accuracy is the top-1 accuracy of the model's output on the labelled
	// points, as a fraction; nil without labels or when the output is not a
	// class score vector of the label count.
	Accuracy *float64 `json:"accuracy"`
	// AccuracyNote says why Accuracy is nil when the data have labels.
	AccuracyNote string `json:"accuracy_note,omitempty"`

	Params Params `json:"params"`
	// Seeds holds every seed used, by step ("tsne_image", "shuffles", …).
	Seeds    map[string]int64 `json:"seeds"`
	Timings  []Timing         `json:"timings"`
	Warnings []string         `json:"warnings"`

	// Classes names each class label (index = label); Labels holds one label
	// per point, or is nil when the dataset has none.
	Classes []string `json:"classes"`
	Labels  []int    `json:"labels"`

	Spaces  []Space  `json:"spaces"`
	Layers  []Layer  `json:"layers"`
	Results []Result `json:"results"`

	// Summary counts the unit classes per layer, kind and space, and
	// Findings says the same in words. Verdict compares the run with the
	// paper's findings, only in the paper's setting; otherwise it is empty
	// and VerdictNote says why. All are derived by Finish.
	Summary     []SummaryRow `json:"summary"`
	Findings    []string     `json:"findings"`
	Verdict     []Verdict    `json:"verdict"`
	VerdictNote string       `json:"verdict_note,omitempty"`
}

// Model describes the ONNX model that was probed.
type Model struct {
	File            string            `json:"file"` // base name of the model file
	SHA256          string            `json:"sha256"`
	Producer        string            `json:"producer"`
	ProducerVersion string            `json:"producer_version"`
	IRVersion       int64             `json:"ir_version"`
	Opsets          map[string]int64  `json:"opsets"` // domain ("" = ai.onnx) → version
	Inputs          []string          `json:"inputs"`
	Outputs         []string          `json:"outputs"`
	Nodes           int               `json:"nodes"`
	Metadata        map[string]string `json:"metadata"` // metadata_props
}

// Dataset describes the points that were run through the model.
type Dataset struct {
	Name          string `json:"name"`   // e.g. "mnist-test"
	Source        string `json:"source"` // where it came from (path or "embedded")
	N             int    `json:"n"`      // number of points used
	Shape         []int  `json:"shape"`  // per-point input shape
	Normalisation string `json:"normalisation"`
	HasLabels     bool   `json:"has_labels"`
}

// Params holds every parameter of the run.
type Params struct {
	Layers        []string `json:"layers"`
	LayersChosen  string   `json:"layers_chosen"` // "flag" or how they were picked
	SpaceLayer    string   `json:"space_layer"`
	Limit         int      `json:"limit"`
	BatchSize     int      `json:"batch_size"`
	PCs           string   `json:"pcs"` // "auto" or a count
	PCVariance    float64  `json:"pc_variance"`
	Perplexity    float64  `json:"perplexity"`
	Iterations    int      `json:"iterations"`
	TSNEPCA       int      `json:"tsne_pca"` // PCA dims before the kNN search, 0 = none
	Bins          int      `json:"bins"`
	Shuffles      int      `json:"shuffles"`
	FieldShuffles int      `json:"field_shuffles"`
	// RobustSeeds is the number of t-SNE embeddings per space beyond the
	// first; the extra ones alternate Perplexity and RobustPerplexity.
	RobustSeeds      int     `json:"robust_seeds"`
	RobustPerplexity float64 `json:"robust_perplexity"`
	Seed             int64   `json:"seed"`
	// Cells holds the classification thresholds and other cell-scoring
	// options, by name.
	Cells map[string]any `json:"cells"`
}

// Timing is the wall time of one step.
type Timing struct {
	Step    string  `json:"step"`
	Seconds float64 `json:"seconds"`
}

// Space is a 2-D concept space: one point per dataset item.
type Space struct {
	Name   string `json:"name"`   // "image" or "network"
	Source string `json:"source"` // what was embedded: "input" or a tensor name
	Dims   int    `json:"dims"`   // dimension of what was embedded
	// X and Y are the embedding coordinates, one per point.
	X Floats `json:"x"`
	Y Floats `json:"y"`
	// Frame is the square bounding box [xmin, xmax, ymin, ymax] the rate
	// maps use.
	Frame [4]float64 `json:"frame"`
	// Quality holds embedding quality metrics ("kl", "knn_preservation", …).
	Quality map[string]float64 `json:"quality"`
	// Embeddings lists every t-SNE of the space, the one shown (X, Y)
	// first; unit labels are voted over them.
	Embeddings []Embedding `json:"embeddings"`
}

// Embedding is one t-SNE of a space: its seed, the perplexity asked for,
// and its quality ("kl", the "perplexity" used, "density_gridness", …).
type Embedding struct {
	Seed       int64              `json:"seed"`
	Perplexity float64            `json:"perplexity"`
	Quality    map[string]float64 `json:"quality"`
}

// Layer is one hooked tensor.
type Layer struct {
	Name   string `json:"name"` // tensor name
	Node   string `json:"node"` // producing node
	Op     string `json:"op"`   // producing op type
	Role   string `json:"role"` // "pre-final", "final" or ""
	Shape  []int  `json:"shape"`
	Units  int    `json:"units"`
	Signed bool   `json:"signed"` // activations take both signs
	// TensorShape is the hooked tensor's per-point shape before Reduce
	// ("none", "spatial-mean", "spatial-max", "cls", "token-mean") made
	// it Units units; Layout is how the tensor was read ("vector",
	// "channels", "tokens"); UnitIndex holds the original index of each
	// unit chosen with --units (absent when all are kept).
	TensorShape []int  `json:"tensor_shape,omitempty"`
	Reduce      string `json:"reduce,omitempty"`
	Layout      string `json:"layout,omitempty"`
	UnitIndex   []int  `json:"unit_index,omitempty"`
	// Activations holds one row per unit, each with one value per point.
	Activations []Floats `json:"activations"`
	PCA         *PCA     `json:"pca"`
}

// PCA is the principal component analysis of a layer's activations.
type PCA struct {
	K         int     `json:"k"` // PCs kept
	Auto      bool    `json:"auto"`
	Threshold float64 `json:"threshold"` // variance fraction for auto
	// Explained holds the explained-variance ratio of every component
	// computed (at least K), largest first.
	Explained  []float64 `json:"explained"`
	Cumulative float64   `json:"cumulative"` // sum of the first K ratios
	// Scores holds one row per kept PC, each with one value per point.
	Scores []Floats `json:"scores"`
}

// Result holds the unit results of one layer in one space.
type Result struct {
	Layer string `json:"layer"`
	Space string `json:"space"`
	Units []Unit `json:"units"`
}

// Unit is one unit or principal component of a layer in one space.
type Unit struct {
	Kind   string `json:"kind"`  // "unit" or "pc"
	Index  int    `json:"index"` // unit index, or PC index from 0
	Signed bool   `json:"signed"`
	// Parts has one element for an unsigned unit (Sign ""), and two for a
	// signed one: the positive part max(a,0) ("+") and the negative part
	// max(−a,0) ("-"), scored separately (cell-metrics spec §1.4).
	Parts []Part `json:"parts"`
}

// Part is the scoring of one non-negative signal. Its scores, maps and
// first reasons are those of the space's first embedding; its labels are
// those it has in a strict majority of the space's embeddings.
type Part struct {
	Sign   string   `json:"sign"`
	Labels []string `json:"labels"` // subset of grid, weakly-grid or cluster-grid, place, concept; or none / silent
	// EmbeddingLabels holds the labels in each embedding (the shown one
	// first), and Runs, for every label that occurred, in how many
	// embeddings it held.
	EmbeddingLabels [][]string     `json:"embedding_labels,omitempty"`
	Runs            map[string]int `json:"runs,omitempty"`
	Reasons         []string       `json:"reasons"` // the scores and thresholds that decided each label, then the vote
	// Scores by name; nil for an undefined score.
	Scores map[string]*float64 `json:"scores"`
	// RateMap is the raw binned mean (used for scoring), Smooth the
	// smooth-then-divide map (display, fields) and SAC the spatial
	// autocorrelogram of RateMap.
	RateMap *Grid `json:"rate_map"`
	Smooth  *Grid `json:"rate_map_smooth"`
	SAC     *Grid `json:"sac"`
}

// Grid is a row-major 2-D array; NaN marks an undefined cell (null in JSON).
// Row 0 is the lowest y.
type Grid struct {
	Rows, Cols int
	Values     []float64
}

// MarshalJSON writes {"rows":…,"cols":…,"values":[…]} with null for NaN
// and values rounded to float32 precision.
func (g *Grid) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16+len(g.Values)*8)
	b = append(b, `{"rows":`...)
	b = strconv.AppendInt(b, int64(g.Rows), 10)
	b = append(b, `,"cols":`...)
	b = strconv.AppendInt(b, int64(g.Cols), 10)
	b = append(b, `,"values":[`...)
	for i, v := range g.Values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, v)
	}
	return append(b, "]}"...), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *Grid) UnmarshalJSON(data []byte) error {
	var v struct {
		Rows, Cols int
		Values     []*float64
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	g.Rows, g.Cols = v.Rows, v.Cols
	g.Values = make([]float64, len(v.Values))
	for i, p := range v.Values {
		if p == nil {
			g.Values[i] = math.NaN()
		} else {
			g.Values[i] = *p
		}
	}
	return nil
}

// Floats is a float32 series that writes NaN and ±Inf as null in JSON.
type Floats []float32

// MarshalJSON writes the values at float32 precision, null for NaN/±Inf.
func (f Floats) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("null"), nil
	}
	b := make([]byte, 0, 2+len(f)*8)
	b = append(b, '[')
	for i, v := range f {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, float64(v))
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads what MarshalJSON writes; null becomes NaN.
func (f *Floats) UnmarshalJSON(data []byte) error {
	var v []*float32
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	if v == nil {
		*f = nil
		return nil
	}
	*f = make(Floats, len(v))
	for i, p := range v {
		if p == nil {
			(*f)[i] = float32(math.NaN())
		} else {
			(*f)[i] = *p
		}
	}
	return nil
}

func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, float64(float32(v)), 'g', -1, 32)
}

// SummaryRow counts unit classes in one layer, kind and space
// (probe.SummaryRow).
type SummaryRow = probe.SummaryRow

// Verdict is one of the paper's claims and what this run found
// (probe.Verdict).
type Verdict = probe.Verdict

// Label names used by the classification (see probe's).
const (
	LabelGrid        = probe.LabelGrid
	LabelWeaklyGrid  = probe.LabelWeaklyGrid
	LabelClusterGrid = probe.LabelClusterGrid
	LabelPlace       = probe.LabelPlace
	LabelConcept     = probe.LabelConcept
	LabelNone        = probe.LabelNone
	LabelSilent      = probe.LabelSilent
	LabelUndefined   = probe.LabelUndefined
)

// SummaryLabels lists the labels the summary always counts, in display
// order (probe.SummaryLabels).
var SummaryLabels = probe.SummaryLabels
