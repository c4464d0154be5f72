package command

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/reports"
)

// mnistFolder writes the first n MNIST test digits as 28×28 grey PNGs
// into class subfolders of a temporary folder: an image folder as a user
// of a torchvision model has, which probe converts to the model's RGB
// input size.
func mnistFolder(t *testing.T, n int) string {
	t.Helper()
	s, err := dataset.MNISTNormalized("test", "", &dataset.Normalization{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i := 0; i < n; i++ {
		img := image.NewGray(image.Rect(0, 0, 28, 28))
		for p, v := range s.X[i*784 : (i+1)*784] {
			img.Pix[p] = uint8(min(max(v, 0), 1)*255 + 0.5)
		}
		sub := filepath.Join(dir, fmt.Sprint(s.Labels[i]))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("%04d.png", i)), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestProbeVisionModels probes the torchvision ResNet-18 (width 8) and
// ViT-tiny fixtures of testdata/models end to end on 300 MNIST digits
// (an image folder, resized to 3×32×32 RGB, ImageNet normalisation) with
// one embedding per space and few shuffles, and checks each layer's
// reduction in the JSON: the ResNet's layer3 (32×2×2) as 32 channel means,
// its Flatten and logits as they are, the ViT's last block (17×32 tokens)
// as the class token's 32 features. (That the collected values match
// PyTorch's is TestCollectReduceMatchesPyTorch in probe.)
func TestProbeVisionModels(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end probe in -short mode")
	}
	data := mnistFolder(t, 300)
	type layer struct {
		name, reduce string
		tensor       []int
		units        int
	}
	cases := []struct {
		model  string
		layers []layer
	}{
		{"resnet18_w8", []layer{
			{"/layer3/layer3.1/relu_1/Relu_output_0", "spatial-mean", []int{32, 2, 2}, 32},
			{"/Flatten_output_0", "none", []int{64}, 64},
			{"output", "none", []int{10}, 10},
		}},
		{"vit_tiny_op17", []layer{
			{"/encoder/layers/encoder_layer_1/Add_1_output_0", "cls", []int{17, 32}, 32},
			{"output", "none", []int{10}, 10},
		}},
		{"vit_tiny_op13", []layer{
			{"/encoder/layers/encoder_layer_1/Add_1_output_0", "cls", []int{17, 32}, 32},
			{"output", "none", []int{10}, 10},
		}},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			dir := t.TempDir()
			var names []string
			for _, l := range c.layers {
				names = append(names, l.name)
			}
			args := []string{"probe", "--model", filepath.Join("..", "..", "testdata", "models", c.model, "model.onnx"),
				"--data", data, "--norm", "0.485,0.456,0.406/0.229,0.224,0.225", "--layers", strings.Join(names, ","),
				"--robust", "0", "--iterations", "250", "--perplexity", "20", "--bins", "12",
				"--shuffles", "20", "--field-shuffles", "10", "--quiet",
				"--out", filepath.Join(dir, "r.html"), "--json", filepath.Join(dir, "r.json")}
			out, errOut, err := runApp(t, args...)
			if err != nil {
				t.Fatalf("%v\n%s%s", err, out, errOut)
			}
			l0 := c.layers[0]
			if want := fmt.Sprintf("units: %s %s → %d (%s)", l0.name, strings.Trim(strings.Join(strings.Fields(fmt.Sprint(l0.tensor)), "×"), "[]"), l0.units, l0.reduce); !strings.Contains(out, want) {
				t.Errorf("stdout does not say %q:\n%s", want, out)
			}
			b, err := os.ReadFile(filepath.Join(dir, "r.json"))
			if err != nil {
				t.Fatal(err)
			}
			rpt, err := reports.ReadJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if rpt.Dataset.N != 300 || len(rpt.Layers) != len(c.layers) {
				t.Fatalf("%d points, %d layers", rpt.Dataset.N, len(rpt.Layers))
			}
			for i, want := range c.layers {
				got := rpt.Layers[i]
				if got.Name != want.name || got.Reduce != want.reduce || got.Units != want.units || !slices.Equal(got.TensorShape, want.tensor) {
					t.Errorf("layer %d: %s %s %v → %d units; want %s %s %v → %d", i, got.Name, got.Reduce, got.TensorShape, got.Units,
						want.name, want.reduce, want.tensor, want.units)
				}
			}
			html, err := os.ReadFile(filepath.Join(dir, "r.html"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(html, []byte("units ("+c.layers[0].reduce+")")) {
				t.Errorf("the report's parameters do not give the reduction %s", c.layers[0].reduce)
			}
			t.Logf("%s: report %.1f MB", c.model, float64(len(html))/1e6)
		})
	}
}
