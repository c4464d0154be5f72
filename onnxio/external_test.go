package onnxio

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// externalModel writes a model reading its initializers from external data
// into dir and loads it.
func externalModel(t *testing.T, dir string, inits ...*onnxpb.TensorProto) error {
	t.Helper()
	_, err := Load(writeExternalModel(t, dir, inits...))
	return err
}

// writeExternalModel writes dir/m.onnx, a model adding each of inits in
// turn to its input, and returns its path.
func writeExternalModel(t *testing.T, dir string, inits ...*onnxpb.TensorProto) string {
	t.Helper()
	g := &onnxpb.GraphProto{Name: "ext", Initializer: inits,
		Input: []*onnxpb.ValueInfoProto{valueInfo("x", Float, []int64{1})}}
	var last string = "x"
	for i, tp := range inits {
		out := "y" + string(rune('a'+i))
		g.Node = append(g.Node, NewNode("Add", "", []string{last, tp.Name}, []string{out}))
		last = out
	}
	g.Output = []*onnxpb.ValueInfoProto{valueInfo(last, Float, []int64{1})}
	b, err := encode(NewModel(g, 13, "test"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExternalDataHiddenAndShared(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ".secret"), []byte("hunter2!"), 0o600)
	os.Mkdir(filepath.Join(dir, ".git"), 0o755)
	os.WriteFile(filepath.Join(dir, ".git", "w.bin"), make([]byte, 8), 0o644)
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "w.bin"), make([]byte, 16), 0o644)
	for _, tc := range []struct {
		name  string
		inits []*onnxpb.TensorProto
		want  string
	}{
		{"dot-file", []*onnxpb.TensorProto{external("b", []int64{2}, "location", ".secret")}, "hidden"},
		{"dot-folder", []*onnxpb.TensorProto{external("b", []int64{2}, "location", ".git/w.bin")}, "hidden"},
		{"dot-folder via ./", []*onnxpb.TensorProto{external("b", []int64{2}, "location", "sub/../.secret")}, ""},
		{"subfolder", []*onnxpb.TensorProto{external("b", []int64{2}, "location", "sub/w.bin")}, "ok"},
		{"two tensors, distinct bytes", []*onnxpb.TensorProto{
			external("b", []int64{2}, "location", "sub/w.bin"),
			external("c", []int64{2}, "location", "sub/w.bin", "offset", "8")}, "ok"},
		{"two tensors, same bytes", []*onnxpb.TensorProto{
			external("b", []int64{2}, "location", "sub/w.bin"),
			external("c", []int64{2}, "location", "sub/w.bin", "offset", "4")}, "already read"},
	} {
		err := externalModel(t, dir, tc.inits...)
		switch {
		case tc.want == "ok" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "ok" && err == nil:
			t.Errorf("%s: accepted", tc.name)
		case tc.want != "ok" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestSkipExternalData loads a small model naming 2 GiB of sparse external
// data for inspection: the checks still run, but no byte is read and the
// memory allocated stays far below the data's size.
func TestSkipExternalData(t *testing.T) {
	dir := t.TempDir()
	const n = 512 << 20 // float32 elements: 2 GiB
	w := filepath.Join(dir, "w.bin")
	if err := os.WriteFile(w, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(w, 4*n); err != nil {
		t.Skipf("no sparse 2 GiB file here: %v", err)
	}
	p := writeExternalModel(t, dir, external("big", []int64{n}, "location", "w.bin"))

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m, err := LoadWith(p, LoadOptions{SkipExternalData: true})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("loading for inspection allocated %d bytes", got)
	}
	big := m.Initializers["big"]
	if !big.Unloaded || big.F32 != nil || big.Len() != n {
		t.Errorf("big: Unloaded %v, %d values loaded, Len %d", big.Unloaded, len(big.F32), big.Len())
	}
	if got := m.TotalParams(); got != n {
		t.Errorf("TotalParams = %d, want %d", got, n)
	}

	// The length is still checked against the file, without reading it.
	if err := os.Truncate(w, 4*n-4); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWith(p, LoadOptions{SkipExternalData: true}); err == nil || !strings.Contains(err.Error(), "the file holds") {
		t.Errorf("short file: err = %v", err)
	}
}

// TestLoadMaxMemory: integer initializers narrower than int64 are held as
// int64, and LoadOptions.MaxMemory counts them so, refusing a model before
// its tensors are allocated; a 1 GiB sparse uint8 file (8 GiB once
// decoded) is refused without the memory being taken.
func TestLoadMaxMemory(t *testing.T) {
	dir := t.TempDir()
	small := &onnxpb.TensorProto{Name: "u", DataType: int32(Uint8), Dims: []int64{1000}, RawData: make([]byte, 1000)}
	p := writeExternalModel(t, dir, small)
	if _, err := LoadWith(p, LoadOptions{MaxMemory: 8000}); err != nil {
		t.Errorf("1000 uint8 within 8000 bytes: %v", err)
	}
	if _, err := LoadWith(p, LoadOptions{MaxMemory: 7999}); err == nil || !strings.Contains(err.Error(), "8-byte") {
		t.Errorf("1000 uint8 within 7999 bytes: err = %v", err)
	}

	const n = 1 << 30
	w := filepath.Join(dir, "u8.bin")
	if err := os.WriteFile(w, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(w, n); err != nil {
		t.Skipf("no sparse 1 GiB file here: %v", err)
	}
	big := external("big", []int64{n}, "location", "u8.bin")
	big.DataType = int32(Uint8)
	p = writeExternalModel(t, dir, big)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := LoadWith(p, LoadOptions{MaxMemory: 4 << 30})
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "memory budget") {
		t.Errorf("8 GiB decoded within 4 GiB: err = %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 16<<20 {
		t.Errorf("the refused load allocated %d bytes", got)
	}
	// Inspection reads nothing, so counts nothing.
	if _, err := LoadWith(p, LoadOptions{SkipExternalData: true, MaxMemory: 4 << 30}); err != nil {
		t.Errorf("inspection: %v", err)
	}
}
