package fsutil

import (
	"os"
	"path/filepath"
	"strconv"
)

// MkdirTemp makes the temporary folder in which the folder path is
// assembled before being moved into place. It is hidden, beside path, and
// named as WriteFile names its temporary files (after path and this
// process's id), so the folders that runs killed before their cleanup left
// behind are recognised: those are removed first.
func MkdirTemp(path string) (string, error) {
	removeStaleTemps(path)
	dir, err := os.MkdirTemp(filepath.Dir(path), tempPrefix(path)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return "", err
	}
	// MkdirTemp joins without cleaning ("./.acts.tmp-1" for the folder ".").
	return filepath.Clean(dir), nil
}
