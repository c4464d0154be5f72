//go:build amd64 && !purego

package fft

import "golang.org/x/sys/cpu"

// useAVX2 says whether Transform runs the stages of even stride in AVX2
// assembly (stage_amd64.s): the Go loops' operations in the same order, so
// the same bits.
var useAVX2 = cpu.X86.HasAVX2

//go:noescape
func stage2AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)

//go:noescape
func stage3AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)

//go:noescape
func stage4AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)

//go:noescape
func stage5AVX2(dst, src, tw *complex128, m, s int, k *stageConsts)

// stageAsm runs the radix-r stage (m, stride s) from src to dst in
// assembly when it can (s even) and reports whether it did.
func stageAsm(r int, dst, src, tw []complex128, m, s int, inverse bool) bool {
	if !useAVX2 || s%2 != 0 || m == 0 {
		return false
	}
	// The assembly reads r·m·s values of src, writes as many of dst and
	// reads (r−1)·m twiddles.
	_ = src[r*m*s-1]
	_ = dst[r*m*s-1]
	_ = tw[(r-1)*m-1]
	k := &forwardConsts
	if inverse {
		k = &inverseConsts
	}
	switch r {
	case 2:
		stage2AVX2(&dst[0], &src[0], &tw[0], m, s, k)
	case 3:
		stage3AVX2(&dst[0], &src[0], &tw[0], m, s, k)
	case 4:
		stage4AVX2(&dst[0], &src[0], &tw[0], m, s, k)
	case 5:
		stage5AVX2(&dst[0], &src[0], &tw[0], m, s, k)
	default:
		return false
	}
	return true
}
