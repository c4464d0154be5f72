package command

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

// runTrainCmd runs the CLI and returns its error.
func runTrainCmd(t *testing.T, args ...string) error {
	t.Helper()
	_, _, err := runApp(t, args...)
	return err
}

// A --data folder without the MNIST files fails with an error naming the
// flag and the folder.
func TestTrainBadData(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "m.onnx")
	err := runTrainCmd(t, "train", "--quiet", "--data", dir, "--out", out)
	if err == nil {
		t.Fatal("training with an empty --data folder succeeded")
	}
	if !strings.Contains(err.Error(), "--data") || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q should name --data and %s", err, dir)
	}
	// A file with the right name but wrong content is caught too.
	if err := os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := runTrainCmd(t, "train", "--quiet", "--data", dir, "--out", out); err == nil || !strings.Contains(err.Error(), "train-images") {
		t.Errorf("a junk training file gave %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written despite the error")
	}
}

// An existing --out is refused before any data are read or trained on.
func TestTrainRefusesOverwrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(out, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runTrainCmd(t, "train", "--quiet", "--data", "/nonexistent", "--out", out)
	if !errors.Is(err, fsutil.ErrExists) {
		t.Errorf("got %v, want ErrExists", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep" {
		t.Error("the existing file was changed")
	}
}

func TestTrainBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--epochs", "0"}, {"--batch", "0"}, {"--lr", "-1"}, {"--resume"}, {"--out", "/no-such-folder/m.onnx"},
	} {
		out := filepath.Join(t.TempDir(), "m.onnx")
		// --data is valid-looking but absent: each flag must be rejected
		// before the data are looked at.
		a := append([]string{"train", "--quiet", "--out", out, "--data", "/nonexistent"}, args...)
		err := runTrainCmd(t, a...)
		if err == nil || strings.Contains(err.Error(), "/nonexistent") {
			t.Errorf("%v: got %v, want a flag error", args, err)
		}
	}
}

// An existing <out>.ckpt folder that train did not make is refused before
// anything runs, and left as it was (it used to be removed after a run).
func TestTrainRefusesForeignCheckpointFolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.onnx")
	ckpt := out + ".ckpt"
	if err := os.Mkdir(ckpt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ckpt, "thesis.tex"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := runTrainCmd(t, "train", "--quiet", "--data", "/nonexistent", "--out", out, "--epochs", "1")
	if err == nil || !strings.Contains(err.Error(), "not created by conceptcells train") {
		t.Errorf("got %v, want a refusal of the folder", err)
	}
	if b, _ := os.ReadFile(filepath.Join(ckpt, "thesis.tex")); string(b) != "keep" {
		t.Error("the folder's file was changed")
	}
}
