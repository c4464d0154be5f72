package embed

import (
	"runtime"
	"sync"
)

// parallelChunks splits [0, n) into at most chunks contiguous ranges and
// runs fn on each, using up to GOMAXPROCS goroutines. The split depends only
// on n and chunks, so per-chunk results can be reduced deterministically.
func parallelChunks(n, chunks int, fn func(chunk, lo, hi int)) {
	if n <= 0 {
		return
	}
	if chunks > n {
		chunks = n
	}
	if chunks < 1 {
		chunks = 1
	}
	workers := runtime.GOMAXPROCS(0)
	if workers > chunks {
		workers = chunks
	}
	if workers <= 1 {
		for c := 0; c < chunks; c++ {
			fn(c, c*n/chunks, (c+1)*n/chunks)
		}
		return
	}
	var wg sync.WaitGroup
	next := make(chan int, chunks)
	for c := 0; c < chunks; c++ {
		next <- c
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range next {
				fn(c, c*n/chunks, (c+1)*n/chunks)
			}
		}()
	}
	wg.Wait()
}

// parallelFor runs fn over [0, n) in contiguous ranges on all CPUs.
func parallelFor(n int, fn func(lo, hi int)) {
	chunks := 4 * runtime.GOMAXPROCS(0)
	if chunks < 16 {
		chunks = 16
	}
	parallelChunks(n, chunks, func(_, lo, hi int) { fn(lo, hi) })
}
