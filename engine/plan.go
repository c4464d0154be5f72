package engine

import (
	"context"
	"errors"
	"slices"
)

// aliasOps return a view of their input: their outputs take no memory.
var aliasOps = map[string]bool{"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true, "Identity": true, "Dropout": true}

// CheckPlan estimates, before the run, the peak memory of a Run that
// feeds inputs of the given shapes and requests want (nil: the graph
// outputs): the shapes come from a shape pass (shapes.go) with a dynamic
// batch, run at batch sizes 1 and 2 and scaled to the batch given, and the
// planned nodes are walked in order, each output held from its node to its
// last reader (requested tensors to the end). A plan whose peak exceeds the
// budget is refused with a *MemoryError naming the node at which it is
// reached and the size; so is one whose shape pass already exceeds it.
// Tensors whose shape is not known count as empty, so the estimate is a
// lower bound; Run still checks every allocation. When the shape pass
// fails otherwise CheckPlan counts what it found, and returns nil when it
// found nothing, leaving the checks to Run.
func (p *Program) CheckPlan(inputs map[string][]int, want []string) error {
	if p.budget <= 0 {
		return nil
	}
	if len(want) == 0 {
		want = p.outputs
	}
	pl, err := p.planFor(want)
	if err != nil {
		return err
	}
	var feeds []feedSpec
	var syms []symbol
	for _, s := range p.inputs {
		shape, ok := inputs[s.name]
		if !ok {
			if p.defaults[s.name] != nil {
				continue
			}
			return nil // Run reports the missing input
		}
		f := feedSpec{name: s.name, dims: make([]int64, len(shape))}
		for i, v := range shape {
			f.dims[i] = int64(v)
		}
		if len(shape) > 0 && shape[0] > 0 && (!s.known || (len(s.dims) > 0 && s.dims[0] < 0)) {
			// A dynamic batch: one symbol per size given.
			at := slices.IndexFunc(syms, func(y symbol) bool { return y.value == shape[0] })
			if at < 0 {
				syms = append(syms, symbol{name: "N", base: batchBase, value: shape[0]})
				at = len(syms) - 1
			}
			f.dims[0] = -1 - int64(at)
		}
		feeds = append(feeds, f)
	}
	types, err := p.shapePass(context.Background(), feeds, syms, want)
	var me *MemoryError
	if errors.As(err, &me) {
		return err
	}
	if len(types) == 0 {
		return nil
	}
	size := func(name string) int64 {
		t, ok := types[name]
		if !ok || t.dims == nil {
			return 0
		}
		n := int64(1)
		for _, sd := range t.dims {
			d := sd.v
			switch {
			case sd.sym == unknownSym:
				return 0
			case sd.sym >= 0:
				if sd.k > (1<<62)/int64(syms[sd.sym].value) {
					return -1
				}
				d = sd.k * int64(syms[sd.sym].value)
			}
			if d > 0 && n > (1<<62)/d {
				return -1
			}
			n *= d
		}
		elem := int64(4)
		if t.dtype == Int64 {
			elem = 8
		}
		if n > (1<<62)/elem {
			return -1
		}
		return n * elem
	}
	var live int64
	for _, s := range p.inputs {
		live += max(size(s.name), 0)
	}
	for i, nd := range p.nodes {
		if !pl.run[i] || pl.absorbed[i] {
			continue
		}
		if !aliasOps[nd.op] {
			var out int64
			for _, o := range nd.outputs {
				b := size(o)
				if b < 0 {
					out = -1
					break
				}
				out += b
			}
			if out < 0 || out > p.budget-live {
				return &MemoryError{Node: nd.name, Op: nd.op, What: "the plan's outputs at this node", Bytes: out, Live: live, Budget: p.budget}
			}
			live += out
		}
		for _, name := range pl.release[i] {
			if n, ok := p.produce[name]; ok && aliasOps[p.model.Nodes[n].OpType()] {
				continue
			}
			live -= max(size(name), 0)
		}
	}
	return nil
}
