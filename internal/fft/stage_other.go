//go:build !amd64 || purego

package fft

// useAVX2 is false without the assembly (other architectures, or the
// purego build tag).
var useAVX2 = false

func stageAsm(r int, dst, src, tw []complex128, m, s int, inverse bool) bool { return false }
