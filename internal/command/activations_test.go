package command

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/testenv"
)

// TestActivationsReference: `activations` reproduces ONNX Runtime's layer 6
// and layer 7 of the reference CNN for its 1,000 images (input.npy is
// already normalised, so it is fed as stored) to ≤1e-4 absolute, the
// tolerance the reference README recommends (ORT vs PyTorch ≤1.1e-5).
func TestActivationsReference(t *testing.T) {
	ref := testenv.Shared(t, "reference", "mnist-cnn")
	out := filepath.Join(t.TempDir(), "acts")
	msg, err := runAppOutput(t, "activations", "--model", filepath.Join(ref, "mnist_cnn_op13_dyn.onnx"),
		"--data", filepath.Join(ref, "input.npy"), "--labels", filepath.Join(ref, "labels.npy"),
		"--layers", "/Relu_2_output_0, /fc2/Gemm_output_0", "--batch", "300", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	// The model's SHA-256 as the reference manifest records it.
	if man.Model.SHA256 != "f74e0b6b816e0a6c452627f7860b4a53fbcde190cb26c4bd747e6fc6f5478690" || man.Format != ManifestFormat || man.N != 1000 {
		t.Errorf("manifest: format %q sha256 %q n %d", man.Format, man.Model.SHA256, man.N)
	}
	if man.Normalisation != "none (fed as stored)" || man.Dataset.Name == "" {
		t.Errorf("manifest dataset %+v normalisation %q", man.Dataset, man.Normalisation)
	}
	want := map[string]struct {
		file  string
		units int
	}{
		"/Relu_2_output_0":   {"09_Relu_2_output_0.npy", 50},
		"/fc2/Gemm_output_0": {"10_fc2.Gemm_output_0.npy", 10},
	}
	if len(man.Tensors) != 2 {
		t.Fatalf("manifest tensors %+v", man.Tensors)
	}
	for _, mt := range man.Tensors {
		w, ok := want[mt.Name]
		if !ok || mt.Shape[0] != 1000 || mt.Shape[1] != w.units {
			t.Errorf("manifest tensor %+v", mt)
			continue
		}
		got, err := dataset.ReadNpy(filepath.Join(out, mt.File))
		if err != nil {
			t.Fatal(err)
		}
		ortArr, err := dataset.ReadNpy(filepath.Join(ref, "activations", w.file))
		if err != nil {
			t.Fatal(err)
		}
		if got.DType != "float32" || len(got.Shape) != 2 || got.Shape[0] != 1000 || got.Shape[1] != w.units {
			t.Fatalf("%s: %s %v, want float32 [1000 %d]", mt.File, got.DType, got.Shape, w.units)
		}
		worst := 0.0
		for i, v := range ortArr.Float32() {
			worst = math.Max(worst, math.Abs(float64(got.F32[i])-float64(v)))
		}
		if worst > 1e-4 {
			t.Errorf("%s: max |ours − ORT| = %.3g, want ≤ 1e-4", mt.Name, worst)
		}
		t.Logf("%s → %s: max |ours − ORT| = %.2g", mt.Name, mt.File, worst)
	}
	labels, err := dataset.ReadNpy(filepath.Join(out, "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	refLabels, _ := dataset.ReadNpy(filepath.Join(ref, "labels.npy"))
	if man.Labels == nil || labels.DType != "int64" || len(labels.I64) != 1000 {
		t.Fatalf("labels.npy: %s %v", labels.DType, labels.Shape)
	}
	for i, v := range refLabels.I64 {
		if labels.I64[i] != v {
			t.Fatalf("label %d: %d, want %d", i, labels.I64[i], v)
		}
	}
	// 98.60% on the first 1,000 test images (reference README).
	if man.Output == nil || man.Output.Accuracy == nil || math.Abs(*man.Output.Accuracy-0.986) > 1e-9 {
		t.Errorf("manifest output %+v", man.Output)
	}

	// An existing DIR is refused without --force and left as it was.
	before, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	args := []string{"activations", "--model", filepath.Join(ref, "mnist_cnn_op13_dyn.onnx"),
		"--data", filepath.Join(ref, "input.npy"), "--layer", "/Relu_2", "--limit", "10", "--quiet", "--out", out}
	if _, err := runAppOutput(t, args...); !errors.Is(err, fsutil.ErrExists) {
		t.Fatalf("existing --out without --force: err = %v, want ErrExists", err)
	}
	if after, _ := os.ReadFile(filepath.Join(out, "manifest.json")); !bytes.Equal(before, after) {
		t.Error("refused run changed the folder")
	}
	// With --force it is replaced as a whole: the old files are gone.
	if msg, err := runAppOutput(t, append(args, "--force")...); err != nil {
		t.Fatalf("--force: %v\n%s", err, msg)
	}
	entries, _ := os.ReadDir(out)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "Relu_2_output_0.npy manifest.json" {
		t.Errorf("after --force (no labels, hook /Relu_2): files %q", names)
	}
	siblings, _ := os.ReadDir(filepath.Dir(out))
	if len(siblings) != 1 {
		t.Errorf("temporary folders left beside --out: %d entries", len(siblings))
	}
}

func TestActivationsRefusesForeignDir(t *testing.T) {
	ref := testenv.Shared(t, "reference", "mnist-cnn")
	dir := t.TempDir()
	precious := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(precious, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runAppOutput(t, "activations", "--model", filepath.Join(ref, "mnist_cnn_op13_dyn.onnx"),
		"--data", filepath.Join(ref, "input.npy"), "--layers", "/Relu_2", "--limit", "5", "--quiet", "--force", "--out", dir)
	if err == nil || !strings.Contains(err.Error(), "not an activations folder") {
		t.Fatalf("--force onto a folder that is not ours: err = %v", err)
	}
	if b, _ := os.ReadFile(precious); string(b) != "keep me" {
		t.Error("the foreign folder was touched")
	}
}

func TestActivationsErrors(t *testing.T) {
	model := bundledModel(t)
	tmp := t.TempDir()
	out := filepath.Join(tmp, "o")
	// Four blank 1×28×28 images, outside tmp (which must stay empty).
	input := filepath.Join(t.TempDir(), "input.npy")
	if err := dataset.WriteNpy(input, false, []int{4, 1, 28, 28}, make([]float32, 4*28*28)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", out}, "no tensors to hook"},
		{[]string{"--layers", "/nope", "--out", out, "--data", input}, `hook "/nope"`},
		{[]string{"--layers", "fc1_relu", "--reduce", "max", "--out", out}, "--reduce"},
		{[]string{"--layers", "fc1_relu", "--batch", "0", "--out", out}, "--batch"},
	} {
		_, err := runAppOutput(t, append([]string{"activations", "--model", model, "--quiet"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.args, err, c.want)
		}
	}
	if e, _ := os.ReadDir(tmp); len(e) != 0 {
		t.Errorf("failed runs left %d entries behind", len(e))
	}
}

func TestTensorFile(t *testing.T) {
	used := map[string]bool{"labels.npy": true, "manifest.json": true}
	for _, c := range []struct{ name, want string }{
		{"/Relu_2_output_0", "Relu_2_output_0.npy"},
		{"/fc2/Gemm_output_0", "fc2_Gemm_output_0.npy"},
		{"fc2.Gemm_output_0", "fc2.Gemm_output_0.npy"},
		{"/fc2/Gemm_output_0", "fc2_Gemm_output_0-2.npy"}, // unique
		{"../../etc/passwd", "etc_passwd.npy"},
		{"..", "tensor.npy"},
		{"", "tensor-2.npy"},
		{"labels", "labels-2.npy"},
		{"LABELS", "LABELS-3.npy"}, // case-insensitive file systems
		{`a\b:c*d?"<>|`, "a_b_c_d_.npy"},
		{"\x00/\u00e9t\u00e9", "t_.npy"},
	} {
		got := tensorFile(c.name, used)
		if got != c.want {
			t.Errorf("tensorFile(%q) = %q, want %q", c.name, got, c.want)
		}
		if !filepath.IsLocal(got) || filepath.Base(got) != got || strings.HasPrefix(got, ".") {
			t.Errorf("tensorFile(%q) = %q is not a plain local file name", c.name, got)
		}
	}
	long := tensorFile(strings.Repeat("/layer", 100), used)
	if len(long) > 100 || !strings.HasSuffix(long, ".npy") {
		t.Errorf("long name → %q (%d bytes)", long, len(long))
	}
}

// TestActivationsSpatialMean: --reduce spatial-mean writes N×C, and the
// manifest keeps the unreduced per-sample shape.
func TestActivationsSpatialMean(t *testing.T) {
	ref := testenv.Shared(t, "reference", "mnist-cnn")
	out := filepath.Join(t.TempDir(), "acts")
	if msg, err := runAppOutput(t, "activations", "--model", filepath.Join(ref, "mnist_cnn_op13_dyn.onnx"),
		"--data", filepath.Join(ref, "input.npy"), "--layer", "/Relu_1", "--reduce", "spatial-mean",
		"--limit", "20", "--quiet", "--out", out); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	raw, _ := os.ReadFile(filepath.Join(out, "manifest.json"))
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	mt := man.Tensors[0]
	if mt.Name != "/Relu_1_output_0" || mt.Hook != "/Relu_1" || mt.Reduce != "spatial-mean" ||
		len(mt.Shape) != 2 || mt.Shape[0] != 20 || mt.Shape[1] != 20 || len(mt.SampleShape) != 3 {
		t.Fatalf("manifest tensor %+v", mt)
	}
	got, err := dataset.ReadNpy(filepath.Join(out, mt.File))
	if err != nil {
		t.Fatal(err)
	}
	full, _ := dataset.ReadNpy(filepath.Join(ref, "activations", "05_Relu_1_output_0.npy")) // N×20×4×4
	for i := range 20 * 20 {
		var s float64
		for _, v := range full.F32[i*16 : (i+1)*16] {
			s += float64(v)
		}
		if math.Abs(float64(got.F32[i])-s/16) > 1e-4 {
			t.Fatalf("value %d: %g, want mean %g", i, got.F32[i], s/16)
		}
	}
}

// TestActivationsOutputFolderChecked refuses an --out whose parent folder
// is missing or read-only before the model is even read.
func TestActivationsOutputFolderChecked(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "acts")
	// The model does not exist either: the output check must come first.
	_, err := runAppOutput(t, "activations", "--model", filepath.Join(dir, "none.onnx"), "--layers", "fc1_relu", "--quiet", "--out", missing)
	if err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), "--out") {
		t.Errorf("missing parent: err = %v, want the --out folder named", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "no")); err == nil {
		t.Error("the missing parent folder was created")
	}
	if os.Geteuid() == 0 {
		t.Skip("root writes in read-only folders")
	}
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	_, err = runAppOutput(t, "activations", "--model", filepath.Join(dir, "none.onnx"), "--layers", "fc1_relu", "--quiet", "--out", filepath.Join(ro, "acts"))
	if err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("read-only parent: err = %v, want cannot write", err)
	}
}

// TestActivationsModelOverBudget: a model whose weights alone exceed
// --max-memory is refused while loading, before they are allocated.
func TestActivationsModelOverBudget(t *testing.T) {
	out := filepath.Join(t.TempDir(), "acts")
	_, err := runAppOutput(t, "activations", "--model", bundledModel(t), "--layers", "fc1_relu", "--quiet",
		"--max-memory", "1KiB", "--out", out)
	if err == nil || !strings.Contains(err.Error(), "decoding it needs") || !strings.Contains(err.Error(), "--max-memory") {
		t.Errorf("err = %v, want the load refused naming --max-memory", err)
	}
}

// The hidden temporary folder of a run killed by kill -9 (its process
// gone) is removed by the next run writing the same --out.
func TestActivationsRemovesStaleTempFolder(t *testing.T) {
	dir := t.TempDir()
	input := filepath.Join(t.TempDir(), "input.npy")
	if err := dataset.WriteNpy(input, false, []int{4, 1, 28, 28}, make([]float32, 4*28*28)); err != nil {
		t.Fatal(err)
	}
	// No process has id 2^22+1 (Linux's pid_max is at most 2^22).
	stale := filepath.Join(dir, ".acts.tmp-4194305-123")
	if err := os.Mkdir(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, "fc1_relu.npy"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := runAppOutput(t, "activations", "--model", bundledModel(t), "--data", input,
		"--layers", "fc1_relu", "--quiet", "--out", filepath.Join(dir, "acts")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "acts" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("folder holds %q, want only acts", names)
	}
}
