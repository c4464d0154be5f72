package engine

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPadConstantRandom checks constant padding (the row-copy path for
// float32 with pads ≥ 0) against its definition on random ranks, shapes
// and pads, zero-sized axes included.
func TestPadConstantRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 200; trial++ {
		r := 1 + rng.IntN(4)
		xs := make([]int, r)
		pads := make([]int64, 2*r)
		ys := make([]int, r)
		for d := range xs {
			xs[d] = rng.IntN(4)
			pads[d], pads[d+r] = int64(rng.IntN(3)), int64(rng.IntN(3))
			ys[d] = xs[d] + int(pads[d]+pads[d+r])
		}
		x := NewFloat(xs, randSlice(rng, numel(xs)))
		y, err := pad(x, pads, padConstant, 2.5, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y.Shape, ys) {
			t.Fatalf("shape %v, want %v", y.Shape, ys)
		}
		xst, yst := strides(xs), strides(ys)
		for o := range y.F {
			src, inside := 0, true
			for d := range ys {
				i := o/yst[d]%ys[d] - int(pads[d])
				if i < 0 || i >= xs[d] {
					inside = false
					break
				}
				src += i * xst[d]
			}
			want := float32(2.5)
			if inside {
				want = x.F[src]
			}
			if y.F[o] != want {
				t.Fatalf("trial %d: x %v pads %v: element %d is %v, want %v", trial, xs, pads, o, y.F[o], want)
			}
		}
	}
}
