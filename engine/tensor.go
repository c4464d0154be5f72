package engine

import (
	"fmt"
	"strconv"
	"strings"
)

// DType is the storage type of a Tensor.
type DType uint8

const (
	// Float32 tensors hold their values in Tensor.F.
	Float32 DType = iota
	// Int64 tensors hold their values in Tensor.I (integers and booleans).
	Int64
)

func (d DType) String() string {
	if d == Int64 {
		return "int64"
	}
	return "float32"
}

// Tensor is a dense row-major (C order) tensor. Exactly one of F and I is
// used, as DType says; len(F) or len(I) equals the product of Shape (1 for a
// scalar, whose Shape is empty).
type Tensor struct {
	Shape []int
	DType DType
	F     []float32
	I     []int64

	// buf is non-nil when the data came from the Program's buffer pool; it is
	// shared by tensors that alias the same data (Reshape, Identity, ...).
	buf *buffer
}

// NewFloat returns a float32 tensor of the given shape holding data (not
// copied). It panics if len(data) does not match the shape.
func NewFloat(shape []int, data []float32) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("engine: NewFloat: shape %v needs %d values, have %d", shape, n, len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), F: data}
}

// NewInt returns an int64 tensor of the given shape holding data (not copied).
func NewInt(shape []int, data []int64) *Tensor {
	if n := numel(shape); n != len(data) {
		panic(fmt.Sprintf("engine: NewInt: shape %v needs %d values, have %d", shape, n, len(data)))
	}
	return &Tensor{Shape: append([]int(nil), shape...), DType: Int64, I: data}
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return numel(t.Shape) }

// Rank returns len(Shape).
func (t *Tensor) Rank() int { return len(t.Shape) }

// String describes the tensor's type and shape, e.g. "float32[2,3]".
func (t *Tensor) String() string { return t.DType.String() + shapeString(t.Shape) }

// Float64s returns the values converted to float64 (a new slice).
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.Len())
	if t.DType == Int64 {
		for i, v := range t.I {
			out[i] = float64(v)
		}
		return out
	}
	for i, v := range t.F {
		out[i] = float64(v)
	}
	return out
}

// Clone returns a deep copy that does not belong to any buffer pool.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{Shape: append([]int(nil), t.Shape...), DType: t.DType}
	if t.DType == Int64 {
		c.I = append(make([]int64, 0, len(t.I)), t.I...)
	} else {
		c.F = append(make([]float32, 0, len(t.F)), t.F...)
	}
	return c
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func shapeString(s []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(d))
	}
	b.WriteByte(']')
	return b.String()
}

// strides returns the row-major element strides of shape.
func strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}

// nextIndex advances idx, a multi-index over shape, to the next element in
// row-major order (back to all zeros after the last).
func nextIndex(idx, shape []int) {
	for d := len(idx) - 1; d >= 0; d-- {
		idx[d]++
		if idx[d] < shape[d] {
			return
		}
		idx[d] = 0
	}
}

// normAxis maps a possibly negative axis into [0, rank).
func normAxis(axis int64, rank int) (int, error) {
	a := int(axis)
	if a < -rank || a >= rank {
		if rank == 0 {
			return 0, fmt.Errorf("axis %d of a scalar (rank 0)", axis)
		}
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	if a < 0 {
		a += rank
	}
	return a, nil
}

// scalarFloat returns element 0 of t as float32.
func (t *Tensor) scalarFloat() float32 {
	if t.DType == Int64 {
		return float32(t.I[0])
	}
	return t.F[0]
}

// ints returns the values of an integer (or float) tensor as int64s.
func (t *Tensor) ints() []int64 {
	if t.DType == Int64 {
		return t.I
	}
	out := make([]int64, len(t.F))
	for i, v := range t.F {
		out[i] = int64(v)
	}
	return out
}
