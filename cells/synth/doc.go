// Package synth generates synthetic units of known type on t-SNE-like
// layouts and measures how the classification of package cells labels
// them, to choose its thresholds on one range of seeds and check them on
// another.
//
// # Data
//
// A Layout is a labelled 2-D point cloud: Clustered (ten anisotropic
// Gaussian blobs with MNIST test-set class sizes, barely touching, 2 % of
// each class inside another class's blob, like a t-SNE of MNIST) or Uniform
// (the unit square, classes the Voronoi regions of ten random sites). Every
// layout is scored in the 40-bin square bounding-box frame (Bins).
//
// Each unit type is a Generator of non-negative activations with a Type, a
// Subtype, the generation Params and the label a correct classification
// gives (Expected): Grid (hexagonal grid of position, spacing 5–12 bins:
// grid), OneClass and TwoClass (whole-class responses from five response
// families: concept), PlaceInClass (a Gaussian field inside a class, σ =
// 0.25–1 class s.d.: place, not concept), Place (a Gaussian field of
// 1.5–4 bins: place), ClassLayout (class-only levels whose class-mean map
// has gridness ≥ 0.4: not grid), Band (one cosine) and Noise (none). All
// structured types carry rectified Gaussian noise of s.d. 0.02–0.10 of the
// response and a baseline of 0–0.05.
//
// Generate makes, per seed, one layout of each kind and a fixed mix of 29
// units on them (UnitsPerSeed). Every draw comes from a math/rand/v2 PCG
// stream of the seed, so a seed gives the same units on every machine and
// in every seed range.
//
// # Harness
//
// Score classifies the cases with the public API of cells only
// (cells.NewFrame, cells.ScoreUnits, Unit.Labels, Scores.Map), one
// ScoreUnits call per layout, so it keeps working when the rules and the
// score keys change. Confusion tabulates labels per type/subtype and the
// rates that matter (grid recall per spacing, false grid, concept rate per
// response family, place-not-concept per field size); WriteCSV writes one
// row per unit with its parameters, labels and every score.
//
// # Calibration and validation
//
// Thresholds are chosen on the calibration seeds CalibrationSeeds (1–40)
// and reported on the disjoint validation seeds ValidationSeeds
// (1001–1040), both at DefaultPoints points per layout (1,160 units each).
// The run is a test that is skipped unless given a seed range:
//
//	go test ./cells/synth -run TestConfusion -v -args \
//		-synth.seeds=1-40 -synth.csv=/tmp/cal.csv [-synth.n=5000] [-synth.workers=1]
//
// It scores with cells.DefaultOptions() on one worker, writes the CSV and
// prints the confusion table; about 30 s on one core for 40 seeds.
package synth

// DefaultPoints is the number of points per layout of the calibration and
// validation runs: half an MNIST test set, which keeps a 40-seed run near
// half a minute on one core while leaving about 3 points per bin.
const DefaultPoints = 5000

// Seed ranges, inclusive. Choose thresholds on CalibrationSeeds only and
// report them on ValidationSeeds.
var (
	CalibrationSeeds = [2]int{1, 40}
	ValidationSeeds  = [2]int{1001, 1040}
)
