//go:build !amd64 || purego

package kernels

// Without assembly the "assembly" kernels are the Go ones (useAsm stays
// false, so they are never called).
func microKernelAsm(k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	microKernelGo(k, a, b, c, ldc, mode, bias)
}

func microKernel4Asm(k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	microKernel4Go(k, a, b, c, ldc, mode, bias)
}

func microKernel2Asm(h, k int, a, b, b2 []float32, c []float32, ldc int, mode uint8, bias []float32) {
	microKernelGoH(h, k, a, b, c, ldc, mode, bias)
	microKernelGoH(h, k, a, b2, c[NR:], ldc, mode, bias)
}

func microKernel512(h, k int, a, b []float32, c []float32, ldc int, mode uint8, bias []float32) {
	microKernelGoH(h, k, a, b, c, ldc, mode, bias)
}

func runsKernel(h, k int, a []float32, src []float32, kOff []int32, cols [4]int32, c []float32, ldc int, bias []float32) {
	panic("kernels: runsKernel without assembly")
}

const asmName = "go"

func directKernel(k int, src []float32, kOff, pos []int32, bp, bp2 []float32, c []float32, ldc int, bias []float32) {
	panic("kernels: directKernel without assembly")
}

func transpose8(dst []float32, ldd int, src []float32, lds int, n int, relu bool) {
	panic("kernels: transpose8 without assembly")
}
