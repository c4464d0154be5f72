package command

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/reports"
)

func TestDemoSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("demo in -short mode")
	}
	path := filepath.Join(testenv.ModuleRoot(t), "testdata", demoModelName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("bundled model not here: %v", err)
	}
	old := DemoModel
	DemoModel = b
	defer func() { DemoModel = old }()
	dir := t.TempDir()
	out, _, err := runApp(t, "demo", "--limit", "300", "--iterations", "300", "--perplexity", "20", "--bins", "12",
		"--shuffles", "20", "--field-shuffles", "10", "--robust", "0", "--quiet",
		"--out", filepath.Join(dir, "r.html"), "--json", filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The Go-trained model names its layers fc1_relu (layer 6) and fc2
	// (layer 7); the automatic choice must find them.
	if !strings.Contains(out, "layers: fc1_relu, fc2") {
		t.Errorf("demo chose other layers:\n%s", out)
	}
	j, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	rpt, err := reports.ReadJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	if rpt.Model.File != demoModelName || rpt.Dataset.N != 300 || rpt.Accuracy == nil || *rpt.Accuracy < 0.95 {
		t.Errorf("demo report: model %q, %d points, accuracy %v", rpt.Model.File, rpt.Dataset.N, rpt.Accuracy)
	}
	// --robust 0: one embedding per space, labels as scored there.
	for _, sp := range rpt.Spaces {
		if len(sp.Embeddings) != 1 {
			t.Errorf("%s space: %d embeddings with --robust 0, want 1", sp.Name, len(sp.Embeddings))
		}
	}
	if rpt.Model.Metadata == nil {
		t.Error("the bundled model's training metadata is not in the report")
	}
}
