package synth

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/conceptcells/conceptcells/cells"
)

// Bins is the number of bins per side of the square frame in which every
// layout is scored; spacings and widths "in bins" refer to it.
const Bins = 40

// Classes is the number of classes of every layout.
const Classes = 10

// mnistCounts are the class sizes of the MNIST test set (digits 0…9).
var mnistCounts = [Classes]int{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}

// Layout kinds.
const (
	KindClustered = "clustered"
	KindUniform   = "uniform"
)

// Layout is a 2-D point cloud with class labels, a stand-in for a t-SNE
// concept space. Coordinates are in an arbitrary unit; BinWidth converts
// them to bins of the Bins×Bins square bounding-box frame.
type Layout struct {
	Kind   string // KindClustered or KindUniform
	Seed   int
	X, Y   []float64
	Labels []int // class 0…Classes−1 of each point
	// Misplaced marks the points drawn inside the blob of a class other
	// than their own (clustered layouts; all false on uniform ones).
	Misplaced []bool
	// Centres holds, per class, the blob centre (clustered) or the
	// Voronoi site of the class region (uniform).
	Centres [][2]float64
	// SDs holds, per class, the standard deviations along the blob's major
	// and minor axes (clustered) or of the x and y coordinates of the
	// region's points (uniform).
	SDs [][2]float64
	// Angles holds, per class, the direction of the blob's major axis in
	// radians, counter-clockwise from +x (0 on uniform layouts).
	Angles   []float64
	BinWidth float64 // width of one bin of the Bins×Bins square bounding box
}

// N returns the number of points.
func (l *Layout) N() int { return len(l.X) }

// ClassSD returns the size of class c: the geometric mean of its two
// standard deviations (SDs).
func (l *Layout) ClassSD(c int) float64 { return math.Sqrt(l.SDs[c][0] * l.SDs[c][1]) }

// classCounts scales the MNIST test-set class sizes to n points (largest
// remainder, so the counts sum to n).
func classCounts(n int) [Classes]int {
	total := 0
	for _, c := range mnistCounts {
		total += c
	}
	var out [Classes]int
	rem := make([]float64, Classes)
	sum := 0
	for i, c := range mnistCounts {
		exact := float64(n) * float64(c) / float64(total)
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		sum += out[i]
	}
	for ; sum < n; sum++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// Layout geometry of Clustered: class s.d. (geometric mean of the two axes)
// drawn from [sdLo, sdHi], axis ratio from [1, 2], blobs separated so that
// their contours at contourSD standard deviations do not overlap, centres
// in a square of side boxSide·sdMean·√Classes, misplaced fraction of each
// class drawn inside another class's blob. boxSide makes about 60 % of the
// 40×40 bins empty at 5,000 points (t-SNE of MNIST: 60–83 %, spec §9.2).
const (
	sdLo, sdHi, sdMean = 0.85, 1.15, 1.0
	contourSD          = 3.0
	boxSide            = 4.2
	misplacedFrac      = 0.02
)

// Clustered returns n points in Classes anisotropic Gaussian blobs, a
// stand-in for a t-SNE embedding of MNIST: class sizes in the proportions
// of the MNIST test set; each blob has a class s.d. (geometric mean of its
// axes) in [0.85, 1.15], an axis ratio in [1, 2] and a random rotation; the
// centres are placed at random, one after the other, so that the blobs'
// 2.5-s.d. contour ellipses do not overlap (blobs barely touch, with empty
// gaps between them); 2 % of each class's points are drawn inside the blob
// of another, random class, as t-SNE places ambiguous images. Deterministic
// for a seed.
func Clustered(seed, n int) *Layout {
	if n < Classes {
		panic(fmt.Sprintf("synth: Clustered with %d points: want ≥ %d", n, Classes))
	}
	r := rand.New(rand.NewPCG(uint64(seed), streamClustered))
	l := &Layout{Kind: KindClustered, Seed: seed,
		Centres: make([][2]float64, Classes), SDs: make([][2]float64, Classes), Angles: make([]float64, Classes)}
	for c := range Classes {
		s := sdLo + (sdHi-sdLo)*r.Float64()
		ratio := 1 + r.Float64()
		l.SDs[c] = [2]float64{s * math.Sqrt(ratio), s / math.Sqrt(ratio)}
		l.Angles[c] = math.Pi * r.Float64()
	}
	side := boxSide * sdMean * math.Sqrt(Classes)
	for !placeCentres(l, side, r) {
		side *= 1.05
	}
	counts := classCounts(n)
	l.X, l.Y = make([]float64, 0, n), make([]float64, 0, n)
	l.Labels, l.Misplaced = make([]int, 0, n), make([]bool, 0, n)
	for c, cnt := range counts {
		away := int(math.Round(misplacedFrac * float64(cnt)))
		for i := range cnt {
			blob := c
			if i < away {
				blob = (c + 1 + r.IntN(Classes-1)) % Classes
			}
			x, y := l.blobPoint(blob, r)
			l.X, l.Y = append(l.X, x), append(l.Y, y)
			l.Labels, l.Misplaced = append(l.Labels, c), append(l.Misplaced, blob != c)
		}
	}
	l.BinWidth = binWidth(l.X, l.Y)
	return l
}

// blobPoint draws a point of the Gaussian blob of class c.
func (l *Layout) blobPoint(c int, r *rand.Rand) (x, y float64) {
	u, v := l.SDs[c][0]*r.NormFloat64(), l.SDs[c][1]*r.NormFloat64()
	cs, sn := math.Cos(l.Angles[c]), math.Sin(l.Angles[c])
	return l.Centres[c][0] + cs*u - sn*v, l.Centres[c][1] + sn*u + cs*v
}

// contourRadius returns the distance from the centre of blob c to its
// contourSD-s.d. ellipse in the direction theta.
func (l *Layout) contourRadius(c int, theta float64) float64 {
	d := theta - l.Angles[c]
	a, b := l.SDs[c][0], l.SDs[c][1]
	cs, sn := math.Cos(d), math.Sin(d)
	return contourSD / math.Sqrt(cs*cs/(a*a)+sn*sn/(b*b))
}

// placeCentres places the blob centres uniformly in [0, side]², each at a
// distance from the earlier ones of at least the sum of the two contour
// radii along the line joining them. It reports false when some centre
// found no room in 2,000 tries.
func placeCentres(l *Layout, side float64, r *rand.Rand) bool {
	for c := range Classes {
		ok := false
		for try := 0; try < 2000 && !ok; try++ {
			x, y := side*r.Float64(), side*r.Float64()
			ok = true
			for d := 0; d < c && ok; d++ {
				dx, dy := x-l.Centres[d][0], y-l.Centres[d][1]
				theta := math.Atan2(dy, dx)
				need := l.contourRadius(c, theta+math.Pi) + l.contourRadius(d, theta)
				ok = math.Hypot(dx, dy) >= need
			}
			if ok {
				l.Centres[c] = [2]float64{x, y}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// minSiteDist is the smallest distance between two Voronoi sites of a
// uniform layout (unit square), so that no class region is a sliver.
const minSiteDist = 0.12

// Uniform returns n points uniform in the unit square whose labels are the
// Voronoi regions of Classes random sites (at least 0.12 apart): classes
// are spatial regions with no gaps between them. SDs are the standard
// deviations of the x and y coordinates of each region's points.
// Deterministic for a seed.
func Uniform(seed, n int) *Layout {
	if n < Classes {
		panic(fmt.Sprintf("synth: Uniform with %d points: want ≥ %d", n, Classes))
	}
	r := rand.New(rand.NewPCG(uint64(seed), streamUniform))
	l := &Layout{Kind: KindUniform, Seed: seed,
		Centres: make([][2]float64, Classes), SDs: make([][2]float64, Classes), Angles: make([]float64, Classes)}
	for c := 0; c < Classes; {
		x, y := r.Float64(), r.Float64()
		ok := true
		for d := 0; d < c && ok; d++ {
			ok = math.Hypot(x-l.Centres[d][0], y-l.Centres[d][1]) >= minSiteDist
		}
		if ok {
			l.Centres[c] = [2]float64{x, y}
			c++
		}
	}
	l.X, l.Y, l.Labels, l.Misplaced = make([]float64, n), make([]float64, n), make([]int, n), make([]bool, n)
	var s, s2 [Classes][2]float64
	var cnt [Classes]float64
	for k := range n {
		x, y := r.Float64(), r.Float64()
		best, bd := 0, math.Inf(1)
		for c, p := range l.Centres {
			if d := (x-p[0])*(x-p[0]) + (y-p[1])*(y-p[1]); d < bd {
				best, bd = c, d
			}
		}
		l.X[k], l.Y[k], l.Labels[k] = x, y, best
		cnt[best]++
		s[best][0] += x
		s[best][1] += y
		s2[best][0] += x * x
		s2[best][1] += y * y
	}
	for c := range Classes {
		for j := range 2 {
			if cnt[c] > 1 {
				m := s[c][j] / cnt[c]
				l.SDs[c][j] = math.Sqrt(math.Max(s2[c][j]/cnt[c]-m*m, 0))
			}
		}
	}
	l.BinWidth = binWidth(l.X, l.Y)
	return l
}

// binWidth returns the width of one of Bins bins of the square bounding
// box of the points, the frame the harness scores in.
func binWidth(xs, ys []float64) float64 {
	rg, err := cells.SquareBounds(xs, ys)
	if err != nil {
		panic("synth: " + err.Error())
	}
	return (rg.XMax - rg.XMin) / Bins
}

// PCG streams of the layouts (the seed is the PCG state seed).
const (
	streamClustered = 0x636c7573 // "clus"
	streamUniform   = 0x756e6966 // "unif"
)
