package embed

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestTSNEMemory: the estimate grows with the points and the perplexity,
// and a 2M×1 input at the default perplexity (k = 90) comes to gigabytes,
// as measured (6 GB and climbing before the bound).
func TestTSNEMemory(t *testing.T) {
	big := TSNEMemory(2_000_000, 1, TSNEOptions{})
	t.Logf("2M×1 at perplexity 30: %s", gibibytes(big))
	if big < 6<<30 || big > 20<<30 {
		t.Errorf("2M×1: estimate %s, want 6..20 GiB", gibibytes(big))
	}
	if low := TSNEMemory(2_000_000, 1, TSNEOptions{Perplexity: 5}); low >= big/4 {
		t.Errorf("perplexity 5: %s, not well below %s at 30", gibibytes(low), gibibytes(big))
	}
	if small := TSNEMemory(1000, 50, TSNEOptions{}); small > 64<<20 {
		t.Errorf("1000×50: estimate %s", gibibytes(small))
	}
	if huge := TSNEMemory(1<<31, 1<<20, TSNEOptions{Perplexity: 1e300}); huge <= 0 {
		t.Errorf("absurd sizes: estimate %d", huge)
	}
}

// TestTSNEMaxMemory: a run over the budget fails at once with ErrMemory,
// naming its estimate and the budget; within the budget it runs.
func TestTSNEMaxMemory(t *testing.T) {
	x, _ := clusters(200, 5, 3, 1)
	opts := TSNEOptions{Iterations: 20, EarlyIterations: 10, MaxMemory: 64 << 10}
	_, err := TSNE(context.Background(), x, 200, 5, opts)
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "200 points") || !strings.Contains(err.Error(), "budget of 0.1 MiB") {
		t.Errorf("over the budget: err = %v", err)
	}
	opts.MaxMemory = TSNEMemory(200, 5, opts)
	if _, err := TSNE(context.Background(), x, 200, 5, opts); err != nil {
		t.Errorf("at the estimate: %v", err)
	}
}
