//go:build !unix

package fsutil

// processAlive cannot tell here: every writer counts as alive, so no
// temporary file is removed.
func processAlive(int) bool { return true }
