package onnxio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// Limits on a single tensor, checked against the declared dims before any
// allocation, so a hostile file cannot make the reader allocate memory it
// does not carry.
const (
	MaxElements = 1 << 31 // elements in one tensor
	MaxBytes    = 4 << 30 // bytes of one tensor's data
)

// Tensor is a decoded ONNX tensor. Exactly one data slice is set, chosen by
// DType:
//
//	F32  float32, float16, bfloat16 (the half types are widened exactly)
//	F64  float64 (double)
//	I64  int8, int16, int32, int64, uint8, uint16, uint32, bool (0 or 1)
//	U64  uint64
//
// Data is in row-major (C) order; a tensor with no dims is a scalar with one
// element. DType keeps the type stored in the file. The narrow integer
// types are widened (a uint8 takes 8 bytes, as it does in the executor,
// which computes on int64): LoadOptions.MaxMemory bounds what a model's
// tensors take once widened.
type Tensor struct {
	Name  string
	DType DType
	Dims  []int64
	F32   []float32
	F64   []float64
	I64   []int64
	U64   []uint64
	// Unloaded is set when the tensor's external data was checked but not
	// read (LoadOptions.SkipExternalData): every data slice is nil.
	Unloaded bool
}

// Len returns the number of elements, the product of Dims (1 for a scalar).
func (t *Tensor) Len() int {
	n := 1
	for _, d := range t.Dims {
		n *= int(d)
	}
	return n
}

// Shape returns Dims as ints.
func (t *Tensor) Shape() []int {
	s := make([]int, len(t.Dims))
	for i, d := range t.Dims {
		s[i] = int(d)
	}
	return s
}

// Float32 returns the data as float32: F32 itself (not a copy), or a
// converted copy of the other slices. float64 and 64-bit integers beyond
// 2^24 lose precision in the conversion.
func (t *Tensor) Float32() []float32 {
	switch {
	case t.F32 != nil:
		return t.F32
	case t.F64 != nil:
		out := make([]float32, len(t.F64))
		for i, v := range t.F64 {
			out[i] = float32(v)
		}
		return out
	case t.I64 != nil:
		out := make([]float32, len(t.I64))
		for i, v := range t.I64 {
			out[i] = float32(v)
		}
		return out
	case t.U64 != nil:
		out := make([]float32, len(t.U64))
		for i, v := range t.U64 {
			out[i] = float32(v)
		}
		return out
	}
	return []float32{}
}

// Float64 returns the data as float64: F64 itself, or a converted copy.
func (t *Tensor) Float64() []float64 {
	if t.F64 != nil {
		return t.F64
	}
	out := make([]float64, t.dataLen())
	switch {
	case t.F32 != nil:
		for i, v := range t.F32 {
			out[i] = float64(v)
		}
	case t.I64 != nil:
		for i, v := range t.I64 {
			out[i] = float64(v)
		}
	case t.U64 != nil:
		for i, v := range t.U64 {
			out[i] = float64(v)
		}
	}
	return out
}

// Int64s returns integer data as int64: I64 itself, or a converted copy of
// U64. Float data, and uint64 values beyond math.MaxInt64, are an error.
func (t *Tensor) Int64s() ([]int64, error) {
	switch {
	case t.I64 != nil:
		return t.I64, nil
	case t.U64 != nil:
		out := make([]int64, len(t.U64))
		for i, v := range t.U64 {
			if v > math.MaxInt64 {
				return nil, fmt.Errorf("tensor %q: uint64 value %d does not fit in int64", t.Name, v)
			}
			out[i] = int64(v)
		}
		return out, nil
	case t.F32 == nil && t.F64 == nil:
		return []int64{}, nil
	}
	return nil, fmt.Errorf("tensor %q: %s data where integers are expected", t.Name, t.DType)
}

func (t *Tensor) dataLen() int {
	return len(t.F32) + len(t.F64) + len(t.I64) + len(t.U64)
}

// numElements checks dims (non-negative, product within MaxElements and
// MaxBytes for element size size) and returns their product.
func numElements(dims []int64, size int) (int, error) {
	n := int64(1)
	zero := false
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension %d in dims %v", d, dims)
		}
		zero = zero || d == 0
	}
	if zero {
		return 0, nil
	}
	for _, d := range dims {
		if n > math.MaxInt64/d {
			return 0, fmt.Errorf("dims %v declare more than 2^63 elements (limit %d)", dims, int64(MaxElements))
		}
		n *= d
	}
	if n > MaxElements {
		return 0, fmt.Errorf("dims %v declare %d elements, more than the limit of %d", dims, n, int64(MaxElements))
	}
	if size > 0 && n*int64(size) > MaxBytes {
		return 0, fmt.Errorf("dims %v declare %d bytes, more than the limit of %d", dims, n*int64(size), int64(MaxBytes))
	}
	return int(n), nil
}

// decodeTensorProto decodes tp. dir is the folder of the model file, against
// which external data locations are resolved; with dir == "" external data
// is an error.
//
// Data comes from raw_data (little-endian), from external data, or from the
// typed field the specification assigns to the type: float_data (float),
// double_data (double), int64_data (int64), uint64_data (uint32, uint64) and
// int32_data (int32, int16, int8, uint16, uint8, bool, and the bit patterns of
// float16 and bfloat16). The element count must match the dims exactly.
//
// External data (data_location EXTERNAL, keys location, offset, length) must
// name a file inside dir by a relative path: absolute paths, ".." and
// symbolic links leading out of dir are refused, as are offsets and lengths
// beyond the file. Sizes are checked against MaxElements and MaxBytes before
// anything is allocated.
//
// Errors are *FormatError for malformed tensors and *UnsupportedError for
// types conceptcells does not decode (string, complex, float8, 4-bit) and
// for segmented tensors.
func decodeTensorProto(tp *onnxpb.TensorProto, dir string) (*Tensor, error) {
	return decodeTensor(tp, dir, nil)
}

// decodeTensor is decodeTensorProto; ext, when not nil, records the external
// data regions the model's tensors read so far (see externalSet).
func decodeTensor(tp *onnxpb.TensorProto, dir string, ext *externalSet) (*Tensor, error) {
	if tp == nil {
		return nil, &FormatError{Stage: "reading tensor", Msg: "missing tensor"}
	}
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(), Msg: fmt.Sprintf(format, args...)}
	}
	dt := DType(tp.GetDataType())
	if !dt.Known() {
		return nil, fail("unknown data_type %d", tp.GetDataType())
	}
	size := dt.Size()
	if size == 0 {
		return nil, &UnsupportedError{Stage: "reading tensor", Tensor: tp.GetName(), Msg: fmt.Sprintf("data type %s", dt)}
	}
	if tp.GetSegment() != nil {
		return nil, &UnsupportedError{Stage: "reading tensor", Tensor: tp.GetName(), Msg: "segmented tensor"}
	}
	n, err := numElements(tp.GetDims(), size)
	if err != nil {
		return nil, fail("%v", err)
	}
	t := &Tensor{Name: tp.GetName(), DType: dt, Dims: append([]int64{}, tp.GetDims()...)}
	external := tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL
	if !external || ext == nil || !ext.skipData {
		if err := ext.reserve(dt, n); err != nil {
			return nil, &UnsupportedError{Stage: "reading tensor", Tensor: tp.GetName(), Msg: err.Error()}
		}
	}

	if external {
		if err := readExternal(t, tp, dir, n, size, ext); err != nil {
			return nil, err
		}
		return t, nil
	}
	if tp.GetDataLocation() != onnxpb.TensorProto_DEFAULT {
		return nil, fail("unknown data_location %d", tp.GetDataLocation())
	}
	if len(tp.GetExternalData()) > 0 {
		return nil, fail("external_data given but data_location is not EXTERNAL")
	}

	// Which typed field the specification uses for this type.
	var field string
	var count int
	switch dt {
	case Float:
		field, count = "float_data", len(tp.GetFloatData())
	case Double:
		field, count = "double_data", len(tp.GetDoubleData())
	case Int64:
		field, count = "int64_data", len(tp.GetInt64Data())
	case Uint32, Uint64:
		field, count = "uint64_data", len(tp.GetUint64Data())
	default:
		field, count = "int32_data", len(tp.GetInt32Data())
	}
	others := len(tp.GetFloatData()) + len(tp.GetDoubleData()) + len(tp.GetInt64Data()) +
		len(tp.GetUint64Data()) + len(tp.GetInt32Data()) + len(tp.GetStringData()) - count
	if others > 0 {
		return nil, fail("%s data stored outside %s", dt, field)
	}
	raw := tp.GetRawData()
	if len(raw) > 0 && count > 0 {
		return nil, fail("both raw_data and %s are set", field)
	}
	if len(raw) > 0 || count == 0 {
		if len(raw) != n*size {
			return nil, fail("raw_data holds %d bytes, dims %v of %s need %d", len(raw), tp.GetDims(), dt, n*size)
		}
		decodeRaw(t, raw, n)
		return t, nil
	}
	if count != n {
		return nil, fail("%s holds %d values, dims %v need %d", field, count, tp.GetDims(), n)
	}
	switch dt {
	case Float:
		t.F32 = append(make([]float32, 0, n), tp.GetFloatData()...)
	case Double:
		t.F64 = append(make([]float64, 0, n), tp.GetDoubleData()...)
	case Int64:
		t.I64 = append(make([]int64, 0, n), tp.GetInt64Data()...)
	case Uint64:
		t.U64 = append(make([]uint64, 0, n), tp.GetUint64Data()...)
	case Uint32:
		t.I64 = make([]int64, n)
		for i, v := range tp.GetUint64Data() {
			if v > math.MaxUint32 {
				return nil, fail("uint32 value %d out of range", v)
			}
			t.I64[i] = int64(v)
		}
	case Float16, BFloat16:
		t.F32 = make([]float32, n)
		for i, v := range tp.GetInt32Data() {
			if v < 0 || v > math.MaxUint16 {
				return nil, fail("%s bit pattern %d out of range", dt, v)
			}
			if dt == Float16 {
				t.F32[i] = HalfToFloat32(uint16(v))
			} else {
				t.F32[i] = math.Float32frombits(uint32(v) << 16)
			}
		}
	default: // int32 carriers
		lo, hi := int64(math.MinInt32), int64(math.MaxInt32)
		switch dt {
		case Int8:
			lo, hi = math.MinInt8, math.MaxInt8
		case Uint8:
			lo, hi = 0, math.MaxUint8
		case Int16:
			lo, hi = math.MinInt16, math.MaxInt16
		case Uint16:
			lo, hi = 0, math.MaxUint16
		case Bool:
			lo, hi = 0, 1
		}
		t.I64 = make([]int64, n)
		for i, v := range tp.GetInt32Data() {
			if int64(v) < lo || int64(v) > hi {
				return nil, fail("%s value %d out of range", dt, v)
			}
			t.I64[i] = int64(v)
		}
	}
	return t, nil
}

// decodeRaw fills t from little-endian raw bytes; len(raw) == n*t.DType.Size().
func decodeRaw(t *Tensor, raw []byte, n int) {
	allocData(t, n)
	fillRaw(t, raw, 0)
}

// allocData allocates t's data slice for n elements of its DType.
func allocData(t *Tensor, n int) {
	switch t.DType {
	case Float, Float16, BFloat16:
		t.F32 = make([]float32, n)
	case Double:
		t.F64 = make([]float64, n)
	case Uint64:
		t.U64 = make([]uint64, n)
	default:
		t.I64 = make([]int64, n)
	}
}

// fillRaw decodes the little-endian elements in raw into t's data from
// element i0 on (allocData first).
func fillRaw(t *Tensor, raw []byte, i0 int) {
	le := binary.LittleEndian
	k := len(raw) / t.DType.Size()
	switch t.DType {
	case Float:
		for i, dst := 0, t.F32[i0:i0+k]; i < k; i++ {
			dst[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case Float16:
		for i, dst := 0, t.F32[i0:i0+k]; i < k; i++ {
			dst[i] = HalfToFloat32(le.Uint16(raw[2*i:]))
		}
	case BFloat16:
		for i, dst := 0, t.F32[i0:i0+k]; i < k; i++ {
			dst[i] = math.Float32frombits(uint32(le.Uint16(raw[2*i:])) << 16)
		}
	case Double:
		for i, dst := 0, t.F64[i0:i0+k]; i < k; i++ {
			dst[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
	case Uint64:
		for i, dst := 0, t.U64[i0:i0+k]; i < k; i++ {
			dst[i] = le.Uint64(raw[8*i:])
		}
	default:
		dst := t.I64[i0 : i0+k]
		for i := range dst {
			switch t.DType {
			case Int8:
				dst[i] = int64(int8(raw[i]))
			case Uint8:
				dst[i] = int64(raw[i])
			case Bool:
				if raw[i] != 0 {
					dst[i] = 1
				}
			case Int16:
				dst[i] = int64(int16(le.Uint16(raw[2*i:])))
			case Uint16:
				dst[i] = int64(le.Uint16(raw[2*i:]))
			case Int32:
				dst[i] = int64(int32(le.Uint32(raw[4*i:])))
			case Uint32:
				dst[i] = int64(le.Uint32(raw[4*i:]))
			case Int64:
				dst[i] = int64(le.Uint64(raw[8*i:]))
			}
		}
	}
}

// externalRef is the parsed external_data of a tensor.
type externalRef struct {
	location       string
	offset, length int64
	hasLength      bool
}

func parseExternal(tp *onnxpb.TensorProto) (externalRef, error) {
	var ref externalRef
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(), Msg: fmt.Sprintf(format, args...)}
	}
	for _, kv := range tp.GetExternalData() {
		switch kv.GetKey() {
		case "location":
			ref.location = kv.GetValue()
		case "offset", "length":
			v, err := strconv.ParseInt(kv.GetValue(), 10, 64)
			if err != nil || v < 0 {
				return ref, fail("external data %s %q is not a non-negative integer", kv.GetKey(), kv.GetValue())
			}
			if kv.GetKey() == "offset" {
				ref.offset = v
			} else {
				ref.length, ref.hasLength = v, true
			}
		case "checksum":
			// Optional SHA-1 of the data; not verified.
		default:
			return ref, fail("unknown external data key %q", kv.GetKey())
		}
	}
	if ref.location == "" {
		return ref, fail("external data without a location")
	}
	return ref, nil
}

// checkExternalLocation refuses locations that are absolute or leave the
// model's folder lexically (symbolic links are caught when opening).
func checkExternalLocation(tp *onnxpb.TensorProto, loc string) error {
	if filepath.IsAbs(loc) || len(loc) > 0 && (loc[0] == '/' || loc[0] == '\\') {
		return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(),
			Msg: fmt.Sprintf("external data location %q is absolute; it must be relative to the model's folder", loc)}
	}
	if !filepath.IsLocal(loc) {
		return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(),
			Msg: fmt.Sprintf("external data location %q escapes the model's folder", loc)}
	}
	// Hidden files and folders (.env, .ssh/…) are never model data; a
	// model must not be able to copy them into a shareable report.
	for _, part := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		if strings.HasPrefix(part, ".") {
			return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(),
				Msg: fmt.Sprintf("external data location %q names a hidden file or folder", loc)}
		}
	}
	return nil
}

// externalSet records the regions of external data files a model's
// tensors read, so that no byte of a file is read twice (a sparse file of
// 2 GiB cannot feed many tensors) and the data read never exceeds the files.
type externalSet struct {
	files []externalFile
	// skipData checks each tensor's external data without reading it
	// (LoadOptions.SkipExternalData).
	skipData bool
	// budget bounds used, the bytes the decoded tensors take in memory
	// (LoadOptions.MaxMemory); 0: no bound.
	budget, used int64
}

// reserve counts n elements of dt about to be allocated against the
// budget, refusing them when it would be exceeded.
func (s *externalSet) reserve(dt DType, n int) error {
	if s == nil || s.budget <= 0 {
		return nil
	}
	need := int64(n) * int64(memSize(dt))
	if need > s.budget-s.used {
		return fmt.Errorf("decoding it needs %d bytes in memory (%s held as %d-byte values), with %d already used by other tensors; the memory budget is %d bytes (--max-memory)",
			need, dt, memSize(dt), s.used, s.budget)
	}
	s.used += need
	return nil
}

// memSize is the bytes an element of dt takes in a Tensor: 4 in F32, 8 in
// F64, I64 or U64.
func memSize(dt DType) int {
	switch dt {
	case Float, Float16, BFloat16:
		return 4
	}
	return 8
}

type externalFile struct {
	info    fs.FileInfo
	regions [][2]int64 // [offset, end) already read
}

// claim records [off, off+n) of the file st, refusing a region that
// overlaps one already read.
func (s *externalSet) claim(st fs.FileInfo, off, n int64) error {
	if s == nil || n == 0 {
		return nil
	}
	i := 0
	for ; i < len(s.files); i++ {
		if os.SameFile(s.files[i].info, st) {
			break
		}
	}
	if i == len(s.files) {
		s.files = append(s.files, externalFile{info: st})
	}
	f := &s.files[i]
	for _, r := range f.regions {
		if off < r[1] && r[0] < off+n {
			return fmt.Errorf("bytes %d..%d of the external data file were already read by another tensor", max(off, r[0]), min(off+n, r[1]))
		}
	}
	f.regions = append(f.regions, [2]int64{off, off + n})
	return nil
}

// externalChunk is how many bytes of external data are read at a time.
const externalChunk = 1 << 20

// readExternal reads the n elements of size bytes of an external tensor
// into t, decoding them chunk by chunk (the raw bytes are never held whole).
func readExternal(t *Tensor, tp *onnxpb.TensorProto, dir string, n, size int, ext *externalSet) error {
	want := n * size
	ref, err := parseExternal(tp)
	if err != nil {
		return err
	}
	if err := checkExternalLocation(tp, ref.location); err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(), File: ref.location, Msg: fmt.Sprintf(format, args...)}
	}
	if dir == "" {
		return fail("external data needs the model's folder (load the model from a file)")
	}
	// os.OpenInRoot refuses paths, symbolic links included, that resolve
	// outside dir.
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fail("model folder: %v", err)
	}
	defer root.Close()
	f, st, err := fsutil.OpenRegularIn(root, ref.location)
	if errors.Is(err, fsutil.ErrNotRegular) {
		return fail("external data is not a regular file")
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fail("external data file not found in %s", dir)
		}
		return &FormatError{Stage: "reading tensor", Tensor: tp.GetName(), File: ref.location,
			Msg: "external data file is not readable inside the model's folder", Err: err}
	}
	defer f.Close()
	fsize := st.Size()
	if ref.hasLength && ref.length != int64(want) {
		return fail("external data length %d does not match dims %v of %s (%d bytes)",
			ref.length, tp.GetDims(), DType(tp.GetDataType()), want)
	}
	if ref.offset > fsize || int64(want) > fsize-ref.offset {
		return fail("external data needs bytes %d..%d but the file holds %d", ref.offset, ref.offset+int64(want), fsize)
	}
	if err := ext.claim(st, ref.offset, int64(want)); err != nil {
		return fail("%v", err)
	}
	if ext != nil && ext.skipData {
		t.Unloaded = true
		return nil
	}
	allocData(t, n)
	per := externalChunk / size * size
	buf := make([]byte, min(want, per))
	for done := 0; done < want; {
		k := min(want-done, per)
		if _, err := f.ReadAt(buf[:k], ref.offset+int64(done)); err != nil {
			return fail("reading external data: %v", err)
		}
		fillRaw(t, buf[:k], done/size)
		done += k
	}
	return nil
}

// ReadTensorFile reads a file holding one serialized TensorProto, the
// format of the ONNX backend test data (test_data_set_*/input_*.pb), and
// decodes it. External data is resolved against the file's folder.
func ReadTensorFile(path string) (*Tensor, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading tensor: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, &FormatError{Stage: "reading tensor", File: path, Msg: "is not a regular file"}
	}
	if st.Size() > MaxBytes+1<<20 {
		return nil, &FormatError{Stage: "reading tensor", File: path, Msg: "file larger than the tensor size limit"}
	}
	data, err := fsutil.ReadRegular(path, MaxBytes+1<<20)
	if err != nil {
		return nil, fmt.Errorf("reading tensor: %w", err)
	}
	tp := new(onnxpb.TensorProto)
	if err := proto.Unmarshal(data, tp); err != nil {
		return nil, &FormatError{Stage: "parsing tensor", File: path, Msg: "not a TensorProto", Err: err}
	}
	t, err := decodeTensorProto(tp, filepath.Dir(path))
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) && fe.File == "" {
			fe.File = path
		}
		return nil, err
	}
	return t, nil
}

// HalfToFloat32 converts IEEE 754 binary16 bits to float32 (exact).
func HalfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | mant<<13)
	case exp == 0:
		if mant == 0 {
			return math.Float32frombits(sign)
		}
		// Subnormal: value = mant × 2^-24.
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
}

// Float32ToHalf converts f to IEEE 754 binary16 bits, rounding to nearest
// even; values beyond the half range become ±Inf.
func Float32ToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff { // Inf / NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := m >> shift
		rem := m & (1<<shift - 1)
		mid := uint32(1) << (shift - 1)
		if rem > mid || rem == mid && half&1 == 1 {
			half++
		}
		return sign | uint16(half)
	}
	half := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || rem == 0x1000 && half&1 == 1 {
		half++ // may carry into the exponent, giving Inf correctly
	}
	return sign | uint16(half)
}

// RawData encodes t's values as the raw_data of a TensorProto: little-endian
// elements of t.DType (float16 and bfloat16 rounded to nearest even). It is
// an error when the values do not match t.Dims or t.DType.
func (t *Tensor) RawData() ([]byte, error) {
	size := t.DType.Size()
	if size == 0 {
		return nil, &UnsupportedError{Stage: "encoding tensor", Tensor: t.Name, Msg: fmt.Sprintf("data type %s", t.DType)}
	}
	n, err := numElements(t.Dims, size)
	if err != nil {
		return nil, &FormatError{Stage: "encoding tensor", Tensor: t.Name, Msg: err.Error()}
	}
	if t.dataLen() != n {
		return nil, &FormatError{Stage: "encoding tensor", Tensor: t.Name, Msg: fmt.Sprintf("holds %d values, dims %v need %d", t.dataLen(), t.Dims, n)}
	}
	raw := make([]byte, n*size)
	le := binary.LittleEndian
	switch t.DType {
	case Float, Float16, BFloat16:
		if t.F32 == nil && n > 0 {
			return nil, &FormatError{Stage: "encoding tensor", Tensor: t.Name, Msg: fmt.Sprintf("%s tensor without F32 data", t.DType)}
		}
		for i, v := range t.F32 {
			switch t.DType {
			case Float:
				le.PutUint32(raw[4*i:], math.Float32bits(v))
			case Float16:
				le.PutUint16(raw[2*i:], Float32ToHalf(v))
			default:
				le.PutUint16(raw[2*i:], bfloat16(v))
			}
		}
	case Double:
		if t.F64 == nil && n > 0 {
			return nil, &FormatError{Stage: "encoding tensor", Tensor: t.Name, Msg: "float64 tensor without F64 data"}
		}
		for i, v := range t.F64 {
			le.PutUint64(raw[8*i:], math.Float64bits(v))
		}
	case Uint64:
		if t.U64 == nil && n > 0 {
			return nil, &FormatError{Stage: "encoding tensor", Tensor: t.Name, Msg: "uint64 tensor without U64 data"}
		}
		for i, v := range t.U64 {
			le.PutUint64(raw[8*i:], v)
		}
	default:
		if t.I64 == nil && n > 0 {
			return nil, &FormatError{Stage: "encoding tensor", Tensor: t.Name, Msg: fmt.Sprintf("%s tensor without I64 data", t.DType)}
		}
		for i, v := range t.I64 {
			switch size {
			case 1:
				raw[i] = byte(v)
			case 2:
				le.PutUint16(raw[2*i:], uint16(v))
			case 4:
				le.PutUint32(raw[4*i:], uint32(v))
			case 8:
				le.PutUint64(raw[8*i:], uint64(v))
			}
		}
	}
	return raw, nil
}

// bfloat16 rounds f to bfloat16 bits, nearest even.
func bfloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
