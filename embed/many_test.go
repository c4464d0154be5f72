package embed

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestTSNEManyMatchesTSNE: TSNEMany, which shares the PCA, the neighbour
// search and the affinities between runs, gives bit for bit the results of
// separate TSNE calls, for the pruned exact search (d = 50), brute force
// (d = 5) and a perplexity lowered for too few points (n = 120).
func TestTSNEManyMatchesTSNE(t *testing.T) {
	runs := []Run{{Perplexity: 30, Seed: 11}, {Perplexity: 30, Seed: 12}, {Perplexity: 50, Seed: 13}, {}}
	for _, c := range []struct{ n, d int }{{300, 50}, {300, 5}, {120, 5}} {
		x, _ := clusters(c.n, c.d, 4, 21)
		o := DefaultTSNE
		o.Init, o.Iterations, o.Seed = "random", 200, 7
		many, err := TSNEMany(context.Background(), x, c.n, c.d, o, runs)
		if err != nil {
			t.Fatal(err)
		}
		if len(many) != len(runs) {
			t.Fatalf("%d results for %d runs", len(many), len(runs))
		}
		for i, r := range runs {
			one := o
			if r.Perplexity != 0 {
				one.Perplexity = r.Perplexity
			}
			if r.Seed != 0 {
				one.Seed = r.Seed
			}
			want, err := TSNE(context.Background(), x, c.n, c.d, one)
			if err != nil {
				t.Fatal(err)
			}
			got := many[i]
			if !slices.Equal(got.Y, want.Y) || got.KL != want.KL || got.Perplexity != want.Perplexity ||
				!slices.Equal(got.Warnings, want.Warnings) || got.ExactKNN != want.ExactKNN {
				t.Errorf("n %d d %d run %d (%+v): TSNEMany differs from TSNE (KL %v vs %v, perplexity %v vs %v, warnings %q vs %q)",
					c.n, c.d, i, r, got.KL, want.KL, got.Perplexity, want.Perplexity, got.Warnings, want.Warnings)
			}
		}
	}
	if _, err := TSNEMany(context.Background(), make([]float32, 40), 10, 4, DefaultTSNE, nil); err == nil {
		t.Error("no runs: no error")
	}
}

// TestTSNERandomInitSeeds: with a random initialisation the seed matters —
// two seeds give different embeddings of the same 300 points, and one seed
// gives the same embedding twice.
func TestTSNERandomInitSeeds(t *testing.T) {
	x, _ := clusters(300, 10, 5, 4)
	o := DefaultTSNE
	o.Init, o.Iterations = "random", 300
	embedSeed := func(seed uint64) []float64 {
		o.Seed = seed
		r, err := TSNE(context.Background(), x, 300, 10, o)
		if err != nil {
			t.Fatal(err)
		}
		return r.Y
	}
	a, b, a2 := embedSeed(1), embedSeed(2), embedSeed(1)
	if !slices.Equal(a, a2) {
		t.Error("the same seed gave different coordinates")
	}
	// The embeddings are centred and O(10) wide; different random starts
	// end in differently rotated and arranged layouts, so points move by
	// a good part of the spread (not by rounding).
	var diff, spread float64
	for i := range a {
		diff = math.Max(diff, math.Abs(a[i]-b[i]))
		spread = math.Max(spread, math.Abs(a[i]))
	}
	if diff < 0.1*spread {
		t.Errorf("seeds 1 and 2: largest coordinate difference %.3g for a spread of %.3g; want different embeddings", diff, spread)
	}
	t.Logf("seeds 1 and 2: largest coordinate difference %.3g, spread %.3g", diff, spread)
}
