package cells

import "math"

// Field is one place field: a 4-connected component of valid bins with
// λ ≥ threshold·peak.
type Field struct {
	Bins     []int   // bin indices r·N + c
	Area     int     // number of bins
	Peak     float64 // maximum λ in the field
	Row, Col float64 // centroid (bin units, bin centre of [r, c] at (r+0.5, c+0.5))
}

// PlaceFields returns the place fields of the n×n map m (NaN = empty bin):
// the 4-connected components of valid bins with λ ≥ frac·peak, peak = max
// over valid bins, that contain at least minBins bins (spec §5, the
// `spec_n_fields` rule: frac = 0.2, minBins = 9, applied to the smoothed
// map). Components are ordered by their first bin in row-major order.
// Returns nil when the map has no valid bin or its peak is ≤ 0.
func PlaceFields(m []float64, n int, frac float64, minBins int) []Field {
	peak := math.Inf(-1)
	for _, v := range m {
		if !math.IsNaN(v) && v > peak {
			peak = v
		}
	}
	if !(peak > 0) || math.IsInf(peak, 0) {
		return nil
	}
	thr := frac * peak
	seen := make([]bool, n*n)
	var out []Field
	var stack []int
	for s := range m {
		if seen[s] || math.IsNaN(m[s]) || m[s] < thr {
			continue
		}
		var f Field
		f.Peak = math.Inf(-1)
		stack = append(stack[:0], s)
		seen[s] = true
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			f.Bins = append(f.Bins, i)
			r, c := i/n, i%n
			f.Row += float64(r) + 0.5
			f.Col += float64(c) + 0.5
			f.Peak = math.Max(f.Peak, m[i])
			for _, d := range [4][2]int{{-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
				rr, cc := r+d[0], c+d[1]
				if rr < 0 || rr >= n || cc < 0 || cc >= n {
					continue
				}
				j := rr*n + cc
				if !seen[j] && !math.IsNaN(m[j]) && m[j] >= thr {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		f.Area = len(f.Bins)
		if f.Area < minBins {
			continue
		}
		f.Row /= float64(f.Area)
		f.Col /= float64(f.Area)
		out = append(out, f)
	}
	return out
}
