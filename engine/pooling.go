package engine

import (
	"fmt"
	"math"

	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
)

// poolKind selects the reduction of a pooling window.
type poolKind int

const (
	poolMax poolKind = iota
	poolAvg
)

// poolAttrs are the attributes of MaxPool and AveragePool.
type poolAttrs struct {
	spatialAttrs
	kind            poolKind
	countIncludePad bool
}

// pool computes MaxPool or AveragePool of x (N × C × spatial...) over the
// windows of a (see makeWindow): the maximum of the taps inside the input
// (padding never wins), or their mean. The mean divides by the number of taps
// inside the input, or with count_include_pad by the taps inside the padded
// input (never counting taps beyond the end padding that ceil mode adds), as
// PyTorch and ONNX Runtime do.
func pool(x *Tensor, a poolAttrs, ar *arena, fuseRelu bool) (*Tensor, error) {
	if x.DType != Float32 || len(x.Shape) < 3 {
		return nil, fmt.Errorf("input %s: want float32 N×C×spatial", x)
	}
	k := make([]int, len(a.kernel))
	for i, v := range a.kernel {
		k[i] = int(v)
	}
	w, err := makeWindow(x.Shape[2:], k, a.spatialAttrs)
	if err != nil {
		return nil, err
	}
	N, C := x.Shape[0], x.Shape[1]
	y := ar.get(append([]int{N, C}, w.outShape()...))
	planes := N * C
	nw := workers(planes, float64(w.outSize*w.kSz))
	// Planes pooled without a padded copy.
	var plane func(yp, xp []float32, scratch *[]float32)
	switch {
	case inside(&w):
		plane = func(yp, xp []float32, scratch *[]float32) { poolInside(yp, xp, &w, a.kind, scratch) }
	case a.kind == poolMax && sameMax3x3(&w):
		plane = func(yp, xp []float32, scratch *[]float32) { maxPool3x3Same(yp, xp, w.in[1], w.in[2], scratch) }
	}
	if plane != nil {
		par.Chunks(planes, nw, func(_, lo, hi int) {
			var scratch []float32
			for pl := lo; pl < hi; pl++ {
				ar.poll()
				yp := y.F[pl*w.outSize : (pl+1)*w.outSize]
				plane(yp, x.F[pl*w.inSize:(pl+1)*w.inSize], &scratch)
				if fuseRelu {
					reluInPlace(yp)
				}
			}
		})
		return y, nil
	}
	if wp, ok := maxPadded(&w, a.kind); ok {
		poolMaxPadded(y, x, &w, &wp, nw, ar, fuseRelu)
		return y, nil
	}
	poolGeneral(y, x, &w, a, nw, ar, fuseRelu)
	return y, nil
}

// poolMaxPadded is max pooling with padding: each plane is copied into a
// −∞ border (padding never wins) of the grown window wp and pooled inside.
func poolMaxPadded(y, x *Tensor, w, wp *window, nw int, ar *arena, fuseRelu bool) {
	planes := x.Shape[0] * x.Shape[1]
	par.Chunks(planes, nw, func(_, lo, hi int) {
		var scratch []float32
		buf := make([]float32, wp.inSize)
		for i := range buf {
			buf[i] = float32(math.Inf(-1))
		}
		IH, IW, PW := w.in[1], w.in[2], wp.in[2]
		for pl := lo; pl < hi; pl++ {
			ar.poll()
			xp := x.F[pl*w.inSize : (pl+1)*w.inSize]
			for r := 0; r < IH; r++ {
				o := (r+w.padBegin[1])*PW + w.padBegin[2]
				copy(buf[o:o+IW], xp[r*IW:(r+1)*IW])
			}
			yp := y.F[pl*w.outSize : (pl+1)*w.outSize]
			poolInside(yp, buf, wp, poolMax, &scratch)
			if fuseRelu {
				reluInPlace(yp)
			}
		}
	})
}

// poolGeneral pools windows that may reach into padding or past the end,
// tap by tap (count_include_pad and ceil mode as pool describes).
func poolGeneral(y, x *Tensor, w *window, a poolAttrs, nw int, ar *arena, fuseRelu bool) {
	planes := x.Shape[0] * x.Shape[1]
	par.Chunks(planes, nw, func(_, lo, hi int) {
		// Per output position along each dimension: first tap index and
		// the valid tap range, precomputed.
		var lo3, hi3, cnt3 [3][]int
		for d := 0; d < 3; d++ {
			lo3[d] = make([]int, w.out[d])
			hi3[d] = make([]int, w.out[d])
			cnt3[d] = make([]int, w.out[d])
			for o := 0; o < w.out[d]; o++ {
				start := o*w.stride[d] - w.padBegin[d]
				t0, t1 := w.kernel[d], 0
				padCount := 0
				for t := 0; t < w.kernel[d]; t++ {
					pos := start + t*w.dilation[d]
					if pos >= 0 && pos < w.in[d] {
						t0 = min(t0, t)
						t1 = max(t1, t+1)
					}
					if pos >= -w.padBegin[d] && pos < w.in[d]+w.padEnd[d] {
						padCount++
					}
				}
				if t1 < t0 {
					t0, t1 = 0, 0
				}
				lo3[d][o], hi3[d][o] = t0, t1
				cnt3[d][o] = padCount
			}
		}
		for pl := lo; pl < hi; pl++ {
			ar.poll()
			xp := x.F[pl*w.inSize : (pl+1)*w.inSize]
			yp := y.F[pl*w.outSize : (pl+1)*w.outSize]
			j := 0
			for od := 0; od < w.out[0]; od++ {
				sd := od*w.stride[0] - w.padBegin[0]
				for oh := 0; oh < w.out[1]; oh++ {
					sh := oh*w.stride[1] - w.padBegin[1]
					for ow := 0; ow < w.out[2]; ow++ {
						sw := ow*w.stride[2] - w.padBegin[2]
						m := float32(math.Inf(-1))
						var s float32
						n := 0
						for td := lo3[0][od]; td < hi3[0][od]; td++ {
							id := sd + td*w.dilation[0]
							for th := lo3[1][oh]; th < hi3[1][oh]; th++ {
								ih := sh + th*w.dilation[1]
								base := (id*w.in[1] + ih) * w.in[2]
								for tw := lo3[2][ow]; tw < hi3[2][ow]; tw++ {
									iw := sw + tw*w.dilation[2]
									if iw < 0 || iw >= w.in[2] || ih < 0 || ih >= w.in[1] || id < 0 || id >= w.in[0] {
										continue
									}
									v := xp[base+iw]
									if v > m || v != v {
										m = v
									}
									s += v
									n++
								}
							}
						}
						if a.kind == poolMax {
							yp[j] = m
						} else {
							if a.countIncludePad {
								n = cnt3[0][od] * cnt3[1][oh] * cnt3[2][ow]
							}
							if n > 0 {
								yp[j] = s / float32(n)
							} else {
								yp[j] = 0
							}
						}
						j++
					}
				}
			}
			if fuseRelu {
				reluInPlace(yp)
			}
		}
	})
}

// globalPool reduces every N×C plane of x to one value (mean or max),
// keeping the spatial dimensions as 1s.
func globalPool(x *Tensor, kind poolKind, ar *arena) (*Tensor, error) {
	if x.DType != Float32 || len(x.Shape) < 2 {
		return nil, fmt.Errorf("input %s: want float32 of rank ≥ 2 (N×C×…)", x)
	}
	shape := []int{x.Shape[0], x.Shape[1]}
	for range x.Shape[2:] {
		shape = append(shape, 1)
	}
	y := ar.get(shape)
	planes := x.Shape[0] * x.Shape[1]
	sz := 1
	if planes > 0 {
		sz = len(x.F) / planes
	}
	for pl := 0; pl < planes; pl++ {
		p := x.F[pl*sz : (pl+1)*sz]
		if kind == poolMax {
			m := float32(math.Inf(-1))
			for _, v := range p {
				if v > m || v != v {
					m = v
				}
			}
			y.F[pl] = m
		} else {
			var s float64
			for _, v := range p {
				s += float64(v)
			}
			y.F[pl] = float32(s / float64(sz))
		}
	}
	return y, nil
}

// inside reports whether every window of a 2-D (or lower) pooling lies
// within the input: no padding and no ceil-mode overhang.
func inside(w *window) bool {
	if w.in[0] != 1 || w.kernel[0] != 1 {
		return false
	}
	for d := 1; d < 3; d++ {
		if w.padBegin[d] != 0 || w.padEnd[d] != 0 {
			return false
		}
		if (w.out[d]-1)*w.stride[d]+w.dilation[d]*(w.kernel[d]-1)+1 > w.in[d] {
			return false
		}
	}
	return true
}

// maxPadded returns, for a 2-D max pooling with padding or ceil-mode
// overhang, the window over the input surrounded by its padding (grown so
// that every window fits), for pooling a −∞-bordered copy with poolInside.
// It declines other poolings and paddings that would make the copy more
// than four times the input.
func maxPadded(w *window, kind poolKind) (window, bool) {
	if kind != poolMax || w.in[0] != 1 || w.kernel[0] != 1 || w.padBegin[0] != 0 || w.padEnd[0] != 0 || w.out[0] != 1 {
		return window{}, false
	}
	wp := *w
	for d := 1; d < 3; d++ {
		need := (w.out[d]-1)*w.stride[d] + w.dilation[d]*(w.kernel[d]-1) + 1
		wp.in[d] = max(w.padBegin[d]+w.in[d]+w.padEnd[d], need, w.padBegin[d]+w.in[d])
		wp.padBegin[d], wp.padEnd[d] = 0, 0
	}
	wp.inSize = wp.in[1] * wp.in[2]
	if wp.inSize > 4*w.inSize+4096 {
		return window{}, false
	}
	return wp, true
}

// poolInside pools one plane whose windows are all inside the input;
// scratch is working space it may grow, reused from plane to plane.
func poolInside(y, x []float32, w *window, kind poolKind, scratch *[]float32) {
	IW := w.in[2]
	KH, KW := w.kernel[1], w.kernel[2]
	sh, sw := w.stride[1], w.stride[2]
	dh, dw := w.dilation[1], w.dilation[2]
	inv := 1 / float32(KH*KW)
	if kind == poolMax && KH == 2 && KW == 2 && dh == 1 && dw == 1 {
		for oh := 0; oh < w.out[1]; oh++ {
			r0 := x[oh*sh*IW : oh*sh*IW+IW]
			r1 := x[oh*sh*IW+IW : oh*sh*IW+2*IW]
			yr := y[oh*w.out[2] : (oh+1)*w.out[2]]
			if sw == 2 {
				kernels.MaxPool2x2Row(yr, r0, r1)
				continue
			}
			for ow := range yr {
				i := ow * sw
				yr[ow] = max4(r0[i], r0[i+1], r1[i], r1[i+1])
			}
		}
		return
	}
	if kind == poolMax && KH == 3 && KW == 3 && sh == 2 && sw == 2 && dh == 1 && dw == 1 {
		// The stem pooling of ResNet, Inception and DenseNet: one pass
		// per output row.
		for oh := 0; oh < w.out[1]; oh++ {
			r := x[2*oh*IW:]
			kernels.MaxPool3x3s2Row(y[oh*w.out[2]:(oh+1)*w.out[2]], r[:IW], r[IW:2*IW], r[2*IW:3*IW])
		}
		return
	}
	if kind == poolMax && dh == 1 && dw == 1 {
		maxPoolSeparable(y, x, IW, KH, KW, sh, sw, w.out[1], w.out[2], scratch)
		return
	}
	if kind != poolMax && KH == 2 && KW == 2 && dh == 1 && dw == 1 {
		// DenseNet's transitions: the loop below, unrolled (the same sums
		// in the same order).
		for oh := 0; oh < w.out[1]; oh++ {
			r0 := x[oh*sh*IW : oh*sh*IW+IW]
			r1 := x[oh*sh*IW+IW : oh*sh*IW+2*IW]
			yr := y[oh*w.out[2] : (oh+1)*w.out[2]]
			for ow := range yr {
				i := ow * sw
				var s float32
				s += r0[i]
				s += r0[i+1]
				s += r1[i]
				s += r1[i+1]
				yr[ow] = s * inv
			}
		}
		return
	}
	j := 0
	for oh := 0; oh < w.out[1]; oh++ {
		for ow := 0; ow < w.out[2]; ow++ {
			base := oh*sh*IW + ow*sw
			if kind == poolMax {
				m := x[base]
				for kh := 0; kh < KH; kh++ {
					row := x[base+kh*dh*IW:]
					for kw := 0; kw < KW; kw++ {
						if v := row[kw*dw]; v > m || v != v {
							m = v
						}
					}
				}
				y[j] = m
			} else {
				var s float32
				for kh := 0; kh < KH; kh++ {
					row := x[base+kh*dh*IW:]
					for kw := 0; kw < KW; kw++ {
						s += row[kw*dw]
					}
				}
				y[j] = s * inv
			}
			j++
		}
	}
}

// maxPoolSeparable is an undilated KH×KW max pool with strides sh, sw of
// a plane IW wide whose windows all lie inside it, separably and a whole
// plane at a time, so that the vector kernels.Vmax runs on long slices:
// first the column maxima over the KH input rows of every output row (for
// stride 1 as KH−1 maxima of the plane with itself shifted by rows), then
// the maxima of KW neighbours along those rows, computed for every
// position of the flattened rows (the ones straddling two rows are never
// read), and the outputs picked every sw-th. NaN propagates; a tie of ±0
// may give either sign. scratch is grown to 2·OH·IW floats.
func maxPoolSeparable(y, x []float32, IW, KH, KW, sh, sw, OH, OW int, scratch *[]float32) {
	n := OH * IW
	if cap(*scratch) < 2*n {
		*scratch = make([]float32, 2*n)
	}
	v, h := (*scratch)[:n], (*scratch)[n:2*n]
	if sh == 1 {
		copy(v, x[:n])
		for kh := 1; kh < KH; kh++ {
			kernels.Vmax(v, v, x[kh*IW:kh*IW+n])
		}
	} else {
		for oh := 0; oh < OH; oh++ {
			vr := v[oh*IW : (oh+1)*IW]
			r0 := oh * sh * IW
			copy(vr, x[r0:r0+IW])
			for kh := 1; kh < KH; kh++ {
				kernels.Vmax(vr, vr, x[r0+kh*IW:r0+(kh+1)*IW])
			}
		}
	}
	if KW > 1 {
		m := n - (KW - 1)
		kernels.Vmax(h[:m], v[:m], v[1:m+1])
		for kw := 2; kw < KW; kw++ {
			kernels.Vmax(h[:m], h[:m], v[kw:kw+m])
		}
		v = h
	}
	for oh := 0; oh < OH; oh++ {
		yr := y[oh*OW : (oh+1)*OW]
		vr := v[oh*IW:]
		if sw == 1 {
			copy(yr, vr[:OW])
			continue
		}
		for ow := range yr {
			yr[ow] = vr[ow*sw]
		}
	}
}

// max4 is the NaN-propagating maximum of four values (Go's built-in max
// returns NaN when any argument is NaN).
func max4(a, b, c, d float32) float32 {
	return max(max(a, b), max(c, d))
}

// sameMax3x3 reports whether w is a 2-D 3×3 window of stride 1 with one
// row and column of padding on every side and outputs the size of the
// input, at least 2×2 (Inception's pooling branches).
func sameMax3x3(w *window) bool {
	return w.in[0] == 1 && w.out[0] == 1 && w.kernel[0] == 1 &&
		w.kernel[1] == 3 && w.kernel[2] == 3 && w.stride[1] == 1 && w.stride[2] == 1 &&
		w.dilation[1] == 1 && w.dilation[2] == 1 &&
		w.padBegin[1] == 1 && w.padBegin[2] == 1 && w.padEnd[1] == 1 && w.padEnd[2] == 1 &&
		w.out[1] == w.in[1] && w.out[2] == w.in[2] && w.in[1] >= 2 && w.in[2] >= 2
}

// maxPool3x3Same is sameMax3x3's pool of one H×W plane x into y, on whole
// planes with kernels.Vmax and without a padded copy: the maxima of row
// pairs, then of row triples (the first and last rows have only two), then
// the same along the flattened rows, whose first and last columns, which
// the flattened step takes across two rows, are redone from their two
// neighbours. NaN propagates; a tie of ±0 may give either sign. scratch is
// grown to 2·H·W floats.
func maxPool3x3Same(y, x []float32, H, W int, scratch *[]float32) {
	n := H * W
	if cap(*scratch) < 2*n {
		*scratch = make([]float32, 2*n)
	}
	t, v := (*scratch)[:n], (*scratch)[n:2*n]
	// t[r] = max(x[r], x[r+1]); v[r] = max(x[r−1], x[r], x[r+1]).
	kernels.Vmax(t[:n-W], x[:n-W], x[W:])
	copy(v[:W], t[:W])
	kernels.Vmax(v[W:n-W], t[:n-2*W], x[2*W:])
	copy(v[n-W:], t[n-2*W:n-W])
	// The same along the flattened rows.
	kernels.Vmax(t[:n-1], v[:n-1], v[1:])
	y[0] = t[0]
	kernels.Vmax(y[1:n-1], t[:n-2], v[2:])
	y[n-1] = t[n-2]
	for r := 0; r < H; r++ {
		row, vr := y[r*W:(r+1)*W], v[r*W:(r+1)*W]
		row[0] = kernels.MaxNaN(vr[0], vr[1])
		row[W-1] = kernels.MaxNaN(vr[W-2], vr[W-1])
	}
}
