package engine

import (
	"fmt"
	"sort"

	"github.com/conceptcells/conceptcells/onnxio"
)

// nodeCtx is what an operator's prepare function sees: the node, its
// attributes (each read one is marked used) and the constant inputs.
type nodeCtx struct {
	p     *Program
	n     *onnxio.Node
	nd    *node
	opset int64
	attrs onnxio.Attributes
	used  map[string]bool
	err   error
}

func (c *nodeCtx) fail(err error) {
	if c.err == nil && err != nil {
		c.err = err
	}
}

func (c *nodeCtx) int(name string, def int64) int64 {
	c.used[name] = true
	v, err := c.attrs.Int(name, def)
	c.fail(err)
	return v
}

func (c *nodeCtx) ints(name string, def []int64) []int64 {
	c.used[name] = true
	v, err := c.attrs.Ints(name, def)
	c.fail(err)
	return v
}

func (c *nodeCtx) float(name string, def float32) float32 {
	c.used[name] = true
	v, err := c.attrs.Float(name, def)
	c.fail(err)
	return v
}

func (c *nodeCtx) floats(name string, def []float32) []float32 {
	c.used[name] = true
	v, err := c.attrs.Floats(name, def)
	c.fail(err)
	return v
}

func (c *nodeCtx) str(name, def string) string {
	c.used[name] = true
	v, err := c.attrs.String(name, def)
	c.fail(err)
	return v
}

func (c *nodeCtx) has(name string) bool { return c.attrs.Has(name) }

// ignore marks attributes that do not change inference results.
func (c *nodeCtx) ignore(names ...string) {
	for _, n := range names {
		c.used[n] = true
	}
}

func (c *nodeCtx) tensorAttr(name string) *Tensor {
	c.used[name] = true
	t, err := c.attrs.Tensor(name, c.p.model.Dir)
	if err != nil || t == nil {
		c.fail(err)
		return nil
	}
	et, err := FromONNX(t)
	if err != nil {
		c.fail(c.unsupported(name, "%s", err.Error()))
		return nil
	}
	return et
}

// unsupported builds the UnsupportedError for this node.
func (c *nodeCtx) unsupported(attr, format string, args ...any) error {
	return &onnxio.UnsupportedError{Op: c.nd.op, Domain: c.n.Domain(), Node: c.nd.name, Opset: c.opset, Attr: attr, Msg: fmt.Sprintf(format, args...)}
}

// invalid is a malformed-model error for this node.
func (c *nodeCtx) invalid(attr, format string, args ...any) error {
	return &onnxio.FormatError{Stage: "malformed model", Node: c.nd.name, Attr: attr, Msg: fmt.Sprintf("%s: %s", c.nd.op, fmt.Sprintf(format, args...))}
}

// hasInput reports whether optional input i is given.
func (c *nodeCtx) hasInput(i int) bool { return i < len(c.nd.inputs) && c.nd.inputs[i] != "" }

// hasOutput reports whether optional output i is requested by the graph.
func (c *nodeCtx) hasOutput(i int) bool { return i < len(c.nd.outputs) && c.nd.outputs[i] != "" }

// constInput returns input i when it is an initializer or folded constant.
func (c *nodeCtx) constInput(i int) *Tensor {
	if !c.hasInput(i) {
		return nil
	}
	return c.p.consts[c.nd.inputs[i]]
}

// finish reports attributes the op did not read as unsupported.
func (c *nodeCtx) finish() error {
	if c.err != nil {
		return c.err
	}
	var extra []string
	for _, n := range c.attrs.Names() {
		if !c.used[n] {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return c.unsupported(extra[0], "attribute not supported by this op at this opset")
	}
	return nil
}

// needInputs checks the number of inputs.
func (c *nodeCtx) needInputs(lo, hi int) error {
	n := len(c.nd.inputs)
	for n > 0 && c.nd.inputs[n-1] == "" {
		n--
	}
	if n < lo || n > hi {
		return c.invalid("", "has %d inputs, want %d to %d", n, lo, hi)
	}
	for i := 0; i < lo; i++ {
		if c.nd.inputs[i] == "" {
			return c.invalid("", "required input %d is empty", i)
		}
	}
	return nil
}

// prepareNode finds the operator and prepares its kernel.
func prepareNode(c *nodeCtx) (kernel, error) {
	dom := onnxio.NormalizeDomain(c.n.Domain())
	if dom != "" {
		return nil, c.unsupported("", "operator domain %q is not supported", c.n.Domain())
	}
	def, ok := ops[c.nd.op]
	if !ok {
		return nil, c.unsupported("", "operator not supported")
	}
	if c.opset < def.since {
		return nil, c.unsupported("", "operator versions before opset %d are not supported", def.since)
	}
	if err := c.needInputs(def.minIn, def.maxIn); err != nil {
		return nil, err
	}
	if def.maxIn <= 8 {
		c.nd.nin = def.maxIn
	}
	k, err := def.prepare(c)
	if err != nil {
		return nil, err
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return k, nil
}

// opDef describes one operator: the oldest opset handled, the input count
// range and the prepare function.
type opDef struct {
	since        int64
	minIn, maxIn int
	prepare      func(c *nodeCtx) (kernel, error)
}
