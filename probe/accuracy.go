package probe

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/conceptcells/conceptcells/dataset"
)

// OutputLabels returns the class label of every point of d as an index of
// a model output with the given number of units, so that accuracy compares
// like with like; or nil and the reason when the classes cannot be mapped.
//
// Labels are output indices when d names no classes, when its classes are
// a built-in dataset's (MNIST, Fashion-MNIST), or when every class name is
// a distinct integer below outputs (image folders named 0…9: folder "7" is
// output 7, whatever its position among the sorted folder names). Other
// class names (an image folder of cat/ and dog/) say nothing about which
// output means which class.
func OutputLabels(d *dataset.Set, outputs int) ([]int, string) {
	switch {
	case d == nil || d.Labels == nil:
		return nil, "the data have no labels"
	case outputs < 2:
		return nil, fmt.Sprintf("the output has %d unit(s), not one score per class", outputs)
	}
	inRange := func(ls []int) bool {
		for _, l := range ls {
			if l >= outputs {
				return false
			}
		}
		return true
	}
	if len(d.Classes) == 0 || slices.Equal(d.Classes, dataset.FashionMNISTClasses) {
		if !inRange(d.Labels) {
			return nil, fmt.Sprintf("labels go beyond the %d outputs", outputs)
		}
		return d.Labels, ""
	}
	index := make([]int, len(d.Classes))
	used := map[int]bool{}
	for i, name := range d.Classes {
		k, err := strconv.Atoi(strings.TrimSpace(name))
		if err != nil || k < 0 || k >= outputs || used[k] {
			shown := d.Classes
			if len(shown) > 4 {
				shown = append(slices.Clone(shown[:4]), "…")
			}
			return nil, fmt.Sprintf("the class names (%s) do not name the model's %d outputs; name the classes 0…%d after their output to get an accuracy",
				strings.Join(shown, ", "), outputs, outputs-1)
		}
		used[k] = true
		index[i] = k
	}
	out := make([]int, len(d.Labels))
	for i, l := range d.Labels {
		out[i] = -1
		if l >= 0 && l < len(index) {
			out[i] = index[l]
		}
	}
	return out, ""
}

// Accuracy returns the fraction of points whose prediction equals their
// label (a label < 0, a class no output names, never matches), or nil
// when there are no points or the lengths differ.
func Accuracy(predictions, labels []int) *float64 {
	if len(labels) == 0 || len(predictions) != len(labels) {
		return nil
	}
	hit := 0
	for i, p := range predictions {
		if p == labels[i] {
			hit++
		}
	}
	a := float64(hit) / float64(len(labels))
	return &a
}
