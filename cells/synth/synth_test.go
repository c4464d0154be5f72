package synth

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conceptcells/conceptcells/cells"
)

// quickOpts are cells.DefaultOptions without nulls, one worker: enough
// for the map scores these tests read.
func quickOpts() cells.Options {
	o := cells.DefaultOptions()
	o.Permutations, o.FieldShuffles, o.Workers, o.Signed = 0, 0, 1, cells.SignedNone
	return o
}

// scoreOne scores one unit on the layout (no labels) with quickOpts and
// returns its scores by name.
func scoreOne(t *testing.T, l *Layout, acts []float64) map[string]*float64 {
	t.Helper()
	f, err := cells.NewFrame(l.X, l.Y, Bins, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cells.ScoreUnits(context.Background(), f, cells.Columns{acts}, nil, quickOpts())
	if err != nil {
		t.Fatal(err)
	}
	return res.Units[0].Scores.Map()
}

// classMeans returns the mean activation of each class.
func classMeans(l *Layout, a []float64) []float64 {
	sum, cnt := make([]float64, Classes), make([]float64, Classes)
	for k, c := range l.Labels {
		sum[c] += a[k]
		cnt[c]++
	}
	for c := range sum {
		sum[c] /= cnt[c]
	}
	return sum
}

func TestGenerateDeterministic(t *testing.T) {
	l1, c1 := Generate(7, 7, 1500)
	l2, c2 := Generate(7, 7, 1500)
	if !reflect.DeepEqual(l1, l2) || !reflect.DeepEqual(c1, c2) {
		t.Fatal("seed 7 twice: layouts or cases differ")
	}
	if len(c1) != UnitsPerSeed() || len(l1) != 2 {
		t.Fatalf("%d cases on %d layouts: want %d on 2", len(c1), len(l1), UnitsPerSeed())
	}
	// a seed's units do not depend on the range it is generated in
	_, c78 := Generate(7, 8, 1500)
	if !reflect.DeepEqual(c78[:len(c1)], c1) {
		t.Error("seed 7 differs when generated as part of 7…8")
	}
	for _, c := range c78[len(c1):] {
		if c.Layout < 2 {
			t.Fatalf("seed %d case on layout %d: want 2 or 3", c.Seed, c.Layout)
		}
	}
	l8, c8 := Generate(8, 8, 1500)
	if reflect.DeepEqual(l8[0].X, l1[0].X) || reflect.DeepEqual(l8[1].X, l1[1].X) {
		t.Error("seeds 7 and 8 give the same layout")
	}
	for i := range c8 {
		if c8[i].Type != c1[i].Type {
			t.Fatalf("case %d: type %s on seed 8, %s on seed 7: the mix must be fixed", i, c8[i].Type, c1[i].Type)
		}
		if reflect.DeepEqual(c8[i].Acts, c1[i].Acts) {
			t.Errorf("case %d (%s): seeds 7 and 8 give the same activations", i, c1[i].Type)
		}
	}
}

// TestMix: 40 seeds give at least 500 units, each type on the layouts it
// needs.
func TestMix(t *testing.T) {
	if n := 40 * UnitsPerSeed(); n < 500 {
		t.Errorf("40 seeds give %d units: want ≥ 500", n)
	}
	ls, cs := Generate(3, 3, 1000)
	count := map[string]int{}
	for _, c := range cs {
		count[ls[c.Layout].Kind+"/"+c.Type]++
	}
	for _, ty := range typeOrder {
		min := 1
		if ty == TypeClassLayout {
			min = 0
		}
		if count[KindClustered+"/"+ty] < 1 || count[KindUniform+"/"+ty] < min {
			t.Errorf("%s: %d on clustered, %d on uniform", ty, count[KindClustered+"/"+ty], count[KindUniform+"/"+ty])
		}
	}
	if count[KindUniform+"/"+TypeClassLayout] != 0 {
		t.Error("class-layout units on a uniform layout")
	}
}

func TestClustered(t *testing.T) {
	const n = 5000
	l := Clustered(11, n)
	if l.N() != n || len(l.Labels) != n || len(l.Misplaced) != n {
		t.Fatalf("%d points, %d labels, %d flags: want %d", l.N(), len(l.Labels), len(l.Misplaced), n)
	}
	counts, away := make([]int, Classes), make([]int, Classes)
	for k, c := range l.Labels {
		counts[c]++
		if l.Misplaced[k] {
			away[c]++
		}
	}
	for c := range Classes {
		// MNIST test-set proportions scaled to n, to one point
		want := float64(n) * float64(mnistCounts[c]) / 10000
		if math.Abs(float64(counts[c])-want) > 1 {
			t.Errorf("class %d: %d points, want %.1f", c, counts[c], want)
		}
		if want := math.Round(0.02 * float64(counts[c])); float64(away[c]) != want {
			t.Errorf("class %d: %d points in another blob, want %g (2 %%)", c, away[c], want)
		}
		// blobs barely touch: the 3-s.d. contours do not overlap
		for d := range c {
			dx, dy := l.Centres[c][0]-l.Centres[d][0], l.Centres[c][1]-l.Centres[d][1]
			th := math.Atan2(dy, dx)
			if math.Hypot(dx, dy) < l.contourRadius(c, th+math.Pi)+l.contourRadius(d, th)-1e-9 {
				t.Errorf("blobs %d and %d overlap", c, d)
			}
		}
		if r := l.SDs[c][0] / l.SDs[c][1]; r < 1 || r > 2 {
			t.Errorf("class %d axis ratio %.2f: want 1…2", c, r)
		}
	}
	// t-SNE-like: clusters with empty gaps (spec §9.2: 60–83 % empty)
	f, err := cells.NewFrame(l.X, l.Y, Bins, nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := 0
	for _, c := range f.Count {
		if c == 0 {
			empty++
		}
	}
	if frac := float64(empty) / float64(Bins*Bins); frac < 0.45 || frac > 0.8 {
		t.Errorf("%.2f of the bins are empty: want 0.45…0.8", frac)
	}
	if w := (f.Range.XMax - f.Range.XMin) / Bins; math.Abs(w-l.BinWidth) > 1e-12*w {
		t.Errorf("BinWidth %g, frame bin %g", l.BinWidth, w)
	}
}

func TestUniform(t *testing.T) {
	l := Uniform(5, 3000)
	counts := make([]int, Classes)
	for k, c := range l.Labels {
		counts[c]++
		// Voronoi: no site is nearer than the point's own
		own := math.Hypot(l.X[k]-l.Centres[c][0], l.Y[k]-l.Centres[c][1])
		for d, p := range l.Centres {
			if math.Hypot(l.X[k]-p[0], l.Y[k]-p[1]) < own {
				t.Fatalf("point %d labelled %d is nearer to site %d", k, c, d)
			}
		}
		if l.X[k] < 0 || l.X[k] > 1 || l.Y[k] < 0 || l.Y[k] > 1 || l.Misplaced[k] {
			t.Fatalf("point %d at (%g, %g), misplaced %v", k, l.X[k], l.Y[k], l.Misplaced[k])
		}
	}
	for c, n := range counts {
		if n == 0 || !(l.ClassSD(c) > 0) {
			t.Errorf("class %d: %d points, s.d. %g", c, n, l.ClassSD(c))
		}
	}
}

// TestUnitsValid: every generator gives finite, non-negative, non-constant
// activations, one per point, and the documented subtypes.
func TestUnitsValid(t *testing.T) {
	gens := []Generator{Grid, OneClass, TwoClass, PlaceInClass, Place, ClassLayout, Band, Noise}
	for _, l := range []*Layout{Clustered(2, 2000), Uniform(2, 2000)} {
		for gi, g := range gens {
			for rep := range 3 {
				u := g(l, rand.New(rand.NewPCG(uint64(gi), uint64(rep))))
				if len(u.Acts) != l.N() {
					t.Fatalf("%s: %d activations for %d points", u.Type, len(u.Acts), l.N())
				}
				lo, hi := math.Inf(1), math.Inf(-1)
				for _, v := range u.Acts {
					if !(v >= 0) || math.IsInf(v, 0) {
						t.Fatalf("%s on %s: activation %g", u.Type, l.Kind, v)
					}
					lo, hi = math.Min(lo, v), math.Max(hi, v)
				}
				if !(hi > lo) {
					t.Errorf("%s on %s: constant activations", u.Type, l.Kind)
				}
				if !slices.Contains(subOrder, u.Subtype) || u.Expected == "" || u.Params == nil {
					t.Errorf("%s: subtype %q expected %q params %v", u.Type, u.Subtype, u.Expected, u.Params)
				}
			}
		}
	}
}

// TestClassUnits: a one-class unit's class mean is far above every other
// (members respond with mean 1, the rest at the noise baseline, below
// 0.05 + E max(0, 0.1 z) ≈ 0.09); a two-class unit's two classes are the
// top two, the second at the drawn ratio of the first (within the
// sampling error of ~500 gamma/exponential draws of mean 1, 0.15).
func TestClassUnits(t *testing.T) {
	l := Clustered(4, 5000)
	for rep := range 10 {
		u := OneClass(l, rand.New(rand.NewPCG(4, uint64(rep))))
		m := classMeans(l, u.Acts)
		c := int(u.Params["class"])
		for d, v := range m {
			if d != c && !(m[c] > 8*v) {
				t.Errorf("one-class %s on class %d: class mean %.3f, class %d %.3f", u.Subtype, c, m[c], d, v)
			}
		}
		u = TwoClass(l, rand.New(rand.NewPCG(5, uint64(rep))))
		m = classMeans(l, u.Acts)
		c1, c2 := int(u.Params["class"]), int(u.Params["class2"])
		if r := m[c2] / m[c1]; math.Abs(r-u.Params["ratio"]) > 0.15 {
			t.Errorf("two-class %s: mean ratio %.2f, drawn %.2f", u.Subtype, r, u.Params["ratio"])
		}
		for d, v := range m {
			if d != c1 && d != c2 && !(m[c2] > 5*v) {
				t.Errorf("two-class %s on %d, %d: class %d mean %.3f vs %.3f", u.Subtype, c1, c2, d, v, m[c2])
			}
		}
	}
}

// TestPlaceInClass: the field is centred on a point of its class and its
// width is s class s.d.s; the response falls off with distance: within σ
// the field averages 2(1 − e^{−1/2}) = 0.79 at uniform density, beyond 3σ
// only the noise baseline is left (≤ 0.05 + E max(0, 0.1 z) ≈ 0.09).
func TestPlaceInClass(t *testing.T) {
	for _, l := range []*Layout{Clustered(6, 20000), Uniform(6, 20000)} {
		for rep := range 6 {
			u := PlaceInClass(l, rand.New(rand.NewPCG(6, uint64(rep))))
			c, s := int(u.Params["class"]), u.Params["s"]
			sigma := u.Params["sigma_bins"] * l.BinWidth
			if math.Abs(sigma-s*l.ClassSD(c)) > 1e-9*sigma || s < 0.25 || s > 1 {
				t.Fatalf("σ %g for s %g and class s.d. %g", sigma, s, l.ClassSD(c))
			}
			cx, cy := u.Params["centre_x"], u.Params["centre_y"]
			var ring [3][]float64 // d < σ, σ ≤ d < 2σ, d ≥ 3σ
			for k := range u.Acts {
				switch d := math.Hypot(l.X[k]-cx, l.Y[k]-cy); {
				case d < sigma:
					ring[0] = append(ring[0], u.Acts[k])
				case d < 2*sigma:
					ring[1] = append(ring[1], u.Acts[k])
				case d >= 3*sigma:
					ring[2] = append(ring[2], u.Acts[k])
				}
				if l.X[k] == cx && l.Y[k] == cy && l.Labels[k] != c {
					t.Errorf("field centred on a point of class %d, want %d", l.Labels[k], c)
				}
			}
			m0, m1, m2 := mean(ring[0]), mean(ring[1]), mean(ring[2])
			if !(m0 > 0.65 && m0 > m1 && m1 > m2 && m2 < 0.1) {
				t.Errorf("%s s %.2f: mean %.2f within σ, %.2f in σ…2σ, %.2f beyond 3σ (%d, %d, %d points)",
					l.Kind, s, m0, m1, m2, len(ring[0]), len(ring[1]), len(ring[2]))
			}
		}
	}
}

func mean(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += v
	}
	return s / float64(len(a))
}

// TestHexGridClean: a clean spacing-8 grid (no noise, no threshold) on a
// uniform layout of 10,000 points is periodic: gridness well above the
// grid threshold 0.7 (clean NaN-free grids score 1.0–1.7, spec §3.2) and
// the autocorrelogram spacing is 8 bins (to 0.5 bin).
func TestHexGridClean(t *testing.T) {
	l := Uniform(1, 10000)
	for _, orient := range []float64{0, 17, 45} {
		s := scoreOne(t, l, HexGrid(l, 8, orient, 0.31, 0.57, 0))
		if g := s["gridness"]; g == nil || !(*g > 0.7) {
			t.Errorf("orientation %g: gridness %v, want > 0.7", orient, deref(g))
		}
		if sp := s["grid_spacing"]; sp == nil || math.Abs(*sp-8) > 0.5 {
			t.Errorf("orientation %g: spacing %v bins, want 8", orient, deref(sp))
		}
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// TestBandNotGrid: a clean band scores low gridness (stripes: about 0.2
// with the min/max form, spec §3.2).
func TestBandNotGrid(t *testing.T) {
	l := Uniform(2, 5000)
	for rep := range 4 {
		u := Band(l, rand.New(rand.NewPCG(2, uint64(rep))))
		if g := scoreOne(t, l, u.Acts)["gridness"]; g != nil && *g >= 0.7 {
			t.Errorf("band spacing %.1f: gridness %.2f", u.Params["spacing_bins"], *g)
		}
	}
}

// TestClassLayout: the recorded class-mean gridness is that of the map of
// the recorded levels, and reaches 0.4 unless every try was used.
func TestClassLayout(t *testing.T) {
	l := Clustered(9, 3000)
	for rep := range 3 {
		u := ClassLayout(l, rand.New(rand.NewPCG(9, uint64(rep))))
		lv := make([]float64, Classes)
		for c := range lv {
			lv[c] = u.Params[fmt.Sprintf("level%d", c)]
		}
		a := make([]float64, l.N())
		for k, c := range l.Labels {
			a[k] = lv[c]
		}
		g := deref(scoreOne(t, l, a)["gridness"])
		if got := u.Params["class_gridness"]; got != g {
			t.Errorf("recorded class-mean gridness %v, map of the levels %v", got, g)
		}
		if !(g >= layoutGridness) && u.Params["tries"] < layoutTries {
			t.Errorf("gridness %.2f after %v tries", g, u.Params["tries"])
		}
		// activations follow the class levels
		m := classMeans(l, u.Acts)
		for c := range m {
			if math.Abs(m[c]-lv[c]) > 0.15 {
				t.Errorf("class %d: mean %.3f, level %.3f", c, m[c], lv[c])
			}
		}
	}
}

func TestAgrees(t *testing.T) {
	cases := []struct {
		expected string
		labels   []string
		want     bool
	}{
		{ExpectGrid, []string{"grid"}, true},
		{ExpectGrid, []string{"weakly-grid"}, false},
		{ExpectGrid, []string{"cluster-grid"}, false},
		{ExpectConcept, []string{"place", "concept"}, true},
		{ExpectConcept, []string{"place"}, false},
		{ExpectPlace, []string{"place"}, true},
		{ExpectPlace, []string{"place", "concept"}, false},
		{ExpectClassLayoutGrid, []string{"cluster-grid"}, true},
		{ExpectClassLayoutGrid, []string{"none"}, true},
		{ExpectClassLayoutGrid, []string{"weakly-grid"}, false},
		{ExpectNone, []string{"none"}, true},
		{ExpectNone, []string{"silent"}, true},
		{ExpectNone, []string{"place"}, false},
		{"unknown", []string{"none"}, false},
	}
	for _, c := range cases {
		o := Outcome{Expected: c.expected, Labels: c.labels}
		if got := o.Agrees(); got != c.want {
			t.Errorf("expected %s, labels %v: agrees %v", c.expected, c.labels, got)
		}
	}
}

// TestTableNewLabel: a label cells did not have (a rule change) gets
// its own column; rates count per layout kind.
func TestTableNewLabel(t *testing.T) {
	outs := []Outcome{
		{Layout: KindClustered, Type: TypeGrid, Subtype: "5-6", Expected: ExpectGrid, Labels: []string{"grid"}},
		{Layout: KindUniform, Type: TypeGrid, Subtype: "5-6", Expected: ExpectGrid, Labels: []string{"multi-field"}},
		{Layout: KindUniform, Type: TypeBand, Subtype: "7-9", Expected: ExpectNone, Labels: []string{"weakly-grid"}},
	}
	tab := Confusion(outs)
	if !slices.Contains(tab.Labels, "multi-field") || tab.Labels[len(tab.Labels)-1] != "multi-field" {
		t.Errorf("labels %v: want the known ones, then multi-field", tab.Labels)
	}
	if len(tab.Rows) != 2 || tab.Rows[0].Type != TypeGrid || tab.Rows[0].N != 2 || tab.Rows[0].Agree != 1 {
		t.Errorf("rows %+v", tab.Rows)
	}
	want := map[string][3][2]int{ // hits, n for all, clustered, uniform
		"grid recall [grid], spacing 5-6":                    {{1, 2}, {1, 1}, {0, 1}},
		"false grid [grid|weakly-grid], every non-grid type": {{1, 1}, {0, 0}, {1, 1}},
	}
	for _, r := range tab.Rates {
		if w, ok := want[r.Name]; ok {
			for i := range 3 {
				if r.Hits[i] != w[i][0] || r.N[i] != w[i][1] {
					t.Errorf("%s [%s]: %d/%d, want %d/%d", r.Name, rateLayouts[i], r.Hits[i], r.N[i], w[i][0], w[i][1])
				}
			}
			delete(want, r.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("rates missing: %v", want)
	}
	if s := tab.String(); !strings.Contains(s, "multi-field") || !strings.Contains(s, "grid/5-6") {
		t.Errorf("text table:\n%s", s)
	}
}

// TestHarnessSmoke: two seeds through Score (with few shuffles),
// Confusion and WriteCSV.
func TestHarnessSmoke(t *testing.T) {
	layouts, cases := Generate(1, 2, 2000)
	opts := cells.DefaultOptions()
	opts.Permutations, opts.FieldShuffles, opts.Workers = 50, 20, 1
	calls := 0
	opts.Progress = func(done, total int) {
		calls++
		if done != calls || total != len(cases) {
			t.Errorf("progress %d/%d at call %d", done, total, calls)
		}
	}
	out, err := Score(context.Background(), cases, layouts, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(cases) || calls != len(cases) {
		t.Fatalf("%d outcomes, %d progress calls for %d cases", len(out), calls, len(cases))
	}
	for i, o := range out {
		c := cases[i]
		if o.Seed != c.Seed || o.Type != c.Type || o.Layout != layouts[c.Layout].Kind || len(o.Labels) == 0 {
			t.Fatalf("outcome %d: %+v for case seed %d type %s", i, o, c.Seed, c.Type)
		}
		if o.Scores["gridness"] == nil || o.Scores["csi"] == nil {
			t.Errorf("outcome %d (%s): gridness or csi undefined", i, o.Type)
		}
	}
	tab := Confusion(out)
	n := 0
	for _, r := range tab.Rows {
		n += r.N
	}
	if n != len(out) {
		t.Errorf("table rows count %d outcomes, want %d", n, len(out))
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, out); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != len(out)+1 {
		t.Fatalf("%d CSV records for %d outcomes", len(recs), len(out))
	}
	head, keys := recs[0], cells.ScoreKeys()
	if !slices.Equal(head[:4], []string{"seed", "layout", "type", "subtype"}) || !slices.Equal(head[len(head)-len(keys):], keys) {
		t.Errorf("CSV header %v", head)
	}
	col := func(name string) int { return slices.Index(head, name) }
	for i, rec := range recs[1:] {
		if rec[col("labels")] != strings.Join(out[i].Labels, "+") || rec[col("type")] != out[i].Type {
			t.Fatalf("CSV row %d: %v", i, rec)
		}
		g, err := strconv.ParseFloat(rec[col("gridness")], 64)
		if err != nil || g != *out[i].Scores["gridness"] {
			t.Fatalf("CSV row %d: gridness %q, want %v", i, rec[col("gridness")], *out[i].Scores["gridness"])
		}
	}
	if _, err := Score(context.Background(), []Case{{Layout: 5}}, layouts, opts); err == nil {
		t.Error("case on a missing layout: no error")
	}
}

// The calibration / validation run (see the package doc).
var (
	flagSeeds   = flag.String("synth.seeds", "", "seed range LO-HI of the TestConfusion run (calibration 1-40, validation 1001-1040)")
	flagN       = flag.Int("synth.n", DefaultPoints, "points per layout in TestConfusion")
	flagCSV     = flag.String("synth.csv", "", "TestConfusion writes one row per unit to this CSV file")
	flagWorkers = flag.Int("synth.workers", 1, "scoring goroutines in TestConfusion (0 = GOMAXPROCS)")
)

// TestConfusion generates the seed range of -synth.seeds, scores it with
// cells.DefaultOptions(), writes -synth.csv and prints the confusion table.
// It is skipped without -synth.seeds.
func TestConfusion(t *testing.T) {
	if *flagSeeds == "" {
		t.Skip("calibration/validation run: give -args -synth.seeds=1-40 (calibration) or 1001-1040 (validation), optionally -synth.csv=FILE -synth.n=5000 -synth.workers=1")
	}
	lo, hi, err := parseSeeds(*flagSeeds)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	layouts, cases := Generate(lo, hi, *flagN)
	gen := time.Since(t0)
	opts := cells.DefaultOptions()
	opts.Workers = *flagWorkers
	t1 := time.Now()
	out, err := Score(context.Background(), cases, layouts, opts)
	if err != nil {
		t.Fatal(err)
	}
	score := time.Since(t1)
	if *flagCSV != "" {
		f, err := os.Create(*flagCSV)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteCSV(f, out); err != nil {
			f.Close()
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Printf("seeds %d-%d, %d points per layout, %d units on %d layouts; generated in %.1f s, scored in %.1f s (%d workers)\n\n",
		lo, hi, *flagN, len(cases), len(layouts), gen.Seconds(), score.Seconds(), opts.Workers)
	if err := Confusion(out).WriteText(os.Stdout); err != nil {
		t.Fatal(err)
	}
}

// parseSeeds parses "LO-HI" (or a single seed).
func parseSeeds(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	if lo, err = strconv.Atoi(strings.TrimSpace(a)); err == nil {
		hi, err = strconv.Atoi(strings.TrimSpace(b))
	}
	if err != nil || hi < lo {
		return 0, 0, fmt.Errorf("-synth.seeds %q: want LO-HI with LO ≤ HI", s)
	}
	return lo, hi, nil
}
