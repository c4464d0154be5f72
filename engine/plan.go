package engine

import (
	"github.com/conceptcells/conceptcells/onnxio"
)

// aliasOps return a view of their input: their outputs take no memory.
var aliasOps = map[string]bool{"Reshape": true, "Flatten": true, "Squeeze": true, "Unsqueeze": true, "Identity": true, "Dropout": true}

// CheckPlan estimates, before anything runs, the peak memory of a Run that
// feeds inputs of the given shapes and requests want (nil: the graph
// outputs): shapes are inferred for those input shapes (onnxio.InferTypes)
// and the planned nodes are walked in order, each output held from its
// node to its last reader (requested tensors to the end). A plan whose peak
// exceeds the budget is refused with a *MemoryError naming the node at which
// it is reached and the size. Tensors whose shape cannot be inferred count
// as empty, so the estimate is a lower bound; Run still checks every
// allocation. When shapes cannot be inferred at all CheckPlan returns nil
// and leaves the checks to Run.
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
	shapes := make(map[string][]int64, len(inputs))
	for name, s := range inputs {
		d := make([]int64, len(s))
		for i, v := range s {
			d[i] = int64(v)
		}
		shapes[name] = d
	}
	types, _ := onnxio.InferTypes(p.model, shapes)
	if types == nil {
		return nil
	}
	size := func(name string) int64 {
		t, ok := types[name]
		if !ok || t.Shape == nil {
			return 0
		}
		n := int64(1)
		for _, d := range t.Shape {
			if d < 0 {
				return 0
			}
			if d > 0 && n > (1<<62)/d {
				return -1
			}
			n *= d
		}
		elem := int64(4)
		if !t.DType.IsFloat() {
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
