// Package embed makes 2-D "concept spaces" from high-dimensional data: PCA,
// t-SNE and measures of how faithful an embedding is.
//
// The t-SNE follows the current practice of openTSNE and FIt-SNE (Linderman
// et al. 2019, doi:10.1038/s41592-018-0308-4; Belkina et al. 2019,
// doi:10.1038/s41467-019-13055-y; Kobak & Berens 2019,
// doi:10.1038/s41467-019-13056-x): sparse input affinities on the
// 3·perplexity nearest neighbours calibrated by bisection, PCA
// initialisation scaled to standard deviation 1e-4, early exaggeration 12
// for 250 iterations, learning rate max(200, N/12), momentum 0.5 then 0.8,
// per-coordinate gains, and repulsion either exact (small N) or by
// FFT-accelerated polynomial interpolation on a regular grid (large N).
// TSNEMany runs several optimisations (other seeds, other perplexities) on
// one neighbour search, for robustness checks across embeddings.
//
// Everything is deterministic for a given seed and input, whatever the
// number of CPUs: parallel sums are reduced over fixed chunks in a fixed
// order.
package embed
