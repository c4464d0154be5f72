package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// MemoryError reports a tensor (or a kernel's scratch space) that does not
// fit in the memory budget (Options.MaxMemory): a model asked for more than
// the run may use. Node and Op name the node; Bytes is what it asked for,
// Live what the run already held and Budget the limit.
type MemoryError struct {
	Node, Op string
	What     string // "output float32[…]" or the scratch space's use
	Bytes    int64  // requested; −1 when the element count overflows
	Live     int64
	Budget   int64
}

func (e *MemoryError) Error() string {
	size := FormatBytes(e.Bytes)
	if e.Bytes < 0 {
		size = "more than 2^63 bytes"
	}
	where := ""
	if e.Node != "" {
		where = fmt.Sprintf("node %q (%s): ", e.Node, e.Op)
	}
	return fmt.Sprintf("%s%s needs %s, with %s already in use; the memory budget is %s (--max-memory)",
		where, e.What, size, FormatBytes(e.Live), FormatBytes(e.Budget))
}

// FormatBytes writes n bytes with a binary-prefixed unit (e.g. "1.5 GiB").
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 5 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[i])
}

// ParseBytes reads a size such as "512M", "4GiB", "2g" or "1000000"
// (bytes); units are binary (K = 1024).
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if t != "" {
		if k := strings.IndexByte("KMGT", t[len(t)-1]); k >= 0 {
			mult = 1 << (10 * (k + 1))
			t = strings.TrimSpace(t[:len(t)-1])
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v <= 0 || v*float64(mult) >= 1<<62 {
		return 0, fmt.Errorf("memory size %q: want a positive number of bytes, optionally with K, M, G or T", s)
	}
	return int64(v * float64(mult)), nil
}

// FallbackMaxMemory is the budget used when the physical memory is unknown.
const FallbackMaxMemory = 4 << 30

var defaultMem = sync.OnceValue(func() int64 {
	if total := physicalMemory(); total > 0 {
		return total / 2
	}
	return FallbackMaxMemory
})

// DefaultMaxMemory is the memory budget when Options.MaxMemory is 0: half
// the physical memory (MemTotal in /proc/meminfo), or FallbackMaxMemory
// where that cannot be read.
func DefaultMaxMemory() int64 { return defaultMem() }

// physicalMemory returns MemTotal from /proc/meminfo in bytes (0 if
// unknown).
func physicalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) >= 2 && fs[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fs[1], 10, 64)
			if err != nil || kb <= 0 {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// abort carries an error out of a kernel by panicking; runNode recovers it
// and returns the error (with the node's name filled in for a MemoryError).
type abort struct{ err error }

// maxDims bounds the product of a shape's non-zero dimensions: a tensor
// with no elements may still not declare sizes whose product overflows
// (loops over its outer dimensions would run for ever).
const maxDims = 1 << 48

// checkedNumel returns the number of elements of shape, or −1 when a
// dimension is negative or the product of the non-zero dimensions exceeds
// maxDims.
func checkedNumel(shape []int) int {
	n, nz := 1, 1
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		if d == 0 {
			n = 0
			continue
		}
		if nz > maxDims/d {
			return -1
		}
		nz *= d
	}
	if n == 0 {
		return 0
	}
	return nz
}

// checkShape is checkedNumel as an error, for shapes computed from data.
func checkShape(shape []int) error {
	if checkedNumel(shape) < 0 {
		return fmt.Errorf("shape %v is invalid: a negative size or more than 2^48 elements", shape)
	}
	return nil
}

// setRun prepares the arena for one run (or for constant folding): the
// budget in bytes (≤ 0: none) and the context polled by kernels.
func (a *arena) setRun(ctx context.Context, budget int64) (done func()) {
	a.limit, a.live = budget, 0
	a.ctx = ctx
	a.stopped.Store(ctx.Err() != nil)
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { a.stopped.Store(true); close(fired) })
	return func() {
		if !stop() {
			// The callback has started (the context ended): let it finish
			// now, or it could stop the next run (TestErrors/empty_batch
			// after the cancelled case failed now and then).
			<-fired
		}
	}
}

// poll panics with the context's error once it is cancelled: kernels call it
// between blocks of work so that Ctrl-C takes effect within a fraction of
// a second.
func (a *arena) poll() {
	if a != nil && a.stopped.Load() {
		panic(abort{a.ctx.Err()})
	}
}

// need checks that bytes more fit in the budget (what describes them for
// the error) and polls the context; it panics with an abort otherwise.
func (a *arena) need(bytes int64, what string) {
	if a == nil {
		return
	}
	a.poll()
	if bytes < 0 || (a.limit > 0 && bytes > a.limit-a.live) {
		panic(abort{&MemoryError{What: what, Bytes: bytes, Live: a.live, Budget: a.limit}})
	}
}

// needShape is need for a new tensor of shape with elem bytes per element;
// it returns the element count.
func (a *arena) needShape(shape []int, elem int, dt DType) int {
	n := checkedNumel(shape)
	bytes := int64(-1)
	if n >= 0 && n <= (1<<62)/elem {
		bytes = int64(n) * int64(elem)
	}
	if a == nil {
		if bytes < 0 {
			panic(abort{&MemoryError{What: "output " + dt.String() + shapeString(shape), Bytes: -1}})
		}
		return n
	}
	a.need(bytes, "output "+dt.String()+shapeString(shape))
	return n
}

// getInt returns a zeroed int64 tensor of shape, checked against the
// budget.
func (a *arena) getInt(shape []int) *Tensor {
	n := a.needShape(shape, 8, Int64)
	if a != nil {
		a.live += int64(8 * n)
	}
	return &Tensor{Shape: shape, DType: Int64, I: make([]int64, n)}
}

// scratchF returns buf resized to n float32 values, checking a new
// allocation against the budget.
func (a *arena) scratchF(buf []float32, n int, what string) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	a.need(4*int64(n), what)
	return make([]float32, n)
}
