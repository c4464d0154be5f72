package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/conceptcells/conceptcells/internal/kernels/kerneltest"
)

func TestGemmHandComputed(t *testing.T) {
	// [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]; 2·that + 1·[1 1; 1 1].
	a := []float32{1, 2, 3, 4}
	b := []float32{5, 6, 7, 8}
	c := []float32{1, 1, 1, 1}
	sgemm(false, false, 2, 2, 2, 2, a, 2, b, 2, 1, c, 2, nil)
	want := []float32{39, 45, 87, 101}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("got %v, want %v", c, want)
		}
	}
	// Aᵀ·Bᵀ = ([1 3; 2 4])·([5 7; 6 8]) = [23 31; 34 46].
	c = make([]float32, 4)
	sgemm(true, true, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2, nil)
	want = []float32{23, 31, 34, 46}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("AᵀBᵀ: got %v, want %v", c, want)
		}
	}
}

// TestGemmRandom compares sgemm (all transposes, edge tiles, both parallel
// splits) with the float64 triple loop: |diff| ≤ 1e-5·k. The micro-kernels
// themselves are compared in internal/kernels.
func TestGemmRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kerneltest.CheckGemmRandom(t, "sgemm", rng, func(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, &workspace{})
	})
}

func randSlice(rng *rand.Rand, n int) []float32 { return kerneltest.RandSlice(rng, n) }
