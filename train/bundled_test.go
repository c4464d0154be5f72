package train

import (
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
)

// bundledPath is the Go-trained model shipped with the module.
func bundledPath(t *testing.T) string {
	return filepath.Join(testenv.ModuleRoot(t), "testdata", "mnist_cnn_go.onnx")
}

// The bundled model is the seed-1, 10-epoch run of the paper's recipe; its
// recorded test accuracy is what the gorgonia inference graph measures on
// the 10,000 MNIST test images with the weights read back from the file.
func TestBundledModel(t *testing.T) {
	m, err := onnxio.Load(bundledPath(t))
	if err != nil {
		t.Fatal(err)
	}
	meta := map[string]string{}
	for _, kv := range m.Metadata {
		meta[kv.Key] = kv.Value
	}
	if meta["epochs"] != "10" || meta["seed"] != "1" || meta["batch_size"] != "128" || meta["learning_rate"] != "0.001" {
		t.Errorf("bundled model metadata %v, want the paper's recipe with seed 1", meta)
	}
	p, err := Import(m)
	if err != nil {
		t.Fatal(err)
	}
	te := loadMNIST(t, "test", 0)
	_, acc, err := Evaluate(p, te)
	if err != nil {
		t.Fatal(err)
	}
	want, err := strconv.ParseFloat(meta["test_accuracy"], 64)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(acc-want) > 0.5e-4 {
		t.Errorf("test accuracy %.4f, metadata says %.4f", acc, want)
	}
}
