package cells

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// hexCloud returns k uniform points in the unit square and the plain
// three-cosine grid (Σcos + 1.5)/4.5 ∈ [0, 1] of spacing L (unit-square
// units) at them: broad fields that touch at 20 % of the peak.
func hexCloud(k int, spacing float64, seed uint64) (xs, ys, a []float64) {
	r := rand.New(rand.NewPCG(seed, 11))
	xs, ys, a = make([]float64, k), make([]float64, k), make([]float64, k)
	kw := 4 * math.Pi / (math.Sqrt(3) * spacing)
	th, px, py := r.Float64()*math.Pi/3, r.Float64(), r.Float64()
	for i := range xs {
		xs[i], ys[i] = r.Float64(), r.Float64()
		v := 0.0
		for q := 0; q < 3; q++ {
			ang := th - math.Pi/6 + float64(q)*math.Pi/3
			v += math.Cos(kw * (math.Cos(ang)*(xs[i]-px) + math.Sin(ang)*(ys[i]-py)))
		}
		a[i] = (v + 1.5) / 4.5
	}
	return xs, ys, a
}

// TestBroadFieldGrid: a perfect grid whose fields merge into one region at
// 20 % of the peak (the field shuffle then moves "the field" = the whole
// map, its p95 equals the observed gridness and the grid was labelled
// none) is a grid: its fields are counted at the level that separates
// them, and the null is the field shuffle of those fields when they cover
// at most half the map, else the activation permutation. Spacing 8 bins of
// 40 (merged at 0.2) and 10 (separate at 0.2).
func TestBroadFieldGrid(t *testing.T) {
	for _, bins := range []float64{8, 10} {
		xs, ys, a := hexCloud(10000, bins/40, uint64(bins))
		f, err := NewFrame(xs, ys, 40, &Range{0, 1, 0, 1})
		if err != nil {
			t.Fatal(err)
		}
		o := DefaultOptions()
		o.Permutations, o.FieldShuffles = 100, 50
		res, err := ScoreUnits(context.Background(), f, Columns{a}, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		u := res.Units[0]
		s := u.Scores
		if bins == 8 && s.NFields > 2 {
			t.Fatalf("spacing 8: %d fields at 0.2; the test needs them merged", s.NFields)
		}
		if !slices.Contains(u.Labels, "grid") || s.GridFields < 3 {
			t.Errorf("spacing %v bins: labels %v, grid_fields %d (n_fields %d), null %s, gridness %.3f field p95 %.3f perm p95 %.3f; reasons %v",
				bins, u.Labels, s.GridFields, s.NFields, u.GridNull, s.Gridness, s.GridnessP95, s.GridnessPermP95, u.Reasons)
		}
		p95 := s.GridnessP95
		if u.GridNull == NullPermutation {
			p95 = s.GridnessPermP95
		}
		if !(s.Gridness-p95 > 0.3) {
			t.Errorf("spacing %v: the %s null is not far below the observed gridness: %.3f vs %.3f", bins, u.GridNull, p95, s.Gridness)
		}
	}
}

// TestSingleFieldNeverGrid: one Gaussian field (whose autocorrelogram is
// one central peak, gridness of its rings can still be high on a cropped
// frame) and a pair of fields never get a grid label, whatever the
// gridness: a grid needs ≥ GridMinFields fields.
func TestSingleFieldNeverGrid(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	k := 8000
	xs, ys := make([]float64, k), make([]float64, k)
	one, two := make([]float64, k), make([]float64, k)
	for i := range xs {
		xs[i], ys[i] = r.Float64(), r.Float64()
		g := func(cx, cy float64) float64 {
			return math.Exp(-((xs[i]-cx)*(xs[i]-cx) + (ys[i]-cy)*(ys[i]-cy)) / (2 * 0.08 * 0.08))
		}
		one[i] = g(0.5, 0.5)
		two[i] = g(0.3, 0.5) + g(0.7, 0.5)
	}
	f, err := NewFrame(xs, ys, 40, &Range{0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	o := fastOpts()
	o.AllNulls = true
	res, err := ScoreUnits(context.Background(), f, Columns{one, two}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range res.Units {
		if u.Scores.GridFields >= 3 || slices.Contains(u.Labels, "grid") || slices.Contains(u.Labels, "weakly-grid") {
			t.Errorf("unit %d: grid_fields %d, labels %v", u.Unit, u.Scores.GridFields, u.Labels)
		}
	}
}
