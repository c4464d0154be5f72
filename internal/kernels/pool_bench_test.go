package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMaxPoolGrad times the trainer's conv1 pool gradient (128×10
// planes of 24×24, fused ReLU).
func BenchmarkMaxPoolGrad(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const planes, H, W = 1280, 24, 24
	x, dy := randSlice(rng, planes*H*W), randSlice(rng, planes*H*W/4)
	dx := make([]float32, len(x))
	for i := 0; i < b.N; i++ {
		MaxPool2x2GradPlanes(dx, x, dy, 0, planes, H, W, true)
	}
}
