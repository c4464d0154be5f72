package embed

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAttractRowsSameBits: attractRows (the AVX2 assembly where the CPU has
// it) gives attractRowsGo's bits, on rows of 0 to 13 edges (every tail
// length of the four-edge steps), for any range of rows.
func TestAttractRowsSameBits(t *testing.T) {
	if !attractAsm {
		t.Skip("no assembly on this CPU or build")
	}
	r := rand.New(rand.NewPCG(5, 6))
	n := 300
	p := &sparseP{n: n, rowPtr: make([]int, n+1)}
	for i := 0; i < n; i++ {
		for k := r.IntN(14); k > 0; k-- {
			p.col = append(p.col, int32(r.IntN(n)))
			p.val = append(p.val, r.Float64()/float64(n))
		}
		p.rowPtr[i+1] = len(p.col)
	}
	y := make([]float64, 2*n)
	for i := range y {
		y[i] = 20 * r.NormFloat64()
	}
	y[7] = y[2*int(p.col[0])+1] // a zero difference
	for _, rg := range [][2]int{{0, n}, {5, 6}, {17, 250}, {n - 1, n}} {
		want := make([]float64, 2*n)
		got := make([]float64, 2*n)
		for i := range want {
			want[i] = float64(i) * 0.25
			got[i] = want[i]
		}
		attractRowsGo(p, y, 12, want, rg[0], rg[1])
		attractRows(p, y, 12, got, rg[0], rg[1])
		for i := range want {
			if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
				t.Fatalf("rows %v: grad[%d] = %v, Go gives %v", rg, i, got[i], want[i])
			}
		}
	}
	// A P without edges leaves grad as it was.
	empty := &sparseP{n: 2, rowPtr: make([]int, 3)}
	g := []float64{1, 2, 3, 4}
	attractRows(empty, y[:4], 1, g, 0, 2)
	if g[0] != 1 || g[3] != 4 {
		t.Errorf("empty P changed grad: %v", g)
	}
}
