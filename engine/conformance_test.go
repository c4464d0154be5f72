package engine

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// conformanceSkips lists backend tests that are not run, each with a reason.
var conformanceSkips = map[string]string{}

// ONNX backend test tolerances (onnx/backend/test/runner: rtol 1e-3, atol 1e-7).
const (
	backendRTol = 1e-3
	backendATol = 1e-7
)

// runBackendCase runs one ONNX backend test folder and compares every
// output of every test_data_set_* with the stored reference.
func runBackendCase(dir string) error {
	m, err := onnxio.Load(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	p, err := Prepare(m, Options{})
	if err != nil {
		return err
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return fmt.Errorf("no test data sets")
	}
	for _, set := range sets {
		inputs := map[string]*Tensor{}
		for i, name := range p.InputNames() {
			ot, err := onnxio.ReadTensorFile(filepath.Join(set, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				return err
			}
			t, err := FromONNX(ot)
			if err != nil {
				return err
			}
			inputs[name] = t
		}
		outs, err := p.Run(context.Background(), inputs, nil)
		if err != nil {
			return err
		}
		for i, name := range p.OutputNames() {
			ot, err := onnxio.ReadTensorFile(filepath.Join(set, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				return err
			}
			want, err := FromONNX(ot)
			if err != nil {
				return err
			}
			if err := closeEnough(outs[name], want, backendRTol, backendATol); err != nil {
				return fmt.Errorf("%s: output %q: %v", filepath.Base(set), name, err)
			}
		}
	}
	return nil
}

// closeEnough reports the first element where |got − want| > atol + rtol·|want|
// (numpy.testing.assert_allclose), or a shape mismatch.
func closeEnough(got, want *Tensor, rtol, atol float64) error {
	if got == nil {
		return fmt.Errorf("missing")
	}
	if !slices.Equal(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	g, w := got.Float64s(), want.Float64s()
	worst, at := 0.0, -1
	for i := range g {
		d := math.Abs(g[i] - w[i])
		if math.IsNaN(g[i]) != math.IsNaN(w[i]) || d > atol+rtol*math.Abs(w[i]) {
			return fmt.Errorf("element %d: got %g, want %g", i, g[i], w[i])
		}
		if d > worst {
			worst, at = d, i
		}
	}
	_ = at
	return nil
}

func TestBackendConformance(t *testing.T) {
	root := testenv.Shared(t, "reference", "onnx-backend")
	var passed, skipped, failed int
	for _, suite := range []string{"pytorch-converted", "pytorch-operator"} {
		dirs, err := os.ReadDir(filepath.Join(root, suite))
		if err != nil {
			t.Fatal(err)
		}
		names := []string{}
		for _, d := range dirs {
			if d.IsDir() {
				names = append(names, d.Name())
			}
		}
		sort.Strings(names)
		for _, name := range names {
			if reason, ok := conformanceSkips[name]; ok {
				t.Logf("skip %s/%s: %s", suite, name, reason)
				skipped++
				continue
			}
			if err := runBackendCase(filepath.Join(root, suite, name)); err != nil {
				t.Errorf("%s/%s: %v", suite, name, err)
				failed++
				continue
			}
			passed++
		}
	}
	t.Logf("ONNX backend conformance: %d passed, %d skipped, %d failed", passed, skipped, failed)
}

// TestBackendModelsRejectBadShapes feeds every backend model inputs with one
// dimension changed (and a missing dimension): each run must return an error
// or a result, and no kernel may panic (Run would report that as an
// "internal error").
func TestBackendModelsRejectBadShapes(t *testing.T) {
	root := testenv.Shared(t, "reference", "onnx-backend")
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "test_*"))
	rejected := 0
	defer func() { t.Logf("%d bad-shape runs of %d models rejected with an error", rejected, len(dirs)) }()
	for _, dir := range dirs {
		path := filepath.Join(dir, "model.onnx")
		m, err := onnxio.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		// Drop the declared shapes so that the kernels see the bad input.
		fed := map[string]bool{}
		for _, vi := range m.Inputs {
			fed[vi.Name()] = true
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		data, err = onnxbuild.EditInputs(data, func(v *onnxbuild.Value) { v.NoShape = v.NoShape || fed[v.Name] })
		if err != nil {
			t.Fatal(err)
		}
		if m, err = onnxio.DecodeIn(data, dir); err != nil {
			t.Fatal(err)
		}
		p, err := Prepare(m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for variant := 0; variant < 3; variant++ {
			inputs := map[string]*Tensor{}
			for i, name := range p.InputNames() {
				ot, err := onnxio.ReadTensorFile(filepath.Join(dir, "test_data_set_0", fmt.Sprintf("input_%d.pb", i)))
				if err != nil {
					t.Fatal(err)
				}
				x, err := FromONNX(ot)
				if err != nil {
					t.Fatal(err)
				}
				shape := append([]int(nil), x.Shape...)
				switch {
				case variant == 0 && len(shape) > 0:
					shape[len(shape)-1]++
				case variant == 1 && len(shape) > 1:
					shape = shape[1:]
				case variant == 2 && len(shape) > 1:
					shape[1] += 2
				}
				n := numel(shape)
				if x.DType == Int64 {
					x = NewInt(shape, make([]int64, n))
				} else {
					x = NewFloat(shape, make([]float32, n))
				}
				inputs[name] = x
			}
			_, err := p.Run(context.Background(), inputs, nil)
			if err != nil {
				rejected++
			}
			if err != nil && strings.Contains(err.Error(), "internal error") {
				t.Errorf("%s variant %d: a kernel panicked: %v", filepath.Base(dir), variant, err)
			}
		}
	}
}
