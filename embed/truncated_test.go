package embed

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// lowRankData returns an n×d matrix with a decaying spectrum: r latent
// factors with standard deviations 10·0.9^i plus isotropic noise of
// standard deviation 0.05, the shape of a network layer's activations.
func lowRankData(n, d, r int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	load := make([]float64, r*d)
	for i := range load {
		load[i] = rng.NormFloat64() / math.Sqrt(float64(d))
	}
	x := make([]float32, n*d)
	f := make([]float64, r)
	for i := 0; i < n; i++ {
		for k := range f {
			f[k] = 10 * math.Pow(0.9, float64(k)) * rng.NormFloat64()
		}
		for j := 0; j < d; j++ {
			v := 0.05 * rng.NormFloat64()
			for k := range f {
				v += f[k] * load[k*d+j]
			}
			x[i*d+j] = float32(v)
		}
	}
	return x
}

// TestTruncatedPCAMatchesExact compares the randomized PCA with the exact
// one on 400×300 data of rank-60 signal (slowly decaying, 0.9 per
// factor) plus noise, for 10 components: the explained-variance ratios
// agree to 1e-8 of the first ratio, and the largest principal angle
// between the two 10-dimensional component subspaces is under 0.05°. The
// tolerances are ~20–40× the errors seen (1e-10 and 0.0013°; default 10
// extra directions, four power iterations).
func TestTruncatedPCAMatchesExact(t *testing.T) {
	const n, d, k = 400, 300, 10
	x := lowRankData(n, d, 60, 7)
	exact, err := PCA(x, n, d, k)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	got, err := TruncatedPCA(context.Background(), x, n, d, k, TruncatedOptions{Seed: 3, Progress: &log})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got.TotalVariance-exact.TotalVariance) > 1e-9*exact.TotalVariance {
		t.Errorf("total variance %g, exact %g", got.TotalVariance, exact.TotalVariance)
	}
	worst := 0.0
	for c := 0; c < k; c++ {
		worst = max(worst, math.Abs(got.ExplainedVarianceRatio[c]-exact.ExplainedVarianceRatio[c]))
	}
	t.Logf("max |ratio − exact| = %.3g (first ratio %.3f)", worst, exact.ExplainedVarianceRatio[0])
	if worst > 1e-8*exact.ExplainedVarianceRatio[0] {
		t.Errorf("ratios differ by up to %.3g", worst)
	}
	// Principal angles: the singular values of C₁·C₂ᵀ are their cosines.
	var m mat.Dense
	m.Mul(got.Components, exact.Components.T())
	var svd mat.SVD
	if !svd.Factorize(&m, mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	cos := svd.Values(nil)
	angle := math.Acos(math.Min(1, cos[len(cos)-1])) * 180 / math.Pi
	t.Logf("largest principal angle %.3g°", angle)
	if angle > 0.05 {
		t.Errorf("largest principal angle between the subspaces %.3g°, want < 0.05°", angle)
	}
	// Projections agree with the components: column c has variance λ_c.
	for c := 0; c < k; c++ {
		var s float64
		for i := 0; i < n; i++ {
			s += got.Projection.At(i, c) * got.Projection.At(i, c)
		}
		if v := s / (n - 1); math.Abs(v-got.ExplainedVariance[c]) > 1e-6*got.ExplainedVariance[0] {
			t.Errorf("projection %d has variance %g, explained variance %g", c, v, got.ExplainedVariance[c])
		}
	}
	if !strings.Contains(log.String(), "power iteration 4 of 4") {
		t.Errorf("progress did not show the iterations:\n%s", log.String())
	}
	// Seeded: the same seed gives the same result.
	again, err := TruncatedPCA(context.Background(), x, n, d, k, TruncatedOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !mat.Equal(again.Components, got.Components) {
		t.Error("the same seed gave different components")
	}
}

// TestTruncatedPCACancel checks that a cancelled context stops the
// computation with the context's error.
func TestTruncatedPCACancel(t *testing.T) {
	const n, d = 50, 40
	x := lowRankData(n, d, 3, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TruncatedPCA(ctx, x, n, d, 5, TruncatedOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// TestTruncatedPCAErrors checks the data errors shared with PCA.
func TestTruncatedPCAErrors(t *testing.T) {
	x := lowRankData(10, 5, 2, 1)
	x[7] = float32(math.NaN())
	if _, err := TruncatedPCA(context.Background(), x, 10, 5, 2, TruncatedOptions{}); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN: err = %v, want ErrNonFinite", err)
	}
	if _, err := TruncatedPCA(context.Background(), x, 10, 5, 6, TruncatedOptions{}); err == nil {
		t.Error("k > d: no error")
	}
}

// TestPrunedNeighboursWithTruncatedPCA checks that the exact neighbour
// search stays exact when its pruning bounds come from the randomized PCA
// (as the t-SNE's do for data with min(n, d) ≥ TruncatedPCAMin): on
// 1,000 × 1,024 data the 15 nearest neighbours of every point are those
// of the brute-force search.
func TestPrunedNeighboursWithTruncatedPCA(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 × 1,024 brute force in -short mode")
	}
	const n, d, k = 1000, 1024, 15
	x := lowRankData(n, d, 40, 11)
	p, randomized, err := AutoPCA(context.Background(), x, n, d, 50, 1, nil)
	if err != nil || !randomized {
		t.Fatalf("AutoPCA: randomized %v, %v", randomized, err)
	}
	got, err := knnPruned(context.Background(), x, n, d, k, newProjected(x, n, d, p), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := knnBrute(context.Background(), x, n, d, k)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.idx {
		// Ties aside, the same neighbours in the same order.
		if got.idx[i] != want.idx[i] && math.Abs(got.d2[i]-want.d2[i]) > 1e-9*want.d2[i] {
			t.Fatalf("point %d neighbour %d: %d (d² %g), brute force %d (d² %g)", i/k, i%k, got.idx[i], got.d2[i], want.idx[i], want.d2[i])
		}
	}
}
