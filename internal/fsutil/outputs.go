package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrSameOutput reports two outputs of one command that name the same file.
var ErrSameOutput = errors.New("the same file")

// Canonical returns the absolute form of path with every symbolic link
// resolved: of the whole path when it exists, else of its parent folder
// (the file itself is yet to be written). Two paths naming one file have
// the same canonical form ("a.html", "./a.html", "fs//a.html", or a link to
// it).
func Canonical(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r, nil
	}
	dir, base := filepath.Split(abs)
	rdir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	return filepath.Join(rdir, base), nil
}

// Output is one output path of a command with the label its messages use
// (a flag such as "--json", or "output").
type Output struct {
	Label, Path string
}

// CheckLabelled validates the outputs of one command before any work
// starts, so that they are written as a set or not at all: empty paths are
// skipped; every other path must have an existing parent folder in which a
// file can be created (one is made and removed), must not be an existing
// folder, and no two paths may name the same file once made absolute and
// with symbolic links resolved (see Canonical). The error names the label
// and the path (as given) and wraps ErrSameOutput for aliases.
//
// Whether an existing file may be replaced (--force) is left to WriteFile.
func CheckLabelled(outs ...Output) error {
	seen := make(map[string]Output, len(outs))
	for _, o := range outs {
		p := o.Path
		if p == "" {
			continue
		}
		c, err := Canonical(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("%s %s: its folder %s does not exist", o.Label, p, filepath.Dir(p))
			}
			return fmt.Errorf("%s %s: %w", o.Label, p, err)
		}
		if st, err := os.Stat(filepath.Dir(c)); err != nil {
			return fmt.Errorf("%s %s: %w", o.Label, p, err)
		} else if !st.IsDir() {
			return fmt.Errorf("%s %s: %s is not a folder", o.Label, p, filepath.Dir(p))
		}
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return fmt.Errorf("%s %s: is a folder; name a file", o.Label, p)
		}
		// Writable: the temporary file WriteFile will need can be made.
		if f, err := os.CreateTemp(filepath.Dir(c), ".conceptcells-check-*"); err != nil {
			return fmt.Errorf("%s %s: cannot write in %s: %w", o.Label, p, filepath.Dir(p), err)
		} else {
			f.Close()
			os.Remove(f.Name())
		}
		if q, dup := seen[c]; dup {
			return fmt.Errorf("%s %s and %s %s both name %w %s", q.Label, q.Path, o.Label, p, ErrSameOutput, c)
		}
		seen[c] = o
	}
	return nil
}
