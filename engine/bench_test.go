package engine

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkPaperCNN times 10,000 MNIST-shaped images (the 1,000 reference
// test images ×10) through mnist_cnn_op13_dyn.onnx in batches of 256,
// requesting layer 6 (/Relu_2_output_0), layer 7 (/fc2/Gemm_output_0) and
// the graph output. One iteration = 10,000 images. ENGINE_BENCH_BATCH
// overrides the batch size.
func BenchmarkPaperCNN(b *testing.B) {
	_, p, input := loadMNISTReference(b)
	want := []string{"/Relu_2_output_0", "/fc2/Gemm_output_0", "log_probs"}
	const total = 10000
	batch := 256
	if s := os.Getenv("ENGINE_BENCH_BATCH"); s != "" {
		batch, _ = strconv.Atoi(s)
	}
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

// BenchmarkConv3x3 times one VGG-style convolution, 64→64 channels, 3×3,
// pad 1, on a 56×56 image (231 MFLOP per image), at batch 1 and 8.
func BenchmarkConv3x3(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			w := NewFloat([]int{64, 64, 3, 3}, make([]float32, 64*64*9))
			for i := range w.F {
				w.F[i] = float32(i%7) - 3
			}
			plan, err := newConvPlan(w, nil, 1, spatialAttrs{pads: []int64{1, 1, 1, 1}})
			if err != nil {
				b.Fatal(err)
			}
			x := NewFloat([]int{n, 64, 56, 56}, make([]float32, n*64*56*56))
			var ar arena
			ws := []*workspace{{}, {}, {}, {}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				y, err := plan.run(x, &ar, ws[:min(len(ws), runtime.GOMAXPROCS(0))], false)
				if err != nil {
					b.Fatal(err)
				}
				ar.release(y)
			}
			b.ReportMetric(2*64*64*9*56*56*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
		})
	}
}
