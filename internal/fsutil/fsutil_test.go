package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteFileRefusesOverwrite(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.txt")
	if err := WriteBytes(p, false, []byte("first")); err != nil {
		t.Fatal(err)
	}
	err := WriteBytes(p, false, []byte("second"))
	if !errors.Is(err, ErrExists) {
		t.Fatalf("second write without force: got %v, want ErrExists", err)
	}
	// A library error names no command-line flag.
	if strings.Contains(err.Error(), "--") {
		t.Errorf("error %q speaks of a flag", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "first" {
		t.Fatalf("file changed to %q", b)
	}
	if err := WriteBytes(p, true, []byte("second")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "second" {
		t.Fatalf("forced write: file is %q", b)
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	boom := errors.New("boom")
	err := WriteFile(p, false, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want boom", err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 0 {
		t.Fatalf("failed write left %d files behind", len(ents))
	}
}
