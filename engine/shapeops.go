package engine

import (
	"fmt"
	"slices"

	"github.com/conceptcells/conceptcells/internal/par"
)

// newLike returns a tensor of the given shape and dtype (pooled for float).
func newLike(dt DType, shape []int, ar *arena) *Tensor {
	if dt == Int64 {
		return ar.getInt(shape)
	}
	return ar.get(shape)
}

// reshapeTarget resolves an ONNX Reshape shape: −1 is inferred from the
// element count, 0 copies the input dimension unless allowZero is set.
func reshapeTarget(in []int, spec []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(spec))
	infer := -1
	prod := 1
	for i, s := range spec {
		switch {
		case s == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case s == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dimension %d of input shape %v, which has none", spec, i, in)
			}
			out[i] = in[i]
		case s < 0:
			return nil, fmt.Errorf("shape %v has a negative dimension", spec)
		default:
			out[i] = int(s)
		}
		prod *= out[i]
	}
	n := numel(in)
	if infer >= 0 {
		if prod == 0 || n%prod != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", in, n, spec)
		}
		out[infer] = n / prod
		prod *= out[infer]
	}
	if prod != n {
		return nil, fmt.Errorf("cannot reshape %v (%d values) to %v", in, n, spec)
	}
	// The element count may have wrapped around (2^62·4·0 = 0): refuse
	// sizes no tensor can have.
	if err := checkShape(out); err != nil {
		return nil, fmt.Errorf("cannot reshape %v to %v: %v", in, spec, err)
	}
	return out, nil
}

// flattenShape is Flatten's [∏ d[:axis], ∏ d[axis:]].
func flattenShape(in []int, axis int64) ([]int, error) {
	r := len(in)
	a := int(axis)
	if a < 0 {
		a += r
	}
	if a < 0 || a > r {
		return nil, fmt.Errorf("axis %d out of range for rank %d", axis, r)
	}
	return []int{numel(in[:a]), numel(in[a:])}, nil
}

// squeezeShape removes the given axes (all size-1 axes when axes is nil).
func squeezeShape(in []int, axes []int64) ([]int, error) {
	drop := make([]bool, len(in))
	if axes == nil {
		for i, d := range in {
			drop[i] = d == 1
		}
	}
	for _, a := range axes {
		ax, err := normAxis(a, len(in))
		if err != nil {
			return nil, err
		}
		if in[ax] != 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of shape %v (size %d)", a, in, in[ax])
		}
		drop[ax] = true
	}
	var out []int
	for i, d := range in {
		if !drop[i] {
			out = append(out, d)
		}
	}
	return out, nil
}

// unsqueezeShape inserts size-1 axes at the given positions of the output.
func unsqueezeShape(in []int, axes []int64) ([]int, error) {
	r := len(in) + len(axes)
	ins := make([]bool, r)
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		if ins[ax] {
			return nil, fmt.Errorf("repeated axis %d", a)
		}
		ins[ax] = true
	}
	out := make([]int, 0, r)
	j := 0
	for i := 0; i < r; i++ {
		if ins[i] {
			out = append(out, 1)
		} else {
			out = append(out, in[j])
			j++
		}
	}
	return out, nil
}

// transpose permutes the axes of x: out.Shape[i] = x.Shape[perm[i]]
// (reversed axes when perm is nil).
func transpose(x *Tensor, perm []int64, ar *arena) (*Tensor, error) {
	r := len(x.Shape)
	p := make([]int, r)
	if perm == nil {
		for i := range p {
			p[i] = r - 1 - i
		}
	} else {
		if len(perm) != r {
			return nil, fmt.Errorf("perm %v for rank %d", perm, r)
		}
		seen := make([]bool, r)
		for i, v := range perm {
			if v < 0 || int(v) >= r || seen[v] {
				return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r-1)
			}
			seen[v] = true
			p[i] = int(v)
		}
	}
	shape := make([]int, r)
	for i := range p {
		shape[i] = x.Shape[p[i]]
	}
	y := newLike(x.DType, shape, ar)
	ist := strides(x.Shape)
	st := make([]int, r) // input stride for each output dim
	for i := range p {
		st[i] = ist[p[i]]
	}
	if x.DType == Int64 {
		permCopy(y.I, x.I, shape, st)
	} else {
		permCopy(y.F, x.F, shape, st)
	}
	return y, nil
}

// permCopy writes dst in row-major order of shape, reading src at the
// per-dimension strides st.
func permCopy[T any](dst, src []T, shape, st []int) {
	if len(dst) == 0 {
		return
	}
	sliceCopy(dst, src, 0, shape, st)
}

// concat joins tensors along axis.
func concat(in []*Tensor, axis int64, ar *arena) (*Tensor, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("no inputs")
	}
	r := len(in[0].Shape)
	ax, err := normAxis(axis, r)
	if err != nil {
		return nil, err
	}
	shape := append([]int(nil), in[0].Shape...)
	shape[ax] = 0
	for _, t := range in {
		if len(t.Shape) != r || t.DType != in[0].DType {
			return nil, fmt.Errorf("cannot concatenate %s with %s", in[0], t)
		}
		for i := range t.Shape {
			if i != ax && t.Shape[i] != in[0].Shape[i] {
				return nil, fmt.Errorf("cannot concatenate %s with %s on axis %d", in[0], t, ax)
			}
		}
		shape[ax] += t.Shape[ax]
	}
	y := newLike(in[0].DType, shape, ar)
	outer := numel(shape[:ax])
	inner := numel(shape[ax+1:])
	// Copies in pieces of at most concatPiece values, shared among the
	// workers when there is enough to copy (DenseNet concatenates every
	// earlier feature map at every layer).
	const concatPiece = 1 << 14
	type piece struct {
		t           *Tensor
		dst, src, n int
	}
	var pieces []piece
	off := 0
	for _, t := range in {
		blk := t.Shape[ax] * inner
		for o := 0; o < outer; o++ {
			for i := 0; i < blk; i += concatPiece {
				pieces = append(pieces, piece{t, o*shape[ax]*inner + off + i, o*blk + i, min(concatPiece, blk-i)})
			}
		}
		off += blk
	}
	par.Chunks(len(pieces), workers(numel(shape), moveCost), func(_, lo, hi int) {
		for _, p := range pieces[lo:hi] {
			if y.DType == Int64 {
				copy(y.I[p.dst:p.dst+p.n], p.t.I[p.src:p.src+p.n])
			} else {
				copy(y.F[p.dst:p.dst+p.n], p.t.F[p.src:p.src+p.n])
			}
		}
	})
	return y, nil
}

// split cuts x along axis into pieces of the given sizes.
func split(x *Tensor, axis int64, sizes []int, ar *arena) ([]*Tensor, error) {
	ax, err := normAxis(axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	total := 0
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("negative split %v", sizes)
		}
		total += s
	}
	if total != x.Shape[ax] {
		return nil, fmt.Errorf("split %v does not add up to dimension %d of %s", sizes, ax, x)
	}
	outer := numel(x.Shape[:ax])
	inner := numel(x.Shape[ax+1:])
	var outs []*Tensor
	off := 0
	for _, s := range sizes {
		shape := append([]int(nil), x.Shape...)
		shape[ax] = s
		y := newLike(x.DType, shape, ar)
		blk := s * inner
		for o := 0; o < outer; o++ {
			src := o*x.Shape[ax]*inner + off
			if x.DType == Int64 {
				copy(y.I[o*blk:(o+1)*blk], x.I[src:src+blk])
			} else {
				copy(y.F[o*blk:(o+1)*blk], x.F[src:src+blk])
			}
		}
		off += blk
		outs = append(outs, y)
	}
	return outs, nil
}

// evenSplit divides n into k pieces, the last one smaller when k ∤ n
// (Split-18 num_outputs).
func evenSplit(n, k int) []int {
	if k < 1 {
		return nil
	}
	sz := (n + k - 1) / k
	out := make([]int, k)
	for i := range out {
		out[i] = min(sz, max(0, n-i*sz))
	}
	return out
}

// slice takes x[starts:ends:steps] on the given axes (all axes in order
// when axes is nil), clamping as the ONNX Slice spec says.
func slice(x *Tensor, starts, ends, axes, steps []int64, ar *arena) (*Tensor, error) {
	r := len(x.Shape)
	if len(starts) != len(ends) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, fmt.Errorf("starts %v, ends %v, axes %v, steps %v differ in length", starts, ends, axes, steps)
	}
	st := make([]int, r)
	step := make([]int, r)
	cnt := make([]int, r)
	for i := range st {
		step[i] = 1
		cnt[i] = x.Shape[i]
	}
	seen := make([]bool, r)
	for i := range starts {
		ax := i
		if axes != nil {
			a, err := normAxis(axes[i], r)
			if err != nil {
				return nil, err
			}
			ax = a
		}
		if ax >= r {
			return nil, fmt.Errorf("slice axis %d out of range for %s", ax, x)
		}
		if seen[ax] {
			return nil, fmt.Errorf("repeated axis in %v", axes)
		}
		seen[ax] = true
		d := int64(x.Shape[ax])
		s := int64(1)
		if steps != nil {
			s = steps[i]
		}
		if s == 0 {
			return nil, fmt.Errorf("slice step 0")
		}
		b, e := starts[i], ends[i]
		if b < 0 {
			b += d
		}
		if e < 0 {
			e += d
		}
		if s > 0 {
			b = clamp64(b, 0, d)
			e = clamp64(e, 0, d)
		} else {
			b = clamp64(b, 0, d-1)
			e = clamp64(e, -1, d-1)
		}
		n := int64(0)
		if s > 0 && e > b {
			n = (e - b + s - 1) / s
		} else if s < 0 && b > e {
			n = (b - e + (-s) - 1) / (-s)
		}
		st[ax], step[ax], cnt[ax] = int(b), int(s), int(n)
	}
	y := newLike(x.DType, cnt, ar)
	xs := strides(x.Shape)
	base := 0
	ps := make([]int, r)
	for i := range st {
		base += st[i] * xs[i]
		ps[i] = step[i] * xs[i]
	}
	if y.Len() == 0 {
		return y, nil
	}
	if x.DType == Int64 {
		sliceCopy(y.I, x.I, base, cnt, ps)
	} else {
		sliceCopy(y.F, x.F, base, cnt, ps)
	}
	return y, nil
}

// sliceCopy writes dst in row-major order of shape, reading src from base
// at the per-dimension (possibly negative) strides st.
func sliceCopy[T any](dst, src []T, base int, shape, st []int) {
	r := len(shape)
	if r == 0 {
		dst[0] = src[base]
		return
	}
	idx := make([]int, r)
	off := base
	inner := shape[r-1]
	is := st[r-1]
	for o := 0; o < len(dst); o += inner {
		s := off
		for j := 0; j < inner; j++ {
			dst[o+j] = src[s]
			s += is
		}
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			off += st[d]
			if idx[d] < shape[d] {
				break
			}
			off -= st[d] * idx[d]
			idx[d] = 0
		}
	}
}

func clamp64(v, lo, hi int64) int64 {
	return min(max(v, lo), hi)
}

// gather takes entries of x along axis at the (possibly negative) indices:
// out.Shape = x.Shape[:axis] ++ idx.Shape ++ x.Shape[axis+1:].
func gather(x, idx *Tensor, axis int64, ar *arena) (*Tensor, error) {
	ax, err := normAxis(axis, len(x.Shape))
	if err != nil {
		return nil, err
	}
	if idx.DType != Int64 {
		return nil, fmt.Errorf("indices %s: want an integer tensor", idx)
	}
	d := x.Shape[ax]
	shape := append(append(append([]int(nil), x.Shape[:ax]...), idx.Shape...), x.Shape[ax+1:]...)
	y := newLike(x.DType, shape, ar)
	outer := numel(x.Shape[:ax])
	inner := numel(x.Shape[ax+1:])
	for _, v := range idx.I {
		if v < -int64(d) || v >= int64(d) {
			return nil, fmt.Errorf("index %d out of range for axis %d of %s", v, ax, x)
		}
	}
	ni := len(idx.I)
	for o := 0; o < outer; o++ {
		for j, v := range idx.I {
			if v < 0 {
				v += int64(d)
			}
			src := (o*d + int(v)) * inner
			dst := (o*ni + j) * inner
			if x.DType == Int64 {
				copy(y.I[dst:dst+inner], x.I[src:src+inner])
			} else {
				copy(y.F[dst:dst+inner], x.F[src:src+inner])
			}
		}
	}
	return y, nil
}

// expand broadcasts x to the broadcast of its shape and shape.
func expand(x *Tensor, shape []int, ar *arena) (*Tensor, error) {
	out, err := broadcastShape(x.Shape, shape)
	if err != nil {
		return nil, err
	}
	if err := checkElements(out); err != nil {
		return nil, err
	}
	return broadcastTo(x, out, ar), nil
}

// broadcastTo copies x into a tensor of shape out (x must broadcast to it).
func broadcastTo(x *Tensor, out []int, ar *arena) *Tensor {
	// callers check the size with checkElements
	y := newLike(x.DType, out, ar)
	it := newBcastIter(out, x.Shape)
	n := it.inner
	s := it.istr[0]
	it.each(func(o int, offs []int) {
		if x.DType == Int64 {
			src := x.I[offs[0]:]
			for i := 0; i < n; i++ {
				y.I[o+i] = src[i*s]
			}
		} else {
			src := x.F[offs[0]:]
			for i := 0; i < n; i++ {
				y.F[o+i] = src[i*s]
			}
		}
	})
	return y
}

// tile repeats x repeats[i] times along each axis i.
func tile(x *Tensor, repeats []int64, ar *arena) (*Tensor, error) {
	r := len(x.Shape)
	if len(repeats) != r {
		return nil, fmt.Errorf("repeats %v for %s: want %d values", repeats, x, r)
	}
	shape := make([]int, r)
	for i, v := range repeats {
		if v < 0 {
			return nil, fmt.Errorf("negative repeats %v", repeats)
		}
		if v > maxElements {
			return nil, fmt.Errorf("repeats %v too large", repeats)
		}
		shape[i] = x.Shape[i] * int(v)
	}
	if err := checkElements(shape); err != nil {
		return nil, err
	}
	y := newLike(x.DType, shape, ar)
	n := y.Len()
	if n == 0 {
		return y, nil
	}
	xs := strides(x.Shape)
	idx := make([]int, r)
	for o := 0; o < n; o++ {
		src := 0
		for d := 0; d < r; d++ {
			src += (idx[d] % x.Shape[d]) * xs[d]
		}
		if x.DType == Int64 {
			y.I[o] = x.I[src]
		} else {
			y.F[o] = x.F[src]
		}
		nextIndex(idx, shape)
	}
	return y, nil
}

// padMode is how Pad fills the border.
type padMode int

const (
	padConstant padMode = iota
	padReflect
	padEdge
)

// pad adds pads[i] values before and pads[i+r] after axis i (negative values
// crop), filled with value, the mirror image without the edge (reflect) or
// the edge value (edge).
func pad(x *Tensor, pads []int64, mode padMode, value float32, ar *arena) (*Tensor, error) {
	r := len(x.Shape)
	if len(pads) != 2*r {
		return nil, fmt.Errorf("pads %v for %s: want %d values", pads, x, 2*r)
	}
	shape := make([]int, r)
	for i := range shape {
		shape[i] = x.Shape[i] + int(pads[i]) + int(pads[i+r])
		if shape[i] < 0 {
			return nil, fmt.Errorf("pads %v crop %s below zero", pads, x)
		}
		if mode == padReflect && (int(pads[i]) >= x.Shape[i] || int(pads[i+r]) >= x.Shape[i]) && (pads[i] > 0 || pads[i+r] > 0) {
			return nil, fmt.Errorf("reflect pads %v too large for %s", pads, x)
		}
		if mode == padEdge && x.Shape[i] == 0 && shape[i] > 0 {
			return nil, fmt.Errorf("edge padding of an empty axis in %s", x)
		}
	}
	if err := checkElements(shape); err != nil {
		return nil, err
	}
	y := newLike(x.DType, shape, ar)
	if mode == padConstant && x.DType == Float32 && r > 0 && !slices.ContainsFunc(pads, func(p int64) bool { return p < 0 }) {
		padConstRows(y, x, pads, value)
		return y, nil
	}
	n := y.Len()
	xs := strides(x.Shape)
	idx := make([]int, r)
	for o := 0; o < n; o++ {
		src := 0
		inside := true
		for d := 0; d < r; d++ {
			i := idx[d] - int(pads[d])
			if i < 0 || i >= x.Shape[d] {
				switch mode {
				case padConstant:
					inside = false
				case padEdge:
					i = min(max(i, 0), x.Shape[d]-1)
				case padReflect:
					m := x.Shape[d] - 1
					if m == 0 {
						i = 0
					}
					for m > 0 && (i < 0 || i > m) {
						if i < 0 {
							i = -i
						}
						if i > m {
							i = 2*m - i
						}
					}
				}
			}
			if !inside {
				break
			}
			src += i * xs[d]
		}
		if x.DType == Int64 {
			if inside {
				y.I[o] = x.I[src]
			} else {
				y.I[o] = int64(value)
			}
		} else {
			if inside {
				y.F[o] = x.F[src]
			} else {
				y.F[o] = value
			}
		}
		nextIndex(idx, shape)
	}
	return y, nil
}

// padConstRows is pad's constant mode for float32 and pads ≥ 0: y is
// filled with value and each row of x along its last axis copied into
// place.
func padConstRows(y, x *Tensor, pads []int64, value float32) {
	for i := range y.F {
		y.F[i] = value
	}
	r := len(x.Shape)
	last := x.Shape[r-1]
	if last == 0 || len(x.F) == 0 {
		return
	}
	ys := strides(y.Shape)
	idx := make([]int, r-1)
	for row := 0; row*last < len(x.F); row++ {
		dst := int(pads[r-1])
		for d, i := range idx {
			dst += (i + int(pads[d])) * ys[d]
		}
		copy(y.F[dst:dst+last], x.F[row*last:(row+1)*last])
		nextIndex(idx, x.Shape[:r-1])
	}
}

// maxElements bounds tensors whose size comes from data (ConstantOfShape,
// Expand, Tile, Pad, Resize, Range), so that a hostile model fails with an
// error instead of exhausting memory.
const maxElements = 1 << 31

func checkElements(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in %v", shape)
		}
		if d != 0 && n > maxElements/d {
			return fmt.Errorf("shape %v has more than %d elements", shape, maxElements)
		}
		n *= d
	}
	return nil
}
