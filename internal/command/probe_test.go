package command

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/probe"
	"github.com/conceptcells/conceptcells/reports"
)

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
	// Three t-SNE embeddings per space by default (--robust 2): new seeds,
	// perplexities --perplexity, --perplexity, --robust-perplexity.
	for _, sp := range rpt.Spaces {
		var got []string
		for _, e := range sp.Embeddings {
			got = append(got, fmt.Sprintf("%d@%g", e.Seed, e.Perplexity))
		}
		base := rpt.Seeds["tsne_"+sp.Name]
		if want := []string{fmt.Sprintf("%d@20", base), fmt.Sprintf("%d@20", base+100), fmt.Sprintf("%d@50", base+200)}; !slices.Equal(got, want) {
			t.Errorf("%s space embeddings %v, want %v", sp.Name, got, want)
		}
	}
	for _, s := range rpt.Summary {
		if s.Embeddings != 3 {
			t.Errorf("summary %s %s %s voted over %d embeddings, want 3", s.Layer, s.Kind, s.Space, s.Embeddings)
		}
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
	// The golden results live in probe (golden_test.go), fed with ONNX
	// Runtime's activations: our executor's last bits may depend on the
	// CPU's kernels, and t-SNE amplifies them.
}

// stripVolatile is the digest of a report JSON (reports.WriteDigest).
func stripVolatile(t *testing.T, b []byte) []byte {
	t.Helper()
	rpt, err := reports.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	if err := reports.WriteDigest(&w, rpt); err != nil {
		t.Fatal(err)
	}
	return w.Bytes()
}

func TestProbeFlags(t *testing.T) {
	model := bundledModel(t)
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
		{[]string{"--robust", "-1"}, "--robust"},
		{[]string{"--robust-perplexity", "0"}, "--robust-perplexity"},
		{[]string{"--out", exists}, "already exists (use --force to overwrite)"},
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

// TestFlagWords: the command restates probe's refusals with its flags.
func TestFlagWords(t *testing.T) {
	ue := &probe.UnitsError{Layer: "l3", Kept: 128, Units: 128, N: 300, MaxUnits: 100, TensorShape: []int{32, 2, 2},
		Reduce: probe.ReduceNone, Layout: probe.LayoutChannels, ReduceTo: probe.ReduceSpatialMean, ReducedUnits: 32}
	msg := flagWords(fmt.Errorf("wrapped: %w", ue)).Error()
	for _, want := range []string{`layer "l3" has 128 units per point (every value of 32×2×2, channels): over --max-units 100`,
		"choose units with --units (e.g. --units l3=0-99), reduce it (--reduce l3=spatial-mean: 32 units), or raise --max-units (≥ 128)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if msg := flagWords(fmt.Errorf("choosing layers: x: %w", probe.ErrNameLayers)).Error(); !strings.HasSuffix(msg, "name the layers with --layers") {
		t.Errorf("ErrNameLayers: %q", msg)
	}
}
