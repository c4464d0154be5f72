package engine

import (
	"fmt"
	"math"

	"github.com/conceptcells/conceptcells/onnxio"
)

func onnxDType(k int64) onnxio.DType { return onnxio.DType(k) }

// resizeAttrs are the attributes of Resize (and Upsample).
type resizeAttrs struct {
	linear      bool
	coordMode   string
	nearestMode string
}

// sourceCoord maps output coordinate x (along a dimension resized from in to
// out with scale s) back to the input, as the ONNX Resize spec's
// coordinate_transformation_mode says.
func (a resizeAttrs) sourceCoord(x int, s float64, in, out int) float64 {
	xf := float64(x)
	switch a.coordMode {
	case "asymmetric":
		return xf / s
	case "align_corners":
		if out == 1 {
			return 0
		}
		return xf * float64(in-1) / float64(out-1)
	case "pytorch_half_pixel":
		if out == 1 {
			return 0
		}
		return (xf+0.5)/s - 0.5
	default: // half_pixel
		return (xf+0.5)/s - 0.5
	}
}

func (a resizeAttrs) nearest(v float64) int {
	switch a.nearestMode {
	case "floor":
		return int(math.Floor(v))
	case "ceil":
		return int(math.Ceil(v))
	case "simple":
		return int(math.Floor(v)) // upsampling; downsampling handled in resizeAxis
	case "round_prefer_ceil":
		return int(math.Floor(v + 0.5))
	default: // round_prefer_floor
		if v-math.Floor(v) == 0.5 {
			return int(math.Floor(v))
		}
		return int(math.Round(v))
	}
}

// resize resamples x to shape out (scales[i] = out/in unless given),
// separably along each axis whose size or scale changes.
func resize(x *Tensor, out []int, scales []float64, a resizeAttrs, ar *arena) (*Tensor, error) {
	if x.DType != Float32 {
		return nil, fmt.Errorf("input %s: want float32", x)
	}
	if len(out) != len(x.Shape) {
		return nil, fmt.Errorf("output shape %v for input %s", out, x)
	}
	if err := checkElements(out); err != nil {
		return nil, err
	}
	cur := x
	for ax := range out {
		s := scales[ax]
		if out[ax] == cur.Shape[ax] && s == 1 {
			continue
		}
		next, err := resizeAxis(cur, ax, out[ax], s, a, ar)
		if err != nil {
			return nil, err
		}
		if cur != x {
			ar.release(cur)
		}
		cur = next
	}
	if cur == x {
		return alias(x, x.Shape), nil
	}
	return cur, nil
}

func resizeAxis(x *Tensor, ax, n int, s float64, a resizeAttrs, ar *arena) (*Tensor, error) {
	in := x.Shape[ax]
	if in == 0 && n > 0 {
		return nil, fmt.Errorf("cannot resize an empty axis")
	}
	shape := append([]int(nil), x.Shape...)
	shape[ax] = n
	y := ar.get(shape)
	outer := numel(x.Shape[:ax])
	inner := numel(x.Shape[ax+1:])
	i0 := make([]int, n)
	i1 := make([]int, n)
	w := make([]float32, n)
	for o := 0; o < n; o++ {
		src := a.sourceCoord(o, s, in, n)
		if !a.linear {
			k := a.nearest(src)
			if a.nearestMode == "simple" && s < 1 {
				// Upsample and Resize-10 have no nearest_mode; ONNX Runtime
				// rounds up when downsampling and truncates otherwise.
				k = int(math.Ceil(src))
			}
			k = min(max(k, 0), in-1)
			i0[o], i1[o] = k, k
			continue
		}
		src = min(max(src, 0), float64(in-1))
		f := int(math.Floor(src))
		i0[o] = f
		i1[o] = min(f+1, in-1)
		w[o] = float32(src - float64(f))
	}
	for ou := 0; ou < outer; ou++ {
		xb := x.F[ou*in*inner : (ou+1)*in*inner]
		yb := y.F[ou*n*inner : (ou+1)*n*inner]
		for o := 0; o < n; o++ {
			r0 := xb[i0[o]*inner : (i0[o]+1)*inner]
			r1 := xb[i1[o]*inner : (i1[o]+1)*inner]
			dst := yb[o*inner : (o+1)*inner]
			wo := w[o]
			if wo == 0 {
				copy(dst, r0)
				continue
			}
			for i := range dst {
				dst[i] = r0[i] + wo*(r1[i]-r0[i])
			}
		}
	}
	return y, nil
}

func readResizeMode(c *nodeCtx, a *resizeAttrs) error {
	mode := c.str("mode", "nearest")
	switch mode {
	case "nearest":
	case "linear", "bilinear":
		a.linear = true
	default:
		return c.unsupported("mode", "value %q", mode)
	}
	return nil
}

func prepUpsample(c *nodeCtx) (kernel, error) {
	a := resizeAttrs{coordMode: "asymmetric", nearestMode: "simple"}
	if err := readResizeMode(c, &a); err != nil {
		return nil, err
	}
	var attrScales []float32
	if c.opset < 9 {
		attrScales = c.floats("scales", nil)
		if attrScales == nil {
			return nil, c.invalid("scales", "required attribute missing")
		}
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		sc := attrScales
		if len(in) > 1 && in[1] != nil {
			sc = in[1].F
		}
		return resizeByScales(in[0], sc, a, r.ar)
	}), nil
}

func resizeByScales(x *Tensor, sc []float32, a resizeAttrs, ar *arena) (*Tensor, error) {
	if len(sc) != len(x.Shape) {
		return nil, fmt.Errorf("scales %v for input %s", sc, x)
	}
	out := make([]int, len(sc))
	scales := make([]float64, len(sc))
	for i, s := range sc {
		if s <= 0 {
			return nil, fmt.Errorf("scale %v ≤ 0", s)
		}
		scales[i] = float64(s)
		out[i] = int(math.Floor(float64(x.Shape[i]) * float64(s)))
	}
	return resize(x, out, scales, a, ar)
}

func prepResize(c *nodeCtx) (kernel, error) {
	a := resizeAttrs{coordMode: "asymmetric", nearestMode: "simple"}
	if err := readResizeMode(c, &a); err != nil {
		return nil, err
	}
	if c.opset >= 11 {
		a.coordMode = c.str("coordinate_transformation_mode", "half_pixel")
		switch a.coordMode {
		case "half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel":
		default:
			return nil, c.unsupported("coordinate_transformation_mode", "value %q", a.coordMode)
		}
		a.nearestMode = c.str("nearest_mode", "round_prefer_floor")
		switch a.nearestMode {
		case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
		default:
			return nil, c.unsupported("nearest_mode", "value %q", a.nearestMode)
		}
		c.ignore("cubic_coeff_a", "exclude_outside", "extrapolation_value")
	}
	if c.opset >= 18 {
		if c.int("antialias", 0) != 0 {
			return nil, c.unsupported("antialias", "antialiasing")
		}
		if c.has("axes") {
			return nil, c.unsupported("axes", "resizing a subset of axes")
		}
		if p := c.str("keep_aspect_ratio_policy", "stretch"); p != "stretch" {
			return nil, c.unsupported("keep_aspect_ratio_policy", "value %q", p)
		}
	}
	scalesIdx, sizesIdx := 1, -1
	if c.opset >= 11 {
		scalesIdx, sizesIdx = 2, 3
	}
	return one(func(r *runCtx, in []*Tensor) (*Tensor, error) {
		x := in[0]
		if sizesIdx > 0 && len(in) > sizesIdx && in[sizesIdx] != nil && in[sizesIdx].Len() > 0 {
			sz := in[sizesIdx].ints()
			if len(sz) != len(x.Shape) {
				return nil, fmt.Errorf("sizes %v for input %s", sz, x)
			}
			out := make([]int, len(sz))
			scales := make([]float64, len(sz))
			for i, v := range sz {
				out[i] = int(v)
				if x.Shape[i] > 0 {
					scales[i] = float64(v) / float64(x.Shape[i])
				}
			}
			return resize(x, out, scales, a, r.ar)
		}
		if len(in) > scalesIdx && in[scalesIdx] != nil && in[scalesIdx].Len() > 0 {
			return resizeByScales(x, toFloat(in[scalesIdx]).F, a, r.ar)
		}
		return nil, fmt.Errorf("Resize needs scales or sizes")
	}), nil
}
