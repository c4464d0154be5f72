package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
)

func TestOpen(t *testing.T) {
	t.Setenv(EnvData, "")
	s, err := Open("mnist-test", Options{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 100 || s.Labels[0] != 7 || !strings.HasPrefix(s.Name, "mnist-test") || s.Norm == nil {
		t.Errorf("mnist-test limit 100: N=%d name %q", s.N, s.Name)
	}
	// Scale only.
	s, err = Open("mnist", Options{Norm: &Normalization{}, Limit: 1})
	if err != nil || s.Norm != nil || s.X[0] != 0 {
		t.Errorf("mnist, no norm: %v %v", err, s)
	}
	in := testenv.Shared(t, "reference", "mnist-cnn", "input.npy")
	s, err = Open(in, Options{Labels: testenv.Shared(t, "reference", "mnist-cnn", "labels.npy"), Limit: 10})
	if err != nil || s.N != 10 || len(s.Labels) != 10 || s.Norm != nil {
		t.Errorf("X.npy: %v %+v", err, s)
	}
	for _, bad := range []string{"", "mnist-validation", filepath.Join(t.TempDir(), "missing.npy")} {
		if _, err := Open(bad, Options{}); err == nil {
			t.Errorf("Open(%q): no error", bad)
		}
	}
	// A folder of IDX files is not an image folder; the error says what to do.
	dir := t.TempDir()
	b, _ := mnistFS.ReadFile("mnistdata/t10k-images-idx3-ubyte.gz")
	os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), b, 0o644)
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "mnist-test") {
		t.Errorf("IDX folder: %v", err)
	}
}

func TestGather(t *testing.T) {
	s := &Set{N: 3, Shape: []int{2}, X: []float32{0, 1, 10, 11, 20, 21}}
	got := s.Gather(nil, []int{2, 0, 2})
	if want := []float32{20, 21, 0, 1, 20, 21}; !reflect.DeepEqual(got, want) {
		t.Errorf("Gather = %v, want %v", got, want)
	}
}

func TestDescribe(t *testing.T) {
	t.Setenv(EnvData, "")
	s, err := Open("mnist-test", Options{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Describe(), "mnist-test[:3]: 3 × [1 28 28] float32, 10 classes labelled, pixels/255, normalised 0.1307/0.3081"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	if got := s.InputShape(8); !reflect.DeepEqual(got, []int{8, 1, 28, 28}) {
		t.Errorf("InputShape(8) = %v", got)
	}
}
