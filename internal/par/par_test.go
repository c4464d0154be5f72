package par

import (
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// Each calls every index once, on at most the workers asked for.
func TestEach(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 100} {
		for _, n := range []int{0, 1, 7, 1000} {
			var mu sync.Mutex
			seen := make([]int, n)
			used := map[int]bool{}
			Each(n, workers, func(w, i int) {
				mu.Lock()
				seen[i]++
				used[w] = true
				mu.Unlock()
			})
			for i, c := range seen {
				if c != 1 {
					t.Fatalf("workers %d, n %d: index %d called %d times", workers, n, i, c)
				}
			}
			limit := workers
			if limit <= 0 {
				limit = runtime.GOMAXPROCS(0)
			}
			for w := range used {
				if w < 0 || w >= limit {
					t.Errorf("workers %d, n %d: worker %d", workers, n, w)
				}
			}
		}
	}
}

// Chunks covers [0, n) with the ranges its doc states, each once.
func TestChunks(t *testing.T) {
	for _, tc := range []struct{ n, chunks, want int }{{10, 3, 3}, {3, 10, 3}, {5, 0, 1}, {0, 4, 0}} {
		var mu sync.Mutex
		var got [][3]int
		Chunks(tc.n, tc.chunks, func(c, lo, hi int) {
			mu.Lock()
			got = append(got, [3]int{c, lo, hi})
			mu.Unlock()
		})
		slices.SortFunc(got, func(a, b [3]int) int { return a[0] - b[0] })
		if len(got) != tc.want {
			t.Fatalf("Chunks(%d, %d): %d chunks, want %d", tc.n, tc.chunks, len(got), tc.want)
		}
		for c, r := range got {
			if r[0] != c || r[1] != c*tc.n/tc.want || r[2] != (c+1)*tc.n/tc.want {
				t.Errorf("Chunks(%d, %d): chunk %v", tc.n, tc.chunks, r)
			}
		}
	}
}

// For visits every index of [0, n) exactly once.
func TestFor(t *testing.T) {
	const n = 1001
	hits := make([]int32, n)
	For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			hits[i]++
		}
	})
	for i, h := range hits {
		if h != 1 {
			t.Fatalf("index %d visited %d times", i, h)
		}
	}
}

// A panic in any call reaches the caller of Each (and of Chunks), where
// it can be recovered, instead of killing the process.
func TestEachPanic(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		got := func() (r any) {
			defer func() { r = recover() }()
			Each(100, workers, func(_, i int) {
				if i == 37 {
					panic("boom 37")
				}
			})
			return nil
		}()
		if got != "boom 37" {
			t.Errorf("%d workers: recovered %v, want the panic of call 37", workers, got)
		}
	}
	got := func() (r any) {
		defer func() { r = recover() }()
		Chunks(10, 5, func(c, _, _ int) {
			if c == 3 {
				panic(c)
			}
		})
		return nil
	}()
	if got != 3 {
		t.Errorf("Chunks: recovered %v, want 3", got)
	}
}

// Each inside Each (every helper busy) still visits every index once, and
// calls made after the helpers have stopped spinning and blocked wake them.
func TestEachNestedAndAfterSleep(t *testing.T) {
	for round := 0; round < 3; round++ {
		var mu sync.Mutex
		seen := map[[2]int]int{}
		Each(4, 3, func(_, i int) {
			Each(5, 3, func(_, j int) {
				mu.Lock()
				seen[[2]int{i, j}]++
				mu.Unlock()
			})
		})
		if len(seen) != 20 {
			t.Fatalf("round %d: %d index pairs visited, want 20", round, len(seen))
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("round %d: pair %v visited %d times", round, k, c)
			}
		}
		time.Sleep(2 * spinFor) // the helpers block before the next round
	}
}
