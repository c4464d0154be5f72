package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemmRunsSameAsGathered: the convolution read straight from the image
// (GemmRuns) gives the same bits as GemmPacked on the gathered im2col
// matrix, with and without bias, on full, short and partial A panels, and
// declines layouts it cannot read as runs.
func TestGemmRunsSameAsGathered(t *testing.T) {
	if !useAsm512 {
		t.Skipf("no AVX-512 here (kernels %s)", KernelName())
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		d  Conv2D
		m  int
		ok bool
	}{
		{Conv2D{C: 1, H: 28, W: 28, KH: 5, KW: 5}, 10, true},  // the paper's conv1: 24×24 out
		{Conv2D{C: 10, H: 12, W: 12, KH: 5, KW: 5}, 20, true}, // conv2: 8×8 out
		{Conv2D{C: 3, H: 10, W: 18, KH: 3, KW: 3}, 7, true},   // 8×16 out, a partial A panel
		{Conv2D{C: 2, H: 6, W: 12, KH: 3, KW: 5}, 4, true},    // 4×8 out, one short panel
		{Conv2D{C: 12, H: 12, W: 20, KH: 5, KW: 5}, 13, true}, // 8×16 out, 300 taps (K blocks in GemmPacked)
		{Conv2D{C: 2, H: 9, W: 9, KH: 3, KW: 3}, 6, false},    // 7-wide rows: not runs
		{Conv2D{C: 1, H: 7, W: 10, KH: 3, KW: 3}, 6, false},   // 5×8 out: 40 columns, not pairs of panels
	} {
		oh, ow := tc.d.Out()
		n := oh * ow
		x := randSlice(rng, tc.d.C*tc.d.H*tc.d.W)
		kOff, nOff := tc.d.Offsets(nil, nil)
		k := len(kOff)
		w := randSlice(rng, tc.m*k)
		for _, withBias := range []bool{false, true} {
			pa := PackA(nil, false, tc.m, k, 1, w, k)
			if withBias {
				pa.Bias = make([]float32, RoundUp(tc.m, MR))
				copy(pa.Bias, randSlice(rng, tc.m))
			}
			got := make([]float32, tc.m*n)
			if ok := GemmRuns(pa, x, kOff, nOff, n, 0, n, got, n); ok != tc.ok {
				t.Fatalf("%+v: GemmRuns applies %v, want %v", tc.d, ok, tc.ok)
			}
			if !tc.ok {
				continue
			}
			pb := GatherPacked(make([]float32, PackedBSize(k, n)), x, kOff, nOff, n, 0, (n+NR-1)/NR)
			want := make([]float32, tc.m*n)
			GemmPacked(pa, pb, 0, pb.Panels(), want, n, false)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%+v bias %v: C[%d] = %v, gathered %v", tc.d, withBias, i, got[i], want[i])
				}
			}
			// The same columns in two ranges, as the workers of one image
			// share them.
			if n >= 4*NR {
				half := make([]float32, tc.m*n)
				mid := n / (4 * NR) * (2 * NR)
				if !GemmRuns(pa, x, kOff, nOff, n, 0, mid, half, n) || !GemmRuns(pa, x, kOff, nOff, n, mid, n, half, n) {
					t.Fatalf("%+v: GemmRuns declines a column range", tc.d)
				}
				for i := range want {
					if math.Float32bits(half[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%+v bias %v: C[%d] = %v in ranges, gathered %v", tc.d, withBias, i, half[i], want[i])
					}
				}
			}
		}
	}
}
