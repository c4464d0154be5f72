package engine

import (
	"fmt"
	"math"

	"github.com/conceptcells/conceptcells/internal/par"

	"github.com/conceptcells/conceptcells/internal/kernels"
)

// binOp identifies a broadcasting binary operator.
type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opPow
	opMax
	opMin
	opPRelu // a if a ≥ 0 else a·b
	opEqual
	opLess
	opGreater
	opMod
)

// broadcastShape returns the multidirectional (NumPy) broadcast of shapes:
// aligned at the right, each dimension equal or 1.
func broadcastShape(shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := r - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case d == o || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				return nil, fmt.Errorf("shapes %v cannot be broadcast together", shapesString(shapes))
			}
		}
	}
	return out, nil
}

func shapesString(shapes [][]int) string {
	s := ""
	for i, sh := range shapes {
		if i > 0 {
			s += " and "
		}
		s += shapeString(sh)
	}
	return s
}

// bcastIter walks the output of a broadcast in runs along the (coalesced)
// innermost dimension: for each run it yields the offsets into every input
// and the inputs' inner strides (0 or 1).
type bcastIter struct {
	outer  []int   // sizes of the outer dims
	stride [][]int // per input, stride of each outer dim
	inner  int     // run length
	istr   []int   // per input, inner stride (0 or 1)
}

func newBcastIter(out []int, ins ...[]int) *bcastIter {
	r := len(out)
	// Per input and dim: stride (0 when broadcast).
	st := make([][]int, len(ins))
	for k, s := range ins {
		st[k] = make([]int, r)
		off := r - len(s)
		acc := 1
		for i := len(s) - 1; i >= 0; i-- {
			if s[i] != 1 {
				st[k][off+i] = acc
			}
			acc *= s[i]
		}
	}
	// Drop size-1 output dims, then merge neighbours along which every
	// input is either contiguous or broadcast (stride_{i-1} = stride_i·dim_i).
	var dims []int
	sts := make([][]int, len(ins))
	for i, d := range out {
		if d == 1 {
			continue
		}
		dims = append(dims, d)
		for k := range ins {
			sts[k] = append(sts[k], st[k][i])
		}
	}
	st = sts
	for i := len(dims) - 1; i > 0; i-- {
		ok := true
		for k := range ins {
			if st[k][i-1] != st[k][i]*dims[i] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		dims[i-1] *= dims[i]
		dims = append(dims[:i], dims[i+1:]...)
		for k := range ins {
			st[k][i-1] = st[k][i]
			st[k] = append(st[k][:i], st[k][i+1:]...)
		}
	}
	it := &bcastIter{}
	if len(dims) == 0 {
		dims = []int{1}
		for k := range ins {
			st[k] = []int{0}
		}
	}
	n := len(dims)
	it.inner = dims[n-1]
	it.outer = dims[:n-1]
	for k := range ins {
		it.istr = append(it.istr, st[k][n-1])
		it.stride = append(it.stride, st[k][:n-1])
	}
	return it
}

// each calls f(outOffset, inOffsets) for every run of length it.inner.
func (it *bcastIter) each(f func(o int, offs []int)) {
	offs := make([]int, len(it.stride))
	idx := make([]int, len(it.outer))
	total := 1
	for _, d := range it.outer {
		total *= d
	}
	if it.inner == 0 {
		// No elements: the outer dimensions may still be huge.
		return
	}
	for r := 0; r < total; r++ {
		f(r*it.inner, offs)
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			for k := range offs {
				offs[k] += it.stride[k][d]
			}
			if idx[d] < it.outer[d] {
				break
			}
			for k := range offs {
				offs[k] -= it.stride[k][d] * idx[d]
			}
			idx[d] = 0
		}
	}
}

// binary applies op elementwise with broadcasting. Both inputs must have the
// same DType; comparisons return int64 0/1.
func binary(op binOp, a, b *Tensor, ar *arena) (*Tensor, error) {
	shape, err := broadcastShape(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	if a.DType != b.DType {
		return nil, fmt.Errorf("input types differ: %s and %s", a, b)
	}
	it := newBcastIter(shape, a.Shape, b.Shape)
	sa, sb := it.istr[0], it.istr[1]
	n := it.inner
	cmp := op == opEqual || op == opLess || op == opGreater
	if a.DType == Int64 {
		out := ar.getInt(shape)
		var ferr error
		it.each(func(o int, offs []int) {
			ferr = intRun(op, out.I[o:o+n], a.I[offs[0]:], sa, b.I[offs[1]:], sb)
		})
		return out, ferr
	}
	if cmp {
		out := ar.getInt(shape)
		it.each(func(o int, offs []int) {
			x, y := a.F[offs[0]:], b.F[offs[1]:]
			dst := out.I[o : o+n]
			for i := range dst {
				u, v := x[i*sa], y[i*sb]
				var t bool
				switch op {
				case opEqual:
					t = u == v
				case opLess:
					t = u < v
				default:
					t = u > v
				}
				if t {
					dst[i] = 1
				}
			}
		})
		return out, nil
	}
	out := ar.get(shape)
	if len(it.outer) == 0 && n >= 1<<15 {
		// One long run (same shapes, or a scalar operand): split it.
		chunks := (n + 8191) / 8192
		par.Chunks(chunks, workers(chunks, 8192), func(_, lo, hi int) {
			i0, i1 := lo*8192, min(hi*8192, n)
			floatRun(op, out.F[i0:i1], a.F[i0*sa:], sa, b.F[i0*sb:], sb)
		})
		return out, nil
	}
	it.each(func(o int, offs []int) {
		floatRun(op, out.F[o:o+n], a.F[offs[0]:], sa, b.F[offs[1]:], sb)
	})
	return out, nil
}

// floatRun computes dst[i] = x[i·sx] op y[i·sy].
func floatRun(op binOp, dst, x []float32, sx int, y []float32, sy int) {
	n := len(dst)
	if sx == 1 && sy == 1 {
		x, y = x[:n], y[:n]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x[i] + y[i]
			}
			return
		case opSub:
			for i := range dst {
				dst[i] = x[i] - y[i]
			}
			return
		case opMul:
			for i := range dst {
				dst[i] = x[i] * y[i]
			}
			return
		case opDiv:
			for i := range dst {
				dst[i] = x[i] / y[i]
			}
			return
		}
	}
	if sx == 1 && sy == 0 {
		x = x[:n]
		v := y[0]
		switch op {
		case opAdd:
			for i := range dst {
				dst[i] = x[i] + v
			}
			return
		case opSub:
			for i := range dst {
				dst[i] = x[i] - v
			}
			return
		case opMul:
			for i := range dst {
				dst[i] = x[i] * v
			}
			return
		case opDiv:
			for i := range dst {
				dst[i] = x[i] / v
			}
			return
		}
	}
	for i := range dst {
		u, v := x[i*sx], y[i*sy]
		var r float32
		switch op {
		case opAdd:
			r = u + v
		case opSub:
			r = u - v
		case opMul:
			r = u * v
		case opDiv:
			r = u / v
		case opPow:
			r = powf(u, v)
		case opMax:
			r = maxNaN(u, v)
		case opMin:
			r = minNaN(u, v)
		case opPRelu:
			r = u
			if u < 0 {
				r = u * v
			}
		case opMod:
			r = float32(math.Mod(float64(u), float64(v)))
		}
		dst[i] = r
	}
}

func powf(u, v float32) float32 {
	switch v {
	case 2:
		return u * u
	case 1:
		return u
	case 0.5:
		return float32(math.Sqrt(float64(u)))
	}
	return float32(math.Pow(float64(u), float64(v)))
}

func maxNaN(u, v float32) float32 {
	if u != u || v != v {
		return float32(math.NaN())
	}
	return max(u, v)
}

func minNaN(u, v float32) float32 {
	if u != u || v != v {
		return float32(math.NaN())
	}
	return min(u, v)
}

// intRun is floatRun for int64 data (division truncates toward zero).
func intRun(op binOp, dst, x []int64, sx int, y []int64, sy int) error {
	for i := range dst {
		u, v := x[i*sx], y[i*sy]
		var r int64
		switch op {
		case opAdd:
			r = u + v
		case opSub:
			r = u - v
		case opMul:
			r = u * v
		case opDiv:
			if v == 0 {
				return fmt.Errorf("integer division by zero")
			}
			r = u / v
		case opMod:
			if v == 0 {
				return fmt.Errorf("integer division by zero")
			}
			r = u % v
			if r != 0 && (r < 0) != (v < 0) {
				r += v // ONNX Mod with fmod=0 takes the divisor's sign
			}
		case opPow:
			r = int64(math.Pow(float64(u), float64(v)))
		case opMax:
			r = max(u, v)
		case opMin:
			r = min(u, v)
		case opPRelu:
			r = u
			if u < 0 {
				r = u * v
			}
		case opEqual:
			if u == v {
				r = 1
			}
		case opLess:
			if u < v {
				r = 1
			}
		case opGreater:
			if u > v {
				r = 1
			}
		}
		dst[i] = r
	}
	return nil
}

// variadic folds op (Max, Min, Sum as Add) over all inputs with
// broadcasting; Mean divides the sum by the count.
func variadic(op binOp, in []*Tensor, mean bool, ar *arena) (*Tensor, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	acc := in[0]
	if len(in) == 1 {
		acc = in[0].Clone()
	}
	for _, t := range in[1:] {
		next, err := binary(op, acc, t, ar)
		if err != nil {
			return nil, err
		}
		if acc != in[0] {
			ar.release(acc)
		}
		acc = next
	}
	if mean {
		if acc.DType != Float32 {
			return nil, fmt.Errorf("Mean needs float data")
		}
		inv := 1 / float32(len(in))
		for i := range acc.F {
			acc.F[i] *= inv
		}
	}
	return acc, nil
}

// unary applies f elementwise to float data, in parallel for large tensors.
func unary(x *Tensor, ar *arena, f func(float32) float32) (*Tensor, error) {
	if x.DType != Float32 {
		return nil, fmt.Errorf("input %s: want float32", x)
	}
	return mapChunks(x, ar, 8, func(ys, xs []float32) {
		for i, v := range xs {
			ys[i] = f(v)
		}
	}), nil
}

// relu is max(x, 0) elementwise (NaN stays NaN), branch-free.
func relu(x *Tensor, ar *arena) *Tensor {
	return mapChunks(x, ar, 1, func(ys, xs []float32) {
		for i, v := range xs {
			ys[i] = max(v, 0)
		}
	})
}

// mapChunks returns a float tensor shaped like x with f(dst, src) run over
// x's data in chunks of 4,096 values, shared among the workers as cost
// flops per value.
func mapChunks(x *Tensor, ar *arena, cost float64, f func(dst, src []float32)) *Tensor {
	y := ar.get(append([]int(nil), x.Shape...))
	n := len(x.F)
	chunks := (n + 4095) / 4096
	par.Chunks(chunks, workers(chunks, 4096*cost), func(_, lo, hi int) {
		f(y.F[lo*4096:min(hi*4096, n)], x.F[lo*4096:min(hi*4096, n)])
	})
	return y
}

func sigmoid(v float32) float32 {
	if v >= 0 {
		return float32(1 / (1 + math.Exp(-float64(v))))
	}
	e := math.Exp(float64(v))
	return float32(e / (1 + e))
}

func softplus(v float32) float32 {
	x := float64(v)
	if x > 20 {
		return v
	}
	return float32(math.Log1p(math.Exp(x)))
}

// reluInPlace sets x = max(x, 0) (NaN stays NaN, −0 becomes +0); used
// where a Relu is fused into the node producing its input.
func reluInPlace(x []float32) { kernels.ReluInPlace(x) }

// reluTensor applies max(·, 0) in place to a freshly computed tensor of
// either type.
func reluTensor(t *Tensor) {
	if t.DType == Int64 {
		for i, v := range t.I {
			t.I[i] = max(v, 0)
		}
		return
	}
	reluInPlace(t.F)
}
