// Package onnxio is the one package of conceptcells that knows the ONNX file
// format: it reads, validates, inspects and writes ONNX models.
//
// Load (or Decode, DecodeIn) parses a model and validates it: the graph must
// sort topologically, every node input must be defined, initializer sizes
// must match their dims, and opset imports are recorded. The result is a
// Model seen through read-only views built once at load: its Nodes (name,
// op type, domain, inputs, outputs and typed Attributes) in topological
// order, its Inputs and Outputs as ValueInfo (name, element type, dims and
// dim params), and its initializers decoded into Tensors (raw little-endian
// data, the typed fields, float16/bfloat16, and external data confined to the
// model's folder). ReadTensorFile reads the standalone .pb files of the ONNX
// test data.
//
// The protobuf types (package onnxio/internal/onnxpb, generated from
// onnx.proto) are internal to onnxio: no other package sees them. Models are
// written with package onnxio/onnxbuild, which describes them with plain Go
// values and validates them by decoding them here. ValueType, FormatDims and
// ParseShape carry shapes as users write and read them; the shapes of a
// model's tensors come from the engine (engine.InferTypes, engine.Layers),
// which owns the operators' semantics.
//
// Errors are *FormatError for malformed input and *UnsupportedError for
// valid features conceptcells does not handle; both name the stage, and the
// node, tensor or attribute involved.
//
// Reference: the ONNX IR specification (docs/IR.md) and operator
// specification (docs/Operators.md) of the ONNX project.
package onnxio
