package probe

import (
	"context"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
)

// referenceSet loads the first n of the 1,000 reference MNIST images.
func referenceSet(t *testing.T, n int) (*onnxio.Model, *dataset.Set, string) {
	t.Helper()
	dir := testenv.Shared(t, "reference", "mnist-cnn")
	m, err := onnxio.Load(filepath.Join(dir, "mnist_cnn_op13_dyn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	x, err := dataset.ReadNpy(filepath.Join(dir, "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	y, err := dataset.ReadNpy(filepath.Join(dir, "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := y.Ints()
	if err != nil {
		t.Fatal(err)
	}
	s := &dataset.Set{Name: "mnist-test", Source: dir, N: 1000, Shape: []int{1, 28, 28}, C: 1, H: 28, W: 28,
		X: x.Float32(), Labels: labels, Norm: &dataset.MNISTNorm, Scaled: true}
	return m, s.Limit(n), dir
}

// referenceCollect stands in for the executor with ONNX Runtime's stored
// activations of the reference model (shared/reference/mnist-cnn).
func referenceCollect(dir string) func(context.Context, *onnxio.Model, *dataset.Set, []string, Options) (map[string]tensorActs, error) {
	files := map[string]string{
		"/Relu_2_output_0":   "09_Relu_2_output_0.npy",
		"/fc2/Gemm_output_0": "10_fc2.Gemm_output_0.npy",
		"/fc1/Gemm_output_0": "08_fc1.Gemm_output_0.npy",
		"log_probs":          "11_log_probs.npy",
	}
	return func(_ context.Context, _ *onnxio.Model, data *dataset.Set, tensors []string, _ Options) (map[string]tensorActs, error) {
		out := map[string]tensorActs{}
		for _, name := range tensors {
			a, err := dataset.ReadNpy(filepath.Join(dir, "activations", files[name]))
			if err != nil {
				return nil, err
			}
			u := prod(a.Shape[1:])
			out[name] = tensorActs{Shape: a.Shape[1:], Data: a.Float32()[:data.N*u]}
		}
		return out, nil
	}
}

// fakeTSNE "embeds" by taking columns 0 and 1 of the data, spread by the
// seed, so that the test sees which data and seed each space got.
func fakeTSNE(_ context.Context, x []float32, n, d int, _ Options, seed int64, _ io.Writer) ([]float64, map[string]float64, []string, error) {
	xy := make([]float64, 2*n)
	for i := 0; i < n; i++ {
		xy[2*i] = float64(x[i*d]) + float64(seed)
		xy[2*i+1] = float64(x[i*d+min(1, d-1)])
	}
	return xy, map[string]float64{"seed": float64(seed)}, nil, nil
}

// fakeScore records the mean of each signal as its only score and labels
// it place when the mean is positive.
func fakeScore(_ context.Context, xy []float64, _ [4]float64, signals [][]float32, _ []int, _ int, _ Options, _ int64) ([]PartScores, map[string]any, error) {
	var out []PartScores
	for _, s := range signals {
		if len(s)*2 != len(xy) {
			return nil, nil, fmt.Errorf("signal of %d values for %d points", len(s), len(xy)/2)
		}
		mean := 0.0
		for _, v := range s {
			if v < 0 {
				return nil, nil, fmt.Errorf("negative value %v in a signal", v)
			}
			mean += float64(v)
		}
		mean /= float64(len(s))
		p := PartScores{Scores: map[string]*float64{"mean": &mean}, Labels: []string{"none"}}
		if mean > 0 {
			p.Labels = []string{"place"}
		}
		out = append(out, p)
	}
	return out, map[string]any{"fake": true}, nil
}

func TestRunOrchestration(t *testing.T) {
	m, data, dir := referenceSet(t, 300)
	st := stages{collect: referenceCollect(dir), tsne: fakeTSNE, score: fakeScore}
	var log strings.Builder
	res, err := run(context.Background(), m, data, Options{Seed: 5, Log: &log}, st)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{res.Layers[0].Name, res.Layers[1].Name}; got[0] != "/Relu_2_output_0" || got[1] != "/fc2/Gemm_output_0" {
		t.Errorf("layers %v", got)
	}
	if res.Layers[0].Role != "pre-final" || res.Layers[1].Role != "final" || res.Layers[1].Units != 10 || res.Layers[0].Units != 50 {
		t.Errorf("layer roles/units: %+v / %+v", res.Layers[0].Role, res.Layers[1].Role)
	}
	// Accuracy from ONNX Runtime's log_probs (checked against the
	// manifest in TestAccuracyReference).
	if res.Accuracy == nil {
		t.Fatal("no accuracy")
	}
	// Seeds: every step's seed is recorded and derived from Options.Seed.
	if res.Seeds["tsne_image"] != 5 || res.Seeds["tsne_network"] != 6 || res.Seeds["cells"] != 7 {
		t.Errorf("seeds %v", res.Seeds)
	}
	// The image space embeds the input (first pixel + seed 5), the network
	// space the final layer (first logit + seed 6).
	if got, want := res.Spaces[0].XY[0], float64(data.X[0])+5; got != want {
		t.Errorf("image space x[0] = %v, want %v", got, want)
	}
	if res.Spaces[1].Source != "/fc2/Gemm_output_0" {
		t.Errorf("network space of %q", res.Spaces[1].Source)
	}
	// PCA: auto at 95%; ratios sum ≤ 1 and are sorted.
	p := res.Layers[0].PCA
	if p == nil || !p.Auto || p.K < 1 || p.K > 50 {
		t.Fatalf("PCA of layer 6: %+v", p)
	}
	cum := 0.0
	for i := 0; i < p.K; i++ {
		cum += p.Ratios[i]
	}
	if cum < 0.95 || cum-p.Ratios[p.K-1] >= 0.95 {
		t.Errorf("auto PCA kept %d PCs explaining %.4f; want the fewest reaching 0.95", p.K, cum)
	}
	t.Logf("layer 6: %d PCs explain %.4f", p.K, cum)
	// Scores: (50 units + K PCs) + (10 logits + K' PCs) per space, 2 spaces.
	k7 := 0
	if res.Layers[1].PCA != nil {
		k7 = res.Layers[1].PCA.K
	}
	if want := 2 * (50 + p.K + 10 + k7); len(res.Scores) != want {
		t.Errorf("%d unit scores, want %d", len(res.Scores), want)
	}
	for _, u := range res.Scores {
		// ReLU units are unsigned: one part. Logits and PCs are signed: a
		// "+" and a "-" part, both scored on non-negative signals.
		wantParts := 1
		if u.Kind == "pc" || u.Layer == "/fc2/Gemm_output_0" {
			wantParts = 2
		}
		if len(u.Parts) != wantParts || u.Signed != (wantParts == 2) {
			t.Errorf("%s %s %d in %s: %d parts, signed %v", u.Layer, u.Kind, u.Index, u.Space, len(u.Parts), u.Signed)
			continue
		}
		if wantParts == 2 && (u.Parts[0].Sign != "+" || u.Parts[1].Sign != "-") {
			t.Errorf("signed parts %q %q", u.Parts[0].Sign, u.Parts[1].Sign)
		}
	}
	// A unit's mean equals the mean of its activations column.
	col := column(res.Layers[0].Acts, data.N, 50, 7)
	want := 0.0
	for _, v := range col {
		want += float64(v)
	}
	want /= float64(len(col))
	if got := *res.Scores[7].Parts[0].Scores["mean"]; math.Abs(got-want) > 1e-9 {
		t.Errorf("unit 7 mean %v, want %v", got, want)
	}
	if len(res.Timings) < 5 || !strings.Contains(log.String(), "chosen automatically") {
		t.Errorf("timings %v; log %q", res.Timings, log.String())
	}
}

func TestAccuracyReference(t *testing.T) {
	_, data, dir := referenceSet(t, 1000)
	acts, err := referenceCollect(dir)(context.Background(), nil, data, []string{"log_probs"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// manifest.json: "argmax_accuracy_first_n": 0.986 (ONNX Runtime, first 1,000 test images).
	if a := accuracy(acts["log_probs"], data.Labels); a == nil || math.Abs(*a-0.986) > 1e-12 {
		t.Errorf("accuracy %v, want 0.986", a)
	}
	// Not one score per class: no accuracy.
	if a := accuracy(tensorActs{Shape: []int{3}, Data: make([]float32, 3*1000)}, data.Labels); a != nil {
		t.Errorf("accuracy of a 3-score output for 10 classes: %v, want nil", *a)
	}
}

func TestSplitSigns(t *testing.T) {
	nan := float32(math.NaN())
	pos, neg := splitSigns([]float32{2, -3, 0, nan})
	if pos[0] != 2 || pos[1] != 0 || pos[2] != 0 || neg[0] != 0 || neg[1] != 3 || neg[2] != 0 || pos[3] == pos[3] || neg[3] == neg[3] {
		t.Errorf("pos %v neg %v", pos, neg)
	}
}

// knnAccuracy is the leave-one-out 1-NN label accuracy of the n×2 points.
func knnAccuracy(xy []float64, labels []int) float64 {
	n := len(labels)
	hit := 0
	for i := 0; i < n; i++ {
		best, bd := -1, math.Inf(1)
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			dx, dy := xy[2*i]-xy[2*j], xy[2*i+1]-xy[2*j+1]
			if d := dx*dx + dy*dy; d < bd {
				best, bd = j, d
			}
		}
		if labels[best] == labels[i] {
			hit++
		}
	}
	return float64(hit) / float64(n)
}

func TestRunCollectAndTSNE(t *testing.T) {
	if testing.Short() {
		t.Skip("t-SNE of 500 points in -short mode")
	}
	m, data, _ := referenceSet(t, 500)
	st := pipeline
	st.score = fakeScore
	res, err := run(context.Background(), m, data, Options{Seed: 1, Quiet: true}, st)
	if err != nil {
		t.Fatal(err)
	}
	// ONNX Runtime's accuracy on these 500 images, from 11_log_probs.npy
	// through the same argmax (checked against the manifest's 0.986 on
	// 1,000 in TestAccuracyReference).
	_, _, dir := referenceSet(t, 500)
	ref, err := referenceCollect(dir)(context.Background(), nil, data, []string{"log_probs"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := accuracy(ref["log_probs"], data.Labels); res.Accuracy == nil || *res.Accuracy != *want {
		t.Errorf("accuracy %v, want ONNX Runtime's %v", res.Accuracy, *want)
	}
	// The network space (t-SNE of the logits) separates the digits: 1-NN
	// accuracy close to the model's. The image space less so; for the full
	// test set the t-SNE anchors of issue 5 give 0.95 (pixels).
	img, net := knnAccuracy(res.Spaces[0].XY, data.Labels), knnAccuracy(res.Spaces[1].XY, data.Labels)
	t.Logf("1-NN accuracy: image space %.3f, network space %.3f", img, net)
	if net < 0.9 || img < 0.7 {
		t.Errorf("1-NN accuracy image %.3f (want ≥ 0.7), network %.3f (want ≥ 0.9)", img, net)
	}
}

// gridIfSmallX labels a signal grid when the embedding's first x is below
// 50: with fakeTSNE that holds for the main seeds (x shifted by 5 or 6)
// and not for the robustness seeds (shifted by ≥ 105).
func gridIfSmallX(ctx context.Context, xy []float64, f [4]float64, signals [][]float32, l []int, nc int, o Options, seed int64) ([]PartScores, map[string]any, error) {
	parts, params, err := fakeScore(ctx, xy, f, signals, l, nc, o, seed)
	for i := range parts {
		if xy[0] < 50 {
			parts[i].Labels = []string{"grid", "place"}
		}
	}
	return parts, params, err
}

func TestRobustness(t *testing.T) {
	m, data, dir := referenceSet(t, 100)
	st := stages{collect: referenceCollect(dir), tsne: fakeTSNE, score: gridIfSmallX}
	res, err := run(context.Background(), m, data, Options{Seed: 5, RobustSeeds: 2, Quiet: true}, st)
	if err != nil {
		t.Fatal(err)
	}
	// Seeds of the extra embeddings: the space's seed + 100·r.
	if res.Seeds["tsne_network_robust1"] != 106 || res.Seeds["tsne_image_robust2"] != 205 {
		t.Errorf("robustness seeds %v", res.Seeds)
	}
	// Every part was grid+place in the main run only: 1 of 3 embeddings,
	// less than the majority of 2, so grid is dropped and place stays.
	for _, u := range res.Scores {
		for _, p := range u.Parts {
			if slices.Contains(p.Labels, "grid") || !slices.Contains(p.Labels, "place") {
				t.Fatalf("%s %s %d: labels %v, want place without grid", u.Layer, u.Kind, u.Index, p.Labels)
			}
			if r, g := p.Scores["robust_runs"], p.Scores["robust_grid_runs"]; r == nil || *r != 3 || g == nil || *g != 1 {
				t.Fatalf("robust counts %v %v, want 3 runs, 1 grid", r, g)
			}
			if last := p.Reasons[len(p.Reasons)-1]; !strings.Contains(last, "in 1 of 3 embeddings >= 2 (fail)") {
				t.Fatalf("reason %q", last)
			}
		}
	}
}
