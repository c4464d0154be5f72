package onnxio

import (
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"
)

// FuzzDecode feeds arbitrary bytes to Decode. Whatever the input, Decode
// must return a model or an error without panicking; a model it accepts
// must survive shape inference and layer listing without panicking, and
// must encode and decode back to an equal proto.
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
		_, _ = InferShapes(m, nil)
		_, _ = Layers(m, nil)
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

// FuzzInferShapes runs shape inference on testdata/tiny_dyn.onnx with
// hostile attribute values, Reshape targets and input shapes. Inference
// must return shapes or an error, never panic; when it succeeds with a
// concrete input, the Reshape keeps the element count of its input.
//
//	go test -run XXX -fuzz FuzzInferShapes -fuzztime 1m ./onnxio/
func FuzzInferShapes(f *testing.F) {
	f.Add(int64(3), int64(2), int64(1), int64(2), int64(3), int64(2), int64(0), int64(-1), int64(2), int64(9), int64(9), int64(1))
	f.Add(int64(1), int64(1), int64(0), int64(1), int64(1), int64(1), int64(-1), int64(16), int64(-1), int64(5), int64(7), int64(0))
	f.Fuzz(func(t *testing.T, k, stride, pad, dil, pk, ps, r0, r1, batch, h, w, ceil int64) {
		mp := tinyDyn()
		g := mp.Graph
		g.Node[0].Attribute = append(g.Node[0].Attribute[:0], AttrInts("strides", stride, stride), AttrInts("pads", pad, pad, pad, pad), AttrInts("dilations", dil, dil))
		g.Node[1].Attribute = append(g.Node[1].Attribute[:0], AttrInts("kernel_shape", pk, pk), AttrInts("strides", ps, ps), AttrInt("ceil_mode", ceil))
		g.Initializer[0] = FloatTensor("w", []int64{4, 3, min(max(k, 0), 5), min(max(k, 0), 5)}, make([]float32, 4*3*min(max(k, 0), 5)*min(max(k, 0), 5)))
		// Reshape to [r0, r1] instead of the Shape-derived target.
		g.Initializer = append(g.Initializer, Int64Tensor("target", []int64{2}, []int64{r0, r1}))
		g.Node[7].Input[1] = "target"
		m, err := Decode(encodeT(t, mp))
		if err != nil {
			return
		}
		shapes, err := InferShapes(m, map[string][]int64{"x": {batch, 3, h, w}})
		if err != nil {
			return
		}
		in, out := shapes["t"], shapes["r"]
		if shapeLen(in) >= 0 && shapeLen(out) >= 0 && shapeLen(in) != shapeLen(out) {
			t.Fatalf("Reshape %v -> %v changes the element count", in, out)
		}
	})
}
