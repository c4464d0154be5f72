package onnxbuild_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// tinyMLP builds x[batch,4] -> Gemm(W[3,4], B[3], transB) -> Relu -> y[batch,3].
func tinyMLP() *onnxbuild.Model {
	w := make([]float32, 12)
	for i := range w {
		w[i] = float32(i)/10 - 0.5
	}
	g := &onnxbuild.Graph{
		Name: "tiny",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Gemm", "/fc/Gemm", []string{"x", "fc.weight", "fc.bias"}, []string{"h"}, onnxbuild.AttrInt("transB", 1)),
			onnxbuild.NewNode("Relu", "", []string{"h"}, []string{"y"}),
		},
		Initializers: []*onnxbuild.Tensor{
			onnxbuild.FloatTensor("fc.weight", []int64{3, 4}, w),
			onnxbuild.FloatTensor("fc.bias", []int64{3}, []float32{0.1, 0, -0.1}),
		},
		Inputs:  []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 4}, "batch")},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 3})},
	}
	m := onnxbuild.NewModel(g, 13, "conceptcells-test")
	m.ProducerVersion = "1.2"
	m.Metadata = []onnxio.KeyValue{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}
	return m
}

// The views of a built model show what was written.
func TestBuildViews(t *testing.T) {
	m, err := tinyMLP().Build()
	if err != nil {
		t.Fatal(err)
	}
	if m.IRVersion != 8 || m.Opset("") != 13 || m.ProducerName != "conceptcells-test" || m.ProducerVersion != "1.2" {
		t.Errorf("IR %d opset %d producer %q %q", m.IRVersion, m.Opset(""), m.ProducerName, m.ProducerVersion)
	}
	if !slices.Equal(m.Metadata, []onnxio.KeyValue{{Key: "b", Value: "2"}, {Key: "a", Value: "1"}}) {
		t.Errorf("metadata %v, want b=2, a=1 in file order", m.Metadata)
	}
	if len(m.Nodes) != 2 {
		t.Fatalf("%d nodes, want 2", len(m.Nodes))
	}
	gemm, relu := m.Nodes[0], m.Nodes[1]
	if gemm.Name() != "/fc/Gemm" || gemm.OpType() != "Gemm" || gemm.Domain() != "" || gemm.Index() != 0 ||
		!slices.Equal(gemm.Inputs(), []string{"x", "fc.weight", "fc.bias"}) || !slices.Equal(gemm.Outputs(), []string{"h"}) {
		t.Errorf("gemm node %q %q %q #%d %v → %v", gemm.Name(), gemm.OpType(), gemm.Domain(), gemm.Index(), gemm.Inputs(), gemm.Outputs())
	}
	if v, err := gemm.Attrs().Int("transB", 0); v != 1 || err != nil {
		t.Errorf("transB = %d, %v", v, err)
	}
	if relu.Name() != "" || relu.Label() != "#1 Relu" || relu.String() != "#1 Relu" {
		t.Errorf("unnamed node: name %q label %q", relu.Name(), relu.Label())
	}
	if n, i := m.Producer("y"); n != relu || i != 1 {
		t.Errorf("Producer(y) = %v, %d", n, i)
	}
	if len(m.Inputs) != 1 || len(m.Outputs) != 1 {
		t.Fatalf("inputs %v outputs %v", m.Inputs, m.Outputs)
	}
	x, y := m.Inputs[0], m.Outputs[0]
	dims, names, ok := x.Shape()
	if x.Name() != "x" || !x.IsTensor() || x.DType() != onnxio.Float || !ok || !slices.Equal(dims, []int64{-1, 4}) || !slices.Equal(names, []string{"batch", ""}) {
		t.Errorf("input %s tensor %v %v dims %v %q %v", x.Name(), x.IsTensor(), x.DType(), dims, names, ok)
	}
	dims[0] = 7 // Shape returns copies
	if again, _, _ := x.Shape(); again[0] != -1 {
		t.Errorf("Shape shares its slice: %v", again)
	}
	if _, names, _ := y.Shape(); names[0] != "N" {
		t.Errorf("output dim param %q, want the default N", names[0])
	}
	if w := m.Initializers["fc.weight"]; w == nil || w.Len() != 12 || w.F32[11] != 0.6 {
		t.Errorf("fc.weight %+v", w)
	}
}

// Encode is deterministic, and Save writes what Encode returns, atomically
// and only over an existing file with force; an invalid model is not saved.
func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tiny.onnx")
	mp := tinyMLP()
	data, err := mp.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := mp.Encode(); !bytes.Equal(data, again) {
		t.Error("two encodings differ")
	}
	if err := mp.Save(p, false); err != nil {
		t.Fatal(err)
	}
	if err := mp.Save(p, false); err == nil {
		t.Error("second Save without force should refuse to overwrite")
	}
	if err := mp.Save(p, true); err != nil {
		t.Errorf("Save with force: %v", err)
	}
	file, err := os.ReadFile(p)
	if err != nil || !bytes.Equal(file, data) {
		t.Fatalf("saved file differs from Encode (%v)", err)
	}
	m, err := onnxio.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if m.Path != p || m.Dir != dir || m.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Path %q Dir %q SHA256 %q", m.Path, m.Dir, m.SHA256)
	}

	bad := tinyMLP()
	bad.Graph.Nodes[1].Inputs = []string{"nowhere"}
	badPath := filepath.Join(dir, "bad.onnx")
	err = bad.Save(badPath, false)
	var fe *onnxio.FormatError
	if !errors.As(err, &fe) || fe.Tensor != "nowhere" || !strings.Contains(err.Error(), badPath) {
		t.Errorf("Save of an invalid model: %v, want a FormatError naming the file and tensor nowhere", err)
	}
	if _, err := os.Stat(badPath); !os.IsNotExist(err) {
		t.Errorf("invalid model was written (%v)", err)
	}
	var none *onnxbuild.Model
	if _, err := none.Encode(); err == nil {
		t.Error("Encode of a nil model: no error")
	}
}

// Tensor data is written from External, Raw, then F32/I64; values that do
// not match the dims are kept so that reading names the tensor.
func TestTensorForms(t *testing.T) {
	build := func(t0 *onnxbuild.Tensor) (*onnxio.Model, error) {
		mp := tinyMLP()
		mp.Graph.Initializers = append(mp.Graph.Initializers, t0)
		return mp.Build()
	}
	m, err := build(&onnxbuild.Tensor{Name: "raw", DType: onnxio.Int32, Dims: []int64{2}, Raw: []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Initializers["raw"].Int64s(); !slices.Equal(v, []int64{1, -1}) {
		t.Errorf("raw int32 reads %v, want [1 -1]", v)
	}
	m, err = build(onnxbuild.Int64Tensor("i", []int64{3}, []int64{4, -5, 6}))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Initializers["i"].Int64s(); !slices.Equal(v, []int64{4, -5, 6}) {
		t.Errorf("int64 tensor reads %v", v)
	}
	for _, short := range []*onnxbuild.Tensor{
		onnxbuild.FloatTensor("short", []int64{4}, []float32{1, 2}),
		onnxbuild.Int64Tensor("short", []int64{4}, []int64{1}),
	} {
		_, err = build(short)
		var fe *onnxio.FormatError
		if !errors.As(err, &fe) || fe.Tensor != "short" {
			t.Errorf("%v tensor of 4 with too few values: %v, want a FormatError naming it", short.DType, err)
		}
	}

	// External data resolves beside the saved file, and not in memory.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), make([]byte, 8), 0o644); err != nil {
		t.Fatal(err)
	}
	ext := &onnxbuild.Tensor{Name: "ext", DType: onnxio.Float, Dims: []int64{2}, External: []onnxio.KeyValue{{Key: "location", Value: "w.bin"}}}
	if _, err := build(ext); err == nil {
		t.Error("Build of a model with external data: no error")
	}
	mp := tinyMLP()
	mp.Graph.Initializers = append(mp.Graph.Initializers, ext)
	p := filepath.Join(dir, "ext.onnx")
	if err := mp.Save(p, false); err != nil {
		t.Fatal(err)
	}
	m, err = onnxio.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if e := m.Initializers["ext"]; e == nil || !slices.Equal(e.F32, []float32{0, 0}) {
		t.Errorf("external tensor %+v", e)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if m, err = onnxio.DecodeIn(data, dir); err != nil {
		t.Fatalf("DecodeIn beside w.bin: %v", err)
	}
	if m.Dir != dir || m.Path != "" || m.Initializers["ext"] == nil {
		t.Errorf("DecodeIn: Dir %q Path %q ext %+v", m.Dir, m.Path, m.Initializers["ext"])
	}
	if _, err := onnxio.Decode(data); err == nil {
		t.Error("Decode of a model with external data: no error")
	}
	ext.External[0].Value = "../w.bin"
	if err := mp.Save(filepath.Join(dir, "escape.onnx"), false); err == nil {
		t.Error("Save of a model reading ../w.bin: no error")
	}
}

// Values without a shape, or without a type, read back so.
func TestValueForms(t *testing.T) {
	mp := tinyMLP()
	mp.Graph.Outputs = []*onnxbuild.Value{{Name: "y", DType: onnxio.Float, NoShape: true}, {Name: "h", NoShape: true}}
	m, err := mp.Build()
	if err != nil {
		t.Fatal(err)
	}
	y, h := m.Outputs[0], m.Outputs[1]
	if _, _, ok := y.Shape(); ok || !y.IsTensor() || y.DType() != onnxio.Float {
		t.Errorf("y: shape %v tensor %v dtype %v, want a float tensor without shape", ok, y.IsTensor(), y.DType())
	}
	if _, _, ok := h.Shape(); ok || h.IsTensor() || h.DType() != onnxio.Undefined {
		t.Errorf("h: shape %v tensor %v dtype %v, want no type", ok, h.IsTensor(), h.DType())
	}
	mp.Graph.Outputs = []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, nil)}
	if m, err = mp.Build(); err != nil {
		t.Fatal(err)
	}
	if dims, _, ok := m.Outputs[0].Shape(); !ok || dims == nil || len(dims) != 0 {
		t.Errorf("scalar output dims %v %v, want [] declared", dims, ok)
	}
}

// Every attribute helper reads back with the matching Attributes getter; a
// value whose type is left undefined reads as its field's type (IR 1).
func TestAttrs(t *testing.T) {
	mp := tinyMLP()
	mp.Graph.Nodes[1].Attrs = []*onnxbuild.Attr{
		onnxbuild.AttrInt("i", -3), onnxbuild.AttrInts("is", 1, 2), onnxbuild.AttrFloat("f", 0.5),
		onnxbuild.AttrFloats("fs", 1.5, 2.5), onnxbuild.AttrString("s", "abc"), onnxbuild.AttrStrings("ss", "a", "b"),
		onnxbuild.AttrTensor("t", onnxbuild.FloatTensor("", []int64{2}, []float32{3, 4})),
		{Name: "old", Int: 9}, nil,
	}
	m, err := mp.Build()
	if err != nil {
		t.Fatal(err)
	}
	a := m.Nodes[1].Attrs()
	if got := a.Names(); !slices.Equal(got, []string{"f", "fs", "i", "is", "old", "s", "ss", "t"}) {
		t.Errorf("names %v", got)
	}
	i, err1 := a.Int("i", 0)
	is, err2 := a.Ints("is", nil)
	f, err3 := a.Float("f", 0)
	fs, err4 := a.Floats("fs", nil)
	s, err5 := a.String("s", "")
	ss, err6 := a.Strings("ss", nil)
	tn, err7 := a.Tensor("t", "")
	old, err8 := a.Int("old", 0)
	if err := errors.Join(err1, err2, err3, err4, err5, err6, err7, err8); err != nil {
		t.Fatal(err)
	}
	if i != -3 || !slices.Equal(is, []int64{1, 2}) || f != 0.5 || !slices.Equal(fs, []float32{1.5, 2.5}) ||
		s != "abc" || !slices.Equal(ss, []string{"a", "b"}) || tn == nil || !slices.Equal(tn.F32, []float32{3, 4}) || old != 9 {
		t.Errorf("attributes read back %d %v %g %v %q %q %+v %d", i, is, f, fs, s, ss, tn, old)
	}
	if _, err := a.Float("i", 0); err == nil {
		t.Error("reading an INT attribute as FLOAT: no error")
	}
}

// EditInputs changes only what edit changes: a no-op edit gives the same
// bytes, and an edited dim reads back.
func TestEditInputs(t *testing.T) {
	data, err := tinyMLP().Encode()
	if err != nil {
		t.Fatal(err)
	}
	same, err := onnxbuild.EditInputs(data, func(v *onnxbuild.Value) {})
	if err != nil || !bytes.Equal(same, data) {
		t.Errorf("no-op edit changed the model (%v)", err)
	}
	seen := 0
	fixed, err := onnxbuild.EditInputs(data, func(v *onnxbuild.Value) {
		seen++
		if v.Name != "x" || !slices.Equal(v.Dims, []int64{-1, 4}) || !slices.Equal(v.Params, []string{"batch", ""}) {
			t.Errorf("edit sees %+v", v)
		}
		v.Dims[0] = 5
	})
	if err != nil || seen != 1 {
		t.Fatalf("edit called %d times: %v", seen, err)
	}
	m, err := onnxio.Decode(fixed)
	if err != nil {
		t.Fatal(err)
	}
	if dims, _, _ := m.Inputs[0].Shape(); !slices.Equal(dims, []int64{5, 4}) {
		t.Errorf("edited input dims %v, want [5 4]", dims)
	}
	if _, err := onnxbuild.EditInputs([]byte("not a model"), func(*onnxbuild.Value) {}); err == nil {
		t.Error("EditInputs of garbage: no error")
	}
}
