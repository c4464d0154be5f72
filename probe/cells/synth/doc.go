// Package synth generates synthetic units of known type on t-SNE-like
// layouts, to calibrate and validate the classification of package cells.
package synth
