package onnxio

import (
	"path/filepath"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
)

// backendFiles lists files matching pattern under every test folder of the
// ONNX backend reference data (pytorch-converted and pytorch-operator).
func backendFiles(t *testing.T, pattern string) []string {
	t.Helper()
	root := testenv.Shared(t, "reference", "onnx-backend")
	var all []string
	for _, set := range []string{"pytorch-converted", "pytorch-operator"} {
		m, err := filepath.Glob(filepath.Join(root, set, "*", pattern))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, m...)
	}
	if len(all) == 0 {
		t.Fatalf("no %s under %s", pattern, root)
	}
	return all
}

func TestReadBackendTensors(t *testing.T) {
	files := backendFiles(t, filepath.Join("test_data_set_*", "*.pb"))
	for _, f := range files {
		tn, err := ReadTensorFile(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if tn.dataLen() != tn.Len() {
			t.Errorf("%s: %d values for dims %v", f, tn.dataLen(), tn.Dims)
		}
	}
	t.Logf("decoded %d test-data tensors", len(files))
}
