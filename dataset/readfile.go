package dataset

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// readRegular opens path, refuses anything but a regular file, and decodes
// it with decode, which is told the file's size so that it can refuse
// declared sizes the file cannot hold. Errors name path.
func readRegular(path string, decode func(r io.Reader, size int64) (*Array, error)) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	a, err := decode(bufio.NewReaderSize(f, 1<<16), st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
