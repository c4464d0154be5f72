//go:build amd64 && !purego

package engine

//go:noescape
func kernel6x32(k int, a, b, c *float32, ldc int, acc bool, bias *float32)

//go:noescape
func kernel4x32(k int, a, b, c *float32, ldc int, acc bool, bias *float32)

// hasAVX512F reports whether the CPU and OS support AVX-512F: CPUID leaf 7
// EBX bit 16, and XCR0 bits 1–2 (XMM/YMM) and 5–7 (opmask, upper ZMM
// halves, ZMM16–31) enabled by the OS.
func hasAVX512F() bool {
	if !hasAVX2FMA() {
		return false
	}
	if xa, _ := xgetbv(); xa&0xe6 != 0xe6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<16) != 0
}

// microKernelPairAVX512 is microKernelPairGo in AVX-512 assembly.
func microKernelPairAVX512(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	if k < 1 || !pairArgsOK(gemmMR, k, a, b, c, ldc, bias) {
		microKernelPairGo(k, a, b, c, ldc, acc, bias)
		return
	}
	kernel6x32(k, &a[0], &b[0], &c[0], ldc, acc, biasPtr(bias))
}

// microKernelPair4AVX512 is microKernelPair4Go in AVX-512 assembly.
func microKernelPair4AVX512(k int, a, b []float32, c []float32, ldc int, acc bool, bias []float32) {
	if k < 1 || !pairArgsOK(gemmMR4, k, a, b, c, ldc, bias) {
		microKernelPair4Go(k, a, b, c, ldc, acc, bias)
		return
	}
	kernel4x32(k, &a[0], &b[0], &c[0], ldc, acc, biasPtr(bias))
}

// pairArgsOK checks the operand lengths the double-width assembly relies on.
func pairArgsOK(h, k int, a, b, c []float32, ldc int, bias []float32) bool {
	return len(a) >= k*h && len(b) >= 2*k*gemmNR && ldc >= 2*gemmNR && len(c) >= (h-1)*ldc+2*gemmNR && (bias == nil || len(bias) >= h)
}

func init() {
	if hasAVX512F() {
		microKernelPair = microKernelPairAVX512
		microKernelPair4 = microKernelPair4AVX512
	}
}
