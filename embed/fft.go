package embed

import (
	"math"
	"math/bits"
)

// fft is an in-place complex FFT of a fixed power-of-two length: bit
// reversal, then radix-4 passes (pairs of radix-2 decimation-in-time
// stages, with a single radix-2 stage first when log₂n is odd).
type fft struct {
	n   int
	rev []int32
	// twiddles exp(∓2πij/s) for each butterfly size s = 2, 4, …, n, at
	// offset s/2−1 (forward: minus sign; inverse: plus).
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
	for size := 2; size <= n; size <<= 1 {
		for j := 0; j < size/2; j++ {
			s, c := math.Sincos(-2 * math.Pi * float64(j) / float64(size))
			f.fwd = append(f.fwd, complex(c, s))
			f.inv = append(f.inv, complex(c, -s))
		}
	}
	return f
}

// transform computes the unnormalised DFT of a, X_k = Σ_j x_j e^{∓2πijk/n}
// (minus forward, plus inverse).
func (f *fft) transform(a []complex128, inverse bool) {
	n := f.n
	a = a[:n]
	for i, r := range f.rev {
		if int(r) > i {
			a[i], a[r] = a[r], a[i]
		}
	}
	tws := f.fwd
	if inverse {
		tws = f.inv
	}
	l := 1 // length of the sub-transforms already done
	if bits.TrailingZeros(uint(n))%2 == 1 {
		for s := 0; s < n; s += 2 {
			u, v := a[s], a[s+1]
			a[s], a[s+1] = u+v, u-v
		}
		l = 2
	}
	for ; 4*l <= n; l *= 4 {
		w1s := tws[l-1 : 2*l-1]   // size 2l
		w2s := tws[2*l-1 : 4*l-1] // size 4l (first l used)
		for start := 0; start < n; start += 4 * l {
			x0 := a[start : start+l]
			x1 := a[start+l : start+2*l]
			x2 := a[start+2*l : start+3*l]
			x3 := a[start+3*l : start+4*l]
			x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
			w1s, w2s := w1s[:len(x0)], w2s[:len(x0)]
			for j := range x0 {
				w1, w2 := w1s[j], w2s[j]
				p := w1 * x1[j]
				q := w1 * x3[j]
				b0, b1 := x0[j]+p, x0[j]-p
				b2, b3 := x2[j]+q, x2[j]-q
				t0 := w2 * b2
				t1 := w2 * b3
				// Multiply t1 by ∓i (the twiddle of index j+l at size 4l).
				if inverse {
					t1 = complex(-imag(t1), real(t1))
				} else {
					t1 = complex(imag(t1), -real(t1))
				}
				x0[j], x2[j] = b0+t0, b0-t0
				x1[j], x3[j] = b1+t1, b1-t1
			}
		}
	}
}
