package command

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// A model whose names carry terminal controls, and 200 nodes one of which
// has a 64 KB name: `layers` prints the controls escaped, and the long name
// no longer pads every row (the output stays small).
func TestLayersHostileNames(t *testing.T) {
	forged := "fc\x1b[2K\rconceptcells: wrote /etc/passwd\x07"
	long := strings.Repeat("n", 64<<10)
	g := &onnxbuild.Graph{Name: "hostile", Inputs: []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{1, 4})}}
	last := "x"
	for i := range 200 {
		name, out := "relu", "t"+strings.Repeat("i", i)
		switch i {
		case 0:
			name = forged
		case 1:
			name = long
		}
		g.Nodes = append(g.Nodes, onnxbuild.NewNode("Relu", name, []string{last}, []string{out}))
		last = out
	}
	g.Outputs = []*onnxbuild.Value{onnxbuild.ValueInfo(last, onnxio.Float, []int64{1, 4})}
	path := writeModel(t, t.TempDir(), onnxbuild.NewModel(g, 13, "evil\x1b]0;title\x07"))
	out, _, err := runApp(t, "layers", path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "\x1b\x07\r") {
		t.Error("layers printed raw control characters")
	}
	if !strings.Contains(out, `fc\x1b[2K\x0dconceptcells: wrote /etc/passwd\x07`) {
		t.Error("the forged name is not shown escaped")
	}
	if len(out) > 100<<10 {
		fi, _ := os.Stat(path)
		t.Errorf("layers wrote %d KB for a %d KB model", len(out)>>10, fi.Size()>>10)
	}
}

// Two outputs naming one file through different spellings are refused
// before any work (with --force they used to overwrite each other).
func TestOutputAliasesRefused(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("fs", 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"probe", "--model", "none.onnx", "--out", "a.html", "--json", "./a.html", "--force"},
		{"probe", "--model", "none.onnx", "--out", "fs/a.html", "--csv", "fs//a.html", "--force"},
		{"cells", "--map", "none.npy", "--out", "c.json", "--csv", "./c.json", "--force"},
	} {
		_, _, err := runApp(t, args...)
		if err == nil || !strings.Contains(err.Error(), "same file") {
			t.Errorf("%q: got %v, want a refusal of the alias", args, err)
		}
	}
}

// A 1×N MatMul weight of 2 GiB in a sparse external file: `layers` lists
// the node and its parameter count without reading the data (a run of the
// command allocates far less than the file holds).
func TestLayersSparseExternalData(t *testing.T) {
	dir := t.TempDir()
	const n = 512 << 20 // float32 elements: 2 GiB
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, "w.bin"), 4*n); err != nil {
		t.Skipf("no sparse 2 GiB file here: %v", err)
	}
	w := &onnxbuild.Tensor{Name: "w", DType: onnxio.Float, Dims: []int64{1, n},
		External: []onnxio.KeyValue{{Key: "location", Value: "w.bin"}}}
	g := &onnxbuild.Graph{Name: "sparse", Initializers: []*onnxbuild.Tensor{w},
		Inputs:  []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{1, 1})},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("MatMul", "big", []string{"x", "w"}, []string{"y"})},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{1, n})}}
	path := writeModel(t, dir, onnxbuild.NewModel(g, 13, "test"))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	out, errOut, err := runApp(t, "layers", path)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("layers allocated %d bytes for a 2 GiB external weight", got)
	}
	if !strings.Contains(out, "big") || !strings.Contains(out, "536870912 parameters") {
		t.Errorf("layers output lacks the node or its parameters:\n%s", out)
	}
	// Shapes need the weights (they come from running the model): the
	// warning says why they are missing.
	if !strings.Contains(errOut, "no shapes") || !strings.Contains(errOut, "external weights (2.0 GiB)") {
		t.Errorf("warning %q: want why the shapes are missing", errOut)
	}
}

// A small weight in an external file is read for the shapes, which come
// from running the model.
func TestLayersSmallExternalData(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 4*3*2), 0o644); err != nil {
		t.Fatal(err)
	}
	w := &onnxbuild.Tensor{Name: "w", DType: onnxio.Float, Dims: []int64{3, 2},
		External: []onnxio.KeyValue{{Key: "location", Value: "w.bin"}}}
	g := &onnxbuild.Graph{Name: "small", Initializers: []*onnxbuild.Tensor{w},
		Inputs:  []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 3})},
		Nodes:   []*onnxbuild.Node{onnxbuild.NewNode("MatMul", "mm", []string{"x", "w"}, []string{"y"})},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 2})}}
	path := writeModel(t, dir, onnxbuild.NewModel(g, 13, "test"))
	out, errOut, err := runApp(t, "layers", path)
	if err != nil || errOut != "" || !strings.Contains(out, "mm    MatMul  y       [N,2]") {
		t.Errorf("layers: %v %q\n%s", err, errOut, out)
	}
}

// writeModel encodes m, without the validation of onnxbuild's Save (the
// hostile models here are invalid on purpose), to dir/m.onnx and returns
// the path.
func writeModel(t *testing.T, dir string, m *onnxbuild.Model) string {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
