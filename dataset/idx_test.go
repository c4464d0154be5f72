package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: 00 00 type ndim, big-endian dims, data.
func idxBytes(typ byte, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, typ, byte(len(dims))})
	binary.Write(&b, binary.BigEndian, dims)
	b.Write(data)
	return b.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestIDXDecode(t *testing.T) {
	raw := idxBytes(0x08, []uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 255})
	for name, b := range map[string][]byte{"raw": raw, "gzip": gz(t, raw)} {
		a, err := DecodeIDX(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if a.DType != "uint8" || !reflect.DeepEqual(a.Shape, []int{2, 2, 3}) || a.U8[11] != 255 {
			t.Errorf("%s: %s %v %v", name, a.DType, a.Shape, a.U8)
		}
	}
	// Other type codes, big-endian.
	var be bytes.Buffer
	binary.Write(&be, binary.BigEndian, []float32{1.5, -2})
	a, err := DecodeIDX(idxBytes(0x0D, []uint32{2}, be.Bytes()))
	if err != nil || a.DType != "float32" || !reflect.DeepEqual(a.F32, []float32{1.5, -2}) {
		t.Errorf("float32 IDX: %v %+v", err, a)
	}
	be.Reset()
	binary.Write(&be, binary.BigEndian, []int32{-5, 70000})
	a, err = DecodeIDX(idxBytes(0x0C, []uint32{2}, be.Bytes()))
	if err != nil || a.DType != "int64" || !reflect.DeepEqual(a.I64, []int64{-5, 70000}) {
		t.Errorf("int32 IDX: %v %+v", err, a)
	}
	be.Reset()
	binary.Write(&be, binary.BigEndian, []float64{math.Pi})
	a, err = DecodeIDX(idxBytes(0x0E, []uint32{1, 1}, be.Bytes()))
	if err != nil || !reflect.DeepEqual(a.F64, []float64{math.Pi}) {
		t.Errorf("float64 IDX: %v %+v", err, a)
	}
	a, err = DecodeIDX(idxBytes(0x09, []uint32{2}, []byte{0xff, 0x7f}))
	if err != nil || !reflect.DeepEqual(a.I64, []int64{-1, 127}) {
		t.Errorf("int8 IDX: %v %+v", err, a)
	}
}

func TestIDXBadInput(t *testing.T) {
	good := idxBytes(0x08, []uint32{2, 3}, []byte{1, 2, 3, 4, 5, 6})
	gzGood := gz(t, good)
	badCRC := append([]byte{}, gzGood...)
	badCRC[len(badCRC)-8] ^= 0xff // CRC-32 in the gzip trailer
	cases := map[string][]byte{
		"empty":             nil,
		"wrong magic":       append([]byte{1, 0}, good[2:]...),
		"bad type":          append([]byte{0, 0, 0x07}, good[3:]...),
		"zero dims":         {0, 0, 8, 0},
		"many dims":         {0, 0, 8, 200},
		"header cut":        good[:6],
		"short data":        good[:len(good)-1],
		"trailing data":     append(append([]byte{}, good...), 9),
		"gzip short data":   gz(t, good[:len(good)-1]),
		"gzip trailing":     gz(t, append(append([]byte{}, good...), 9)),
		"gzip truncated":    gzGood[:len(gzGood)-5],
		"gzip bad crc":      badCRC,
		"gzip then garbage": append(append([]byte{}, gzGood...), 1, 2, 3),
		"gzip wrong magic":  gz(t, append([]byte{1, 0}, good[2:]...)),
		"2^40 elements":     idxBytes(0x08, []uint32{1 << 20, 1 << 20}, []byte{1, 2}),
		"gzip 2^31 bytes":   gz(t, idxBytes(0x08, []uint32{1 << 31}, []byte{1, 2})),
		"2^32 floats":       idxBytes(0x0E, []uint32{1 << 16, 1 << 16}, nil),
	}
	for name, b := range cases {
		_, err := DecodeIDX(b)
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v does not wrap ErrFormat", name, err)
		}
	}
	p := filepath.Join(t.TempDir(), "x-idx1-ubyte")
	if err := os.WriteFile(p, []byte{0x1f, 0x8b, 8, 0}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadIDX(p); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("ReadIDX of a broken gzip: %v (want an error naming the file)", err)
	}
}
