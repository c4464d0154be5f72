//go:build unix

package fsutil

import "syscall"

// openNonblock keeps open(2) from waiting for a writer on a FIFO.
const openNonblock = syscall.O_NONBLOCK
