package dataset

import (
	"fmt"
	"image"
	_ "image/jpeg" // register JPEG
	_ "image/png"  // register PNG
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/conceptcells/conceptcells/internal/fsutil"
)

// Limits on untrusted images: the declared size is checked (DecodeConfig)
// before the image is decoded.
const (
	maxImagePixels = 16 << 20 // per image (4096×4096)
	maxImageSide   = 1 << 15
)

// imageExts are the extensions ImageFolder reads (case-insensitive).
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// ImageFolder loads a folder laid out like torchvision's ImageFolder: one
// subfolder per class holding PNG or JPEG files. Class names are the
// subfolder names sorted byte-wise, and label i is the i-th name; files are
// taken in sorted order within each class. Hidden entries (leading '.') and
// files with other extensions are skipped; a class folder without images is
// an error.
//
// Each image becomes c channels of h×w float32 values in [0,1]: c = 1 takes
// the ITU-R 601-2 luma Y = 0.299 R + 0.587 G + 0.114 B (as PIL's
// convert("L")), c = 3 takes R, G, B (a gray image is replicated; alpha is
// dropped without compositing, as PIL's convert("RGB")). When the image is
// not h×w it is resized with bilinear interpolation on pixel centres (the
// align_corners=False convention, no antialiasing, so strong downscaling
// aliases where PIL's filter would not). c, h or w equal to 0 take the
// first image's channel count (1 for gray, else 3) and size. Values are then
// normalised with norm (nil: MNISTNorm; an empty Normalization: scale only).
func ImageFolder(dir string, c, h, w int, norm *Normalization) (*Set, error) {
	return imageFolder(dir, c, h, w, norm, 0, nil)
}

type imageFile struct {
	path  string
	label int
}

// imageFolder is ImageFolder keeping the first limit images (0 = all) and
// telling progress, when not nil, how many images are read.
func imageFolder(dir string, c, h, w int, norm *Normalization, limit int, progress Progress) (*Set, error) {
	if c != 0 && c != 1 && c != 3 {
		return nil, fmt.Errorf("image folder %s: %d channels: want 1 (grayscale) or 3 (RGB)", dir, c)
	}
	if h < 0 || w < 0 || h > maxImageSide || w > maxImageSide || h*w > maxImagePixels {
		return nil, fmt.Errorf("image folder %s: bad target size %d×%d", dir, h, w)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.Type()&fs.ModeSymlink != 0 {
			// A link could lead anywhere (or to a device); say so rather
			// than drop the class or follow it out of the folder.
			return nil, fmt.Errorf("image folder %s: %q is a symbolic link: links are not followed (copy or move the class folder in)", dir, e.Name())
		}
		if e.IsDir() {
			classes = append(classes, e.Name())
		}
	}
	sort.Strings(classes)
	if len(classes) == 0 {
		return nil, fmt.Errorf("image folder %s: no class subfolders (want DIR/<class>/<image>.png|jpg, as torchvision's ImageFolder)", dir)
	}
	var files []imageFile
	for label, cl := range classes {
		sub := filepath.Join(dir, cl)
		es, err := os.ReadDir(sub)
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range es {
			if strings.HasPrefix(e.Name(), ".") || e.IsDir() || !imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				return nil, fmt.Errorf("image folder %s: %s is a symbolic link: links are not followed (copy the image in)", dir, filepath.Join(cl, e.Name()))
			}
			names = append(names, e.Name())
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("image folder %s: class folder %q has no .png/.jpg/.jpeg files", dir, cl)
		}
		sort.Strings(names)
		for _, n := range names {
			files = append(files, imageFile{filepath.Join(sub, n), label})
		}
	}
	if limit > 0 && limit < len(files) {
		files = files[:limit]
	}
	if norm == nil {
		n := MNISTNorm
		norm = &n
	}
	var s *Set
	report := func(done int) {
		if progress != nil {
			progress(StageReadImages, done, len(files))
		}
	}
	report(0)
	for i, f := range files {
		planes, ic, err := readImage(f.path, c, h, w)
		if err != nil {
			return nil, err
		}
		if s == nil {
			// The first image fixes any size left open.
			c = ic
			h, w = planes[0].h, planes[0].w
			if err := norm.check(c); err != nil {
				return nil, fmt.Errorf("image folder %s: normalisation %s: %v", dir, norm, err)
			}
			if int64(len(files))*int64(c*h*w) > 1<<31 {
				return nil, fmt.Errorf("image folder %s: %d images of %d×%d×%d are too many to hold (use a limit)", dir, len(files), c, h, w)
			}
			s = &Set{
				Name: filepath.Base(filepath.Clean(dir)), N: len(files),
				Shape: []int{c, h, w}, C: c, H: h, W: w,
				X:       make([]float32, len(files)*c*h*w),
				Labels:  make([]int, len(files)),
				Classes: classes, Scaled: true,
			}
		}
		x := s.Sample(i)
		for ch := range c {
			copy(x[ch*h*w:], planes[ch].pix)
		}
		s.Labels[i] = f.label
		report(i + 1)
	}
	if !norm.IsIdentity() {
		s.Norm = norm
		norm.apply(s.X, c, h*w)
	}
	s.Source = fmt.Sprintf("image folder %s: %d images in %d classes, %d×%d×%d (bilinear resize)", dir, s.N, len(classes), c, h, w)
	return s, nil
}

// plane is one channel of an image, row-major, values in [0,1].
type plane struct {
	pix  []float32
	w, h int
}

// readImage decodes one PNG/JPEG into c planes of h×w (0 = keep the
// image's own channel count or size).
func readImage(path string, c, h, w int) ([]plane, int, error) {
	f, _, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: not a readable PNG/JPEG image: %v", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxImageSide || cfg.Height > maxImageSide || cfg.Width*cfg.Height > maxImagePixels {
		return nil, 0, fmt.Errorf("%s: %s image of %d×%d pixels is outside the accepted size (≤ %d pixels)", path, format, cfg.Width, cfg.Height, maxImagePixels)
	}
	if _, err := f.Seek(0, 0); err != nil {
		return nil, 0, err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: decoding %s: %v", path, format, err)
	}
	b := img.Bounds()
	iw, ih := b.Dx(), b.Dy()
	gray := false
	switch img.(type) {
	case *image.Gray, *image.Gray16:
		gray = true
	}
	if c == 0 {
		c = 3
		if gray {
			c = 1
		}
	}
	if h == 0 || w == 0 {
		h, w = ih, iw
	}
	// Channel planes at the source size.
	src := make([]plane, c)
	for ch := range src {
		src[ch] = plane{pix: make([]float32, iw*ih), w: iw, h: ih}
	}
	for y := range ih {
		for x := range iw {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // 16-bit, alpha-premultiplied
			R, G, B := float32(r)/65535, float32(g)/65535, float32(bl)/65535
			i := y*iw + x
			if c == 1 {
				if gray {
					src[0].pix[i] = R
				} else {
					src[0].pix[i] = 0.299*R + 0.587*G + 0.114*B
				}
			} else {
				src[0].pix[i], src[1].pix[i], src[2].pix[i] = R, G, B
			}
		}
	}
	if ih == h && iw == w {
		return src, c, nil
	}
	out := make([]plane, c)
	for ch := range out {
		out[ch] = resizeBilinear(src[ch], w, h)
	}
	return out, c, nil
}

// resizeBilinear resamples p to w×h. Output pixel (x, y) samples the source
// at ((x+½)·sw/w − ½, (y+½)·sh/h − ½), clamped to the image, and
// interpolates the four neighbours linearly (align_corners=False).
func resizeBilinear(p plane, w, h int) plane {
	out := plane{pix: make([]float32, w*h), w: w, h: h}
	sx := float64(p.w) / float64(w)
	sy := float64(p.h) / float64(h)
	coord := func(o int, scale float64, n int) (int, int, float32) {
		f := (float64(o)+0.5)*scale - 0.5
		if f < 0 {
			f = 0
		}
		i0 := int(f)
		if i0 >= n-1 {
			return n - 1, n - 1, 0
		}
		return i0, i0 + 1, float32(f - float64(i0))
	}
	for y := range h {
		y0, y1, fy := coord(y, sy, p.h)
		for x := range w {
			x0, x1, fx := coord(x, sx, p.w)
			a := p.pix[y0*p.w+x0]*(1-fx) + p.pix[y0*p.w+x1]*fx
			b := p.pix[y1*p.w+x0]*(1-fx) + p.pix[y1*p.w+x1]*fx
			out.pix[y*w+x] = a*(1-fy) + b*fy
		}
	}
	return out
}
