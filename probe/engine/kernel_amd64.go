//go:build amd64 && !purego

package engine

//go:noescape
func kernel6x16(k int, a, b, c *float32, ldc int, acc bool)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA3 (CPUID
// leaf 1 ECX bits 12 FMA, 27 OSXSAVE, 28 AVX; XCR0 bits 1–2 for XMM/YMM
// state; leaf 7 EBX bit 5 AVX2).
func hasAVX2FMA() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c1, _ := cpuid(1, 0)
	if c1&(1<<12) == 0 || c1&(1<<27) == 0 || c1&(1<<28) == 0 {
		return false
	}
	if xa, _ := xgetbv(); xa&6 != 6 {
		return false
	}
	_, b7, _, _ := cpuid(7, 0)
	return b7&(1<<5) != 0
}

// microKernelAVX2 is microKernelGo in AVX2/FMA assembly.
func microKernelAVX2(k int, a, b []float32, c []float32, ldc int, acc bool) {
	// Bounds are checked here; the assembly trusts them.
	if k < 1 {
		microKernelGo(k, a, b, c, ldc, acc)
		return
	}
	if len(a) < k*gemmMR || len(b) < k*gemmNR || len(c) < (gemmMR-1)*ldc+gemmNR || ldc < gemmNR {
		panic("engine: micro-kernel operands too short")
	}
	kernel6x16(k, &a[0], &b[0], &c[0], ldc, acc)
}

func init() {
	if hasAVX2FMA() {
		microKernel = microKernelAVX2
	}
}
