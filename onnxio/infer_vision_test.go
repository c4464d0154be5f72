package onnxio_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
)

// TestInferVisionShapes infers every tensor's shape of the torchvision
// ResNet-18 (width 8) and ViT-tiny exports in testdata/models (opsets 13,
// 14, 17; dynamic batch) and checks it against the shape the executor
// computes for a batch of 3: no dimension may be left unknown ("?"), the
// batch shows as N and its multiples as kN (the attention's N·heads).
func TestInferVisionShapes(t *testing.T) {
	for _, name := range []string{"resnet18_w8", "vit_tiny_op13", "vit_tiny_op14", "vit_tiny_op17"} {
		t.Run(name, func(t *testing.T) {
			m, err := onnxio.Load(filepath.Join("..", "testdata", "models", name, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			types, err := onnxio.InferTypes(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			var fetch []string
			for _, n := range m.Nodes {
				for _, o := range n.Outputs() {
					if o != "" {
						fetch = append(fetch, o)
					}
				}
			}
			prog, err := engine.Prepare(m, engine.Options{})
			if err != nil {
				t.Fatal(err)
			}
			const batch = 3
			x := make([]float32, batch*3*32*32)
			for i := range x {
				x[i] = float32(i%17) / 17
			}
			outs, err := prog.Run(context.Background(), map[string]*engine.Tensor{"input": engine.NewFloat([]int{batch, 3, 32, 32}, x)}, fetch)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range fetch {
				vt, ok := types[f]
				if !ok {
					t.Errorf("%s: no inferred shape", f)
					continue
				}
				got := onnxio.FormatDims(vt.Dims)
				if strings.Contains(got, "?") {
					t.Errorf("%s: inferred %s", f, got)
					continue
				}
				dims := make([]string, len(outs[f].Shape))
				for i, d := range outs[f].Shape {
					dims[i] = fmt.Sprint(d)
				}
				want := "[" + strings.Join(dims, ",") + "]"
				if sub := substituteBatch(vt.Dims, batch); sub != want {
					t.Errorf("%s: inferred %s (%s for N = %d), executor %s", f, got, sub, batch, want)
				}
			}
			if got := onnxio.FormatDims(types[m.Outputs[0].Name()].Dims); got != "[N,10]" {
				t.Errorf("logits: %s, want [N,10]", got)
			}
		})
	}
}

// substituteBatch formats dims with N (and kN) replaced by numbers.
func substituteBatch(dims []string, n int) string {
	out := make([]string, len(dims))
	for i, d := range dims {
		out[i] = d
		if k, ok := strings.CutSuffix(d, "N"); ok {
			f := 1
			if k != "" {
				fmt.Sscan(k, &f)
			}
			out[i] = fmt.Sprint(f * n)
		}
	}
	return "[" + strings.Join(out, ",") + "]"
}
