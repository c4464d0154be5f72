package onnxio

import (
	"errors"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

func TestLayersPartial(t *testing.T) {
	// tiny_cnn with the Relu replaced by an operator inference has no rule
	// for: the Conv keeps its shape, later tensors are unknown, and the
	// error names the node.
	mp := tinyCNN()
	mp.Graph.Node[1].OpType = "MysteryOp"
	m, err := Decode(encodeT(t, mp))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := Layers(m, map[string][]int64{"input": {2, 1, 6, 6}})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Node != "/Relu" || ue.Op != "MysteryOp" || !strings.Contains(err.Error(), "no shape rule") {
		t.Fatalf("error %v, want UnsupportedError for node /Relu", err)
	}
	if len(layers) != 7 || !equalSlices(layers[0].Shape, []int64{2, 2, 6, 6}) || layers[1].Shape != nil || layers[5].Shape != nil {
		t.Errorf("layers %+v", layers)
	}
	if layers[0].Params != 20 || layers[5].Params != 57 || m.TotalParams() != 77 {
		t.Errorf("params %d %d total %d; want 2×9+2=20, 3×18+3=57, 77", layers[0].Params, layers[5].Params, m.TotalParams())
	}
	// A declared value_info shape stands in for a missing rule.
	mp.Graph.ValueInfo = []*onnxpb.ValueInfoProto{valueInfo("/Relu_output_0", Float, []int64{-1, 2, 6, 6})}
	m, err = Decode(encodeT(t, mp))
	if err != nil {
		t.Fatal(err)
	}
	shapes, err := InferShapes(m, map[string][]int64{"input": {2, 1, 6, 6}})
	if err != nil || !equalSlices(shapes["log_probs"], []int64{-1, 3}) || !equalSlices(shapes["/MaxPool_output_0"], []int64{-1, 2, 3, 3}) {
		t.Errorf("with value_info: %v %v", shapes, err)
	}
}

func TestShapeText(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []int64
	}{
		{"1,1,28,28", []int64{1, 1, 28, 28}}, {"[N, 3, 224, 224]", []int64{-1, 3, 224, 224}},
		{"-1×10", []int64{-1, 10}}, {"", []int64{}},
	} {
		got, err := ParseShape(c.in)
		if err != nil || !equalSlices(got, c.want) {
			t.Errorf("ParseShape(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"1,a", "1,-2", "1x28"} {
		if _, err := ParseShape(bad); err == nil {
			t.Errorf("ParseShape(%q) accepted", bad)
		}
	}
	if s := FormatShape([]int64{-1, 10, -1}); s != "[N,10,?]" {
		t.Errorf("FormatShape = %s", s)
	}
	if s := FormatShape(nil); s != "?" {
		t.Errorf("FormatShape(nil) = %s", s)
	}
}
