//go:build !unix

package probe

// cpuSeconds is 0 where the process CPU time is not read (not unix).
func cpuSeconds() float64 { return 0 }
