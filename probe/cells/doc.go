// Package cells scores network units as place, grid and concept cells from
// their firing maps in a 2-D space (a t-SNE or PCA embedding of the input
// images), following the method spec shared/specs/cell-metrics.md.
//
// # Pipeline
//
// Build one Frame per 2-D space and reuse it for every unit:
//
//	f, err := cells.NewFrame(xs, ys, 40, nil) // square bounding box, 40×40 bins
//	opts := cells.DefaultOptions()            // spec §11 defaults
//	res, err := cells.ScoreUnits(ctx, f, cells.RowMajor32{Data: a, K: k, U: u}, labels, opts)
//	for _, unit := range res.Units { unit.Labels; unit.Reasons; unit.Scores; unit.Raw; unit.Smooth; unit.SAC }
//	res.WriteJSON(w); res.WriteCSV(w)
//
// The Frame holds the bin of every point and the occupancy counts.
// ScoreUnits computes the per-frame data once (valid-bin mask, smoothed
// counts, ring and rotation geometry, the density control) and scores the
// units on Options.Workers goroutines, each with its own FFT plans and
// buffers. For every unit (or signed part, see below) it computes:
//
//   - the raw binned-mean map (scoring) and the smooth-then-divide map
//     (Gaussian σ = 1 bin; display and fields), NaN = empty bin (§1);
//   - the NaN-aware autocorrelogram, Pearson per lag with at least
//     MinOverlap valid pairs, from FFT sums (§2);
//   - gridness: min(r60,r120) − max(r30,r90,r150) and the mean form, the
//     90° scores, bilinear rotation, DeepMind's ten rings, maximum over
//     rings and the best ring (§3); lattice spacing and orientation from
//     the autocorrelogram peaks (LatticeGeometry);
//   - Skaggs spatial information in bits per unit activation and per
//     sample with count occupancy, sparsity, selectivity (§4);
//   - place fields: 4-connected, ≥ 0.2·peak, ≥ 9 bins, on the smoothed map (§5);
//   - with class labels, the class selectivity index of Morcos et al. (§6);
//   - nulls (§7): Permutations activation permutations (seeded) give the
//     95th percentile and p-value of spatial information and CSI (the
//     latter is the label-permutation test); the same number of
//     within-class permutations tells a place field inside a cluster from a
//     whole-class cell (§6); FieldShuffles Barry & Burgess field shuffles
//     give the gridness null (by default only for units whose gridness
//     reaches the weakly-grid threshold, the within-class null only when
//     the CSI reaches the concept threshold; AllNulls for every unit);
//     the density control is the gridness of the count map (§9);
//   - the classification (§8, §11): grid, weakly-grid, place, concept, or
//     none; silent for constant activations; undefined for non-finite
//     activations or an empty frame. Every check is reported as a Reason
//     (score, value, operator, threshold, pass); an undefined score never
//     passes a check.
//
// Units with negative activations (principal components, logits) are split
// into the positive part max(a, 0) and the negative part max(−a, 0), each
// scored and classified on its own (Unit.Part "pos"/"neg"; §1.4).
//
// ScoreMap scores a rate map given directly (rodent data, other tools):
// everything that needs no points. The single-map functions NewFrame,
// RawMap, SmoothMap, Autocorrelogram, Gridness, SpatialInfo, PlaceFields and
// ClassSelectivity are exported for other uses.
//
// # Compatibility mode
//
// CompatDeepMind reproduces google-deepmind/grid-cells scores.py (zero-filled
// empty bins, cubic-spline rotation, cov/var ring correlation); it agrees
// with the reference values of DeepMind's scorer to 5e-6 and exists only to
// prove agreement with the field's scorer. On t-SNE maps with many empty
// bins it scores the cluster layout, not the unit (§9, §10).
//
// # Cost
//
// One 40×40 autocorrelogram is three complex 80×80 FFTs; the field shuffle
// (100 autocorrelograms and ring scores) is most of the cost of a unit, the
// 400 permutations of 10,000 points the rest. See BenchmarkScoreUnits.
//
// # References
//
// Hafting et al. 2005; Sargolini et al. 2006; Langston et al. 2010; Skaggs
// et al. 1993, 1996; Barry & Burgess 2017; Banino et al. 2018; Morcos et al.
// 2018; full list in the spec §12.
package cells
