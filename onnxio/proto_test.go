package onnxio

import (
	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// Helpers for the tests of package onnxio, which build models from the
// protobuf types directly (other packages use package onnxbuild).

// NewNode returns a node of the default domain.
func NewNode(op, name string, inputs, outputs []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{OpType: op, Name: name, Input: inputs, Output: outputs, Attribute: attrs}
}

// AttrInt returns an INT attribute.
func AttrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

// AttrInts returns an INTS attribute.
func AttrInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

// AttrFloat returns a FLOAT attribute.
func AttrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: v}
}

// AttrFloats returns a FLOATS attribute.
func AttrFloats(name string, v ...float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOATS, Floats: v}
}

// AttrString returns a STRING attribute.
func AttrString(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}

// AttrTensor returns a TENSOR attribute.
func AttrTensor(name string, t *onnxpb.TensorProto) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_TENSOR, T: t}
}

// valueInfo describes a tensor value of type dt. A negative dim is written
// as the symbolic dimension named by the matching entry of params ("N" if
// params is short).
func valueInfo(name string, dt DType, dims []int64, params ...string) *onnxpb.ValueInfoProto {
	shape := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{}}
	for i, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		if d >= 0 {
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}
		} else {
			p := "N"
			if i < len(params) && params[i] != "" {
				p = params[i]
			}
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: p}
		}
		shape.Dim = append(shape.Dim, dim)
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: int32(dt), Shape: shape},
	}}}
}

// FloatTensor returns a float32 TensorProto with raw_data.
func FloatTensor(name string, dims []int64, data []float32) *onnxpb.TensorProto {
	tp, err := (&Tensor{Name: name, DType: Float, Dims: dims, F32: data}).tensorProto()
	if err != nil {
		// Only a length mismatch gets here; keep the data typed so that
		// validation reports it with the tensor's name.
		return &onnxpb.TensorProto{Name: name, DataType: int32(Float), Dims: dims, FloatData: data}
	}
	return tp
}

// Int64Tensor returns an int64 TensorProto with raw_data.
func Int64Tensor(name string, dims []int64, data []int64) *onnxpb.TensorProto {
	tp, err := (&Tensor{Name: name, DType: Int64, Dims: dims, I64: data}).tensorProto()
	if err != nil {
		return &onnxpb.TensorProto{Name: name, DataType: int32(Int64), Dims: dims, Int64Data: data}
	}
	return tp
}

// NewModel wraps a graph in a ModelProto of IR version 8 importing the
// default domain at opset.
func NewModel(g *onnxpb.GraphProto, opset int64, producer string) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:    8,
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: "", Version: opset}},
		ProducerName: producer,
		Graph:        g,
	}
}

// tensorProto encodes t as a TensorProto with raw_data (see RawData).
func (t *Tensor) tensorProto() (*onnxpb.TensorProto, error) {
	raw, err := t.RawData()
	if err != nil {
		return nil, err
	}
	return &onnxpb.TensorProto{Name: t.Name, DataType: int32(t.DType), Dims: append([]int64{}, t.Dims...), RawData: raw}, nil
}

// encode serializes mp deterministically, as package onnxbuild does.
func encode(mp *onnxpb.ModelProto) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(mp)
}

// fromProtoDir validates mp, with external data resolved in dir.
func fromProtoDir(mp *onnxpb.ModelProto, dir string) (*Model, error) {
	return fromProto(mp, dir, LoadOptions{})
}
