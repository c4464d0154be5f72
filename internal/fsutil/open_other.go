//go:build !unix

package fsutil

// openNonblock is 0 where open(2) has no O_NONBLOCK; the Stat before the
// open refuses FIFOs there.
const openNonblock = 0
