package engine

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveGemm is the textbook triple loop, in float64.
func naiveGemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float32 {
	out := make([]float32, len(c))
	copy(out, c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for l := 0; l < k; l++ {
				var av, bv float32
				if transA {
					av = a[l*lda+i]
				} else {
					av = a[i*lda+l]
				}
				if transB {
					bv = b[j*ldb+l]
				} else {
					bv = b[l*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			v := float64(alpha) * s
			if beta != 0 {
				v += float64(beta) * float64(c[i*ldc+j])
			}
			out[i*ldc+j] = float32(v)
		}
	}
	return out
}

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

// TestGemmRandom compares sgemm (both micro-kernels, all transposes, edge
// tiles, both parallel splits) with the float64 triple loop: |diff| ≤ 1e-5·k.
func TestGemmRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type kern = func(int, []float32, []float32, []float32, int, bool, []float32)
	kernels := map[string][4]kern{"go": {microKernelGo, microKernel4Go, nil, nil}, "go pair": {microKernelGo, microKernel4Go, microKernelPairGo, microKernelPair4Go},
		"active": {microKernel, microKernel4, microKernelPair, microKernelPair4}}
	orig, orig4, origPair, origPair4 := microKernel, microKernel4, microKernelPair, microKernelPair4
	defer func() {
		microKernel, microKernel4, microKernelPair, microKernelPair4 = orig, orig4, origPair, origPair4
	}()
	for name, kp := range kernels {
		microKernel, microKernel4, microKernelPair, microKernelPair4 = kp[0], kp[1], kp[2], kp[3]
		for _, sz := range [][3]int{{1, 1, 1}, {6, 16, 5}, {7, 17, 3}, {10, 32, 25}, {13, 40, 33}, {20, 64, 9}, {100, 3, 7}, {5, 300, 64}, {64, 64, 0}, {4, 16, 2}, {200, 8, 300}, {28, 200, 50}, {12, 64, 40}, {16, 48, 7}} {
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
					want := naiveGemm(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, c, n)
					got := append([]float32(nil), c...)
					sgemm(tr[0], tr[1], m, n, k, 1.5, a, lda, b, ldb, beta, got, n, &workspace{})
					for i := range want {
						if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*float64(k+1) {
							t.Fatalf("%s kernel m=%d n=%d k=%d trans=%v beta=%v: element %d got %v want %v", name, m, n, k, tr, beta, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// TestGemmPackedBias checks the per-row bias start of both micro-kernels
// on edge and full tiles: C = bias[i] + Σ_l A[i,l]·B[l,j].
func TestGemmPackedBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	orig, orig4 := microKernel, microKernel4
	defer func() { microKernel, microKernel4 = orig, orig4 }()
	type kern = func(int, []float32, []float32, []float32, int, bool, []float32)
	for _, kp := range [][2]kern{{microKernelGo, microKernel4Go}, {orig, orig4}} {
		microKernel, microKernel4 = kp[0], kp[1]
		m, n, k := 10, 37, 9
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		bias := randSlice(rng, m)
		pa := packA(nil, false, m, k, 1, a, k)
		pa.bias = make([]float32, roundUp(m, gemmMR))
		copy(pa.bias, bias)
		pb := packB(nil, false, k, n, b, n)
		c := make([]float32, m*n)
		gemmPacked(pa, pb, 0, (n+gemmNR-1)/gemmNR, c, n, false)
		want := naiveGemm(false, false, m, n, k, 1, a, k, b, n, 0, make([]float32, m*n), n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if d := math.Abs(float64(c[i*n+j] - (want[i*n+j] + bias[i]))); d > 1e-5 {
					t.Fatalf("(%d,%d): got %v, want %v", i, j, c[i*n+j], want[i*n+j]+bias[i])
				}
			}
		}
	}
}

// TestGemmPairSameBits: the double-width kernel (AVX-512 where the CPU has
// it) sums in the same order as the single-width one, so a product computed
// with and without it is the same to the bit, bias and accumulation too.
func TestGemmPairSameBits(t *testing.T) {
	if microKernelPair == nil {
		t.Skip("no double-width kernel on this CPU (AVX-512F)")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	orig, orig4 := microKernelPair, microKernelPair4
	defer func() { microKernelPair, microKernelPair4 = orig, orig4 }()
	for _, sz := range [][3]int{{6, 32, 1}, {12, 64, 300}, {13, 70, 17}, {64, 3136, 576}, {10, 48, 9}, {4, 32, 5}, {8, 64, 33}, {11, 40, 7}, {2, 32, 3}, {32, 96, 1152}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		pa := packA(nil, false, m, k, 1, a, k)
		pa.bias = randSlice(rng, roundUp(m, gemmMR))
		pb := packB(nil, false, k, n, b, n)
		c0 := randSlice(rng, m*n)
		for _, acc := range []bool{false, true} {
			with, without := append([]float32(nil), c0...), append([]float32(nil), c0...)
			microKernelPair, microKernelPair4 = orig, orig4
			gemmPacked(pa, pb, 0, (n+gemmNR-1)/gemmNR, with, n, acc)
			microKernelPair, microKernelPair4 = nil, nil
			gemmPacked(pa, pb, 0, (n+gemmNR-1)/gemmNR, without, n, acc)
			for i := range with {
				if math.Float32bits(with[i]) != math.Float32bits(without[i]) {
					t.Fatalf("m=%d n=%d k=%d acc=%v: element %d is %v with the pair kernel, %v without", m, n, k, acc, i, with[i], without[i])
				}
			}
		}
	}
}

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
		reluInPlace(x)
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
		vmax(got, a, b)
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
