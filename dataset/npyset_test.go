package dataset

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
)

func TestFromNpyFloatAsStored(t *testing.T) {
	in := testenv.Shared(t, "reference", "mnist-cnn", "input.npy")
	lab := testenv.Shared(t, "reference", "mnist-cnn", "labels.npy")
	s, err := FromNpy(in, nil, lab)
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 1000 || !reflect.DeepEqual(s.Shape, []int{1, 28, 28}) || s.Norm != nil || s.Scaled {
		t.Fatalf("N=%d shape %v norm %v scaled %v", s.N, s.Shape, s.Norm, s.Scaled)
	}
	if s.Labels[0] != 7 || len(s.Classes) != 10 {
		t.Errorf("labels %v classes %v", s.Labels[:3], s.Classes)
	}
	// Float data are fed as stored: identical to the MNIST loader.
	t.Setenv(EnvData, "")
	m, err := MNIST("test", "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.X, m.X[:len(s.X)]) {
		t.Error("input.npy fed as stored differs from the MNIST loader")
	}
}

func TestFromNpyUint8AndNorm(t *testing.T) {
	dir := t.TempDir()
	// uint8 N×H×W pixels: scaled and normalised with the MNIST default.
	p := filepath.Join(dir, "px.npy")
	if err := WriteNpy(p, false, []int{2, 1, 3}, []uint8{0, 255, 51, 1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	s, err := FromNpy(p, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Shape, []int{1, 1, 3}) || !s.Scaled || s.Norm == nil {
		t.Fatalf("shape %v scaled %v norm %v", s.Shape, s.Scaled, s.Norm)
	}
	if w := (0.2 - 0.1307) / 0.3081; math.Abs(float64(s.X[2])-w) > 1e-6 {
		t.Errorf("pixel 51 → %v, want %v", s.X[2], w)
	}
	// float N×C×H×W with an explicit per-channel normalisation.
	p = filepath.Join(dir, "f.npy")
	if err := WriteNpy(p, false, []int{1, 2, 1, 2}, []float32{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	s, err = FromNpy(p, &Normalization{Mean: []float64{1, 2}, Std: []float64{2, 4}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.X, []float32{0, 0.5, 0.25, 0.5}) {
		t.Errorf("per-channel norm: %v", s.X)
	}
	// N×D vectors keep their shape.
	p = filepath.Join(dir, "v.npy")
	if err := WriteNpy(p, false, []int{3, 2}, []float64{1, 2, 3, 4, 5, 6}); err != nil {
		t.Fatal(err)
	}
	s, err = FromNpy(p, nil, "")
	if err != nil || !reflect.DeepEqual(s.Shape, []int{2}) || s.C != 0 || s.X[5] != 6 {
		t.Errorf("N×D: %v %+v", err, s)
	}
	// Errors: labels of the wrong length, 1-D data, int data, NaN, bad labels.
	l := filepath.Join(dir, "l.npy")
	WriteNpy(l, false, []int{2}, []int64{0, 1})
	if _, err := FromNpy(p, nil, l); err == nil {
		t.Error("2 labels for 3 samples: no error")
	}
	one := filepath.Join(dir, "one.npy")
	WriteNpy(one, false, []int{3}, []float32{1, 2, 3})
	if _, err := FromNpy(one, nil, ""); err == nil {
		t.Error("1-D data: no error")
	}
	ints := filepath.Join(dir, "ints.npy")
	WriteNpy(ints, false, []int{1, 1}, []int64{3})
	if _, err := FromNpy(ints, nil, ""); err == nil {
		t.Error("int64 data: no error")
	}
	nan := filepath.Join(dir, "nan.npy")
	WriteNpy(nan, false, []int{1, 2}, []float32{1, float32(math.NaN())})
	if _, err := FromNpy(nan, nil, ""); err == nil {
		t.Error("NaN data: no error")
	}
	neg := filepath.Join(dir, "neg.npy")
	WriteNpy(neg, false, []int{3}, []int64{0, -1, 2})
	if _, err := FromNpy(p, nil, neg); err == nil {
		t.Error("negative label: no error")
	}
	if _, err := FromNpy(p, &Normalization{Mean: []float64{0, 0}, Std: []float64{1, 1}}, ""); err == nil {
		t.Error("2 means for vector data: no error")
	}
}

func TestParseNormalization(t *testing.T) {
	for in, want := range map[string]string{
		"0.1307/0.3081":                       "0.1307/0.3081",
		"mnist":                               "0.1307/0.3081",
		"none":                                "none",
		"0.485,0.456,0.406/0.229,0.224,0.225": "0.485,0.456,0.406/0.229,0.224,0.225",
		" 0.5 , 0.5 / 0.25 , 0.25 ":           "0.5,0.5/0.25,0.25",
	} {
		n, err := ParseNormalization(in)
		if err != nil || n.String() != want {
			t.Errorf("%q: %v %v, want %s", in, n, err, want)
		}
	}
	for _, bad := range []string{"", "0.1", "a/b", "0.1/0", "0.1,0.2/0.3", "0.1/-1", "NaN/1", "1/Inf"} {
		if _, err := ParseNormalization(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
