package engine

import (
	"math"
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
	for _, sz := range [][3]int{{1, 1, 1}, {6, 16, 5}, {7, 17, 3}, {10, 32, 25}, {13, 40, 33}, {20, 64, 9}, {100, 3, 7}, {5, 300, 64}, {64, 64, 0}, {4, 16, 2}, {200, 8, 300}, {28, 200, 50}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tr := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			a := randSlice(rng, m*k)
			b := randSlice(rng, k*n)
			c := randSlice(rng, m*n)
			lda, ldb := k, n
			if tr[0] {
				lda = m
			}
			if tr[1] {
				ldb = k
			}
			for _, beta := range []float32{0, 0.5} {
				want := kerneltest.NaiveGemm(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, c, n)
				got := append([]float32(nil), c...)
				sgemm(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, got, n, &workspace{})
				for i := range want {
					if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(k+1) {
						t.Fatalf("m=%d n=%d k=%d trans=%v beta=%v: element %d got %v want %v", m, n, k, tr, beta, i, got[i], want[i])
					}
				}
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 { return kerneltest.RandSlice(rng, n) }
