package engine

import (
	"fmt"
	"github.com/conceptcells/conceptcells/internal/kernels"
	"math"
	"math/rand/v2"
	"slices"
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
		if !slices.Equal(got.Shape, append([]int{N, M}, outSp...)) {
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

// TestPoolRandomVsNaive compares MaxPool and AveragePool (2-D) with their
// definitions on random windows: pads, strides, dilations, ceil mode and
// count_include_pad (the divisor counts taps inside the padded input but
// never those a ceil-mode window adds past the end padding).
func TestPoolRandomVsNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 80; trial++ {
		H, W := 2+rng.IntN(9), 2+rng.IntN(9)
		k := []int{1 + rng.IntN(3), 1 + rng.IntN(3)}
		st := []int{1 + rng.IntN(3), 1 + rng.IntN(3)}
		dl := []int{1 + rng.IntN(2), 1 + rng.IntN(2)}
		pb := []int{rng.IntN(k[0]), rng.IntN(k[1])}
		pe := []int{rng.IntN(k[0]), rng.IntN(k[1])}
		ceil := rng.IntN(2) == 0
		incl := rng.IntN(2) == 0
		kind := poolKind(rng.IntN(2))
		if kind == poolAvg {
			dl = []int{1, 1}
		}
		for d, in := range []int{H, W} {
			if ext := dl[d]*(k[d]-1) + 1; in+pb[d]+pe[d] < ext {
				k[d] = 1
			}
		}
		x := NewFloat([]int{2, 3, H, W}, randSlice(rng, 6*H*W))
		a := poolAttrs{kind: kind, countIncludePad: incl}
		a.kernel = []int64{int64(k[0]), int64(k[1])}
		a.strides = []int64{int64(st[0]), int64(st[1])}
		a.dilations = []int64{int64(dl[0]), int64(dl[1])}
		a.pads = []int64{int64(pb[0]), int64(pb[1]), int64(pe[0]), int64(pe[1])}
		a.ceil = ceil
		got, err := pool(x, a, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		var out [2]int
		for d, in := range []int{H, W} {
			span := in + pb[d] + pe[d] - (dl[d]*(k[d]-1) + 1)
			if ceil {
				out[d] = (span+st[d]-1)/st[d] + 1
				if (out[d]-1)*st[d] >= in+pb[d] {
					out[d]--
				}
			} else {
				out[d] = span/st[d] + 1
			}
		}
		desc := fmt.Sprintf("trial %d: kind %d %dx%d k %v s %v d %v pads %v/%v ceil %v incl %v", trial, kind, H, W, k, st, dl, pb, pe, ceil, incl)
		if !slices.Equal(got.Shape, []int{2, 3, out[0], out[1]}) {
			t.Fatalf("%s: shape %v, want %v", desc, got.Shape, out)
		}
		for pl := 0; pl < 6; pl++ {
			for oh := 0; oh < out[0]; oh++ {
				for ow := 0; ow < out[1]; ow++ {
					m, s, n, padded := math.Inf(-1), 0.0, 0, 0
					for kh := 0; kh < k[0]; kh++ {
						for kw := 0; kw < k[1]; kw++ {
							ih := oh*st[0] - pb[0] + kh*dl[0]
							iw := ow*st[1] - pb[1] + kw*dl[1]
							if ih >= -pb[0] && ih < H+pe[0] && iw >= -pb[1] && iw < W+pe[1] {
								padded++
							}
							if ih < 0 || ih >= H || iw < 0 || iw >= W {
								continue
							}
							v := float64(x.F[(pl*H+ih)*W+iw])
							m = max(m, v)
							s += v
							n++
						}
					}
					want := m
					if kind == poolAvg {
						if incl {
							n = padded
						}
						want = s / float64(n)
					}
					g := float64(got.F[(pl*out[0]+oh)*out[1]+ow])
					if math.Abs(g-want) > 1e-5*(1+math.Abs(want)) {
						t.Fatalf("%s: plane %d (%d,%d) got %v, want %v", desc, pl, oh, ow, g, want)
					}
				}
			}
		}
	}
}

// One image alone takes other paths than the same image in a batch: its
// column panels are shared by the workers (read as runs or gathered a
// block at a time), or, with few positions and many channels, it is
// computed as Yᵀ = Xcolᵀ·Wᵀ on all workers (in a batch, on one per image).
// Each output must be the same bits either way, the same as Y = W·Xcol, and
// close to the defining sum.
func TestConvBatchOneSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, tc := range []struct {
		name    string
		x, w    []int
		stride  int
		pad     int
		bias    bool
		relu    bool
		transp  bool // takes runTransposed at batch 1
		workers int
	}{
		{"transposed 7×7 with bias and relu", []int{2, 20, 7, 7}, []int{70, 20, 3, 3}, 1, 1, true, true, true, 2},
		{"transposed stride 2, no bias", []int{2, 16, 9, 9}, []int{64, 16, 3, 3}, 2, 0, false, false, true, 2},
		{"transposed, 576 taps in K blocks", []int{2, 64, 6, 6}, []int{80, 64, 3, 3}, 1, 1, true, false, true, 3},
		{"transposed 1×1, 2048 taps", []int{2, 2048, 2, 3}, []int{96, 2048, 1, 1}, 1, 0, true, true, true, 2},
		{"runs, split columns", []int{2, 8, 16, 16}, []int{24, 8, 3, 3}, 1, 1, true, true, false, 2},
		{"runs on a grid widened 15×15 → 16×16, 360 taps", []int{2, 40, 15, 15}, []int{20, 40, 3, 3}, 1, 1, true, false, false, 2},
		{"gathered blocks, stride 2, 360 taps", []int{2, 40, 31, 31}, []int{20, 40, 3, 3}, 2, 1, true, false, false, 2},
		{"gathered, one worker", []int{2, 5, 13, 11}, []int{10, 5, 3, 3}, 1, 0, false, true, false, 1},
		{"runs on rows widened 14 → 16", []int{2, 16, 14, 14}, []int{32, 16, 3, 3}, 1, 1, true, true, false, 2},
		{"runs on a grid widened 7×7 → 8×8", []int{2, 8, 7, 7}, []int{24, 8, 3, 3}, 1, 1, true, false, false, 2},
		{"runs widened, one worker, 300 taps", []int{2, 12, 28, 28}, []int{20, 12, 5, 5}, 1, 2, false, true, false, 1},
		// Yᵀ straight from the image where the CPU allows (otherwise runs
		// or gathered): the workers share the positions (one pair of
		// weight panels), or the pairs (five, 130 channels padded to 160).
		{"32 channels, positions shared", []int{2, 16, 17, 17}, []int{32, 16, 3, 3}, 1, 1, true, true, false, 2},
		{"130 channels, pairs shared, stride 2", []int{2, 24, 20, 20}, []int{130, 24, 3, 3}, 2, 1, true, true, true, 2},
		{"40 channels 1×1, 300 taps", []int{2, 300, 9, 9}, []int{40, 300, 1, 1}, 1, 0, false, false, false, 2},
	} {
		x := NewFloat(tc.x, randSlice(rng, numel(tc.x)))
		w := NewFloat(tc.w, randSlice(rng, numel(tc.w)))
		var b *Tensor
		var bias []float32
		if tc.bias {
			bias = randSlice(rng, tc.w[0])
			b = NewFloat([]int{tc.w[0]}, bias)
		}
		a := spatialAttrs{strides: []int64{int64(tc.stride), int64(tc.stride)}, pads: []int64{int64(tc.pad), int64(tc.pad), int64(tc.pad), int64(tc.pad)}}
		plan, err := newConvPlan(w, b, 1, a)
		if err != nil {
			t.Fatal(err)
		}
		ws := make([]*workspace, tc.workers)
		for i := range ws {
			ws[i] = &workspace{}
		}
		var ar arena
		both, err := plan.run(x, &ar, ws, tc.relu)
		if err != nil {
			t.Fatal(err)
		}
		per := numel(both.Shape[1:])
		P := numel(both.Shape[2:])
		// Where the patches can be read straight from the image, every
		// convolution of 32 channels or more takes Yᵀ = Xcolᵀ·Wᵀ, 1×1 ones
		// only on small grids.
		wantT := tc.transp || (kernels.DirectTSupported() && tc.w[0] >= 32 && (numel(tc.w[2:]) > 1 || P <= 1024))
		if got := transposed(P, tc.w[0], numel(tc.w[1:]), numel(tc.w[2:])); got != wantT {
			t.Fatalf("%s: transposed(%d, %d, %d, %d) = %v, want %v", tc.name, P, tc.w[0], numel(tc.w[1:]), numel(tc.w[2:]), got, wantT)
		}
		if wantT {
			// The batch takes Yᵀ = Xcolᵀ·Wᵀ per image too; Y = W·Xcol
			// must give the same bits.
			// So must Yᵀ from gathered patches where they were read
			// straight from the image.
			for _, route := range []struct {
				name string
				flag *bool
			}{{"Y = W·Xcol", &noTransposed}, {"Yᵀ = Xcolᵀ·Wᵀ gathered", &gatherT}} {
				*route.flag = true
				other, err := plan.run(x, &ar, ws, tc.relu)
				*route.flag = false
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range other.F {
					if math.Float32bits(v) != math.Float32bits(both.F[i]) {
						t.Fatalf("%s: output %d = %v as %s, %v as Yᵀ = Xcolᵀ·Wᵀ", tc.name, i, v, route.name, both.F[i])
					}
				}
			}
		}
		outSp := both.Shape[2:]
		want := naiveConv(x, w.F, tc.w, bias, 1, []int{tc.stride, tc.stride}, []int{1, 1}, []int{tc.pad, tc.pad}, outSp)
		for n := 0; n < 2; n++ {
			one := NewFloat(append([]int{1}, tc.x[1:]...), x.F[n*numel(tc.x[1:]):(n+1)*numel(tc.x[1:])])
			alone, err := plan.run(one, &ar, ws, tc.relu)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range alone.F {
				if math.Float32bits(v) != math.Float32bits(both.F[n*per+i]) {
					t.Fatalf("%s: image %d output %d alone %v, in the batch %v", tc.name, n, i, v, both.F[n*per+i])
				}
				ref := want[n*per+i]
				if tc.relu {
					ref = max(ref, 0)
				}
				if math.Abs(float64(v-ref)) > 1e-4*(1+math.Abs(float64(ref)))*math.Sqrt(float64(numel(tc.w[1:]))) {
					t.Fatalf("%s: image %d output %d = %v, defining sum %v", tc.name, n, i, v, ref)
				}
			}
		}
	}
}

// The 3×3, stride-1, pad-1 max pool of whole planes (maxPool3x3Same)
// equals the definition, the maximum over the taps inside the plane, NaN
// propagating, on planes from 2×2 up, with and without a fused ReLU.
func TestMaxPool3x3Same(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, hw := range [][2]int{{2, 2}, {2, 5}, {3, 3}, {7, 7}, {14, 14}, {5, 9}} {
		H, W := hw[0], hw[1]
		x := NewFloat([]int{2, 3, H, W}, randSlice(rng, 6*H*W))
		x.F[H*W+W+1] = float32(math.NaN()) // an inner tap of plane 1
		a := poolAttrs{kind: poolMax}
		a.kernel = []int64{3, 3}
		a.strides = []int64{1, 1}
		a.pads = []int64{1, 1, 1, 1}
		win, err := makeWindow(x.Shape[2:], []int{3, 3}, a.spatialAttrs)
		if err != nil || !sameMax3x3(&win) {
			t.Fatalf("%d×%d: window %+v not taken as the 3×3 same pool (%v)", H, W, win, err)
		}
		for _, relu := range []bool{false, true} {
			var ar arena
			y, err := pool(x, a, &ar, relu)
			if err != nil {
				t.Fatal(err)
			}
			for pl := 0; pl < 6; pl++ {
				for r := 0; r < H; r++ {
					for c := 0; c < W; c++ {
						want := float32(math.Inf(-1))
						for dr := -1; dr <= 1; dr++ {
							for dc := -1; dc <= 1; dc++ {
								if rr, cc := r+dr, c+dc; rr >= 0 && rr < H && cc >= 0 && cc < W {
									want = kernels.MaxNaN(x.F[pl*H*W+rr*W+cc], want)
								}
							}
						}
						if relu {
							want = max(want, 0)
						}
						got := y.F[pl*H*W+r*W+c]
						if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
							t.Fatalf("%d×%d relu %v: plane %d (%d,%d) = %v, want %v", H, W, relu, pl, r, c, got, want)
						}
					}
				}
			}
		}
	}
}

// Depthwise convolutions a tap at a time over whole planes (stride 1 or 2,
// no dilation, 2-D) give the bits of the row-by-row path and the defining
// sum: MobileNet's 3×3 layers, a 5×5 stride-2 one, asymmetric and no
// padding, odd and even sizes, channel multipliers, with and without bias
// and fused ReLU, batch 1 and 2.
func TestDepthwisePlaneSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 30))
	for _, tc := range []struct {
		n, c, mult, h, w, k, s int
		pads                   []int64
	}{
		{1, 8, 1, 14, 14, 3, 1, []int64{1, 1, 1, 1}},
		{2, 5, 1, 15, 13, 3, 2, []int64{1, 1, 1, 1}},
		{1, 4, 2, 9, 10, 5, 2, []int64{2, 2, 2, 2}},
		{1, 3, 1, 7, 7, 3, 1, []int64{0, 0, 0, 0}},
		{2, 6, 3, 8, 11, 3, 2, []int64{0, 1, 2, 0}},
		{1, 2, 1, 2, 2, 3, 1, []int64{1, 1, 1, 1}},
		{2, 3, 1, 10, 9, 3, 2, []int64{0, 0, 1, 1}},
		{1, 4, 1, 35, 37, 3, 2, []int64{1, 1, 1, 1}},
	} {
		for _, withBias := range []bool{false, true} {
			x := NewFloat([]int{tc.n, tc.c, tc.h, tc.w}, randSlice(rng, tc.n*tc.c*tc.h*tc.w))
			x.F[3] = float32(math.NaN())
			M := tc.c * tc.mult
			wshape := []int{M, 1, tc.k, tc.k}
			w := NewFloat(wshape, randSlice(rng, numel(wshape)))
			var b *Tensor
			var bias []float32
			if withBias {
				bias = randSlice(rng, M)
				b = NewFloat([]int{M}, bias)
			}
			a := spatialAttrs{strides: []int64{int64(tc.s), int64(tc.s)}, pads: tc.pads}
			plan, err := newConvPlan(w, b, tc.c, a)
			if err != nil {
				t.Fatal(err)
			}
			relu := withBias
			var ar arena
			ws := []*workspace{{}, {}}
			got, err := plan.run(x, &ar, ws, relu)
			if err != nil {
				t.Fatal(err)
			}
			depthwiseByRows = true
			rows, err := plan.run(x, &ar, ws, relu)
			depthwiseByRows = false
			if err != nil {
				t.Fatal(err)
			}
			desc := fmt.Sprintf("%+v bias %v", tc, withBias)
			want := naiveConv(x, w.F, wshape, bias, tc.c, []int{tc.s, tc.s}, []int{1, 1}, []int{int(tc.pads[0]), int(tc.pads[1])}, got.Shape[2:])
			for i, v := range got.F {
				if math.Float32bits(v) != math.Float32bits(rows.F[i]) {
					t.Fatalf("%s: output %d = %v over whole planes, %v by rows", desc, i, v, rows.F[i])
				}
				ref := want[i]
				if relu {
					ref = max(ref, 0)
				}
				if v != v || ref != ref {
					if (v != v) != (ref != ref) {
						t.Fatalf("%s: output %d = %v, defining sum %v", desc, i, v, ref)
					}
					continue
				}
				if math.Abs(float64(v-ref)) > 1e-5*(1+math.Abs(float64(ref))) {
					t.Fatalf("%s: output %d = %v, defining sum %v", desc, i, v, ref)
				}
			}
		}
	}
}
