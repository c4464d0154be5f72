// Package cells scores network units as place, grid and concept cells from
// their firing maps in a 2-D space (a t-SNE or PCA embedding of the input
// images). docs/methods.md defines every score and rule; the § numbers
// below refer to the field's method spec (cell-metrics.md) it builds on.
//
// # Pipeline
//
// Build one Frame per 2-D space and reuse it for every unit:
//
//	f, err := cells.NewFrame(xs, ys, 40, nil) // square bounding box, 40×40 bins
//	opts := cells.DefaultOptions()            // docs/methods.md defaults
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
//   - grid fields: the field count at the level of the peak (0.2…0.6) that
//     gives the most fields, so that broad grid fields that merge at 0.2
//     are still counted;
//   - with class labels, the class selectivity index of Morcos et al. (§6),
//     the class coverage (the share of the points of the classes near the
//     top that respond above the 95th percentile of the other classes), η²,
//     and the gridness of the class-mean map and of the within-class
//     residual map (activation minus its class mean);
//   - nulls (§7): Permutations activation permutations (seeded) give the
//     95th percentile and p-value of spatial information and CSI (the
//     latter is the label-permutation test), and of gridness where the
//     field shuffle is undefined; FieldShuffles Barry & Burgess field
//     shuffles give the gridness null where it is defined (≥ 3 grid fields
//     covering ≤ half the valid bins; Unit.GridNull says which null was
//     used); the same number of within-class permutations (activations
//     shuffled inside each class, keeping every class mean) give the nulls
//     of the residual gridness and of spatial information within classes;
//     the density control is the gridness of the count map (§9). By default
//     a null that cannot change a label is skipped; AllNulls computes all;
//   - the classification: grid, weakly-grid, cluster-grid (a grid pattern
//     the class layout makes: the residual map fails), place, concept, or
//     none; silent for constant activations; undefined for non-finite
//     activations or an empty frame. Every check is reported as a Reason
//     (score, value, operator, threshold or the null it is compared with,
//     pass); an undefined score never passes a check. docs/methods.md
//     gives every rule and where each threshold comes from (the spec, or
//     the synthetic calibration set of cells/synth).
//
// Units with negative activations (principal components, logits) are split
// into the positive part max(a, 0) and the negative part max(−a, 0), each
// scored and classified on its own (Unit.Part "pos"/"neg"; §1.4).
//
// ScoreMap scores a rate map given directly (rodent data, other tools):
// everything that needs no points. The single-map functions NewFrame,
// RawMap, SmoothMap, Autocorrelogram, Gridness, SpatialInfo and PlaceFields
// are exported for other uses.
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
