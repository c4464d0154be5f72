package kernels

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// The im2col gather, straight into the packed layout, equals im2col by
// definition then PackB; with the offset roles swapped it is the packed
// transpose; Col2im adds every column back where it came from.
func TestConv2DIm2col(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, d := range []Conv2D{{C: 1, H: 28, W: 28, KH: 5, KW: 5}, {C: 10, H: 12, W: 12, KH: 5, KW: 5}, {C: 3, H: 7, W: 9, KH: 2, KW: 3}, {C: 2, H: 4, W: 4, KH: 4, KW: 4}} {
		oh, ow := d.Out()
		p, taps := oh*ow, d.Taps()
		x := randSlice(rng, d.C*d.H*d.W)
		col := make([]float32, taps*p) // col[(c·KH+i)·KW+j, oy·OW+ox] = x[c, oy+i, ox+j]
		for c := 0; c < d.C; c++ {
			for i := 0; i < d.KH; i++ {
				for j := 0; j < d.KW; j++ {
					for oy := 0; oy < oh; oy++ {
						for ox := 0; ox < ow; ox++ {
							col[((c*d.KH+i)*d.KW+j)*p+oy*ow+ox] = x[(c*d.H+oy+i)*d.W+ox+j]
						}
					}
				}
			}
		}
		tap, pos := d.Offsets(nil, nil)
		want := PackB(nil, false, taps, p, col, p)
		got := GatherPacked(make([]float32, PackedBSize(taps, p)), x, tap, pos, p, 0, want.Panels())
		for i := 0; i < taps; i++ {
			for q := 0; q < want.Panels(); q++ {
				for j := 0; j < NR && q*NR+j < p; j++ {
					if g, w := got.Data[q*NR*taps+i*NR+j], want.Data[q*NR*taps+i*NR+j]; g != w {
						t.Fatalf("%+v: B[%d, %d] = %v, want %v", d, i, q*NR+j, g, w)
					}
				}
			}
		}
		tapPad := make([]int32, RoundUp(taps, NR))
		copy(tapPad, tap)
		wantT := PackB(nil, true, p, taps, col, p)
		gotT := GatherPacked(make([]float32, PackedBSize(p, taps)), x, pos[:p], tapPad, taps, 0, wantT.Panels())
		for i, v := range wantT.Data {
			if q, j := i/(NR*p), i%NR; q*NR+j < taps && gotT.Data[i] != v {
				t.Fatalf("%+v: transposed gather differs at %d: %v, want %v", d, i, gotT.Data[i], v)
			}
		}
		dx := make([]float32, len(x))
		d.Col2im(dx, col)
		want2 := make([]float32, len(x))
		for l := 0; l < taps; l++ {
			for j := 0; j < p; j++ {
				want2[int(tap[l])+int(pos[j])] += col[l*p+j]
			}
		}
		for i := range dx {
			if dx[i] != want2[i] {
				t.Fatalf("%+v: col2im dx[%d] = %v, want %v", d, i, dx[i], want2[i])
			}
		}
	}
}

// Offsets that would read outside the image are refused before any load.
func TestGatherPackedBounds(t *testing.T) {
	defer func() {
		if r, _ := recover().(string); !strings.Contains(r, "outside input") {
			t.Errorf("recovered %q, want an out-of-input panic", r)
		}
	}()
	src := make([]float32, 20)
	pos := make([]int32, NR)
	pos[3] = 15
	GatherPacked(make([]float32, PackedBSize(2, 4)), src, []int32{0, 5}, pos, 4, 0, 1)
}

// GatherPackedA writes A[i, l] = src[kOff[l] + nOff[i]] in the PackedA
// layout, for consecutive (run) and scattered row offsets, full and short
// last panels, and panel ranges.
func TestGatherPackedA(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	src := randSlice(rng, 500)
	for _, m := range []int{1, 4, 6, 11, 13, 49} {
		for _, stride := range []int32{1, 2} {
			kOff := []int32{0, 3, 40, 41, 100}
			nOff := make([]int32, m)
			for i := range nOff {
				nOff[i] = int32(i) * stride
				if stride == 1 && i >= 7 {
					nOff[i] += 5 // a second output row
				}
			}
			k := len(kOff)
			dst := make([]float32, PackedASize(m, k))
			panels := (m + MR - 1) / MR
			GatherPackedA(dst, src, kOff, nOff, m, 0, panels/2)
			pa := GatherPackedA(dst, src, kOff, nOff, m, panels/2, panels)
			for p := 0; p < panels; p++ {
				panel, h := pa.Panel(p)
				for l := 0; l < k; l++ {
					for i := 0; i < h; i++ {
						r := p*MR + i
						if r >= m {
							r = 0
						}
						if got, want := panel[l*h+i], src[kOff[l]+nOff[r]]; got != want {
							t.Fatalf("m=%d stride=%d: A[%d,%d] = %v, want %v", m, stride, p*MR+i, l, got, want)
						}
					}
				}
			}
		}
	}
}

// Panels whose columns step by 2 along one run (stride-2 windows) are
// gathered as such (assembly where the CPU has it, and the Go loop), equal
// to the element-by-element gather, including a last panel too close to
// the end of the input for the 32-float read.
func TestGatherPackedStride2(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	orig := gatherStride2
	defer func() { gatherStride2 = orig }()
	const n = 48 // three panels of 16 outputs, each along one row
	kOff := []int32{0, 1, 2*n + 8, 2*n + 9, 2 * (2*n + 8)}
	nOff := make([]int32, n)
	for j := range nOff {
		nOff[j] = int32(2*j) + 7
	}
	// Just long enough for the last element used: the last tap's last
	// panel is gathered one by one.
	src := randSlice(rng, int(kOff[len(kOff)-1]+nOff[n-1])+1)
	k := len(kOff)
	for _, f := range []func([]float32, unsafe.Pointer, []int32, int32){orig, gatherStride2Go} {
		gatherStride2 = f
		pb := GatherPacked(make([]float32, PackedBSize(k, n)), src, kOff, nOff, n, 0, n/NR)
		for l := 0; l < k; l++ {
			for j := 0; j < n; j++ {
				got := pb.Data[(j/NR)*NR*k+l*NR+j%NR]
				if want := src[kOff[l]+nOff[j]]; got != want {
					t.Fatalf("B[%d,%d] = %v, want %v", l, j, got, want)
				}
			}
		}
	}
}
