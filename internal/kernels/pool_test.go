package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMaxPool2x2Row compares the active 2×2/stride-2 row kernel with the Go
// one on widths 1..21 (vector and tail paths), including NaNs in every
// position of a window and signed zeros.
func TestMaxPool2x2Row(t *testing.T) {
	nan := float32(math.NaN())
	for n := 1; n <= 21; n++ {
		r0, r1 := make([]float32, 2*n+1), make([]float32, 2*n+1)
		for i := range r0 {
			r0[i] = float32((i*7)%11) - 5
			r1[i] = float32((i*5)%13) - 6
		}
		if n > 3 {
			r0[0], r0[3], r1[4], r1[7] = nan, nan, nan, nan // windows 0, 1, 2, 3
		}
		got, want := make([]float32, n), make([]float32, n)
		maxPool2x2Row(got, r0, r1)
		maxPool2x2RowGo(want, r0, r1)
		for i := range want {
			if !(got[i] == want[i] || (got[i] != got[i] && want[i] != want[i])) {
				t.Fatalf("width %d, output %d: got %v, want %v", n, i, got[i], want[i])
			}
			if i < 4 && n > 3 && got[i] == got[i] {
				t.Fatalf("width %d, output %d: NaN not propagated (%v)", n, i, got[i])
			}
		}
	}
}

// Each 2×2 window's gradient goes to its first maximum in row-major order,
// ties included (as PyTorch's CPU max_pool2d does).
func TestMaxPoolGradFirstMaximum(t *testing.T) {
	// One 2×8 plane: four windows with the maximum at each position, then
	// ties: all equal, b=c=d, c=d, and a unique max at d.
	x := []float32{
		9, 1, 1, 9, 1, 1, 1, 1,
		1, 1, 1, 1, 9, 1, 1, 9,
	}
	dy := []float32{1, 2, 3, 4}
	dx := make([]float32, 16)
	MaxPool2x2GradPlanes(dx, x, dy, 0, 1, 2, 8, false)
	want := []float32{1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 4}
	for i := range want {
		if dx[i] != want[i] {
			t.Fatalf("distinct maxima: dx = %v, want %v", dx, want)
		}
	}
	x = []float32{
		5, 5, 1, 7, 1, 1, 1, 2,
		5, 5, 7, 7, 3, 3, 1, 1,
	}
	clear(dx)
	MaxPool2x2GradPlanes(dx, x, dy, 0, 1, 2, 8, false)
	want = []float32{1, 0, 0, 2, 0, 0, 0, 4, 0, 0, 0, 0, 3, 0, 0, 0}
	for i := range want {
		if dx[i] != want[i] {
			t.Fatalf("ties: dx = %v, want %v", dx, want)
		}
	}
}

// With relu, the gradient is that of ReluZero after the pool: dy·[max ≥ 0]
// to the first maximum (a window whose maximum is 0 passes its dy).
func TestMaxPoolReluGrad(t *testing.T) {
	x := []float32{
		-1, -2, 0, -3, 2, 1,
		-3, -4, -1, -1, 1, 2,
	}
	dy := []float32{5, 6, 7}
	dx := make([]float32, len(x))
	MaxPool2x2GradPlanes(dx, x, dy, 0, 1, 2, 6, true)
	want := []float32{0, 0, 6, 0, 7, 0, 0, 0, 0, 0, 0, 0}
	for i := range want {
		if dx[i] != want[i] {
			t.Fatalf("dx = %v, want %v", dx, want)
		}
	}
	y := []float32{-2, 0, 3, float32(math.NaN())}
	ReluZero(y)
	if y[0] != 0 || !math.Signbit(float64(y[0])) || y[1] != 0 || math.Signbit(float64(y[1])) || y[2] != 3 || y[3] == y[3] {
		t.Errorf("ReluZero gives %v, want [-0 0 3 NaN]", y)
	}
}

// MaxPool3x3s2Row (AVX2 where the CPU has it) equals the 3×3 stride-2
// maximum of its definition for row lengths around the 8-output groups,
// with NaNs (which propagate) and infinities among the inputs.
func TestMaxPool3x3s2Row(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, n := range []int{1, 7, 8, 9, 16, 23, 56, 57} {
		w := 2*n + 1 + rng.IntN(2) // an input row may have one column to spare
		rows := [3][]float32{randSlice(rng, w), randSlice(rng, w), randSlice(rng, w)}
		for k := range rows {
			for c := range rows[k] {
				switch rng.IntN(40) {
				case 0:
					rows[k][c] = float32(math.NaN())
				case 1:
					rows[k][c] = float32(math.Inf(-1))
				case 2:
					rows[k][c] = float32(math.Inf(1))
				}
			}
		}
		for _, pool := range []func(y, r0, r1, r2 []float32){maxPool3x3s2RowGo, MaxPool3x3s2Row} {
			checkMaxPool3x3s2(t, pool, n, rows)
		}
	}
}

func checkMaxPool3x3s2(t *testing.T, pool func(y, r0, r1, r2 []float32), n int, rows [3][]float32) {
	t.Helper()
	y := make([]float32, n)
	pool(y, rows[0], rows[1], rows[2])
	for i := range y {
		want, nan := float32(math.Inf(-1)), false
		for k := range rows {
			for c := 2 * i; c <= 2*i+2; c++ {
				v := rows[k][c]
				nan = nan || v != v
				want = max(want, v)
			}
		}
		if got := y[i]; (got != got) != nan || (!nan && got != want) {
			t.Fatalf("n=%d: y[%d] = %v, want %v (NaN among the inputs: %v)", n, i, got, want, nan)
		}
	}
}
