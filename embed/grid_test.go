package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGridRepulsionMatchesExact compares the FFT-interpolated repulsion with
// direct summation on clustered point sets of small and large extent.
func TestGridRepulsionMatchesExact(t *testing.T) {
	// Tolerances: measured errors (in the comments) with about 1.5× headroom.
	// The grid grows in 2,3,5-smooth steps, so its spacing h is close to the
	// largest allowed (tc.h) once the points are spread.
	// Cubic interpolation converges as h⁴ while the grid resolves the kernel
	// scale 1; at h ≳ 0.6 higher orders stop helping (the kernel has poles at
	// distance 1 from the real axis), so the spacing is the accuracy knob.
	for _, tc := range []struct {
		name       string
		n          int
		spread     float64
		order      int
		h          float64
		tolF, tolZ float64
	}{
		{"tiny", 1500, 1e-3, 4, 0.75, 1e-12, 1e-12},                                       // 1e-15, 0
		{"unit", 1500, 1, 4, 0.045, 5e-6, 2e-6},                                           // h 0.045: 3.2e-6, 1.3e-6
		{"wide-h0.31", 1500, 30, 4, 0.31, 5e-3, 7e-4},                                     // h 0.31: 3.4e-3, 4.6e-4
		{"wide-order6", 1500, 30, 6, 0.31, 2e-3, 3e-4},                                    // h 0.31: 1.4e-3, 1.6e-4
		{"wide-h0.75", 1500, 30, 4, 0.75, 6e-2, 6e-3},                                     // h 0.68: 4.1e-2, 4.1e-3
		{"default", 1500, 30, DefaultTSNE.GridOrder, DefaultTSNE.GridSpacing, 5e-2, 4e-3}, // h 0.6, order 6: 2.2e-2, 1.8e-3
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			y := make([]float64, 2*tc.n)
			for i := 0; i < tc.n; i++ {
				c := float64(i % 7)
				y[2*i] = tc.spread * (math.Cos(c) + 0.1*rng.NormFloat64())
				y[2*i+1] = tc.spread * (math.Sin(c) + 0.1*rng.NormFloat64())
			}
			ex := make([]float64, 2*tc.n)
			zEx := exactRepulsion(y, tc.n, ex)
			var fr fftRepulsion
			fr.grid.maxSpacing = tc.h
			fr.grid.order = tc.order
			ap := make([]float64, 2*tc.n)
			zAp := fftRepulsionCompute(&fr, y, tc.n, ap)
			var num, den float64
			for i := range ex {
				num += (ex[i] - ap[i]) * (ex[i] - ap[i])
				den += ex[i] * ex[i]
			}
			relF := math.Sqrt(num / den)
			relZ := math.Abs(zAp-zEx) / zEx
			t.Logf("%s: grid %d h %.3g: force rel err %.2e, Z rel err %.2e", tc.name, fr.grid.g, fr.grid.h, relF, relZ)
			if relF > tc.tolF || relZ > tc.tolZ {
				t.Errorf("force rel err %.3g (want ≤ %g), Z rel err %.3g (want ≤ %g)", relF, tc.tolF, relZ, tc.tolZ)
			}
		})
	}
}

func fftRepulsionCompute(f *fftRepulsion, y []float64, n int, rep []float64) float64 {
	return f.compute(y, n, rep)
}

func BenchmarkGridRepulsion10k(b *testing.B) {
	n := 10000
	rng := rand.New(rand.NewPCG(1, 2))
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = 15 * rng.NormFloat64()
	}
	// Spread 15 gives an extent near 120, as MNIST-10k late in the run.
	var fr fftRepulsion
	fr.grid.maxSpacing = DefaultTSNE.GridSpacing
	fr.grid.order = DefaultTSNE.GridOrder
	rep := make([]float64, 2*n)
	fr.compute(y, n, rep)
	b.Logf("grid %d", fr.grid.g)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		y[0] += 1e-9 // keep the spacing cache valid
		fr.compute(y, n, rep)
	}
}
