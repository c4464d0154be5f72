package onnxio

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// A model whose producer, metadata and a node name hold bytes that are not
// UTF-8 (valid in ONNX's proto2 schema; onnx.load reads it) loads, with the
// bytes escaped.
func TestNonUTF8Strings(t *testing.T) {
	g := &onnxpb.GraphProto{Name: "g",
		Input:  []*onnxpb.ValueInfoProto{valueInfo("x", Float, []int64{1})},
		Node:   []*onnxpb.NodeProto{NewNode("Relu", "PLACEHOLDER_NODE", []string{"x"}, []string{"y"})},
		Output: []*onnxpb.ValueInfoProto{valueInfo("y", Float, []int64{1})}}
	mp := NewModel(g, 13, "PLACEHOLDER_PROD")
	mp.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: "author", Value: "PLACEHOLDER_META"}}
	b, err := encode(mp)
	if err != nil {
		t.Fatal(err)
	}
	// Swap in Latin-1 bytes of the same lengths.
	s := string(b)
	s = strings.Replace(s, "PLACEHOLDER_NODE", "n\xe9ud_\xff__________", 1)
	s = strings.Replace(s, "PLACEHOLDER_PROD", "caf\xe9____________", 1)
	s = strings.Replace(s, "PLACEHOLDER_META", "Ren\xe9 Fran\xe7ois___", 1)
	m, err := Decode([]byte(s))
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if got := m.Nodes[0].Name(); got != `n\xe9ud_\xff__________` {
		t.Errorf("node name %q", got)
	}
	if got := m.proto.GetProducerName(); got != `caf\xe9____________` {
		t.Errorf("producer %q", got)
	}
	if got := m.proto.GetMetadataProps()[0].GetValue(); got != `Ren\xe9 Fran\xe7ois___` {
		t.Errorf("metadata %q", got)
	}
	// Garbage is still refused.
	if _, err := Decode(protowire.AppendTag(nil, 7, protowire.BytesType)); err == nil {
		t.Error("a truncated message decoded")
	}
}
