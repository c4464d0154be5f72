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
