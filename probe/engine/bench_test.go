package engine

import (
	"context"
	"testing"
)

// BenchmarkPaperCNN times 10,000 MNIST-shaped images (the 1,000 reference
// test images ×10) through mnist_cnn_op13_dyn.onnx in batches of 256,
// requesting layer 6 (/Relu_2_output_0), layer 7 (/fc2/Gemm_output_0) and
// the graph output. One iteration = 10,000 images.
func BenchmarkPaperCNN(b *testing.B) {
	_, p, input := loadMNISTReference(b)
	want := []string{"/Relu_2_output_0", "/fc2/Gemm_output_0", "log_probs"}
	const total, batch = 10000, 256
	n := input.Shape[0]
	ctx := context.Background()
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		for done := 0; done < total; {
			lo := done % n
			hi := min(n, lo+batch, lo+total-done)
			if _, err := p.Run(ctx, map[string]*Tensor{"input": rows(input, lo, hi)}, want); err != nil {
				b.Fatal(err)
			}
			done += hi - lo
		}
	}
	b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N), "s/10k-images")
}
