package onnxio

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzDecode feeds arbitrary bytes to Decode. Whatever the input, Decode
// must return a model or an error without panicking; a model it accepts
// must encode and decode back to an equal proto. (Shapes and the layer
// listing are the engine's: engine.FuzzShapes and the engine's fuzzers.)
//
//	go test -run XXX -fuzz FuzzDecode -fuzztime 5m ./onnxio/
func FuzzDecode(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.onnx"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seed models in testdata: %v", err)
	}
	for _, p := range seeds {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		f.Add(data[:len(data)/2])
	}
	f.Add([]byte{})
	f.Add([]byte("\x08\x07\x3a\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if m != nil {
				t.Fatal("Decode returned a model and an error")
			}
			return
		}
		out, err := encode(m.proto)
		if err != nil {
			t.Fatalf("Encode of a decoded model: %v", err)
		}
		m2, err := Decode(out)
		if err != nil {
			t.Fatalf("re-encoded model does not decode: %v", err)
		}
		if !proto.Equal(m.proto, m2.proto) {
			t.Fatal("Encode/Decode round trip differs")
		}
	})
}
