// Package onnxbuild writes ONNX models described with plain Go values: a
// Model holds a Graph of Nodes (with Attrs), initializer Tensors and the
// Values declaring its inputs and outputs. Encode serializes it, Build
// validates it and returns it as package onnxio reads it, and Save writes
// it to a file.
//
// It is how the trainer exports its model and how tests outside onnxio
// build models, deliberately malformed ones included: nothing is checked
// until Build or Save, and fields the protobuf schema allows but onnxio
// refuses (an unknown attribute type, a data length that does not match
// the dims, external data outside the model's folder) are written as given.
// The protobuf types stay internal to onnxio.
package onnxbuild

import (
	"fmt"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// Model is an ONNX model to write.
type Model struct {
	IRVersion       int64
	Opsets          []Opset
	ProducerName    string
	ProducerVersion string
	DocString       string
	Metadata        []onnxio.KeyValue // metadata_props, in order
	Graph           *Graph            // nil writes a model without a graph
}

// Opset is an operator set import; Domain "" is the default domain.
type Opset struct {
	Domain  string
	Version int64
}

// Graph is the model's graph. Nodes are written in the order given (onnxio
// sorts them topologically when it reads the model). Nil entries of its
// slices (and of a Node's Attrs) are left out.
type Graph struct {
	Name         string
	DocString    string
	Nodes        []*Node
	Initializers []*Tensor
	Inputs       []*Value
	Outputs      []*Value
	ValueInfo    []*Value // shapes declared for intermediate tensors
}

// Node is one graph node. "" in Inputs or Outputs is an omitted optional
// one.
type Node struct {
	OpType  string
	Name    string
	Domain  string
	Inputs  []string
	Outputs []string
	Attrs   []*Attr
}

// AttrType is the type of an attribute, numbered as in the ONNX schema.
type AttrType int32

// Attribute types. TypeUndefined leaves the type unset, as IR 1 files do.
const (
	TypeUndefined AttrType = 0
	TypeFloat     AttrType = 1
	TypeInt       AttrType = 2
	TypeString    AttrType = 3
	TypeTensor    AttrType = 4
	TypeFloats    AttrType = 6
	TypeInts      AttrType = 7
	TypeStrings   AttrType = 8
)

// Attr is a node attribute: Type says which value field is written (all
// set fields are written, whatever Type says).
type Attr struct {
	Name    string
	Type    AttrType
	Float   float32
	Int     int64
	String  string
	Tensor  *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// Tensor is an initializer or tensor attribute. Its data is written from
// the first of these that is set:
//
//   - External: the data lives in another file (data_location EXTERNAL);
//     the entries are its external_data (location, offset, length);
//   - Raw: written as raw_data as is;
//   - F32 or I64: written as little-endian raw_data in DType (see
//     onnxio.Tensor.RawData) when their length matches Dims; otherwise kept
//     in the typed field (float_data or int64_data), so that reading the
//     model reports the mismatch with the tensor's name.
type Tensor struct {
	Name     string
	DType    onnxio.DType
	Dims     []int64
	F32      []float32
	I64      []int64
	Raw      []byte
	External []onnxio.KeyValue
}

// Value declares a graph input, output or intermediate tensor: a tensor of
// element type DType with shape Dims, where a negative dim is the symbolic
// dimension named by the matching entry of Params ("N" if Params is short).
// NoShape writes the tensor type without a shape; DType Undefined (with
// NoShape) writes no type at all.
type Value struct {
	Name    string
	DType   onnxio.DType
	Dims    []int64
	Params  []string
	NoShape bool
}

// NewModel wraps g in a Model of IR version 8 importing the default domain
// at opset.
func NewModel(g *Graph, opset int64, producer string) *Model {
	return &Model{IRVersion: 8, Opsets: []Opset{{Domain: "", Version: opset}}, ProducerName: producer, Graph: g}
}

// NewNode returns a node of the default domain.
func NewNode(op, name string, inputs, outputs []string, attrs ...*Attr) *Node {
	return &Node{OpType: op, Name: name, Inputs: inputs, Outputs: outputs, Attrs: attrs}
}

// AttrInt returns an INT attribute.
func AttrInt(name string, v int64) *Attr { return &Attr{Name: name, Type: TypeInt, Int: v} }

// AttrInts returns an INTS attribute.
func AttrInts(name string, v ...int64) *Attr { return &Attr{Name: name, Type: TypeInts, Ints: v} }

// AttrFloat returns a FLOAT attribute.
func AttrFloat(name string, v float32) *Attr { return &Attr{Name: name, Type: TypeFloat, Float: v} }

// AttrFloats returns a FLOATS attribute.
func AttrFloats(name string, v ...float32) *Attr {
	return &Attr{Name: name, Type: TypeFloats, Floats: v}
}

// AttrString returns a STRING attribute.
func AttrString(name, v string) *Attr { return &Attr{Name: name, Type: TypeString, String: v} }

// AttrStrings returns a STRINGS attribute.
func AttrStrings(name string, v ...string) *Attr {
	return &Attr{Name: name, Type: TypeStrings, Strings: v}
}

// AttrTensor returns a TENSOR attribute.
func AttrTensor(name string, t *Tensor) *Attr { return &Attr{Name: name, Type: TypeTensor, Tensor: t} }

// ValueInfo declares a tensor of type dt and shape dims; a negative dim is
// the symbolic dimension named by the matching entry of params ("N" if
// params is short).
func ValueInfo(name string, dt onnxio.DType, dims []int64, params ...string) *Value {
	return &Value{Name: name, DType: dt, Dims: dims, Params: params}
}

// FloatTensor returns a float32 tensor.
func FloatTensor(name string, dims []int64, data []float32) *Tensor {
	return &Tensor{Name: name, DType: onnxio.Float, Dims: dims, F32: data}
}

// Int64Tensor returns an int64 tensor.
func Int64Tensor(name string, dims []int64, data []int64) *Tensor {
	return &Tensor{Name: name, DType: onnxio.Int64, Dims: dims, I64: data}
}

// Encode serializes m in the ONNX wire format, without validating it. The
// output is deterministic for a given m.
func (m *Model) Encode() ([]byte, error) {
	if m == nil {
		return nil, &onnxio.FormatError{Stage: "encoding model", Msg: "no model"}
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(m.proto())
	if err != nil {
		return nil, &onnxio.FormatError{Stage: "encoding model", Err: err}
	}
	if len(data) > onnxio.MaxModelBytes {
		return nil, &onnxio.FormatError{Stage: "encoding model", Msg: fmt.Sprintf("%d bytes, more than the 2 GiB a protobuf can hold", len(data))}
	}
	return data, nil
}

// Build encodes m and decodes it with onnxio.Decode, which validates it: the
// result is the model as onnxio reads it. Models with external data must be
// saved (see Save) and loaded with onnxio.Load.
func (m *Model) Build() (*onnxio.Model, error) {
	data, err := m.Encode()
	if err != nil {
		return nil, err
	}
	return onnxio.Decode(data)
}

// Save validates m as onnxio.Load would read it from path (external data
// resolved beside path), encodes it and writes it to path atomically
// (temporary file and rename). An existing file is replaced only with
// force.
func (m *Model) Save(path string, force bool) error {
	data, err := m.Encode()
	if err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	if _, err := onnxio.DecodeIn(data, filepath.Dir(path)); err != nil {
		return fmt.Errorf("saving %s: %w", path, err)
	}
	return fsutil.WriteBytes(path, force, data)
}

func (m *Model) proto() *onnxpb.ModelProto {
	mp := &onnxpb.ModelProto{
		IrVersion:       m.IRVersion,
		ProducerName:    m.ProducerName,
		ProducerVersion: m.ProducerVersion,
		DocString:       m.DocString,
		MetadataProps:   keyValues(m.Metadata),
	}
	for _, op := range m.Opsets {
		mp.OpsetImport = append(mp.OpsetImport, &onnxpb.OperatorSetIdProto{Domain: op.Domain, Version: op.Version})
	}
	if g := m.Graph; g != nil {
		gp := &onnxpb.GraphProto{Name: g.Name, DocString: g.DocString}
		for _, n := range g.Nodes {
			if n != nil {
				gp.Node = append(gp.Node, n.proto())
			}
		}
		for _, t := range g.Initializers {
			if t != nil {
				gp.Initializer = append(gp.Initializer, t.proto())
			}
		}
		gp.Input = values(g.Inputs)
		gp.Output = values(g.Outputs)
		gp.ValueInfo = values(g.ValueInfo)
		mp.Graph = gp
	}
	return mp
}

func keyValues(kvs []onnxio.KeyValue) []*onnxpb.StringStringEntryProto {
	var out []*onnxpb.StringStringEntryProto
	for _, kv := range kvs {
		out = append(out, &onnxpb.StringStringEntryProto{Key: kv.Key, Value: kv.Value})
	}
	return out
}

func (n *Node) proto() *onnxpb.NodeProto {
	np := &onnxpb.NodeProto{OpType: n.OpType, Name: n.Name, Domain: n.Domain, Input: n.Inputs, Output: n.Outputs}
	for _, a := range n.Attrs {
		if a != nil {
			np.Attribute = append(np.Attribute, a.proto())
		}
	}
	return np
}

func (a *Attr) proto() *onnxpb.AttributeProto {
	ap := &onnxpb.AttributeProto{Name: a.Name, Type: onnxpb.AttributeProto_AttributeType(a.Type),
		F: a.Float, I: a.Int, Floats: a.Floats, Ints: a.Ints}
	if a.String != "" {
		ap.S = []byte(a.String)
	}
	for _, s := range a.Strings {
		ap.Strings = append(ap.Strings, []byte(s))
	}
	if a.Tensor != nil {
		ap.T = a.Tensor.proto()
	}
	return ap
}

func (t *Tensor) proto() *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: t.Name, DataType: int32(t.DType), Dims: t.Dims}
	switch {
	case t.External != nil:
		tp.DataLocation = onnxpb.TensorProto_EXTERNAL
		tp.ExternalData = keyValues(t.External)
	case t.Raw != nil:
		tp.RawData = t.Raw
	default:
		raw, err := (&onnxio.Tensor{Name: t.Name, DType: t.DType, Dims: t.Dims, F32: t.F32, I64: t.I64}).RawData()
		if err == nil {
			tp.RawData = raw
		} else {
			tp.FloatData, tp.Int64Data = t.F32, t.I64
		}
	}
	return tp
}

func values(vs []*Value) []*onnxpb.ValueInfoProto {
	var out []*onnxpb.ValueInfoProto
	for _, v := range vs {
		if v != nil {
			out = append(out, v.proto())
		}
	}
	return out
}

func (v *Value) proto() *onnxpb.ValueInfoProto {
	vp := &onnxpb.ValueInfoProto{Name: v.Name}
	if v.DType == onnxio.Undefined && v.NoShape {
		return vp
	}
	tt := &onnxpb.TypeProto_Tensor{ElemType: int32(v.DType)}
	if !v.NoShape {
		tt.Shape = &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{}}
		for i, d := range v.Dims {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			if d >= 0 {
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
			} else {
				p := "N"
				if i < len(v.Params) && v.Params[i] != "" {
					p = v.Params[i]
				}
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: p}
			}
			tt.Shape.Dim = append(tt.Shape.Dim, dim)
		}
	}
	vp.Type = &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}}
	return vp
}
