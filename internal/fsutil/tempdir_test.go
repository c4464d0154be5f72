package fsutil

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// A temporary folder left by a killed run (its process gone, files inside)
// is removed when the next run makes its own; a live run's is kept.
func TestMkdirTempRemovesStaleFolders(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "acts")
	// No process has id 2^22+1; the parent of this test is alive.
	stale := filepath.Join(dir, ".acts.tmp-4194305-123")
	staleOld := filepath.Join(dir, ".acts.tmp-4194305-124.old")
	live := filepath.Join(dir, ".acts.tmp-"+strconv.Itoa(os.Getppid())+"-456")
	for _, p := range []string{stale, staleOld, live} {
		if err := os.MkdirAll(filepath.Join(p, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "sub", "x.npy"), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tmp, err := MkdirTemp(out)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(tmp) != dir || !strings.HasPrefix(filepath.Base(tmp), ".acts.tmp-"+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("MkdirTemp(%s) = %s", out, tmp)
	}
	for _, p := range []string{stale, staleOld} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("the stale folder %s is still there (%v)", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live run's folder was removed: %v", err)
	}
}
