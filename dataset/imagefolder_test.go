package dataset

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// resizeBilinear against PyTorch's F.interpolate(bilinear,
// align_corners=False) on a 5×7 pattern (testdata/resize/gen.py).
func TestResizeBilinearMatchesTorch(t *testing.T) {
	src := plane{w: 7, h: 5, pix: make([]float32, 35)}
	for y := range 5 {
		for x := range 7 {
			src.pix[y*7+x] = float32((7*x+13*y)%17) / 16
		}
	}
	for _, c := range []struct {
		file string
		h, w int
	}{{"up12x9.npy", 12, 9}, {"down3x4.npy", 3, 4}} {
		ref, err := ReadNpy(filepath.Join("testdata", "resize", c.file))
		if err != nil {
			t.Fatal(err)
		}
		got := resizeBilinear(src, c.w, c.h)
		maxd := 0.0
		for i, v := range ref.F32 {
			maxd = max(maxd, math.Abs(float64(v-got.pix[i])))
		}
		if maxd > 1e-6 {
			t.Errorf("%s: max |ours − torch| = %g (tolerance 1e-6)", c.file, maxd)
		}
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// The first 30 MNIST test images written as 8-bit gray PNGs into class
// folders must load to exactly the IDX loader's values.
func TestImageFolderMatchesMNIST(t *testing.T) {
	t.Setenv(EnvData, "")
	m, err := MNIST("test", "")
	if err != nil {
		t.Fatal(err)
	}
	m = m.Limit(30)
	dir := t.TempDir()
	raw, _ := mnistFS.ReadFile("mnistdata/t10k-images-idx3-ubyte.gz")
	ia, err := DecodeIDX(raw)
	if err != nil {
		t.Fatal(err)
	}
	// Expected order: classes sorted, files sorted by name within a class.
	var wantX []float32
	var wantL []int
	label := 0 // label index = rank of the class folder name
	for class := range 10 {
		for i := range 30 {
			if m.Labels[i] != class {
				continue
			}
			img := image.NewGray(image.Rect(0, 0, 28, 28))
			copy(img.Pix, ia.U8[i*784:(i+1)*784])
			writePNG(t, filepath.Join(dir, "digit"+strconv.Itoa(class), "img"+strconv.Itoa(100+i)+".png"), img)
			wantX = append(wantX, m.Sample(i)...)
			wantL = append(wantL, label)
		}
		if len(wantL) > 0 && wantL[len(wantL)-1] == label {
			label++
		}
	}
	// Clutter that must be ignored.
	os.WriteFile(filepath.Join(dir, "digit0", "notes.txt"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".hidden"), 0o755)
	s, err := ImageFolder(dir, 1, 28, 28, nil)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[int]bool{}
	for _, l := range m.Labels {
		distinct[l] = true
	}
	if s.N != 30 || !reflect.DeepEqual(s.Shape, []int{1, 28, 28}) || len(s.Classes) != len(distinct) || s.Classes[3] != "digit3" {
		t.Fatalf("N=%d shape %v classes %v", s.N, s.Shape, s.Classes)
	}
	if !reflect.DeepEqual(s.Labels, wantL) {
		t.Errorf("labels %v, want %v", s.Labels, wantL)
	}
	if !reflect.DeepEqual(s.X, wantX) {
		t.Error("pixels differ from the MNIST IDX loader")
	}
	// Upscaled to 56×56 and as RGB: still 3 identical channels.
	s, err = ImageFolder(dir, 3, 56, 56, &Normalization{})
	if err != nil {
		t.Fatal(err)
	}
	if s.C != 3 || s.H != 56 || s.Norm != nil {
		t.Fatalf("RGB 56×56: %v norm %v", s.Shape, s.Norm)
	}
	x := s.Sample(0)
	if !reflect.DeepEqual(x[:56*56], x[56*56:2*56*56]) {
		t.Error("gray image as RGB: channels differ")
	}
}

func TestImageFolderColour(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 4, 2))
	for i := range 8 {
		img.Set(i%4, i/4, color.NRGBA{R: 255, G: uint8(10 * i), B: 40, A: 255})
	}
	writePNG(t, filepath.Join(dir, "b", "x.png"), img)
	writePNG(t, filepath.Join(dir, "a", "y.png"), img)
	// c, h, w = 0: from the first image (colour → 3 channels, 2×4).
	s, err := ImageFolder(dir, 0, 0, 0, &Normalization{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Shape, []int{3, 2, 4}) || !reflect.DeepEqual(s.Classes, []string{"a", "b"}) || !reflect.DeepEqual(s.Labels, []int{0, 1}) {
		t.Fatalf("shape %v classes %v labels %v", s.Shape, s.Classes, s.Labels)
	}
	x := s.Sample(0)
	if x[0] != 1 || math.Abs(float64(x[8+5])-50.0/255) > 1e-7 || math.Abs(float64(x[16])-40.0/255) > 1e-7 {
		t.Errorf("RGB values %v", x)
	}
	// Grayscale: Y = 0.299 R + 0.587 G + 0.114 B, then per-channel norm.
	s, err = ImageFolder(dir, 1, 2, 4, &Normalization{Mean: []float64{0.5}, Std: []float64{0.25}})
	if err != nil {
		t.Fatal(err)
	}
	wantY := (0.299*1 + 0.587*30.0/255 + 0.114*40.0/255 - 0.5) / 0.25
	if got := s.Sample(1)[3]; math.Abs(float64(got)-wantY) > 1e-5 {
		t.Errorf("luma %v, want %v", got, wantY)
	}
	// Errors: bad channel count, no classes, empty class, broken image.
	if _, err := ImageFolder(dir, 2, 28, 28, nil); err == nil {
		t.Error("2 channels: no error")
	}
	if _, err := ImageFolder(t.TempDir(), 1, 28, 28, nil); err == nil {
		t.Error("empty folder: no error")
	}
	os.MkdirAll(filepath.Join(dir, "c"), 0o755)
	if _, err := ImageFolder(dir, 1, 28, 28, nil); err == nil {
		t.Error("empty class folder: no error")
	}
	os.WriteFile(filepath.Join(dir, "c", "bad.png"), []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	if _, err := ImageFolder(dir, 1, 28, 28, nil); err == nil {
		t.Error("broken png: no error")
	}
	if _, err := ImageFolder(dir, 1, 28, 28, &Normalization{Mean: []float64{0, 0}, Std: []float64{1, 1}}); err == nil {
		t.Error("2 means for 1 channel: no error")
	}
}

// A PNG whose header declares 100000×100000 pixels is refused from its
// header, before any pixel memory is allocated.
func TestImageFolderHugeDeclaredSize(t *testing.T) {
	var ihdr bytes.Buffer
	ihdr.WriteString("IHDR")
	binary.Write(&ihdr, binary.BigEndian, []uint32{100000, 100000})
	ihdr.Write([]byte{8, 0, 0, 0, 0}) // 8-bit gray
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr.Bytes())
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr.Bytes()))
	dir := t.TempDir()
	p := filepath.Join(dir, "a", "huge.png")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ImageFolder(dir, 1, 28, 28, nil)
	if err == nil || !strings.Contains(err.Error(), "100000×100000") {
		t.Errorf("huge PNG: %v", err)
	}
}

// Open reports reading an image folder through Options.Progress: from 0
// to the number of images kept, one step per image.
func TestImageFolderProgress(t *testing.T) {
	dir := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 3, 3))
	for i := range 5 {
		writePNG(t, filepath.Join(dir, "c"+strconv.Itoa(i%2), strconv.Itoa(i)+".png"), img)
	}
	var got []int
	_, err := Open(dir, Options{Limit: 4, Progress: func(stage string, done, total int) {
		if stage != StageReadImages || total != 4 {
			t.Errorf("stage %q total %d, want %q of 4", stage, total, StageReadImages)
		}
		got = append(got, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 3, 4}; !reflect.DeepEqual(got, want) {
		t.Errorf("progress %v, want %v", got, want)
	}
}
