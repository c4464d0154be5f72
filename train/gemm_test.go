package train

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// gemm's tiling must not change a single bit relative to one gonum Sgemm
// call (which goes parallel for some of these sizes) in the calls the
// convolution ops make: trained models depend on it. Each entry is
// {m, n, k, transA, transB} of one call (forward, dx, dw of conv1 and conv2).
func TestGemmTilingBitIdentical(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	calls := []struct {
		m, n, k int
		ta, tb  bool
	}{
		{10, 576, 25, false, false}, {20, 64, 250, false, false}, // forward
		{25, 576, 10, true, false}, {250, 64, 20, true, false}, // dx
		{10, 25, 576, false, true}, {20, 250, 64, false, true}, // dw
		{130, 400, 70, false, false}, {130, 400, 70, true, false}, // ragged tiles, axpy kernels
	}
	for _, s := range calls {
		m, n, k := s.m, s.n, s.k
		a, b, c0 := rnd(m*k), rnd(k*n), rnd(m*n)
		lda, ldb := k, n
		tA, tB := blas.NoTrans, blas.NoTrans
		if s.ta {
			lda, tA = m, blas.Trans
		}
		if s.tb {
			ldb, tB = k, blas.Trans
		}
		want := append([]float32(nil), c0...)
		gonumBLAS.Sgemm(tA, tB, m, n, k, 1, a, lda, b, ldb, 1, want, n)
		got := append([]float32(nil), c0...)
		gemm(s.ta, s.tb, m, n, k, a, lda, b, ldb, got, n)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%+v: C[%d] = %v, Sgemm gives %v", s, i, got[i], want[i])
			}
		}
	}
}

// Each 2×2 window's gradient goes to its first maximum in row-major order,
// ties included (as PyTorch's CPU max_pool2d does).
func TestMaxPoolGradFirstMaximum(t *testing.T) {
	// One 2×8 plane: four windows with the maximum at each position, then
	// ties: all equal, b=c=d, c=d, and a unique max at d.
	x := []float32{
		9, 1, 1, 9, 1, 1, 1, 1,
		1, 1, 1, 1, 9, 1, 1, 9,
	}
	dy := []float32{1, 2, 3, 4}
	dx := make([]float32, 16)
	maxPoolGradPlanes(dx, x, dy, 0, 1, 2, 8)
	want := []float32{1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4}
	for i := range want {
		if dx[i] != want[i] {
			t.Fatalf("distinct maxima: dx = %v, want %v", dx, want)
		}
	}
	x = []float32{
		5, 5, 1, 7, 1, 1, 1, 2,
		5, 5, 7, 7, 3, 3, 1, 1,
	}
	clear(dx)
	maxPoolGradPlanes(dx, x, dy, 0, 1, 2, 8)
	want = []float32{1, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0, 3, 0, 0, 0}
	for i := range want {
		if dx[i] != want[i] {
			t.Fatalf("ties: dx = %v, want %v", dx, want)
		}
	}
}
