// Package kerneltest holds the references that the tests of
// internal/kernels and engine share: a textbook GEMM, random data and the
// random-size GEMM check run against both packages' GEMMs.
package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"
)

// NaiveGemm returns C = alpha·op(A)·op(B) + beta·C by the textbook triple
// loop in float64 (row-major, op transposes when trans is set), the
// reference the packed GEMMs are tested against.
func NaiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := make([]float32, len(c))
	copy(out, c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				var av, bv float32
				if transA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				if transB {
					bv = b[j*ldb+l]
				} else {
					bv = b[l*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(v)
		}
	}
	return out
}

// RandSlice returns n standard-normal float32 values from rng.
func RandSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// GemmFunc is the signature of a row-major SGEMM under test:
// C = alpha·op(A)·op(B) + beta·C.
type GemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// CheckGemmRandom compares gemm with NaiveGemm on random data over sizes
// with edge tiles, short and long depths and k = 0, every transposition
// and beta 0 and 0.5 (alpha 1.5): |difference| ≤ 1e-5·(k + 1). name
// labels the failure.
func CheckGemmRandom(t testing.TB, name string, rng *rand.Rand, gemm GemmFunc) {
	t.Helper()
	for _, sz := range [][3]int{{1, 1, 1}, {6, 16, 5}, {7, 17, 3}, {10, 32, 25}, {13, 40, 33}, {20, 64, 9}, {100, 3, 7}, {5, 300, 64}, {64, 64, 0}, {4, 16, 2}, {200, 8, 300}, {28, 200, 50}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a := RandSlice(rng, m*k)
			b := RandSlice(rng, k*n)
			c := RandSlice(rng, m*n)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			for _, beta := range []float32{0, 0.5} {
				want := NaiveGemm(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, c, n)
				got := append([]float32(nil), c...)
				gemm(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, got, n)
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(k+1) {
						t.Fatalf("%s m=%d n=%d k=%d trans=%v beta=%v: element %d got %v want %v", name, m, n, k, tr, beta, i, got[i], want[i])
					}
				}
			}
		}
	}
}
