package cells

import (
	"fmt"
	"math"
)

// Compat selects the scoring convention of the spatial autocorrelogram and
// the ring correlations.
type Compat int

const (
	// CompatSpec is the default: empty bins stay NaN through the
	// autocorrelogram (spec §1.2, §2), lags with fewer than MinOverlap valid
	// pairs are undefined, rotation is bilinear and undefined when a
	// contributing neighbour is NaN or outside, ring correlations are Pearson
	// over bins valid in both.
	CompatSpec Compat = iota
	// CompatDeepMind reproduces google-deepmind/grid-cells scores.py
	// (GridScorer @ d1a2304): empty bins are zero-filled before the
	// autocorrelogram (so every bin counts as valid), no minimum overlap,
	// non-finite correlations become 0, the rotated autocorrelogram is zero
	// outside, and the ring "correlation" is cov(sac, rot)/var(sac) with the
	// mean and variance of the unrotated ring (+1e-5). Rotation is bilinear
	// here, not DeepMind's cubic spline (differences ≤ 0.02 on grid maps).
	// It exists to prove agreement with the field's scorer, not for use.
	CompatDeepMind
)

// String returns "spec" or "deepmind".
func (c Compat) String() string {
	switch c {
	case CompatSpec:
		return "spec"
	case CompatDeepMind:
		return "deepmind"
	}
	return fmt.Sprintf("Compat(%d)", int(c))
}

// ParseCompat parses "spec" or "deepmind".
func ParseCompat(s string) (Compat, error) {
	switch s {
	case "spec", "":
		return CompatSpec, nil
	case "deepmind", "DeepMind":
		return CompatDeepMind, nil
	}
	return 0, fmt.Errorf("cells: unknown compat mode %q (want spec or deepmind)", s)
}

// SignedMode says how units with negative activations are scored (spec §1.4).
type SignedMode int

const (
	// SignedAuto splits a unit into its positive part max(a,0) and negative
	// part max(−a,0) when any of its activations is negative, and scores
	// each part as its own row (Unit.Part "pos" / "neg").
	SignedAuto SignedMode = iota
	// SignedSplit always splits (parts "pos" and "neg").
	SignedSplit
	// SignedNone scores the activations as given; spatial information is
	// then undefined for maps with negative bins.
	SignedNone
)

// Thresholds are the classification rules (docs/methods.md says where each
// default comes from). Every field is a threshold that decides a label;
// Classify reports each comparison.
type Thresholds struct {
	Grid          float64 // grid: gridness ≥ Grid (0.7, spec §11)
	WeakGrid      float64 // weakly-grid: WeakGrid ≤ gridness < Grid (0.4, spec §11)
	DensityMargin float64 // grid labels need gridness − density gridness ≥ DensityMargin (0.3, spec §11)
	// GridMinFields: grid labels need at least this many fields in
	// Scores.GridFields (3): a lattice has several fields, a single field
	// or a pair is not a grid.
	GridMinFields int
	// FieldNullMaxFrac: the field-shuffle null of gridness is used only
	// when the grid fields cover at most this fraction of the valid bins
	// (0.5); above it, moving the fields reproduces the map and the null
	// degenerates, so the activation-permutation null decides instead,
	// for the grid label only (weakly-grid needs the field-shuffle null).
	FieldNullMaxFrac float64
	// ResidualGridness: with class labels, a unit that passes the grid or
	// weakly-grid checks keeps its label only when the gridness of its
	// within-class residual map (each activation minus its class mean) is
	// ≥ ResidualGridness and above the within-class permutation null's
	// percentile; otherwise the pattern is made by the layout of the class
	// clusters and the unit is labelled cluster-grid (class-layout grid).
	ResidualGridness float64

	PlaceMaxGridness  float64 // place: gridness < PlaceMaxGridness (0.4, spec §11)
	PlaceFields       int     // place: exactly this many fields (1, spec §11)
	PlaceMaxFieldFrac float64 // place: field area ≤ this fraction of the valid bins (0.5, spec §11)

	ConceptCSI        float64 // concept: CSI ≥ ConceptCSI (0.5, spec §11)
	ConceptP          float64 // concept: label-permutation p < ConceptP (0.01, spec §11)
	ConceptMaxClasses int     // concept: at most this many classes with μ_c ≥ ConceptClassFrac·μ_max (2, spec §11)
	ConceptClassFrac  float64 // (0.5, spec §11)
	// ConceptCoverage: concept also needs Scores.ClassCoverage ≥ this: in
	// each of the (at most ConceptMaxClasses) classes near the top, this
	// fraction of the members must respond above the 95th percentile of
	// the unit's response to all other images. A concept cell responds to
	// (almost) all members of its classes; a place field inside a class
	// cluster to a part of them. 0 disables it.
	ConceptCoverage float64
	// ConceptWithinClassP: when > 0, concept also needs the within-class
	// permutation test of spatial information to be NOT significant
	// (p ≥ this). Off by default (0): with 10,000 points any smooth
	// confidence gradient inside a class is significant, so real
	// whole-class units fail it; the test is still run and reported
	// (within_class_si_p, spec §6, §9.6).
	ConceptWithinClassP float64
}

// Options configure rate maps, scores, shuffles and classification. Start
// from DefaultOptions; the zero value is not valid.
type Options struct {
	Bins        int     // bins per side N (40)
	MinCount    int     // a bin with fewer points is empty (1)
	SmoothSigma float64 // Gaussian σ in bins for the smooth-then-divide map (1)

	MinOverlap int       // autocorrelogram lags with fewer valid pairs are undefined (20)
	RingInner  float64   // ring inner radius as a fraction of N (0.2)
	RingOuter  []float64 // ring outer radii as fractions of N (linspace(0.4, 1.0, 10))
	Compat     Compat    // CompatSpec (default) or CompatDeepMind

	FieldThreshold float64 // field threshold as a fraction of the peak (0.2)
	FieldMinBins   int     // minimum bins per field (9)
	// GridFieldLevels are the thresholds (fractions of the peak) at which
	// the fields of a grid are counted: Scores.GridFields is the largest
	// field count over these levels, so that broad grid fields that merge
	// into one region at 0.2 are still told apart ({0.2, 0.3, 0.4, 0.5, 0.6}).
	GridFieldLevels []float64

	// Permutations is the number of activation permutations per unit (SI,
	// CSI, and gridness where the field shuffle is undefined) and of
	// within-class permutations (SI, residual gridness) (200).
	Permutations  int
	FieldShuffles int // field shuffles per unit for the gridness null (100)
	// AllNulls computes every null for every unit. By default a null that
	// cannot change a label is skipped (its percentile and p-value are
	// then null): the field shuffle and the within-class null of the
	// residual gridness run only when gridness reaches Thresholds.WeakGrid
	// (they are most of the cost of a unit), the permutation null of
	// gridness only when gridness reaches Thresholds.Grid and the field
	// shuffle is undefined, the within-class null of SI only when the CSI
	// reaches Thresholds.ConceptCSI.
	AllNulls   bool
	Percentile float64 // null percentile (95)
	Seed       uint64  // seed of every shuffle (1)
	Workers    int     // parallel workers; 0 = GOMAXPROCS
	Signed     SignedMode

	Thresholds Thresholds

	// Progress, when set, is called after each scored unit part with the
	// number done and the total. It may be called from several goroutines,
	// never concurrently.
	Progress func(done, total int)
}

// DefaultRingOuter returns numpy's linspace(0.4, 1.0, 10), DeepMind's ring
// outer radii (fractions of N).
func DefaultRingOuter() []float64 {
	out := make([]float64, 10)
	step := (1.0 - 0.4) / 9
	for i := range out {
		out[i] = float64(i)*step + 0.4
	}
	out[9] = 1.0
	return out
}

// DefaultThresholds returns the classification defaults: spec §11 where
// it has the rule, else calibrated on synthetic units (docs/methods.md).
func DefaultThresholds() Thresholds {
	return Thresholds{
		Grid: 0.7, WeakGrid: 0.4, DensityMargin: 0.3,
		GridMinFields: 3, FieldNullMaxFrac: 0.5, ResidualGridness: 0.4,
		PlaceMaxGridness: 0.4, PlaceFields: 1, PlaceMaxFieldFrac: 0.5,
		ConceptCSI: 0.5, ConceptP: 0.01, ConceptMaxClasses: 2, ConceptClassFrac: 0.5,
		ConceptCoverage: 0.84, ConceptWithinClassP: 0,
	}
}

// DefaultGridFieldLevels returns {0.2, 0.3, 0.4, 0.5, 0.6}.
func DefaultGridFieldLevels() []float64 { return []float64{0.2, 0.3, 0.4, 0.5, 0.6} }

// DefaultOptions returns the defaults of spec §11 and docs/methods.md.
func DefaultOptions() Options {
	return Options{
		Bins: 40, MinCount: 1, SmoothSigma: 1,
		MinOverlap: 20, RingInner: 0.2, RingOuter: DefaultRingOuter(),
		FieldThreshold: 0.2, FieldMinBins: 9, GridFieldLevels: DefaultGridFieldLevels(),
		Permutations: 200, FieldShuffles: 100, Percentile: 95, Seed: 1,
		Thresholds: DefaultThresholds(),
	}
}

// Validate reports the first invalid option.
func (o *Options) Validate() error {
	bad := func(name string, v any, want string) error {
		return fmt.Errorf("cells: option %s = %v: want %s", name, v, want)
	}
	switch {
	case o.Bins < 3 || o.Bins > MaxBins:
		return bad("Bins", o.Bins, fmt.Sprintf("3…%d", MaxBins))
	case o.MinCount < 1:
		return bad("MinCount", o.MinCount, "≥ 1")
	case !(o.SmoothSigma >= 0) || o.SmoothSigma > float64(o.Bins):
		return bad("SmoothSigma", o.SmoothSigma, "0…Bins")
	case o.MinOverlap < 2:
		return bad("MinOverlap", o.MinOverlap, "≥ 2")
	case !(o.RingInner >= 0) || o.RingInner >= 1:
		return bad("RingInner", o.RingInner, "0 ≤ inner < 1")
	case len(o.RingOuter) == 0:
		return bad("RingOuter", o.RingOuter, "at least one radius")
	case o.Compat != CompatSpec && o.Compat != CompatDeepMind:
		return bad("Compat", o.Compat, "spec or deepmind")
	case !(o.FieldThreshold > 0 && o.FieldThreshold < 1):
		return bad("FieldThreshold", o.FieldThreshold, "0 < t < 1")
	case o.FieldMinBins < 1:
		return bad("FieldMinBins", o.FieldMinBins, "≥ 1")
	case o.Permutations < 0 || o.Permutations > 1_000_000:
		return bad("Permutations", o.Permutations, "0…1e6")
	case o.FieldShuffles < 0 || o.FieldShuffles > 1_000_000:
		return bad("FieldShuffles", o.FieldShuffles, "0…1e6")
	case !(o.Percentile > 0 && o.Percentile < 100):
		return bad("Percentile", o.Percentile, "0 < p < 100")
	case o.Workers < 0:
		return bad("Workers", o.Workers, "≥ 0")
	case o.Signed < SignedAuto || o.Signed > SignedNone:
		return bad("Signed", o.Signed, "auto, split or none")
	}
	if len(o.GridFieldLevels) == 0 {
		return bad("GridFieldLevels", o.GridFieldLevels, "at least one level")
	}
	for i, l := range o.GridFieldLevels {
		if !(l > 0 && l < 1) {
			return bad(fmt.Sprintf("GridFieldLevels[%d]", i), l, "0 < level < 1")
		}
	}
	for i, r := range o.RingOuter {
		if !(r > o.RingInner) || r > 2 || math.IsNaN(r) {
			return bad(fmt.Sprintf("RingOuter[%d]", i), r, "RingInner < r ≤ 2")
		}
	}
	t := o.Thresholds
	for _, v := range []struct {
		name string
		v    float64
	}{{"Grid", t.Grid}, {"WeakGrid", t.WeakGrid}, {"DensityMargin", t.DensityMargin},
		{"PlaceMaxGridness", t.PlaceMaxGridness}, {"PlaceMaxFieldFrac", t.PlaceMaxFieldFrac},
		{"ConceptCSI", t.ConceptCSI}, {"ConceptP", t.ConceptP}, {"ConceptClassFrac", t.ConceptClassFrac},
		{"ConceptWithinClassP", t.ConceptWithinClassP}, {"ConceptCoverage", t.ConceptCoverage},
		{"FieldNullMaxFrac", t.FieldNullMaxFrac}, {"ResidualGridness", t.ResidualGridness}} {
		if math.IsNaN(v.v) || math.IsInf(v.v, 0) {
			return bad("Thresholds."+v.name, v.v, "a finite number")
		}
	}
	if t.PlaceFields < 0 || t.ConceptMaxClasses < 1 {
		return bad("Thresholds.PlaceFields/ConceptMaxClasses", []int{t.PlaceFields, t.ConceptMaxClasses}, "≥ 0 / ≥ 1")
	}
	if t.GridMinFields < 0 {
		return bad("Thresholds.GridMinFields", t.GridMinFields, "≥ 0")
	}
	return nil
}

// MaxBins bounds the bins per side: the ring and rotation tables and the FFT
// buffers grow with N² (about 100 MB per worker at 256).
const MaxBins = 256
