package cells

import (
	"math/cmplx"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestCFFT: our Stockham FFT equals gonum's dsp/fourier CmplxFFT (forward
// and backward, unnormalised) to 1e-12 relative, for single sequences and
// for interleaved (column) batches.
func TestCFFT(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25, 27, 30, 32, 40, 45, 48, 60, 64, 75, 80, 81, 90, 100, 120, 125, 128, 160, 200} {
		if fastLen(n) != n {
			t.Fatalf("fastLen(%d) = %d", n, fastLen(n))
		}
		g := fourier.NewCmplxFFT(n)
		f := newCFFT(n)
		for _, s0 := range []int{1, 3} {
			x := make([]complex128, n*s0)
			for i := range x {
				x[i] = complex(r.NormFloat64(), r.NormFloat64())
			}
			for _, inv := range []bool{false, true} {
				got := append([]complex128(nil), x...)
				f.transform(got, make([]complex128, len(x)), s0, inv)
				for q := 0; q < s0; q++ {
					seq := make([]complex128, n)
					for k := range seq {
						seq[k] = x[q+s0*k]
					}
					var want []complex128
					if inv {
						want = g.Sequence(nil, seq)
					} else {
						want = g.Coefficients(nil, seq)
					}
					for k := range want {
						if d := cmplx.Abs(got[q+s0*k] - want[k]); d > 1e-12*float64(n) {
							t.Fatalf("n=%d s0=%d inverse=%v: element %d differs by %g", n, s0, inv, k, d)
						}
					}
				}
			}
		}
	}
}
