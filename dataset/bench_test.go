package dataset

import (
	"path/filepath"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
)

// BenchmarkReadNpy reads the 3.1 MB float32 reference input (784,000 values).
func BenchmarkReadNpy(b *testing.B) {
	p := testenv.Shared(b, "reference", "mnist-cnn", "input.npy")
	for b.Loop() {
		if _, err := ReadNpy(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteNpy writes 784,000 float32 values.
func BenchmarkWriteNpy(b *testing.B) {
	x := make([]float32, 1000*784)
	p := filepath.Join(b.TempDir(), "x.npy")
	for b.Loop() {
		if err := WriteNpy(p, true, []int{1000, 1, 28, 28}, x); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMNISTTest decodes and normalises the embedded test set.
func BenchmarkMNISTTest(b *testing.B) {
	b.Setenv(EnvData, "")
	for b.Loop() {
		if _, err := MNIST("test", ""); err != nil {
			b.Fatal(err)
		}
	}
}
