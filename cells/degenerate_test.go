package cells

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// fastOpts keeps the degenerate tests quick.
func fastOpts() Options {
	o := DefaultOptions()
	o.Permutations = 20
	o.FieldShuffles = 5
	return o
}

// sane checks the invariants every result must hold: labels are set, and
// no check with an undefined value or threshold passes.
func sane(t *testing.T, name string, r *Result) {
	t.Helper()
	for _, u := range r.Units {
		if len(u.Labels) == 0 {
			t.Errorf("%s: unit %d has no labels", name, u.Unit)
		}
		if m := 2*u.N - 1; u.N > 0 && (len(u.Raw) != u.N*u.N || len(u.Smooth) != u.N*u.N || len(u.SAC) != m*m) {
			t.Errorf("%s: unit %d: N = %d but maps of %d, %d, %d values", name, u.Unit, u.N, len(u.Raw), len(u.Smooth), len(u.SAC))
		}
		for _, rs := range u.Reasons {
			if rs.Pass && (math.IsNaN(rs.Value) || math.IsNaN(rs.Threshold)) {
				t.Errorf("%s: unit %d: check %v passed on an undefined value", name, u.Unit, rs)
			}
		}
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatalf("%s: WriteJSON: %v", name, err)
	}
	if !json.Valid(b.Bytes()) {
		t.Fatalf("%s: invalid JSON", name)
	}
	b.Reset()
	if err := r.WriteCSV(&b); err != nil {
		t.Fatalf("%s: WriteCSV: %v", name, err)
	}
}

func uniformPoints(k int, seed uint64) (xs, ys []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	xs, ys = make([]float64, k), make([]float64, k)
	for i := range xs {
		xs[i], ys[i] = r.Float64(), r.Float64()
	}
	return
}

func TestDegenerateMaps(t *testing.T) {
	ctx := context.Background()
	n := 20
	nan := make([]float64, n*n)
	for i := range nan {
		nan[i] = math.NaN()
	}
	r, err := ScoreMap(ctx, nan, n, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	sane(t, "all-NaN map", r)
	if !slices.Equal(r.Units[0].Labels, []string{"undefined"}) {
		t.Errorf("all-NaN map: labels %v, want [undefined]", r.Units[0].Labels)
	}
	flat := make([]float64, n*n)
	for i := range flat {
		flat[i] = 3
	}
	flat[5] = math.NaN()
	r, err = ScoreMap(ctx, flat, n, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	sane(t, "flat map", r)
	if !slices.Equal(r.Units[0].Labels, []string{"silent"}) {
		t.Errorf("flat map: labels %v, want [silent]", r.Units[0].Labels)
	}
	// one valid bin
	one := append([]float64(nil), nan...)
	one[n*n/2] = 1
	r, err = ScoreMap(ctx, one, n, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	sane(t, "one-bin map", r)
	// errors
	if _, err := ScoreMap(ctx, flat[:10], n, fastOpts()); err == nil {
		t.Error("short map: no error")
	}
	inf := append([]float64(nil), flat...)
	inf[3] = math.Inf(1)
	if _, err := ScoreMap(ctx, inf, n, fastOpts()); err == nil || !strings.Contains(err.Error(), "infinite") {
		t.Errorf("infinite bin: error %v", err)
	}
	if got := Autocorrelogram(nan, n, 20, CompatSpec); !math.IsNaN(got[len(got)/2]) {
		t.Errorf("SAC of an all-NaN map: centre %v, want NaN", got[len(got)/2])
	}
	if gs := Gridness(nan, n, 20, 0.2, DefaultRingOuter(), CompatSpec); !math.IsNaN(gs.Gridness60) {
		t.Errorf("gridness of an all-NaN map: %v, want NaN", gs.Gridness60)
	}
	if si := SpatialInfo(nan, nil); !math.IsNaN(si.PerUnit) {
		t.Errorf("SI of an all-NaN map: %v", si.PerUnit)
	}
	if f := PlaceFields(nan, n, 0.2, 9); f != nil {
		t.Errorf("fields of an all-NaN map: %v", f)
	}
}

func TestDegeneratePoints(t *testing.T) {
	ctx := context.Background()
	xs, ys := uniformPoints(2000, 3)
	f, err := NewFrame(xs, ys, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	k := len(xs)
	constant := make([]float64, k)
	for i := range constant {
		constant[i] = 0.7
	}
	zero := make([]float64, k)
	nanAct := make([]float64, k)
	for i := range nanAct {
		nanAct[i] = float64(i % 7)
	}
	nanAct[17] = math.NaN()
	labels := make([]int, k)
	for i := range labels {
		labels[i] = i % 3
	}
	r, err := ScoreUnits(ctx, f, Columns{constant, zero, nanAct}, labels, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	sane(t, "degenerate units", r)
	for i, want := range []string{"silent", "silent", "undefined"} {
		if !slices.Equal(r.Units[i].Labels, []string{want}) {
			t.Errorf("unit %d: labels %v, want [%s]", i, r.Units[i].Labels, want)
		}
	}

	// single occupied bin: every point inside one bin of a given frame
	sx, sy := make([]float64, 500), make([]float64, 500)
	act := make([]float64, 500)
	for i := range sx {
		sx[i], sy[i], act[i] = 0.51+0.001*float64(i%10), 0.52, float64(i%5)
	}
	f1, err := NewFrame(sx, sy, 20, &Range{0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	r, err = ScoreUnits(ctx, f1, Columns{act}, nil, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	sane(t, "single bin", r)
	if u := r.Units[0]; !slices.Equal(u.Labels, []string{"none"}) || !math.IsNaN(u.Scores.Gridness) {
		t.Errorf("single bin: labels %v gridness %v, want [none] and NaN", u.Labels, u.Scores.Gridness)
	}

	// K < bins: 10 points on a 40×40 frame
	kx, ky := uniformPoints(10, 4)
	fk, err := NewFrame(kx, ky, 40, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err = ScoreUnits(ctx, fk, Columns{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, nil, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	sane(t, "K < bins", r)

	// mismatched lengths and bad frames are errors
	if _, err := NewFrame(xs, ys[:5], 20, nil); err == nil {
		t.Error("x/y length mismatch: no error")
	}
	if _, err := ScoreUnits(ctx, f, Columns{constant[:10]}, nil, fastOpts()); err == nil {
		t.Error("activation length mismatch: no error")
	}
	huge := append([]int(nil), labels...)
	huge[9] = 1 << 40
	if _, err := ScoreUnits(ctx, f, Columns{constant}, huge, fastOpts()); err == nil {
		t.Error("huge label: no error")
	}
	if _, err := ScoreUnits(ctx, f, Columns{constant}, labels[:4], fastOpts()); err == nil {
		t.Error("label length mismatch: no error")
	}
	if _, err := ScoreUnits(ctx, f, RowMajor64{Data: make([]float64, 7), K: k, U: 2}, nil, fastOpts()); err == nil {
		t.Error("short activation matrix: no error")
	}
	bad := append([]float64(nil), xs...)
	bad[3] = math.NaN()
	if _, err := NewFrame(bad, ys, 20, nil); err == nil {
		t.Error("NaN coordinate: no error")
	}
	if _, err := NewFrame(xs, ys, 20, &Range{0, 1, 0, 2}); err == nil || !strings.Contains(err.Error(), "square") {
		t.Errorf("non-square range: error %v", err)
	}
	if _, err := NewFrame([]float64{-1e308, 1e308}, []float64{0, 1}, 20, nil); err == nil {
		t.Error("overflowing extent: no error")
	}
	same := []float64{1, 1, 1}
	if _, err := NewFrame(same, same, 20, nil); err == nil {
		t.Error("zero extent: no error")
	}
	o := fastOpts()
	o.Percentile = 100
	if _, err := ScoreUnits(ctx, f, Columns{constant}, nil, o); err == nil {
		t.Error("percentile 100: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ScoreUnits(cctx, f, Columns{nanAct}, nil, fastOpts()); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestSignedAndDeterminism: a unit with negative activations (a place field
// at A minus one at B) is split into parts scored separately, each a place
// cell at its own field (spec §1.4); results do not depend on the number
// of workers.
func TestSignedAndDeterminism(t *testing.T) {
	xs, ys := uniformPoints(6000, 5)
	f, err := NewFrame(xs, ys, 30, &Range{0, 1, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, len(xs))
	for i := range a {
		da := (xs[i]-0.25)*(xs[i]-0.25) + (ys[i]-0.3)*(ys[i]-0.3)
		db := (xs[i]-0.7)*(xs[i]-0.7) + (ys[i]-0.75)*(ys[i]-0.75)
		a[i] = math.Exp(-da/0.005) - math.Exp(-db/0.005)
	}
	var res [2]*Result
	for w := 1; w <= 2; w++ {
		o := fastOpts()
		o.Workers = w
		r, err := ScoreUnits(context.Background(), f, Columns{a, a}, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		res[w-1] = r
	}
	r := res[0]
	sane(t, "signed", r)
	if len(r.Units) != 4 || r.Units[0].Part != "pos" || r.Units[1].Part != "neg" {
		t.Fatalf("signed unit: got %d rows, parts %q %q", len(r.Units), r.Units[0].Part, r.Units[1].Part)
	}
	for _, u := range r.Units[:2] {
		if !slices.Contains(u.Labels, "place") || len(u.Fields) != 1 {
			t.Errorf("part %s: labels %v, %d fields; want place with 1 field", u.Part, u.Labels, len(u.Fields))
		}
	}
	// the positive field is near (0.25, 0.3), the negative one near (0.7, 0.75): bins of 1/30
	if fl := r.Units[0].Fields[0]; math.Abs(fl.Col/30-0.25) > 0.05 || math.Abs(fl.Row/30-0.3) > 0.05 {
		t.Errorf("positive field centroid (%v, %v)", fl.Col/30, fl.Row/30)
	}
	if fl := r.Units[1].Fields[0]; math.Abs(fl.Col/30-0.7) > 0.05 || math.Abs(fl.Row/30-0.75) > 0.05 {
		t.Errorf("negative field centroid (%v, %v)", fl.Col/30, fl.Row/30)
	}
	for i := range r.Units {
		a, b := r.Units[i].Scores, res[1].Units[i].Scores
		if !(a.SpatialInfoP95 == b.SpatialInfoP95 && a.GridnessP95 == b.GridnessP95 || math.IsNaN(a.GridnessP95) && math.IsNaN(b.GridnessP95)) {
			t.Errorf("row %d: nulls differ between 1 and 2 workers: %v %v / %v %v", i, a.SpatialInfoP95, a.GridnessP95, b.SpatialInfoP95, b.GridnessP95)
		}
	}
}

// TestScoreMapReference: `cells --map` on reference maps. M001 (hex grid)
// must be grid with the gridness of scores.csv (spec_gs60 1.54365); M020
// (one place field) must be place, not grid; M029 (white noise) neither.
func TestScoreMapReference(t *testing.T) {
	ref := loadRef(t)
	want := map[string]string{"M001": "grid", "M020": "place", "M029": "none"}
	for _, e := range ref.entries {
		w, ok := want[e.ID]
		if !ok {
			continue
		}
		m, _ := ref.mapOf(t, e, "given")
		r, err := ScoreMap(context.Background(), m, e.N, fastOpts())
		if err != nil {
			t.Fatal(err)
		}
		sane(t, e.ID, r)
		u := r.Units[0]
		if !slices.Equal(u.Labels, []string{w}) {
			t.Errorf("%s: labels %v want [%s]; %v", e.ID, u.Labels, w, u.Reasons)
		}
		if g := ref.num(t, e.ID, "given", "spec_gs60"); math.Abs(u.Scores.Gridness-g) > 0.01 {
			t.Errorf("%s: gridness %v want %v", e.ID, u.Scores.Gridness, g)
		}
	}
}

// TestAllNullsSameLabels: skipping the nulls that cannot change a label
// (the default) gives the same labels as computing them all.
func TestAllNullsSameLabels(t *testing.T) {
	xs, ys, cols, labels := synthetic(3000, 9, 11)
	// make unit 1 a class cell so the within-class null runs
	for i := range cols[1] {
		cols[1][i] = 0.01 * float64(i%3)
		if labels[i] == 4 {
			cols[1][i] += 1
		}
	}
	f, err := NewFrame(xs, ys, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got [2]*Result
	for i, all := range []bool{false, true} {
		o := fastOpts()
		o.Permutations = 100
		o.AllNulls = all
		if got[i], err = ScoreUnits(context.Background(), f, cols, labels, o); err != nil {
			t.Fatal(err)
		}
	}
	for i := range got[0].Units {
		a, b := got[0].Units[i], got[1].Units[i]
		if !slices.Equal(a.Labels, b.Labels) {
			t.Errorf("unit %d: labels %v by default, %v with AllNulls", i, a.Labels, b.Labels)
		}
		if math.IsNaN(b.Scores.GridnessP95) || (labels != nil && math.IsNaN(b.Scores.WithinClassSIP)) {
			t.Errorf("unit %d: AllNulls left a null undefined: %+v", i, b.Scores)
		}
	}
	if !slices.Contains(got[0].Units[1].Labels, "concept") {
		t.Errorf("class unit: labels %v, want concept", got[0].Units[1].Labels)
	}
}
