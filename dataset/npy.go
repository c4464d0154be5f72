package dataset

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"codeberg.org/sbinet/npyio/npy"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

// Array is an N-dimensional array read from or written to a NumPy .npy file,
// in C (row-major) order. Exactly one of the data slices is set, the one
// named by DType ("float32", "float64", "uint8" or "int64"). Narrower or
// other integer types are widened on read: int8, int16, int32, uint16,
// uint32 and uint64 become int64 (uint64 values above 2⁶³−1 are an error),
// bool becomes uint8 (0/1).
type Array struct {
	Shape []int
	DType string
	F32   []float32
	F64   []float64
	U8    []uint8
	I64   []int64
}

// Len returns the number of elements, the product of Shape (1 for a scalar).
func (a *Array) Len() int {
	switch a.DType {
	case "float32":
		return len(a.F32)
	case "float64":
		return len(a.F64)
	case "uint8":
		return len(a.U8)
	case "int64":
		return len(a.I64)
	}
	return 0
}

// Float32 returns the elements as float32. For a float32 array it returns
// F32 itself (not a copy); other types are converted into a new slice
// (float64 values are rounded to nearest, integers may lose precision above
// 2²⁴).
func (a *Array) Float32() []float32 {
	switch a.DType {
	case "float32":
		return a.F32
	case "float64":
		return convert[float32](a.F64)
	case "uint8":
		return convert[float32](a.U8)
	case "int64":
		return convert[float32](a.I64)
	}
	return nil
}

// Float64 returns the elements as float64: F64 itself for a float64 array,
// a converted copy otherwise (exact for every type except int64 beyond 2⁵³).
func (a *Array) Float64() []float64 {
	switch a.DType {
	case "float64":
		return a.F64
	case "float32":
		return convert[float64](a.F32)
	case "uint8":
		return convert[float64](a.U8)
	case "int64":
		return convert[float64](a.I64)
	}
	return nil
}

// convert returns a copy of src with every element converted to D.
func convert[D float32 | float64, S float32 | float64 | uint8 | int64](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}

// Ints returns the elements as ints, for label arrays. Integer arrays
// convert exactly. Float arrays are accepted only when every value is a
// whole number within ±2⁵³ (labels saved as float); otherwise Ints returns
// an error naming the first offending element.
func (a *Array) Ints() ([]int, error) {
	switch a.DType {
	case "uint8":
		out := make([]int, len(a.U8))
		for i, v := range a.U8 {
			out[i] = int(v)
		}
		return out, nil
	case "int64":
		out := make([]int, len(a.I64))
		for i, v := range a.I64 {
			if int64(int(v)) != v {
				return nil, fmt.Errorf("element %d = %d does not fit in an int", i, v)
			}
			out[i] = int(v)
		}
		return out, nil
	case "float32", "float64":
		f := a.Float64()
		out := make([]int, len(f))
		for i, v := range f {
			if v != math.Trunc(v) || math.Abs(v) > 1<<53 {
				return nil, fmt.Errorf("element %d = %v of a %s array is not an integer", i, v, a.DType)
			}
			out[i] = int(v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("array has no data (dtype %q)", a.DType)
}

// Limits that keep untrusted .npy headers from causing huge allocations.
const (
	maxNpyHeader = 1 << 20 // bytes of header dictionary
	maxNpyDims   = 32      // numpy's own limit is 64
)

// ErrFormat is wrapped by every error about a malformed or unsupported
// .npy or IDX file.
var ErrFormat = errors.New("invalid data file")

// npyDType describes one accepted on-disk dtype.
type npyDType struct {
	descr string           // canonical descr with byte order, e.g. "<f4"
	size  int              // bytes per element
	bo    binary.ByteOrder // nil for single-byte types
	kind  byte             // 'f', 'i', 'u', 'b'
}

// npyHeader is a validated .npy header.
type npyHeader struct {
	major   byte
	dtype   npyDType
	fortran bool
	shape   []int
	n       int   // number of elements
	offset  int64 // byte offset of the data
}

func (h npyHeader) dataBytes() int64 { return int64(h.n) * int64(h.dtype.size) }

// ReadNpy reads a NumPy .npy file (format versions 1.0, 2.0 and 3.0) into an
// Array in C order; Fortran-ordered files are transposed. The header is
// parsed and checked here before any data is touched: the dtype must be a
// plain numeric type (structured, object, string, complex and float16 arrays
// are refused), every dimension non-negative, and the bytes after the header
// must be exactly shape×itemsize, so a short or oversized file is an error
// rather than a huge allocation. The element data is then decoded with
// codeberg.org/sbinet/npyio. Every error names path.
func ReadNpy(path string) (*Array, error) {
	return readRegular(path, decodeNpy)
}

// DecodeNpy decodes a whole .npy file held in memory, with the same checks
// as ReadNpy.
func DecodeNpy(data []byte) (*Array, error) {
	return decodeNpy(bytes.NewReader(data), int64(len(data)))
}

// decodeNpy reads a .npy stream of exactly size bytes.
func decodeNpy(r io.Reader, size int64) (a *Array, err error) {
	h, err := parseNpyHeader(r)
	if err != nil {
		return nil, err
	}
	want := h.dataBytes()
	have := size - h.offset
	switch {
	case have < want:
		return nil, fmt.Errorf("%w: .npy data is short: shape %v of %s needs %d bytes after the %d-byte header, file has %d",
			ErrFormat, h.shape, h.dtype.descr, want, h.offset, have)
	case have > want:
		return nil, fmt.Errorf("%w: .npy has %d trailing bytes after the data of shape %v %s",
			ErrFormat, have-want, h.shape, h.dtype.descr)
	}
	// npyio parses the header again: give it a canonical one for a flat
	// C-ordered array (we restore shape and order ourselves), so its
	// decoder only ever sees what we have already validated.
	var hdr bytes.Buffer
	writeNpyHeader(&hdr, h.dtype.descr, []int{h.n})
	src := io.MultiReader(&hdr, io.LimitReader(r, want))
	defer func() {
		// npyio panics on some inputs it was not designed for; the checks
		// above should exclude them, but never let one escape.
		if p := recover(); p != nil {
			a, err = nil, fmt.Errorf("%w: npy decoder failed on %s data: %v", ErrFormat, h.dtype.descr, p)
		}
	}()
	a = &Array{Shape: h.shape}
	switch h.dtype.kind {
	case 'f':
		if h.dtype.size == 4 {
			a.DType = "float32"
			err = npy.Read(src, &a.F32)
		} else {
			a.DType = "float64"
			err = npy.Read(src, &a.F64)
		}
	case 'b':
		var b []bool
		err = npy.Read(src, &b)
		a.DType, a.U8 = "uint8", make([]uint8, len(b))
		for i, v := range b {
			if v {
				a.U8[i] = 1
			}
		}
	case 'u':
		switch h.dtype.size {
		case 1:
			a.DType = "uint8"
			err = npy.Read(src, &a.U8)
		case 2:
			var v []uint16
			err = npy.Read(src, &v)
			a.DType, a.I64 = "int64", widen(v)
		case 4:
			var v []uint32
			err = npy.Read(src, &v)
			a.DType, a.I64 = "int64", widen(v)
		case 8:
			var v []uint64
			err = npy.Read(src, &v)
			a.DType, a.I64 = "int64", make([]int64, len(v))
			for i, x := range v {
				if x > math.MaxInt64 {
					return nil, fmt.Errorf("%w: uint64 element %d = %d does not fit in int64", ErrFormat, i, x)
				}
				a.I64[i] = int64(x)
			}
		}
	case 'i':
		switch h.dtype.size {
		case 1:
			var v []int8
			err = npy.Read(src, &v)
			a.DType, a.I64 = "int64", widen(v)
		case 2:
			var v []int16
			err = npy.Read(src, &v)
			a.DType, a.I64 = "int64", widen(v)
		case 4:
			var v []int32
			err = npy.Read(src, &v)
			a.DType, a.I64 = "int64", widen(v)
		case 8:
			a.DType = "int64"
			err = npy.Read(src, &a.I64)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: decoding %s data: %v", ErrFormat, h.dtype.descr, err)
	}
	if a.Len() != h.n {
		return nil, fmt.Errorf("%w: decoded %d elements, shape %v needs %d", ErrFormat, a.Len(), h.shape, h.n)
	}
	if h.fortran && len(h.shape) > 1 {
		switch a.DType {
		case "float32":
			a.F32 = fortranToC(a.F32, h.shape)
		case "float64":
			a.F64 = fortranToC(a.F64, h.shape)
		case "uint8":
			a.U8 = fortranToC(a.U8, h.shape)
		case "int64":
			a.I64 = fortranToC(a.I64, h.shape)
		}
	}
	return a, nil
}

func widen[T int8 | int16 | int32 | uint16 | uint32](v []T) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

// fortranToC reorders column-major data of the given shape into row-major
// order: element (i₀,…,iₖ) sits at Σ iⱼ·Πₗ<ⱼ shapeₗ in src and at
// Σ iⱼ·Πₗ>ⱼ shapeₗ in the result.
func fortranToC[T any](src []T, shape []int) []T {
	dst := make([]T, len(src))
	if len(src) == 0 {
		return dst
	}
	nd := len(shape)
	fstride := make([]int, nd)
	s := 1
	for j := range nd {
		fstride[j] = s
		s *= shape[j]
	}
	idx := make([]int, nd)
	f := 0
	for c := range dst {
		dst[c] = src[f]
		// Advance the C-order multi-index (last axis fastest).
		for j := nd - 1; j >= 0; j-- {
			idx[j]++
			f += fstride[j]
			if idx[j] < shape[j] {
				break
			}
			f -= idx[j] * fstride[j]
			idx[j] = 0
		}
	}
	return dst
}

var npyMagic = []byte("\x93NUMPY")

// parseNpyHeader reads and validates the magic, version and header
// dictionary, leaving r at the start of the data.
func parseNpyHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, fmt.Errorf("%w: not a .npy file: too short for the magic (%v)", ErrFormat, err)
	}
	if !bytes.Equal(pre[:6], npyMagic) {
		return h, fmt.Errorf("%w: not a .npy file: magic is %q, want \"\\x93NUMPY\"", ErrFormat, pre[:6])
	}
	h.major = pre[6]
	var hlen int64
	switch h.major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, fmt.Errorf("%w: .npy header length: %v", ErrFormat, err)
		}
		hlen = int64(binary.LittleEndian.Uint16(b[:]))
		h.offset = 10
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return h, fmt.Errorf("%w: .npy header length: %v", ErrFormat, err)
		}
		hlen = int64(binary.LittleEndian.Uint32(b[:]))
		h.offset = 12
	default:
		return h, fmt.Errorf("%w: unsupported .npy format version %d.%d (want 1.0, 2.0 or 3.0)", ErrFormat, pre[6], pre[7])
	}
	if hlen > maxNpyHeader {
		return h, fmt.Errorf("%w: .npy header claims %d bytes (limit %d)", ErrFormat, hlen, maxNpyHeader)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, fmt.Errorf("%w: .npy header is truncated: want %d bytes: %v", ErrFormat, hlen, err)
	}
	h.offset += hlen
	d, err := parsePyDict(string(buf))
	if err != nil {
		return h, fmt.Errorf("%w: .npy header %q: %v", ErrFormat, truncate(string(buf), 120), err)
	}
	if err := h.fill(d); err != nil {
		return h, fmt.Errorf("%w: .npy header %q: %v", ErrFormat, truncate(string(buf), 120), err)
	}
	return h, nil
}

func truncate(s string, n int) string {
	s = strings.TrimRight(s, " \n")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// fill checks the parsed dictionary and sets dtype, order, shape and n.
func (h *npyHeader) fill(d map[string]pyValue) error {
	if len(d) != 3 {
		return fmt.Errorf("want exactly the keys descr, fortran_order and shape, got %d keys", len(d))
	}
	descr, ok := d["descr"]
	if !ok {
		return errors.New("no 'descr' key")
	}
	if descr.kind != pyStr {
		return fmt.Errorf("descr is not a simple dtype string (structured arrays are not supported)")
	}
	dt, err := parseDescr(descr.str)
	if err != nil {
		return err
	}
	h.dtype = dt
	fo, ok := d["fortran_order"]
	if !ok || fo.kind != pyBool {
		return errors.New("'fortran_order' is missing or not True/False")
	}
	h.fortran = fo.b
	sh, ok := d["shape"]
	if !ok || sh.kind != pyTuple {
		return errors.New("'shape' is missing or not a tuple")
	}
	if len(sh.ints) > maxNpyDims {
		return fmt.Errorf("shape has %d dimensions (limit %d)", len(sh.ints), maxNpyDims)
	}
	n := int64(1)
	limit := int64(math.MaxInt64) / int64(dt.size)
	h.shape = make([]int, len(sh.ints))
	for i, v := range sh.ints {
		if v < 0 {
			return fmt.Errorf("shape %v has a negative dimension", sh.ints)
		}
		h.shape[i] = int(v)
		if v != 0 && n > limit/v {
			// Overflow; the size check against the file would fail anyway,
			// but say so plainly. (A zero later on would make this legal,
			// so keep scanning for it.)
			n = -1
		}
		if n >= 0 {
			n *= v
		}
	}
	if n < 0 {
		for _, v := range sh.ints {
			if v == 0 {
				n = 0
			}
		}
		if n < 0 {
			return fmt.Errorf("shape %v has too many elements", sh.ints)
		}
	}
	if n > math.MaxInt {
		return fmt.Errorf("shape %v has too many elements", sh.ints)
	}
	h.n = int(n)
	return nil
}

// parseDescr accepts the plain numeric dtypes we can hold.
func parseDescr(s string) (npyDType, error) {
	if len(s) < 3 {
		return npyDType{}, fmt.Errorf("unsupported dtype %q", s)
	}
	order, code := s[0], s[1:]
	var dt npyDType
	switch code {
	case "f4", "f8", "i2", "i4", "i8", "u2", "u4", "u8":
		dt.kind = code[0]
		dt.size = int(code[1] - '0')
	case "u1", "i1", "b1":
		dt.kind = code[0]
		dt.size = 1
	case "f2":
		return dt, fmt.Errorf("unsupported dtype %q (float16): convert with .astype(np.float32)", s)
	default:
		return dt, fmt.Errorf("unsupported dtype %q: want a float32, float64, uint8 or integer array", s)
	}
	switch order {
	case '<', '=':
		// '=' is native order; every platform we build for is little-endian.
		dt.bo = binary.LittleEndian
		order = '<'
	case '>':
		dt.bo = binary.BigEndian
	case '|':
		if dt.size != 1 {
			return dt, fmt.Errorf("dtype %q: '|' byte order is only valid for 1-byte types", s)
		}
	default:
		return dt, fmt.Errorf("unsupported dtype %q: bad byte order %q", s, order)
	}
	if dt.size == 1 {
		order = '|'
		dt.bo = nil
	}
	dt.descr = string(order) + code
	return dt, nil
}

// writeNpyHeader writes a format 1.0 header (2.0 when the dictionary
// exceeds 65535 bytes), padded with spaces and a newline so that the data
// starts at a multiple of 64 bytes, as numpy does.
func writeNpyHeader(w *bytes.Buffer, descr string, shape []int) {
	var sb strings.Builder
	sb.WriteString("{'descr': '")
	sb.WriteString(descr)
	sb.WriteString("', 'fortran_order': False, 'shape': (")
	for i, v := range shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(v))
	}
	if len(shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString("), }")
	dict := sb.String()
	pre := 10
	if len(dict)+1+pre+63 > math.MaxUint16 {
		pre = 12
	}
	total := (pre + len(dict) + 1 + 63) / 64 * 64
	pad := total - pre - len(dict) - 1
	hlen := len(dict) + pad + 1
	w.Write(npyMagic)
	if pre == 10 {
		w.Write([]byte{1, 0})
		binary.Write(w, binary.LittleEndian, uint16(hlen))
	} else {
		w.Write([]byte{2, 0})
		binary.Write(w, binary.LittleEndian, uint32(hlen))
	}
	w.WriteString(dict)
	w.WriteString(strings.Repeat(" ", pad))
	w.WriteByte('\n')
}

// WriteNpy writes data with the given shape as a C-ordered .npy file
// (format 1.0, little-endian, data aligned to 64 bytes as numpy writes it),
// atomically via fsutil.WriteFile: an existing path is kept unless force is
// set. data must be []float32, []float64, []uint8 or []int64 holding
// exactly the product of shape elements; an empty shape writes a scalar
// (one element).
//
// The elements are encoded here with encoding/binary rather than by
// npyio's Write, whose per-element type discovery costs about 0.3 µs per
// value (1.2 s of CPU for five 784,000-value arrays, measured with
// BenchmarkWriteNpy's profile), far too slow for activation matrices of
// tens of millions of values. The files read back through npyio and match
// numpy's own bytes (TestNpyReference).
func WriteNpy(path string, force bool, shape []int, data any) error {
	n := 1
	for _, v := range shape {
		if v < 0 {
			return fmt.Errorf("writing %s: negative dimension in shape %v", path, shape)
		}
		if v != 0 && n > math.MaxInt/v {
			return fmt.Errorf("writing %s: shape %v is too large", path, shape)
		}
		n *= v
	}
	var descr string
	var length int
	switch d := data.(type) {
	case []float32:
		descr, length = "<f4", len(d)
	case []float64:
		descr, length = "<f8", len(d)
	case []uint8:
		descr, length = "|u1", len(d)
	case []int64:
		descr, length = "<i8", len(d)
	default:
		return fmt.Errorf("writing %s: unsupported data type %T (want []float32, []float64, []uint8 or []int64)", path, data)
	}
	if length != n {
		return fmt.Errorf("writing %s: %d elements do not match shape %v (%d elements)", path, length, shape, n)
	}
	return fsutil.WriteFile(path, force, func(w io.Writer) error {
		var hdr bytes.Buffer
		writeNpyHeader(&hdr, descr, shape)
		if _, err := w.Write(hdr.Bytes()); err != nil {
			return err
		}
		return writeLE(w, data)
	})
}

// writeLE writes the elements of data little-endian, in chunks of 8192
// elements.
func writeLE(w io.Writer, data any) error {
	switch d := data.(type) {
	case []uint8:
		_, err := w.Write(d)
		return err
	case []float32:
		return writeChunks(w, d, 4, func(b []byte, v float32) { binary.LittleEndian.PutUint32(b, math.Float32bits(v)) })
	case []float64:
		return writeChunks(w, d, 8, func(b []byte, v float64) { binary.LittleEndian.PutUint64(b, math.Float64bits(v)) })
	case []int64:
		return writeChunks(w, d, 8, func(b []byte, v int64) { binary.LittleEndian.PutUint64(b, uint64(v)) })
	}
	return fmt.Errorf("unsupported data type %T", data)
}

func writeChunks[T any](w io.Writer, d []T, size int, put func([]byte, T)) error {
	const chunk = 1 << 13
	buf := make([]byte, chunk*size)
	for start := 0; start < len(d); start += chunk {
		part := d[start:min(start+chunk, len(d))]
		b := buf[:len(part)*size]
		for i, v := range part {
			put(b[i*size:], v)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
