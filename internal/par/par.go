// Package par runs loops on several goroutines.
//
// The ranges a loop is split into depend only on its arguments, never on
// how the goroutines are scheduled, so results reduced per range are the
// same on every run.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Each calls fn(worker, i) once for every i in [0, n), on up to workers
// goroutines (0 or less means GOMAXPROCS), handing out i in increasing
// order, and waits for all calls. worker, in [0, workers), names the
// goroutine making the call, so fn may keep state per worker. With one
// worker every call is made in order on the calling goroutine. A panic in
// fn stops the handing out of further i and is re-raised on the calling
// goroutine once every worker has returned (the first one wins), so callers
// can recover it as if the loop had run serially.
func Each(n, workers int, fn func(worker, i int)) {
	if n <= 0 {
		return
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if workers == 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var failOnce sync.Once
	var failure any
	failed := false
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					failOnce.Do(func() { failure, failed = r, true })
					next.Store(int64(n)) // hand out nothing more
				}
			}()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
			}
		}()
	}
	wg.Wait()
	if failed {
		panic(failure)
	}
}

// Chunks splits [0, n) into min(chunks, n) contiguous ranges (at least
// one) and calls fn(chunk, lo, hi) for each on up to GOMAXPROCS
// goroutines. Chunk c is [c·n/chunks, (c+1)·n/chunks), whatever the
// number of CPUs, so per-chunk results can be reduced deterministically.
func Chunks(n, chunks int, fn func(chunk, lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks = max(1, min(chunks, n))
	Each(chunks, 0, func(_, c int) { fn(c, c*n/chunks, (c+1)*n/chunks) })
}

// For calls fn(lo, hi) over contiguous ranges covering [0, n) on all
// CPUs: 4·GOMAXPROCS ranges (at least 16), so uneven ranges balance out.
func For(n int, fn func(lo, hi int)) {
	Chunks(n, max(16, 4*runtime.GOMAXPROCS(0)), func(_, lo, hi int) { fn(lo, hi) })
}
