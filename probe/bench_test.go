package probe

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
)

// BenchmarkCollectMNIST times Collect on the 10,000 MNIST test images
// through the paper's CNN (shared/reference/mnist-cnn) with hooks on layer 6
// (/Relu_2_output_0) and layer 7 (/fc2/Gemm_output_0), batch 256, as
// bench/ort/bench.js does with ONNX Runtime. One op is the whole test set.
//
//	go test -c -o /tmp/probe.test ./probe
//	/usr/bin/time -v /tmp/probe.test -test.run '^$' -test.bench CollectMNIST -test.benchtime 3x -test.count 7
func BenchmarkCollectMNIST(b *testing.B) {
	m, err := onnxio.Load(filepath.Join(testenv.Shared(b, "reference", "mnist-cnn"), "mnist_cnn_op13_dyn.onnx"))
	if err != nil {
		b.Fatal(err)
	}
	data, err := dataset.MNIST("test", "")
	if err != nil {
		b.Fatal(err)
	}
	opts := CollectOptions{Hooks: []string{"/Relu_2_output_0", "/fc2/Gemm_output_0"}}
	var acc float64
	cpu0 := cpuSeconds()
	for b.Loop() {
		acts, err := Collect(context.Background(), m, data, opts)
		if err != nil {
			b.Fatal(err)
		}
		acc = acts.Accuracy
	}
	b.ReportMetric(float64(data.N)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(acc, "accuracy")
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
}
