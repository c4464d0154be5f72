package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is the defining sum of ONNX Conv in float64, for any spatial
// rank, with explicit pads.
func naiveConv(x *Tensor, w []float32, wshape []int, bias []float32, group int, strides, dil, padB []int, outSp []int) []float32 {
	N, C := x.Shape[0], x.Shape[1]
	M := wshape[0]
	cg := C / group
	mg := M / group
	r := len(outSp)
	inSp := x.Shape[2:]
	ksp := wshape[2:]
	out := make([]float32, N*M*numel(outSp))
	oidx := make([]int, r)
	kidx := make([]int, r)
	for n := 0; n < N; n++ {
		for m := 0; m < M; m++ {
			g := m / mg
			for o := 0; o < numel(outSp); o++ {
				rem := o
				for d := r - 1; d >= 0; d-- {
					oidx[d] = rem % outSp[d]
					rem /= outSp[d]
				}
				s := 0.0
				if bias != nil {
					s = float64(bias[m])
				}
				for c := 0; c < cg; c++ {
					for k := 0; k < numel(ksp); k++ {
						rem := k
						for d := r - 1; d >= 0; d-- {
							kidx[d] = rem % ksp[d]
							rem /= ksp[d]
						}
						xi := 0
						inside := true
						for d := 0; d < r; d++ {
							p := oidx[d]*strides[d] - padB[d] + kidx[d]*dil[d]
							if p < 0 || p >= inSp[d] {
								inside = false
								break
							}
							xi = xi*inSp[d] + p
						}
						if !inside {
							continue
						}
						xv := x.F[(n*C+g*cg+c)*numel(inSp)+xi]
						wv := w[(m*cg+c)*numel(ksp)+k]
						s += float64(xv) * float64(wv)
					}
				}
				out[(n*M+m)*numel(outSp)+o] = float32(s)
			}
		}
	}
	return out
}

// TestConvRandomVsNaive compares the im2col/GEMM and depthwise paths with
// the defining sum on random configurations: ranks 1–3, strides, dilations,
// asymmetric pads, groups (including depthwise with multipliers), batch 1
// (column-panel split) and larger (image split), with and without bias and
// fused Relu. Tolerance 1e-4·(1 + |ref|).
func TestConvRandomVsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 60; trial++ {
		r := 1 + rng.IntN(3)
		group := []int{1, 1, 2, 3}[rng.IntN(4)]
		cg := 1 + rng.IntN(3)
		mg := 1 + rng.IntN(4)
		if trial%5 == 0 { // depthwise
			cg, group = 1, 2+rng.IntN(4)
		}
		N := []int{1, 2, 5}[rng.IntN(3)]
		C, M := cg*group, mg*group
		inSp := make([]int, r)
		k := make([]int, r)
		st, dl, pb, pe, outSp := make([]int, r), make([]int, r), make([]int, r), make([]int, r), make([]int, r)
		for d := 0; d < r; d++ {
			inSp[d] = 3 + rng.IntN(9-2*r)
			k[d] = 1 + rng.IntN(3)
			st[d] = 1 + rng.IntN(2)
			dl[d] = 1 + rng.IntN(2)
			pb[d], pe[d] = rng.IntN(2), rng.IntN(3)
			ext := dl[d]*(k[d]-1) + 1
			if inSp[d]+pb[d]+pe[d] < ext {
				inSp[d] = ext
			}
			outSp[d] = (inSp[d]+pb[d]+pe[d]-ext)/st[d] + 1
		}
		x := NewFloat(append([]int{N, C}, inSp...), randSlice(rng, N*C*numel(inSp)))
		wshape := append([]int{M, cg}, k...)
		w := NewFloat(wshape, randSlice(rng, numel(wshape)))
		var b *Tensor
		var bias []float32
		if rng.IntN(2) == 0 {
			bias = randSlice(rng, M)
			b = NewFloat([]int{M}, bias)
		}
		a := spatialAttrs{}
		for d := 0; d < r; d++ {
			a.strides = append(a.strides, int64(st[d]))
			a.dilations = append(a.dilations, int64(dl[d]))
		}
		for _, v := range pb {
			a.pads = append(a.pads, int64(v))
		}
		for _, v := range pe {
			a.pads = append(a.pads, int64(v))
		}
		plan, err := newConvPlan(w, b, group, a)
		if err != nil {
			t.Fatal(err)
		}
		relu := rng.IntN(3) == 0
		var ar arena
		got, err := plan.run(x, &ar, []*workspace{{}, {}, {}}, relu)
		if err != nil {
			t.Fatal(err)
		}
		want := naiveConv(x, w.F, wshape, bias, group, st, dl, pb, outSp)
		desc := fmt.Sprintf("trial %d: x %v w %v group %d strides %v dil %v pads %v/%v relu %v", trial, x.Shape, wshape, group, st, dl, pb, pe, relu)
		if !sameShape(got.Shape, append([]int{N, M}, outSp...)) {
			t.Fatalf("%s: shape %v, want %v", desc, got.Shape, append([]int{N, M}, outSp...))
		}
		for i, v := range want {
			if relu {
				v = max(v, 0)
			}
			if math.Abs(float64(got.F[i]-v)) > 1e-4*(1+math.Abs(float64(v))) {
				t.Fatalf("%s: element %d got %v, want %v", desc, i, got.F[i], v)
			}
		}
	}
}
