package probe

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio"
)

// Tolerances against PyTorch for the models in testdata/models: a value
// passes when |ours − torch| ≤ modelsAtol + modelsRtol·|torch|. PyTorch and
// we both compute in float32 with different summation orders; over the
// reductions in these models (at most a few hundred terms) that differs by
// a few ulps of the largest partial sums, ~1e-6 relative. rtol 1e-4 leaves
// ample headroom and still catches any semantic error (a wrong pad, axis or
// opset rule moves values by far more); atol 1e-5 covers values near zero
// after cancellation (the reference CNN's ORT-vs-PyTorch gap was ≤1.1e-5).
const (
	modelsRtol = 1e-4
	modelsAtol = 1e-5
)

type refManifest struct {
	Model   string         `json:"model"`
	Class   string         `json:"class"`
	Opset   int64          `json:"opset"`
	Input   string         `json:"input"`
	OpTypes map[string]int `json:"op_types"`
	Tensors []struct {
		Name  string `json:"name"`
		File  string `json:"file"`
		Shape []int  `json:"shape"`
	} `json:"tensors"`
}

// TestPyTorchModels runs every model exported by testdata/models/export.py
// (BatchNorm CNN, Tanh and Sigmoid/Softmax MLPs, AvgPool with Pad, residual
// Add, GlobalAveragePool, Concat branches, LeakyRelu, LeNet, VGG, SqueezeNet
// fire module, MobileNet depthwise conv, ConvTranspose with Resize/Upsample,
// at opsets 9, 11 and 13) and by export_vision.py (a torchvision ResNet-18
// at width 8, opset 13; a torchvision ViT-tiny at opsets 13, 14 and 17) and
// compares the output and the hooked intermediates with PyTorch's values.
func TestPyTorchModels(t *testing.T) {
	root := filepath.Join("..", "testdata", "models")
	dirs, err := filepath.Glob(filepath.Join(root, "*", "ref.json"))
	if err != nil || len(dirs) < 12 {
		t.Fatalf("testdata/models: %d models (%v); run testdata/models/export.py", len(dirs), err)
	}
	for _, refPath := range dirs {
		dir := filepath.Dir(refPath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(refPath)
			if err != nil {
				t.Fatal(err)
			}
			var ref refManifest
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatalf("%s: %v", refPath, err)
			}
			m, err := onnxio.Load(filepath.Join(dir, ref.Model))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Opsets[""]; got != ref.Opset {
				t.Fatalf("model opset %d, ref.json says %d", got, ref.Opset)
			}
			data := npySet(t, filepath.Join(dir, ref.Input), "")
			var hooks []string
			for _, r := range ref.Tensors {
				hooks = append(hooks, r.Name)
			}
			// Batch 2 over 3 samples: a full and a partial batch.
			acts, err := Collect(context.Background(), m, data, CollectOptions{Hooks: hooks, BatchSize: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range ref.Tensors {
				a := acts.Tensor(r.Name)
				if a == nil {
					t.Errorf("%s: not collected", r.Name)
					continue
				}
				if a.N != r.Shape[0] || !slices.Equal(a.Shape, r.Shape[1:]) {
					t.Errorf("%s: %d × %v, PyTorch %v", r.Name, a.N, a.Shape, r.Shape)
					continue
				}
				want := readRef(t, filepath.Join(dir, r.File)).Float32()
				worst, at, maxDiff := 0.0, 0, 0.0
				for i, w := range want {
					d := math.Abs(float64(a.Data[i]) - float64(w))
					maxDiff = math.Max(maxDiff, d)
					if excess := d - (modelsAtol + modelsRtol*math.Abs(float64(w))); excess > worst {
						worst, at = excess, i
					}
				}
				t.Logf("%-40s max |ours − PyTorch| = %.2g", r.Name, maxDiff)
				if worst > 0 {
					t.Errorf("%s: value %d = %g, PyTorch %g: outside atol %g + rtol %g", r.Name, at, a.Data[at], want[at], modelsAtol, modelsRtol)
				}
			}
		})
	}
}
