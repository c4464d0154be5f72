package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestReadRegularLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := ReadRegular(p, 100); err != nil || len(b) != 100 {
		t.Fatalf("at the limit: %d bytes, %v", len(b), err)
	}
	if _, err := ReadRegular(p, 99); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: got %v, want ErrTooLarge", err)
	}
}

// checkOutputs is CheckLabelled with every path labelled "output".
func checkOutputs(paths ...string) error {
	outs := make([]Output, len(paths))
	for i, p := range paths {
		outs[i] = Output{"output", p}
	}
	return CheckLabelled(outs...)
}

func TestCheckOutputs(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("fs", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("fs", "ln"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		paths []string
		ok    bool
	}{
		{[]string{"a.html", "a.json", "", "a.csv"}, true},
		{[]string{"a.html", "./a.html"}, false},
		{[]string{"fs/a.html", "fs//a.html"}, false},
		{[]string{"fs/a.html", filepath.Join(dir, "ln", "a.html")}, false},
		{[]string{"c.json", "fs/../c.json"}, false},
		{[]string{"nodir/a.html"}, false},
		{[]string{"fs"}, false},
	} {
		err := checkOutputs(tc.paths...)
		if (err == nil) != tc.ok {
			t.Errorf("CheckLabelled(%q) = %v, want ok=%v", tc.paths, err, tc.ok)
		}
	}
	if err := checkOutputs("x", "./x"); !errors.Is(err, ErrSameOutput) {
		t.Errorf("alias: got %v, want ErrSameOutput", err)
	}
}

// A temporary file left by a killed writer (its process gone) is removed
// by the next write of the same output; a live writer's is kept.
func TestWriteFileRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r[1].html")
	// No process has id 2^22+1 (Linux's pid_max is at most 2^22); the
	// parent of this test is alive.
	stale := filepath.Join(dir, ".r[1].html.tmp-4194305-123")
	live := filepath.Join(dir, ".r[1].html.tmp-"+strconv.Itoa(os.Getppid())+"-456")
	other := filepath.Join(dir, ".other.html.tmp-4194305-1")
	for _, p := range []string{stale, live, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteBytes(out, false, []byte("done")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale temporary file is still there (%v)", err)
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", filepath.Base(p))
		}
	}
}

func TestCheckOutputsUnwritableFolder(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := checkOutputs(filepath.Join(ro, "a.html")); err == nil {
		t.Error("an output in a read-only folder passed")
	}
}
