package embed

import (
	"context"
	"testing"
)

// bruteRef is the O(n²) reference kNN with the package's tie order.
func bruteRef(x []float32, n, d, k int) *neighbors {
	nb, err := knnBrute(context.Background(), x, n, d, k)
	if err != nil {
		panic(err)
	}
	return nb
}

// TestKNNPrunedIsExact: the PCA-bound pruned search returns the brute-force
// neighbours (same sets; distances to 1e-9 relative).
func TestKNNPrunedIsExact(t *testing.T) {
	n, d, k := 600, 120, 30
	x, _ := clusters(n, d, 6, 11)
	p, err := PCA(x, n, d, 20)
	if err != nil {
		t.Fatal(err)
	}
	var st knnStats
	got, err := knnPruned(context.Background(), x, n, d, k, newProjected(x, n, d, p), &st)
	if err != nil {
		t.Fatal(err)
	}
	want := bruteRef(x, n, d, k)
	for i := 0; i < n; i++ {
		for q := 0; q < k; q++ {
			a, b := got.d2[i*k+q], want.d2[i*k+q]
			if diff := a - b; diff > 1e-9*b || diff < -1e-9*b {
				t.Fatalf("point %d neighbour %d: d² %v, brute force %v", i, q, a, b)
			}
		}
	}
	t.Logf("exact distance evaluations per point: %.1f of %d", float64(st.ExactEvals)/float64(n), n-1)
}

// TestKNNApproxRecall: the random-projection forest with refinement finds
// most true neighbours on clustered data. The threshold 0.95 is below the
// 0.99+ measured here; on MNIST test (784-d, k=90) recall was 0.912.
func TestKNNApproxRecall(t *testing.T) {
	n, d, k := 3000, 40, 30
	x, _ := clusters(n, d, 20, 12)
	p, err := PCA(x, n, d, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := knnApprox(context.Background(), x, n, d, k, newProjected(x, n, d, p), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := bruteRef(x, n, d, k)
	hit := 0
	for i := 0; i < n; i++ {
		set := map[int32]bool{}
		for _, j := range want.idx[i*k : (i+1)*k] {
			set[j] = true
		}
		for q, j := range got.idx[i*k : (i+1)*k] {
			if set[j] {
				hit++
			}
			if int(j) == i {
				t.Fatalf("point %d is its own neighbour", i)
			}
			if q > 0 && got.d2[i*k+q] < got.d2[i*k+q-1] {
				t.Fatalf("point %d: neighbours not sorted", i)
			}
		}
	}
	recall := float64(hit) / float64(n*k)
	t.Logf("recall@%d = %.4f", k, recall)
	if recall < 0.95 {
		t.Errorf("recall %.4f < 0.95", recall)
	}
}
