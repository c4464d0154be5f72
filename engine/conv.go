package engine

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
)

// window describes a sliding window over up to three spatial dimensions.
// Lower-rank data is handled as 3-D with leading dimensions of size 1.
type window struct {
	rank                 int    // true number of spatial dimensions (1..3)
	in, out              [3]int // spatial sizes (padded to 3-D)
	kernel               [3]int
	stride, dilation     [3]int
	padBegin, padEnd     [3]int
	inSize, outSize, kSz int // products of in, out, kernel
}

// autoPad values as in the ONNX Conv and pooling operators.
const (
	autoPadNotSet    = "NOTSET"
	autoPadValid     = "VALID"
	autoPadSameUpper = "SAME_UPPER"
	autoPadSameLower = "SAME_LOWER"
)

// spatialAttrs are the window attributes of Conv, ConvTranspose and pooling,
// as given in the model (nil slices mean "default").
type spatialAttrs struct {
	kernel, strides, dilations, pads []int64
	autoPad                          string
	ceil                             bool
}

// makeWindow computes the output size of a window over spatial input sizes
// in (length 1..3):
//
//	out = ⌊(in + padBegin + padEnd − dilation·(kernel−1) − 1) / stride⌋ + 1
//
// (⌈·⌉ with ceil mode, dropping a last window that would start in the end
// padding), or out = ⌈in / stride⌉ for SAME_UPPER/SAME_LOWER, whose total
// padding is split evenly with the odd element at the end (upper) or the
// beginning (lower); VALID means no padding. See the ONNX Conv/MaxPool specs.
// maxWindow bounds kernel sizes, strides, dilations and pads.
const maxWindow = 1 << 20

func makeWindow(in []int, kernel []int, a spatialAttrs) (window, error) {
	var w window
	r := len(in)
	if r < 1 || r > 3 {
		return w, fmt.Errorf("%d spatial dimensions (1 to 3 supported)", r)
	}
	if len(kernel) != r {
		return w, fmt.Errorf("kernel has %d dimensions, input has %d spatial dimensions", len(kernel), r)
	}
	w.rank = r
	off := 3 - r
	for i := 0; i < 3; i++ {
		w.in[i], w.out[i], w.kernel[i], w.stride[i], w.dilation[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < r; i++ {
		d := off + i
		w.in[d] = in[i]
		w.kernel[d] = kernel[i]
		if w.kernel[d] < 1 {
			return w, fmt.Errorf("kernel size %d < 1", kernel[i])
		}
		if a.strides != nil {
			if len(a.strides) != r {
				return w, fmt.Errorf("strides %v: want %d values", a.strides, r)
			}
			w.stride[d] = int(a.strides[i])
		}
		if a.dilations != nil {
			if len(a.dilations) != r {
				return w, fmt.Errorf("dilations %v: want %d values", a.dilations, r)
			}
			w.dilation[d] = int(a.dilations[i])
		}
		if w.stride[d] < 1 || w.dilation[d] < 1 {
			return w, fmt.Errorf("strides %v / dilations %v must be ≥ 1", a.strides, a.dilations)
		}
		if a.pads != nil && (a.autoPad == "" || a.autoPad == autoPadNotSet) {
			if len(a.pads) != 2*r {
				return w, fmt.Errorf("pads %v: want %d values", a.pads, 2*r)
			}
			w.padBegin[d] = int(a.pads[i])
			w.padEnd[d] = int(a.pads[i+r])
			if w.padBegin[d] < 0 || w.padEnd[d] < 0 {
				return w, fmt.Errorf("negative pads %v", a.pads)
			}
		}
		// No real model comes near these; beyond them the window
		// arithmetic below could overflow.
		if w.kernel[d] > maxWindow || w.stride[d] > maxWindow || w.dilation[d] > maxWindow ||
			w.padBegin[d] > maxWindow || w.padEnd[d] > maxWindow || w.in[d] > 1<<40 {
			return w, fmt.Errorf("kernel %v, strides %v, dilations %v or pads %v: a value above %d", kernel, a.strides, a.dilations, a.pads, maxWindow)
		}
		ext := w.dilation[d]*(w.kernel[d]-1) + 1
		switch a.autoPad {
		case autoPadSameUpper, autoPadSameLower:
			w.out[d] = (w.in[d] + w.stride[d] - 1) / w.stride[d]
			total := max(0, (w.out[d]-1)*w.stride[d]+ext-w.in[d])
			if a.autoPad == autoPadSameUpper {
				w.padBegin[d] = total / 2
			} else {
				w.padBegin[d] = total - total/2
			}
			w.padEnd[d] = total - w.padBegin[d]
		case autoPadValid:
			w.padBegin[d], w.padEnd[d] = 0, 0
			fallthrough
		default:
			span := w.in[d] + w.padBegin[d] + w.padEnd[d] - ext
			if span < 0 {
				return w, fmt.Errorf("kernel extent %d larger than padded input %d", ext, w.in[d]+w.padBegin[d]+w.padEnd[d])
			}
			if a.ceil {
				w.out[d] = (span+w.stride[d]-1)/w.stride[d] + 1
				if (w.out[d]-1)*w.stride[d] >= w.in[d]+w.padBegin[d] {
					w.out[d]--
				}
			} else {
				w.out[d] = span/w.stride[d] + 1
			}
		}
	}
	w.inSize = w.in[0] * w.in[1] * w.in[2]
	w.outSize = w.out[0] * w.out[1] * w.out[2]
	w.kSz = w.kernel[0] * w.kernel[1] * w.kernel[2]
	return w, nil
}

// outShape returns the spatial output shape (true rank).
func (w *window) outShape() []int {
	return append([]int(nil), w.out[3-w.rank:]...)
}

// im2colPacked writes the patches of one padded image src (see padImage)
// into the packed-B layout of a K × n matrix (K = len(rowOff) taps, n
// output positions): row l = (c, kd, kh, kw), column j = output position,
// element (l, j) at (j/NR)·NR·K + l·NR + j%NR with NR = kernels.NR, gathered
// as src[rowOff[l] + colOff[j]] with the tables of im2colOffsets. Columns
// past n in the last panel are filled with tap 0 and ignored by
// kernels.GemmPacked.
func im2colPacked(dst, src []float32, rowOff, colOff []int32, n int, ws *workspace) kernels.PackedB {
	K := len(rowOff)
	panels := (n + kernels.NR - 1) / kernels.NR
	dst = ws.ar.scratchF(dst, panels*kernels.NR*K, "im2col scratch space")
	// The gather checks its offsets against src before any unsafe load.
	for q := 0; q < panels; q += 64 {
		ws.ar.poll()
		kernels.GatherPacked(dst, src, rowOff, colOff, n, q, min(q+64, panels))
	}
	return kernels.PackedB{K: K, N: n, Data: dst[:panels*kernels.NR*K]}
}

// im2colOffsets returns the offset tables of the im2col matrix of one
// image of channels × w.inSize values, once padded (see padImage): tap l
// of output position j is at rowOff[l] + colOff[j] (colOff padded with
// zeros to whole panels of NR columns and of MR rows). They depend only on
// the geometry, so one pair serves every image of a batch.
func im2colOffsets(channels int, w *window) (rowOff, colOff []int32) {
	var pin [3]int
	for d := range pin {
		pin[d] = w.in[d] + w.padBegin[d] + w.padEnd[d]
	}
	pinSize := pin[0] * pin[1] * pin[2]
	if channels*pinSize >= math.MaxInt32 {
		// The offset tables below are int32.
		panic(abort{fmt.Errorf("one padded image of %d values is more than the convolution handles (2^31)", channels*pinSize)})
	}
	// Column offsets (output position → top-left tap in the padded input).
	colOff = make([]int32, kernels.RoundUp(w.outSize, 3*kernels.NR)) // whole panels of NR and of MR
	j := 0
	for od := 0; od < w.out[0]; od++ {
		for oh := 0; oh < w.out[1]; oh++ {
			base := (od*w.stride[0]*pin[1] + oh*w.stride[1]) * pin[2]
			for ow := 0; ow < w.out[2]; ow++ {
				colOff[j] = int32(base + ow*w.stride[2])
				j++
			}
		}
	}
	// Row offsets (row l → offset of its tap relative to the top-left).
	rowOff = make([]int32, channels*w.kSz)
	l := 0
	for c := 0; c < channels; c++ {
		for kd := 0; kd < w.kernel[0]; kd++ {
			for kh := 0; kh < w.kernel[1]; kh++ {
				for kw := 0; kw < w.kernel[2]; kw++ {
					rowOff[l] = int32(c*pinSize + (kd*w.dilation[0]*pin[1]+kh*w.dilation[1])*pin[2] + kw*w.dilation[2])
					l++
				}
			}
		}
	}
	return rowOff, colOff
}

// padImage returns the channels of one image x with the window's zero
// border added (x itself when there is no padding), and the padded sizes.
func padImage(x []float32, channels int, w *window, ws *workspace) ([]float32, [3]int) {
	var pin [3]int
	padded := false
	for d := 0; d < 3; d++ {
		pin[d] = w.in[d] + w.padBegin[d] + w.padEnd[d]
		padded = padded || w.padBegin[d] != 0 || w.padEnd[d] != 0
	}
	pinSize := pin[0] * pin[1] * pin[2]
	if !padded {
		return x[:channels*pinSize], pin
	}
	need := channels * pinSize
	ws.pad = ws.ar.scratchF(ws.pad, need, "a padded copy of one image")
	src := ws.pad[:need]
	clear(src)
	for c := 0; c < channels; c++ {
		for id := 0; id < w.in[0]; id++ {
			for ih := 0; ih < w.in[1]; ih++ {
				so := ((c*w.in[0]+id)*w.in[1] + ih) * w.in[2]
				do := c*pinSize + ((id+w.padBegin[0])*pin[1]+ih+w.padBegin[1])*pin[2] + w.padBegin[2]
				copy(src[do:do+w.in[2]], x[so:so+w.in[2]])
			}
		}
	}
	return src, pin
}

// depthwise computes a convolution with one input channel per group
// (MobileNet's depthwise layers) directly, without im2col: for output channel
// m of group c,
//
//	Y[n, m, o] = b[m] + Σ_k W[m, 0, k] · Xpad[n, c, o·s + k·d]
//
// each product rounded before it is added, tap by tap in the order of k,
// with the planes shared among the workers. Two-dimensional windows of
// stride 1 or 2 without dilation run a tap at a time over a whole plane
// (depthwisePlane); others tap by tap along output rows.
func (p *convPlan) depthwise(x, y *Tensor, win *window, ws []*workspace, fuseRelu bool) {
	N, C := x.Shape[0], x.Shape[1]
	mult := p.cout / p.group
	nw := min(len(ws), workers(N*C, 2*float64(mult*win.kSz*win.outSize)))
	whole := !depthwiseByRows && win.in[0] == 1 && win.out[0] == 1 && win.dilation[1] == 1 && win.dilation[2] == 1 &&
		win.stride[1] == win.stride[2] && (win.stride[1] == 1 || win.stride[1] == 2)
	var grid planeGrid
	if whole {
		grid = newPlaneGrid(win)
	}
	par.Chunks(N*C, nw, func(wi, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			n, c := pl/C, pl%C
			xp := x.F[pl*win.inSize : (pl+1)*win.inSize]
			if whole {
				p.depthwisePlane(xp, y.F[(n*p.cout+c*mult)*win.outSize:(n*p.cout+(c+1)*mult)*win.outSize], c*mult, win, &grid, ws[wi], fuseRelu)
				continue
			}
			src, pin := padImage(xp, 1, win, ws[wi])
			for j := 0; j < mult; j++ {
				m := c*mult + j
				yp := y.F[(n*p.cout+m)*win.outSize : (n*p.cout+m+1)*win.outSize]
				p.fillBias(yp, m)
				wm := p.wdata[m*win.kSz : (m+1)*win.kSz]
				t := 0
				for kd := 0; kd < win.kernel[0]; kd++ {
					for kh := 0; kh < win.kernel[1]; kh++ {
						for kw := 0; kw < win.kernel[2]; kw++ {
							wv := wm[t]
							t++
							o := 0
							for od := 0; od < win.out[0]; od++ {
								id := od*win.stride[0] + kd*win.dilation[0]
								for oh := 0; oh < win.out[1]; oh++ {
									ih := oh*win.stride[1] + kh*win.dilation[1]
									row := src[(id*pin[1]+ih)*pin[2]+kw*win.dilation[2]:]
									out := yp[o : o+win.out[2]]
									sw := win.stride[2]
									if sw == 1 {
										kernels.MulAdd(out, row, wv)
									} else {
										for ow := range out {
											out[ow] += float32(wv * row[ow*sw])
										}
									}
									o += win.out[2]
								}
							}
						}
					}
				}
				if fuseRelu {
					reluInPlace(yp)
				}
			}
		}
	})
}

// fillBias sets every element of dst to output channel m's bias (0 without
// one): a depthwise channel's sums start there, and it is the whole output
// of a convolution without input channels.
func (p *convPlan) fillBias(dst []float32, m int) {
	b := float32(0)
	if p.bias != nil {
		b = p.bias[m]
	}
	for i := range dst {
		dst[i] = b
	}
}

// depthwiseByRows turns depthwisePlane off (tests compare the two).
var depthwiseByRows = false

// planeGrid is the geometry of depthwisePlane for one window, the same for
// every plane of a call: the stride s, the width Wq and size of the parity
// planes, the n = OH·Wq outputs computed, and where each tap's run starts
// in the planes.
type planeGrid struct {
	s, Wq, size, n int
	start          []int
}

func newPlaneGrid(win *window) planeGrid {
	s := win.stride[1]
	KH, KW := win.kernel[1], win.kernel[2]
	Hp, Wp := win.in[1]+win.padBegin[1]+win.padEnd[1], win.in[2]+win.padBegin[2]+win.padEnd[2]
	Hq, Wq := (Hp+s-1)/s, (Wp+s-1)/s
	// Each plane is Hq·Wq plus a row and a tap of zeros, for the extra
	// columns' reads past its end.
	g := planeGrid{s: s, Wq: Wq, size: Hq*Wq + Wq + KW, n: win.out[1] * Wq}
	for kh := 0; kh < KH; kh++ {
		for kw := 0; kw < KW; kw++ {
			g.start = append(g.start, ((kh%s)*s+kw%s)*g.size+(kh/s)*Wq+kw/s)
		}
	}
	return g
}

// depthwisePlane computes the output channels m0, m0+1, … (into ys, one
// plane each) of the input plane xp for depthwise, for a two-dimensional
// window of stride s = 1 or 2 without dilation, a tap at a time over the
// whole plane with kernels.MulAdd: the padded input is split into s×s
// planes by the parity of row and column (one plane for s = 1), so that
// tap (kh, kw) reads plane (kh mod s, kw mod s) at offset
// (kh/s)·Wq + kw/s for output position oh·Wq + ow, on a grid Wq wide whose
// columns past the output's are computed and dropped (g, from
// newPlaneGrid). The sums are those of depthwise's rows, tap by tap, so
// the same bits.
func (p *convPlan) depthwisePlane(xp, ys []float32, m0 int, win *window, g *planeGrid, wk *workspace, fuseRelu bool) {
	s, Wq, size, n := g.s, g.Wq, g.size, g.n
	IH, IW, OH, OW := win.in[1], win.in[2], win.out[1], win.out[2]
	wk.pad = wk.ar.scratchF(wk.pad, s*s*size, "the padded planes of one depthwise channel")
	planes := wk.pad[:s*s*size]
	clear(planes)
	for ih := 0; ih < IH; ih++ {
		ph := ih + win.padBegin[1]
		row := xp[ih*IW : (ih+1)*IW]
		if s == 1 {
			copy(planes[ph*Wq+win.padBegin[2]:], row)
			continue
		}
		// s = 2: input column iw goes to the plane of parity
		// (iw + padBegin) mod 2, at column (iw + padBegin)/2; the even
		// columns start at padBegin/2 of theirs, the odd ones at
		// (1 + padBegin)/2.
		pb := win.padBegin[2]
		base := (ph % 2) * 2 * size
		ev := planes[base+(pb%2)*size+(ph/2)*Wq+pb/2:]
		od := planes[base+((1+pb)%2)*size+(ph/2)*Wq+(1+pb)/2:]
		kernels.Deinterleave(ev[:(IW+1)/2], od[:IW/2], row)
	}
	wk.outT = wk.ar.scratchF(wk.outT, n, "the output of one depthwise channel")
	acc := wk.outT[:n]
	for j := 0; j < len(ys)/win.outSize; j++ {
		m := m0 + j
		p.fillBias(acc, m)
		wm := p.wdata[m*win.kSz : (m+1)*win.kSz]
		for t, o := range g.start {
			kernels.MulAdd(acc, planes[o:o+n], wm[t])
		}
		yp := ys[j*win.outSize : (j+1)*win.outSize]
		for oh := 0; oh < OH; oh++ {
			copy(yp[oh*OW:(oh+1)*OW], acc[oh*Wq:])
		}
		if fuseRelu {
			reluInPlace(yp)
		}
	}
}

// convPlan is a prepared convolution: the weights packed for the GEMM
// once, at Prepare time, in the layout its route reads (see transposed),
// and in another on first use if a route needs it.
type convPlan struct {
	attrs  spatialAttrs
	group  int
	cout   int // output channels
	cinG   int // input channels per group
	kernel []int
	wshape []int
	wdata  []float32 // the weights as given (for the depthwise path)
	bias   []float32 // nil without bias

	// weights is the weights packed as the A of Y = W·Xcol, one per group,
	// (cout/group) × (cinG·kSz), with the bias per row; see packedA.
	aOnce   sync.Once
	weights []kernels.PackedA

	// wT is the weights of a one-group convolution packed as the B of
	// Yᵀ = Xcolᵀ·Wᵀ ((cinG·kSz) × cout, zero columns up to a multiple of
	// 2·NR) and biasT its bias per column (zeros without one), built on
	// first use by packedT.
	wTOnce sync.Once
	wT     kernels.PackedB
	biasT  []float32

	// offs caches the im2col offset tables of the windows last used (see
	// offsets).
	offsMu sync.Mutex
	offs   []convOffsets
}

// convOffsets are the im2col offset tables of one window.
type convOffsets struct {
	win            window
	rowOff, colOff []int32
}

// offsets returns im2colOffsets(p.cinG, win), computed once per window: a
// network's convolutions see the same shapes run after run, and a batch-1
// network runs hundreds of them. At most two windows (the true and the
// widened one of runsWindow) are kept.
func (p *convPlan) offsets(win *window) (rowOff, colOff []int32) {
	p.offsMu.Lock()
	defer p.offsMu.Unlock()
	for _, o := range p.offs {
		if o.win == *win {
			return o.rowOff, o.colOff
		}
	}
	rowOff, colOff = im2colOffsets(p.cinG, win)
	if len(p.offs) >= 2 {
		p.offs = p.offs[1:]
	}
	p.offs = append(p.offs, convOffsets{*win, rowOff, colOff})
	return rowOff, colOff
}

// packedA returns the weights packed as the A of Y = W·Xcol, packing them
// on first use.
func (p *convPlan) packedA() []kernels.PackedA {
	p.aOnce.Do(func() {
		coutG := p.cout / p.group
		K := p.cinG * numel(p.kernel)
		for g := 0; g < p.group; g++ {
			pa := kernels.PackA(nil, false, coutG, K, 1, p.wdata[g*coutG*K:(g+1)*coutG*K], K)
			if p.bias != nil {
				// The micro-kernel starts its accumulators at the bias.
				pa.Bias = make([]float32, kernels.RoundUp(coutG, kernels.MR))
				copy(pa.Bias, p.bias[g*coutG:(g+1)*coutG])
			}
			p.weights = append(p.weights, pa)
		}
	})
	return p.weights
}

// packedT returns the weights packed as the B of Yᵀ = Xcolᵀ·Wᵀ and the
// bias per column, packing them on first use.
func (p *convPlan) packedT() (kernels.PackedB, []float32) {
	p.wTOnce.Do(func() {
		K := p.cinG * numel(p.kernel)
		n := kernels.RoundUp(p.cout, 2*kernels.NR)
		w := make([]float32, n*K) // Wᵀ stored n×K, zero rows past cout
		copy(w, p.wdata)
		p.wT = kernels.PackB(nil, true, K, n, w, K)
		p.biasT = make([]float32, n)
		copy(p.biasT, p.bias)
	})
	return p.wT, p.biasT
}

// noTransposed turns runTransposed off, and gatherT makes it gather the
// patches even where kernels.GemmDirectT applies (tests compare the
// routes).
var noTransposed, gatherT = false, false

// alwaysTransposed reports whether a one-group convolution with cout
// output channels and a window of kSz taps computes Yᵀ = Xcolᵀ·Wᵀ whatever
// its input (see transposed).
func alwaysTransposed(cout, kSz int) bool {
	return kernels.DirectTSupported() && cout >= 32 && kSz > 1
}

// transposed reports whether a one-group convolution with P output
// positions, cout output channels and K taps (kSz per input channel)
// computes Yᵀ = Xcolᵀ·Wᵀ (runTransposed) instead of Y = W·Xcol.
//
// Where kernels.GemmDirectT applies (AVX2 or AVX-512 assembly), it does so
// from 32 channels up, for windows over 1×1 and for 1×1 windows with at
// most 1,024 positions: the patches are read straight from the image, six
// positions by 32 channels at a time, with the weights read once in kernel
// order, and nothing is gathered, but Yᵀ has to be transposed back, which
// a 1×1 window's few multiply-adds per output do not pay for on big
// grids. Calibrated on synthetic layers (AVX-512, 2 workers, ReLU fused,
// medians of 30–40 alternating runs, AMD EPYC Zen 5), time against the
// other routes: 3×3 windows 4–22 % faster at 7² to 56² (ResNet-50's,
// Inception's and DenseNet-121's shapes; DenseNet's 128 → 32 channels at
// 28²: 0.207 → 0.161 ms) and −6 to +9 % at 112²; 1×1 windows 27–38 %
// faster at 14², −17 to +9 % at 28², −3 to +32 % at 56² (within ±5 % from
// 64 input channels) and +15 to +131 % at 112² up to 128 input channels
// (MobileNet's expansions; −16 to +7 % with 256–512). Validated on whole
// networks (see docs/design.md). Below 32 channels the weights fill less
// than one pair of panels.
//
// Without assembly the patches are gathered first, which pays only with
// few positions and big weights: as the packed B the weights are read once
// in the micro-kernels' order while the patches stay in cache; as the
// packed A they are read again for every pair of column panels. Measured
// with BenchmarkGemmPacked in internal/kernels (ResNet-50's shapes, weights
// read cold, one goroutine, on a Xeon with its AVX-512 kernels): 7×7
// positions 93 → 173 GFLOP/s (3×3, 512 channels), 14×14 176 → 222 (3×3, 256
// channels). With small weights (under 2 MiB) and more positions, writing
// Yᵀ and transposing it cost more than it saved (ResNet-50's 1×1 256 → 1024
// at 14×14: 3.3 → 4.2 ms), and with fewer than 64 channels the workers had
// too few panels of Wᵀ to share.
func transposed(P, cout, K, kSz int) bool {
	switch {
	case noTransposed:
		return false
	case kernels.DirectTSupported():
		return cout >= 32 && (kSz > 1 || P <= 1024)
	}
	return P <= 256 && cout >= 64 && (P <= 64 || kSz > 1 || cout*K >= 1<<19)
}

// newConvPlan packs the weights w (cout × cin/group × k...) of a convolution.
func newConvPlan(w *Tensor, bias *Tensor, group int, a spatialAttrs) (*convPlan, error) {
	if w.DType != Float32 || len(w.Shape) < 3 || len(w.Shape) > 5 {
		return nil, fmt.Errorf("weights %s: want float32 of rank 3 to 5", w)
	}
	if group < 1 || w.Shape[0]%group != 0 || group > max(w.Shape[0], 1) {
		return nil, fmt.Errorf("group %d does not divide the %d output channels", group, w.Shape[0])
	}
	p := &convPlan{attrs: a, group: group, cout: w.Shape[0], cinG: w.Shape[1], wshape: w.Shape}
	p.kernel = append(p.kernel, w.Shape[2:]...)
	if a.kernel != nil {
		if len(a.kernel) != len(p.kernel) {
			return nil, fmt.Errorf("kernel_shape %v does not match weights %v", a.kernel, w.Shape)
		}
		for i, k := range a.kernel {
			if int(k) != p.kernel[i] {
				return nil, fmt.Errorf("kernel_shape %v does not match weights %v", a.kernel, w.Shape)
			}
		}
	}
	K := p.cinG * numel(p.kernel)
	if bias != nil {
		if bias.DType != Float32 || len(bias.F) != p.cout {
			return nil, fmt.Errorf("bias %s: want float32[%d]", bias, p.cout)
		}
	}
	if len(w.F) != p.cout*K {
		return nil, fmt.Errorf("weights %s hold %d values", w, len(w.F))
	}
	p.wdata = w.F
	if bias != nil {
		p.bias = bias.F
	}
	// Pack for the route the convolution takes; where it depends on the
	// input's size (a 1×1 window with the assembly kernels), on first use.
	// Depthwise convolutions read the weights as given.
	kSz := numel(p.kernel)
	switch {
	case group == 1 && alwaysTransposed(p.cout, kSz):
		p.packedT()
	case group == 1 && kSz == 1 && kernels.DirectTSupported() && p.cout >= 32:
	case group == 1 || p.cinG > 1:
		p.packedA()
	}
	return p, nil
}

// run computes the convolution of x (N × C × spatial...):
//
//	Y[n, g·M+m, o] = b[g·M+m] + Σ_{c,k} W[g·M+m, c, k] · X[n, g·C'+c, o·s − p + k·d]
//
// with M = cout/group and C' = C/group, by im2col and GEMM per image and
// group; images are shared among GOMAXPROCS goroutines.
func (p *convPlan) run(x *Tensor, ar *arena, ws []*workspace, fuseRelu bool) (*Tensor, error) {
	if x.DType != Float32 || len(x.Shape) != len(p.wshape) {
		return nil, fmt.Errorf("input %s: want float32 of rank %d for weights %v", x, len(p.wshape), p.wshape)
	}
	N, C := x.Shape[0], x.Shape[1]
	if C != p.cinG*p.group {
		return nil, fmt.Errorf("input %s has %d channels, weights %v want %d", x, C, p.wshape, p.cinG*p.group)
	}
	win, err := makeWindow(x.Shape[2:], p.kernel, p.attrs)
	if err != nil {
		return nil, err
	}
	oshape := append([]int{N, p.cout}, win.outShape()...)
	y := ar.get(oshape)
	if N == 0 || win.outSize == 0 {
		return y, nil
	}
	if p.cinG == 0 {
		// No input channels: every output is the bias (or 0).
		P := win.outSize
		for n := 0; n < N; n++ {
			for m := 0; m < p.cout; m++ {
				row := y.F[(n*p.cout+m)*P : (n*p.cout+m+1)*P]
				p.fillBias(row, m)
				if fuseRelu {
					reluInPlace(row)
				}
			}
		}
		return y, nil
	}
	if p.cinG == 1 && p.group > 1 {
		p.depthwise(x, y, &win, ws, fuseRelu)
		return y, nil
	}
	coutG := p.cout / p.group
	K := p.cinG * win.kSz
	P := win.outSize
	perImage := 2 * float64(p.cout) * float64(K) * float64(P)
	nw := workers(N, perImage)
	if nw > len(ws) {
		nw = len(ws)
	}
	rowOff, colOff := p.offsets(&win)
	transp := p.group == 1 && transposed(P, p.cout, K, win.kSz)
	var wa []kernels.PackedA
	var wr window
	var runs bool
	var rowOffR, colOffR []int32
	if !transp {
		wa = p.packedA()
		if wr, runs = runsWindow(&win, coutG); runs {
			rowOffR, colOffR = p.offsets(&wr)
		}
	}
	image := func(wk *workspace, n int) {
		if transp {
			p.runTransposed(x.F[n*C*win.inSize:(n+1)*C*win.inSize], y.F[n*p.cout*P:(n+1)*p.cout*P], &win, rowOff, colOff, ar, wk, 1, fuseRelu)
			return
		}
		for g := 0; g < p.group; g++ {
			xs := x.F[(n*C+g*p.cinG)*win.inSize : (n*C+(g+1)*p.cinG)*win.inSize]
			ys := y.F[(n*p.cout+g*coutG)*P : (n*p.cout+(g+1)*coutG)*P]
			if runs && p.runsWidened(g, xs, ys, &win, &wr, rowOffR, colOffR, ar, wk, 1, false) {
				continue
			}
			src, _ := padImage(xs, p.cinG, &win, wk)
			// Read the patches straight from the image where the kernels
			// can (the same results as gathering them).
			if kernels.GemmRuns(wa[g], src, rowOff, colOff, P, 0, P, ys, P) {
				continue
			}
			pb := im2colPacked(wk.col, src, rowOff, colOff, P, wk)
			wk.col = pb.Data
			gemmPackedPolled(ar, wa[g], pb, 0, pb.Panels(), ys, P, false)
		}
		if fuseRelu {
			reluInPlace(y.F[n*p.cout*P : (n+1)*p.cout*P]) // while in cache
		}
	}
	if nw > 1 || N > 1 || p.group > 1 {
		par.Chunks(N, nw, func(wi, lo, hi int) {
			wk := ws[wi]
			for n := lo; n < hi; n++ {
				image(wk, n)
			}
		})
		return y, nil
	}
	// One image, on all workers.
	xs, ys := x.F[:C*win.inSize], y.F[:p.cout*P]
	if transp {
		p.runTransposed(xs, ys, &win, rowOff, colOff, ar, ws[0], len(ws), fuseRelu)
		return y, nil
	}
	if runs && p.runsWidened(0, xs, ys, &win, &wr, rowOffR, colOffR, ar, ws[0], len(ws), fuseRelu) {
		return y, nil
	}
	// The workers share the column panels in pairs, each reading its
	// patches straight from the image where the kernels can, and
	// otherwise gathering and multiplying them a block at a time (the
	// same results either way).
	src, _ := padImage(xs, p.cinG, &win, ws[0])
	panels := (P + kernels.NR - 1) / kernels.NR
	ws[0].col = ar.scratchF(ws[0].col, panels*kernels.NR*K, "im2col scratch space")
	pairs := (panels + 1) / 2
	pw := workers(pairs, 4*float64(coutG)*float64(K)*kernels.NR)
	par.Chunks(pairs, pw, func(_, lo, hi int) {
		q0, q1 := 2*lo, min(2*hi, panels)
		j0, j1 := q0*kernels.NR, min(q1*kernels.NR, P)
		if !kernels.GemmRuns(wa[0], src, rowOff, colOff, P, j0, j1, ys, P) {
			for b := q0; b < q1; b += 8 {
				ar.poll()
				pb := kernels.GatherPacked(ws[0].col, src, rowOff, colOff, P, b, min(b+8, q1))
				kernels.GemmPacked(wa[0], pb, b, min(b+8, q1), ys, P, false)
			}
		}
		if fuseRelu { // this worker's columns of every row, while in cache
			for o := 0; o < p.cout; o++ {
				reluInPlace(ys[o*P+j0 : o*P+j1])
			}
		}
	})
	return y, nil
}

// runTransposed computes the convolution of one image xs → ys with one
// group as Yᵀ = Xcolᵀ·Wᵀ, on up to nw goroutines with w0's scratch space:
// the patches of six output positions at a time are the rows of A, read
// straight from the image by kernels.GemmDirectT where the CPU allows and
// otherwise gathered into a packed A first; the weights are the packed B.
// The workers share the pairs of weight panels when there are enough of
// them (each worker then reads only its part of the weights), and the
// positions otherwise. Each worker writes its part of Yᵀ back into Y's
// layout (channels × positions), with the fused ReLU. Every output is the
// same chain of fused multiply-adds from the bias as in Y = W·Xcol, so the
// same bits. A batch calls it per image with nw = 1 on each worker.
func (p *convPlan) runTransposed(xs, ys []float32, win *window, rowOff, colOff []int32, ar *arena, w0 *workspace, nw int, fuseRelu bool) {
	wT, biasT := p.packedT()
	K, P, cout := wT.K, win.outSize, p.cout
	src, _ := padImage(xs, p.cinG, win, w0)
	rows := kernels.RoundUp(P, kernels.MR) // colOff has position 0 past P
	ldt := transposedStride(wT)
	w0.outT = ar.scratchF(w0.outT, rows*ldt, "the transposed output of one image")
	yt := w0.outT[:rows*ldt]
	if kernels.DirectTSupported() && !gatherT {
		pairs, tiles := wT.Panels()/2, rows/kernels.MR
		perPair := 2 * float64(rows) * float64(K) * 2 * kernels.NR
		if pairs >= 2*nw {
			par.Chunks(pairs, min(nw, workers(pairs, perPair)), func(_, lo, hi int) {
				for t := 0; t < tiles; t += 64 {
					ar.poll()
					p.directT(src, rowOff, colOff, t*kernels.MR, min(t+64, tiles)*kernels.MR, 2*lo, 2*hi, yt, ldt)
				}
				if m0, m1 := 2*lo*kernels.NR, min(2*hi*kernels.NR, cout); m0 < m1 {
					kernels.Transpose(ys[m0*P:], P, yt[m0:], ldt, m1-m0, P, fuseRelu)
				}
			})
			return
		}
		par.Chunks(tiles, min(nw, workers(tiles, perPair*float64(pairs)/float64(tiles))), func(_, lo, hi int) {
			for t := lo; t < hi; t += 64 {
				ar.poll()
				p.directT(src, rowOff, colOff, t*kernels.MR, min(t+64, hi)*kernels.MR, 0, 2*pairs, yt, ldt)
			}
			if i0, i1 := lo*kernels.MR, min(hi*kernels.MR, P); i0 < i1 {
				kernels.Transpose(ys[i0:], P, yt[i0*ldt:], ldt, cout, i1-i0, fuseRelu)
			}
		})
		return
	}
	w0.col = ar.scratchF(w0.col, kernels.PackedASize(P, K), "im2col scratch space")
	rowPanels := (P + kernels.MR - 1) / kernels.MR
	par.Chunks(rowPanels, min(nw, workers(rowPanels, moveCost*float64(kernels.MR*K))), func(_, lo, hi int) {
		kernels.GatherPackedA(w0.col, src, rowOff, colOff, P, lo, hi)
	})
	xt := kernels.PackedA{M: P, K: K, Data: w0.col[:kernels.PackedASize(P, K)]}
	for i := 0; i < P; i++ {
		copy(yt[i*ldt:i*ldt+wT.N], biasT)
	}
	panels := wT.Panels()
	par.Chunks(panels, min(nw, workers(panels, 2*float64(P)*float64(K)*kernels.NR)), func(_, lo, hi int) {
		for b := lo; b < hi; b += 32 {
			ar.poll()
			kernels.GemmPackedFromC(xt, wT, b, min(b+32, hi), yt, ldt)
		}
		if m0, m1 := lo*kernels.NR, min(hi*kernels.NR, cout); m0 < m1 {
			kernels.Transpose(ys[m0*P:], P, yt[m0:], ldt, m1-m0, P, fuseRelu)
		}
	})
}

// directT runs kernels.GemmDirectT on rows r0..r1 and panels q0..q1 of Yᵀ;
// runTransposed has checked what it needs, so a refusal is a bug.
func (p *convPlan) directT(src []float32, rowOff, colOff []int32, r0, r1, q0, q1 int, yt []float32, ldt int) {
	if !kernels.GemmDirectT(src, rowOff, colOff, r0, r1, q0, q1, p.wT, p.biasT, yt, ldt) {
		panic(fmt.Sprintf("engine: GemmDirectT declined rows %d..%d, panels %d..%d of a %d×%d convolution", r0, r1, q0, q1, p.wT.K, p.wT.N))
	}
}

// transposedStride is the row stride of Yᵀ for the packed Wᵀ: its columns,
// and one panel more where rows a multiple of 512 bytes apart would share
// L1 sets.
func transposedStride(wT kernels.PackedB) int {
	if wT.N%128 == 0 {
		return wT.N + kernels.NR
	}
	return wT.N
}

// runsWindow returns win on a widened output grid on which kernels.GemmRuns
// reads every patch straight from the image, for a stride-1 (along rows)
// two-dimensional window larger than 1×1 (a 1×1 gather is a plain copy)
// whose output rows are not a multiple of 8 wide:
// rows widened to a multiple of 8 (and, if need be, rows added so that the
// grid is a multiple of 32), with zero padding grown right and below so
// that the extra outputs read inside the padded image. The extra outputs
// are computed and dropped (compactWidened). With at most 64 output
// channels the GEMM is too small to pay for gathering the patches, and
// adding up to 35 % of outputs is cheaper; with more, the gathered,
// K-blocked GEMM wins (ResNet-50's 28×28 layers of 128 channels: 1.5 ms
// per image slower widened).
func runsWindow(win *window, cout int) (window, bool) {
	if !kernels.RunsSupported() || win.kSz == 1 || win.out[0] != 1 || win.in[0] != 1 || win.stride[2] != 1 || win.out[2]%8 == 0 {
		return window{}, false
	}
	wr := *win
	wr.out[2] = kernels.RoundUp(win.out[2], 8)
	for wr.out[1]*wr.out[2]%(2*kernels.NR) != 0 {
		wr.out[1]++
	}
	wr.outSize = wr.out[1] * wr.out[2]
	waste := float64(wr.outSize) / float64(win.outSize)
	if waste > 1.35 || cout > 64 {
		return window{}, false
	}
	for d := 1; d < 3; d++ {
		need := (wr.out[d]-1)*wr.stride[d] + (wr.kernel[d]-1)*wr.dilation[d] + 1
		if have := wr.padBegin[d] + wr.in[d] + wr.padEnd[d]; need > have {
			wr.padEnd[d] += need - have
		}
	}
	return wr, true
}

// runsWidened computes group g of one image, xs → ys, on the widened
// window wr through w0.outT, on up to nw goroutines (the workers share the
// pairs of column panels, then the channels for the compaction), with the
// fused ReLU; it reports false, for the caller to compute ys another way,
// when kernels.GemmRuns declines. A batch calls it per image with nw = 1
// on each worker.
func (p *convPlan) runsWidened(g int, xs, ys []float32, win, wr *window, rowOff, colOff []int32, ar *arena, w0 *workspace, nw int, fuseRelu bool) bool {
	coutG := p.cout / p.group
	K := p.cinG * win.kSz
	src, _ := padImage(xs, p.cinG, wr, w0)
	n2 := wr.outSize
	w0.outT = ar.scratchF(w0.outT, coutG*n2, "the widened output of one image")
	yw := w0.outT[:coutG*n2]
	pairs := n2 / (2 * kernels.NR)
	var declined atomic.Bool
	par.Chunks(pairs, min(nw, workers(pairs, 4*float64(coutG)*float64(K)*kernels.NR)), func(_, lo, hi int) {
		ar.poll()
		if !kernels.GemmRuns(p.packedA()[g], src, rowOff, colOff, n2, lo*2*kernels.NR, hi*2*kernels.NR, yw, n2) {
			declined.Store(true)
		}
	})
	if declined.Load() {
		return false
	}
	P := win.outSize
	par.Chunks(coutG, min(nw, workers(coutG, moveCost*float64(P))), func(_, lo, hi int) {
		compactWidened(ys[lo*P:hi*P], yw[lo*n2:hi*n2], win, wr, fuseRelu)
	})
	return true
}

// compactWidened copies the outputs of win out of channels computed on the
// widened grid of wr (runsWindow), with the fused ReLU.
func compactWidened(y, yw []float32, win, wr *window, fuseRelu bool) {
	P, n2 := win.outSize, wr.outSize
	OH, OW, OWr := win.out[1], win.out[2], wr.out[2]
	for m := 0; m < len(y)/P; m++ {
		ym := y[m*P : (m+1)*P]
		for oh := 0; oh < OH; oh++ {
			copy(ym[oh*OW:(oh+1)*OW], yw[m*n2+oh*OWr:])
		}
		if fuseRelu {
			reluInPlace(ym)
		}
	}
}
