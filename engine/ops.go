package engine

import (
	"fmt"
	"math"

	"github.com/conceptcells/conceptcells/internal/kernels"
)

// ops is the operator table. Each prepare function reads the attributes
// valid for the node's opset (ONNX Operators.md / Changelog.md) and returns
// the kernel; attributes it does not read are reported as unsupported.
var ops map[string]opDef

func init() {
	ops = map[string]opDef{
		// Convolution and pooling.
		"Conv":              {1, 2, 3, prepConv},
		"ConvTranspose":     {1, 2, 3, prepConvTranspose},
		"MaxPool":           {1, 1, 1, prepPool(poolMax)},
		"AveragePool":       {1, 1, 1, prepPool(poolAvg)},
		"GlobalAveragePool": {1, 1, 1, prepGlobalPool(poolAvg)},
		"GlobalMaxPool":     {1, 1, 1, prepGlobalPool(poolMax)},
		// Normalisation.
		"BatchNormalization":    {1, 5, 5, prepBatchNorm},
		"InstanceNormalization": {1, 3, 3, prepInstanceNorm},
		"LRN":                   {1, 1, 1, prepLRN},
		// Linear algebra.
		"Gemm":   {1, 2, 3, prepGemm},
		"MatMul": {1, 2, 2, prepMatMul},
		// Elementwise binary.
		"Add":     {1, 2, 2, prepBinary(opAdd)},
		"Sub":     {1, 2, 2, prepBinary(opSub)},
		"Mul":     {1, 2, 2, prepBinary(opMul)},
		"Div":     {1, 2, 2, prepBinary(opDiv)},
		"Pow":     {1, 2, 2, prepBinary(opPow)},
		"PRelu":   {1, 2, 2, prepPRelu},
		"Equal":   {1, 2, 2, prepBinary(opEqual)},
		"Less":    {1, 2, 2, prepBinary(opLess)},
		"Greater": {1, 2, 2, prepBinary(opGreater)},
		"Max":     {1, 1, 1 << 16, prepVariadic(opMax, false)},
		"Min":     {1, 1, 1 << 16, prepVariadic(opMin, false)},
		"Sum":     {1, 1, 1 << 16, prepVariadic(opAdd, false)},
		"Mean":    {1, 1, 1 << 16, prepVariadic(opAdd, true)},
		"Where":   {9, 3, 3, prepWhere},
		// Elementwise unary and activations.
		"Relu":        {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return nil })},
		"Sigmoid":     {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return sigmoid })},
		"Tanh":        {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Tanh) })},
		"Exp":         {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Exp) })},
		"Log":         {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Log) })},
		"Sqrt":        {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Sqrt) })},
		"Erf":         {9, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Erf) })},
		"Floor":       {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Floor) })},
		"Ceil":        {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Ceil) })},
		"Reciprocal":  {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return func(v float32) float32 { return 1 / v } })},
		"Softsign":    {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return func(v float32) float32 { return v / (1 + abs32(v)) } })},
		"Softplus":    {1, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return softplus })},
		"Abs":         {1, 1, 1, prepIntOrFloat(func(v int64) int64 { return max(v, -v) }, abs32)},
		"Neg":         {1, 1, 1, prepIntOrFloat(func(v int64) int64 { return -v }, func(v float32) float32 { return -v })},
		"LeakyRelu":   {1, 1, 1, prepUnary(leakyRelu)},
		"Elu":         {1, 1, 1, prepUnary(elu)},
		"Selu":        {1, 1, 1, prepUnary(selu)},
		"HardSigmoid": {1, 1, 1, prepUnary(hardSigmoid)},
		"HardSwish":   {14, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return hardSwish })},
		"Gelu":        {20, 1, 1, prepUnary(gelu)},
		"Clip":        {1, 1, 3, prepClip},
		"Softmax":     {1, 1, 1, prepSoftmax(false)},
		"LogSoftmax":  {1, 1, 1, prepSoftmax(true)},
		// Shape and data movement.
		"Reshape":         {1, 1, 2, prepReshape},
		"Flatten":         {1, 1, 1, prepFlatten},
		"Transpose":       {1, 1, 1, prepTranspose},
		"Squeeze":         {1, 1, 2, prepSqueeze(false)},
		"Unsqueeze":       {1, 1, 2, prepSqueeze(true)},
		"Concat":          {1, 1, 1 << 16, prepConcat},
		"Split":           {1, 1, 2, prepSplit},
		"Slice":           {1, 1, 5, prepSlice},
		"Gather":          {1, 2, 2, prepGather},
		"Shape":           {1, 1, 1, prepShape},
		"Size":            {1, 1, 1, prepSize},
		"Constant":        {1, 0, 0, prepConstant},
		"ConstantOfShape": {9, 1, 1, prepConstantOfShape},
		"Identity":        {1, 1, 1, prepIdentity},
		"Dropout":         {1, 1, 3, prepDropout},
		"Cast":            {1, 1, 1, prepCast},
		"Pad":             {1, 1, 4, prepPad},
		"Tile":            {6, 2, 2, prepTile},
		"Expand":          {8, 2, 2, prepExpand},
		"Range":           {11, 3, 3, prepRange},
		// Reductions.
		"ReduceMean":      {1, 1, 2, prepReduce(reduceMean, 18)},
		"ReduceSum":       {1, 1, 2, prepReduce(reduceSum, 13)},
		"ReduceMax":       {1, 1, 2, prepReduce(reduceMax, 18)},
		"ReduceMin":       {1, 1, 2, prepReduce(reduceMin, 18)},
		"ReduceProd":      {1, 1, 2, prepReduce(reduceProd, 18)},
		"ReduceL2":        {1, 1, 2, prepReduce(reduceL2, 18)},
		"ReduceSumSquare": {1, 1, 2, prepReduce(reduceSumSquare, 18)},
		// Resampling.
		"Upsample": {7, 1, 2, prepUpsample},
		"Resize":   {10, 1, 4, prepResize},
	}
	registerExtraOps()
}

func f64(f func(float64) float64) func(float32) float32 {
	return func(v float32) float32 { return float32(f(float64(v))) }
}

func abs32(v float32) float32 { return float32(math.Abs(float64(v))) }

// one returns a kernel with one output.
func one(f func(r *runCtx, in []*Tensor) (*Tensor, error)) kernel {
	return func(r *runCtx, in []*Tensor) ([]*Tensor, error) {
		t, err := f(r, in)
		if err != nil {
			return nil, err
		}
		return []*Tensor{t}, nil
	}
}

func wantFloat(t *Tensor, what string) error {
	if t.DType != Float32 {
		return fmt.Errorf("%s %s: want floating-point data", what, t)
	}
	return nil
}

// spatial reads the window attributes shared by Conv, ConvTranspose and
// the pooling operators.
func spatial(c *nodeCtx) (spatialAttrs, error) {
	a := spatialAttrs{
		kernel:    c.ints("kernel_shape", nil),
		strides:   c.ints("strides", nil),
		pads:      c.ints("pads", nil),
		autoPad:   c.str("auto_pad", autoPadNotSet),
		dilations: nil,
	}
	switch a.autoPad {
	case autoPadNotSet, autoPadValid, autoPadSameUpper, autoPadSameLower:
	default:
		return a, c.unsupported("auto_pad", "value %q", a.autoPad)
	}
	return a, nil
}

func prepConv(c *nodeCtx) (kernel, error) {
	a, err := spatial(c)
	if err != nil {
		return nil, err
	}
	a.dilations = c.ints("dilations", nil)
	group := int(c.int("group", 1))
	w, b := c.constInput(1), c.constInput(2)
	if w != nil && (b != nil || !c.hasInput(2)) {
		plan, err := newConvPlan(w, b, group, a)
		if err != nil {
			return nil, c.invalid("", "%v", err)
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return plan.run(in[0], r.ar, r.ws, r.fuseRelu) }), nil
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		plan, err := newConvPlan(in[1], in[2], group, a)
		if err != nil {
			return nil, err
		}
		return plan.run(in[0], r.ar, r.ws, r.fuseRelu)
	}), nil
}

func prepConvTranspose(c *nodeCtx) (kernel, error) {
	sa, err := spatial(c)
	if err != nil {
		return nil, err
	}
	sa.dilations = c.ints("dilations", nil)
	a := convTransposeAttrs{spatialAttrs: sa, group: int(c.int("group", 1)),
		outputPadding: c.ints("output_padding", nil), outputShape: c.ints("output_shape", nil)}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		return convTranspose(in[0], in[1], in[2], a, r.ar, r.ws)
	}), nil
}

func prepPool(kind poolKind) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		sa, err := spatial(c)
		if err != nil {
			return nil, err
		}
		if sa.kernel == nil {
			return nil, c.invalid("kernel_shape", "required attribute missing")
		}
		if c.opset >= 10 {
			sa.ceil = c.int("ceil_mode", 0) != 0
		}
		a := poolAttrs{kind: kind}
		if kind == poolMax {
			if c.opset >= 10 {
				sa.dilations = c.ints("dilations", nil)
			}
			if c.opset >= 8 {
				c.ignore("storage_order") // only affects the Indices output
			}
			if c.hasOutput(1) {
				return nil, c.unsupported("", "the Indices output of MaxPool")
			}
		} else {
			if c.opset >= 7 {
				a.countIncludePad = c.int("count_include_pad", 0) != 0
			}
			if c.opset >= 19 {
				sa.dilations = c.ints("dilations", nil)
			}
		}
		a.spatialAttrs = sa
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return pool(in[0], a, r.ar, r.fuseRelu) }), nil
	}
}

func prepGlobalPool(kind poolKind) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return globalPool(in[0], kind, r.ar) }), nil
	}
}

func prepBatchNorm(c *nodeCtx) (kernel, error) {
	eps := c.float("epsilon", 1e-5)
	c.ignore("momentum")
	if c.opset < 6 {
		c.ignore("consumed_inputs")
	}
	if c.opset < 7 {
		c.ignore("is_test")
	}
	if c.opset < 9 {
		if c.int("spatial", 1) != 1 {
			return nil, c.unsupported("spatial", "spatial=0 (per-activation statistics)")
		}
	}
	if c.opset >= 14 && c.int("training_mode", 0) != 0 {
		return nil, c.unsupported("training_mode", "training mode (inference only)")
	}
	for i := 1; i < len(c.nd.outputs); i++ {
		if c.hasOutput(i) {
			return nil, c.unsupported("", "training outputs (running mean/var) of BatchNormalization")
		}
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		return batchNorm(in[0], in[1], in[2], in[3], in[4], eps, r.ar, r.fuseRelu)
	}), nil
}

func prepInstanceNorm(c *nodeCtx) (kernel, error) {
	eps := c.float("epsilon", 1e-5)
	if c.opset < 6 {
		c.ignore("consumed_inputs")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		return instanceNorm(in[0], in[1], in[2], eps, r.ar)
	}), nil
}

func prepLRN(c *nodeCtx) (kernel, error) {
	alpha := c.float("alpha", 1e-4)
	beta := c.float("beta", 0.75)
	bias := c.float("bias", 1)
	if !c.has("size") {
		return nil, c.invalid("size", "required attribute missing")
	}
	size := int(c.int("size", 1))
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		return lrn(in[0], size, alpha, beta, bias, r.ar)
	}), nil
}

func prepGemm(c *nodeCtx) (kernel, error) {
	alpha := c.float("alpha", 1)
	beta := c.float("beta", 1)
	ta := c.int("transA", 0) != 0
	tb := c.int("transB", 0) != 0
	if c.opset < 7 {
		c.ignore("broadcast") // C is broadcast either way
	}
	if c.opset < 11 && !c.hasInput(2) {
		return nil, c.invalid("", "input C is required before opset 11")
	}
	var pre *kernels.PackedB
	if w := c.constInput(1); w != nil && w.DType == Float32 && len(w.Shape) == 2 && len(w.F) == numel(w.Shape) {
		k, n := w.Shape[0], w.Shape[1]
		if tb {
			k, n = n, k
		}
		pb := kernels.PackB(nil, tb, k, n, w.F, w.Shape[1])
		pre = &pb
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		y, err := gemmOp(in[0], in[1], in[2], ta, tb, alpha, beta, pre, r.ar, r.ws[0])
		if err == nil && r.fuseRelu {
			reluInPlace(y.F)
		}
		return y, err
	}), nil
}

func prepMatMul(c *nodeCtx) (kernel, error) {
	var pre *kernels.PackedB
	if w := c.constInput(1); w != nil && w.DType == Float32 && len(w.Shape) == 2 && len(w.F) == numel(w.Shape) && w.Len() > 0 {
		pb := kernels.PackB(nil, false, w.Shape[0], w.Shape[1], w.F, w.Shape[1])
		pre = &pb
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return matmul(in[0], in[1], pre, r.ar, r.ws[0]) }), nil
}

// legacyBroadcast reads the pre-opset-7 broadcast/axis attributes and
// returns a function reshaping B so that NumPy broadcasting reproduces
// the old rule (B's shape matched against A's starting at axis).
func legacyBroadcast(c *nodeCtx) func(a, b *Tensor) *Tensor {
	if c.opset >= 7 {
		return nil
	}
	if c.opset < 6 {
		c.ignore("consumed_inputs")
	}
	bc := c.int("broadcast", 0) != 0
	axis, hasAxis := c.int("axis", 0), c.has("axis")
	if !bc {
		return nil
	}
	return func(a, b *Tensor) *Tensor {
		if !hasAxis || len(b.Shape) == 0 {
			return b
		}
		ax := int(axis)
		if ax < 0 {
			ax += len(a.Shape)
		}
		shape := make([]int, 0, len(a.Shape))
		for i := 0; i < ax; i++ {
			shape = append(shape, 1)
		}
		shape = append(shape, b.Shape...)
		for len(shape) < len(a.Shape) {
			shape = append(shape, 1)
		}
		return alias(b, shape)
	}
}

func prepBinary(op binOp) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		legacy := legacyBroadcast(c)
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			a, b := in[0], in[1]
			if legacy != nil {
				b = legacy(a, b)
			}
			if a.DType != b.DType {
				// Mixed int/float only arises from models mixing a float
				// tensor with an integer constant; compute in float.
				a, b = toFloat(a), toFloat(b)
			}
			y, err := binary(op, a, b, r.ar)
			if err == nil && r.fuseRelu {
				reluTensor(y)
			}
			return y, err
		}), nil
	}
}

func toFloat(t *Tensor) *Tensor {
	if t.DType == Float32 {
		return t
	}
	out := &Tensor{Shape: t.Shape, F: make([]float32, len(t.I))}
	for i, v := range t.I {
		out.F[i] = float32(v)
	}
	return out
}

func prepPRelu(c *nodeCtx) (kernel, error) {
	if c.opset < 6 {
		c.ignore("consumed_inputs")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x, s := in[0], in[1]
		if err := wantFloat(x, "input"); err != nil {
			return nil, err
		}
		if _, err := broadcastShape(x.Shape, s.Shape); err != nil && len(s.Shape) == 1 && len(x.Shape) >= 2 && s.Shape[0] == x.Shape[1] {
			// Per-channel slope (PRelu before opset 7).
			shape := []int{s.Shape[0]}
			for range x.Shape[2:] {
				shape = append(shape, 1)
			}
			s = alias(s, shape)
		}
		return binary(opPRelu, x, toFloat(s), r.ar)
	}), nil
}

func prepVariadic(op binOp, mean bool) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		if c.opset < 6 {
			c.ignore("consumed_inputs")
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return variadic(op, in, mean, r.ar) }), nil
	}
}

func prepWhere(c *nodeCtx) (kernel, error) {
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		cond, x, y := in[0], in[1], in[2]
		if cond.DType != Int64 {
			return nil, fmt.Errorf("condition %s: want bool", cond)
		}
		if x.DType != y.DType {
			x, y = toFloat(x), toFloat(y)
		}
		shape, err := broadcastShape(cond.Shape, x.Shape, y.Shape)
		if err != nil {
			return nil, err
		}
		out := newLike(x.DType, shape, r.ar)
		it := newBcastIter(shape, cond.Shape, x.Shape, y.Shape)
		sc, sx, sy := it.istr[0], it.istr[1], it.istr[2]
		it.each(func(o int, offs []int) {
			for i := 0; i < it.inner; i++ {
				take := cond.I[offs[0]+i*sc] != 0
				if x.DType == Int64 {
					if take {
						out.I[o+i] = x.I[offs[1]+i*sx]
					} else {
						out.I[o+i] = y.I[offs[2]+i*sy]
					}
				} else if take {
					out.F[o+i] = x.F[offs[1]+i*sx]
				} else {
					out.F[o+i] = y.F[offs[2]+i*sy]
				}
			}
		})
		return out, nil
	}), nil
}

// prepUnary makes an elementwise float kernel; mk reads the attributes and
// returns the function (nil means Relu).
func prepUnary(mk func(c *nodeCtx) func(float32) float32) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		if c.opset < 6 {
			c.ignore("consumed_inputs")
		}
		f := mk(c)
		if f == nil {
			return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
				if err := wantFloat(in[0], "input"); err != nil {
					return nil, err
				}
				return relu(in[0], r.ar), nil
			}), nil
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return unary(in[0], r.ar, f) }), nil
	}
}

func prepIntOrFloat(fi func(int64) int64, ff func(float32) float32) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		if c.opset < 6 {
			c.ignore("consumed_inputs")
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			x := in[0]
			if x.DType == Int64 {
				out := r.ar.getInt(append([]int(nil), x.Shape...))
				for i, v := range x.I {
					out.I[i] = fi(v)
				}
				return out, nil
			}
			if ff == nil {
				return nil, fmt.Errorf("input %s: want a bool/integer tensor", x)
			}
			return unary(x, r.ar, ff)
		}), nil
	}
}

func leakyRelu(c *nodeCtx) func(float32) float32 {
	alpha := c.float("alpha", 0.01)
	return func(v float32) float32 {
		if v < 0 {
			return alpha * v
		}
		return v
	}
}

func elu(c *nodeCtx) func(float32) float32 {
	alpha := float64(c.float("alpha", 1))
	return func(v float32) float32 {
		if v < 0 {
			return float32(alpha * math.Expm1(float64(v)))
		}
		return v
	}
}

func selu(c *nodeCtx) func(float32) float32 {
	alpha := float64(c.float("alpha", 1.67326319217681884765625))
	gamma := float64(c.float("gamma", 1.05070102214813232421875))
	return func(v float32) float32 {
		if v <= 0 {
			return float32(gamma * alpha * math.Expm1(float64(v)))
		}
		return float32(gamma * float64(v))
	}
}

func hardSigmoid(c *nodeCtx) func(float32) float32 {
	alpha := c.float("alpha", 0.2)
	beta := c.float("beta", 0.5)
	return func(v float32) float32 { return min(1, max(0, alpha*v+beta)) }
}

func hardSwish(v float32) float32 { return v * min(1, max(0, v/6+0.5)) }

func gelu(c *nodeCtx) func(float32) float32 {
	approx := c.str("approximate", "none")
	if approx == "tanh" {
		return func(v float32) float32 {
			x := float64(v)
			return float32(0.5 * x * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))))
		}
	}
	return func(v float32) float32 {
		x := float64(v)
		return float32(0.5 * x * (1 + math.Erf(x/math.Sqrt2)))
	}
}

func prepClip(c *nodeCtx) (kernel, error) {
	if c.opset < 11 {
		if c.opset < 6 {
			c.ignore("consumed_inputs")
		}
		lo := c.float("min", float32(math.Inf(-1)))
		hi := c.float("max", float32(math.Inf(1)))
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			return clipFloat(in[0], r.ar, lo, hi)
		}), nil
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if in[1] != nil {
			if in[1].Len() != 1 {
				return nil, fmt.Errorf("min %s: want a scalar", in[1])
			}
			lo = in[1].scalarFloat()
		}
		if len(in) > 2 && in[2] != nil {
			if in[2].Len() != 1 {
				return nil, fmt.Errorf("max %s: want a scalar", in[2])
			}
			hi = in[2].scalarFloat()
		}
		x := in[0]
		if x.DType == Int64 {
			out := r.ar.getInt(append([]int(nil), x.Shape...))
			for i, v := range x.I {
				out.I[i] = int64(clip(float32(v), lo, hi))
			}
			return out, nil
		}
		return clipFloat(x, r.ar, lo, hi)
	}), nil
}

// clipFloat is Clip of a float32 tensor (kernels.Clip on the workers).
func clipFloat(x *Tensor, ar *arena, lo, hi float32) (*Tensor, error) {
	if x.DType != Float32 {
		return nil, fmt.Errorf("input %s: want float32", x)
	}
	return mapChunks(x, ar, 1, func(ys, xs []float32) { kernels.Clip(ys, xs, lo, hi) }), nil
}

func clip(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func prepSoftmax(log bool) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		def := int64(1)
		if c.opset >= 13 {
			def = -1
		}
		axis := c.int("axis", def)
		newStyle := c.opset >= 13
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			x := in[0]
			if len(x.Shape) == 0 {
				return softmax(x, 1, 1, 1, log, r.ar)
			}
			ax, err := normAxis(axis, len(x.Shape))
			if err != nil {
				return nil, err
			}
			if newStyle {
				return softmax(x, numel(x.Shape[:ax]), x.Shape[ax], numel(x.Shape[ax+1:]), log, r.ar)
			}
			// Before opset 13 the input is coerced to 2-D at axis.
			return softmax(x, numel(x.Shape[:ax]), numel(x.Shape[ax:]), 1, log, r.ar)
		}), nil
	}
}

func prepReshape(c *nodeCtx) (kernel, error) {
	if c.opset < 5 {
		c.ignore("consumed_inputs")
		shape := c.ints("shape", nil)
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			s, err := reshapeTarget(in[0].Shape, shape, false)
			if err != nil {
				return nil, err
			}
			return alias(in[0], s), nil
		}), nil
	}
	if !c.hasInput(1) {
		return nil, c.invalid("", "input shape is required from opset 5")
	}
	allowZero := false
	if c.opset >= 14 {
		allowZero = c.int("allowzero", 0) != 0
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		if in[1].DType != Int64 {
			return nil, fmt.Errorf("shape %s: want int64", in[1])
		}
		s, err := reshapeTarget(in[0].Shape, in[1].I, allowZero)
		if err != nil {
			return nil, err
		}
		return alias(in[0], s), nil
	}), nil
}

func prepFlatten(c *nodeCtx) (kernel, error) {
	axis := c.int("axis", 1)
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		s, err := flattenShape(in[0].Shape, axis)
		if err != nil {
			return nil, err
		}
		return alias(in[0], s), nil
	}), nil
}

func prepTranspose(c *nodeCtx) (kernel, error) {
	perm := c.ints("perm", nil)
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return transpose(in[0], perm, r.ar) }), nil
}

func prepSqueeze(un bool) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		var attrAxes []int64
		if c.opset < 13 {
			attrAxes = c.ints("axes", nil)
			if un && attrAxes == nil {
				return nil, c.invalid("axes", "required attribute missing")
			}
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			axes := attrAxes
			if len(in) > 1 && in[1] != nil {
				axes = in[1].ints()
			}
			var s []int
			var err error
			if un {
				s, err = unsqueezeShape(in[0].Shape, axes)
			} else {
				s, err = squeezeShape(in[0].Shape, axes)
			}
			if err != nil {
				return nil, err
			}
			return alias(in[0], s), nil
		}), nil
	}
}

func prepConcat(c *nodeCtx) (kernel, error) {
	def := int64(1)
	if c.opset >= 4 && !c.has("axis") {
		return nil, c.invalid("axis", "required attribute missing")
	}
	axis := c.int("axis", def)
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		var ts []*Tensor
		dt := Int64
		for _, t := range in {
			if t != nil && t.DType == Float32 {
				dt = Float32
			}
		}
		for _, t := range in {
			if t != nil {
				if dt == Float32 {
					t = toFloat(t)
				}
				ts = append(ts, t)
			}
		}
		return concat(ts, axis, r.ar)
	}), nil
}

func prepSplit(c *nodeCtx) (kernel, error) {
	axis := c.int("axis", 0)
	var attrSplit []int64
	if c.opset < 13 {
		attrSplit = c.ints("split", nil)
	}
	numOut := int64(0)
	if c.opset >= 18 {
		numOut = c.int("num_outputs", 0)
	}
	nout := len(c.nd.outputs)
	return func(r *runCtx, in []*Tensor) ([]*Tensor, error) {
		x := in[0]
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		var sizes []int
		sp := attrSplit
		if len(in) > 1 && in[1] != nil {
			sp = in[1].ints()
		}
		switch {
		case sp != nil:
			for _, v := range sp {
				sizes = append(sizes, int(v))
			}
		case numOut > 0:
			sizes = evenSplit(x.Shape[ax], int(numOut))
		default:
			if x.Shape[ax]%nout != 0 {
				return nil, fmt.Errorf("cannot split dimension %d of %s evenly into %d outputs", ax, x, nout)
			}
			sizes = evenSplit(x.Shape[ax], nout)
		}
		if len(sizes) != nout {
			return nil, fmt.Errorf("%d split sizes for %d outputs", len(sizes), nout)
		}
		return split(x, axis, sizes, r.ar)
	}, nil
}

func prepSlice(c *nodeCtx) (kernel, error) {
	if c.opset < 10 {
		starts := c.ints("starts", nil)
		ends := c.ints("ends", nil)
		axes := c.ints("axes", nil)
		if starts == nil || ends == nil {
			return nil, c.invalid("starts", "starts and ends are required")
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			return slice(in[0], starts, ends, axes, nil, r.ar)
		}), nil
	}
	if !c.hasInput(1) || !c.hasInput(2) {
		return nil, c.invalid("", "inputs starts and ends are required")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		var axes, steps []int64
		if len(in) > 3 && in[3] != nil {
			axes = in[3].ints()
		}
		if len(in) > 4 && in[4] != nil {
			steps = in[4].ints()
		}
		return slice(in[0], in[1].ints(), in[2].ints(), axes, steps, r.ar)
	}), nil
}

func prepGather(c *nodeCtx) (kernel, error) {
	axis := c.int("axis", 0)
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return gather(in[0], in[1], axis, r.ar) }), nil
}

func prepShape(c *nodeCtx) (kernel, error) {
	var start, end int64 = 0, math.MaxInt64
	hasEnd := false
	if c.opset >= 15 {
		start = c.int("start", 0)
		hasEnd = c.has("end")
		end = c.int("end", 0)
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		rk := int64(len(in[0].Shape))
		s, e := start, rk
		if hasEnd {
			e = end
		}
		if s < 0 {
			s += rk
		}
		if e < 0 {
			e += rk
		}
		s, e = clamp64(s, 0, rk), clamp64(e, 0, rk)
		out := []int64{}
		for i := s; i < e; i++ {
			out = append(out, int64(in[0].Shape[i]))
		}
		return NewInt([]int{len(out)}, out), nil
	}), nil
}

func prepSize(c *nodeCtx) (kernel, error) {
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		return NewInt(nil, []int64{int64(in[0].Len())}), nil
	}), nil
}

func prepConstant(c *nodeCtx) (kernel, error) {
	var t *Tensor
	switch {
	case c.has("value"):
		t = c.tensorAttr("value")
	case c.has("value_float"):
		t = NewFloat(nil, []float32{c.float("value_float", 0)})
	case c.has("value_floats"):
		v := c.floats("value_floats", nil)
		t = NewFloat([]int{len(v)}, append([]float32(nil), v...))
	case c.has("value_int"):
		t = NewInt(nil, []int64{c.int("value_int", 0)})
	case c.has("value_ints"):
		v := c.ints("value_ints", nil)
		t = NewInt([]int{len(v)}, append([]int64(nil), v...))
	default:
		if c.has("sparse_value") || c.has("value_string") || c.has("value_strings") {
			return nil, c.unsupported(c.attrs.Names()[0], "constant of this kind")
		}
		return nil, c.invalid("value", "Constant without a value")
	}
	if c.err != nil {
		return nil, c.err
	}
	if t == nil {
		return nil, c.invalid("value", "no value")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return alias(t, t.Shape), nil }), nil
}

func prepConstantOfShape(c *nodeCtx) (kernel, error) {
	v := c.tensorAttr("value")
	if c.err != nil {
		return nil, c.err
	}
	if v == nil {
		v = NewFloat(nil, []float32{0})
	}
	if v.Len() != 1 {
		return nil, c.invalid("value", "want one element, have %d", v.Len())
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		dims := in[0].ints()
		shape := make([]int, len(dims))
		for i, d := range dims {
			if d < 0 {
				return nil, fmt.Errorf("negative dimension in shape %v", dims)
			}
			shape[i] = int(d)
		}
		if err := checkElements(shape); err != nil {
			return nil, err
		}
		if v.DType == Int64 {
			out := r.ar.getInt(shape)
			for i := range out.I {
				out.I[i] = v.I[0]
			}
			return out, nil
		}
		out := r.ar.get(shape)
		for i := range out.F {
			out.F[i] = v.F[0]
		}
		return out, nil
	}), nil
}

func prepIdentity(c *nodeCtx) (kernel, error) {
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return alias(in[0], in[0].Shape), nil }), nil
}

func prepDropout(c *nodeCtx) (kernel, error) {
	if c.opset < 6 {
		c.ignore("consumed_inputs")
	}
	if c.opset < 7 {
		c.ignore("is_test")
	}
	if c.opset < 12 {
		c.ignore("ratio")
	} else {
		c.ignore("seed")
		if t := c.constInput(2); t != nil && t.Len() == 1 && t.ints()[0] != 0 {
			return nil, c.unsupported("", "Dropout in training mode")
		}
	}
	mask := c.hasOutput(1)
	return func(r *runCtx, in []*Tensor) ([]*Tensor, error) {
		if len(in) > 2 && in[2] != nil && in[2].Len() == 1 && in[2].ints()[0] != 0 {
			return nil, fmt.Errorf("Dropout in training mode is not supported")
		}
		out := []*Tensor{alias(in[0], in[0].Shape)}
		if mask {
			m := r.ar.getInt(append([]int(nil), in[0].Shape...))
			for i := range m.I {
				m.I[i] = 1
			}
			out = append(out, m)
		}
		return out, nil
	}, nil
}

func prepCast(c *nodeCtx) (kernel, error) {
	var to DType
	var intKind int64
	if c.opset < 6 {
		s := c.str("to", "")
		switch s {
		case "FLOAT", "DOUBLE", "FLOAT16":
			to = Float32
		case "INT64", "INT32", "INT16", "INT8", "UINT8", "UINT16", "UINT32", "BOOL":
			to = Int64
		default:
			return nil, c.unsupported("to", "cast to %q", s)
		}
	} else {
		k := c.int("to", 0)
		dt, err := storageType(onnxDType(k))
		if err != nil {
			return nil, c.unsupported("to", "cast to %v", err)
		}
		to, intKind = dt, k
	}
	if c.opset >= 19 {
		c.ignore("saturate") // only affects float8 targets
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x := in[0]
		if to == Float32 {
			if x.DType == Float32 {
				return alias(x, x.Shape), nil
			}
			return toFloat(x), nil
		}
		out := r.ar.getInt(append([]int(nil), x.Shape...))
		if x.DType == Int64 {
			copy(out.I, x.I)
		} else {
			for i, v := range x.F {
				out.I[i] = int64(v) // truncation toward zero
			}
		}
		if intKind == 9 { // bool
			for i, v := range out.I {
				if v != 0 || (x.DType == Float32 && x.F[i] != 0) {
					out.I[i] = 1
				}
			}
		}
		return out, nil
	}), nil
}

func prepPad(c *nodeCtx) (kernel, error) {
	modeS := c.str("mode", "constant")
	var mode padMode
	switch modeS {
	case "constant":
		mode = padConstant
	case "reflect":
		mode = padReflect
	case "edge":
		mode = padEdge
	default:
		return nil, c.unsupported("mode", "value %q", modeS)
	}
	if c.opset < 11 {
		name := "pads"
		if c.opset < 2 {
			name = "paddings"
		}
		pads := c.ints(name, nil)
		if pads == nil {
			return nil, c.invalid(name, "required attribute missing")
		}
		value := c.float("value", 0)
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return pad(in[0], pads, mode, value, r.ar) }), nil
	}
	if !c.hasInput(1) {
		return nil, c.invalid("", "input pads is required")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x := in[0]
		p := in[1].ints()
		var value float32
		if len(in) > 2 && in[2] != nil && in[2].Len() > 0 {
			value = in[2].scalarFloat()
		}
		if len(in) > 3 && in[3] != nil {
			// Pad-18 axes: expand to all axes.
			axes := in[3].ints()
			rk := len(x.Shape)
			full := make([]int64, 2*rk)
			if len(p) != 2*len(axes) {
				return nil, fmt.Errorf("pads %v for axes %v", p, axes)
			}
			for i, a := range axes {
				ax, err := normAxis(a, rk)
				if err != nil {
					return nil, err
				}
				full[ax] = p[i]
				full[ax+rk] = p[i+len(axes)]
			}
			p = full
		}
		return pad(x, p, mode, value, r.ar)
	}), nil
}

func prepTile(c *nodeCtx) (kernel, error) {
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) { return tile(in[0], in[1].ints(), r.ar) }), nil
}

func prepExpand(c *nodeCtx) (kernel, error) {
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		dims := in[1].ints()
		shape := make([]int, len(dims))
		for i, d := range dims {
			if d < 0 {
				return nil, fmt.Errorf("negative dimension in shape %v", dims)
			}
			shape[i] = int(d)
		}
		return expand(in[0], shape, r.ar)
	}), nil
}

func prepRange(c *nodeCtx) (kernel, error) {
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		st, lim, d := in[0], in[1], in[2]
		if st.Len() != 1 || lim.Len() != 1 || d.Len() != 1 {
			return nil, fmt.Errorf("start, limit and delta must be scalars")
		}
		if st.DType == Int64 && lim.DType == Int64 && d.DType == Int64 {
			s, l, dd := st.I[0], lim.I[0], d.I[0]
			if dd == 0 {
				return nil, fmt.Errorf("delta 0")
			}
			n := max(0, int64(math.Ceil(float64(l-s)/float64(dd))))
			if n > maxElements {
				return nil, fmt.Errorf("Range of %d elements", n)
			}
			r.ar.need(8*n, "Range output")
			out := make([]int64, n)
			for i := range out {
				out[i] = s + int64(i)*dd
			}
			return NewInt([]int{int(n)}, out), nil
		}
		s, l, dd := st.scalarFloat(), lim.scalarFloat(), d.scalarFloat()
		if dd == 0 {
			return nil, fmt.Errorf("delta 0")
		}
		n := max(0, int(math.Ceil(float64(l-s)/float64(dd))))
		if n > maxElements {
			return nil, fmt.Errorf("Range of %d elements", n)
		}
		r.ar.need(4*int64(n), "Range output")
		out := make([]float32, n)
		for i := range out {
			out[i] = s + float32(i)*dd
		}
		return NewFloat([]int{n}, out), nil
	}), nil
}

func prepReduce(kind reduceKind, inputAxesSince int64) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		keep := c.int("keepdims", 1) != 0
		var attrAxes []int64
		noop := false
		if c.opset < inputAxesSince {
			attrAxes = c.ints("axes", nil)
		} else {
			noop = c.int("noop_with_empty_axes", 0) != 0
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			axes := attrAxes
			if len(in) > 1 && in[1] != nil {
				axes = in[1].ints()
			}
			return reduce(in[0], kind, axes, keep, noop, r.ar)
		}), nil
	}
}
