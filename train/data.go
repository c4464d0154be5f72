package train

import (
	"fmt"

	"github.com/conceptcells/conceptcells/dataset"
)

// ImageSize is the number of values in one input image (1×28×28).
const ImageSize = 1 * InH * InW

// Data is a labelled set of MNIST-shaped images: X holds N images of
// 1×28×28 float32 values (NCHW, already normalised) and Y their N labels in
// [0, 10).
type Data struct {
	X []float32
	Y []int
}

// Len returns the number of images.
func (d Data) Len() int { return len(d.Y) }

// Validate checks that X and Y agree and the labels are classes of the
// network. name says which set it is, for the error.
func (d Data) Validate(name string) error {
	if len(d.Y) == 0 {
		return fmt.Errorf("train: %s set is empty", name)
	}
	if len(d.X) != len(d.Y)*ImageSize {
		return fmt.Errorf("train: %s set has %d values for %d labels, want %d (1×28×28 per image)",
			name, len(d.X), len(d.Y), len(d.Y)*ImageSize)
	}
	for i, y := range d.Y {
		if y < 0 || y >= Classes {
			return fmt.Errorf("train: %s set: label %d of image %d is not in [0, %d)", name, y, i, Classes)
		}
	}
	return nil
}

// Subset returns the first n images (all if n ≥ Len).
func (d Data) Subset(n int) Data {
	if n >= d.Len() {
		return d
	}
	return Data{X: d.X[:n*ImageSize], Y: d.Y[:n]}
}

// FromSet converts a dataset.Set of 1×28×28 images with labels to Data
// (sharing its slices). name says which set it is, for errors.
func FromSet(s *dataset.Set, name string) (Data, error) {
	if s == nil {
		return Data{}, fmt.Errorf("train: no %s set", name)
	}
	if len(s.Shape) != 3 || s.Shape[0] != 1 || s.Shape[1] != InH || s.Shape[2] != InW {
		return Data{}, fmt.Errorf("train: %s set %s has samples of shape %v, want [1 28 28]", name, s.Name, s.Shape)
	}
	if s.Labels == nil {
		return Data{}, fmt.Errorf("train: %s set %s has no labels", name, s.Name)
	}
	d := Data{X: s.X, Y: s.Labels}
	if err := d.Validate(name); err != nil {
		return Data{}, err
	}
	return d, nil
}
