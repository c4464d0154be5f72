package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestReluInPlaceSameBits: the active ReLU (AVX2 where the CPU has it)
// gives Go's max(v, 0) to the bit, NaN, ±0, ±Inf and odd tails included.
func TestReluInPlaceSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), -1e-40, 1e-40}
	for _, n := range []int{0, 1, 7, 8, 9, 31, 64, 1001} {
		x := randSlice(rng, n)
		for i := range x {
			if i%5 == 0 {
				x[i] = special[(i/5)%len(special)]
			}
		}
		want := append([]float32(nil), x...)
		reluInPlaceGo(want)
		ReluInPlace(x)
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d is %v (%#x), want %v (%#x)", n, i, x[i], math.Float32bits(x[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

// TestVmaxSameBits: the active elementwise maximum (AVX2 where the CPU has
// it) equals vmaxGo to the bit, NaN in either operand and odd tails included.
func TestVmaxSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	nan := float32(math.NaN())
	for _, n := range []int{0, 1, 7, 8, 9, 33, 100} {
		a, b := randSlice(rng, n), randSlice(rng, n)
		for i := range a {
			switch i % 7 {
			case 1:
				a[i] = nan
			case 3:
				b[i] = nan
			case 5:
				a[i], b[i] = float32(math.Copysign(0, -1)), 0
			}
		}
		want, got := make([]float32, n), make([]float32, n)
		vmaxGo(want, a, b)
		Vmax(got, a, b)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d is %v, want %v (a %v, b %v)", n, i, got[i], want[i], a[i], b[i])
			}
			if (a[i] != a[i] || b[i] != b[i]) && got[i] == got[i] {
				t.Fatalf("n=%d: element %d: NaN in an operand did not propagate", n, i)
			}
		}
	}
}

// ScaleShift rounds the product before the sum, in assembly as in Go, for
// every length around the vector width, in place or not.
func TestScaleShift(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	for n := 0; n < 40; n++ {
		src := randSlice(rng, n)
		if n > 3 {
			src[1] = float32(math.NaN())
			src[2] = float32(math.Copysign(0, -1))
		}
		a, b := rng.Float32()*4-2, rng.Float32()*4-2
		got := make([]float32, n)
		ScaleShift(got, src, a, b)
		inPlace := append([]float32(nil), src...)
		ScaleShift(inPlace, inPlace, a, b)
		for i, v := range src {
			want := float32(a*v) + b // the conversion rounds the product: never fused
			if math.Float32bits(got[i]) != math.Float32bits(want) || math.Float32bits(inPlace[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: element %d = %v (in place %v), want %v", n, i, got[i], inPlace[i], want)
			}
		}
	}
}

// Transpose puts every element in its place, with and without the ReLU
// (NaN kept, −0 made +0), for sizes around the 8×8 blocks and strides
// wider than the matrix, and writes nothing outside it.
func TestTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 20))
	for _, sz := range [][2]int{{1, 1}, {8, 8}, {16, 8}, {8, 16}, {7, 9}, {16, 24}, {32, 49}, {13, 17}, {128, 196}} {
		rows, p := sz[0], sz[1]
		lds, ldd := rows+3, p+5
		src := randSlice(rng, p*lds)
		src[0] = float32(math.NaN())
		src[len(src)/2] = float32(math.Copysign(0, -1))
		for _, relu := range []bool{false, true} {
			dst := make([]float32, rows*ldd)
			for i := range dst {
				dst[i] = 42
			}
			Transpose(dst, ldd, src, lds, rows, p, relu)
			for m := 0; m < rows; m++ {
				for i := 0; i < ldd; i++ {
					got, want := dst[m*ldd+i], float32(42)
					if i < p {
						want = src[i*lds+m]
						if relu {
							want = max(want, 0)
						}
					}
					if math.Float32bits(got) != math.Float32bits(want) {
						t.Fatalf("%d×%d relu %v: dst[%d, %d] = %v, want %v", rows, p, relu, m, i, got, want)
					}
				}
			}
		}
	}
}

// MulAdd rounds the product before the sum, in assembly as in Go, for
// every length around the vector widths.
func TestMulAdd(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	for n := 0; n < 50; n++ {
		x, y := randSlice(rng, n), randSlice(rng, n)
		if n > 3 {
			x[1] = float32(math.NaN())
			y[2] = float32(math.Copysign(0, -1))
			x[2] = 0
		}
		a := rng.Float32()*4 - 2
		got := append([]float32(nil), y...)
		MulAdd(got, x, a)
		for i, v := range x {
			want := y[i] + float32(a*v) // the conversion rounds the product: never fused
			if math.Float32bits(got[i]) != math.Float32bits(want) && !(got[i] != got[i] && want != want) {
				t.Fatalf("n=%d: element %d = %v, want %v", n, i, got[i], want)
			}
		}
	}
}

// Clip equals its Go definition to the bit, NaN, ±0, infinities and NaN
// bounds included, for lengths around the vector width, in place or not.
func TestClip(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	special := []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, 6, float32(math.Inf(1)), float32(math.Inf(-1))}
	for _, b := range [][2]float32{{0, 6}, {-1, 1}, {float32(math.Inf(-1)), 0.5}, {float32(math.NaN()), 2}, {0, float32(math.NaN())}} {
		for n := 0; n < 30; n++ {
			src := randSlice(rng, n)
			for i := range src {
				src[i] *= 8
				if i%4 == 1 {
					src[i] = special[(i/4)%len(special)]
				}
			}
			want := make([]float32, n)
			clipGo(want, src, b[0], b[1])
			got := make([]float32, n)
			Clip(got, src, b[0], b[1])
			inPlace := append([]float32(nil), src...)
			Clip(inPlace, inPlace, b[0], b[1])
			for i := range want {
				w := math.Float32bits(want[i])
				if math.Float32bits(got[i]) != w || math.Float32bits(inPlace[i]) != w {
					t.Fatalf("bounds %v n=%d: element %d (%v) = %v (in place %v), want %v", b, n, i, src[i], got[i], inPlace[i], want[i])
				}
			}
		}
	}
}

// Deinterleave splits every length around the 16-float blocks into its even
// and odd elements, the bits kept (NaN and −0 included).
func TestDeinterleave(t *testing.T) {
	rng := rand.New(rand.NewPCG(33, 34))
	for n := 0; n < 50; n++ {
		src := randSlice(rng, n)
		if n > 3 {
			src[1], src[2] = float32(math.NaN()), float32(math.Copysign(0, -1))
		}
		even, odd := make([]float32, (n+1)/2), make([]float32, n/2)
		Deinterleave(even, odd, src)
		for i, v := range src {
			got := even[i/2]
			if i%2 == 1 {
				got = odd[i/2]
			}
			if math.Float32bits(got) != math.Float32bits(v) {
				t.Fatalf("n=%d: element %d = %v, want %v", n, i, got, v)
			}
		}
	}
}
