package probe

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio"
)

// visionModel loads one of the vision fixtures of testdata/models.
func visionModel(t testing.TB, name string) (*onnxio.Model, string) {
	t.Helper()
	dir := filepath.Join("..", "testdata", "models", name)
	m, err := onnxio.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// Tensors of the vision fixtures (testdata/models/export_vision.py).
const (
	resnetLayer3  = "/layer3/layer3.1/relu_1/Relu_output_0"
	resnetFlatten = "/Flatten_output_0"
	vitBlock      = "/encoder/layers/encoder_layer_1/Add_1_output_0"
	vitLN         = "/encoder/ln/LayerNormalization_output_0"
	vitPatches    = "/Reshape_output_0" // N×32×16: the patch conv's channels × positions
)

func TestTokenLayout(t *testing.T) {
	cases := []struct {
		model, tensor, want, why string
	}{
		{"vit_tiny_op17", vitBlock, LayoutTokens, "LayerNormalization"},
		{"vit_tiny_op17", vitLN, LayoutTokens, "LayerNormalization"},
		{"vit_tiny_op13", vitBlock, LayoutTokens, "ReduceMean"}, // LayerNorm decomposed before opset 17
		{"vit_tiny_op14", vitBlock, LayoutTokens, "ReduceMean"},
		{"vit_tiny_op17", "/encoder/layers/encoder_layer_1/mlp/mlp.1/Mul_1_output_0", LayoutTokens, "MatMul"}, // GELU output
		{"vit_tiny_op17", vitPatches, LayoutChannels, "channels first"},
		{"resnet18_w8", resnetLayer3, LayoutChannels, "Conv"},
	}
	for _, c := range cases {
		m, _ := visionModel(t, c.model)
		got, why := TokenLayout(m, c.tensor)
		if got != c.want || !strings.Contains(why, c.why) {
			t.Errorf("%s %s: %s (%s), want %s (%s)", c.model, c.tensor, got, why, c.want, c.why)
		}
	}
}

func TestChooseReduce(t *testing.T) {
	cases := []struct {
		mode            string
		explicit, token bool
		shape           []int
		want            string
	}{
		{"", false, false, []int{256, 4, 4}, ReduceSpatialMean},
		{ReduceAuto, false, true, []int{17, 32}, ReduceCLS},
		{ReduceAuto, false, false, []int{32, 16}, ReduceSpatialMean}, // N×C×L
		{ReduceAuto, false, false, []int{512}, ReduceNone},
		{ReduceSpatialMax, false, false, []int{8, 2, 2}, ReduceSpatialMax},
		{ReduceSpatialMax, false, true, []int{17, 32}, ReduceCLS}, // a global spatial mode leaves tokens alone
		{ReduceTokenMean, false, false, []int{8, 2, 2}, ReduceSpatialMean},
		{ReduceTokenMean, false, true, []int{17, 32}, ReduceTokenMean},
		{ReduceNone, false, true, []int{17, 32}, ReduceNone},
		{ReduceSpatialMax, true, true, []int{17, 32}, ReduceSpatialMax}, // asked by name: as asked
		{ReduceCLS, true, false, []int{10}, ReduceNone},
		{ReduceAuto, false, true, []int{7, 7, 96}, ReduceTokenMean}, // channels-last N×H×W×C
	}
	for _, c := range cases {
		if got := chooseReduce(c.mode, c.explicit, c.token, c.shape); got != c.want {
			t.Errorf("chooseReduce(%q, %v, %v, %v) = %q; want %q", c.mode, c.explicit, c.token, c.shape, got, c.want)
		}
	}
}

func TestReduceRows(t *testing.T) {
	// Two samples of shape [2, 3]: channels × positions or tokens × features.
	src := []float32{1, 2, 6, -1, -2, -3, 0, 0, 3, 4, 5, 9}
	cases := []struct {
		mode string
		want []float32
	}{
		{ReduceSpatialMean, []float32{3, -2, 1, 6}},
		{ReduceSpatialMax, []float32{6, -1, 3, 9}},
		{ReduceCLS, []float32{1, 2, 6, 0, 0, 3}},
		{ReduceTokenMean, []float32{0, 0, 1.5, 2, 2.5, 6}},
		{ReduceNone, src},
	}
	for _, c := range cases {
		shape := []int{2, 3}
		dst := make([]float32, 2*reducedUnits(shape, c.mode))
		reduceRows(dst, src, 2, shape, c.mode)
		if !slices.Equal(dst, c.want) {
			t.Errorf("%s: %v, want %v", c.mode, dst, c.want)
		}
	}
	nan := float32(math.NaN())
	dst := make([]float32, 1)
	reduceRows(dst, []float32{1, nan, 3}, 1, []int{1, 3}, ReduceSpatialMax)
	if dst[0] == dst[0] {
		t.Errorf("spatial-max over a NaN: %v, want NaN", dst[0])
	}
}

// TestCollectReduceMatchesPyTorch collects the vision fixtures' hooked
// tensors with the automatic reductions and compares with PyTorch's values
// reduced here: the ResNet's layer3 (N×32×2×2) becomes 32 channel means, the
// ViT's last block (N×17×32) the class token's 32 features; token-mean and
// spatial-max by name. Tolerances as TestPyTorchModels.
func TestCollectReduceMatchesPyTorch(t *testing.T) {
	cases := []struct {
		model, tensor, ref, mode, want string
	}{
		{"resnet18_w8", resnetLayer3, "ref_1.npy", ReduceAuto, ReduceSpatialMean},
		{"resnet18_w8", resnetLayer3, "ref_1.npy", ReduceSpatialMax, ReduceSpatialMax},
		{"vit_tiny_op13", vitBlock, "ref_1.npy", ReduceAuto, ReduceCLS},
		{"vit_tiny_op17", vitBlock, "ref_1.npy", ReduceAuto, ReduceCLS},
		{"vit_tiny_op17", vitBlock, "ref_1.npy", ReduceTokenMean, ReduceTokenMean},
		// As `activations --reduce spatial-mean` asks: every tensor as
		// asked, 17 token means.
		{"vit_tiny_op17", vitBlock, "ref_1.npy", "global " + ReduceSpatialMean, ReduceSpatialMean},
	}
	for _, c := range cases {
		t.Run(c.model+" "+c.mode, func(t *testing.T) {
			m, dir := visionModel(t, c.model)
			data := npySet(t, filepath.Join(dir, "input.npy"), "")
			opts := CollectOptions{Hooks: []string{c.tensor}, BatchSize: 2, Reduce: ReduceAuto, MatchKind: true}
			if global, ok := strings.CutPrefix(c.mode, "global "); ok {
				opts.Reduce, opts.MatchKind = global, false
			} else if c.mode != ReduceAuto {
				opts.LayerReduce = map[string]string{c.tensor: c.mode}
			}
			acts, err := Collect(context.Background(), m, data, opts)
			if err != nil {
				t.Fatal(err)
			}
			a := acts.Tensor(c.tensor)
			if a.Reduce != c.want {
				t.Fatalf("reduce %q, want %q (layout %s: %s)", a.Reduce, c.want, a.Layout, a.LayoutWhy)
			}
			ref := readRef(t, filepath.Join(dir, c.ref))
			shape := ref.Shape[1:]
			if !slices.Equal(a.Shape, shape) {
				t.Fatalf("shape %v, PyTorch %v", a.Shape, shape)
			}
			want := make([]float32, ref.Shape[0]*reducedUnits(shape, c.want))
			reduceRows(want, ref.Float32(), ref.Shape[0], shape, c.want)
			if len(a.Data) != len(want) {
				t.Fatalf("%d values, want %d", len(a.Data), len(want))
			}
			worst := 0.0
			for i, w := range want {
				d := math.Abs(float64(a.Data[i]) - float64(w))
				worst = max(worst, d)
				if d > modelsAtol+modelsRtol*math.Abs(float64(w)) {
					t.Fatalf("value %d = %g, PyTorch %g", i, a.Data[i], w)
				}
			}
			t.Logf("%d × %d units, max |ours − PyTorch| = %.2g", a.N, a.Units, worst)
		})
	}
}

func TestParseUnits(t *testing.T) {
	got, err := ParseUnits("0-3,10, 2")
	if err != nil || !slices.Equal(got[""], []int{0, 1, 2, 3, 10}) {
		t.Errorf("ParseUnits: %v, %v", got, err)
	}
	got, err = ParseUnits("a=1-2;b=0")
	if err != nil || !slices.Equal(got["a"], []int{1, 2}) || !slices.Equal(got["b"], []int{0}) {
		t.Errorf("ParseUnits per layer: %v, %v", got, err)
	}
	for _, bad := range []string{"", "3-1", "x", "-2", "a=1;a=2"} {
		if _, err := ParseUnits(bad); err == nil {
			t.Errorf("ParseUnits(%q): no error", bad)
		}
	}
	sel := map[string][]int{"": {0, 5, 20}, "b": {1, 30}}
	if s, err := selectUnits(sel, "a", 10); err != nil || !slices.Equal(s, []int{0, 5}) {
		t.Errorf("selectUnits for every layer: %v, %v", s, err)
	}
	if _, err := selectUnits(sel, "b", 10); err == nil {
		t.Error("a unit the named layer lacks: no error")
	}
	if s, err := selectUnits(nil, "a", 10); s != nil || err != nil {
		t.Errorf("no selection: %v, %v", s, err)
	}
}
