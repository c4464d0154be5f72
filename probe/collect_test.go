package probe

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// refTol is the absolute tolerance against ONNX Runtime's activations of
// the reference CNN: its README measured ORT vs PyTorch at ≤1.1e-5 absolute
// (values up to 54), and recommends 1e-4 for a float32 implementation with
// another summation order.
const refTol = 1e-4

func loadRefModel(t testing.TB) (*onnxio.Model, string) {
	t.Helper()
	dir := testenv.Shared(t, "reference", "mnist-cnn")
	m, err := onnxio.Load(filepath.Join(dir, "mnist_cnn_op13_dyn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// loadBundledModel loads the repository's own MNIST CNN
// (testdata/mnist_cnn_go.onnx: input [batch,1,28,28], the layers of the
// reference CNN named conv1 … fc1_relu, fc2, log_probs), for the tests
// that need a model but no reference data.
func loadBundledModel(t testing.TB) *onnxio.Model {
	t.Helper()
	m, err := onnxio.Load(filepath.Join(testenv.ModuleRoot(t), "testdata", "mnist_cnn_go.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// npySet reads a float32 N×… .npy (and optional int labels) as a Set fed as
// stored.
func npySet(t testing.TB, path, labels string) *dataset.Set {
	t.Helper()
	a, err := dataset.ReadNpy(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &dataset.Set{Name: filepath.Base(path), N: a.Shape[0], Shape: append([]int(nil), a.Shape[1:]...), X: a.Float32()}
	if labels != "" {
		l, err := dataset.ReadNpy(labels)
		if err != nil {
			t.Fatal(err)
		}
		if s.Labels, err = l.Ints(); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func readRef(t testing.TB, path string) *dataset.Array {
	t.Helper()
	a, err := dataset.ReadNpy(path)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestCollectReference hooks every float tensor of the reference CNN and
// compares with ONNX Runtime's activations stored in shared/reference.
func TestCollectReference(t *testing.T) {
	m, dir := loadRefModel(t)
	data := npySet(t, filepath.Join(dir, "input.npy"), filepath.Join(dir, "labels.npy"))
	refs := map[string]string{ // tensor → file, from the reference README
		"/conv1/Conv_output_0": "00_conv1.Conv_output_0.npy",
		"/MaxPool_output_0":    "01_MaxPool_output_0.npy",
		"/Relu_output_0":       "02_Relu_output_0.npy",
		"/conv2/Conv_output_0": "03_conv2.Conv_output_0.npy",
		"/MaxPool_1_output_0":  "04_MaxPool_1_output_0.npy",
		"/Relu_1_output_0":     "05_Relu_1_output_0.npy",
		"/Reshape_output_0":    "07_Reshape_output_0.npy",
		"/fc1/Gemm_output_0":   "08_fc1.Gemm_output_0.npy",
		"/Relu_2_output_0":     "09_Relu_2_output_0.npy",
		"/fc2/Gemm_output_0":   "10_fc2.Gemm_output_0.npy",
		"log_probs":            "11_log_probs.npy",
		"/conv2/Conv":          "03_conv2.Conv_output_0.npy", // a node name: its first output
	}
	var hooks []string
	for h := range refs {
		hooks = append(hooks, h)
	}
	var calls, last int
	// Batch 96 does not divide 1000: the last batch has 40 samples.
	acts, err := Collect(context.Background(), m, data, CollectOptions{
		Hooks: hooks, BatchSize: 96,
		Progress: func(done, total int) {
			calls++
			if done <= last || total != 1000 {
				t.Errorf("progress %d/%d after %d", done, total, last)
			}
			last = done
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 11 || last != 1000 {
		t.Errorf("progress called %d times, last %d; want 11 times ending at 1000", calls, last)
	}
	if len(acts.Tensors) != len(refs)-1 {
		t.Errorf("%d tensors for %d hooks naming %d distinct tensors", len(acts.Tensors), len(refs), len(refs)-1)
	}
	for h, file := range refs {
		a := acts.Tensor(h)
		if a == nil {
			t.Errorf("hook %q: not collected", h)
			continue
		}
		ref := readRef(t, filepath.Join(dir, "activations", file))
		rows := ref.Shape[0] // conv1 holds only the first 500 images
		units := 1
		for _, d := range ref.Shape[1:] {
			units *= d
		}
		if a.N != 1000 || a.Units != units || !slices.Equal(a.Shape, ref.Shape[1:]) {
			t.Errorf("%s: N=%d units=%d shape %v; want 1000, %d, %v", h, a.N, a.Units, a.Shape, units, ref.Shape[1:])
			continue
		}
		want := ref.Float32()
		worst := 0.0
		for i, w := range want[:rows*units] {
			worst = math.Max(worst, math.Abs(float64(a.Data[i])-float64(w)))
		}
		if worst > refTol {
			t.Errorf("%s: max |ours − ORT| = %.3g over %d rows, want ≤ %g", h, worst, rows, refTol)
		} else {
			t.Logf("%-22s max |ours − ORT| = %.2g", h, worst)
		}
	}
	// 98.60% on the first 1,000 test images (reference README).
	if acts.Output == nil || acts.Output.Name != "log_probs" || len(acts.Predictions) != 1000 {
		t.Fatalf("output %+v, %d predictions", acts.Output, len(acts.Predictions))
	}
	if math.Abs(acts.Accuracy-0.986) > 1e-9 {
		t.Errorf("accuracy %.4f, want 0.9860", acts.Accuracy)
	}
	if len(acts.Warnings) != 0 {
		t.Errorf("warnings: %q", acts.Warnings)
	}
}

// TestCollectSpatialMean checks the per-channel mean against the mean of
// the full tensor computed here in float64.
func TestCollectSpatialMean(t *testing.T) {
	m, dir := loadRefModel(t)
	data := npySet(t, filepath.Join(dir, "input.npy"), "")
	acts, err := Collect(context.Background(), m, data, CollectOptions{
		Hooks: []string{"/Relu_1_output_0", "/Relu_2_output_0"}, Reduce: ReduceSpatialMean, Limit: 100, SkipOutput: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	ref := readRef(t, filepath.Join(dir, "activations", "05_Relu_1_output_0.npy")).Float32() // N×20×4×4
	a := acts.Tensors[0]
	if a.N != 100 || a.Units != 20 || !slices.Equal(a.Shape, []int{20, 4, 4}) {
		t.Fatalf("spatial mean: N=%d units=%d shape %v; want 100, 20, [20 4 4]", a.N, a.Units, a.Shape)
	}
	for i := range 100 {
		for c := range 20 {
			var s float64
			for _, v := range ref[(i*20+c)*16 : (i*20+c+1)*16] {
				s += float64(v)
			}
			if d := math.Abs(float64(a.Data[i*20+c]) - s/16); d > refTol {
				t.Fatalf("sample %d channel %d: %g, want %g", i, c, a.Data[i*20+c], s/16)
			}
		}
	}
	if b := acts.Tensors[1]; b.Units != 50 { // rank-2 tensors are kept whole
		t.Errorf("spatial mean of an N×50 tensor: %d units, want 50", b.Units)
	}
	if acts.Output != nil || acts.Predictions != nil || !math.IsNaN(acts.Accuracy) {
		t.Errorf("SkipOutput: output %v, predictions %d, accuracy %v", acts.Output, len(acts.Predictions), acts.Accuracy)
	}
}

func TestCollectEmptyDataset(t *testing.T) {
	m := loadBundledModel(t)
	data := &dataset.Set{Name: "none.npy", N: 0, Shape: []int{1, 28, 28}}
	_, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"fc1_relu"}})
	if err == nil || !strings.Contains(err.Error(), "empty") || !strings.Contains(err.Error(), "none.npy") {
		t.Fatalf("empty dataset: err = %v, want an error saying none.npy is empty", err)
	}
}

func zeros(n int, shape ...int) *dataset.Set {
	k := 1
	for _, d := range shape {
		k *= d
	}
	return &dataset.Set{Name: "zeros", N: n, Shape: shape, X: make([]float32, n*k)}
}

func TestCollectCancelled(t *testing.T) {
	m := loadBundledModel(t)
	data := zeros(1000, 1, 28, 28)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, m, data, CollectOptions{Hooks: []string{"fc1_relu"}}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled before: err = %v, want context.Canceled", err)
	}

	// Cancel during the run: Collect stops before the next batch.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	batches := 0
	_, err := Collect(ctx, m, data, CollectOptions{Hooks: []string{"fc1_relu"}, BatchSize: 50, Progress: func(done, total int) {
		batches++
		if batches == 2 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled during: err = %v, want context.Canceled", err)
	}
	if batches != 2 {
		t.Errorf("%d batches ran after cancelling at batch 2 of 20", batches)
	}
}

func TestCollectWrongInputShape(t *testing.T) {
	m := loadBundledModel(t)
	for _, shape := range [][]int{{3, 28, 28}, {1, 32, 32}, {784, 1}} {
		data := zeros(4, shape...)
		data.Name = "bad.npy"
		_, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"fc1_relu"}})
		if err == nil {
			t.Errorf("samples %v: no error", shape)
			continue
		}
		msg := err.Error()
		want := "[N"
		for _, d := range shape {
			want += "," + itoa(d)
		}
		want += "]"
		if !strings.Contains(msg, "[batch,1,28,28]") || !strings.Contains(msg, want) || !strings.Contains(msg, "bad.npy") {
			t.Errorf("samples %v: error %q does not name both shapes ([batch,1,28,28] and %s) and the dataset", shape, msg, want)
		}
	}
	// [28,28] samples fit [batch,1,28,28]: only a unit axis differs.
	acts, err := Collect(context.Background(), m, zeros(3, 28, 28), CollectOptions{Hooks: []string{"fc1_relu"}})
	if err != nil || acts.N != 3 {
		t.Errorf("28×28 samples: %v", err)
	}
}

func itoa(d int) string {
	s := ""
	for {
		s = string(rune('0'+d%10)) + s
		d /= 10
		if d == 0 {
			return s
		}
	}
}

// TestCollectNonFinite feeds a NaN into pixel (0,0) of image 0 and +Inf into
// pixel (0,0) of image 1. conv1 (5×5, no padding) sees pixel (0,0) only at
// output (0,0), so each taints exactly one value in each of 10 channels:
// 10 NaN and 10 ±Inf (no conv1 weight at (0,0) is zero).
func TestCollectNonFinite(t *testing.T) {
	m, dir := loadRefModel(t)
	data := npySet(t, filepath.Join(dir, "input.npy"), "")
	data = data.Limit(4)
	x := append([]float32(nil), data.X...)
	x[0] = float32(math.NaN())
	x[784] = float32(math.Inf(1))
	data.X = x
	acts, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"input", "/conv1/Conv_output_0"}})
	if err != nil {
		t.Fatal(err)
	}
	in, conv := acts.Tensor("input"), acts.Tensor("/conv1/Conv_output_0")
	if in.NaN != 1 || in.Inf != 1 {
		t.Errorf("input: %d NaN, %d Inf; want 1, 1", in.NaN, in.Inf)
	}
	if conv.NaN != 10 || conv.Inf != 10 {
		t.Errorf("conv1: %d NaN, %d Inf; want 10, 10", conv.NaN, conv.Inf)
	}
	joined := strings.Join(acts.Warnings, "\n")
	if !strings.Contains(joined, `"/conv1/Conv_output_0": 10 NaN and 10 Inf`) || !strings.Contains(joined, `"input": 1 NaN and 1 Inf`) {
		t.Errorf("warnings do not give the counts: %q", acts.Warnings)
	}
	// Images 2 and 3 are untouched.
	for _, v := range conv.Data[2*conv.Units:] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatal("non-finite value leaked into clean samples")
		}
	}
}

// tinyModel builds input [batch,4] → op → ... with the given nodes.
func tinyModel(t *testing.T, inDims []int64, nodes []*onnxbuild.Node, out string, outDims []int64) *onnxio.Model {
	t.Helper()
	g := &onnxbuild.Graph{
		Name:    "tiny",
		Nodes:   nodes,
		Inputs:  []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, inDims, "batch")},
		Outputs: []*onnxbuild.Value{onnxbuild.ValueInfo(out, onnxio.Float, outDims, "batch")},
	}
	m, err := onnxbuild.NewModel(g, 13, "test").Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCollectUnsupportedOp(t *testing.T) {
	m := tinyModel(t, []int64{-1, 4}, []*onnxbuild.Node{
		onnxbuild.NewNode("Relu", "relu", []string{"x"}, []string{"r"}),
		onnxbuild.NewNode("NoSuchOp", "mystery", []string{"r"}, []string{"y"}),
	}, "y", []int64{-1, 4})
	ran := false
	_, err := Collect(context.Background(), m, zeros(10, 4), CollectOptions{Hooks: []string{"r"}, Progress: func(int, int) { ran = true }})
	var ue *onnxio.UnsupportedError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "NoSuchOp") || !strings.Contains(err.Error(), "mystery") {
		t.Fatalf("unsupported op: err = %v, want an UnsupportedError naming NoSuchOp and node mystery", err)
	}
	if ran {
		t.Error("a batch ran before the unsupported op was reported")
	}
}

func TestCollectHookErrors(t *testing.T) {
	m := loadBundledModel(t)
	data := zeros(2, 1, 28, 28)
	for hook, want := range map[string]string{
		"/Relu_9":      `hook "/Relu_9": no tensor or node`,
		"conv1.weight": "initializer",
	} {
		_, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{hook}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("hook %q: err = %v, want %q", hook, err, want)
		}
	}
	if _, err := Collect(context.Background(), m, data, CollectOptions{}); err == nil {
		t.Error("no hooks: no error")
	}
	if _, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"fc1_relu"}, Reduce: "max"}); err == nil {
		t.Error("reduce max: no error")
	}
}

// TestCollectFixedBatch: a model declaring batch 4 runs 10 samples as
// batches of 4, 4 and a zero-padded 2, and matches the dynamic model.
func TestCollectFixedBatch(t *testing.T) {
	m, dir := loadRefModel(t)
	data := npySet(t, filepath.Join(dir, "input.npy"), "").Limit(10)
	want, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"/fc2/Gemm_output_0"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "mnist_cnn_op13_dyn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err = onnxbuild.EditInputs(raw, func(v *onnxbuild.Value) {
		if v.Name == m.Inputs[0].Name() {
			v.Dims[0] = 4
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	fixed, err := onnxio.DecodeIn(raw, dir)
	if err != nil {
		t.Fatal(err)
	}
	if dims, _, _ := fixed.Inputs[0].Shape(); dims[0] != 4 {
		t.Fatalf("edited input dims %v, want batch 4", dims)
	}
	batches := 0
	got, err := Collect(context.Background(), fixed, data, CollectOptions{Hooks: []string{"/fc2/Gemm_output_0"}, BatchSize: 7,
		Progress: func(int, int) { batches++ }})
	if err != nil {
		t.Fatal(err)
	}
	if batches != 3 || got.N != 10 {
		t.Errorf("fixed batch 4: %d batches for %d samples, want 3 for 10", batches, got.N)
	}
	for i, v := range want.Tensors[0].Data {
		if math.Abs(float64(v-got.Tensors[0].Data[i])) > 1e-6 {
			t.Fatalf("value %d: fixed batch %g, dynamic %g", i, got.Tensors[0].Data[i], v)
		}
	}
}

// TestCollectEarlyHookMemory: hooking only the first tensor with SkipOutput
// runs no later node, so Collect allocates about the hooked matrix, not the
// later intermediates. Here the graph widens 4 → 4096 values per sample
// after the hook (Tile ×1024, then two more nodes): running them for 2,000
// samples would allocate ≥ 3 × 32 MB, the hook's matrix is 32 kB.
func TestCollectEarlyHookMemory(t *testing.T) {
	m := wideModel(t)
	data := zeros(2000, 4)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	acts, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"a"}, SkipOutput: true})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	if acts.Tensors[0].Units != 4 || alloc > 4<<20 {
		t.Errorf("early hook: allocated %d bytes (units %d); want < 4 MB, the later nodes allocate ≥ 96 MB", alloc, acts.Tensors[0].Units)
	}
	t.Logf("early hook with SkipOutput allocated %d kB", alloc>>10)
}

// TestCollectUnnamedNode: an unnamed node is hooked as "#i OpType", the
// label `layers` and error messages use.
func TestCollectUnnamedNode(t *testing.T) {
	m := tinyModel(t, []int64{-1, 4}, []*onnxbuild.Node{
		onnxbuild.NewNode("Neg", "", []string{"x"}, []string{"a"}),
		onnxbuild.NewNode("Relu", "", []string{"a"}, []string{"y"}),
	}, "y", []int64{-1, 4})
	data := zeros(3, 4)
	for i := range data.X {
		data.X[i] = float32(i) - 5
	}
	acts, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{"#0 Neg", "#1 Relu"}})
	if err != nil {
		t.Fatal(err)
	}
	neg, relu := acts.Tensor("#0 Neg"), acts.Tensor("#1 Relu")
	if neg == nil || neg.Name != "a" || relu == nil || relu.Name != "y" {
		t.Fatalf("resolved %+v and %+v", neg, relu)
	}
	for i, x := range data.X {
		if neg.Data[i] != -x || relu.Data[i] != max(-x, 0) {
			t.Fatalf("value %d: Neg %g, Relu %g for x = %g", i, neg.Data[i], relu.Data[i], x)
		}
	}
}

// wideModel is x [batch,4] → Relu a → Tile b [batch,4096] → Sigmoid → Neg y.
func wideModel(t *testing.T) *onnxio.Model {
	t.Helper()
	reps := onnxbuild.Int64Tensor("reps", []int64{2}, []int64{1, 1024})
	g := &onnxbuild.Graph{
		Name: "wide",
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Relu", "early", []string{"x"}, []string{"a"}),
			onnxbuild.NewNode("Tile", "tile", []string{"a", "reps"}, []string{"b"}),
			onnxbuild.NewNode("Sigmoid", "s", []string{"b"}, []string{"c"}),
			onnxbuild.NewNode("Neg", "n", []string{"c"}, []string{"y"}),
		},
		Initializers: []*onnxbuild.Tensor{reps},
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo("x", onnxio.Float, []int64{-1, 4}, "batch")},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo("y", onnxio.Float, []int64{-1, 4096}, "batch")},
	}
	m, err := onnxbuild.NewModel(g, 13, "test").Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestCollectMemoryLimit: 1,000 samples × 4096 units × 4 bytes = 15.6 MiB
// for hook b is refused under a 10 MB (9.5 MiB) limit after one batch, naming b.
func TestCollectMemoryLimit(t *testing.T) {
	batches := 0
	_, err := Collect(context.Background(), wideModel(t), zeros(1000, 4), CollectOptions{
		Hooks: []string{"a", "b"}, SkipOutput: true, MaxBytes: 10e6, BatchSize: 100,
		Progress: func(int, int) { batches++ },
	})
	if err == nil || !strings.Contains(err.Error(), `need 15.6 MiB for 1000 samples (largest "b", 15.6 MiB), over the 9.5 MiB limit`) {
		t.Fatalf("err = %v, want the memory limit with sizes, naming tensor b", err)
	}
	if batches != 0 {
		t.Errorf("%d batches completed before the limit was reported", batches)
	}
	if _, err := Collect(context.Background(), wideModel(t), zeros(1000, 4), CollectOptions{
		Hooks: []string{"a", "b"}, SkipOutput: true, MaxBytes: 20e6, BatchSize: 100}); err != nil {
		t.Errorf("under a 20 MB limit: %v", err)
	}
}
