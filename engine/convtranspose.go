package engine

import (
	"fmt"

	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
)

// convTransposeAttrs are the attributes of ConvTranspose.
type convTransposeAttrs struct {
	spatialAttrs
	group         int
	outputPadding []int64
	outputShape   []int64
}

// convTranspose computes the transposed convolution (the gradient of Conv
// with respect to its input) of x (N × C × spatial) with weights w
// (C × M/group × k...) and optional bias b (M):
//
//	Y[n, g·M'+m, i·s − p + k·d] += X[n, g·C'+c, i] · W[g·C'+c, m, k]
//
// The output size is s·(in−1) + output_padding + d·(k−1) + 1 − padBegin − padEnd,
// or output_shape with the padding derived from it (ONNX ConvTranspose-11).
func convTranspose(x, w, b *Tensor, a convTransposeAttrs, ar *arena, ws []*workspace) (*Tensor, error) {
	if x.DType != Float32 || w.DType != Float32 {
		return nil, fmt.Errorf("ConvTranspose needs float32 data, got %s and %s", x, w)
	}
	r := len(x.Shape) - 2
	if r < 1 || r > 3 || len(w.Shape) != r+2 {
		return nil, fmt.Errorf("input %s and weights %s: want matching ranks 3 to 5", x, w)
	}
	N, C := x.Shape[0], x.Shape[1]
	g := a.group
	if g < 1 || C%g != 0 || g > max(C, 1) || w.Shape[0] != C {
		return nil, fmt.Errorf("input %s with %d channels and group %d does not fit weights %s", x, C, g, w)
	}
	cinG, coutG := C/g, w.Shape[1]
	cout := coutG * g
	if b != nil && (b.DType != Float32 || len(b.F) != cout) {
		return nil, fmt.Errorf("bias %s: want float32[%d]", b, cout)
	}
	if err := a.check(r); err != nil {
		return nil, err
	}
	var win window
	win.rank = r
	off := 3 - r
	for i := 0; i < 3; i++ {
		win.in[i], win.out[i], win.kernel[i], win.stride[i], win.dilation[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < r; i++ {
		d := off + i
		win.in[d] = x.Shape[2+i]
		win.kernel[d] = w.Shape[2+i]
		if a.kernel != nil && (len(a.kernel) != r || int(a.kernel[i]) != win.kernel[d]) {
			return nil, fmt.Errorf("kernel_shape %v does not match weights %v", a.kernel, w.Shape)
		}
		if a.strides != nil {
			win.stride[d] = int(a.strides[i])
		}
		if a.dilations != nil {
			win.dilation[d] = int(a.dilations[i])
		}
		if win.stride[d] < 1 || win.dilation[d] < 1 {
			return nil, fmt.Errorf("strides %v / dilations %v must be ≥ 1", a.strides, a.dilations)
		}
		op := 0
		if a.outputPadding != nil {
			op = int(a.outputPadding[i])
		}
		ext := win.dilation[d]*(win.kernel[d]-1) + 1
		full := win.stride[d]*(win.in[d]-1) + op + ext
		switch {
		case a.outputShape != nil:
			os := a.outputShape[len(a.outputShape)-r+i]
			total := full - int(os)
			if a.autoPad == autoPadSameUpper {
				win.padBegin[d] = total / 2
			} else {
				win.padBegin[d] = total - total/2
			}
			win.padEnd[d] = total - win.padBegin[d]
		case a.autoPad == autoPadSameUpper || a.autoPad == autoPadSameLower:
			total := full - win.in[d]*win.stride[d]
			if a.autoPad == autoPadSameUpper {
				win.padBegin[d] = total / 2
			} else {
				win.padBegin[d] = total - total/2
			}
			win.padEnd[d] = total - win.padBegin[d]
		case a.autoPad == autoPadValid:
		default:
			if a.pads != nil {
				win.padBegin[d] = int(a.pads[i])
				win.padEnd[d] = int(a.pads[i+r])
			}
		}
		win.out[d] = full - win.padBegin[d] - win.padEnd[d]
		if win.out[d] < 1 {
			return nil, fmt.Errorf("ConvTranspose output size %d < 1", win.out[d])
		}
	}
	win.inSize = win.in[0] * win.in[1] * win.in[2]
	win.outSize = win.out[0] * win.out[1] * win.out[2]
	win.kSz = win.kernel[0] * win.kernel[1] * win.kernel[2]

	y := ar.getZero(append([]int{N, cout}, win.outShape()...))
	rows := coutG * win.kSz
	packs := make([]kernels.PackedA, g)
	for gi := 0; gi < g; gi++ {
		wg := w.F[gi*cinG*rows : (gi+1)*cinG*rows] // cinG × rows
		packs[gi] = kernels.PackA(nil, true, rows, cinG, 1, wg, rows)
	}
	nw := min(len(ws), workers(N, 2*float64(cout)*float64(win.kSz)*float64(cinG)*float64(win.inSize)))
	par.Chunks(N, nw, func(wi, lo, hi int) {
		wk := ws[wi]
		wk.col = wk.ar.scratchF(wk.col, rows*win.inSize, "column scratch space")
		col := wk.col[:rows*win.inSize]
		for n := lo; n < hi; n++ {
			for gi := 0; gi < g; gi++ {
				xs := x.F[(n*C+gi*cinG)*win.inSize : (n*C+(gi+1)*cinG)*win.inSize]
				pb := kernels.PackB(wk.gemmB, false, cinG, win.inSize, xs, win.inSize)
				wk.gemmB = pb.Data
				gemmPackedPolled(ar, packs[gi], pb, 0, (win.inSize+kernels.NR-1)/kernels.NR, col, win.inSize, false)
				ys := y.F[(n*cout+gi*coutG)*win.outSize : (n*cout+(gi+1)*coutG)*win.outSize]
				col2im(ys, col, coutG, &win)
			}
			if b != nil {
				for m := 0; m < cout; m++ {
					row := y.F[(n*cout+m)*win.outSize : (n*cout+m+1)*win.outSize]
					for i := range row {
						row[i] += b.F[m]
					}
				}
			}
		}
	})
	return y, nil
}

// col2im scatter-adds col ((channels·kSz) × inSize) into y (channels ×
// outSize): the adjoint of im2col.
func col2im(y, col []float32, channels int, w *window) {
	ID, IH, IW := w.in[0], w.in[1], w.in[2]
	OD, OH, OW := w.out[0], w.out[1], w.out[2]
	l := 0
	for c := 0; c < channels; c++ {
		yc := y[c*w.outSize : (c+1)*w.outSize]
		for kd := 0; kd < w.kernel[0]; kd++ {
			for kh := 0; kh < w.kernel[1]; kh++ {
				for kw := 0; kw < w.kernel[2]; kw++ {
					row := col[l*w.inSize : (l+1)*w.inSize]
					j := 0
					for id := 0; id < ID; id++ {
						od := id*w.stride[0] - w.padBegin[0] + kd*w.dilation[0]
						for ih := 0; ih < IH; ih++ {
							oh := ih*w.stride[1] - w.padBegin[1] + kh*w.dilation[1]
							ok := od >= 0 && od < OD && oh >= 0 && oh < OH
							for iw := 0; iw < IW; iw++ {
								ow := iw*w.stride[2] - w.padBegin[2] + kw*w.dilation[2]
								if ok && ow >= 0 && ow < OW {
									yc[(od*OH+oh)*OW+ow] += row[j]
								}
								j++
							}
						}
					}
					l++
				}
			}
		}
	}
}

// check validates the attribute lengths against r spatial dimensions and
// bounds their values (see maxWindow), so that the size arithmetic cannot
// overflow.
func (a *convTransposeAttrs) check(r int) error {
	for _, l := range []struct {
		name string
		v    []int64
		n    int
		lo   int64
	}{{"strides", a.strides, r, 1}, {"dilations", a.dilations, r, 1}, {"pads", a.pads, 2 * r, 0},
		{"output_padding", a.outputPadding, r, 0}, {"kernel_shape", a.kernel, r, 1}} {
		if l.v == nil {
			continue
		}
		if len(l.v) != l.n {
			return fmt.Errorf("%s %v: want %d values", l.name, l.v, l.n)
		}
		for _, v := range l.v {
			if v < l.lo || v > maxWindow {
				return fmt.Errorf("%s %v: values must be in [%d, %d]", l.name, l.v, l.lo, maxWindow)
			}
		}
	}
	if a.outputShape != nil {
		if len(a.outputShape) < r {
			return fmt.Errorf("output_shape %v: want at least %d values", a.outputShape, r)
		}
		for _, v := range a.outputShape {
			if v < 1 || v > 1<<30 {
				return fmt.Errorf("output_shape %v: values must be in [1, 2^30]", a.outputShape)
			}
		}
	}
	return nil
}
