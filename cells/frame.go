package cells

import (
	"errors"
	"fmt"
	"math"
)

// Range is a square frame [XMin, XMax] × [YMin, YMax] in embedding units.
type Range struct {
	XMin, XMax, YMin, YMax float64
}

// SquareBounds returns the square bounding box of the points (spec §1.1):
// extent E = max(x_max − x_min, y_max − y_min), both axes span E, centred on
// the data mid-points. The longer axis keeps its exact data bounds so no
// point falls outside through rounding.
func SquareBounds(xs, ys []float64) (Range, error) {
	if len(xs) != len(ys) {
		return Range{}, fmt.Errorf("cells: %d x coordinates but %d y coordinates", len(xs), len(ys))
	}
	if len(xs) == 0 {
		return Range{}, errors.New("cells: no points")
	}
	x0, x1 := math.Inf(1), math.Inf(-1)
	y0, y1 := math.Inf(1), math.Inf(-1)
	for k := range xs {
		x, y := xs[k], ys[k]
		if math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0) {
			return Range{}, fmt.Errorf("cells: point %d has non-finite coordinates (%g, %g)", k, x, y)
		}
		x0, x1 = math.Min(x0, x), math.Max(x1, x)
		y0, y1 = math.Min(y0, y), math.Max(y1, y)
	}
	ex, ey := x1-x0, y1-y0
	if math.IsInf(ex, 0) || math.IsInf(ey, 0) {
		return Range{}, fmt.Errorf("cells: the points span [%g, %g] × [%g, %g]: extent overflows", x0, x1, y0, y1)
	}
	if !(ex > 0) && !(ey > 0) {
		return Range{}, fmt.Errorf("cells: all %d points are at the same position (%g, %g): the frame has zero extent", len(xs), x0, y0)
	}
	r := Range{x0, x1, y0, y1}
	if ex >= ey {
		m := y0 + ey/2
		r.YMin, r.YMax = m-ex/2, m+ex/2
		r.YMin, r.YMax = math.Min(r.YMin, y0), math.Max(r.YMax, y1)
	} else {
		m := x0 + ex/2
		r.XMin, r.XMax = m-ey/2, m+ey/2
		r.XMin, r.XMax = math.Min(r.XMin, x0), math.Max(r.XMax, x1)
	}
	return r, nil
}

// Frame is the binning of K points into an N×N grid of square bins, shared
// by every unit scored in one 2-D space. Build it once with NewFrame.
//
// Bin [r, c] (index r·N + c) holds the points with
// c = floor((x − XMin)/w), r = floor((y − YMin)/w), w = (XMax − XMin)/N;
// x = XMax (y = YMax) goes into the last column (row), points outside the
// range are dropped (numpy histogram2d convention, spec §1.1).
type Frame struct {
	N     int
	Range Range
	K     int       // number of points given
	Bin   []int32   // bin index of each point, −1 if outside the range
	Count []float64 // points per bin C_i (length N·N)
	In    int       // points inside the range
}

// NewFrame bins the points (xs[k], ys[k]) into bins×bins square bins. r is
// the frame; nil means the square bounding box of the points (SquareBounds).
// The range must be square (equal x and y extents, relative tolerance 1e-9)
// so that bins are square (spec §1.1).
func NewFrame(xs, ys []float64, bins int, r *Range) (*Frame, error) {
	if len(xs) != len(ys) {
		return nil, fmt.Errorf("cells: %d x coordinates but %d y coordinates", len(xs), len(ys))
	}
	if len(xs) == 0 {
		return nil, errors.New("cells: no points")
	}
	if bins < 3 || bins > MaxBins {
		return nil, fmt.Errorf("cells: %d bins per side: want 3…%d", bins, MaxBins)
	}
	var rg Range
	if r == nil {
		var err error
		if rg, err = SquareBounds(xs, ys); err != nil {
			return nil, err
		}
	} else {
		rg = *r
		for _, v := range []float64{rg.XMin, rg.XMax, rg.YMin, rg.YMax} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("cells: range %v is not finite", rg)
			}
		}
		ex, ey := rg.XMax-rg.XMin, rg.YMax-rg.YMin
		if !(ex > 0) || !(ey > 0) || math.IsInf(ex, 0) || math.IsInf(ey, 0) {
			return nil, fmt.Errorf("cells: range %v: want xmin < xmax and ymin < ymax", rg)
		}
		if math.Abs(ex-ey) > 1e-9*math.Max(ex, ey) {
			return nil, fmt.Errorf("cells: range %v is not square (x extent %g, y extent %g): bins must be square", rg, ex, ey)
		}
		for k := range xs {
			if math.IsNaN(xs[k]) || math.IsInf(xs[k], 0) || math.IsNaN(ys[k]) || math.IsInf(ys[k], 0) {
				return nil, fmt.Errorf("cells: point %d has non-finite coordinates (%g, %g)", k, xs[k], ys[k])
			}
		}
	}
	f := &Frame{N: bins, Range: rg, K: len(xs), Bin: make([]int32, len(xs)), Count: make([]float64, bins*bins)}
	wx := (rg.XMax - rg.XMin) / float64(bins)
	wy := (rg.YMax - rg.YMin) / float64(bins)
	for k := range xs {
		c := binOf(xs[k], rg.XMin, rg.XMax, wx, bins)
		rr := binOf(ys[k], rg.YMin, rg.YMax, wy, bins)
		if c < 0 || rr < 0 {
			f.Bin[k] = -1
			continue
		}
		i := rr*bins + c
		f.Bin[k] = int32(i)
		f.Count[i]++
		f.In++
	}
	return f, nil
}

func binOf(v, lo, hi, w float64, n int) int {
	if v < lo || v > hi {
		return -1
	}
	j := int(math.Floor((v - lo) / w))
	if j >= n {
		j = n - 1
	}
	if j < 0 {
		j = 0
	}
	return j
}

// Valid returns the empty-bin mask: bin i is valid when C_i ≥ minCount.
func (f *Frame) Valid(minCount int) []bool {
	v := make([]bool, len(f.Count))
	for i, c := range f.Count {
		v[i] = c >= float64(minCount) && c > 0
	}
	return v
}
