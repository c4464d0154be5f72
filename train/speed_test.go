package train

import (
	"context"
	"os"
	"runtime/pprof"
	"strconv"
	"testing"
)

// TestManualEpoch trains on full MNIST when TRAIN_EPOCHS is set (manual
// timing runs only; skipped otherwise). TRAIN_PROFILE writes a CPU profile.
func TestManualEpoch(t *testing.T) {
	e, _ := strconv.Atoi(os.Getenv("TRAIN_EPOCHS"))
	if e == 0 {
		t.Skip("set TRAIN_EPOCHS to run")
	}
	n, _ := strconv.Atoi(os.Getenv("TRAIN_N"))
	tr := loadMNIST(t, "train", n)
	te := loadMNIST(t, "test", 0)
	if p := os.Getenv("TRAIN_PROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	be := Fast
	if os.Getenv("TRAIN_BACKEND") == "native" {
		be = Native
	}
	_, err := Train(context.Background(), tr, te, Options{Epochs: e, Seed: 1, Backend: be, Log: os.Stderr, Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
}
