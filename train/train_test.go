package train

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// smallSets returns 512 training and 256 test images taken from the MNIST
// test split (embedded in the binary, so no download is needed).
func smallSets(t *testing.T) (Data, Data) {
	t.Helper()
	d := loadMNIST(t, "test", 768)
	tr := Data{X: d.X[:512*ImageSize], Y: d.Y[:512]}
	te := Data{X: d.X[512*ImageSize:], Y: d.Y[512:]}
	return tr, te
}

var smallOpts = Options{Epochs: 2, Batch: 32, LR: 0.005, Seed: 3, EvalBatch: 100}

// The test loss after two epochs on 512 images (32 Adam steps) is well
// below the untrained network's, which is ≈ ln 10 = 2.30 for near-uniform
// outputs; the untrained value is measured, not assumed.
func TestLossDecreases(t *testing.T) {
	tr, te := smallSets(t)
	_, rng := newRNG(smallOpts.Seed)
	l0, _, err := Evaluate(InitParams(rng), te)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Train(context.Background(), tr, te, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	h := res.History
	if len(h) != 2 {
		t.Fatalf("%d epochs in the history, want 2", len(h))
	}
	t.Logf("untrained test loss %.4f; after epochs: %+v", l0, h)
	if !(h[1].TestLoss < 0.8*l0) || !(h[1].TrainLoss < h[0].TrainLoss) {
		t.Errorf("loss did not decrease: untrained %.4f, epoch 1 train %.4f test %.4f, epoch 2 train %.4f test %.4f",
			l0, h[0].TrainLoss, h[0].TestLoss, h[1].TrainLoss, h[1].TestLoss)
	}
	if h[1].TestAccuracy < 0.5 {
		t.Errorf("test accuracy %.3f after 32 steps, want > 0.5 (chance is 0.1)", h[1].TestAccuracy)
	}
}

func sameParams(t *testing.T, a, b *Params) {
	t.Helper()
	pa, pb := a.List(), b.List()
	for i := range pa {
		for j := range pa[i].Data {
			if pa[i].Data[j] != pb[i].Data[j] {
				t.Fatalf("%s[%d]: %v vs %v", pa[i].Name, j, pa[i].Data[j], pb[i].Data[j])
			}
		}
	}
}

// Training is bit-identical for a seed, and an interruption after epoch 1
// followed by --resume gives exactly the weights of an uninterrupted run.
func TestDeterministicAndResume(t *testing.T) {
	tr, te := smallSets(t)
	full, err := Train(context.Background(), tr, te, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Train(context.Background(), tr, te, smallOpts)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, full.Params, again.Params)

	dir := t.TempDir()
	o := smallOpts
	o.Checkpoint = dir
	o.StopAfter = 1
	if _, err := Train(context.Background(), tr, te, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("StopAfter 1: got %v, want context.Canceled", err)
	}
	p1, h1, err := LoadCheckpointParams(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(h1) != 1 {
		t.Fatalf("checkpoint after the interruption holds %d epochs, want 1", len(h1))
	}
	if sameWeights(p1, full.Params) {
		t.Fatal("checkpoint after epoch 1 already equals the final weights")
	}
	o.StopAfter = 0
	o.Resume = true
	resumed, err := Train(context.Background(), tr, te, o)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, full.Params, resumed.Params)
	if len(resumed.History) != 2 || resumed.History[1].TestAccuracy != full.History[1].TestAccuracy {
		t.Errorf("resumed history %+v, uninterrupted %+v", resumed.History, full.History)
	}

	// Resuming with another seed is refused.
	o.Seed++
	if _, err := Train(context.Background(), tr, te, o); err == nil {
		t.Error("resuming a seed-3 checkpoint with seed 4 succeeded")
	}
}

func sameWeights(a, b *Params) bool {
	pa, pb := a.List(), b.List()
	for i := range pa {
		for j := range pa[i].Data {
			if pa[i].Data[j] != pb[i].Data[j] {
				return false
			}
		}
	}
	return true
}

// A cancelled context stops training with context.Canceled and leaves no
// checkpoint for an unfinished first epoch.
func TestCancelKeepsFinishedEpochsOnly(t *testing.T) {
	tr, te := smallSets(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	o := smallOpts
	o.Checkpoint = t.TempDir()
	if _, err := Train(ctx, tr, te, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if _, err := os.Stat(CheckpointPath(o.Checkpoint)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a checkpoint was written for an unfinished epoch (%v)", err)
	}
}

func TestCorruptCheckpoint(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, checkpointFile), []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	tr, te := smallSets(t)
	o := smallOpts
	o.Checkpoint, o.Resume = dir, true
	if _, err := Train(context.Background(), tr, te, o); err == nil {
		t.Error("a corrupt checkpoint was accepted")
	}
}

func TestBadData(t *testing.T) {
	good := Data{X: make([]float32, 2*ImageSize), Y: []int{1, 2}}
	cases := map[string]Data{
		"empty":       {},
		"short":       {X: good.X[:ImageSize+5], Y: good.Y},
		"label range": {X: good.X, Y: []int{1, 10}},
		"negative":    {X: good.X, Y: []int{-1, 0}},
	}
	for name, d := range cases {
		if _, err := Train(context.Background(), d, good, smallOpts); err == nil {
			t.Errorf("%s: training data accepted", name)
		}
		if _, err := Train(context.Background(), good, d, smallOpts); err == nil {
			t.Errorf("%s: test data accepted", name)
		}
	}
}

// Options.Progress hears every epoch from batch 0 to its last batch, with
// the images seen so far.
func TestProgress(t *testing.T) {
	tr, te := smallSets(t)
	opts := smallOpts
	opts.Epochs = 1
	var calls []Progress
	opts.Progress = func(p Progress) { calls = append(calls, p) }
	if _, err := Train(context.Background(), tr, te, opts); err != nil {
		t.Fatal(err)
	}
	nb := len(tr.Y) / opts.Batch
	if len(calls) != nb+1 {
		t.Fatalf("%d calls, want %d", len(calls), nb+1)
	}
	for i, p := range calls {
		if p.Epoch != 1 || p.Epochs != 1 || p.Batch != i || p.Batches != nb || p.Images != i*opts.Batch {
			t.Fatalf("call %d: %+v", i, p)
		}
		if i > 0 && !(p.Loss > 0) {
			t.Errorf("call %d: loss %v", i, p.Loss)
		}
	}
}
