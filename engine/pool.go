package engine

import (
	"context"
	"sync/atomic"
)

// buffer is pooled float32 storage shared by the tensors that alias it.
type buffer struct {
	refs int
	data []float32
}

// arena recycles float32 buffers between the nodes of a run and between
// runs. Buffers are kept by exact length (batch shapes repeat from call to
// call), and at most maxPooled float32 values are kept in total.
type arena struct {
	free   map[int][][]float32
	pooled int

	// The run's memory budget and cancellation (see setRun): limit bytes
	// (≤ 0: none) of which live are held by tensors of the run; stopped is
	// set when ctx is cancelled.
	limit, live int64
	ctx         context.Context
	stopped     atomic.Bool
}

const maxPooled = 32 << 20 // float32 values (128 MB) at most kept for reuse

// get returns a tensor of the given shape whose data may hold stale values.
func (a *arena) get(shape []int) *Tensor {
	n := a.needShape(shape, 4, Float32)
	t := &Tensor{Shape: shape}
	if a == nil || n < 1024 {
		if a != nil {
			a.live += int64(4 * n)
		}
		t.F = make([]float32, n)
		return t
	}
	a.live += int64(4 * n)
	var d []float32
	if l := a.free[n]; len(l) > 0 {
		d = l[len(l)-1]
		a.free[n] = l[:len(l)-1]
		a.pooled -= n
	} else {
		d = make([]float32, n)
	}
	t.F = d
	t.buf = &buffer{refs: 1, data: d}
	return t
}

// getZero is get with the data cleared.
func (a *arena) getZero(shape []int) *Tensor {
	t := a.get(shape)
	if t.buf != nil {
		clear(t.F)
	}
	return t
}

// release drops one reference to t's storage and recycles it at zero.
func (a *arena) release(t *Tensor) {
	if a == nil || t == nil || t.buf == nil {
		return
	}
	b := t.buf
	t.buf = nil
	b.refs--
	if b.refs > 0 || b.data == nil {
		return
	}
	n := len(b.data)
	a.live -= int64(4 * n)
	if a.pooled+n > maxPooled {
		return
	}
	if a.free == nil {
		a.free = make(map[int][][]float32)
	}
	a.free[n] = append(a.free[n], b.data)
	a.pooled += n
	b.data = nil
}

// alias returns a tensor with a new shape sharing t's data (and its pooled
// storage, whose reference count grows by one).
func alias(t *Tensor, shape []int) *Tensor {
	o := &Tensor{Shape: shape, DType: t.DType, F: t.F, I: t.I, buf: t.buf}
	if t.buf != nil {
		t.buf.refs++
	}
	return o
}

// detach makes t independent of the arena: it will never be recycled.
func detach(t *Tensor) {
	if t.buf != nil {
		t.buf.data = nil // refs may still drop to zero; nothing is recycled
		t.buf = nil
	}
}

// workspace holds per-worker scratch memory reused across nodes and runs.
type workspace struct {
	gemmA, gemmB []float32
	col          []float32
	pad          []float32 // zero-bordered copy of one image
	outT         []float32 // one image's output, positions × channels (convPlan.runTransposed)

	// ar is the run's arena, for the budget and the context (may be nil).
	ar *arena
}
