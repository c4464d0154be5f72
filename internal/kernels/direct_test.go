package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// directCase builds the operands of a convolution of an (already padded)
// input for GemmDirectT: the taps' offsets, the offsets of the output
// positions of the given stride (padded with position 0 to whole row
// panels), the packed Wᵀ with its columns rounded up to pairs of panels,
// and a column bias.
func directCase(rng *rand.Rand, d Conv2D, stride, cout int) (x []float32, kOff, nOff []int32, P int, wt PackedB, bias []float32) {
	x = randSlice(rng, d.C*d.H*d.W)
	kOff, _ = d.Offsets(nil, nil)
	oh, ow := d.Out()
	for oy := 0; oy < oh; oy += stride {
		for ox := 0; ox < ow; ox += stride {
			nOff = append(nOff, int32(oy*d.W+ox))
		}
	}
	P = len(nOff)
	nOff = append(nOff, make([]int32, RoundUp(P, MR)-P)...)
	k := len(kOff)
	n := RoundUp(cout, 2*NR)
	w := make([]float32, n*k) // Wᵀ stored n×k, zero rows past cout
	copy(w, randSlice(rng, cout*k))
	wt = PackB(nil, true, k, n, w, k)
	bias = make([]float32, n)
	copy(bias, randSlice(rng, cout))
	return x, kOff, nOff, P, wt, bias
}

// TestGemmDirectTSameAsGathered: the transposed product read straight from
// the image (GemmDirectT) gives the same bits as GemmPacked from the bias
// on the gathered rows, over one and several K blocks, strided or not, in
// ranges of rows and of columns as workers share them, and declines what
// it cannot read.
func TestGemmDirectTSameAsGathered(t *testing.T) {
	if !useAsm {
		t.Skipf("no AVX2 here (kernels %s)", KernelName())
	}
	orig512 := useAsm512
	defer func() { useAsm512 = orig512 }()
	for _, on := range []bool{false, true} {
		if on && !orig512 {
			continue
		}
		useAsm512 = on
		checkDirectT(t)
	}
}

// checkDirectT is TestGemmDirectTSameAsGathered with the kernels in use.
func checkDirectT(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		d            Conv2D
		stride, cout int
	}{
		{Conv2D{C: 4, H: 10, W: 10, KH: 3, KW: 3}, 1, 32},
		{Conv2D{C: 40, H: 9, W: 9, KH: 3, KW: 3}, 1, 64},  // 360 taps: two K blocks
		{Conv2D{C: 300, H: 7, W: 7, KH: 1, KW: 1}, 1, 40}, // 1×1, columns padded to 64
		{Conv2D{C: 3, H: 12, W: 11, KH: 5, KW: 2}, 2, 16},
		{Conv2D{C: 8, H: 15, W: 15, KH: 3, KW: 3}, 2, 96},
	} {
		x, kOff, nOff, P, wt, bias := directCase(rng, tc.d, tc.stride, tc.cout)
		k := len(kOff)
		rows := len(nOff)
		ldc := wt.N + NR
		got := make([]float32, rows*ldc)
		pairs := wt.Panels()
		if !GemmDirectT(x, kOff, nOff, 0, rows, 0, pairs, wt, bias, got, ldc) {
			t.Fatalf("%+v (%s): GemmDirectT declines", tc.d, KernelName())
		}
		pa := GatherPackedA(make([]float32, PackedASize(rows, k)), x, kOff, nOff, rows, 0, rows/MR)
		want := make([]float32, rows*ldc)
		for i := 0; i < rows; i++ {
			copy(want[i*ldc:], bias)
		}
		GemmPackedFromC(pa, wt, 0, wt.Panels(), want, ldc)
		check := func(what string, got []float32) {
			t.Helper()
			for i := 0; i < P; i++ {
				for j := 0; j < tc.cout; j++ {
					g, w := got[i*ldc+j], want[i*ldc+j]
					if math.Float32bits(g) != math.Float32bits(w) {
						t.Fatalf("%+v %s (%s): C[%d, %d] = %v, gathered %v", tc.d, what, KernelName(), i, j, g, w)
					}
				}
			}
		}
		check("whole", got)
		if rows >= 2*MR {
			half := make([]float32, rows*ldc)
			mid := rows / (2 * MR) * MR
			if !GemmDirectT(x, kOff, nOff, 0, mid, 0, pairs, wt, bias, half, ldc) || !GemmDirectT(x, kOff, nOff, mid, rows, 0, pairs, wt, bias, half, ldc) {
				t.Fatalf("%+v: GemmDirectT declines a row range", tc.d)
			}
			check("row ranges", half)
		}
		if pairs >= 4 {
			half := make([]float32, rows*ldc)
			if !GemmDirectT(x, kOff, nOff, 0, rows, 0, 2, wt, bias, half, ldc) || !GemmDirectT(x, kOff, nOff, 0, rows, 2, pairs, wt, bias, half, ldc) {
				t.Fatalf("%+v: GemmDirectT declines a column range", tc.d)
			}
			check("column ranges", half)
		}
		// A position past the image, a ragged range or too small a C is
		// declined.
		bad := append([]int32(nil), nOff...)
		bad[len(bad)-1] = int32(len(x))
		if GemmDirectT(x, kOff, bad, 0, rows, 0, pairs, wt, bias, got, ldc) {
			t.Fatalf("%+v: GemmDirectT reads past the image", tc.d)
		}
		if GemmDirectT(x, kOff, nOff, 0, rows-1, 0, pairs, wt, bias, got, ldc) || GemmDirectT(x, kOff, nOff, 0, rows, 0, pairs, wt, bias, got[:len(got)-1-ldc], ldc) {
			t.Fatalf("%+v: GemmDirectT accepts a ragged range or a short C", tc.d)
		}
	}
}

// BenchmarkConvDirect times one goroutine's convolution read straight from
// the image in both orientations, on DenseNet-121's 3×3 layers (128 → 32
// channels) and two wider ones: GemmRuns (Y = W·Xcol, where the rows are a
// multiple of 8 wide) and GemmDirectT (Yᵀ = Xcolᵀ·Wᵀ), in GFLOP/s.
func BenchmarkConvDirect(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{{128, 56, 32}, {128, 28, 32}, {128, 14, 32}, {128, 7, 32}, {160, 14, 320}, {64, 56, 192}} {
		c, hw, cout := sz[0], sz[1], sz[2]
		d := Conv2D{C: c, H: hw + 2, W: hw + 2, KH: 3, KW: 3}
		x, kOff, nOff, _, wt, bias := directCase(rng, d, 1, cout)
		flops := 2 * float64(c*9*cout*hw*hw)
		ldc := wt.N + NR
		y := make([]float32, len(nOff)*ldc)
		b.Run(fmt.Sprintf("directT_c%d_%dx%d_to%d", c, hw, hw, cout), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if !GemmDirectT(x, kOff, nOff, 0, len(nOff), 0, wt.Panels(), wt, bias, y, ldc) {
					b.Fatal("declined")
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		if hw%8 == 0 {
			_, nOffR := d.Offsets(nil, nil)
			pa := PackA(nil, false, cout, len(kOff), 1, randSlice(rng, cout*len(kOff)), len(kOff))
			n := hw * hw
			yr := make([]float32, cout*n)
			b.Run(fmt.Sprintf("runs_c%d_%dx%d_to%d", c, hw, hw, cout), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if !GemmRuns(pa, x, kOff, nOffR, n, 0, n, yr, n) {
						b.Fatal("declined")
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
