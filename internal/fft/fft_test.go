package fft

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// TestTransform: our Stockham FFT equals gonum's dsp/fourier CmplxFFT
// (forward and backward, unnormalised) to 1e-12·n, for single sequences and
// for interleaved (column) batches, at every 2,3,5-smooth length cells and
// embed use (cells: 2·bins−1 rounded up; embed: grids of 32 to 1024).
func TestTransform(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 20, 25, 27, 30, 32, 40, 45, 48, 60, 64, 75, 80, 81, 90, 100, 120, 125, 128, 160, 200, 240, 256, 320, 384, 400, 480, 512, 640, 768, 1024} {
		if FastLen(n) != n {
			t.Fatalf("FastLen(%d) = %d", n, FastLen(n))
		}
		g := fourier.NewCmplxFFT(n)
		f := New(n)
		if f.Len() != n {
			t.Fatalf("Len = %d, want %d", f.Len(), n)
		}
		for _, s0 := range []int{1, 3} {
			x := make([]complex128, n*s0)
			for i := range x {
				x[i] = complex(r.NormFloat64(), r.NormFloat64())
			}
			for _, inv := range []bool{false, true} {
				got := append([]complex128(nil), x...)
				f.Transform(got, make([]complex128, len(x)), s0, inv)
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

// TestSplitJoinReal: SplitReal of the transform of x + iy gives the first
// n/2+1 terms of the complex transforms of x and y (each real, imaginary
// part 0), in both directions and at even and odd lengths; JoinReal of
// those half spectra, inverse-transformed, gives back n·(x + iy).
func TestSplitJoinReal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 3, 5, 8, 9, 15, 16, 30, 64, 75, 270, 600} {
		f := New(n)
		scratch := make([]complex128, n)
		xs, ys := make([]complex128, n), make([]complex128, n)
		z := make([]complex128, n)
		for i := range n {
			xs[i] = complex(r.NormFloat64(), 0)
			ys[i] = complex(r.NormFloat64(), 0)
			z[i] = complex(real(xs[i]), real(ys[i]))
		}
		for _, inv := range []bool{false, true} {
			wantX := append([]complex128(nil), xs...)
			wantY := append([]complex128(nil), ys...)
			f.Transform(wantX, scratch, 1, inv)
			f.Transform(wantY, scratch, 1, inv)
			zt := append([]complex128(nil), z...)
			f.Transform(zt, scratch, 1, inv)
			hx, hy := make([]complex128, n/2+1), make([]complex128, n/2+1)
			SplitReal(zt, hx, hy)
			tol := 1e-12 * float64(n)
			for k := range hx {
				if d := cmplx.Abs(hx[k] - wantX[k]); d > tol {
					t.Fatalf("n=%d inverse=%v: X(%d) differs by %g", n, inv, k, d)
				}
				if d := cmplx.Abs(hy[k] - wantY[k]); d > tol {
					t.Fatalf("n=%d inverse=%v: Y(%d) differs by %g", n, inv, k, d)
				}
			}
			back := make([]complex128, n)
			JoinReal(hx, hy, back)
			f.Transform(back, scratch, 1, !inv)
			for i := range back {
				if d := cmplx.Abs(back[i] - complex(float64(n), 0)*z[i]); d > tol {
					t.Fatalf("n=%d inverse=%v: JoinReal round trip differs at %d by %g", n, inv, i, d)
				}
			}
		}
	}
}

// TestAssemblySameBits: with the AVX2 stages (even strides) Transform
// gives the Go loops' bits, forward and inverse, for single sequences and
// interleaved batches of even and odd width, at lengths with every radix.
func TestAssemblySameBits(t *testing.T) {
	if !useAVX2 {
		t.Skip("no assembly on this CPU or build")
	}
	defer func() { useAVX2 = true }()
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{2, 3, 4, 5, 6, 8, 10, 12, 15, 16, 18, 20, 30, 32, 45, 50, 60, 64, 90, 100, 120, 128, 150, 250, 270, 300, 360, 450, 480, 500, 540, 576, 600, 1024} {
		f := New(n)
		for _, s0 := range []int{1, 2, 3, 16} {
			x := make([]complex128, n*s0)
			for i := range x {
				x[i] = complex(r.NormFloat64(), r.NormFloat64())
			}
			x[0] = complex(0, -1) // zeros and signed zeros take part too
			for _, inv := range []bool{false, true} {
				want := append([]complex128(nil), x...)
				got := append([]complex128(nil), x...)
				useAVX2 = false
				f.Transform(want, make([]complex128, len(x)), s0, inv)
				useAVX2 = true
				f.Transform(got, make([]complex128, len(x)), s0, inv)
				for i := range want {
					if math.Float64bits(real(got[i])) != math.Float64bits(real(want[i])) ||
						math.Float64bits(imag(got[i])) != math.Float64bits(imag(want[i])) {
						t.Fatalf("n=%d s0=%d inverse=%v: element %d is %v, Go gives %v", n, s0, inv, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestFastLen: the next 2,3,5-smooth length.
func TestFastLen(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 1}, {1, 1}, {7, 8}, {11, 12}, {13, 15}, {79, 80}, {97, 100}, {257, 270}, {513, 540}} {
		if got := FastLen(c.n); got != c.want {
			t.Errorf("FastLen(%d) = %d, want %d", c.n, got, c.want)
		}
	}
}

// TestNewPanics: a length with a prime factor above 5 is a programmer
// error.
func TestNewPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("New(7) did not panic")
		}
	}()
	New(7)
}

// BenchmarkTransform2D times one forward 2-D transform of a P×P array as
// both users do it: every row (s0 = 1), then all columns interleaved
// (s0 = P). P = 80 is cells' autocorrelogram size for 40 bins; 128 to 512
// are embed's t-SNE grids.
func BenchmarkTransform2D(b *testing.B) {
	for _, p := range []int{80, 128, 256, 512} {
		b.Run(strconv.Itoa(p), func(b *testing.B) {
			f := New(p)
			x := make([]complex128, p*p)
			y := make([]complex128, p*p)
			for i := range x {
				x[i] = complex(float64(i%7), 1)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for r := 0; r < p; r++ {
					f.Transform(x[r*p:(r+1)*p], y, 1, false)
				}
				f.Transform(x, y, p, false)
			}
		})
	}
}
