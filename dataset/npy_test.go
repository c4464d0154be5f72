package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/testenv"
)

// rawNpy builds a .npy file by hand: header dict d (padded as numpy does)
// followed by data.
func rawNpy(d string, data []byte) []byte {
	var b bytes.Buffer
	b.Write(npyMagic)
	b.Write([]byte{1, 0})
	hl := len(d) + 1
	pad := (64 - (10+hl)%64) % 64
	binary.Write(&b, binary.LittleEndian, uint16(hl+pad))
	b.WriteString(d)
	b.WriteString(strings.Repeat(" ", pad))
	b.WriteByte('\n')
	b.Write(data)
	return b.Bytes()
}

func le(v ...any) []byte {
	var b bytes.Buffer
	for _, x := range v {
		binary.Write(&b, binary.LittleEndian, x)
	}
	return b.Bytes()
}

func TestNpyRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		shape []int
		data  any
	}{
		{[]int{2, 3, 2}, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, float32(math.Inf(-1))}},
		{[]int{3}, []float64{1.5, -2.25, math.MaxFloat64}},
		{[]int{2, 2}, []uint8{0, 1, 254, 255}},
		{[]int{4, 1}, []int64{-1, 0, 1 << 40, math.MinInt64}},
		{[]int{}, []float32{42}},
		{[]int{0, 5}, []float32{}},
	}
	for i, c := range cases {
		p := filepath.Join(dir, "a.npy")
		if err := WriteNpy(p, true, c.shape, c.data); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// numpy aligns the data to 64 bytes; so do we.
		hl := int(binary.LittleEndian.Uint16(raw[8:10]))
		if (10+hl)%64 != 0 {
			t.Errorf("case %d: data offset %d is not 64-aligned", i, 10+hl)
		}
		a, err := ReadNpy(p)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !reflect.DeepEqual(a.Shape, c.shape) {
			t.Errorf("case %d: shape %v, want %v", i, a.Shape, c.shape)
		}
		var got any
		switch c.data.(type) {
		case []float32:
			got = a.F32
		case []float64:
			got = a.F64
		case []uint8:
			got = a.U8
		case []int64:
			got = a.I64
		}
		if !reflect.DeepEqual(got, c.data) {
			t.Errorf("case %d: data %v, want %v", i, got, c.data)
		}
	}
}

func TestWriteNpyRefusesOverwriteAndBadShape(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.npy")
	if err := WriteNpy(p, false, []int{1}, []float32{1}); err != nil {
		t.Fatal(err)
	}
	if err := WriteNpy(p, false, []int{1}, []float32{2}); !errors.Is(err, fsutil.ErrExists) {
		t.Errorf("second write without force: err = %v, want ErrExists", err)
	}
	if err := WriteNpy(p, true, []int{2, 2}, []float32{1, 2, 3}); err == nil {
		t.Error("3 elements with shape [2 2]: no error")
	}
	if err := WriteNpy(p, true, []int{3}, []int{1, 2, 3}); err == nil {
		t.Error("[]int data: no error")
	}
}

// The header text and byte layout numpy 1.x writes for
// np.save(f, np.arange(6, dtype='<i4').reshape(2, 3, order='F'), ...), by hand:
// Fortran order stores column by column.
func TestNpyFortranAndWidening(t *testing.T) {
	// C-order values 0..5 of shape (2,3) stored column-major: 0 3 1 4 2 5.
	b := rawNpy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", le(int32(0), int32(3), int32(1), int32(4), int32(2), int32(5)))
	a, err := DecodeNpy(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "int64" || !reflect.DeepEqual(a.I64, []int64{0, 1, 2, 3, 4, 5}) {
		t.Errorf("got %s %v, want int64 [0 1 2 3 4 5]", a.DType, a.I64)
	}
	// 3-D Fortran: shape (2,2,2), element (i,j,k) = 4i+2j+k stored with i fastest.
	var fdata []float32
	for k := range 2 {
		for j := range 2 {
			for i := range 2 {
				fdata = append(fdata, float32(4*i+2*j+k))
			}
		}
	}
	a, err = DecodeNpy(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2, 2), }", le(fdata)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.F32, []float32{0, 1, 2, 3, 4, 5, 6, 7}) {
		t.Errorf("3-D fortran: %v", a.F32)
	}
	// Big-endian float64.
	var be bytes.Buffer
	binary.Write(&be, binary.BigEndian, []float64{1.5, -3})
	a, err = DecodeNpy(rawNpy("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", be.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "float64" || !reflect.DeepEqual(a.F64, []float64{1.5, -3}) {
		t.Errorf("big-endian: %s %v", a.DType, a.F64)
	}
	// bool → uint8, int16 → int64, uint64 → int64.
	a, err = DecodeNpy(rawNpy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", []byte{1, 0, 1}))
	if err != nil || a.DType != "uint8" || !reflect.DeepEqual(a.U8, []uint8{1, 0, 1}) {
		t.Errorf("bool: %v %+v", err, a)
	}
	a, err = DecodeNpy(rawNpy("{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", le(int16(-7), int16(300))))
	if err != nil || !reflect.DeepEqual(a.I64, []int64{-7, 300}) {
		t.Errorf("int16: %v %+v", err, a)
	}
	_, err = DecodeNpy(rawNpy("{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", le(uint64(math.MaxUint64))))
	if err == nil {
		t.Error("uint64 max: no error")
	}
	// A scalar: shape ().
	a, err = DecodeNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", le(float32(2.5))))
	if err != nil || len(a.Shape) != 0 || !reflect.DeepEqual(a.F32, []float32{2.5}) {
		t.Errorf("scalar: %v %+v", err, a)
	}
}

func TestNpyBadInput(t *testing.T) {
	good := rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", le([]float32{1, 2, 3, 4}))
	cases := map[string][]byte{
		"empty":         nil,
		"wrong magic":   append([]byte("\x93NUMPZ"), good[6:]...),
		"version 9":     append(append([]byte{}, good[:6]...), append([]byte{9, 0}, good[8:]...)...),
		"short data":    good[:len(good)-1],
		"trailing data": append(append([]byte{}, good...), 0),
		"header cut":    good[:30],
		"object dtype":  rawNpy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", make([]byte, 8)),
		"structured":    rawNpy("{'descr': [('a', '<f4'), ('b', '<i8')], 'fortran_order': False, 'shape': (1,), }", make([]byte, 12)),
		"complex":       rawNpy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", make([]byte, 8)),
		"float16":       rawNpy("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", make([]byte, 2)),
		"string":        rawNpy("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", make([]byte, 12)),
		"negative dim":  rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", nil),
		"huge shape":    rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", nil),
		"2^40 elements": rawNpy("{'descr': '|u1', 'fortran_order': False, 'shape': (1099511627776,), }", []byte{1, 2, 3}),
		"missing shape": rawNpy("{'descr': '<f4', 'fortran_order': False, }", nil),
		"extra key":     rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': True, }", le(float32(1))),
		"bad order":     rawNpy("{'descr': '<f4', 'fortran_order': 1, 'shape': (1,), }", le(float32(1))),
		"no newline":    append(append([]byte{}, good[:10]...), []byte("{'descr'")...),
		"pipe f4":       rawNpy("{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", le(float32(1))),
	}
	for name, b := range cases {
		_, err := DecodeNpy(b)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v does not wrap ErrFormat", name, err)
		}
	}
	// ReadNpy names the file.
	p := filepath.Join(t.TempDir(), "short.npy")
	if err := os.WriteFile(p, good[:len(good)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadNpy(p)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "short") {
		t.Errorf("ReadNpy short file: %v", err)
	}
}

func TestArrayConversions(t *testing.T) {
	a := &Array{Shape: []int{3}, DType: "float64", F64: []float64{1, 2, 7}}
	ints, err := a.Ints()
	if err != nil || !reflect.DeepEqual(ints, []int{1, 2, 7}) {
		t.Errorf("Ints of whole floats: %v %v", ints, err)
	}
	a.F64[1] = 2.5
	if _, err := a.Ints(); err == nil {
		t.Error("Ints of 2.5: no error")
	}
	u := &Array{Shape: []int{2}, DType: "uint8", U8: []uint8{3, 255}}
	if got := u.Float32(); !reflect.DeepEqual(got, []float32{3, 255}) {
		t.Errorf("Float32 of uint8: %v", got)
	}
	if got := u.Float64(); !reflect.DeepEqual(got, []float64{3, 255}) {
		t.Errorf("Float64 of uint8: %v", got)
	}
}

// The reference input.npy written by numpy: float32 [1000,1,28,28] and
// labels int64 [1000] (see ../shared/reference/mnist-cnn/README.md).
func TestNpyReference(t *testing.T) {
	p := testenv.Shared(t, "reference", "mnist-cnn", "input.npy")
	a, err := ReadNpy(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.DType != "float32" || !reflect.DeepEqual(a.Shape, []int{1000, 1, 28, 28}) || len(a.F32) != 784000 {
		t.Fatalf("input.npy: %s %v len %d", a.DType, a.Shape, len(a.F32))
	}
	// Background pixels are (0 - 0.1307)/0.3081 = -0.42421296...
	if d := math.Abs(float64(a.F32[0]) - (0-0.1307)/0.3081); d > 1e-6 {
		t.Errorf("input[0] = %v, want %v", a.F32[0], (0-0.1307)/0.3081)
	}
	l, err := ReadNpy(testenv.Shared(t, "reference", "mnist-cnn", "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	ints, err := l.Ints()
	if err != nil || len(ints) != 1000 || ints[0] != 7 || ints[1] != 2 || ints[2] != 1 {
		t.Errorf("labels.npy: %v, first %v", err, ints[:3])
	}
	// Our writer reproduces numpy's bytes exactly for this array.
	out := filepath.Join(t.TempDir(), "copy.npy")
	if err := WriteNpy(out, false, a.Shape, a.F32); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(p)
	got, _ := os.ReadFile(out)
	if !bytes.Equal(want, got) {
		t.Errorf("rewritten input.npy differs from numpy's file (%d vs %d bytes)", len(got), len(want))
	}
}

// Files written by numpy 1.24 (testdata/numpy/gen.py): every supported one
// reads as arange(24) in C order with shape [2 3 4]; the others are refused
// with an error, never a panic.
func TestNpyNumpyFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "numpy", "*.npy"))
	if err != nil || len(files) < 15 {
		t.Fatalf("numpy test files: %v %d", err, len(files))
	}
	for _, p := range files {
		name := filepath.Base(p)
		a, err := ReadNpy(p)
		if strings.Contains(name, "unsupported") {
			if err == nil || !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: err = %v, want a format error naming the file", name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		switch name {
		case "f4_scalar.npy":
			if len(a.Shape) != 0 || !reflect.DeepEqual(a.F32, []float32{23}) {
				t.Errorf("%s: %v %v", name, a.Shape, a.F32)
			}
			continue
		case "f4_empty_0x3.npy":
			if !reflect.DeepEqual(a.Shape, []int{0, 3}) || a.Len() != 0 {
				t.Errorf("%s: %v", name, a.Shape)
			}
			continue
		}
		if !reflect.DeepEqual(a.Shape, []int{2, 3, 4}) {
			t.Errorf("%s: shape %v", name, a.Shape)
		}
		f := a.Float64()
		for i, v := range f {
			want := float64(i)
			if strings.HasPrefix(name, "bool") {
				want = float64(i % 2)
			}
			if v != want {
				t.Errorf("%s: element %d = %v, want %v", name, i, v, want)
				break
			}
		}
	}
}

// Our writer's output parses with npyio's own reader straight from the file
// (its header parser and decoder), not only with ReadNpy.
func TestWriteNpyReadableByNpyio(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.npy")
	want := []float64{1, -2.5, 3, 1e300, 5, 6}
	if err := WriteNpy(p, false, []int{1, 2, 3}, want); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := npy.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Header.Descr.Shape, []int{1, 2, 3}) || r.Header.Descr.Type != "'<f8'" || r.Header.Descr.Fortran {
		t.Errorf("npyio sees header %+v", r.Header.Descr)
	}
	var got []float64
	if err := r.Read(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("npyio read %v, want %v", got, want)
	}
}
