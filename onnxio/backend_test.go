package onnxio

import (
	"math"
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

// Values checked against onnx.numpy_helper.to_array of Debian's
// python3-onnx 1.12 (sum taken in float64 over the float32 values).
func TestReadTensorFileValues(t *testing.T) {
	root := testenv.Shared(t, "reference", "onnx-backend", "pytorch-converted", "test_Conv2d", "test_data_set_0")
	cases := []struct {
		file  string
		dims  []int64
		sum   float64
		first []float32
	}{
		{"input_0.pb", []int64{2, 3, 7, 5}, 13.567937267012894, []float32{-0.982118546962738, 0.5474972724914551, 0.13311725854873657}},
		{"output_0.pb", []int64{2, 4, 5, 4}, -5.3818181194365025, []float32{-0.37131041288375854, -1.209028959274292, -0.5009650588035583}},
	}
	for _, c := range cases {
		tn, err := ReadTensorFile(filepath.Join(root, c.file))
		if err != nil {
			t.Fatal(err)
		}
		if tn.DType != Float || !equalSlices(tn.Dims, c.dims) || !equalSlices(tn.F32[:3], c.first) {
			t.Errorf("%s: %v %v %v", c.file, tn.DType, tn.Dims, tn.F32[:3])
		}
		var s float64
		for _, v := range tn.F32 {
			s += float64(v)
		}
		if math.Abs(s-c.sum) > 1e-9*math.Max(1, math.Abs(c.sum)) {
			t.Errorf("%s: sum %.17g, numpy %.17g", c.file, s, c.sum)
		}
	}
}
