package probe_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/conceptcells/conceptcells/probe"
	"github.com/conceptcells/conceptcells/reports"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestGoldenResults pins the results of the pipeline — t-SNE of both
// spaces, PCA, every unit and PC scored and classified, the summary and the
// verdict — on a small fixed subset: the first 200 reference MNIST images
// with ONNX Runtime's activations of the PyTorch model
// (shared/reference/mnist-cnn), 12 bins, 20 permutations, 10 field
// shuffles, seed 3. The digest (reports.WriteDigest) leaves out times,
// paths and per-point arrays; `go test ./probe -run GoldenResults -update`
// rewrites it after an intended change.
func TestGoldenResults(t *testing.T) {
	if testing.Short() {
		t.Skip("pipeline golden in -short mode")
	}
	o := probe.DefaultOptions
	o.Iterations, o.Perplexity, o.Bins, o.Shuffles, o.FieldShuffles, o.Seed, o.Quiet = 300, 20, 12, 20, 10, 3, true
	res, _, _ := probe.RunWithReference(t, 200, o)
	rpt := reports.New(res)
	var js bytes.Buffer
	if err := reports.WriteJSON(&js, rpt); err != nil {
		t.Fatal(err)
	}
	// Golden over what the JSON holds (read back), not the in-memory report.
	back, err := reports.ReadJSON(&js)
	if err != nil {
		t.Fatal(err)
	}
	// Finish on the report read back (the path for JSON) derives the
	// summary and the verdict that New derived from the result.
	again := *back
	again.Finish()
	if !reflect.DeepEqual(again.Summary, back.Summary) || !slices.Equal(again.Findings, back.Findings) ||
		!reflect.DeepEqual(again.Verdict, back.Verdict) || again.VerdictNote != back.VerdictNote {
		t.Errorf("Finish on the JSON gives another summary or verdict than New:\n%+v\n%+v", again.Verdict, back.Verdict)
	}
	var got bytes.Buffer
	if err := reports.WriteDigest(&got, back); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "golden_results.txt")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./probe -run GoldenResults -update creates it)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		os.WriteFile(path+".got", got.Bytes(), 0o644)
		t.Errorf("results differ from %s; wrote %s.got (-update accepts them)", path, path)
	}
}
