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
	// Per-stage twiddles, contiguous: for the stage of butterfly size s
	// (s = 4, 8, …, n) the s/2 factors exp(∓2πij/s) start at offset s/2−2.
	fwd, inv []complex128
}

func newFFT(n int) *fft {
	if n < 2 || n&(n-1) != 0 {
		panic("embed: FFT length must be a power of two ≥ 2")
	}
	f := &fft{n: n, rev: make([]int32, n)}
	lg := bits.TrailingZeros(uint(n))
	for i := range f.rev {
		f.rev[i] = int32(bits.Reverse(uint(i)) >> (bits.UintSize - lg))
	}
	for size := 4; size <= n; size <<= 1 {
		for j := 0; j < size/2; j++ {
			s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(size))
			f.fwd = append(f.fwd, complex(c, s))
			f.inv = append(f.inv, complex(c, -s))
		}
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
	tws := f.fwd
	if inverse {
		tws = f.inv
	}
	off := 0
	for size := 4; size <= n; size <<= 1 {
		half := size >> 1
		tw := tws[off : off+half]
		off += half
		for start := 0; start < n; start += size {
			lo := a[start : start+half]
			hi := a[start+half : start+size]
			hi = hi[:len(lo)]
			tw := tw[:len(lo)]
			for j := range lo {
				v := hi[j] * tw[j]
				u := lo[j]
				lo[j] = u + v
				hi[j] = u - v
			}
		}
	}
}
