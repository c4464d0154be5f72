package engine

import (
	"runtime"
	"sync"
)

// The GEMM below follows the usual packed design (Goto & van de Geijn,
// "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3), 2008):
// A is packed into panels of gemmMR rows and B into panels of gemmNR columns,
// each stored k-major, and a micro-kernel computes one gemmMR×gemmNR tile of C
// from one A panel and one B panel. Panels are zero-padded at the edges.
const (
	gemmMR = 6
	gemmNR = 16
)

// packedA is an m×k matrix packed into ceil(m/gemmMR) row panels: full
// panels of gemmMR rows, element (i, l) of panel p at p·gemmMR·k + l·gemmMR + i,
// and, when 1 ≤ m mod gemmMR ≤ gemmMR4, a last panel only gemmMR4 rows high
// (element (i, l) at p·gemmMR·k + l·gemmMR4 + i) so that little work is
// wasted on padding rows.
type packedA struct {
	m, k int
	data []float32
	bias []float32 // optional per-row bias added to every product, padded to a multiple of gemmMR
}

// gemmMR4 is the height of the short last A panel.
const gemmMR4 = 4

// panelHeight is the packed height of panel p of an m-row packedA.
func panelHeight(m, p int) int {
	if r := m % gemmMR; r != 0 && r <= gemmMR4 && p == m/gemmMR {
		return gemmMR4
	}
	return gemmMR
}

// packedASize is the number of floats an m×k packedA needs.
func packedASize(m, k int) int {
	if r := m % gemmMR; r != 0 && r <= gemmMR4 {
		return (m/gemmMR)*gemmMR*k + gemmMR4*k
	}
	return roundUp(m, gemmMR) * k
}

// panel returns the data and height of panel p.
func (a packedA) panel(p int) ([]float32, int) {
	h := panelHeight(a.m, p)
	off := p * gemmMR * a.k
	return a.data[off : off+h*a.k], h
}

// packedB is a k×n matrix packed into ceil(n/gemmNR) column panels.
type packedB struct {
	k, n int
	data []float32 // panel q, element (l, j) at q*gemmNR*k + l*gemmNR + j
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA packs alpha·op(A) where op(A) is m×k: A is row-major with leading
// dimension lda, transposed (A stored k×m) when trans is set. dst is reused
// when large enough.
func packA(dst []float32, trans bool, m, k int, alpha float32, a []float32, lda int) packedA {
	size := packedASize(m, k)
	if cap(dst) < size {
		dst = make([]float32, size)
	}
	dst = dst[:size]
	pa := packedA{m: m, k: k, data: dst}
	for p := 0; p*gemmMR < m; p++ {
		panel, h := pa.panel(p)
		i0 := p * gemmMR
		rows := min(h, m-i0)
		if rows < h {
			clear(panel)
		}
		for i := 0; i < rows; i++ {
			if trans {
				for l := 0; l < k; l++ {
					panel[l*h+i] = alpha * a[l*lda+i0+i]
				}
			} else {
				row := a[(i0+i)*lda : (i0+i)*lda+k]
				for l, v := range row {
					panel[l*h+i] = alpha * v
				}
			}
		}
	}
	return pa
}

// packB packs op(B), k×n: B is row-major with leading dimension ldb,
// transposed (B stored n×k) when trans is set.
func packB(dst []float32, trans bool, k, n int, b []float32, ldb int) packedB {
	size := roundUp(n, gemmNR) * k
	if cap(dst) < size {
		dst = make([]float32, size)
	}
	dst = dst[:size]
	for q := 0; q*gemmNR < n; q++ {
		panel := dst[q*gemmNR*k : (q+1)*gemmNR*k]
		j0 := q * gemmNR
		cols := min(gemmNR, n-j0)
		if cols < gemmNR {
			clear(panel)
		}
		if trans {
			for j := 0; j < cols; j++ {
				row := b[(j0+j)*ldb : (j0+j)*ldb+k]
				for l, v := range row {
					panel[l*gemmNR+j] = v
				}
			}
		} else {
			for l := 0; l < k; l++ {
				copy(panel[l*gemmNR:l*gemmNR+cols], b[l*ldb+j0:l*ldb+j0+cols])
			}
		}
	}
	return packedB{k: k, n: n, data: dst}
}

// gemmPacked computes C[i, j] (+)= Σ_l A[i, l]·B[l, j] for the packed A
// (m×k) and the column panels q0 ≤ q < q1 of the packed B (k×n). C is
// row-major with leading dimension ldc. When acc is false C is overwritten.
func gemmPacked(a packedA, b packedB, q0, q1 int, c []float32, ldc int, acc bool) {
	k := a.k
	var tile [gemmMR * gemmNR]float32
	for q := q0; q < q1; q++ {
		if microKernelPair != nil && q+1 < q1 && (q+2)*gemmNR <= b.n {
			gemmPackedPair(a, b, q, c, ldc, acc)
			q++
			continue
		}
		bp := b.data[q*gemmNR*k : (q+1)*gemmNR*k]
		j0 := q * gemmNR
		cols := min(gemmNR, b.n-j0)
		for p := 0; p*gemmMR < a.m; p++ {
			ap, h := a.panel(p)
			var bias []float32
			if a.bias != nil {
				bias = a.bias[p*gemmMR : p*gemmMR+h]
			}
			kern := microKernel
			if h == gemmMR4 {
				kern = microKernel4
			}
			i0 := p * gemmMR
			rows := min(h, a.m-i0)
			if rows == h && cols == gemmNR {
				kern(k, ap, bp, c[i0*ldc+j0:], ldc, acc, bias)
				continue
			}
			kern(k, ap, bp, tile[:], gemmNR, false, bias)
			for i := 0; i < rows; i++ {
				crow := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+cols]
				trow := tile[i*gemmNR : i*gemmNR+cols]
				if acc {
					for j, v := range trow {
						crow[j] += v
					}
				} else {
					copy(crow, trow)
				}
			}
		}
	}
}

// gemmPackedPair is gemmPacked over the two full column panels q and q+1
// of B, with the double-width kernels. The sums run in the same order as
// microKernel's, so the results are the same bits.
func gemmPackedPair(a packedA, b packedB, q int, c []float32, ldc int, acc bool) {
	const w = 2 * gemmNR
	k := a.k
	bp := b.data[q*gemmNR*k : (q+2)*gemmNR*k]
	j0 := q * gemmNR
	var tile [gemmMR * w]float32
	for p := 0; p*gemmMR < a.m; p++ {
		ap, h := a.panel(p)
		var bias []float32
		if a.bias != nil {
			bias = a.bias[p*gemmMR : p*gemmMR+h]
		}
		kern := microKernelPair
		if h == gemmMR4 {
			kern = microKernelPair4
		}
		i0 := p * gemmMR
		rows := min(h, a.m-i0)
		if rows == h {
			kern(k, ap, bp, c[i0*ldc+j0:], ldc, acc, bias)
			continue
		}
		kern(k, ap, bp, tile[:], w, false, bias)
		for i := 0; i < rows; i++ {
			crow := c[(i0+i)*ldc+j0 : (i0+i)*ldc+j0+w]
			trow := tile[i*w : (i+1)*w]
			if acc {
				for j, v := range trow {
					crow[j] += v
				}
			} else {
				copy(crow, trow)
			}
		}
	}
}

// microKernelPairGo computes the gemmMR×2·gemmNR tile of two adjacent B
// panels (b holds both, k·gemmNR floats each) as two microKernel calls.
func microKernelPairGo(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	microKernel(k, a, b, c, ldc, acc, bias)
	microKernel(k, a, b[k*gemmNR:], c[gemmNR:], ldc, acc, bias)
}

// microKernelPair4Go is microKernelPairGo for a gemmMR4-row panel.
func microKernelPair4Go(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	microKernel4(k, a, b, c, ldc, acc, bias)
	microKernel4(k, a, b[k*gemmNR:], c[gemmNR:], ldc, acc, bias)
}

// microKernelGo computes the gemmMR×gemmNR tile C (+)= bias + A·B from one
// packed A panel and one packed B panel of depth k (bias per row, or nil).
func microKernelGo(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	microKernelGoH(gemmMR, k, a, b, c, ldc, acc, bias)
}

// microKernel4Go is microKernelGo for a gemmMR4-row panel.
func microKernel4Go(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	microKernelGoH(gemmMR4, k, a, b, c, ldc, acc, bias)
}

func microKernelGoH(h, k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	var t [gemmMR][gemmNR]float32
	if bias != nil {
		for i := 0; i < h; i++ {
			for j := range t[i] {
				t[i][j] = bias[i]
			}
		}
	}
	a = a[:k*h]
	b = b[:k*gemmNR]
	for l := 0; l < k; l++ {
		bl := (*[gemmNR]float32)(b[l*gemmNR:])
		al := a[l*h : l*h+h]
		for i, ai := range al {
			ti := &t[i]
			for j := 0; j < gemmNR; j++ {
				ti[j] += ai * bl[j]
			}
		}
	}
	for i := 0; i < h; i++ {
		crow := c[i*ldc : i*ldc+gemmNR]
		if acc {
			for j := range crow {
				crow[j] += t[i][j]
			}
		} else {
			copy(crow, t[i][:])
		}
	}
}

// workers returns how many goroutines to use for n independent items of
// roughly cost flops each: at most GOMAXPROCS, and 1 for small work.
func workers(n int, cost float64) int {
	w := runtime.GOMAXPROCS(0)
	if w > n {
		w = n
	}
	const minWork = 1 << 16 // flops per goroutine worth spawning for
	if t := float64(n) * cost / minWork; float64(w) > t {
		w = int(t)
	}
	if w < 1 {
		w = 1
	}
	return w
}

// parallelFor calls f(worker, lo, hi) over [0, n) split into w contiguous
// chunks (worker = 0..w-1), concurrently when w > 1, and waits for all. A
// panic in any chunk is re-raised in the calling goroutine (where Run turns
// it into an error) instead of killing the process.
func parallelFor(n, w int, f func(worker, lo, hi int)) {
	if w <= 1 || n <= 1 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failure any
	for i := 0; i < w; i++ {
		lo, hi := i*n/w, (i+1)*n/w
		if lo == hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					mu.Lock()
					failure = r
					mu.Unlock()
				}
			}()
			f(i, lo, hi)
		}()
	}
	wg.Wait()
	if failure != nil {
		panic(failure)
	}
}

// sgemm computes C = alpha·op(A)·op(B) + beta·C for op(A) m×k, op(B) k×n,
// all row-major, splitting the columns of C (or its rows, when n is small)
// across GOMAXPROCS goroutines. Scratch space comes from ws (may be nil).
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ws *workspace) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleRows(c, m, n, ldc, beta)
		return
	}
	acc := beta != 0
	if acc && beta != 1 {
		scaleRows(c, m, n, ldc, beta)
	}
	var bbuf []float32
	if ws != nil {
		bbuf = ws.gemmB
	}
	pb := packB(bbuf, transB, k, n, b, ldb)
	if ws != nil {
		ws.gemmB = pb.data
	}
	sgemmB(transA, m, alpha, a, lda, pb, acc, c, ldc, ws)
}

// sgemmB computes C (+)= alpha·op(A)·B for an already packed B (k×n), C
// accumulated when acc is set and overwritten otherwise; the work is split
// over column panels of B or, when there are too few, row panels of A.
func sgemmB(transA bool, m int, alpha float32, a []float32, lda int, pb packedB, acc bool, c []float32, ldc int, ws *workspace) {
	k, n := pb.k, pb.n
	var abuf []float32
	if ws != nil {
		abuf = ws.gemmA
	}
	pa := packA(abuf, transA, m, k, alpha, a, lda)
	if ws != nil {
		ws.gemmA = pa.data
	}
	panels := (n + gemmNR - 1) / gemmNR
	w := workers(panels, 2*float64(m)*float64(k)*gemmNR)
	if w > 1 && panels >= w {
		parallelFor(panels, w, func(_, lo, hi int) { gemmPackedPolled(ws.arena(), pa, pb, lo, hi, c, ldc, acc) })
		return
	}
	// Few column panels: split the rows instead (whole A panels).
	rp := (m + gemmMR - 1) / gemmMR
	w = workers(rp, 2*float64(gemmMR)*float64(k)*float64(n))
	parallelFor(rp, w, func(_, lo, hi int) {
		sub := packedA{m: min(hi*gemmMR, m) - lo*gemmMR, k: k, data: pa.data[lo*gemmMR*k : min(hi*gemmMR*k, len(pa.data))]}
		gemmPackedPolled(ws.arena(), sub, pb, 0, panels, c[lo*gemmMR*ldc:], ldc, acc)
	})
}

// scaleRows sets C = beta·C for the m×n matrix C (C = 0 when beta is 0, so
// that NaNs in uninitialised memory do not survive).
func scaleRows(c []float32, m, n, ldc int, beta float32) {
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

// microKernel and microKernel4 are the tile kernels in use for full and
// short A panels (assembly where the CPU allows).
var (
	microKernel  = microKernelGo
	microKernel4 = microKernel4Go
	// microKernelPair and microKernelPair4, when set (AVX-512), compute a
	// full or short A panel against two adjacent B panels at once.
	microKernelPair, microKernelPair4 func(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32)
)

// gemmPackedPolled is gemmPacked over the column panels lo..hi of B in
// blocks, polling ar (may be nil) for cancellation between blocks.
func gemmPackedPolled(ar *arena, pa packedA, pb packedB, lo, hi int, c []float32, ldc int, acc bool) {
	const block = 32
	for b := lo; b < hi; b += block {
		ar.poll()
		gemmPacked(pa, pb, b, min(b+block, hi), c, ldc, acc)
	}
}

// arena returns the run's arena of ws (nil for a nil workspace).
func (ws *workspace) arena() *arena {
	if ws == nil {
		return nil
	}
	return ws.ar
}
