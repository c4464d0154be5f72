package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular reports an input that is not a regular file: a FIFO, a
// device, a socket or a folder (or a symbolic link resolving to one).
// Reading such a file may block forever or never end (/dev/zero).
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge reports an input larger than the limit its reader accepts.
var ErrTooLarge = errors.New("file larger than the accepted limit")

// OpenRegular opens path for reading and refuses, without blocking, anything
// but a regular file: the open itself is non-blocking where the system
// allows it (a FIFO without a writer would otherwise block the open
// forever), and the opened file is checked with fstat, so a symbolic link
// or a file swapped after a check cannot slip through. The error wraps
// ErrNotRegular and names path.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	// A first Stat refuses devices and FIFOs without opening them at all
	// (opening some devices has side effects).
	if st, err := os.Stat(path); err != nil {
		return nil, nil, err
	} else if !st.Mode().IsRegular() {
		return nil, nil, notRegular(path, st)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	return checkOpened(f, path)
}

// OpenRegularIn is OpenRegular for name inside root (see os.Root): names
// that resolve outside root, symbolic links included, are refused.
func OpenRegularIn(root *os.Root, name string) (*os.File, fs.FileInfo, error) {
	if st, err := root.Stat(name); err != nil {
		return nil, nil, err
	} else if !st.Mode().IsRegular() {
		return nil, nil, notRegular(name, st)
	}
	f, err := root.OpenFile(name, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	return checkOpened(f, name)
}

func checkOpened(f *os.File, path string) (*os.File, fs.FileInfo, error) {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, notRegular(path, st)
	}
	return f, st, nil
}

func notRegular(path string, st fs.FileInfo) error {
	kind := "special file"
	switch m := st.Mode(); {
	case m.IsDir():
		kind = "folder"
	case m&fs.ModeNamedPipe != 0:
		kind = "named pipe (FIFO)"
	case m&fs.ModeDevice != 0, m&fs.ModeCharDevice != 0:
		kind = "device"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	}
	return fmt.Errorf("%s: %w (a %s)", path, ErrNotRegular, kind)
}

// ReadRegular reads the whole of the regular file path (see OpenRegular),
// refusing one larger than limit bytes (limit ≤ 0: no limit) before
// reading it. The error wraps ErrTooLarge or ErrNotRegular when relevant.
func ReadRegular(path string, limit int64) ([]byte, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllLimited(f, path, st.Size(), limit)
}

// readAllLimited reads f, whose size is expected to be size, refusing more
// than limit bytes even if the file grows while it is read.
func readAllLimited(f io.Reader, path string, size, limit int64) ([]byte, error) {
	if limit > 0 && size > limit {
		return nil, fmt.Errorf("%s: %w (%d bytes, at most %d)", path, ErrTooLarge, size, limit)
	}
	r := f
	if limit > 0 {
		r = io.LimitReader(f, limit+1)
	}
	buf := make([]byte, 0, size+1)
	for {
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
	if limit > 0 && int64(len(buf)) > limit {
		return nil, fmt.Errorf("%s: %w (it grew past %d bytes while read)", path, ErrTooLarge, limit)
	}
	return buf, nil
}
