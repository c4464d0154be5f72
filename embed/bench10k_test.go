package embed_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/embed"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe"
)

// BenchmarkTSNEMNIST10k times one default t-SNE (exact neighbours pruned by
// PCA, FFT repulsion, exact final KL) of the 10,000 MNIST test images as
// 784-d pixels in [0, 1], the README's quality figure.
func BenchmarkTSNEMNIST10k(b *testing.B) {
	set, err := dataset.MNISTNormalized("test", "", &dataset.Normalization{})
	if err != nil {
		b.Fatal(err)
	}
	n := set.N
	d := len(set.X) / n
	benchTSNE(b, set.X, n, d, []embed.Run{{}}, embed.TSNEOptions{})
}

// BenchmarkTSNEFC2_10k times the demo's network-space t-SNE: the 10-d fc2
// activations of the bundled CNN (../testdata/mnist_cnn_go.onnx) on the
// 10,000 MNIST test images, three runs sharing neighbours (perplexities 30,
// 30, 50, random initialisation) as probe's default --robust 2 does.
func BenchmarkTSNEFC2_10k(b *testing.B) {
	x, n, d := fc2Activations(b)
	runs := []embed.Run{{Perplexity: 30, Seed: 2}, {Perplexity: 30, Seed: 102}, {Perplexity: 50, Seed: 202}}
	benchTSNE(b, x, n, d, runs, embed.TSNEOptions{Init: "random"})
}

// BenchmarkTSNEFC2Demo times the one network-space t-SNE of `demo --robust
// 0` (the "t-SNE of fc2" step of its timings): the fc2 activations as in
// BenchmarkTSNEFC2_10k, perplexity 30, seed 2 (demo's seed 1 plus the
// network-space offset), random initialisation.
func BenchmarkTSNEFC2Demo(b *testing.B) {
	x, n, d := fc2Activations(b)
	benchTSNE(b, x, n, d, []embed.Run{{Perplexity: 30, Seed: 2}}, embed.TSNEOptions{Init: "random"})
}

// fc2Activations returns the bundled CNN's fc2 activations on the 10,000
// MNIST test images (n×d row-major).
func fc2Activations(b *testing.B) ([]float32, int, int) {
	b.Helper()
	m, err := onnxio.Load(filepath.Join("..", "testdata", "mnist_cnn_go.onnx"))
	if err != nil {
		b.Fatal(err)
	}
	set, err := dataset.MNISTNormalized("test", "", nil)
	if err != nil {
		b.Fatal(err)
	}
	acts, err := probe.Collect(context.Background(), m, set, probe.CollectOptions{Hooks: []string{"fc2"}, SkipOutput: true})
	if err != nil {
		b.Fatal(err)
	}
	a := acts.Tensor("fc2")
	return a.Data, set.N, a.Units
}

func benchTSNE(b *testing.B, x []float32, n, d int, runs []embed.Run, o embed.TSNEOptions) {
	b.Helper()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rs, err := embed.TSNEMany(context.Background(), x, n, d, o, runs)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(rs[0].KL, "KL")
		b.ReportMetric(float64(rs[0].Iterations), "iters")
	}
}
