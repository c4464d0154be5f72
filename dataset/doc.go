// Package dataset reads and writes the data conceptcells feeds to models:
// NumPy .npy arrays, IDX files (MNIST, Fashion-MNIST), folders of images,
// and turns them into normalised NCHW float32 image sets.
//
// All inputs are treated as untrusted: headers are validated and sizes are
// checked against the file before anything large is allocated, and every
// error names the file and what was expected.
package dataset
