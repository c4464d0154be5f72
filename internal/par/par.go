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
	"time"
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
	t := &task{fn: fn, n: int64(n), done: make(chan struct{}, 1)}
	// Helpers that are free join the calling goroutine (worker 0); with
	// none free (every helper busy, as in a nested call) it runs alone.
	hs := claim(workers - 1)
	t.running.Store(int32(len(hs)))
	for i, h := range hs {
		h.start(t, i+1)
	}
	t.run(0)
	// The helpers' shares usually end when the caller's does: spin a
	// little before blocking.
	for spins := 0; t.running.Load() > 0; spins++ {
		if spins < 1<<12 {
			continue
		}
		if spins%64 == 0 {
			runtime.Gosched()
		}
		if spins > 1<<16 {
			<-t.done
			break
		}
	}
	if t.failed.Load() {
		panic(t.failure)
	}
}

// task is one call of Each, shared by the goroutines working on it.
type task struct {
	fn      func(worker, i int)
	n       int64
	next    atomic.Int64
	running atomic.Int32 // helpers still working
	done    chan struct{}
	failed  atomic.Bool
	failure any // the first panic, set before failed
	once    sync.Once
}

// run calls fn for the indices handed out to this goroutine.
func (t *task) run(worker int) {
	defer func() {
		if r := recover(); r != nil {
			t.once.Do(func() { t.failure = r; t.failed.Store(true) })
			t.next.Store(t.n) // hand out nothing more
		}
	}()
	for {
		i := t.next.Add(1) - 1
		if i >= t.n {
			return
		}
		t.fn(worker, int(i))
	}
}

// The helpers are goroutines kept for Each, one per extra worker ever asked
// for at once. A helper that finishes a task spins for up to spinFor,
// checking for the next, before it blocks: a loop of parallel regions with
// short serial gaps between them (the nodes of a network, the iterations
// of t-SNE) then finds its helpers running instead of paying for waking a
// parked thread, some tens of microseconds, at every region.
const spinFor = 200 * time.Microsecond

type helper struct {
	free   atomic.Bool          // waiting for a task, claimable
	task   atomic.Pointer[task] // the task handed over
	worker int                  // its worker index in that task
	asleep atomic.Bool          // blocked on wake
	wake   chan struct{}        // a buffered token: look at task again
}

var (
	poolMu  sync.Mutex
	helpers atomic.Pointer[[]*helper]
)

// claim returns up to k free helpers, starting more goroutines when there
// are fewer than k in all.
func claim(k int) []*helper {
	if k <= 0 {
		return nil
	}
	if hp := helpers.Load(); hp == nil || len(*hp) < k {
		grow(k)
	}
	var got []*helper
	for _, h := range *helpers.Load() {
		if len(got) == k {
			break
		}
		if h.free.CompareAndSwap(true, false) {
			got = append(got, h)
		}
	}
	return got
}

// grow starts helpers until there are at least k.
func grow(k int) {
	poolMu.Lock()
	defer poolMu.Unlock()
	var hs []*helper
	if hp := helpers.Load(); hp != nil {
		hs = append(hs, *hp...)
	}
	for len(hs) < k {
		h := &helper{wake: make(chan struct{}, 1)}
		h.free.Store(true)
		go h.loop()
		hs = append(hs, h)
	}
	helpers.Store(&hs)
}

// start hands t to the claimed helper h as worker w.
func (h *helper) start(t *task, w int) {
	h.worker = w
	h.task.Store(t)
	if h.asleep.Load() {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	}
}

func (h *helper) loop() {
	for {
		t := h.wait()
		t.run(h.worker)
		h.task.Store(nil)
		h.free.Store(true)
		if t.running.Add(-1) == 0 {
			select {
			case t.done <- struct{}{}:
			default:
			}
		}
	}
}

// wait returns the next task handed to h: spinning for up to spinFor,
// then blocked until woken.
func (h *helper) wait() *task {
	start := time.Now()
	for spins := 0; ; spins++ {
		if t := h.task.Load(); t != nil {
			return t
		}
		if spins%256 != 255 {
			continue
		}
		if time.Since(start) < spinFor {
			runtime.Gosched()
			continue
		}
		h.asleep.Store(true)
		for {
			if t := h.task.Load(); t != nil {
				h.asleep.Store(false)
				return t
			}
			<-h.wake
		}
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
