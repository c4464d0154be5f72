package engine

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
)

type mnistManifest struct {
	Tensors []struct {
		Name  string `json:"name"`
		File  string `json:"file"`
		Shape []int  `json:"shape"`
		Rows  *int   `json:"rows"`
	} `json:"tensors"`
}

func loadMNISTReference(t testing.TB) (dir string, p *Program, input *Tensor) {
	t.Helper()
	dir = testenv.Shared(t, "reference", "mnist-cnn")
	m, err := onnxio.Load(filepath.Join(dir, "mnist_cnn_op13_dyn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	p, err = Prepare(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	input, err = readNpy(filepath.Join(dir, "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	return dir, p, input
}

// rows returns rows [lo, hi) of a batch-major tensor (sharing data).
func rows(x *Tensor, lo, hi int) *Tensor {
	per := numel(x.Shape[1:])
	shape := append([]int{hi - lo}, x.Shape[1:]...)
	return NewFloat(shape, x.F[lo*per:hi*per])
}

// TestMNISTReference checks all 12 node outputs of the paper CNN against
// ONNX Runtime 1.30's, stored in ../shared/reference/mnist-cnn (see its
// README): max |diff| ≤ 1e-4 on the stored rows. The 1,000 images go through
// in uneven batches (256, 256, 256, 200, 32) to exercise dynamic batch sizes.
func TestMNISTReference(t *testing.T) {
	dir, p, input := loadMNISTReference(t)
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man mnistManifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Tensors) != 12 {
		t.Fatalf("manifest lists %d tensors, want 12", len(man.Tensors))
	}
	var want []string
	for _, mt := range man.Tensors {
		want = append(want, mt.Name)
	}
	got := map[string][]*Tensor{}
	n := input.Shape[0]
	lo := 0
	for _, b := range []int{256, 256, 256, 200, 32} {
		hi := min(n, lo+b)
		out, err := p.Run(context.Background(), map[string]*Tensor{"input": rows(input, lo, hi)}, want)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range out {
			got[k] = append(got[k], v)
		}
		lo = hi
	}
	if lo != n {
		t.Fatalf("batches cover %d of %d images", lo, n)
	}
	for _, mt := range man.Tensors {
		ref, err := readNpy(filepath.Join(dir, mt.File))
		if err != nil {
			t.Fatal(err)
		}
		parts := got[mt.Name]
		if mt.Rows == nil { // the Reshape target constant
			if !slices.Equal(parts[0].Shape, ref.Shape) || parts[0].I[0] != ref.I[0] || parts[0].I[1] != ref.I[1] {
				t.Errorf("%s: got %v %v, want %v", mt.Name, parts[0], parts[0].I, ref.I)
			}
			continue
		}
		worst, scale := 0.0, 0.0
		per := numel(ref.Shape[1:])
		r := 0
		for _, part := range parts {
			if !slices.Equal(part.Shape[1:], ref.Shape[1:]) {
				t.Fatalf("%s: batch shape %v, reference %v", mt.Name, part.Shape, ref.Shape)
			}
			for i := 0; i < part.Shape[0] && r < *mt.Rows; i, r = i+1, r+1 {
				for j := 0; j < per; j++ {
					d := math.Abs(float64(part.F[i*per+j]) - float64(ref.F[r*per+j]))
					worst = max(worst, d)
					scale = max(scale, math.Abs(float64(ref.F[r*per+j])))
				}
			}
		}
		if r != *mt.Rows {
			t.Errorf("%s: compared %d rows, want %d", mt.Name, r, *mt.Rows)
		}
		t.Logf("%-22s rows %4d  max|diff| %.3g  (max|ref| %.3g)", mt.Name, r, worst, scale)
		if worst > 1e-4 {
			t.Errorf("%s: max |diff| %.3g > 1e-4 vs ONNX Runtime", mt.Name, worst)
		}
	}
}

// TestMNISTReferenceFused requests only layer 6, layer 7 and the output,
// so that MaxPool→Relu and Gemm→Relu are fused, and checks them against
// ONNX Runtime's values as TestMNISTReference does (≤ 1e-4 abs).
func TestMNISTReferenceFused(t *testing.T) {
	dir, p, input := loadMNISTReference(t)
	want := map[string]string{
		"/Relu_2_output_0":   "activations/09_Relu_2_output_0.npy",
		"/fc2/Gemm_output_0": "activations/10_fc2.Gemm_output_0.npy",
		"log_probs":          "activations/11_log_probs.npy",
	}
	names := []string{"/Relu_2_output_0", "/fc2/Gemm_output_0", "log_probs"}
	pl, err := p.planFor(names)
	if err != nil {
		t.Fatal(err)
	}
	fused := 0
	for _, a := range pl.absorbed {
		if a {
			fused++
		}
	}
	if fused != 3 {
		t.Fatalf("%d Relus fused, want 3 (after both MaxPools and fc1)", fused)
	}
	out, err := p.Run(context.Background(), map[string]*Tensor{"input": input}, names)
	if err != nil {
		t.Fatal(err)
	}
	for name, file := range want {
		ref, err := readNpy(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, v := range ref.F {
			worst = max(worst, math.Abs(float64(out[name].F[i])-float64(v)))
		}
		t.Logf("%-22s max|diff| %.3g", name, worst)
		if worst > 1e-4 {
			t.Errorf("%s: max |diff| %.3g > 1e-4", name, worst)
		}
	}
}
