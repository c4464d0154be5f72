// Package testenv finds the read-only reference material in ../shared for
// tests, and skips them with a clear message when it is absent.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// ModuleRoot returns the directory holding go.mod, walking up from the
// working directory. It fails the test if there is none.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no go.mod above the working directory")
		}
		dir = parent
	}
}

// RequireShared reports whether CONCEPTCELLS_REQUIRE_SHARED is set to a
// true value ("1", "true", "yes"): then missing reference data fails a test
// instead of skipping it, so that CI cannot pass without the independent
// references.
func RequireShared() bool {
	switch os.Getenv("CONCEPTCELLS_REQUIRE_SHARED") {
	case "1", "true", "yes":
		return true
	}
	return false
}

// Shared returns the path of elem inside the shared reference folder
// (CONCEPTCELLS_SHARED, or ../shared beside the module root). The test is
// skipped, saying what is missing, when that path does not exist, or fails
// when RequireShared.
func Shared(t testing.TB, elem ...string) string {
	t.Helper()
	root := os.Getenv("CONCEPTCELLS_SHARED")
	if root == "" {
		root = filepath.Join(ModuleRoot(t), "..", "shared")
	}
	p := filepath.Join(append([]string{root}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		if RequireShared() {
			t.Fatalf("reference data %s is not here and CONCEPTCELLS_REQUIRE_SHARED is set: %v", p, err)
		}
		t.Skipf("reference data %s is not here (set CONCEPTCELLS_SHARED or place shared/ beside the repo): skipping", p)
	}
	return p
}
