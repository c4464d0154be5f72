package cells

import "math"

// InfoScores are the Skaggs-style statistics of a rate map (spec §4).
type InfoScores struct {
	PerUnit     float64 // bits per unit activation (Skaggs bits/spike)
	PerSample   float64 // bits per sample (Skaggs bits/s) = mean · PerUnit
	Sparsity    float64
	Selectivity float64
	Mean        float64 // λ̄ = Σ p_i λ_i
}

// SpatialInfo returns the spatial information, sparsity and selectivity of
// the rate map lam with occupancy occ (same length; bins where lam is NaN or
// occ ≤ 0 are ignored; p_i = occ_i / Σ occ):
//
//	λ̄ = Σ p_i λ_i
//	I_unit   = Σ p_i (λ_i/λ̄) log2(λ_i/λ̄)        (bits per unit activation)
//	I_sample = Σ p_i λ_i log2(λ_i/λ̄) = λ̄·I_unit (bits per sample)
//	sparsity = (Σ p_i λ_i)² / Σ p_i λ_i²,  selectivity = max λ / λ̄
//
// Terms with λ_i = 0 contribute 0 (Skaggs et al. 1993, 1996; spec §4). For
// maps given without occupancy pass occ = nil (uniform over valid bins).
// Preconditions: λ_i ≥ 0. Every field is NaN when a valid λ_i < 0, when no
// bin is valid, or when λ̄ ≤ 0 (a silent map).
func SpatialInfo(lam, occ []float64) InfoScores {
	nan := math.NaN()
	out := InfoScores{nan, nan, nan, nan, nan}
	tot, mean, sq, mx := 0.0, 0.0, 0.0, math.Inf(-1)
	for i, l := range lam {
		o := 1.0
		if occ != nil {
			o = occ[i]
		}
		if math.IsNaN(l) || !(o > 0) {
			continue
		}
		if l < 0 || math.IsInf(l, 0) {
			return out
		}
		tot += o
		mean += o * l
		sq += o * l * l
		mx = math.Max(mx, l)
	}
	if tot == 0 {
		return out
	}
	mean /= tot
	sq /= tot
	if !(mean > 0) {
		return out
	}
	info := 0.0
	for i, l := range lam {
		o := 1.0
		if occ != nil {
			o = occ[i]
		}
		if math.IsNaN(l) || !(o > 0) || l == 0 {
			continue
		}
		r := l / mean
		info += o / tot * r * math.Log2(r)
	}
	out.PerUnit = info
	out.PerSample = info * mean
	out.Sparsity = mean * mean / sq
	out.Selectivity = mx / mean
	out.Mean = mean
	return out
}

// siFromSums is the spatial information in bits per unit activation from
// per-bin activation sums S_i and counts C_i (bins with C_i < minCount are
// skipped): Σ (S_i/ΣS) log2((S_i/C_i)/(ΣS/ΣC)). NaN if ΣS ≤ 0 or any
// valid S_i < 0.
func siFromSums(sums, count []float64, minCount float64) float64 {
	ts, tc := 0.0, 0.0
	for i, c := range count {
		if c >= minCount && c > 0 {
			if sums[i] < 0 {
				return math.NaN()
			}
			ts += sums[i]
			tc += c
		}
	}
	if !(ts > 0) {
		return math.NaN()
	}
	mean := ts / tc
	info := 0.0
	for i, c := range count {
		if c >= minCount && c > 0 && sums[i] > 0 {
			info += sums[i] / ts * math.Log2(sums[i]/c/mean)
		}
	}
	return info
}
