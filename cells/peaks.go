package cells

import (
	"math"
	"sort"
)

// GridGeometry describes the lattice seen in an autocorrelogram.
type GridGeometry struct {
	Spacing     float64      // median distance (bins) of the selected peaks
	Orientation float64      // degrees in [−30, 30): arg(Σ e^{6iθ_k})/6 over the selected peaks
	Peaks       [][2]float64 // selected peaks as (dx, dy) lags, nearest first
}

// LatticeGeometry estimates grid spacing and orientation from the
// autocorrelogram sac of an n×n map ((2n−1)², NaN = undefined), in the
// manner of opexebo's grid statistics (spec §3.3): the peaks are the lags
// whose value exceeds every valid 8-neighbour (centre excluded); taken
// nearest first, a peak within minAngle degrees of the direction of a peak
// already taken is skipped, up to six. Spacing is the median distance of
// the taken peaks; orientation is the six-fold circular mean of their
// angles (counter-clockwise from +x, y growing with the row index),
// folded into [−30°, 30°). With fewer than three peaks both are NaN.
func LatticeGeometry(sac []float64, n int, minAngle float64) GridGeometry {
	size := 2*n - 1
	c := n - 1
	type peak struct{ dx, dy, d, ang float64 }
	var peaks []peak
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			v := sac[y*size+x]
			if math.IsNaN(v) || (y == c && x == c) {
				continue
			}
			ok := true
			for dy := -1; dy <= 1 && ok; dy++ {
				for dx := -1; dx <= 1; dx++ {
					yy, xx := y+dy, x+dx
					if (dy == 0 && dx == 0) || yy < 0 || yy >= size || xx < 0 || xx >= size {
						continue
					}
					if w := sac[yy*size+xx]; !math.IsNaN(w) && w >= v {
						ok = false
						break
					}
				}
			}
			if ok {
				// sub-bin position: vertex of the parabola through the peak
				// and its two neighbours along each axis
				fx := float64(x-c) + vertex(sac, y*size+x, 1, x > 0 && x < size-1)
				fy := float64(y-c) + vertex(sac, y*size+x, size, y > 0 && y < size-1)
				peaks = append(peaks, peak{fx, fy, math.Hypot(fx, fy), math.Atan2(fy, fx) * 180 / math.Pi})
			}
		}
	}
	sort.SliceStable(peaks, func(i, j int) bool { return peaks[i].d < peaks[j].d })
	g := GridGeometry{Spacing: math.NaN(), Orientation: math.NaN()}
	var taken []peak
	for _, p := range peaks {
		if len(taken) == 6 {
			break
		}
		near := false
		for _, q := range taken {
			da := math.Abs(math.Mod(p.ang-q.ang+540, 360) - 180)
			if da < minAngle {
				near = true
				break
			}
		}
		if !near {
			taken = append(taken, p)
		}
	}
	if len(taken) < 3 {
		return g
	}
	ds := make([]float64, len(taken))
	var sx, sy float64
	for i, p := range taken {
		ds[i] = p.d
		g.Peaks = append(g.Peaks, [2]float64{p.dx, p.dy})
		a := 6 * p.ang * math.Pi / 180
		sx += math.Cos(a)
		sy += math.Sin(a)
	}
	sort.Float64s(ds)
	g.Spacing = Percentile(ds, 50)
	o := math.Atan2(sy, sx) * 180 / math.Pi / 6 // (−30, 30]
	if o >= 30 {
		o -= 60
	}
	g.Orientation = o
	return g
}

// vertex returns the offset (−0.5…0.5) of the vertex of the parabola
// through sac[i−step], sac[i], sac[i+step]; 0 at an edge or when a
// neighbour is undefined.
func vertex(sac []float64, i, step int, inside bool) float64 {
	if !inside {
		return 0
	}
	a, b, c := sac[i-step], sac[i], sac[i+step]
	den := a - 2*b + c
	if math.IsNaN(a) || math.IsNaN(c) || !(den < 0) {
		return 0
	}
	return math.Max(-0.5, math.Min(0.5, (a-c)/(2*den)))
}
