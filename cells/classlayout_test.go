package cells

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestClassLayoutClassOnlyUnit: when the activation depends on the class
// only, the class-mean map is the unit's raw map, so ClassGridness equals
// Gridness (to rounding, 1e-9), the residual map is constant (residual
// gridness undefined), the class explains all the variance (η² = 1) and
// every point of the classes near the top responds above the other
// classes' levels (ClassCoverage = 1; definitions at Scores). Cloud:
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
		if s.ClassCoverage != 1 || math.Abs(s.ClassEta2-1) > 1e-12 {
			t.Errorf("class_coverage %v, η² %v: want 1, 1", s.ClassCoverage, s.ClassEta2)
		}
		if r := s.ResidualGridness; !math.IsNaN(r) && math.Abs(r) > 1e-6 {
			t.Errorf("residual_gridness %v: want undefined (a constant residual map)", r)
		}
		return
	}
	t.Fatal("P010 not in the reference manifest")
}

// TestClassCoverageHand: class 0 has activations 4, 4, 1, 3 (mean 3),
// class 1 has 0, 0, 1, 0 (mean 0.25 < 0.5·3, so class 0 alone is near the
// top). The 95th percentile of class 1's values {0, 0, 0, 1} is 0.85
// (numpy's linear rule: position 2.85), and all four of class 0 are above
// it → coverage 1. η²: grand mean 1.625, between 8·1.375² = 15.125,
// total 13.5625 + 8.3125 = 21.875 → 0.6914… Computed by hand.
func TestClassCoverageHand(t *testing.T) {
	xs := []float64{0, 1, 2, 0, 1, 2, 0, 1}
	ys := []float64{0, 0, 0, 1, 1, 1, 2, 2}
	labels := []int{0, 0, 0, 0, 1, 1, 1, 1}
	f, err := NewFrame(xs, ys, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.Bins, o.MinOverlap, o.FieldMinBins = 3, 2, 1
	o.Permutations, o.FieldShuffles = 0, 0
	for _, c := range []struct {
		acts     []float64
		cov, eta float64
	}{
		{[]float64{4, 4, 1, 3, 0, 0, 1, 0}, 1, 15.125 / 21.875},
		// class 1's p95 is now 1.7 (0.85 of the way from 0 to 2), and class 0's 1 is below it: 3 of 4 above
		{[]float64{4, 4, 1, 3, 0, 0, 2, 0}, 0.75, math.NaN()},
	} {
		res, err := ScoreUnits(context.Background(), f, Columns{c.acts}, labels, o)
		if err != nil {
			t.Fatal(err)
		}
		s := res.Units[0].Scores
		if s.TopClass != 0 || s.ClassCoverage != c.cov {
			t.Errorf("%v: top class %d coverage %v: want 0 and %v", c.acts, s.TopClass, s.ClassCoverage, c.cov)
		}
		if !math.IsNaN(c.eta) && math.Abs(s.ClassEta2-c.eta) > 1e-12 {
			t.Errorf("%v: η² %v, want %v", c.acts, s.ClassEta2, c.eta)
		}
	}
}

// TestClassifyRules checks the grid, class-layout and concept rules of
// classify on score sets shaped like the measured cases: a grid made by the
// class layout (residual gridness −0.12…+0.13 on the demo's units), a true
// grid (residual gridness ≥ 1), a single-field map with high gridness, a
// grid whose field shuffle is undefined, a whole-class cell and a field
// inside a class.
func TestClassifyRules(t *testing.T) {
	th := DefaultThresholds()
	base := func() Scores {
		s := nanScores()
		s.Gridness, s.GridnessP95, s.DensityGridness = 1.0, 0.3, 0.4
		s.SpatialInfo, s.SpatialInfoP95 = 1, 0.5
		s.NFields, s.FieldFrac, s.GridFields, s.GridFieldFrac = 5, 0.1, 5, 0.3
		s.CSI, s.CSIP, s.NearTop, s.ClassCoverage = 0.3, 0.005, 5, 0.5
		s.ResidualGridness, s.ResidualGridnessP95 = 0.05, 0.2
		return s
	}
	concept := func(cov float64) func(*Scores, *Thresholds, *string) {
		return func(s *Scores, _ *Thresholds, _ *string) {
			*s = nanScores()
			s.Gridness, s.SpatialInfo, s.SpatialInfoP95, s.NFields, s.FieldFrac, s.GridFields = -0.3, 2, 0.3, 1, 0.1, 1
			s.CSI, s.CSIP, s.NearTop, s.ClassCoverage, s.WithinClassSIP = 0.95, 0.005, 1, cov, 0.005
		}
	}
	cases := []struct {
		name      string
		edit      func(*Scores, *Thresholds, *string)
		hasLabels bool
		want      []string
	}{
		{"grid made by the class layout", func(*Scores, *Thresholds, *string) {}, true, []string{"cluster-grid"}},
		{"no labels: no class-layout test", func(*Scores, *Thresholds, *string) {}, false, []string{"grid"}},
		{"true grid", func(s *Scores, _ *Thresholds, _ *string) { s.ResidualGridness = 1.2 }, true, []string{"grid"}},
		{"residual gridness above the null but low", func(s *Scores, _ *Thresholds, _ *string) {
			s.ResidualGridness, s.ResidualGridnessP95 = 0.3, 0.1
		}, true, []string{"cluster-grid"}},
		{"residual null undefined", func(s *Scores, _ *Thresholds, _ *string) {
			s.ResidualGridness, s.ResidualGridnessP95 = 1.2, math.NaN()
		}, true, []string{"cluster-grid"}},
		{"weak grid made by the class layout", func(s *Scores, _ *Thresholds, _ *string) { s.Gridness, s.DensityGridness = 0.6, 0.2 }, true, []string{"cluster-grid"}},
		{"single field", func(s *Scores, _ *Thresholds, _ *string) { s.GridFields, s.ResidualGridness = 1, 1.2 }, true, []string{"none"}},
		{"two fields", func(s *Scores, _ *Thresholds, _ *string) { s.GridFields, s.ResidualGridness = 2, 1.2 }, true, []string{"none"}},
		{"field shuffle undefined: permutation null decides grid", func(s *Scores, _ *Thresholds, null *string) {
			*null = NullPermutation
			s.GridnessP95, s.GridnessPermP95, s.ResidualGridness = math.NaN(), 0.15, 1.2
		}, true, []string{"grid"}},
		{"field shuffle undefined: no weakly-grid", func(s *Scores, _ *Thresholds, null *string) {
			*null = NullPermutation
			s.Gridness, s.DensityGridness = 0.6, 0.2
			s.GridnessP95, s.GridnessPermP95, s.ResidualGridness = math.NaN(), 0.15, 1.2
		}, true, []string{"none"}},
		{"whole-class cell", concept(0.97), true, []string{"place", "concept"}},
		{"field inside a class", concept(0.4), true, []string{"place"}},
		{"within-class p gate on request", func(s *Scores, t *Thresholds, null *string) {
			concept(0.97)(s, t, null)
			t.ConceptWithinClassP = 0.01
		}, true, []string{"place"}},
	}
	for _, c := range cases {
		s, tt, null := base(), th, NullFieldShuffle
		c.edit(&s, &tt, &null)
		got, reasons := classify(&s, null, tt, c.hasLabels, true)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: labels %v, want %v; reasons %v", c.name, got, c.want, reasons)
		}
	}
}
