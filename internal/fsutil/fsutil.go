// Package fsutil writes output files atomically and never overwrites a
// user's file unless asked to.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrExists reports that an output already exists and force was not given.
// Its text names no flag: a command line adds how to overwrite.
var ErrExists = errors.New("already exists")

// WriteFile writes path atomically: write fills a temporary file in the same
// directory, which is synced and then moved into place, so readers never see
// a partial file. Unless force is set, an existing path is left untouched and
// the error wraps ErrExists.
func WriteFile(path string, force bool, write func(w io.Writer) error) (err error) {
	if !force {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%s: %w", path, ErrExists)
		}
	}
	dir := filepath.Dir(path)
	removeStaleTemps(path)
	tmp, err := os.CreateTemp(dir, tempPrefix(path)+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// Temp files are created 0600; outputs are ordinary files.
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if force {
		err = os.Rename(tmp.Name(), path)
	} else {
		// Link fails if path appeared meanwhile, so nothing is clobbered.
		if err = os.Link(tmp.Name(), path); err == nil {
			os.Remove(tmp.Name())
		} else if errors.Is(err, fs.ErrExist) {
			err = fmt.Errorf("%s: %w", path, ErrExists)
			return err
		} else {
			err = os.Rename(tmp.Name(), path)
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteBytes is WriteFile for data already in memory.
func WriteBytes(path string, force bool, data []byte) error {
	return WriteFile(path, force, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// tempPrefix is how the temporary files of WriteFile for path begin; the
// writer's process id follows, then a random part.
func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp-" }

// removeStaleTemps deletes the temporary files (and folders, see
// MkdirTemp) that earlier writes of path left behind when their process
// was killed (kill -9 or a crash skips every cleanup): those whose writer's
// process id no longer runs. Those of a live writer, and names that do not
// parse, are left alone.
func removeStaleTemps(path string) {
	prefix := tempPrefix(path)
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), globEscape(prefix)+"*"))
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), prefix)
		pid, err := strconv.Atoi(rest[:max(strings.IndexByte(rest, '-'), 0)])
		if err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		os.RemoveAll(m)
	}
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
