package synth

import (
	"math"
	"testing"

	"github.com/conceptcells/conceptcells/probe/cells"
)

func TestClustered(t *testing.T) {
	const n = 5000
	l := Clustered(11, n)
	if l.N() != n || len(l.Labels) != n || len(l.Misplaced) != n {
		t.Fatalf("%d points, %d labels, %d flags: want %d", l.N(), len(l.Labels), len(l.Misplaced), n)
	}
	counts, away := make([]int, Classes), make([]int, Classes)
	for k, c := range l.Labels {
		counts[c]++
		if l.Misplaced[k] {
			away[c]++
		}
	}
	for c := range Classes {
		// MNIST test-set proportions scaled to n, to one point
		want := float64(n) * float64(mnistCounts[c]) / 10000
		if math.Abs(float64(counts[c])-want) > 1 {
			t.Errorf("class %d: %d points, want %.1f", c, counts[c], want)
		}
		if want := math.Round(0.02 * float64(counts[c])); float64(away[c]) != want {
			t.Errorf("class %d: %d points in another blob, want %g (2 %%)", c, away[c], want)
		}
		// blobs barely touch: the 3-s.d. contours do not overlap
		for d := range c {
			dx, dy := l.Centres[c][0]-l.Centres[d][0], l.Centres[c][1]-l.Centres[d][1]
			th := math.Atan2(dy, dx)
			if math.Hypot(dx, dy) < l.contourRadius(c, th+math.Pi)+l.contourRadius(d, th)-1e-9 {
				t.Errorf("blobs %d and %d overlap", c, d)
			}
		}
		if r := l.SDs[c][0] / l.SDs[c][1]; r < 1 || r > 2 {
			t.Errorf("class %d axis ratio %.2f: want 1…2", c, r)
		}
	}
	// t-SNE-like: clusters with empty gaps (spec §9.2: 60–83 % empty)
	f, err := cells.NewFrame(l.X, l.Y, Bins, nil)
	if err != nil {
		t.Fatal(err)
	}
	empty := 0
	for _, c := range f.Count {
		if c == 0 {
			empty++
		}
	}
	if frac := float64(empty) / float64(Bins*Bins); frac < 0.45 || frac > 0.8 {
		t.Errorf("%.2f of the bins are empty: want 0.45…0.8", frac)
	}
	if w := (f.Range.XMax - f.Range.XMin) / Bins; math.Abs(w-l.BinWidth) > 1e-12*w {
		t.Errorf("BinWidth %g, frame bin %g", l.BinWidth, w)
	}
}

func TestUniform(t *testing.T) {
	l := Uniform(5, 3000)
	counts := make([]int, Classes)
	for k, c := range l.Labels {
		counts[c]++
		// Voronoi: no site is nearer than the point's own
		own := math.Hypot(l.X[k]-l.Centres[c][0], l.Y[k]-l.Centres[c][1])
		for d, p := range l.Centres {
			if math.Hypot(l.X[k]-p[0], l.Y[k]-p[1]) < own {
				t.Fatalf("point %d labelled %d is nearer to site %d", k, c, d)
			}
		}
		if l.X[k] < 0 || l.X[k] > 1 || l.Y[k] < 0 || l.Y[k] > 1 || l.Misplaced[k] {
			t.Fatalf("point %d at (%g, %g), misplaced %v", k, l.X[k], l.Y[k], l.Misplaced[k])
		}
	}
	for c, n := range counts {
		if n == 0 || !(l.ClassSD(c) > 0) {
			t.Errorf("class %d: %d points, s.d. %g", c, n, l.ClassSD(c))
		}
	}
}
