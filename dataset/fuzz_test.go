package dataset

import (
	"os"
	"path/filepath"
	"testing"
)

// addSeeds adds every file matching pattern under testdata as a fuzz seed.
func addSeeds(f *testing.F, pattern string) {
	f.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files %s: %v", pattern, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// FuzzDecodeNpy checks that arbitrary bytes never panic or allocate beyond
// the input, and that accepted arrays are self-consistent.
func FuzzDecodeNpy(f *testing.F) {
	addSeeds(f, "npy/*.npy")
	addSeeds(f, "numpy/*.npy")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeNpy(b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if a.Len() != n {
			t.Fatalf("shape %v but %d elements", a.Shape, a.Len())
		}
		if n > len(b) {
			t.Fatalf("%d elements from %d bytes", n, len(b))
		}
		set := 0
		for _, ok := range []bool{a.F32 != nil, a.F64 != nil, a.U8 != nil, a.I64 != nil} {
			if ok {
				set++
			}
		}
		if set > 1 {
			t.Fatalf("%d data slices set", set)
		}
	})
}

// FuzzDecodeIDX checks that arbitrary bytes, raw or gzip, never panic or
// allocate far beyond what the input can hold, and that accepted arrays are
// self-consistent.
func FuzzDecodeIDX(f *testing.F) {
	addSeeds(f, "idx/*")
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeIDX(b)
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if a.Len() != n {
			t.Fatalf("shape %v but %d elements", a.Shape, a.Len())
		}
		if n > len(b)*maxDeflateGain {
			t.Fatalf("%d elements from %d bytes", n, len(b))
		}
	})
}
