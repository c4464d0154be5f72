// Package onnxpb holds the Go types of the ONNX protobuf schema (ModelProto,
// GraphProto, NodeProto, TensorProto, …), generated from onnx.proto.
//
// It is internal to onnxio: only packages under onnxio/ (onnxio itself and
// onnxio/onnxbuild) can import it, and everything else goes through their
// views and builders.
package onnxpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto
