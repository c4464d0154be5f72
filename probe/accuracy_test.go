package probe

import (
	"slices"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
)

func TestOutputLabels(t *testing.T) {
	for _, tc := range []struct {
		name    string
		classes []string
		labels  []int
		outputs int
		want    []int
		why     string
	}{
		{"no classes", nil, []int{0, 3, 9}, 10, []int{0, 3, 9}, ""},
		{"mnist", dataset.MNISTClasses, []int{1, 7}, 10, []int{1, 7}, ""},
		{"fashion", dataset.FashionMNISTClasses, []int{2, 8}, 10, []int{2, 8}, ""},
		// Sorted folder names: "10" before "2"; each folder is its output.
		{"digit folders", []string{"10", "2", "3"}, []int{0, 1, 2}, 11, []int{10, 2, 3}, ""},
		{"named folders", []string{"cat", "dog"}, []int{0, 1}, 10, nil, "do not name"},
		{"too many", []string{"0", "12"}, []int{0, 1}, 10, nil, "do not name"},
		{"no labels", nil, nil, 10, nil, "no labels"},
		{"one output", nil, []int{0}, 1, nil, "1 unit"},
	} {
		got, why := OutputLabels(&dataset.Set{Classes: tc.classes, Labels: tc.labels}, tc.outputs)
		if !slices.Equal(got, tc.want) || (tc.why == "") != (why == "") || !strings.Contains(why, tc.why) {
			t.Errorf("%s: got %v %q, want %v %q", tc.name, got, why, tc.want, tc.why)
		}
	}
}
