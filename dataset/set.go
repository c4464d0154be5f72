package dataset

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Set is a dataset ready to feed to a model: N samples stored one after the
// other in X, each of per-sample shape Shape in C order. Image sets have
// Shape = [C, H, W] (NCHW layout) and C, H, W set; a float .npy of another
// rank keeps its own per-sample shape (e.g. [D]) and C, H, W are zero.
type Set struct {
	// Name is a short identifier such as "mnist-test" or the file name.
	Name string
	// Source says where the data came from (files, checksums verified).
	Source string

	N       int
	Shape   []int // per-sample shape
	C, H, W int   // image dims when Shape is [C, H, W], else 0
	X       []float32

	// Labels holds one class index per sample, or is nil when unknown.
	Labels []int
	// Classes names the label indices when known (len > every label).
	Classes []string

	// Norm is the normalisation applied after scaling, nil when the data
	// are fed as stored (a float .npy without a normalisation option).
	Norm *Normalization
	// Scaled reports that raw 0..255 pixel values were divided by 255
	// before normalisation (IDX, uint8 .npy, image folders).
	Scaled bool
}

// SampleSize returns the number of float32 values per sample.
func (s *Set) SampleSize() int {
	n := 1
	for _, d := range s.Shape {
		n *= d
	}
	return n
}

// InputShape returns the model input shape for a batch of the given size,
// [batch, Shape...].
func (s *Set) InputShape(batch int) []int {
	return append([]int{batch}, s.Shape...)
}

// Sample returns sample i as a view into X.
func (s *Set) Sample(i int) []float32 {
	k := s.SampleSize()
	return s.X[i*k : (i+1)*k : (i+1)*k]
}

// Batch returns samples [start, end) as a view into X (no copy); end is
// clipped to N.
func (s *Set) Batch(start, end int) []float32 {
	end = min(end, s.N)
	k := s.SampleSize()
	return s.X[start*k : end*k : end*k]
}

// Gather copies the samples idx[0], idx[1], … into dst (len(idx) ×
// SampleSize values) and returns dst, allocating it when nil or too short;
// for shuffled mini-batches. Indices must be in [0, N).
func (s *Set) Gather(dst []float32, idx []int) []float32 {
	k := s.SampleSize()
	if cap(dst) < len(idx)*k {
		dst = make([]float32, len(idx)*k)
	}
	dst = dst[:len(idx)*k]
	for j, i := range idx {
		copy(dst[j*k:(j+1)*k], s.X[i*k:(i+1)*k])
	}
	return dst
}

// Limit returns a view of the first n samples (all of them when n ≤ 0 or
// n ≥ N). X and Labels are shared with s, not copied.
func (s *Set) Limit(n int) *Set {
	if n <= 0 || n >= s.N {
		return s
	}
	t := *s
	t.N = n
	t.X = s.X[: n*s.SampleSize() : n*s.SampleSize()]
	if s.Labels != nil {
		t.Labels = s.Labels[:n:n]
	}
	t.Name = fmt.Sprintf("%s[:%d]", s.Name, n)
	return &t
}

// Describe returns a one-line description: name, shape, labels, scaling and
// normalisation.
func (s *Set) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d × %v float32", s.Name, s.N, s.Shape)
	if s.Labels != nil {
		fmt.Fprintf(&b, ", %d classes labelled", len(s.Classes))
	}
	if s.Scaled {
		b.WriteString(", pixels/255")
	}
	if s.Norm != nil {
		fmt.Fprintf(&b, ", normalised %s", s.Norm)
	} else {
		b.WriteString(", fed as stored")
	}
	return b.String()
}

// Normalization is a per-channel affine normalisation x' = (x − Mean[c]) /
// Std[c], as torchvision's transforms.Normalize. A single Mean/Std pair
// applies to every channel. The zero value (no entries) is the identity.
type Normalization struct {
	Mean []float64
	Std  []float64
}

// MNISTNorm is the customary MNIST normalisation: mean 0.1307 and standard
// deviation 0.3081 of the training pixels scaled to [0,1] (the values used
// by PyTorch's MNIST example and by the paper's model).
var MNISTNorm = Normalization{Mean: []float64{0.1307}, Std: []float64{0.3081}}

// IsIdentity reports whether n changes nothing.
func (n *Normalization) IsIdentity() bool { return n == nil || len(n.Mean) == 0 }

// String formats n as ParseNormalization accepts it ("none" for the identity).
func (n *Normalization) String() string {
	if n.IsIdentity() {
		return "none"
	}
	f := func(v []float64) string {
		s := make([]string, len(v))
		for i, x := range v {
			s[i] = strconv.FormatFloat(x, 'g', -1, 64)
		}
		return strings.Join(s, ",")
	}
	return f(n.Mean) + "/" + f(n.Std)
}

// ParseNormalization parses "MEAN/STD" with comma-separated per-channel
// values ("0.1307/0.3081", "0.485,0.456,0.406/0.229,0.224,0.225"), "mnist"
// for MNISTNorm, or "none" for the identity (scale only).
func ParseNormalization(s string) (*Normalization, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "none", "identity":
		return &Normalization{}, nil
	case "mnist":
		n := MNISTNorm
		return &n, nil
	}
	ms, ss, ok := strings.Cut(s, "/")
	if !ok {
		return nil, fmt.Errorf("normalisation %q: want MEAN/STD (e.g. 0.1307/0.3081), \"mnist\" or \"none\"", s)
	}
	parse := func(what, list string) ([]float64, error) {
		var out []float64
		for f := range strings.SplitSeq(list, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("normalisation %q: %s %q is not a number", s, what, f)
			}
			out = append(out, v)
		}
		return out, nil
	}
	n := &Normalization{}
	var err error
	if n.Mean, err = parse("mean", ms); err != nil {
		return nil, err
	}
	if n.Std, err = parse("std", ss); err != nil {
		return nil, err
	}
	if err := n.check(0); err != nil {
		return nil, fmt.Errorf("normalisation %q: %v", s, err)
	}
	return n, nil
}

// check validates n for c channels (c = 0: any count).
func (n *Normalization) check(c int) error {
	if n.IsIdentity() {
		if n != nil && len(n.Std) != 0 {
			return errors.New("std given without mean")
		}
		return nil
	}
	if len(n.Mean) != len(n.Std) {
		return fmt.Errorf("%d means but %d stds", len(n.Mean), len(n.Std))
	}
	for _, s := range n.Std {
		if !(s > 0) || s > 1e30 {
			return fmt.Errorf("std %v must be positive and finite", s)
		}
	}
	for _, m := range n.Mean {
		if m != m || m > 1e30 || m < -1e30 {
			return fmt.Errorf("mean %v must be finite", m)
		}
	}
	if c > 0 && len(n.Mean) != 1 && len(n.Mean) != c {
		return fmt.Errorf("%d per-channel values for %d channels (give 1 or %d)", len(n.Mean), c, c)
	}
	return nil
}

// channel returns the float32 mean and std of channel c.
func (n *Normalization) channel(c int) (mean, std float32) {
	if len(n.Mean) == 1 {
		c = 0
	}
	return float32(n.Mean[c]), float32(n.Std[c])
}

// apply normalises x in place; x holds samples of `channels` planes of
// `plane` values each (plane = H·W; a non-image sample is one channel).
// The arithmetic is float32, (x − mean)/std, as torchvision's Normalize.
func (n *Normalization) apply(x []float32, channels, plane int) {
	if n.IsIdentity() {
		return
	}
	for i := 0; i < len(x); i += channels * plane {
		for c := range channels {
			m, s := n.channel(c)
			p := x[i+c*plane : i+(c+1)*plane]
			for j, v := range p {
				p[j] = (v - m) / s
			}
		}
	}
}

// pixelsToFloat converts raw 0..255 pixels to float32: v/255 (float32
// division, as torchvision's ToTensor), then the normalisation of channel c
// for pixels in channel-major planes. A 256-entry table per channel makes
// this exact and cheap.
func pixelsToFloat(dst []float32, src []uint8, norm *Normalization, channels, plane int) {
	lut := make([][256]float32, channels)
	for c := range channels {
		for v := range 256 {
			x := float32(v) / 255
			if !norm.IsIdentity() {
				m, s := norm.channel(c)
				x = (x - m) / s
			}
			lut[c][v] = x
		}
	}
	for i := 0; i < len(src); i += channels * plane {
		for c := range channels {
			t := &lut[c]
			s := src[i+c*plane : i+(c+1)*plane]
			d := dst[i+c*plane : i+(c+1)*plane]
			for j, v := range s {
				d[j] = t[v]
			}
		}
	}
}
