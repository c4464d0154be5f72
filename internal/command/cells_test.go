package command

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/testenv"
)

type cellsJSON struct {
	Units []struct {
		Unit   int                 `json:"unit"`
		Part   string              `json:"part"`
		Labels []string            `json:"labels"`
		Scores map[string]*float64 `json:"scores"`
	} `json:"units"`
	Params map[string]any `json:"params"`
}

func readCellsJSON(t *testing.T, path string) cellsJSON {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r cellsJSON
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// splitCloud writes the reference cloud P (columns x, y, activation,
// label; ../shared/reference/cells/README.md) as the three inputs of
// `cells`, with the activation repeated in a second column scaled by 3
// (gridness, SI, fields and CSI are scale-invariant).
func splitCloud(t *testing.T, id, dir string) (pts, acts, labels string) {
	t.Helper()
	a, err := dataset.ReadNpy(testenv.Shared(t, "reference", "cells", "points", id+".npy"))
	if err != nil {
		t.Fatal(err)
	}
	k := a.Shape[0]
	d := a.Float64()
	xy, act, lab := make([]float64, 2*k), make([]float32, 2*k), make([]int64, k)
	for i := 0; i < k; i++ {
		xy[2*i], xy[2*i+1] = d[4*i], d[4*i+1]
		act[2*i], act[2*i+1] = float32(d[4*i+2]), float32(3*d[4*i+2])
		lab[i] = int64(d[4*i+3])
	}
	pts, acts, labels = filepath.Join(dir, "p.npy"), filepath.Join(dir, "a.npy"), filepath.Join(dir, "l.npy")
	for _, w := range []struct {
		path  string
		shape []int
		data  any
	}{{pts, []int{k, 2}, xy}, {acts, []int{k, 2}, act}, {labels, []int{k}, lab}} {
		if err := dataset.WriteNpy(w.path, false, w.shape, w.data); err != nil {
			t.Fatal(err)
		}
	}
	return
}

// TestCellsPoints: end to end on reference cloud P006 (expected
// "place+concept" in manifest.json; csi 0.964877 in scores.csv).
func TestCellsPoints(t *testing.T) {
	dir := t.TempDir()
	pts, acts, labels := splitCloud(t, "P006", dir)
	out := filepath.Join(dir, "r.json")
	if _, _, err := runApp(t, "cells", "--points", pts, "--activations", acts, "--labels", labels, "--out", out, "-q"); err != nil {
		t.Fatal(err)
	}
	r := readCellsJSON(t, out)
	if len(r.Units) != 2 {
		t.Fatalf("%d units, want 2", len(r.Units))
	}
	for _, u := range r.Units {
		if !slices.Equal(u.Labels, []string{"place", "concept"}) {
			t.Errorf("unit %d: labels %v, want [place concept]", u.Unit, u.Labels)
		}
		if c := u.Scores["csi"]; c == nil || *c < 0.96487 || *c > 0.96488 {
			t.Errorf("unit %d: csi %v, want 0.964877", u.Unit, c)
		}
	}
	if r.Params["bins"].(float64) != 40 || r.Params["seed"].(float64) != 1 {
		t.Errorf("params %v", r.Params)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(csv)), "\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], "0,,place+concept,") {
		t.Errorf("CSV:\n%s", csv)
	}
	// no overwrite without --force
	_, _, err = runApp(t, "cells", "--points", pts, "--activations", acts, "--out", out, "-q")
	if !errors.Is(err, fsutil.ErrExists) {
		t.Errorf("second run without --force: %v", err)
	}
}

// TestCellsMap: --map on reference map M001 (a hex grid, spec_gs60 1.54365
// in scores.csv).
func TestCellsMap(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.json")
	m := testenv.Shared(t, "reference", "cells", "maps", "M001.npy")
	if _, _, err := runApp(t, "cells", "--map", m, "--out", out, "-q"); err != nil {
		t.Fatal(err)
	}
	r := readCellsJSON(t, out)
	if len(r.Units) != 1 || !slices.Equal(r.Units[0].Labels, []string{"grid"}) {
		t.Fatalf("units %+v", r.Units)
	}
	if g := r.Units[0].Scores["gridness"]; g == nil || *g < 1.5336 || *g > 1.5537 {
		t.Errorf("gridness %v, want 1.54365 ± 0.01", g)
	}
	if r.Units[0].Scores["csi"] != nil {
		t.Error("csi of a map should be null")
	}
	// DeepMind-compat mode: dm_gs60_minmax 1.54371 and dm_gs60_mean
	// 1.54401 in scores.csv (DeepMind's scores.py), reproduced to 0.005.
	out = filepath.Join(dir, "dm.json")
	if _, _, err := runApp(t, "cells", "--map", m, "--compat", "deepmind", "--out", out, "-q"); err != nil {
		t.Fatal(err)
	}
	r = readCellsJSON(t, out)
	s := r.Units[0].Scores
	if g := s["gridness"]; g == nil || *g < 1.53871 || *g > 1.54871 {
		t.Errorf("deepmind gridness %v, want 1.54371 ± 0.005", g)
	}
	if g := s["gridness_mean"]; g == nil || *g < 1.53901 || *g > 1.54901 {
		t.Errorf("deepmind gridness_mean %v, want 1.54401 ± 0.005", g)
	}
	if r.Params["compat"] != "deepmind" {
		t.Errorf("params.compat %v", r.Params["compat"])
	}
}

func TestCellsErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, shape []int, data any) string {
		p := filepath.Join(dir, name)
		if err := dataset.WriteNpy(p, true, shape, data); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p3 := write("p3.npy", []int{4, 3}, make([]float64, 12))
	p2 := write("p2.npy", []int{4, 2}, []float64{0, 0, 1, 1, 0, 1, 1, 0})
	a5 := write("a5.npy", []int{5, 1}, make([]float64, 5))
	a4 := write("a4.npy", []int{4, 1}, []float64{1, 2, 3, 4})
	rect := write("rect.npy", []int{3, 4}, make([]float64, 12))
	out := filepath.Join(dir, "o.json")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--points", p3, "--activations", a4}, "want K×2"},
		{[]string{"--points", p2, "--activations", a5}, "one row per point"},
		{[]string{"--points", p2}, "give --points and --activations"},
		{[]string{"--points", p2, "--activations", a4, "--range", "0,1,0"}, "xmin,xmax,ymin,ymax"},
		{[]string{"--points", p2, "--activations", a4, "--range", "0,1,0,2"}, "not square"},
		{[]string{"--points", p2, "--activations", a4, "--bins", "1"}, "Bins"},
		{[]string{"--map", rect}, "want N×N"},
		{[]string{"--map", rect, "--points", p2}, "cannot be combined"},
		{[]string{"--points", p2, "--activations", a4, "--compat", "x"}, "compat"},
		{[]string{"--points", filepath.Join(dir, "missing.npy"), "--activations", a4}, "missing.npy"},
	} {
		_, _, err := runApp(t, append(append([]string{"cells"}, c.args...), "--out", out, "-q")...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

// TestCellsClassRuleFlags: the class rules are options. Reference cloud P009
// (a field covering 93 % of its class, class_coverage 0.934) is place and
// concept by default (coverage ≥ 0.84); --concept-coverage 0.95 makes it
// place only; --within-class-p 0.01 (within-class SI p 0.005) rejects
// concept as well. An invalid --grid-min-fields is refused by name.
func TestCellsClassRuleFlags(t *testing.T) {
	dir := t.TempDir()
	pts, acts, labels := splitCloud(t, "P009", dir)
	for i, c := range []struct {
		flags []string
		want  []string
	}{
		{nil, []string{"place", "concept"}},
		{[]string{"--concept-coverage", "0.95"}, []string{"place"}},
		{[]string{"--within-class-p", "0.01"}, []string{"place"}},
	} {
		out := filepath.Join(dir, strings.Repeat("r", i+1)+".json")
		args := append([]string{"cells", "--points", pts, "--activations", acts, "--labels", labels, "--out", out, "-q"}, c.flags...)
		if _, _, err := runApp(t, args...); err != nil {
			t.Fatal(err)
		}
		r := readCellsJSON(t, out)
		if len(r.Units) != 2 {
			t.Fatalf("%d units, want 2", len(r.Units))
		}
		for _, u := range r.Units {
			if !slices.Equal(u.Labels, c.want) {
				t.Errorf("%v unit %d: labels %v, want %v", c.flags, u.Unit, u.Labels, c.want)
			}
			if v := u.Scores["class_coverage"]; v == nil || math.Abs(*v-0.934) > 0.01 {
				t.Errorf("%v unit %d: class_coverage %v, want ≈ 0.934", c.flags, u.Unit, v)
			}
		}
		if i == 0 {
			thr, _ := r.Params["thresholds"].(map[string]any)
			if thr["concept_coverage"] != 0.84 || thr["residual_gridness"] != 0.4 || thr["grid_min_fields"] != 3.0 || thr["concept_within_class_p"] != 0.0 {
				t.Errorf("thresholds %v", thr)
			}
		}
	}
	_, _, err := runApp(t, "cells", "--points", pts, "--activations", acts, "--grid-min-fields", "-1", "--out", filepath.Join(dir, "x.json"), "-q")
	if err == nil || !strings.Contains(err.Error(), "GridMinFields") {
		t.Errorf("--grid-min-fields -1: error %v", err)
	}
}
