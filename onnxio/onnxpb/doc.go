// Package onnxpb holds the Go types of the ONNX protobuf schema (ModelProto,
// GraphProto, NodeProto, TensorProto, …), generated from onnx.proto.
//
// Only package onnxio should import it; everything else goes through onnxio.
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto
