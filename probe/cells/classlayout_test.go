package cells

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestClassLayoutClassOnlyUnit: when the activation depends on the class
// only, the class-mean map is the unit's raw map, so ClassGridness equals
// Gridness (to rounding, 1e-9) and every point of the top class sits at the
// class mean, so TopClassCoverage = 1 (definitions in classLayout). Cloud:
// reference/cells P010 (ten clusters with MNIST class sizes).
func TestClassLayoutClassOnlyUnit(t *testing.T) {
	ref := loadRef(t)
	for _, e := range ref.entries {
		if e.ID != "P010" {
			continue
		}
		xs, ys, _, labels := ref.cloud(t, e)
		f, err := NewFrame(xs, ys, e.N, e.rng())
		if err != nil {
			t.Fatal(err)
		}
		acts := make([]float64, len(xs))
		for k, l := range labels {
			acts[k] = float64((l*7)%10 + 1) // arbitrary class → level map
		}
		o := DefaultOptions()
		o.Permutations, o.FieldShuffles = 0, 0
		res, err := ScoreUnits(context.Background(), f, Columns{acts}, labels, o)
		if err != nil {
			t.Fatal(err)
		}
		s := res.Units[0].Scores
		if math.IsNaN(s.Gridness) || math.Abs(s.ClassGridness-s.Gridness) > 1e-9 {
			t.Errorf("class_gridness %v, gridness %v: want equal", s.ClassGridness, s.Gridness)
		}
		if s.TopClassCoverage != 1 {
			t.Errorf("top_class_coverage %v: want 1", s.TopClassCoverage)
		}
		if s.GridClusters < 1 || s.GridClusters > s.NFields {
			t.Errorf("grid_clusters %d with %d fields", s.GridClusters, s.NFields)
		}
		return
	}
	t.Fatal("P010 not in the reference manifest")
}

// TestTopClassCoverageHand: class 0 has activations 4, 4, 1, 3 (mean 3,
// half-mean 1.5: three of four at or above → 0.75); class 1 has 0, 0, 1, 0.
// Computed by hand.
func TestTopClassCoverageHand(t *testing.T) {
	xs := []float64{0, 1, 2, 0, 1, 2, 0, 1}
	ys := []float64{0, 0, 0, 1, 1, 1, 2, 2}
	acts := []float64{4, 4, 1, 3, 0, 0, 1, 0}
	labels := []int{0, 0, 0, 0, 1, 1, 1, 1}
	f, err := NewFrame(xs, ys, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.Bins, o.MinOverlap, o.FieldMinBins = 3, 2, 1
	o.Permutations, o.FieldShuffles = 0, 0
	res, err := ScoreUnits(context.Background(), f, Columns{acts}, labels, o)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Units[0].Scores
	if s.TopClass != 0 || s.TopClassCoverage != 0.75 {
		t.Errorf("top class %d coverage %v: want 0 and 0.75", s.TopClass, s.TopClassCoverage)
	}
}

// TestClassifyTSNERules checks the two t-SNE rules of classify on score
// sets shaped like the measured cases: the demo's cluster-spanning grid
// units (gridness 0.74–1.14, class_gridness 1.10–1.14, 4–6 fields in as
// many classes), reference/cells P010 (gridness 1.03, class_gridness 0.19),
// a whole-class unit (coverage 0.95, within-class p 0.005) and P009
// (coverage 0.71).
func TestClassifyTSNERules(t *testing.T) {
	th := DefaultThresholds()
	base := func() Scores {
		s := nanScores()
		s.Gridness, s.GridnessP95, s.DensityGridness = 1.0, 0.3, 0.4
		s.SpatialInfo, s.SpatialInfoP95 = 1, 0.5
		s.NFields, s.FieldFrac = 5, 0.1
		s.CSI, s.CSIP, s.NearTop, s.TopClassCoverage = 0.3, 0.005, 5, 0.5
		s.ClassGridness, s.GridClusters = 1.1, 5
		return s
	}
	cases := []struct {
		name      string
		edit      func(*Scores, *Thresholds)
		hasLabels bool
		want      []string
	}{
		{"cluster-spanning grid", func(*Scores, *Thresholds) {}, true, []string{"cluster-grid"}},
		{"no labels: grid as before", func(*Scores, *Thresholds) {}, false, []string{"grid"}},
		{"grid inside clusters (P010)", func(s *Scores, _ *Thresholds) { s.ClassGridness = 0.19 }, true, []string{"grid"}},
		{"fields in one class", func(s *Scores, _ *Thresholds) { s.GridClusters = 1 }, true, []string{"grid"}},
		{"weakly-grid spanning clusters", func(s *Scores, _ *Thresholds) { s.Gridness, s.DensityGridness = 0.6, 0.2 }, true, []string{"cluster-grid"}},
		{"rule disabled", func(_ *Scores, t *Thresholds) { t.ClusterGridness = 0 }, true, []string{"grid"}},
		{"whole-class cell", func(s *Scores, _ *Thresholds) {
			*s = nanScores()
			s.Gridness, s.SpatialInfo, s.SpatialInfoP95, s.NFields, s.FieldFrac = -0.3, 2, 0.3, 1, 0.1
			s.CSI, s.CSIP, s.NearTop, s.TopClassCoverage, s.WithinClassSIP = 0.95, 0.005, 1, 0.95, 0.005
		}, true, []string{"place", "concept"}},
		{"field inside a class (P009)", func(s *Scores, _ *Thresholds) {
			*s = nanScores()
			s.Gridness, s.SpatialInfo, s.SpatialInfoP95, s.NFields, s.FieldFrac = -0.1, 2, 0.3, 1, 0.1
			s.CSI, s.CSIP, s.NearTop, s.TopClassCoverage, s.WithinClassSIP = 0.95, 0.005, 1, 0.71, 0.005
		}, true, []string{"place"}},
		{"within-class p gate on request", func(s *Scores, t *Thresholds) {
			*s = nanScores()
			s.Gridness, s.SpatialInfo, s.SpatialInfoP95, s.NFields, s.FieldFrac = -0.3, 2, 0.3, 1, 0.1
			s.CSI, s.CSIP, s.NearTop, s.TopClassCoverage, s.WithinClassSIP = 0.95, 0.005, 1, 0.95, 0.005
			t.ConceptWithinClassP = 0.01
		}, true, []string{"place"}},
	}
	for _, c := range cases {
		s, tt := base(), th
		c.edit(&s, &tt)
		got, reasons := classify(&s, tt, c.hasLabels, true, true)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: labels %v, want %v; reasons %v", c.name, got, c.want, reasons)
		}
	}
}
