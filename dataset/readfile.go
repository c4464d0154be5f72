package dataset

import (
	"bufio"
	"fmt"
	"io"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

// readRegular opens path, refuses anything but a regular file, and decodes
// it with decode, which is told the file's size so that it can refuse
// declared sizes the file cannot hold. Errors name path.
func readRegular(path string, decode func(r io.Reader, size int64) (*Array, error)) (*Array, error) {
	f, st, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := decode(bufio.NewReaderSize(f, 1<<16), st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}
