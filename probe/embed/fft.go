package embed

import (
	"math"
	"math/bits"
)

// fft is an in-place radix-2 complex FFT of a fixed power-of-two length,
// with precomputed bit reversal and twiddle factors.
type fft struct {
	n   int
	rev []int32
	tw  []complex128 // exp(−2πik/n), k < n/2
}

func newFFT(n int) *fft {
	if n < 2 || n&(n-1) != 0 {
		panic("embed: FFT length must be a power of two ≥ 2")
	}
	f := &fft{n: n, rev: make([]int32, n), tw: make([]complex128, n/2)}
	lg := bits.TrailingZeros(uint(n))
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	for k := range f.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		f.tw[k] = complex(c, s)
	}
	return f
}

// transform computes the unnormalised DFT of a (inverse: with conjugate
// twiddles, X_k = Σ x_j e^{+2πijk/n}).
func (f *fft) transform(a []complex128, inverse bool) {
	n := f.n
	a = a[:n]
	for i, r := range f.rev {
		if int(r) > i {
			a[i], a[r] = a[r], a[i]
		}
	}
	// Size-2 butterflies.
	for s := 0; s < n; s += 2 {
		u, v := a[s], a[s+1]
		a[s], a[s+1] = u+v, u-v
	}
	for size := 4; size <= n; size <<= 1 {
		half := size >> 1
		step := n / size
		for start := 0; start < n; start += size {
			lo := a[start : start+half]
			hi := a[start+half : start+size]
			for j := range lo {
				w := f.tw[j*step]
				if inverse {
					w = complex(real(w), -imag(w))
				}
				v := hi[j] * w
				u := lo[j]
				lo[j] = u + v
				hi[j] = u - v
			}
		}
	}
}
