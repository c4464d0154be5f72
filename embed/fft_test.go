package embed

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestFFTMatchesDFT checks the radix-2 FFT against the O(n²) definition
// X_k = Σ_j x_j exp(∓2πijk/n), and that inverse∘forward = n·identity.
func TestFFTMatchesDFT(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 4, 8, 64, 256} {
		f := newFFT(n)
		x := make([]complex128, n)
		for i := range x {
			x[i] = complex(rng.NormFloat64(), rng.NormFloat64())
		}
		for _, inv := range []bool{false, true} {
			got := append([]complex128(nil), x...)
			f.transform(got, inv)
			sign := -1.0
			if inv {
				sign = 1
			}
			for k := 0; k < n; k++ {
				var want complex128
				for j := 0; j < n; j++ {
					want += x[j] * cmplx.Exp(complex(0, sign*2*math.Pi*float64(j*k)/float64(n)))
				}
				if cmplx.Abs(got[k]-want) > 1e-9*float64(n) {
					t.Fatalf("n=%d inverse=%v k=%d: got %v want %v", n, inv, k, got[k], want)
				}
			}
		}
		y := append([]complex128(nil), x...)
		f.transform(y, false)
		f.transform(y, true)
		for i := range y {
			if cmplx.Abs(y[i]/complex(float64(n), 0)-x[i]) > 1e-12 {
				t.Fatalf("n=%d round trip at %d: %v vs %v", n, i, y[i], x[i])
			}
		}
	}
}

func BenchmarkFFT512(b *testing.B) {
	f := newFFT(512)
	x := make([]complex128, 512)
	for i := range x {
		x[i] = complex(float64(i%7), 1)
	}
	for i := 0; i < b.N; i++ {
		f.transform(x, i%2 == 1)
	}
}
