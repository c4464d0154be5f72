package onnxio

import "fmt"

// DType is an ONNX tensor element type, numbered as TensorProto.DataType.
type DType int32

// The ONNX element types (TensorProto.DataType of the ONNX IR specification).
const (
	Undefined  DType = 0
	Float      DType = 1
	Uint8      DType = 2
	Int8       DType = 3
	Uint16     DType = 4
	Int16      DType = 5
	Int32      DType = 6
	Int64      DType = 7
	String     DType = 8
	Bool       DType = 9
	Float16    DType = 10
	Double     DType = 11
	Uint32     DType = 12
	Uint64     DType = 13
	Complex64  DType = 14
	Complex128 DType = 15
	BFloat16   DType = 16
	// Float8E4M3FN..Float4E2M1 exist in the specification (IR 9–11) but
	// conceptcells does not decode them.
	Float8E4M3FN   DType = 17
	Float8E4M3FNUZ DType = 18
	Float8E5M2     DType = 19
	Float8E5M2FNUZ DType = 20
	Uint4          DType = 21
	Int4           DType = 22
	Float4E2M1     DType = 23
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Double: "float64",
	Uint32: "uint32", Uint64: "uint64", Complex64: "complex64",
	Complex128: "complex128", BFloat16: "bfloat16",
	Float8E4M3FN: "float8e4m3fn", Float8E4M3FNUZ: "float8e4m3fnuz",
	Float8E5M2: "float8e5m2", Float8E5M2FNUZ: "float8e5m2fnuz",
	Uint4: "uint4", Int4: "int4", Float4E2M1: "float4e2m1",
}

// String returns the NumPy-style name of d ("float32", "int64", …).
func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// Size returns the bytes per element of d in raw_data, or 0 for types
// conceptcells does not decode (string, complex, float8, 4-bit).
func (d DType) Size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16, Float16, BFloat16:
		return 2
	case Float, Int32, Uint32:
		return 4
	case Int64, Uint64, Double:
		return 8
	}
	return 0
}

// IsFloat reports whether d is a floating point type decoded into F32 or F64.
func (d DType) IsFloat() bool {
	return d == Float || d == Float16 || d == BFloat16 || d == Double
}

// Known reports whether d is one of the types of the specification.
func (d DType) Known() bool {
	_, ok := dtypeNames[d]
	return ok && d != Undefined
}
