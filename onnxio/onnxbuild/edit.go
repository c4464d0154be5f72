package onnxbuild

import (
	"reflect"
	"slices"

	"google.golang.org/protobuf/proto"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/internal/onnxpb"
)

// EditInputs rewrites the inputs an encoded model declares, for tests that
// change a real model's declared shapes: edit sees each graph input of
// tensor type as a Value (a dim without value or dim_param reads as -1 with
// param ""), and the inputs it changes are written back as Value describes
// them. The rest of the model is re-encoded unchanged; nothing is
// validated.
func EditInputs(data []byte, edit func(v *Value)) ([]byte, error) {
	return editModel(data, func(mp *onnxpb.ModelProto) error {
		editInputs(mp, edit)
		return nil
	})
}

func editInputs(mp *onnxpb.ModelProto, edit func(v *Value)) {
	for i, vi := range mp.GetGraph().GetInput() {
		tt := vi.GetType().GetTensorType()
		if tt == nil {
			continue
		}
		v := &Value{Name: vi.GetName(), DType: onnxio.DType(tt.GetElemType()), NoShape: tt.GetShape() == nil}
		for _, d := range tt.GetShape().GetDim() {
			if dv, ok := d.GetValue().(*onnxpb.TensorShapeProto_Dimension_DimValue); ok {
				v.Dims = append(v.Dims, dv.DimValue)
			} else {
				v.Dims = append(v.Dims, -1)
			}
			v.Params = append(v.Params, d.GetDimParam())
		}
		before := *v
		before.Dims, before.Params = slices.Clone(v.Dims), slices.Clone(v.Params)
		edit(v)
		if !reflect.DeepEqual(&before, v) {
			mp.Graph.Input[i] = v.proto()
		}
	}
}

// EditOpType sets the op type of the node named node in an encoded model,
// for tests that turn a real model into one with an operator conceptcells
// does not run. The rest of the model is re-encoded unchanged; nothing is
// validated.
func EditOpType(data []byte, node, op string) ([]byte, error) {
	return editModel(data, func(mp *onnxpb.ModelProto) error {
		for _, n := range mp.GetGraph().GetNode() {
			if n.GetName() == node {
				n.OpType = op
				return nil
			}
		}
		return &onnxio.FormatError{Stage: "editing model", Node: node, Msg: "no node of that name"}
	})
}

// editModel decodes an encoded model, applies edit and re-encodes it
// deterministically; nothing is validated.
func editModel(data []byte, edit func(mp *onnxpb.ModelProto) error) ([]byte, error) {
	mp := new(onnxpb.ModelProto)
	if err := proto.Unmarshal(data, mp); err != nil {
		return nil, &onnxio.FormatError{Stage: "parsing model", Msg: "not an ONNX protobuf", Err: err}
	}
	if err := edit(mp); err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(mp)
}
