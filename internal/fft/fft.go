// Package fft is the one complex FFT of conceptcells: a mixed-radix (4, 2,
// 3, 5) transform of lengths whose prime factors are 2, 3 and 5, used by
// cells (autocorrelograms of rate maps) and embed (the t-SNE repulsion
// grid). Real data go two sequences to one complex transform (SplitReal,
// JoinReal). On amd64 CPUs with AVX2 (unless built with the purego tag) the
// stages of even stride — every stage of interleaved batches, and all but
// the first of a single sequence — run in assembly, two sequences per
// register, with the same bits as the Go loops.
package fft

import "math"

// Plan is a mixed-radix (4, 2, 3, 5) complex FFT of one length n in the
// self-sorting Stockham form (decimation in frequency): stage by stage,
// with radix r and current length nc = r·m,
//
//	y[q + s(r·p + u)] = w_nc^(p·u) · Σ_t x[q + s(p + t·m)] · ω_r^(t·u)
//
// for p < m, q < s, u < r, after which nc ← m and s ← s·r (ping-pong
// buffers, no bit reversal). Starting with s = s0 > 1 transforms s0
// interleaved sequences at once: with s0 = P the P columns of a row-major
// P×P array, with unit-stride inner loops. Forward uses ω = e^(−2πi/r);
// both directions are unnormalised (as gonum's dsp/fourier). Only lengths
// whose prime factors are 2, 3 and 5 are supported (see FastLen). A Plan is
// read-only after New and safe for concurrent use.
type Plan struct {
	n       int
	radices []int
	tw      [][]complex128 // per stage: w_nc^(p·u), p < m, u = 1…r−1
	twInv   [][]complex128
}

// FastLen returns the smallest m ≥ n whose only prime factors are 2, 3
// and 5.
func FastLen(n int) int {
	for m := max(n, 1); ; m++ {
		k := m
		for _, p := range []int{2, 3, 5} {
			for k%p == 0 {
				k /= p
			}
		}
		if k == 1 {
			return m
		}
	}
}

// New returns the plan of length n ≥ 1. It panics if n has a prime factor
// above 5 (a programmer error: use FastLen).
func New(n int) *Plan {
	if n < 1 {
		panic("fft: length must be ≥ 1")
	}
	f := &Plan{n: n}
	k := n
	for k%4 == 0 {
		f.radices = append(f.radices, 4)
		k /= 4
	}
	for _, r := range []int{2, 3, 5} {
		for k%r == 0 {
			f.radices = append(f.radices, r)
			k /= r
		}
	}
	if k != 1 {
		panic("fft: length with a prime factor above 5")
	}
	nc := n
	for _, r := range f.radices {
		m := nc / r
		tw := make([]complex128, m*(r-1))
		ti := make([]complex128, m*(r-1))
		for p := 0; p < m; p++ {
			for u := 1; u < r; u++ {
				a := -2 * math.Pi * float64(p*u) / float64(nc)
				s, c := math.Sincos(a)
				tw[p*(r-1)+u-1] = complex(c, s)
				ti[p*(r-1)+u-1] = complex(c, -s)
			}
		}
		f.tw = append(f.tw, tw)
		f.twInv = append(f.twInv, ti)
		nc = m
	}
	return f
}

// Len is the plan's length.
func (f *Plan) Len() int { return f.n }

// MulI returns i·z (sign +1) or −i·z (sign −1).
func MulI(z complex128, sign float64) complex128 {
	return complex(-sign*imag(z), sign*real(z))
}

var (
	sin60 = math.Sqrt(3) / 2
	c5a   = math.Cos(2 * math.Pi / 5)
	c5b   = math.Cos(4 * math.Pi / 5)
	s5a   = math.Sin(2 * math.Pi / 5)
	s5b   = math.Sin(4 * math.Pi / 5)
)

// stageConsts are the constants of the assembly stages: the factors of
// MulI for two complex values, (−sign, sign, −sign, sign), then c5a, c5b,
// s5a, s5b, sin60, 0.5 and 0.
type stageConsts [11]float64

var (
	forwardConsts = stageConsts{1, -1, 1, -1, c5a, c5b, s5a, s5b, sin60, 0.5, 0}
	inverseConsts = stageConsts{-1, 1, -1, 1, c5a, c5b, s5a, s5b, sin60, 0.5, 0}
)

// Transform computes the unnormalised DFT, X_k = Σ_j x_j e^{∓2πijk/n}
// (minus forward, plus inverse), of the s0 interleaved sequences in x
// (length n·s0, element t of sequence q at x[q + s0·t]) in place; y is
// scratch of at least the same length.
func (f *Plan) Transform(x, y []complex128, s0 int, inverse bool) {
	src, dst := x[:f.n*s0], y[:f.n*s0]
	nc, s := f.n, s0
	sign := -1.0 // forward: multiply by −i where ω_4 appears
	if inverse {
		sign = 1
	}
	for st, r := range f.radices {
		m := nc / r
		tw := f.tw[st]
		if inverse {
			tw = f.twInv[st]
		}
		if stageAsm(r, dst, src, tw, m, s, inverse) {
			src, dst = dst, src
			nc, s = m, s*r
			continue
		}
		switch r {
		case 4:
			for p := 0; p < m; p++ {
				w1, w2, w3 := tw[3*p], tw[3*p+1], tw[3*p+2]
				i0, i1, i2, i3 := s*p, s*(p+m), s*(p+2*m), s*(p+3*m)
				o0, o1, o2, o3 := s*4*p, s*(4*p+1), s*(4*p+2), s*(4*p+3)
				in0, in1, in2, in3 := src[i0:i0+s], src[i1:i1+s], src[i2:i2+s], src[i3:i3+s]
				out0, out1, out2, out3 := dst[o0:o0+s], dst[o1:o1+s], dst[o2:o2+s], dst[o3:o3+s]
				for q := range in0 {
					a0, a1, a2, a3 := in0[q], in1[q], in2[q], in3[q]
					t0, t1 := a0+a2, a0-a2
					t2, t3 := a1+a3, MulI(a1-a3, sign)
					out0[q] = t0 + t2
					out1[q] = (t1 + t3) * w1
					out2[q] = (t0 - t2) * w2
					out3[q] = (t1 - t3) * w3
				}
			}
		case 2:
			for p := 0; p < m; p++ {
				w1 := tw[p]
				i0, i1 := s*p, s*(p+m)
				o0, o1 := s*2*p, s*(2*p+1)
				in0, in1 := src[i0:i0+s], src[i1:i1+s]
				out0, out1 := dst[o0:o0+s], dst[o1:o1+s]
				for q := range in0 {
					a0, a1 := in0[q], in1[q]
					out0[q] = a0 + a1
					out1[q] = (a0 - a1) * w1
				}
			}
		case 3:
			for p := 0; p < m; p++ {
				w1, w2 := tw[2*p], tw[2*p+1]
				i0, i1, i2 := s*p, s*(p+m), s*(p+2*m)
				o0, o1, o2 := s*3*p, s*(3*p+1), s*(3*p+2)
				for q := 0; q < s; q++ {
					a0, a1, a2 := src[i0+q], src[i1+q], src[i2+q]
					t1 := a1 + a2
					t2 := a0 - complex(0.5*real(t1), 0.5*imag(t1)) // t1/2 exactly, without runtime.complex128div
					t3 := MulI(a1-a2, sign) * complex(sin60, 0)
					dst[o0+q] = a0 + t1
					dst[o1+q] = (t2 + t3) * w1
					dst[o2+q] = (t2 - t3) * w2
				}
			}
		case 5:
			for p := 0; p < m; p++ {
				w1, w2, w3, w4 := tw[4*p], tw[4*p+1], tw[4*p+2], tw[4*p+3]
				i0, i1, i2, i3, i4 := s*p, s*(p+m), s*(p+2*m), s*(p+3*m), s*(p+4*m)
				o0, o1, o2, o3, o4 := s*5*p, s*(5*p+1), s*(5*p+2), s*(5*p+3), s*(5*p+4)
				for q := 0; q < s; q++ {
					a0, a1, a2, a3, a4 := src[i0+q], src[i1+q], src[i2+q], src[i3+q], src[i4+q]
					b1, b2 := a1+a4, a2+a3
					d1, d2 := a1-a4, a2-a3
					t1 := a0 + complex(c5a, 0)*b1 + complex(c5b, 0)*b2
					t2 := a0 + complex(c5b, 0)*b1 + complex(c5a, 0)*b2
					u1 := MulI(complex(s5a, 0)*d1+complex(s5b, 0)*d2, sign)
					u2 := MulI(complex(s5b, 0)*d1-complex(s5a, 0)*d2, sign)
					dst[o0+q] = a0 + b1 + b2
					dst[o1+q] = (t1 + u1) * w1
					dst[o2+q] = (t2 + u2) * w2
					dst[o3+q] = (t2 - u2) * w3
					dst[o4+q] = (t1 - u1) * w4
				}
			}
		}
		src, dst = dst, src
		nc, s = m, s*r
	}
	if &src[0] != &x[0] {
		copy(x, src)
	}
}

// Two real sequences x and y of length n share one complex transform: the
// transform Z of z = x + iy gives X(k) = (Z(k) + conj Z(−k))/2 and Y(k) =
// (Z(k) − conj Z(−k))/2i, and conversely x + iy is the inverse transform
// of X + iY. The spectra of real sequences are Hermitian (X(−k) = conj
// X(k)), so SplitReal and JoinReal keep only their first n/2+1 terms (the
// half spectra, k = 0 … ⌊n/2⌋). Inverse-transforming with Transform then
// gives x + iy scaled by n, as every unnormalised inverse.

// SplitReal writes the half spectra of x and y (len ≥ n/2+1 each) from z,
// the transform (either direction) of the n = len(z) values x + iy.
func SplitReal(z, x, y []complex128) {
	n := len(z)
	for k := 0; k <= n/2; k++ {
		a, b := z[k], z[(n-k)%n]
		// Halving written out: Go divides complex numbers in the runtime.
		x[k] = complex(0.5*(real(a)+real(b)), 0.5*(imag(a)-imag(b)))
		y[k] = complex(0.5*(imag(a)+imag(b)), 0.5*(real(b)-real(a)))
	}
}

// JoinReal writes into z (length n) the spectrum X + iY of x + iy from the
// half spectra x and y (len ≥ n/2+1 each), extended by X(−k) = conj X(k):
// the inverse transform of z is then n·(x + iy) (the forward one for
// half spectra from a forward transform).
func JoinReal(x, y, z []complex128) {
	n := len(z)
	for k := 0; k <= n/2; k++ {
		a, b := x[k], y[k]
		z[k] = complex(real(a)-imag(b), imag(a)+real(b))
		if j := (n - k) % n; j != k {
			// conj(a) + i·conj(b)
			z[j] = complex(real(a)+imag(b), real(b)-imag(a))
		}
	}
}
