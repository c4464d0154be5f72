package onnxio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio/onnxpb"
)

// externalModel writes a model reading its initializers from external data
// into dir and loads it.
func externalModel(t *testing.T, dir string, inits ...*onnxpb.TensorProto) error {
	t.Helper()
	g := &onnxpb.GraphProto{Name: "ext", Initializer: inits,
		Input: []*onnxpb.ValueInfoProto{ValueInfo("x", Float, []int64{1})}}
	var last string = "x"
	for i, tp := range inits {
		out := "y" + string(rune('a'+i))
		g.Node = append(g.Node, NewNode("Add", "", []string{last, tp.Name}, []string{out}))
		last = out
	}
	g.Output = []*onnxpb.ValueInfoProto{ValueInfo(last, Float, []int64{1})}
	b, err := Encode(NewModel(g, 13, "test"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "m.onnx")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(p)
	return err
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
