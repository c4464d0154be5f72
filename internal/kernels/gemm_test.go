package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/conceptcells/conceptcells/internal/kernels/kerneltest"
)

// TestGemmRandom compares Gemm (both micro-kernels, all transposes, edge
// tiles) with the float64 triple loop: |diff| ≤ 1e-5·k.
func TestGemmRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	orig, orig512 := useAsm, useAsm512
	defer func() { useAsm, useAsm512 = orig, orig512 }()
	for _, kc := range kernelChoices() {
		useAsm, useAsm512 = kc[0], kc[1]
		kerneltest.CheckGemmRandom(t, KernelName()+" kernel", rng, func(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, &Scratch{})
		})
	}
}

// TestGemmPackedBias checks the per-row bias start of both micro-kernels
// on edge and full tiles: C = bias[i] + Σ_l A[i,l]·B[l,j].
func TestGemmPackedBias(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	orig, orig512 := useAsm, useAsm512
	defer func() { useAsm, useAsm512 = orig, orig512 }()
	for _, kc := range kernelChoices() {
		useAsm, useAsm512 = kc[0], kc[1]
		m, n, k := 10, 37, 9
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		bias := randSlice(rng, m)
		pa := PackA(nil, false, m, k, 1, a, k)
		pa.Bias = make([]float32, RoundUp(m, MR))
		copy(pa.Bias, bias)
		pb := PackB(nil, false, k, n, b, n)
		c := make([]float32, m*n)
		GemmPacked(pa, pb, 0, pb.Panels(), c, n, false)
		want := kerneltest.NaiveGemm(false, false, m, n, k, 1, a, k, b, n, 0, make([]float32, m*n), n)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				if d := math.Abs(float64(c[i*n+j] - (want[i*n+j] + bias[i]))); d > 1e-5 {
					t.Fatalf("(%d,%d): got %v, want %v", i, j, c[i*n+j], want[i*n+j]+bias[i])
				}
			}
		}
	}
}

// kernelChoices lists the (useAsm, useAsm512) settings this CPU can run.
func kernelChoices() [][2]bool {
	out := [][2]bool{{false, false}}
	if useAsm {
		out = append(out, [2]bool{true, false})
	}
	if useAsm512 {
		out = append(out, [2]bool{true, true})
	}
	return out
}

// The AVX-512 kernels compute every element with the same chain of fused
// multiply-adds as the AVX2 ones: results must be bit-identical (trained
// models depend on it), with and without bias and accumulation, on full
// and short A panels and ragged column counts.
func TestGemmAVX512MatchesAVX2(t *testing.T) {
	if !useAsm512 {
		t.Skipf("no AVX-512 here (kernels %s)", KernelName())
	}
	defer func() { useAsm512 = true }()
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sz := range [][3]int{{6, 32, 1}, {10, 576, 25}, {20, 64, 250}, {4, 48, 7}, {13, 100, 33}, {250, 64, 20}, {7, 31, 5}, {13, 70, 600}, {400, 40, 300}} {
		m, n, k := sz[0], sz[1], sz[2]
		a, b := randSlice(rng, m*k), randSlice(rng, k*n)
		c0 := randSlice(rng, m*n)
		for _, withBias := range []bool{false, true} {
			for _, acc := range []bool{false, true} {
				pa := PackA(nil, false, m, k, 1, a, k)
				if withBias {
					pa.Bias = make([]float32, RoundUp(m, MR))
					copy(pa.Bias, randSlice(rng, m))
				}
				pb := PackB(nil, false, k, n, b, n)
				var got [2][]float32
				for i, on := range []bool{false, true} {
					useAsm512 = on
					got[i] = append([]float32(nil), c0...)
					GemmPacked(pa, pb, 0, pb.Panels(), got[i], n, acc)
				}
				for i := range got[0] {
					if math.Float32bits(got[0][i]) != math.Float32bits(got[1][i]) {
						t.Fatalf("m=%d n=%d k=%d bias=%v acc=%v: C[%d] AVX2 %v, AVX-512 %v", m, n, k, withBias, acc, i, got[0][i], got[1][i])
					}
				}
			}
		}
	}
}

// GemmPacked works in K blocks of kcBlock and A groups of mcPanels panels,
// continuing each chain from C between K blocks: the bits must be those of
// one pass over the whole depth, for every kernel, on full, short and
// partial panels, with and without bias.
func TestGemmPackedBlockingSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	orig, orig512 := useAsm, useAsm512
	defer func() { useAsm, useAsm512 = orig, orig512 }()
	for _, kc := range kernelChoices() {
		useAsm, useAsm512 = kc[0], kc[1]
		for _, sz := range [][3]int{{400, 70, 600}, {13, 49, 257}, {7, 33, 1100}, {10, 16, 513}} {
			m, n, k := sz[0], sz[1], sz[2]
			a, b := randSlice(rng, m*k), randSlice(rng, k*n)
			for _, withBias := range []bool{false, true} {
				pa := PackA(nil, false, m, k, 1, a, k)
				if withBias {
					pa.Bias = make([]float32, RoundUp(m, MR))
					copy(pa.Bias, randSlice(rng, m))
				}
				pb := PackB(nil, false, k, n, b, n)
				got := make([]float32, m*n)
				GemmPacked(pa, pb, 0, pb.Panels(), got, n, false)
				want := make([]float32, m*n)
				gemmBlock(pa, pb, 0, pb.Panels(), 0, (m+MR-1)/MR, 0, k, want, n, modeSet)
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%s m=%d n=%d k=%d bias=%v: C[%d] blocked %v, one pass %v", KernelName(), m, n, k, withBias, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// GemmPackedFromC on the transposed product with C holding a bias per
// column gives the bits of GemmPacked with that bias per row, transposed:
// the chains are the same (products commute).
func TestGemmPackedFromCTransposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	orig, orig512 := useAsm, useAsm512
	defer func() { useAsm, useAsm512 = orig, orig512 }()
	for _, kc := range kernelChoices() {
		useAsm, useAsm512 = kc[0], kc[1]
		for _, sz := range [][3]int{{70, 49, 600}, {64, 16, 20}, {33, 13, 300}} {
			m, n, k := sz[0], sz[1], sz[2] // W m×k, X k×n
			w, x, bias := randSlice(rng, m*k), randSlice(rng, k*n), randSlice(rng, m)
			pw := PackA(nil, false, m, k, 1, w, k)
			pw.Bias = make([]float32, RoundUp(m, MR))
			copy(pw.Bias, bias)
			px := PackB(nil, false, k, n, x, n)
			want := make([]float32, m*n)
			GemmPacked(pw, px, 0, px.Panels(), want, n, false)

			xt := PackA(nil, true, n, k, 1, x, n) // Xᵀ, n×k
			wt := PackB(nil, true, k, m, w, k)    // Wᵀ, k×m
			got := make([]float32, n*m)
			for i := 0; i < n; i++ {
				copy(got[i*m:(i+1)*m], bias)
			}
			GemmPackedFromC(xt, wt, 0, wt.Panels(), got, m)
			for i := 0; i < m; i++ {
				for j := 0; j < n; j++ {
					if math.Float32bits(got[j*m+i]) != math.Float32bits(want[i*n+j]) {
						t.Fatalf("%s m=%d n=%d k=%d: (%d,%d) transposed %v, direct %v", KernelName(), m, n, k, i, j, got[j*m+i], want[i*n+j])
					}
				}
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float32 { return kerneltest.RandSlice(rng, n) }
