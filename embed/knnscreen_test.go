package embed

import (
	"context"
	"math"
	"testing"
)

// TestKNNScreenedSameAsPruned: the GEMM-screened search returns exactly
// the neighbours and distances of the PCA-pruned one (same bits, ties by
// index), on clustered data with duplicated rows, rows on a lattice (many
// tied distances), and data with a large offset (norms ~10⁴, where the
// Gram identity loses most digits).
func TestKNNScreenedSameAsPruned(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset float32
		dup    bool
		grid   bool
	}{{"clusters", 0, false, false}, {"duplicates", 0, true, false}, {"lattice", 0, false, true}, {"offset", 300, false, false}} {
		n, d, k := 700, 100, 25
		x, _ := clusters(n, d, 7, 13)
		for i := range x {
			if tc.grid {
				x[i] = float32(math.Round(float64(x[i])))
			}
			x[i] += tc.offset
		}
		if tc.dup {
			for i := 0; i < n; i += 10 {
				copy(x[(i+1)*d:(i+2)*d], x[i*d:(i+1)*d])
			}
		}
		p, err := PCA(x, n, d, 20)
		if err != nil {
			t.Fatal(err)
		}
		want, err := knnPruned(context.Background(), x, n, d, k, newProjected(x, n, d, p), nil)
		if err != nil {
			t.Fatal(err)
		}
		var st knnStats
		got, err := knnScreened(context.Background(), x, n, d, k, &st)
		if err != nil {
			t.Fatal(err)
		}
		for i := range want.idx {
			if got.idx[i] != want.idx[i] || math.Float64bits(got.d2[i]) != math.Float64bits(want.d2[i]) {
				t.Fatalf("%s: point %d neighbour %d: %d at %v, pruned search %d at %v", tc.name, i/k, i%k, got.idx[i], got.d2[i], want.idx[i], want.d2[i])
			}
		}
		t.Logf("%s: exact distance evaluations per point: %.1f of %d", tc.name, float64(st.ExactEvals)/float64(n), n-1)
	}
}
