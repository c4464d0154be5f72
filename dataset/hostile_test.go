package dataset

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// idxGzip returns a gzip IDX file of uint8 data declaring shape, holding only
// the first len(body) bytes of data.
func idxGzip(t *testing.T, shape []int, body []byte) []byte {
	var raw bytes.Buffer
	raw.Write([]byte{0, 0, 0x08, byte(len(shape))})
	for _, d := range shape {
		binary.Write(&raw, binary.BigEndian, uint32(d))
	}
	raw.Write(body)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(raw.Bytes())
	zw.Close()
	return z.Bytes()
}

func TestGzipClaimingMillionsOfImages(t *testing.T) {
	dir := t.TempDir()
	// 2,000,000 images declared (1.57 GB); random bytes keep the file
	// over 1.52 MB, so the deflate ratio bound (1032:1) allows the claim.
	body := make([]byte, 1600<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	img := idxGzip(t, []int{2_000_000, 28, 28}, body)
	lab := idxGzip(t, []int{2_000_000}, make([]byte, 1000))
	os.WriteFile(filepath.Join(dir, "t10k-images-idx3-ubyte.gz"), img, 0o644)
	os.WriteFile(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"), lab, 0o644)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := FashionMNIST("test", dir, nil)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a file claiming 2,000,000 test images was accepted")
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 64<<20 {
		t.Errorf("refusing it allocated %d MB", d>>20)
	}
	t.Log(err)
}

// Symbolic links in an image folder are refused with a message: a linked
// class folder used to be dropped silently, and a linked file outside the
// folder was followed.
func TestImageFolderLinks(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 4, 4))
	outside := t.TempDir()
	writePNG(t, filepath.Join(outside, "x.png"), img)
	for _, tc := range []struct {
		name string
		make func(dir string)
	}{
		{"linked class folder", func(dir string) {
			os.Symlink(outside, filepath.Join(dir, "b"))
		}},
		{"linked image", func(dir string) {
			os.Symlink(filepath.Join(outside, "x.png"), filepath.Join(dir, "a", "y.png"))
		}},
	} {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "a"), 0o755)
		writePNG(t, filepath.Join(dir, "a", "1.png"), img)
		tc.make(dir)
		_, err := Open(dir, Options{})
		if err == nil || !strings.Contains(err.Error(), "symbolic link") {
			t.Errorf("%s: got %v, want a refusal naming the link", tc.name, err)
		}
	}
}
