package dataset

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
)

// FromNpy loads samples from a .npy array whose first axis indexes samples.
//
// Per-sample shape: N×C×H×W is taken as NCHW images; N×H×W gets one channel
// (N×1×H×W); N×D and higher ranks keep their shape with C = H = W = 0.
//
// Values: a uint8 array holds pixels; they are scaled to [0,1] (v/255) and
// normalised with norm, nil meaning MNISTNorm and an empty Normalization
// meaning scale only. A float32/float64 array is taken as already
// preprocessed (as PyTorch users save tensors) and fed as stored when norm
// is nil; a non-nil norm is applied to the values as they are, without
// scaling. NaN or ±Inf values are an error. Other integer arrays are
// refused, as their meaning is ambiguous.
//
// Normalisation is per channel along axis 1 of image data; other data take a
// single mean/std. labelsPath, when not empty, names a 1-D integer (or
// whole-number float) .npy of N non-negative class indices.
func FromNpy(path string, norm *Normalization, labelsPath string) (*Set, error) {
	a, err := ReadNpy(path)
	if err != nil {
		return nil, err
	}
	if len(a.Shape) < 2 {
		return nil, fmt.Errorf("%s: array of shape %v: want N×… with samples along the first axis (e.g. N×1×28×28)", path, a.Shape)
	}
	s := &Set{Name: filepath.Base(path), N: a.Shape[0]}
	switch len(a.Shape) {
	case 3:
		s.Shape = []int{1, a.Shape[1], a.Shape[2]}
	default:
		s.Shape = append([]int(nil), a.Shape[1:]...)
	}
	channels, plane := 1, s.SampleSize()
	if len(s.Shape) == 3 {
		s.C, s.H, s.W = s.Shape[0], s.Shape[1], s.Shape[2]
		channels, plane = s.C, s.H*s.W
	}
	switch a.DType {
	case "uint8":
		if norm == nil {
			n := MNISTNorm
			norm = &n
		}
		if err := norm.check(channels); err != nil {
			return nil, fmt.Errorf("%s: normalisation %s: %v", path, norm, err)
		}
		s.X = make([]float32, len(a.U8))
		if s.SampleSize() > 0 {
			pixelsToFloat(s.X, a.U8, norm, channels, plane)
		}
		s.Scaled = true
		s.Source = fmt.Sprintf("%s: uint8 %v, pixels/255", path, a.Shape)
	case "float32", "float64":
		s.X = a.Float32()
		for i, v := range s.X {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("%s: element %d is %v (NaN/Inf inputs are refused)", path, i, v)
			}
		}
		if norm != nil {
			if err := norm.check(channels); err != nil {
				return nil, fmt.Errorf("%s: normalisation %s: %v", path, norm, err)
			}
			if s.SampleSize() > 0 {
				norm.apply(s.X, channels, plane)
			}
		}
		s.Source = fmt.Sprintf("%s: %s %v, taken as preprocessed", path, a.DType, a.Shape)
	default:
		return nil, fmt.Errorf("%s: %s data: want float32/float64 (preprocessed) or uint8 (pixels); convert with .astype(np.float32)", path, a.DType)
	}
	if !norm.IsIdentity() {
		s.Norm = norm
	}
	if labelsPath != "" {
		if err := s.readLabels(labelsPath); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readLabels attaches a 1-D labels .npy with one non-negative class index
// per sample, and names classes "0".."max".
func (s *Set) readLabels(path string) error {
	l, err := ReadNpy(path)
	if err != nil {
		return err
	}
	if len(l.Shape) != 1 {
		return fmt.Errorf("%s: labels of shape %v: want a 1-D array of %d class indices", path, l.Shape, s.N)
	}
	if l.Shape[0] != s.N {
		return fmt.Errorf("%s: %d labels for %d samples", path, l.Shape[0], s.N)
	}
	ints, err := l.Ints()
	if err != nil {
		return fmt.Errorf("%s: labels: %v", path, err)
	}
	mx := -1
	for i, v := range ints {
		if v < 0 || v > 1<<20 {
			return fmt.Errorf("%s: label %d of sample %d is not a class index in 0..%d", path, v, i, 1<<20)
		}
		mx = max(mx, v)
	}
	s.Labels = ints
	s.Classes = make([]string, mx+1)
	for i := range s.Classes {
		s.Classes[i] = strconv.Itoa(i)
	}
	return nil
}
