// Package kernels holds the numeric kernels shared by the ONNX executor
// (engine) and the trainer (train): the packed single-precision GEMM with
// its micro-kernels (AVX2/FMA assembly chosen by golang.org/x/sys/cpu on amd64, plus
// AVX-512 for pairs of full panels where the CPU has it, pure Go otherwise
// or with the purego build tag), the im2col gathers and col2im
// scatter of a convolution, and 2×2 max-pooling forward and backward.
//
// Nothing here allocates except where a destination is too small (every
// function that needs scratch space takes the slice to reuse), and nothing
// starts goroutines: callers split the work (internal/par) so that the
// split, and hence every floating-point sum, is fixed by the arguments.
package kernels

// The GEMM below follows the usual packed design (Goto & van de Geijn,
// "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008):
// A is packed into panels of MR rows and B into panels of NR columns, each
// stored k-major, and a micro-kernel computes one MR×NR tile of C from one A
// panel and one B panel. Panels are zero-padded at the edges.
//
// Every element of C is one chain of fused multiply-adds over l = 0..k−1,
// started at 0 (or at the row's bias) and then, when accumulating, added to
// C's old value; the Go kernel rounds each product and sum separately, so
// the assembly and Go kernels agree only to rounding. A micro-kernel's mode
// (modeSet, modeAdd, modeCont) says how its chains start and end; modeCont
// continues them from C, which is how GemmPacked splits K into blocks
// without changing a bit.
const (
	MR = 6  // rows of a full A panel
	NR = 16 // columns of a B panel
	// MR4 is the height of the short last A panel used when m mod MR is 1..MR4.
	MR4 = 4
)

// PackedA is an m×k matrix packed into ceil(m/MR) row panels: full panels of
// MR rows, element (i, l) of panel p at p·MR·k + l·MR + i, and, when
// 1 ≤ m mod MR ≤ MR4, a last panel only MR4 rows high (element (i, l) at
// p·MR·k + l·MR4 + i) so that little work is wasted on padding rows.
type PackedA struct {
	M, K int
	Data []float32
	Bias []float32 // optional per-row bias every product starts from, padded to a multiple of MR
}

// PanelHeight is the packed height of panel p of an m-row PackedA.
func PanelHeight(m, p int) int {
	if r := m % MR; r != 0 && r <= MR4 && p == m/MR {
		return MR4
	}
	return MR
}

// PackedASize is the number of floats an m×k PackedA needs.
func PackedASize(m, k int) int {
	if r := m % MR; r != 0 && r <= MR4 {
		return (m/MR)*MR*k + MR4*k
	}
	return RoundUp(m, MR) * k
}

// Panel returns the data and height of panel p.
func (a PackedA) Panel(p int) ([]float32, int) {
	h := PanelHeight(a.M, p)
	off := p * MR * a.K
	return a.Data[off : off+h*a.K], h
}

// panelBias returns the bias rows of panel p, h high (nil without a bias).
func (a PackedA) panelBias(p, h int) []float32 {
	if a.Bias == nil {
		return nil
	}
	return a.Bias[p*MR : p*MR+h]
}

// Rows returns the panels lo ≤ p < hi of a as an A matrix of their rows.
func (a PackedA) Rows(lo, hi int) PackedA {
	sub := PackedA{M: min(hi*MR, a.M) - lo*MR, K: a.K, Data: a.Data[lo*MR*a.K : min(hi*MR*a.K, len(a.Data))]}
	if a.Bias != nil {
		sub.Bias = a.Bias[lo*MR:]
	}
	return sub
}

// PackedB is a k×n matrix packed into ceil(n/NR) column panels, element
// (l, j) of panel q at q·NR·k + l·NR + j.
type PackedB struct {
	K, N int
	Data []float32
}

// Panels is the number of column panels of b.
func (b PackedB) Panels() int { return (b.N + NR - 1) / NR }

// PackedBSize is the number of floats a k×n PackedB needs.
func PackedBSize(k, n int) int { return RoundUp(n, NR) * k }

// RoundUp rounds x up to a multiple of m.
func RoundUp(x, m int) int { return (x + m - 1) / m * m }

// grow returns dst[:n], reallocated when its capacity is too small.
func grow(dst []float32, n int) []float32 {
	if cap(dst) < n {
		return make([]float32, n)
	}
	return dst[:n]
}

// PackA packs alpha·op(A) where op(A) is m×k: A is row-major with leading
// dimension lda, transposed (A stored k×m) when trans is set. dst is reused
// when large enough.
func PackA(dst []float32, trans bool, m, k int, alpha float32, a []float32, lda int) PackedA {
	dst = grow(dst, PackedASize(m, k))
	pa := PackedA{M: m, K: k, Data: dst}
	for p := 0; p*MR < m; p++ {
		panel, h := pa.Panel(p)
		i0 := p * MR
		rows := min(h, m-i0)
		if rows < h {
			clear(panel)
		}
		if trans {
			for l := 0; l < k; l++ {
				src := a[l*lda+i0 : l*lda+i0+rows]
				dl := panel[l*h : l*h+rows]
				if alpha == 1 {
					copy(dl, src)
					continue
				}
				for i, v := range src {
					dl[i] = alpha * v
				}
			}
			continue
		}
		for i := 0; i < rows; i++ {
			row := a[(i0+i)*lda : (i0+i)*lda+k]
			if alpha == 1 {
				for l, v := range row {
					panel[l*h+i] = v
				}
				continue
			}
			for l, v := range row {
				panel[l*h+i] = alpha * v
			}
		}
	}
	return pa
}

// PackB packs op(B), k×n: B is row-major with leading dimension ldb,
// transposed (B stored n×k) when trans is set. dst is reused when large
// enough.
func PackB(dst []float32, trans bool, k, n int, b []float32, ldb int) PackedB {
	dst = grow(dst, PackedBSize(k, n))
	for q := 0; q*NR < n; q++ {
		panel := dst[q*NR*k : (q+1)*NR*k]
		j0 := q * NR
		cols := min(NR, n-j0)
		if cols < NR {
			clear(panel)
		}
		if trans {
			for j := 0; j < cols; j++ {
				row := b[(j0+j)*ldb : (j0+j)*ldb+k]
				for l, v := range row {
					panel[l*NR+j] = v
				}
			}
		} else {
			for l := 0; l < k; l++ {
				copy(panel[l*NR:l*NR+cols], b[l*ldb+j0:l*ldb+j0+cols])
			}
		}
	}
	return PackedB{K: k, N: n, Data: dst}
}

// Micro-kernel modes: how each chain of C starts and where it goes.
const (
	modeSet  uint8 = iota // start at the row's bias (or 0), overwrite C
	modeAdd               // start at the row's bias (or 0), add the chain to C
	modeCont              // continue the chains from C's values, overwrite C
)

// GemmPacked works in blocks so that its operands stay in cache: K in
// blocks of at most kcBlock (a pair of B panels then reads 32 KiB, which
// stays in L1) and A in groups of at most mcPanels panels (at most 384 KiB
// of one K block, which stays in L2). A chain that spans several K blocks
// is stored in C between blocks and continued from there (modeCont), as a
// float32 like the register it came from, so blocking changes no bits.
const (
	kcBlock  = 256
	mcPanels = 64
)

// kBlocks is the number of K blocks a depth of k is split into: block b
// covers b·k/nk ≤ l < (b+1)·k/nk. GemmPacked and GemmDirectT split alike,
// which is what keeps their bits equal.
func kBlocks(k int) int { return max(1, (k+kcBlock-1)/kcBlock) }

// GemmPacked computes C[i, j] (+)= Σ_l A[i, l]·B[l, j] (plus A's row bias)
// for the packed A (m×k) and the column panels q0 ≤ q < q1 of the packed B
// (k×n). C is row-major with leading dimension ldc. When acc is false C is
// overwritten.
func GemmPacked(a PackedA, b PackedB, q0, q1 int, c []float32, ldc int, acc bool) {
	mode := modeSet
	if acc {
		mode = modeAdd
	}
	gemmPacked(a, b, q0, q1, c, ldc, mode)
}

// GemmPackedFromC is GemmPacked with every chain starting from C's value
// instead of A's bias: C[i, j] = C[i, j] + Σ_l A[i, l]·B[l, j], summed in
// the order of l like the bias start, so that a C filled with a bias per
// column gives the bits of a bias start. A's Bias is ignored.
func GemmPackedFromC(a PackedA, b PackedB, q0, q1 int, c []float32, ldc int) {
	gemmPacked(a, b, q0, q1, c, ldc, modeCont)
}

// gemmPacked is GemmPacked with the first K block in the given mode.
func gemmPacked(a PackedA, b PackedB, q0, q1 int, c []float32, ldc int, first uint8) {
	k := a.K
	// Accumulating adds whole chains to C, so it runs in one K block.
	nk := 1
	if first != modeAdd {
		nk = kBlocks(k)
	}
	np := (a.M + MR - 1) / MR
	for bk := 0; bk < nk; bk++ {
		mode := first
		if bk > 0 {
			mode = modeCont
		}
		for p0 := 0; p0 < np; p0 += mcPanels {
			gemmBlock(a, b, q0, q1, p0, min(p0+mcPanels, np), bk*k/nk, (bk+1)*k/nk, c, ldc, mode)
		}
	}
}

// gemmBlock runs the micro-kernels over the A panels p0 ≤ p < p1, the B
// panels q0 ≤ q < q1 and the depths l0 ≤ l < l1 in the given mode.
func gemmBlock(a PackedA, b PackedB, q0, q1, p0, p1, l0, l1 int, c []float32, ldc int, mode uint8) {
	k, kb := a.K, l1-l0
	for q := q0; q < q1; q++ {
		j0 := q * NR
		cols := min(NR, b.N-j0)
		bp := b.Data[q*NR*k+l0*NR : q*NR*k+l1*NR]
		var bp2 []float32
		if useAsm512 && q+1 < q1 {
			// Two panels at once with the AVX-512 kernels.
			bp2 = b.Data[(q+1)*NR*k+l0*NR : (q+1)*NR*k+l1*NR]
			cols = min(2*NR, b.N-j0)
		}
		for p := p0; p < p1; p++ {
			ap, h := a.Panel(p)
			ap = ap[l0*h : l1*h]
			bias := a.panelBias(p, h)
			i0 := p * MR
			rows := min(h, a.M-i0)
			switch {
			case rows < h || cols < NR || (bp2 != nil && cols < 2*NR):
				edgeTile(h, kb, ap, bp, bp2, c[i0*ldc+j0:], ldc, rows, cols, mode, bias)
			case bp2 != nil:
				microKernel2Asm(h, kb, ap, bp, bp2, c[i0*ldc+j0:], ldc, mode, bias)
			default:
				microKernel(h, kb, ap, bp, c[i0*ldc+j0:], ldc, mode, bias)
			}
		}
		if bp2 != nil {
			q++
		}
	}
}

// edgeTile computes a tile of one B panel (or two, with bp2) whose
// rows×cols corner is all that lies inside C, through a scratch tile.
func edgeTile(h, k int, ap, bp, bp2 []float32, c []float32, ldc, rows, cols int, mode uint8, bias []float32) {
	var tile [MR * 2 * NR]float32
	tw := NR
	if bp2 != nil {
		tw = 2 * NR
	}
	km := mode
	switch mode {
	case modeCont:
		for i := 0; i < rows; i++ {
			copy(tile[i*tw:i*tw+cols], c[i*ldc:i*ldc+cols])
		}
	case modeAdd:
		km = modeSet
	}
	if bp2 != nil {
		microKernel2Asm(h, k, ap, bp, bp2, tile[:], tw, km, bias)
	} else {
		microKernel(h, k, ap, bp, tile[:], tw, km, bias)
	}
	addTile(c, ldc, tile[:], tw, rows, cols, mode == modeAdd)
}

// addTile writes (or, with acc, adds) the rows×cols corner of a tile whose
// rows are tw floats apart into C.
func addTile(c []float32, ldc int, tile []float32, tw, rows, cols int, acc bool) {
	for i := 0; i < rows; i++ {
		crow := c[i*ldc : i*ldc+cols]
		trow := tile[i*tw : i*tw+cols]
		if acc {
			for j, v := range trow {
				crow[j] += v
			}
		} else {
			copy(crow, trow)
		}
	}
}

// Scratch holds the packing buffers of Gemm, reused from call to call. The
// zero value is ready to use; one Scratch must not be shared by concurrent
// calls.
type Scratch struct {
	A, B []float32
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C on the calling goroutine for
// op(A) m×k and op(B) k×n, all row-major (A stored k×m when transA, B
// stored n×k when transB). s supplies the packing buffers (nil allocates).
func Gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, s *Scratch) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		ScaleRows(c, m, n, ldc, beta)
		return
	}
	acc := beta != 0
	if acc && beta != 1 {
		ScaleRows(c, m, n, ldc, beta)
	}
	if s == nil {
		s = new(Scratch)
	}
	pb := PackB(s.B, transB, k, n, b, ldb)
	s.B = pb.Data
	pa := PackA(s.A, transA, m, k, alpha, a, lda)
	s.A = pa.Data
	GemmPacked(pa, pb, 0, pb.Panels(), c, ldc, acc)
}

// ScaleRows sets C = beta·C for the m×n matrix C (C = 0 when beta is 0, so
// that NaNs in uninitialised memory do not survive).
func ScaleRows(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// microKernelGo computes the MR×NR tile C (+)= bias + A·B from one packed A
// panel and one packed B panel of depth k (bias per row, or nil).
func microKernelGo(k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	microKernelGoH(MR, k, a, b, c, ldc, mode, bias)
}

// microKernel4Go is microKernelGo for an MR4-row panel.
func microKernel4Go(k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	microKernelGoH(MR4, k, a, b, c, ldc, mode, bias)
}

func microKernelGoH(h, k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	var t [MR][NR]float32
	switch {
	case mode == modeCont:
		for i := 0; i < h; i++ {
			copy(t[i][:], c[i*ldc:i*ldc+NR])
		}
	case bias != nil:
		for i := 0; i < h; i++ {
			for j := range t[i] {
				t[i][j] = bias[i]
			}
		}
	}
	a = a[:k*h]
	b = b[:k*NR]
	for l := 0; l < k; l++ {
		bl := (*[NR]float32)(b[l*NR:])
		al := a[l*h : l*h+h]
		for i, ai := range al {
			ti := &t[i]
			for j := 0; j < NR; j++ {
				ti[j] += ai * bl[j]
			}
		}
	}
	for i := 0; i < h; i++ {
		crow := c[i*ldc : i*ldc+NR]
		if mode == modeAdd {
			for j := range crow {
				crow[j] += t[i][j]
			}
		} else {
			copy(crow, t[i][:])
		}
	}
}

// useAsm selects the assembly micro-kernels and useAsm512 (only with
// useAsm) the AVX-512 ones, for pairs of full panels and single panels
// alike (set at init where the CPU allows; tests switch them to compare).
var useAsm, useAsm512 = false, false

// microKernel computes one h×NR tile (h = MR or MR4) with the kernel in
// use. The calls are direct, not through a function value, so that the
// callers' tile buffers stay on the stack.
func microKernel(h, k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	switch {
	case useAsm && useAsm512:
		microKernel512(h, k, a, b, c, ldc, mode, bias)
	case useAsm && h == MR:
		microKernelAsm(k, a, b, c, ldc, mode, bias)
	case useAsm:
		microKernel4Asm(k, a, b, c, ldc, mode, bias)
	default:
		microKernelGoH(h, k, a, b, c, ldc, mode, bias)
	}
}

// KernelName names the micro-kernels in use: "avx512-fma" (AVX-512 for
// pairs of full panels, AVX2 for the rest), "avx2-fma" or "go".
func KernelName() string {
	switch {
	case useAsm && useAsm512:
		return "avx512-fma"
	case useAsm:
		return asmName
	}
	return "go"
}
