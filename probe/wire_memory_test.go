package probe

import (
	"context"
	"errors"
	"testing"

	"github.com/conceptcells/conceptcells/embed"
)

// The t-SNE stage keeps to Options.MaxMemory: over it, it fails at once.
func TestTSNEStageMaxMemory(t *testing.T) {
	n, d := 100, 3
	x := make([]float32, n*d)
	for i := range x {
		x[i] = float32(i%7) + float32(i)/float32(len(x))
	}
	_, _, err := tsneStage(context.Background(), x, n, d, Options{MaxMemory: 1 << 10, Iterations: 10},
		[]tsneRun{{Seed: 1, Perplexity: 5}}, nil)
	if !errors.Is(err, embed.ErrMemory) {
		t.Errorf("err = %v, want ErrMemory", err)
	}
}
