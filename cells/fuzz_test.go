package cells

import (
	"context"
	"encoding/binary"
	"math"
	"testing"
)

// FuzzScore: arbitrary maps and point clouds never panic, and every label
// decision rests on defined values (see sane).
func FuzzScore(f *testing.F) {
	f.Add([]byte{5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0, 255, 255, 255, 255, 255, 255, 248, 127, 0, 0, 0, 0, 0, 0, 240, 63})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		n := 3 + int(b[0])%8
		vals := make([]float64, 0, len(b)/8)
		for i := 1; i+8 <= len(b); i += 8 {
			v := math.Float64frombits(binary.LittleEndian.Uint64(b[i:]))
			if math.IsInf(v, 0) || math.Abs(v) > 1e100 {
				v = math.NaN()
			}
			vals = append(vals, v)
		}
		m := make([]float64, n*n)
		for i := range m {
			if len(vals) == 0 {
				m[i] = math.NaN()
			} else {
				m[i] = vals[i%len(vals)]
			}
		}
		o := fastOpts()
		o.Permutations, o.FieldShuffles = 5, 3
		r, err := ScoreMap(context.Background(), m, n, o)
		if err != nil {
			t.Fatal(err)
		}
		sane(t, "fuzz map", r)
		// the same values as a point cloud on a diagonal-ish layout
		k := len(vals)
		if k < 2 {
			return
		}
		xs, ys, acts := make([]float64, k), make([]float64, k), make([]float64, k)
		labels := make([]int, k)
		for i := range xs {
			xs[i], ys[i] = float64(i%7), float64((i*3)%5)
			acts[i] = vals[i]
			labels[i] = i%3 - 1
		}
		fr, err := NewFrame(xs, ys, n, nil)
		if err != nil {
			return
		}
		r, err = ScoreUnits(context.Background(), fr, Columns{acts}, labels, o)
		if err != nil {
			t.Fatal(err)
		}
		sane(t, "fuzz points", r)
	})
}
