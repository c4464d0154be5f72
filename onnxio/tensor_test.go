package onnxio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// Known binary16 encodings, from the IEEE 754-2008 binary16 format
// (1 sign, 5 exponent bits with bias 15, 10 mantissa bits).
var halfCases = []struct {
	bits uint16
	want float32
}{
	{0x0000, 0},
	{0x3c00, 1},
	{0xc000, -2},
	{0x3555, 0.333251953125},        // 1365/4096
	{0x7bff, 65504},                 // largest finite
	{0x0400, 6.103515625e-05},       // smallest normal, 2^-14
	{0x0001, 5.960464477539063e-08}, // smallest subnormal, 2^-24
	{0x03ff, 6.097555160522461e-05}, // largest subnormal, 1023×2^-24
	{0x7c00, float32(math.Inf(1))},
	{0xfc00, float32(math.Inf(-1))},
}

func TestHalf(t *testing.T) {
	for _, c := range halfCases {
		if got := HalfToFloat32(c.bits); got != c.want {
			t.Errorf("HalfToFloat32(%#04x) = %g, want %g", c.bits, got, c.want)
		}
		if got := Float32ToHalf(c.want); got != c.bits {
			t.Errorf("Float32ToHalf(%g) = %#04x, want %#04x", c.want, got, c.bits)
		}
	}
	if !math.IsNaN(float64(HalfToFloat32(0x7e00))) {
		t.Error("0x7e00 should decode to NaN")
	}
	// Every non-NaN half survives a round trip through float32.
	for h := 0; h < 1<<16; h++ {
		f := HalfToFloat32(uint16(h))
		if math.IsNaN(float64(f)) {
			continue
		}
		if back := Float32ToHalf(f); back != uint16(h) {
			t.Fatalf("half %#04x -> %g -> %#04x", h, f, back)
		}
	}
	// Ties round to even: 1 + 2^-11 lies halfway between 1 (0x3c00) and
	// 1+2^-10 (0x3c01); 1 + 3×2^-11 between 0x3c01 and 0x3c02.
	if got := Float32ToHalf(1 + 1.0/2048); got != 0x3c00 {
		t.Errorf("tie 1+2^-11 -> %#04x, want 0x3c00", got)
	}
	if got := Float32ToHalf(1 + 3.0/2048); got != 0x3c02 {
		t.Errorf("tie 1+3×2^-11 -> %#04x, want 0x3c02", got)
	}
	if got := Float32ToHalf(70000); got != 0x7c00 {
		t.Errorf("70000 -> %#04x, want +Inf 0x7c00", got)
	}
}

func TestDecodeTensorTyped(t *testing.T) {
	le := binary.LittleEndian
	f32raw := make([]byte, 12)
	for i, v := range []float32{1.5, -2, 3.25} {
		le.PutUint32(f32raw[4*i:], math.Float32bits(v))
	}
	cases := []struct {
		name string
		tp   *onnxpb.TensorProto
		f32  []float32
		f64  []float64
		i64  []int64
		u64  []uint64
	}{
		{"float raw", &onnxpb.TensorProto{DataType: 1, Dims: []int64{3}, RawData: f32raw}, []float32{1.5, -2, 3.25}, nil, nil, nil},
		{"float typed", &onnxpb.TensorProto{DataType: 1, Dims: []int64{1, 3}, FloatData: []float32{1.5, -2, 3.25}}, []float32{1.5, -2, 3.25}, nil, nil, nil},
		{"double", &onnxpb.TensorProto{DataType: 11, Dims: []int64{2}, DoubleData: []float64{0.1, -7}}, nil, []float64{0.1, -7}, nil, nil},
		{"int64 scalar", &onnxpb.TensorProto{DataType: 7, Int64Data: []int64{-42}}, nil, nil, []int64{-42}, nil},
		{"int8 in int32_data", &onnxpb.TensorProto{DataType: 3, Dims: []int64{2}, Int32Data: []int32{-128, 127}}, nil, nil, []int64{-128, 127}, nil},
		{"uint8 raw", &onnxpb.TensorProto{DataType: 2, Dims: []int64{3}, RawData: []byte{0, 200, 255}}, nil, nil, []int64{0, 200, 255}, nil},
		{"int8 raw", &onnxpb.TensorProto{DataType: 3, Dims: []int64{2}, RawData: []byte{0xff, 0x80}}, nil, nil, []int64{-1, -128}, nil},
		{"bool typed", &onnxpb.TensorProto{DataType: 9, Dims: []int64{3}, Int32Data: []int32{1, 0, 1}}, nil, nil, []int64{1, 0, 1}, nil},
		{"bool raw", &onnxpb.TensorProto{DataType: 9, Dims: []int64{2}, RawData: []byte{0, 1}}, nil, nil, []int64{0, 1}, nil},
		{"int16 raw", &onnxpb.TensorProto{DataType: 5, Dims: []int64{1}, RawData: []byte{0x00, 0x80}}, nil, nil, []int64{-32768}, nil},
		{"uint16 typed", &onnxpb.TensorProto{DataType: 4, Dims: []int64{1}, Int32Data: []int32{65535}}, nil, nil, []int64{65535}, nil},
		{"int32 raw", &onnxpb.TensorProto{DataType: 6, Dims: []int64{1}, RawData: []byte{0xfe, 0xff, 0xff, 0xff}}, nil, nil, []int64{-2}, nil},
		{"uint32 typed", &onnxpb.TensorProto{DataType: 12, Dims: []int64{1}, Uint64Data: []uint64{4294967295}}, nil, nil, []int64{4294967295}, nil},
		{"uint64 typed", &onnxpb.TensorProto{DataType: 13, Dims: []int64{1}, Uint64Data: []uint64{math.MaxUint64}}, nil, nil, nil, []uint64{math.MaxUint64}},
		{"float16 typed", &onnxpb.TensorProto{DataType: 10, Dims: []int64{2}, Int32Data: []int32{0x3c00, 0xc000}}, []float32{1, -2}, nil, nil, nil},
		{"float16 raw", &onnxpb.TensorProto{DataType: 10, Dims: []int64{2}, RawData: []byte{0x55, 0x35, 0xff, 0x7b}}, []float32{0.333251953125, 65504}, nil, nil, nil},
		// bfloat16 is the top half of a float32: 0x3fc0 = 1.5, 0xc040 = -3.
		{"bfloat16 raw", &onnxpb.TensorProto{DataType: 16, Dims: []int64{2}, RawData: []byte{0xc0, 0x3f, 0x40, 0xc0}}, []float32{1.5, -3}, nil, nil, nil},
		{"empty", &onnxpb.TensorProto{DataType: 1, Dims: []int64{0, 3}}, []float32{}, nil, nil, nil},
	}
	for _, c := range cases {
		got, err := decodeTensorProto(c.tp, "")
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got.DType != DType(c.tp.DataType) {
			t.Errorf("%s: dtype %v, want %v", c.name, got.DType, DType(c.tp.DataType))
		}
		if !equalSlices(got.F32, c.f32) || !equalSlices(got.F64, c.f64) || !equalSlices(got.I64, c.i64) || !equalSlices(got.U64, c.u64) {
			t.Errorf("%s: got F32 %v F64 %v I64 %v U64 %v, want %v %v %v %v", c.name, got.F32, got.F64, got.I64, got.U64, c.f32, c.f64, c.i64, c.u64)
		}
		if got.Len() != got.dataLen() {
			t.Errorf("%s: Len %d but %d values", c.name, got.Len(), got.dataLen())
		}
		// Encoding back to raw_data and decoding again gives the same values.
		tp2, err := got.tensorProto()
		if err != nil {
			t.Errorf("%s: TensorProto: %v", c.name, err)
			continue
		}
		again, err := decodeTensorProto(tp2, "")
		if err != nil {
			t.Errorf("%s: decode of re-encoded: %v", c.name, err)
			continue
		}
		if !equalSlices(again.F32, got.F32) || !equalSlices(again.F64, got.F64) || !equalSlices(again.I64, got.I64) || !equalSlices(again.U64, got.U64) {
			t.Errorf("%s: re-encoded tensor decodes differently", c.name)
		}
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeTensorErrors(t *testing.T) {
	cases := []struct {
		name        string
		tp          *onnxpb.TensorProto
		want        string
		unsupported bool
	}{
		{"2^40 elements", &onnxpb.TensorProto{Name: "huge", DataType: 1, Dims: []int64{1 << 20, 1 << 20}}, "more than the limit", false},
		{"2^40 elements raw", &onnxpb.TensorProto{Name: "huge", DataType: 1, Dims: []int64{1 << 40}, RawData: []byte{1, 2, 3, 4}}, "more than the limit", false},
		{"dims overflow int64", &onnxpb.TensorProto{Name: "huge", DataType: 1, Dims: []int64{1 << 62, 1 << 62, 4}}, "more than 2^63", false},
		{"negative dim", &onnxpb.TensorProto{Name: "neg", DataType: 1, Dims: []int64{-1}}, "negative dimension", false},
		{"short raw", &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{2}, RawData: []byte{1, 2, 3}}, "raw_data holds 3 bytes", false},
		{"no data", &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{2}}, "raw_data holds 0 bytes", false},
		{"typed count", &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{3}, FloatData: []float32{1}}, "float_data holds 1 values", false},
		{"wrong field", &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{1}, Int64Data: []int64{1}}, "outside float_data", false},
		{"int8 range", &onnxpb.TensorProto{Name: "w", DataType: 3, Dims: []int64{1}, Int32Data: []int32{300}}, "out of range", false},
		{"unknown dtype", &onnxpb.TensorProto{Name: "w", DataType: 99}, "unknown data_type 99", false},
		{"string", &onnxpb.TensorProto{Name: "s", DataType: 8, StringData: [][]byte{[]byte("a")}}, "data type string", true},
		{"external without dir", &onnxpb.TensorProto{Name: "e", DataType: 1, Dims: []int64{1}, DataLocation: onnxpb.TensorProto_EXTERNAL,
			ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "w.bin"}}}, "needs the model's folder", false},
	}
	for _, c := range cases {
		_, err := decodeTensorProto(c.tp, "")
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.tp.Name) {
			t.Errorf("%s: error %q should contain %q and the tensor name", c.name, err, c.want)
		}
		var fe *FormatError
		var ue *UnsupportedError
		if c.unsupported && !errors.As(err, &ue) || !c.unsupported && !errors.As(err, &fe) {
			t.Errorf("%s: error type %T", c.name, err)
		}
	}
}

func external(name string, dims []int64, kv ...string) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: name, DataType: 1, Dims: dims, DataLocation: onnxpb.TensorProto_EXTERNAL}
	for i := 0; i+1 < len(kv); i += 2 {
		tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: kv[i], Value: kv[i+1]})
	}
	return tp
}

func TestExternalData(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "model")
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 16)
	for i, v := range []float32{1, 2, 3, 4} {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(root, "secret.bin")
	if err := os.WriteFile(secret, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(secret, filepath.Join(dir, "link.bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(dir, "up")); err != nil {
		t.Fatal(err)
	}

	got, err := decodeTensorProto(external("w", []int64{2}, "location", "sub/w.bin", "offset", "8", "length", "8"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if !equalSlices(got.F32, []float32{3, 4}) {
		t.Errorf("external read %v, want [3 4]", got.F32)
	}
	got, err = decodeTensorProto(external("w", []int64{2, 2}, "location", "sub/w.bin"), dir)
	if err != nil || !equalSlices(got.F32, []float32{1, 2, 3, 4}) {
		t.Errorf("external read without offset: %v %v", got, err)
	}

	bad := []struct {
		name string
		tp   *onnxpb.TensorProto
		want string
	}{
		{"dot-dot", external("p", []int64{1}, "location", "../../etc/passwd"), "escapes the model's folder"},
		{"absolute", external("p", []int64{1}, "location", "/etc/passwd"), "absolute"},
		{"symlink file out", external("p", []int64{1}, "location", "link.bin"), "not readable inside the model's folder"},
		{"symlink dir out", external("p", []int64{1}, "location", "up/secret.bin"), "not readable inside the model's folder"},
		{"missing", external("p", []int64{1}, "location", "nope.bin"), "not found"},
		{"offset beyond", external("p", []int64{2}, "location", "sub/w.bin", "offset", "12"), "the file holds 16"},
		{"length mismatch", external("p", []int64{2}, "location", "sub/w.bin", "length", "4"), "length 4 does not match"},
		{"huge", external("p", []int64{1 << 40}, "location", "sub/w.bin"), "more than the limit"},
		{"negative offset", external("p", []int64{1}, "location", "sub/w.bin", "offset", "-4"), "non-negative"},
		{"no location", external("p", []int64{1}, "offset", "0"), "without a location"},
		{"directory", external("p", []int64{1}, "location", "sub"), "not a regular file"},
	}
	for _, c := range bad {
		_, err := decodeTensorProto(c.tp, dir)
		var fe *FormatError
		if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want a FormatError containing %q", c.name, err, c.want)
		}
	}
}

func TestReadTensorFileErrors(t *testing.T) {
	dir := t.TempDir()
	huge, err := proto.Marshal(&onnxpb.TensorProto{Name: "huge", DataType: 1, Dims: []int64{1 << 40}, RawData: []byte{0, 0, 128, 63}})
	if err != nil {
		t.Fatal(err)
	}
	good, err := proto.Marshal(FloatTensor("x", []int64{4}, []float32{1, 2, 3, 4}))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]struct {
		data []byte
		want string
	}{
		"huge.pb":      {huge, `reading tensor: %s: tensor "huge": dims [1099511627776] declare 1099511627776 elements, more than the limit`},
		"truncated.pb": {good[:len(good)-3], "parsing tensor: %s: not a TensorProto"},
		"random.pb":    {[]byte{0xff, 0xfe, 0x01, 0x9a, 0x77}, "parsing tensor: %s: not a TensorProto"},
	}
	for name, c := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadTensorFile(p)
		var fe *FormatError
		if want := fmt.Sprintf(c.want, p); err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want a FormatError containing %q", name, err, want)
		}
	}
}
