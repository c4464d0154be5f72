package command

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/reports"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// probeSmall runs probe on the first 200 reference images (the PyTorch
// export) with light settings, writing HTML, JSON and CSV into dir.
func probeSmall(t *testing.T, dir string, extra ...string) (string, string, error) {
	t.Helper()
	ref := testenv.Shared(t, "reference", "mnist-cnn")
	args := []string{"probe", "--model", filepath.Join(ref, "mnist_cnn_op13_dyn.onnx"),
		"--data", filepath.Join(ref, "input.npy"), "--labels", filepath.Join(ref, "labels.npy"),
		"--limit", "200", "--iterations", "300", "--perplexity", "20", "--bins", "12",
		"--shuffles", "20", "--field-shuffles", "10", "--seed", "3", "--quiet",
		"--out", filepath.Join(dir, "r.html"), "--json", filepath.Join(dir, "r.json"), "--csv", filepath.Join(dir, "r.csv")}
	return runApp(t, append(args, extra...)...)
}

func TestProbeCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end probe in -short mode")
	}
	dir := t.TempDir()
	out, _, err := probeSmall(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	// The automatic layer choice is printed.
	if !strings.Contains(out, "/Relu_2_output_0, /fc2/Gemm_output_0") {
		t.Errorf("stdout does not name the chosen layers:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	rpt, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if rpt.Dataset.N != 200 || len(rpt.Layers) != 2 || rpt.Layers[0].Units != 50 || rpt.Layers[1].Units != 10 {
		t.Errorf("report: %d points, layers %+v", rpt.Dataset.N, len(rpt.Layers))
	}
	// Everything the summary counts is in the JSON, for every layer, kind
	// and space: 2 layers × (units, PCs) × 2 spaces.
	if len(rpt.Summary) != 8 {
		t.Errorf("%d summary rows, want 8", len(rpt.Summary))
	}
	// The CSV has one row per scored part.
	f, err := os.Open(filepath.Join(dir, "r.csv"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	for _, r := range rpt.Results {
		for _, u := range r.Units {
			parts += len(u.Parts)
		}
	}
	if len(rows) != parts+1 {
		t.Errorf("%d CSV rows, want %d parts + header", len(rows), parts)
	}
	// The HTML is written and self-contained.
	html, err := os.ReadFile(filepath.Join(dir, "r.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte("http://")) || bytes.Contains(html, []byte("https://")) {
		t.Error("the HTML names an http(s) URL")
	}

	// A second run refuses to overwrite, before doing any work …
	_, _, err = probeSmall(t, dir)
	if !errors.Is(err, fsutil.ErrExists) {
		t.Errorf("second run: err %v, want ErrExists", err)
	}
	// … and with --force it overwrites, with the same results (the whole
	// pipeline is deterministic for a seed).
	if _, _, err := probeSmall(t, dir, "--force"); err != nil {
		t.Fatal(err)
	}
	b2, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stripVolatile(t, b), stripVolatile(t, b2)) {
		t.Error("two runs with the same seed gave different JSON results")
	}
	checkGolden(t, "probe_small.golden", stripVolatile(t, b))
}

// stripVolatile keeps the stable results of a report JSON for golden
// comparison, as text with one line per item: accuracy, parameters, seeds,
// layers with their PCA, spaces with their quality, summary, verdict, and
// one line per scored part (labels and every score, 6 significant digits).
// It drops the creation time, the timings, the tool version, file paths,
// the per-point arrays and the maps (their scores are kept), and the
// reasons (they restate the scores against the thresholds in params).
func stripVolatile(t *testing.T, b []byte) []byte {
	t.Helper()
	rpt, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	var w strings.Builder
	if rpt.Accuracy != nil {
		fmt.Fprintf(&w, "accuracy %s\n", g(*rpt.Accuracy))
	}
	fmt.Fprintf(&w, "model sha256 %s producer %s %s opsets %v\n", rpt.Model.SHA256, rpt.Model.Producer, rpt.Model.ProducerVersion, rpt.Model.Opsets)
	fmt.Fprintf(&w, "dataset %s n %d shape %v labels %v\n", filepath.Base(rpt.Dataset.Name), rpt.Dataset.N, rpt.Dataset.Shape, rpt.Dataset.HasLabels)
	p := rpt.Params
	fmt.Fprintf(&w, "params layers %v (%s) space %s limit %d pcs %s/%s perplexity %s iterations %d bins %d shuffles %d/%d seed %d\n",
		p.Layers, p.LayersChosen, p.SpaceLayer, p.Limit, p.PCs, g(p.PCVariance), g(p.Perplexity), p.Iterations, p.Bins, p.Shuffles, p.FieldShuffles, p.Seed)
	for _, k := range slices.Sorted(maps.Keys(p.Cells)) {
		fmt.Fprintf(&w, "cells %s %v\n", k, p.Cells[k])
	}
	for _, k := range slices.Sorted(maps.Keys(rpt.Seeds)) {
		fmt.Fprintf(&w, "seed %s %d\n", k, rpt.Seeds[k])
	}
	for _, l := range rpt.Layers {
		fmt.Fprintf(&w, "layer %s node %s op %s role %s shape %v units %d signed %v\n", l.Name, l.Node, l.Op, l.Role, l.Shape, l.Units, l.Signed)
		if l.PCA != nil {
			var ex []string
			for _, v := range l.PCA.Explained {
				ex = append(ex, g(v))
			}
			fmt.Fprintf(&w, "  pca k %d auto %v cumulative %s explained %s\n", l.PCA.K, l.PCA.Auto, g(l.PCA.Cumulative), strings.Join(ex, " "))
		}
	}
	for _, s := range rpt.Spaces {
		fmt.Fprintf(&w, "space %s of %s (%d-d) points %d frame %s %s %s %s\n", s.Name, s.Source, s.Dims, len(s.X), g(s.Frame[0]), g(s.Frame[1]), g(s.Frame[2]), g(s.Frame[3]))
		for _, k := range slices.Sorted(maps.Keys(s.Quality)) {
			fmt.Fprintf(&w, "  %s %s\n", k, g(s.Quality[k]))
		}
	}
	for _, s := range rpt.Summary {
		fmt.Fprintf(&w, "summary %s %s %s total %d", s.Layer, s.Kind, s.Space, s.Total)
		for _, l := range reports.SummaryLabels {
			fmt.Fprintf(&w, " %s %d", l, s.Counts[l])
		}
		w.WriteString("\n")
	}
	for _, v := range rpt.Verdict {
		agree := "untested"
		if v.Agrees != nil {
			agree = strconv.FormatBool(*v.Agrees)
		}
		fmt.Fprintf(&w, "verdict %s | %s | %s\n", agree, v.Claim, v.Finding)
	}
	for _, r := range rpt.Results {
		for _, u := range r.Units {
			for _, pt := range u.Parts {
				fmt.Fprintf(&w, "%s %s %s %d %q [%s]", r.Layer, r.Space, u.Kind, u.Index, pt.Sign, strings.Join(pt.Labels, ","))
				for _, k := range slices.Sorted(maps.Keys(pt.Scores)) {
					if v := pt.Scores[k]; v != nil {
						fmt.Fprintf(&w, " %s=%s", k, g(*v))
					} else {
						fmt.Fprintf(&w, " %s=null", k)
					}
				}
				w.WriteString("\n")
			}
		}
	}
	return []byte(w.String())
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run %s -update creates it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		os.WriteFile(path+".got", got, 0o644)
		t.Errorf("results differ from %s; wrote %s.got (go test -update accepts them)", path, path)
	}
}

func TestProbeFlags(t *testing.T) {
	ref := testenv.Shared(t, "reference", "mnist-cnn")
	model := filepath.Join(ref, "mnist_cnn_op13_dyn.onnx")
	dir := t.TempDir()
	exists := filepath.Join(dir, "exists.html")
	os.WriteFile(exists, []byte("keep"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pcs", "zero"}, "--pcs"},
		{[]string{"--pcs", "0"}, "--pcs"},
		{[]string{"--seed", "0"}, "--seed"},
		{[]string{"--bins", "2"}, "--bins"},
		{[]string{"--perplexity", "-1"}, "--perplexity"},
		{[]string{"--pc-variance", "1.5"}, "--pc-variance"},
		{[]string{"--out", exists}, "already exists"},
		{[]string{"--json", filepath.Join(dir, "r.html")}, "both name"},
	} {
		args := append([]string{"probe", "--model", model, "--out", filepath.Join(dir, "r.html")}, tc.args...)
		_, _, err := runApp(t, args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(exists); string(b) != "keep" {
		t.Error("an existing output was touched")
	}
	// A missing model names the file.
	_, _, err := runApp(t, "probe", "--model", filepath.Join(dir, "nope.onnx"), "--out", filepath.Join(dir, "x.html"))
	if err == nil || !strings.Contains(err.Error(), "nope.onnx") {
		t.Errorf("missing model: %v", err)
	}
}
