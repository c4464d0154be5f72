package cells

import "math"

// ClassScores are the class-selectivity statistics of one unit (spec §6).
type ClassScores struct {
	CSI      float64   // (μ_max − μ_rest)/(μ_max + μ_rest)
	TopClass int       // argmax_c μ_c (−1 when undefined)
	TopShare float64   // μ_max / Σ_c μ_c
	NearTop  int       // len(Near)
	Near     []int     // the classes with μ_c ≥ frac·μ_max (frac from the caller), ascending
	Means    []float64 // μ_c per class label 0…C−1 (NaN for a class with no points)
}

// classScores returns the class selectivity index of Morcos et al. (2018)
// from per-class activation sums and counts (classes without points are
// left out):
//
//	μ_c = sum_c / cnt_c,  μ_max = max_c μ_c,
//	μ_rest = mean of the other class means,
//	CSI = (μ_max − μ_rest) / (μ_max + μ_rest)
//
// Near lists the classes with μ_c ≥ frac·μ_max and NearTop counts them.
// CSI is NaN with fewer
// than two classes or when μ_max + μ_rest ≤ 0; it lies in [0, 1] for
// non-negative activations.
func classScores(sum, cnt []float64, frac float64) ClassScores {
	out := ClassScores{CSI: math.NaN(), TopClass: -1, TopShare: math.NaN(), Means: make([]float64, len(sum))}
	present := 0
	top, mx, tot := -1, math.Inf(-1), 0.0
	for c := range sum {
		if cnt[c] == 0 {
			out.Means[c] = math.NaN()
			continue
		}
		mu := sum[c] / cnt[c]
		out.Means[c] = mu
		present++
		tot += mu
		if mu > mx {
			mx, top = mu, c
		}
	}
	if present < 2 {
		return out
	}
	rest := (tot - mx) / float64(present-1)
	out.TopClass = top
	if mx+rest > 0 {
		out.CSI = (mx - rest) / (mx + rest)
	}
	if tot > 0 {
		out.TopShare = mx / tot
	}
	for c, mu := range out.Means {
		if !math.IsNaN(mu) && mu >= frac*mx {
			out.Near = append(out.Near, c)
		}
	}
	out.NearTop = len(out.Near)
	return out
}

// csiFromSums is the CSI from per-class sums and counts (no allocation).
func csiFromSums(sum, cnt []float64) float64 {
	present := 0
	mx, tot := math.Inf(-1), 0.0
	for c := range sum {
		if cnt[c] == 0 {
			continue
		}
		mu := sum[c] / cnt[c]
		present++
		tot += mu
		mx = math.Max(mx, mu)
	}
	if present < 2 {
		return math.NaN()
	}
	rest := (tot - mx) / float64(present-1)
	if !(mx+rest > 0) {
		return math.NaN()
	}
	return (mx - rest) / (mx + rest)
}
