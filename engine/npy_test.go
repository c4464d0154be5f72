package engine

import (
	"bytes"
	le "encoding/binary"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// readNpy is a minimal reader of little-endian C-order float32/int64 .npy
// files for tests (the dataset package owns the real reader).
func readNpy(path string) (*Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 10 || string(b[1:6]) != "NUMPY" {
		return nil, fmt.Errorf("%s: not an npy file", path)
	}
	var hlen, off int
	if b[6] == 1 {
		hlen, off = int(le.LittleEndian.Uint16(b[8:10])), 10
	} else {
		hlen, off = int(le.LittleEndian.Uint32(b[8:12])), 12
	}
	hdr := string(b[off : off+hlen])
	data := b[off+hlen:]
	if strings.Contains(hdr, "'fortran_order': True") {
		return nil, fmt.Errorf("%s: Fortran order", path)
	}
	m := regexp.MustCompile(`'shape': \(([^)]*)\)`).FindStringSubmatch(hdr)
	if m == nil {
		return nil, fmt.Errorf("%s: no shape in header %q", path, hdr)
	}
	var shape []int
	for _, s := range strings.Split(m[1], ",") {
		if s = strings.TrimSpace(s); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return nil, err
			}
			shape = append(shape, v)
		}
	}
	n := numel(shape)
	switch {
	case strings.Contains(hdr, "'<f4'"):
		f := make([]float32, n)
		if err := le.Read(bytes.NewReader(data), le.LittleEndian, f); err != nil {
			return nil, err
		}
		return NewFloat(shape, f), nil
	case strings.Contains(hdr, "'<i8'"):
		v := make([]int64, n)
		if err := le.Read(bytes.NewReader(data), le.LittleEndian, v); err != nil {
			return nil, err
		}
		return NewInt(shape, v), nil
	}
	return nil, fmt.Errorf("%s: unsupported dtype in %q", path, hdr)
}
