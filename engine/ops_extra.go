package engine

import (
	"fmt"
	"math"
)

// registerExtraOps adds operators beyond the list that PyTorch
// exports of vision models commonly contain.
func registerExtraOps() {
	ops["ArgMax"] = opDef{1, 1, 1, prepArg(true)}
	ops["ArgMin"] = opDef{1, 1, 1, prepArg(false)}
	ops["DepthToSpace"] = opDef{1, 1, 1, prepDepthToSpace}
	ops["SpaceToDepth"] = opDef{1, 1, 1, prepSpaceToDepth}
	ops["LayerNormalization"] = opDef{17, 1, 3, prepLayerNorm}
	ops["Mod"] = opDef{10, 2, 2, prepMod}
	ops["Not"] = opDef{1, 1, 1, prepIntOrFloat(func(v int64) int64 { return 1 - min(1, max(0, v)) }, nil)}
	ops["Sign"] = opDef{9, 1, 1, prepIntOrFloat(func(v int64) int64 { return max(-1, min(1, v)) }, func(v float32) float32 {
		switch {
		case v > 0:
			return 1
		case v < 0:
			return -1
		}
		return v
	})}
	ops["Sin"] = opDef{7, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Sin) })}
	ops["Cos"] = opDef{7, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 { return f64(math.Cos) })}
	ops["Mish"] = opDef{18, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 {
		return func(v float32) float32 { return float32(float64(v) * math.Tanh(float64(softplus(v)))) }
	})}
	ops["Celu"] = opDef{12, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 {
		alpha := float64(c.float("alpha", 1))
		return func(v float32) float32 {
			x := float64(v)
			return float32(max(0, x) + min(0, alpha*math.Expm1(x/alpha)))
		}
	})}
	ops["ThresholdedRelu"] = opDef{10, 1, 1, prepUnary(func(c *nodeCtx) func(float32) float32 {
		alpha := c.float("alpha", 1)
		return func(v float32) float32 {
			if v > alpha {
				return v
			}
			return 0
		}
	})}
}

// prepArg is ArgMax/ArgMin: the index of the first (or, with
// select_last_index, last) extreme value along axis.
func prepArg(isMax bool) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		axis := c.int("axis", 0)
		keep := c.int("keepdims", 1) != 0
		last := false
		if c.opset >= 12 {
			last = c.int("select_last_index", 0) != 0
		}
		return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
			x := toFloat(in[0])
			if len(x.Shape) == 0 {
				return nil, fmt.Errorf("input is a scalar: no axis to reduce")
			}
			ax, err := normAxis(axis, len(x.Shape))
			if err != nil {
				return nil, err
			}
			outer, n, inner := numel(x.Shape[:ax]), x.Shape[ax], numel(x.Shape[ax+1:])
			if n == 0 {
				return nil, fmt.Errorf("arg reduction over an empty axis")
			}
			shape := append([]int(nil), x.Shape[:ax]...)
			if keep {
				shape = append(shape, 1)
			}
			shape = append(shape, x.Shape[ax+1:]...)
			out := r.ar.getInt(shape)
			for o := 0; o < outer; o++ {
				for i := 0; i < inner; i++ {
					best, bi := x.F[o*n*inner+i], 0
					for k := 1; k < n; k++ {
						v := x.F[(o*n+k)*inner+i]
						better := v > best
						if !isMax {
							better = v < best
						}
						if better || (last && v == best) {
							best, bi = v, k
						}
					}
					out.I[o*inner+i] = int64(bi)
				}
			}
			return out, nil
		}), nil
	}
}

// prepDepthToSpace rearranges N×C×H×W into N×C/b²×H·b×W·b (DCR or CRD
// order, ONNX DepthToSpace) by a reshape, a transpose and a reshape.
func prepDepthToSpace(c *nodeCtx) (kernel, error) {
	b := int(c.int("blocksize", 0))
	mode := "DCR"
	if c.opset >= 11 {
		mode = c.str("mode", "DCR")
	}
	if b < 1 {
		return nil, c.invalid("blocksize", "want ≥ 1")
	}
	if mode != "DCR" && mode != "CRD" {
		return nil, c.unsupported("mode", "value %q", mode)
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x := in[0]
		if len(x.Shape) != 4 || x.Shape[1]%(b*b) != 0 {
			return nil, fmt.Errorf("input %s: want N×C×H×W with C divisible by %d", x, b*b)
		}
		n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		var v *Tensor
		var perm []int64
		if mode == "DCR" {
			v = alias(x, []int{n, b, b, ch / (b * b), h, w})
			perm = []int64{0, 3, 4, 1, 5, 2}
		} else {
			v = alias(x, []int{n, ch / (b * b), b, b, h, w})
			perm = []int64{0, 1, 4, 2, 5, 3}
		}
		t, err := transpose(v, perm, r.ar)
		r.ar.release(v)
		if err != nil {
			return nil, err
		}
		t.Shape = []int{n, ch / (b * b), h * b, w * b}
		return t, nil
	}), nil
}

// prepSpaceToDepth is the inverse of DepthToSpace (DCR order).
func prepSpaceToDepth(c *nodeCtx) (kernel, error) {
	b := int(c.int("blocksize", 0))
	if b < 1 {
		return nil, c.invalid("blocksize", "want ≥ 1")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x := in[0]
		if len(x.Shape) != 4 || x.Shape[2]%b != 0 || x.Shape[3]%b != 0 {
			return nil, fmt.Errorf("input %s: want N×C×H×W with H and W divisible by %d", x, b)
		}
		n, ch, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
		v := alias(x, []int{n, ch, h / b, b, w / b, b})
		t, err := transpose(v, []int64{0, 3, 5, 1, 2, 4}, r.ar)
		r.ar.release(v)
		if err != nil {
			return nil, err
		}
		t.Shape = []int{n, ch * b * b, h / b, w / b}
		return t, nil
	}), nil
}

// prepLayerNorm normalises over the axes from axis on:
// y = (x − mean)/√(var + ε)·scale + bias (Ba et al. 2016, ONNX-17).
func prepLayerNorm(c *nodeCtx) (kernel, error) {
	axis := c.int("axis", -1)
	eps := c.float("epsilon", 1e-5)
	c.ignore("stash_type")
	if c.hasOutput(1) || c.hasOutput(2) {
		return nil, c.unsupported("", "the Mean/InvStdDev outputs of LayerNormalization")
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x := in[0]
		if err := wantFloat(x, "input"); err != nil {
			return nil, err
		}
		ax, err := normAxis(axis, len(x.Shape))
		if err != nil {
			return nil, err
		}
		outer, n := numel(x.Shape[:ax]), numel(x.Shape[ax:])
		scale := broadcastTo(toFloat(in[1]), x.Shape[ax:], nil)
		var bias *Tensor
		if len(in) > 2 && in[2] != nil {
			bias = broadcastTo(toFloat(in[2]), x.Shape[ax:], nil)
		}
		y := r.ar.get(append([]int(nil), x.Shape...))
		for o := 0; o < outer; o++ {
			xs, ys := x.F[o*n:(o+1)*n], y.F[o*n:(o+1)*n]
			mu, inv := meanInvStd(xs, eps)
			for i, v := range xs {
				z := (float64(v) - mu) * inv * float64(scale.F[i])
				if bias != nil {
					z += float64(bias.F[i])
				}
				ys[i] = float32(z)
			}
		}
		return y, nil
	}), nil
}

func prepMod(c *nodeCtx) (kernel, error) {
	fmod := c.int("fmod", 0) != 0
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		a, b := in[0], in[1]
		if a.DType == Int64 && b.DType == Int64 && !fmod {
			return binary(opMod, a, b, r.ar)
		}
		if !fmod {
			return nil, fmt.Errorf("Mod with fmod=0 needs integer inputs")
		}
		y, err := binary(opMod, toFloat(a), toFloat(b), r.ar) // C fmod: sign of the dividend
		if err != nil || a.DType != Int64 || b.DType != Int64 {
			return y, err
		}
		out := r.ar.getInt(y.Shape)
		for i, v := range y.F {
			out.I[i] = int64(v)
		}
		return out, nil
	}), nil
}
