package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// IDX limits: no real IDX file has more than a few dimensions, and deflate
// cannot expand data by more than 1032:1, which bounds what a gzip file of a
// given size can honestly hold.
const (
	maxIDXDims     = 8
	maxIDXBytes    = 1 << 32 // 4 GiB of element data
	maxDeflateGain = 1032
)

// ReadIDX reads an IDX file (the format of the MNIST and Fashion-MNIST
// distributions; LeCun et al., http://yann.lecun.com/exdb/mnist/), raw or
// gzip-compressed (detected by the gzip magic 1f 8b). The header is two zero
// bytes, a type code, the number of dimensions d, then d big-endian uint32
// sizes; the data follows in C order, big-endian. Type codes 0x08 (uint8)
// gives a "uint8" Array, 0x09/0x0B/0x0C (int8/int16/int32) give "int64",
// 0x0D float32 and 0x0E float64.
//
// The declared size must match the data exactly: short data, trailing bytes
// (or, for gzip, trailing compressed members) and sizes that the file cannot
// possibly hold are errors naming path, and nothing is allocated for a size
// before it is checked against the file.
func ReadIDX(path string) (*Array, error) {
	return readRegular(path, decodeIDX)
}

// idxShape returns the shape an IDX file (raw or gzip) held in memory
// declares, reading only its header.
func idxShape(data []byte) ([]int, error) {
	var src io.Reader = bytes.NewReader(data)
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, fmt.Errorf("%w: bad gzip stream: %v", ErrFormat, err)
		}
		src = zr
	}
	var hdr [4]byte
	if _, err := io.ReadFull(src, hdr[:]); err != nil || hdr[0] != 0 || hdr[1] != 0 || hdr[3] == 0 || hdr[3] > maxIDXDims {
		return nil, fmt.Errorf("%w: not an IDX file", ErrFormat)
	}
	dims := make([]byte, 4*int(hdr[3]))
	if _, err := io.ReadFull(src, dims); err != nil {
		return nil, fmt.Errorf("%w: IDX header truncated", ErrFormat)
	}
	shape := make([]int, hdr[3])
	for i := range shape {
		shape[i] = int(binary.BigEndian.Uint32(dims[4*i:]))
	}
	return shape, nil
}

// DecodeIDX decodes a whole IDX file (raw or gzip) held in memory, with the
// same checks as ReadIDX.
func DecodeIDX(data []byte) (*Array, error) {
	return decodeIDX(bytes.NewReader(data), int64(len(data)))
}

func decodeIDX(r io.Reader, size int64) (*Array, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(2)
	var src io.Reader = br
	maxData := size // raw: the data cannot exceed the file
	compressed := len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b
	if compressed {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: bad gzip stream: %v", ErrFormat, err)
		}
		zr.Multistream(false)
		src = zr
		maxData = size * maxDeflateGain
	}
	var hdr [4]byte
	if _, err := io.ReadFull(src, hdr[:]); err != nil {
		return nil, fmt.Errorf("%w: not an IDX file: too short for the magic (%v)", ErrFormat, err)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("%w: not an IDX file: magic %02x %02x %02x %02x does not start with 00 00", ErrFormat, hdr[0], hdr[1], hdr[2], hdr[3])
	}
	var esize int
	var dtype string
	switch hdr[2] {
	case 0x08:
		esize, dtype = 1, "uint8"
	case 0x09:
		esize, dtype = 1, "int64"
	case 0x0B:
		esize, dtype = 2, "int64"
	case 0x0C:
		esize, dtype = 4, "int64"
	case 0x0D:
		esize, dtype = 4, "float32"
	case 0x0E:
		esize, dtype = 8, "float64"
	default:
		return nil, fmt.Errorf("%w: IDX type code 0x%02x is not one of 08 09 0b 0c 0d 0e", ErrFormat, hdr[2])
	}
	nd := int(hdr[3])
	if nd == 0 || nd > maxIDXDims {
		return nil, fmt.Errorf("%w: IDX file declares %d dimensions (want 1..%d)", ErrFormat, nd, maxIDXDims)
	}
	dims := make([]byte, 4*nd)
	if _, err := io.ReadFull(src, dims); err != nil {
		return nil, fmt.Errorf("%w: IDX header truncated: %d dimensions need %d bytes: %v", ErrFormat, nd, 4*nd, err)
	}
	shape := make([]int, nd)
	zero := false
	for i := range nd {
		shape[i] = int(binary.BigEndian.Uint32(dims[4*i:]))
		zero = zero || shape[i] == 0
	}
	n := int64(1)
	if zero {
		n = 0
	}
	for i := 0; i < nd && n > 0; i++ {
		// Compare by division so the product never overflows.
		if d := int64(shape[i]); n > maxIDXBytes/int64(esize)/d {
			return nil, fmt.Errorf("%w: IDX shape %v is larger than the %d-byte limit", ErrFormat, shape, int64(maxIDXBytes))
		}
		n *= int64(shape[i])
	}
	want := n * int64(esize)
	if want > maxData-int64(4+4*nd) && !compressed {
		return nil, fmt.Errorf("%w: IDX data is short: shape %v needs %d bytes after the %d-byte header, file has %d",
			ErrFormat, shape, want, 4+4*nd, size-int64(4+4*nd))
	}
	if compressed && want > maxData {
		return nil, fmt.Errorf("%w: IDX shape %v needs %d bytes, more than a %d-byte gzip file can hold", ErrFormat, shape, want, size)
	}
	raw := make([]byte, want)
	if got, err := io.ReadFull(src, raw); err != nil {
		return nil, fmt.Errorf("%w: IDX data is short: shape %v needs %d bytes, got %d (%v)", ErrFormat, shape, want, got, err)
	}
	// Nothing may follow the data.
	var extra [1]byte
	if k, err := io.ReadFull(src, extra[:]); k != 0 {
		return nil, fmt.Errorf("%w: IDX file has trailing bytes after the data of shape %v", ErrFormat, shape)
	} else if err != io.EOF {
		// For gzip this is where a CRC or length mismatch shows up.
		return nil, fmt.Errorf("%w: after the IDX data: %v", ErrFormat, err)
	}
	if compressed {
		if _, err := br.Peek(1); err == nil {
			return nil, fmt.Errorf("%w: trailing data after the gzip stream", ErrFormat)
		}
	}
	a := &Array{Shape: shape, DType: dtype}
	switch hdr[2] {
	case 0x08:
		a.U8 = raw
	case 0x09:
		a.I64 = make([]int64, n)
		for i, b := range raw {
			a.I64[i] = int64(int8(b))
		}
	case 0x0B:
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(int16(binary.BigEndian.Uint16(raw[2*i:])))
		}
	case 0x0C:
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			a.I64[i] = int64(int32(binary.BigEndian.Uint32(raw[4*i:])))
		}
	case 0x0D:
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = math.Float32frombits(binary.BigEndian.Uint32(raw[4*i:]))
		}
	case 0x0E:
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = math.Float64frombits(binary.BigEndian.Uint64(raw[8*i:]))
		}
	}
	return a, nil
}
