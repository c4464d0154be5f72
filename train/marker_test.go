package train

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestCheckpointFolderOwnership(t *testing.T) {
	st, err := startState(Options{Seed: 1, Batch: 8, LR: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	// A folder train creates is removed after the run.
	ours := filepath.Join(t.TempDir(), "m.onnx.ckpt")
	if err := saveCheckpoint(ours, st); err != nil {
		t.Fatal(err)
	}
	if err := CheckCheckpointDir(ours); err != nil {
		t.Errorf("our own folder refused: %v", err)
	}
	if err := RemoveCheckpoint(ours); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ours); !os.IsNotExist(err) {
		t.Errorf("our checkpoint folder was kept: %v", err)
	}

	// A user's folder is refused before training, and even holding a
	// checkpoint it is never removed with its other files.
	user := filepath.Join(t.TempDir(), "m.onnx.ckpt")
	os.Mkdir(user, 0o755)
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("mine"), 0o644)
	if err := CheckCheckpointDir(user); err == nil || !strings.Contains(err.Error(), "not created by") {
		t.Errorf("a user's folder: got %v", err)
	}
	if err := saveCheckpoint(user, st); err != nil {
		t.Fatal(err)
	}
	if err := RemoveCheckpoint(user); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(user, "notes.txt")); err != nil || string(b) != "mine" {
		t.Errorf("the user's file is gone: %v", err)
	}
	if _, err := os.Stat(CheckpointPath(user)); !os.IsNotExist(err) {
		t.Errorf("the checkpoint file was kept: %v", err)
	}
}

func TestResumeRefusesMoreEpochsThanAsked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ckpt")
	opts := Options{Seed: 1, Batch: 8, LR: 0.001, Epochs: 2, Resume: true, Checkpoint: dir}
	st, err := startState(opts)
	if err != nil {
		t.Fatal(err)
	}
	st.Epoch, st.History = 3, make([]EpochStats, 3)
	if err := saveCheckpoint(dir, st); err != nil {
		t.Fatal(err)
	}
	if _, err := startState(opts); err == nil || !strings.Contains(err.Error(), "more than --epochs 2") {
		t.Errorf("got %v, want a refusal", err)
	}
}

// A checkpoint file larger than MaxCheckpointBytes is not read whole (a
// 100 MB one used to take 1.8 GB): the decoder stops at the limit.
func TestCheckpointSizeLimit(t *testing.T) {
	dir := t.TempDir()
	st, err := startState(Options{Seed: 1, Batch: 8, LR: 0.001})
	if err != nil {
		t.Fatal(err)
	}
	st.RNG = make([]byte, MaxCheckpointBytes+1<<20) // a valid gob, too large
	if err := saveCheckpoint(dir, st); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = loadCheckpoint(dir)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("an oversized checkpoint was loaded")
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 3*MaxCheckpointBytes {
		t.Errorf("refusing it allocated %d MB", d>>20)
	}
}
