package kernels

import (
	"fmt"
	"unsafe"
)

// GatherPacked writes the k×n matrix B[l, j] = src[kOff[l] + nOff[j]]
// (k = len(kOff)) into dst in the PackedB layout, for the column panels
// q0 ≤ q < q1 only, and returns the whole packed matrix (dst must hold
// PackedBSize(k, n) floats). nOff must have (panels of n)·NR entries: the
// offsets past n in the last panel only need to be valid (0 will do), as
// GemmPacked ignores those columns.
//
// This is im2col: with kOff[l] the offset of tap l = (c, kd, kh, kw) from a
// window's top-left corner and nOff[j] the offset of output position j's
// top-left corner, B is the im2col matrix of a convolution, written
// directly in the GEMM's B layout; with the roles swapped it is the
// transposed im2col matrix of the weight gradient.
func GatherPacked(dst, src []float32, kOff, nOff []int32, n, q0, q1 int) PackedB {
	k := len(kOff)
	panels := (n + NR - 1) / NR
	if len(nOff) < panels*NR || len(dst) < PackedBSize(k, n) || q0 < 0 || q1 > panels {
		panic(fmt.Sprintf("kernels: GatherPacked: %d×%d matrix with %d column offsets into %d floats, panels %d..%d", k, n, len(nOff), len(dst), q0, q1))
	}
	// Every load below is src[kOff[l]+nOff[j]]; check the extremes once so
	// the unsafe loads cannot leave src.
	maxK, okK := maxOffset(kOff)
	maxN, okN := maxOffset(nOff[q0*NR : q1*NR])
	if !okK || !okN {
		panic("kernels: GatherPacked: negative offset")
	}
	if q1 > q0 && k > 0 && (len(src) == 0 || int(maxK)+int(maxN) >= len(src)) {
		panic(fmt.Sprintf("kernels: GatherPacked: offsets %d+%d outside input of %d values", maxK, maxN, len(src)))
	}
	out := PackedB{K: k, N: n, Data: dst[:PackedBSize(k, n)]}
	if q1 <= q0 || k == 0 {
		return out
	}
	sp := unsafe.Pointer(&src[0])
	for q := q0; q < q1; q++ {
		co := (*[NR]int32)(nOff[q*NR:])
		panel := dst[q*NR*k : (q+1)*NR*k]
		// Eight strictly increasing offsets spanning 7 are contiguous: a
		// run along one output row of a stride-1 window. Copy such halves
		// as blocks instead of gathering.
		lo := co[7]-co[0] == 7
		hi := co[15]-co[8] == 7
		switch {
		case lo && hi:
			gatherRuns(panel, sp, kOff, co[0], co[8])
		case stride2(co) && int(maxK)+int(co[0])+2*NR-1 < len(src):
			gatherStride2(panel, sp, kOff, co[0])
		default:
			for l, ro := range kOff {
				out := (*[NR]float32)(panel[l*NR:])
				b := unsafe.Add(sp, uintptr(ro)*4)
				out[0] = *(*float32)(unsafe.Add(b, uintptr(co[0])*4))
				out[1] = *(*float32)(unsafe.Add(b, uintptr(co[1])*4))
				out[2] = *(*float32)(unsafe.Add(b, uintptr(co[2])*4))
				out[3] = *(*float32)(unsafe.Add(b, uintptr(co[3])*4))
				out[4] = *(*float32)(unsafe.Add(b, uintptr(co[4])*4))
				out[5] = *(*float32)(unsafe.Add(b, uintptr(co[5])*4))
				out[6] = *(*float32)(unsafe.Add(b, uintptr(co[6])*4))
				out[7] = *(*float32)(unsafe.Add(b, uintptr(co[7])*4))
				out[8] = *(*float32)(unsafe.Add(b, uintptr(co[8])*4))
				out[9] = *(*float32)(unsafe.Add(b, uintptr(co[9])*4))
				out[10] = *(*float32)(unsafe.Add(b, uintptr(co[10])*4))
				out[11] = *(*float32)(unsafe.Add(b, uintptr(co[11])*4))
				out[12] = *(*float32)(unsafe.Add(b, uintptr(co[12])*4))
				out[13] = *(*float32)(unsafe.Add(b, uintptr(co[13])*4))
				out[14] = *(*float32)(unsafe.Add(b, uintptr(co[14])*4))
				out[15] = *(*float32)(unsafe.Add(b, uintptr(co[15])*4))
			}
		}
	}
	return out
}

// gatherRuns fills a packed panel whose two halves of NR/2 columns are
// contiguous runs starting at c0 and c8 (element offsets from each tap's
// kOff): row l is src[kOff[l]+c0 : +8] then src[kOff[l]+c8 : +8]. The
// caller has checked that every read lies inside src. Assembly where the
// CPU allows.
var gatherRuns = gatherRunsGo

func gatherRunsGo(panel []float32, sp unsafe.Pointer, kOff []int32, c0, c8 int32) {
	for l, ro := range kOff {
		out := panel[l*NR : l*NR+NR]
		b := unsafe.Add(sp, uintptr(ro)*4)
		s0 := unsafe.Add(b, uintptr(c0)*4)
		s8 := unsafe.Add(b, uintptr(c8)*4)
		// 16-byte blocks compile to vector moves (32-byte ones call
		// memmove).
		*(*[4]float32)(out) = *(*[4]float32)(s0)
		*(*[4]float32)(out[4:]) = *(*[4]float32)(unsafe.Add(s0, 16))
		*(*[4]float32)(out[8:]) = *(*[4]float32)(s8)
		*(*[4]float32)(out[12:]) = *(*[4]float32)(unsafe.Add(s8, 16))
	}
}

// stride2 reports whether the 16 column offsets of a panel step by 2, as
// along an output row of a stride-2 window.
func stride2(co *[NR]int32) bool {
	for j := 1; j < NR; j++ {
		if co[j] != co[0]+int32(2*j) {
			return false
		}
	}
	return true
}

// gatherStride2 fills a packed panel whose columns are every other float of
// one run from c0 (element offsets from each tap's kOff): row l is
// src[kOff[l]+c0+2j] for j < NR. The caller has checked that
// src[kOff[l]+c0 : +2·NR] lies inside src (the assembly reads one float past
// the last one used). Assembly where the CPU allows.
var gatherStride2 = gatherStride2Go

func gatherStride2Go(panel []float32, sp unsafe.Pointer, kOff []int32, c0 int32) {
	for l, ro := range kOff {
		out := (*[NR]float32)(panel[l*NR:])
		in := (*[2 * NR]float32)(unsafe.Add(sp, uintptr(ro+c0)*4))
		for j := range out {
			out[j] = in[2*j]
		}
	}
}

// Conv2D is a stride-1, unpadded 2-D convolution of C×H×W images with
// KH×KW filters (OH = H−KH+1, OW = W−KW+1), as the trainer uses.
type Conv2D struct {
	C, H, W int
	KH, KW  int
}

// Out returns the output height and width.
func (d Conv2D) Out() (oh, ow int) { return d.H - d.KH + 1, d.W - d.KW + 1 }

// Taps is the number of taps per output position, C·KH·KW.
func (d Conv2D) Taps() int { return d.C * d.KH * d.KW }

// Offsets fills the im2col offset tables of GatherPacked: tap[l] for
// l = (c·KH+i)·KW+j is the offset of x[c, i, j], pos[p] for p = oy·OW+ox is
// the offset of x[0, oy, ox], and pos is zero-padded to a multiple of NR
// entries. The slices are reused when large enough.
func (d Conv2D) Offsets(tap, pos []int32) ([]int32, []int32) {
	oh, ow := d.Out()
	if cap(tap) < d.Taps() {
		tap = make([]int32, d.Taps())
	}
	tap = tap[:d.Taps()]
	for c := 0; c < d.C; c++ {
		for i := 0; i < d.KH; i++ {
			for j := 0; j < d.KW; j++ {
				tap[(c*d.KH+i)*d.KW+j] = int32((c*d.H+i)*d.W + j)
			}
		}
	}
	n := RoundUp(oh*ow, NR)
	if cap(pos) < n {
		pos = make([]int32, n)
	}
	pos = pos[:n]
	clear(pos)
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			pos[oy*ow+ox] = int32(oy*d.W + ox)
		}
	}
	return tap, pos
}

// Col2im adds the im2col matrix col (C·KH·KW × OH·OW, row-major) of one
// image back into its gradient dx (C×H×W): dx[c, oy+i, ox+j] +=
// col[(c·KH+i)·KW+j, oy·OW+ox].
func (d Conv2D) Col2im(dx, col []float32) {
	oh, ow := d.Out()
	p := oh * ow
	for c := 0; c < d.C; c++ {
		for i := 0; i < d.KH; i++ {
			for j := 0; j < d.KW; j++ {
				row := col[((c*d.KH+i)*d.KW+j)*p:]
				for oy := 0; oy < oh; oy++ {
					dst := dx[(c*d.H+oy+i)*d.W+j:][:ow]
					src := row[oy*ow : (oy+1)*ow]
					for k, v := range src {
						dst[k] += v
					}
				}
			}
		}
	}
}

// RunsSupported reports whether GemmRuns can apply on this CPU.
func RunsSupported() bool { return useAsm && useAsm512 }

// GemmRuns computes columns j0 ≤ j < j1 of C = A·B (plus A's row bias; C
// overwritten) where B is the im2col matrix that GatherPacked would build
// from src, kOff and nOff (k = len(kOff) rows, n columns), without
// building it: the AVX-512 kernels read each B row straight from src. It
// applies when every 8 consecutive columns are a contiguous run of src (a
// stride-1 window along output rows a multiple of 8 wide) and n, j0 and j1
// are multiples of 2·NR, on CPUs with AVX-512F; otherwise it does nothing
// and returns false, for the caller to gather and use GemmPacked. Where it
// applies, the results are the same bits as GemmPacked on the gathered
// matrix.
func GemmRuns(a PackedA, src []float32, kOff, nOff []int32, n, j0, j1 int, c []float32, ldc int) bool {
	k := len(kOff)
	if !useAsm || !useAsm512 || k == 0 || n == 0 || n%(2*NR) != 0 || j0%(2*NR) != 0 || j1%(2*NR) != 0 || j0 < 0 || j1 > n || j0 >= j1 ||
		len(nOff) < n || a.K != k || ldc < n || len(src) == 0 || len(c) < (a.M-1)*ldc+n {
		return false
	}
	maxK, ok := maxOffset(kOff)
	if !ok {
		return false
	}
	var maxN int32
	for j := j0; j < j1; j += NR / 2 {
		v := nOff[j]
		if v < 0 {
			return false
		}
		for t := 1; t < NR/2; t++ {
			if nOff[j+t] != v+int32(t) {
				return false
			}
		}
		maxN = max(maxN, v+NR/2-1)
	}
	if int(maxK)+int(maxN) >= len(src) {
		return false
	}
	var tile [MR * 2 * NR]float32
	for ; j0 < j1; j0 += 2 * NR {
		cols := [4]int32{nOff[j0], nOff[j0+8], nOff[j0+16], nOff[j0+24]}
		for p := 0; p*MR < a.M; p++ {
			ap, h := a.Panel(p)
			bias := a.panelBias(p, h)
			i0 := p * MR
			rows := min(h, a.M-i0)
			if rows == h {
				runsKernel(h, k, ap, src, kOff, cols, c[i0*ldc+j0:], ldc, bias)
				continue
			}
			runsKernel(h, k, ap, src, kOff, cols, tile[:], 2*NR, bias)
			addTile(c[i0*ldc+j0:], ldc, tile[:], 2*NR, rows, 2*NR, false)
		}
	}
	return true
}

// maxOffset returns the largest of the offsets (0 for none), and false if
// one is negative: the checks that keep the unsafe loads of the gathers and
// the kernels that read the image inside it.
func maxOffset(off []int32) (int32, bool) {
	var m int32
	for _, v := range off {
		if v < 0 {
			return 0, false
		}
		m = max(m, v)
	}
	return m, true
}

// DirectTSupported reports whether GemmDirectT can apply on this CPU.
func DirectTSupported() bool { return useAsm }

// GemmDirectT computes the rows r0 ≤ i < r1 and the column panels
// q0 ≤ q < q1 of C = bias + A·B (C overwritten), where A[i, l] =
// src[kOff[l] + nOff[i]] is the matrix GatherPackedA would pack, without
// building it: the assembly kernels (AVX-512 for pairs of panels, AVX2 one
// panel at a time) broadcast each element straight from src. A is the
// transposed im2col matrix of a convolution (row i the patch of output
// position i), B the packed weights Wᵀ and bias a value per column. It
// applies when r0 and r1 are multiples of MR, q0 and q1 even, b.N a
// multiple of 2·NR, ldc ≥ b.N, every A element inside src and the CPU has
// AVX2 and FMA; otherwise it does nothing and returns false. K is split
// into blocks as in GemmPacked, so the results are the same bits as
// GemmPacked on the gathered A starting from the bias.
func GemmDirectT(src []float32, kOff, nOff []int32, r0, r1, q0, q1 int, b PackedB, bias []float32, c []float32, ldc int) bool {
	k := len(kOff)
	if !useAsm || k == 0 || b.K != k || r0 < 0 || r0 >= r1 || r0%MR != 0 || r1%MR != 0 || len(nOff) < r1 ||
		q0 < 0 || q0 >= q1 || q0%2 != 0 || q1%2 != 0 || q1*NR > b.N || b.N%(2*NR) != 0 || ldc < b.N || len(bias) < b.N ||
		len(c) < (r1-1)*ldc+b.N || len(b.Data) < b.N*k {
		return false
	}
	maxK, okK := maxOffset(kOff)
	maxN, okN := maxOffset(nOff[r0:r1])
	if !okK || !okN || int(maxK)+int(maxN) >= len(src) {
		return false
	}
	nk := kBlocks(k)
	for bk := 0; bk < nk; bk++ {
		l0, l1 := bk*k/nk, (bk+1)*k/nk
		for q := q0; q < q1; q += 2 {
			bp := b.Data[q*NR*k+l0*NR : q*NR*k+l1*NR]
			bp2 := b.Data[(q+1)*NR*k+l0*NR : (q+1)*NR*k+l1*NR]
			var bs []float32
			if bk == 0 {
				bs = bias[q*NR : (q+2)*NR]
			}
			for i := r0; i < r1; i += MR {
				directKernel(l1-l0, src, kOff[l0:l1], nOff[i:i+MR], bp, bp2, c[i*ldc+q*NR:], ldc, bs)
			}
		}
	}
	return true
}

// GatherPackedA writes the m×k matrix A[i, l] = src[kOff[l] + nOff[i]]
// (k = len(kOff)) into dst in the PackedA layout, for the row panels
// p0 ≤ p < p1 only, and returns the whole packed matrix (dst must hold
// PackedASize(m, k) floats). Rows past m in the last panel are filled from
// row 0 (GemmPacked ignores them).
//
// This is the transposed im2col matrix of a convolution, one row per
// output position, for computing Yᵀ = Xcolᵀ·Wᵀ with the weights as the
// packed B.
func GatherPackedA(dst, src []float32, kOff, nOff []int32, m, p0, p1 int) PackedA {
	k := len(kOff)
	panels := (m + MR - 1) / MR
	if len(nOff) < m || len(dst) < PackedASize(m, k) || p0 < 0 || p1 > panels {
		panic(fmt.Sprintf("kernels: GatherPackedA: %d×%d matrix with %d row offsets into %d floats, panels %d..%d", m, k, len(nOff), len(dst), p0, p1))
	}
	out := PackedA{M: m, K: k, Data: dst[:PackedASize(m, k)]}
	for p := p0; p < p1; p++ {
		panel, h := out.Panel(p)
		var off [MR]int32
		for i := range h {
			if r := p*MR + i; r < m {
				off[i] = nOff[r]
			} else {
				off[i] = nOff[0]
			}
		}
		run := true // the h positions are consecutive: copy runs of h floats
		for i := 1; i < h; i++ {
			run = run && off[i] == off[0]+int32(i)
		}
		switch {
		case run && h == MR:
			for l, ko := range kOff {
				o := int(ko + off[0])
				*(*[MR]float32)(panel[l*MR:]) = [MR]float32(src[o : o+MR])
			}
		case run:
			for l, ko := range kOff {
				o := int(ko + off[0])
				*(*[MR4]float32)(panel[l*MR4:]) = [MR4]float32(src[o : o+MR4])
			}
		default:
			for l, ko := range kOff {
				d := panel[l*h : l*h+h]
				for i := range d {
					d[i] = src[ko+off[i]]
				}
			}
		}
	}
	return out
}
