package synth

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/conceptcells/conceptcells/cells"
)

// Unit types.
const (
	TypeGrid         = "grid"
	TypeOneClass     = "one-class"
	TypeTwoClass     = "two-class"
	TypePlaceInClass = "place-in-class"
	TypePlace        = "place"
	TypeClassLayout  = "class-layout"
	TypeBand         = "band"
	TypeNoise        = "noise"
)

// typeOrder lists the unit types and subOrder their subtypes, in the
// order of the rows of a Table (unknown names follow alphabetically).
var (
	typeOrder = []string{TypeGrid, TypeOneClass, TypeTwoClass, TypePlaceInClass, TypePlace, TypeClassLayout, TypeBand, TypeNoise}
	subOrder  = func() []string {
		var s []string
		for _, b := range spacingBuckets {
			s = append(s, b.name)
		}
		for _, f := range families {
			s = append(s, f.name)
		}
		for _, b := range sizeBuckets {
			s = append(s, b.name)
		}
		return append(s, "1.5-2.75", "2.75-4", "on-off", "graded", "exponential", "half-normal")
	}()
)

// Expected labels: what a correct classification says about a unit type.
const (
	// ExpectGrid: labelled grid.
	ExpectGrid = "grid"
	// ExpectConcept: labelled concept (a whole-class cell).
	ExpectConcept = "concept"
	// ExpectPlace: labelled place and not concept.
	ExpectPlace = "place"
	// ExpectClassLayoutGrid: the pattern is the layout of the class
	// clusters; labelled neither grid nor weakly-grid.
	ExpectClassLayoutGrid = "class-layout-grid"
	// ExpectNone: labelled neither grid, weakly-grid, place nor concept.
	ExpectNone = "none"
)

// Unit is one synthetic unit on a layout: its activations at the layout's
// points (non-negative) and what generated them.
type Unit struct {
	Type     string // one of the Type constants
	Subtype  string // a bucket or family within the type (see each generator)
	Expected string // one of the Expect constants
	// Params are the generation parameters (spacings in bins, classes,
	// noise), recorded for the report and the CSV.
	Params map[string]float64
	Acts   []float64
}

// noise is the per-unit noise model shared by every structured type: the
// activation is max(0, signal + baseline + sd·z), z standard normal, with
// sd drawn from [0.02, 0.10] and baseline from [0, 0.05] (the peak or mean
// response is 1), so that points outside the response sit at a small,
// rectified, noisy baseline as ReLU units do.
type noise struct{ sd, baseline float64 }

func drawNoise(r *rand.Rand) noise {
	return noise{sd: 0.02 + 0.08*r.Float64(), baseline: 0.05 * r.Float64()}
}

// apply adds the noise to the signal a in place and rectifies at 0.
func (n noise) apply(a []float64, r *rand.Rand) {
	for k := range a {
		a[k] = math.Max(0, a[k]+n.baseline+n.sd*r.NormFloat64())
	}
}

func (n noise) record(p map[string]float64) {
	p["noise_sd"], p["baseline"] = n.sd, n.baseline
}

// Spacing buckets of grid and band units, in bins of the Bins×Bins frame:
// [lo, hi) except the last, which includes 12.
var spacingBuckets = []struct {
	name   string
	lo, hi float64
}{{"5-6", 5, 7}, {"7-9", 7, 10}, {"10-12", 10, 12}}

// drawSpacing draws a bucket uniformly, then a spacing uniformly inside it,
// so that every bucket is equally represented.
func drawSpacing(r *rand.Rand) (bins float64, bucket string) {
	b := spacingBuckets[r.IntN(len(spacingBuckets))]
	return b.lo + (b.hi-b.lo)*r.Float64(), b.name
}

// maxThreshold bounds the rectification threshold of grid and band units:
// 0 keeps the whole cosine shape, 0.6 leaves isolated bumps.
const maxThreshold = 0.6

// HexGrid returns the noise-free hexagonal grid of position on the layout:
//
//	g(p) = Σ_{i=0..2} cos(k u_i·(p − p0)),  k = 4π/(√3 L),
//	u_i at orientation − 30° + 60°·i,
//	shape = (g + 1.5)/4.5 ∈ [0, 1],  a = max(0, shape − t)/(1 − t),
//
// so that the fields lie on a triangular lattice of spacing L with lattice
// vectors at orientation + {0°, 60°, 120°} (reference/cells README; k = 2π/L
// would give a spacing of 1.155 L). spacing is L in bins of the layout's
// frame, orientation in degrees, (x0, y0) a field centre in layout units
// and t ∈ [0, 1) the rectification threshold (0: the plain shape).
func HexGrid(l *Layout, spacing, orientation, x0, y0, t float64) []float64 {
	if !(spacing > 0) || !(t >= 0 && t < 1) {
		panic(fmt.Sprintf("synth: HexGrid spacing %g, threshold %g: want spacing > 0 and 0 ≤ t < 1", spacing, t))
	}
	k := 4 * math.Pi / (math.Sqrt(3) * spacing * l.BinWidth)
	var ux, uy [3]float64
	for i := range 3 {
		th := (orientation - 30 + 60*float64(i)) * math.Pi / 180
		ux[i], uy[i] = k*math.Cos(th), k*math.Sin(th)
	}
	a := make([]float64, l.N())
	for j := range a {
		dx, dy := l.X[j]-x0, l.Y[j]-y0
		g := 0.0
		for i := range 3 {
			g += math.Cos(ux[i]*dx + uy[i]*dy)
		}
		a[j] = math.Max(0, (g+1.5)/4.5-t) / (1 - t)
	}
	return a
}

// randomPoint returns a uniformly random point of the layout's square
// bounding box.
func randomPoint(l *Layout, r *rand.Rand) (x, y float64) {
	rg, err := cells.SquareBounds(l.X, l.Y)
	if err != nil {
		panic("synth: " + err.Error())
	}
	return rg.XMin + (rg.XMax-rg.XMin)*r.Float64(), rg.YMin + (rg.YMax-rg.YMin)*r.Float64()
}

// Grid draws a grid unit: HexGrid with a spacing drawn from one of the
// buckets 5–6, 7–9 and 10–12 bins (the Subtype; each bucket equally
// likely, uniform inside), a random orientation in [0°, 60°), a random
// phase, a threshold in [0, 0.6] and the unit noise. It depends on position
// only, not on class.
func Grid(l *Layout, r *rand.Rand) Unit {
	spacing, bucket := drawSpacing(r)
	orient := 60 * r.Float64()
	x0, y0 := randomPoint(l, r)
	t := maxThreshold * r.Float64()
	a := HexGrid(l, spacing, orient, x0, y0, t)
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"spacing_bins": spacing, "orientation_deg": orient, "threshold": t}
	nz.record(p)
	return Unit{Type: TypeGrid, Subtype: bucket, Expected: ExpectGrid, Params: p, Acts: a}
}

// Band draws a band (stripe) unit: one cosine of position,
// a = max(0, (cos(2π u·(p − p0)/L) + 1)/2 − t)/(1 − t), with the spacing L
// from the buckets of Grid (the Subtype), a random direction u and phase, a
// threshold t in [0, 0.6] and the unit noise.
func Band(l *Layout, r *rand.Rand) Unit {
	spacing, bucket := drawSpacing(r)
	orient := 180 * r.Float64()
	x0, y0 := randomPoint(l, r)
	t := maxThreshold * r.Float64()
	k := 2 * math.Pi / (spacing * l.BinWidth)
	th := orient * math.Pi / 180
	kx, ky := k*math.Cos(th), k*math.Sin(th)
	a := make([]float64, l.N())
	for j := range a {
		v := (math.Cos(kx*(l.X[j]-x0)+ky*(l.Y[j]-y0)) + 1) / 2
		a[j] = math.Max(0, v-t) / (1 - t)
	}
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"spacing_bins": spacing, "orientation_deg": orient, "threshold": t}
	nz.record(p)
	return Unit{Type: TypeBand, Subtype: bucket, Expected: ExpectNone, Params: p, Acts: a}
}

// Response families of class units: each draws a response with mean 1.
var families = []struct {
	name string
	draw func(r *rand.Rand) float64
}{
	{"constant", func(*rand.Rand) float64 { return 1 }},
	{"gamma4", func(r *rand.Rand) float64 { return gammaMean1(r, 4) }},
	{"gamma2", func(r *rand.Rand) float64 { return gammaMean1(r, 2) }},
	{"exponential", func(r *rand.Rand) float64 { return r.ExpFloat64() }},
	{"rectnormal", func(r *rand.Rand) float64 {
		return math.Max(0, 1+rectSD*r.NormFloat64()) / rectMean
	}},
}

// rectSD is the s.d. of the Gaussian of the rectified-Gaussian family,
// max(0, N(1, rectSD²)) / rectMean; rectMean = Φ(1/s) + s·φ(1/s) is the
// mean of max(0, N(1, s²)), so the family has mean 1.
const rectSD = 0.6

var rectMean = func() float64 {
	z := 1 / rectSD
	return 0.5*math.Erfc(-z/math.Sqrt2) + rectSD*math.Exp(-z*z/2)/math.Sqrt(2*math.Pi)
}()

// gammaMean1 draws Gamma(shape, 1/shape) for an integer shape (mean 1) as
// a mean of shape standard exponentials.
func gammaMean1(r *rand.Rand, shape int) float64 {
	s := 0.0
	for range shape {
		s += r.ExpFloat64()
	}
	return s / float64(shape)
}

// classUnit returns activations that respond to the points of class c[i]
// with amp[i]·X, X drawn from the family, and are 0 elsewhere, before noise.
func classUnit(l *Layout, classes []int, amps []float64, fam int, r *rand.Rand) []float64 {
	a := make([]float64, l.N())
	for k, lab := range l.Labels {
		for i, c := range classes {
			if lab == c {
				a[k] = amps[i] * families[fam].draw(r)
			}
		}
	}
	return a
}

// OneClass draws a concept unit: members of one random class respond with
// a value from a random family of mean 1 (the Subtype: constant, gamma4,
// gamma2, exponential or rectnormal), every other point sits at the noise
// baseline.
func OneClass(l *Layout, r *rand.Rand) Unit {
	c, fam := r.IntN(Classes), r.IntN(len(families))
	a := classUnit(l, []int{c}, []float64{1}, fam, r)
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"class": float64(c)}
	nz.record(p)
	return Unit{Type: TypeOneClass, Subtype: families[fam].name, Expected: ExpectConcept, Params: p, Acts: a}
}

// TwoClass draws a concept unit for two random classes: responses as in
// OneClass (one family, the Subtype), the second class at a ratio in
// [0.6, 1.0] of the first's amplitude.
func TwoClass(l *Layout, r *rand.Rand) Unit {
	c1 := r.IntN(Classes)
	c2 := (c1 + 1 + r.IntN(Classes-1)) % Classes
	ratio := 0.6 + 0.4*r.Float64()
	fam := r.IntN(len(families))
	a := classUnit(l, []int{c1, c2}, []float64{1, ratio}, fam, r)
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"class": float64(c1), "class2": float64(c2), "ratio": ratio}
	nz.record(p)
	return Unit{Type: TypeTwoClass, Subtype: families[fam].name, Expected: ExpectConcept, Params: p, Acts: a}
}

// gaussField returns exp(−d²/2σ²) at every point, d the distance to (cx, cy).
func gaussField(l *Layout, cx, cy, sigma float64) []float64 {
	a := make([]float64, l.N())
	for k := range a {
		dx, dy := l.X[k]-cx, l.Y[k]-cy
		a[k] = math.Exp(-(dx*dx + dy*dy) / (2 * sigma * sigma))
	}
	return a
}

// Buckets of the field width s of PlaceInClass (in class s.d.), [lo, hi)
// except the last, which includes 1.
var sizeBuckets = []struct {
	name   string
	lo, hi float64
}{{"0.25-0.5", 0.25, 0.5}, {"0.5-0.75", 0.5, 0.75}, {"0.75-1", 0.75, 1}}

// PlaceInClass draws a place field inside a class: one Gaussian field
// exp(−d²/2σ²) centred at a random member of a random class (on a clustered
// layout a member inside its own blob), σ = s·ClassSD(class), s drawn from
// the buckets 0.25–0.5, 0.5–0.75 and 0.75–1 (the Subtype; each equally
// likely, uniform inside), plus the unit noise. It depends on position
// only, so nearby points of other classes respond too.
func PlaceInClass(l *Layout, r *rand.Rand) Unit {
	c := r.IntN(Classes)
	var members []int
	for k, lab := range l.Labels {
		if lab == c && !l.Misplaced[k] {
			members = append(members, k)
		}
	}
	m := members[r.IntN(len(members))]
	b := sizeBuckets[r.IntN(len(sizeBuckets))]
	s := b.lo + (b.hi-b.lo)*r.Float64()
	sigma := s * l.ClassSD(c)
	a := gaussField(l, l.X[m], l.Y[m], sigma)
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"class": float64(c), "s": s, "sigma_bins": sigma / l.BinWidth,
		"centre_x": l.X[m], "centre_y": l.Y[m]}
	nz.record(p)
	return Unit{Type: TypePlaceInClass, Subtype: b.name, Expected: ExpectPlace, Params: p, Acts: a}
}

// Place draws a single Gaussian place field of σ in [1.5, 4] bins (Subtype
// "1.5-2.75" or "2.75-4", equally likely), centred at a uniformly random
// point of the frame on a uniform layout and at the position of a random
// point on a clustered one (so that the field lies on data), plus the unit
// noise.
func Place(l *Layout, r *rand.Rand) Unit {
	sub, lo := "1.5-2.75", 1.5
	if r.IntN(2) == 1 {
		sub, lo = "2.75-4", 2.75
	}
	sigmaBins := lo + 1.25*r.Float64()
	var cx, cy float64
	if l.Kind == KindClustered {
		k := r.IntN(l.N())
		cx, cy = l.X[k], l.Y[k]
	} else {
		cx, cy = randomPoint(l, r)
	}
	a := gaussField(l, cx, cy, sigmaBins*l.BinWidth)
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"sigma_bins": sigmaBins, "centre_x": cx, "centre_y": cy}
	nz.record(p)
	return Unit{Type: TypePlace, Subtype: sub, Expected: ExpectPlace, Params: p, Acts: a}
}

// Noise draws an unstructured unit: iid exponential or half-normal values
// (the Subtype) of mean 1.
func Noise(l *Layout, r *rand.Rand) Unit {
	a := make([]float64, l.N())
	sub := "exponential"
	if r.IntN(2) == 0 {
		for k := range a {
			a[k] = r.ExpFloat64()
		}
	} else {
		sub = "half-normal"
		scale := math.Sqrt(math.Pi / 2) // E|z| = √(2/π)
		for k := range a {
			a[k] = scale * math.Abs(r.NormFloat64())
		}
	}
	return Unit{Type: TypeNoise, Subtype: sub, Expected: ExpectNone, Params: map[string]float64{}, Acts: a}
}

// Class-layout search: candidates are scored in batches of layoutBatch,
// at most layoutTries in all, and the first whose class-mean map reaches
// layoutGridness is taken (the weakly-grid threshold of spec §8).
const (
	layoutGridness = 0.4
	layoutBatch    = 24
	layoutTries    = 96
)

// ClassLayout draws a unit whose activation depends on the class only, with
// class levels chosen so that the map of class means is grid-like: the
// clusters of the active classes happen to lie on a hexagonal-ish pattern.
// The Subtype says how the levels are drawn: "on-off" (each class 0 or 1,
// at least two of each) or "graded" (uniform in [0, 1]). Level vectors are
// drawn until the 60° gridness of the class-mean rate map (the raw binned
// mean of the levels on the layout's 40-bin square frame, scored with
// cells.ScoreUnits) reaches 0.4, at most 96 of them; otherwise the best one
// is kept. Params record the levels, the class-mean gridness and the tries.
// The activation is the level of the point's class plus the unit noise.
// Meant for clustered layouts.
func ClassLayout(l *Layout, r *rand.Rand) Unit {
	sub := "on-off"
	if r.IntN(2) == 1 {
		sub = "graded"
	}
	f, err := cells.NewFrame(l.X, l.Y, Bins, nil)
	if err != nil {
		panic("synth: " + err.Error())
	}
	opts := cells.DefaultOptions()
	opts.Permutations, opts.FieldShuffles, opts.Workers, opts.Signed = 0, 0, 1, cells.SignedNone
	var best []float64
	bestG, tries := math.NaN(), 0
	for tries < layoutTries && !(bestG >= layoutGridness) {
		levels := make([][]float64, layoutBatch)
		cols := make(cells.Columns, layoutBatch)
		for i := range levels {
			levels[i] = drawLevels(sub, r)
			cols[i] = make([]float64, l.N())
			for k, lab := range l.Labels {
				cols[i][k] = levels[i][lab]
			}
		}
		res, err := cells.ScoreUnits(context.Background(), f, cols, nil, opts)
		if err != nil {
			panic("synth: " + err.Error())
		}
		for i, u := range res.Units {
			tries++
			g := math.NaN() // undefined gridness ranks below every number
			if v := u.Scores.Map()["gridness"]; v != nil {
				g = *v
			}
			if best == nil || g > bestG || (math.IsNaN(bestG) && !math.IsNaN(g)) {
				best, bestG = levels[i], g
			}
			if bestG >= layoutGridness {
				break
			}
		}
	}
	a := make([]float64, l.N())
	for k, lab := range l.Labels {
		a[k] = best[lab]
	}
	nz := drawNoise(r)
	nz.apply(a, r)
	p := map[string]float64{"class_gridness": bestG, "tries": float64(tries)}
	for c, v := range best {
		p[fmt.Sprintf("level%d", c)] = v
	}
	nz.record(p)
	return Unit{Type: TypeClassLayout, Subtype: sub, Expected: ExpectClassLayoutGrid, Params: p, Acts: a}
}

// drawLevels draws one level vector of ClassLayout.
func drawLevels(sub string, r *rand.Rand) []float64 {
	lv := make([]float64, Classes)
	if sub == "graded" {
		for c := range lv {
			lv[c] = r.Float64()
		}
		return lv
	}
	for {
		on := 0
		for c := range lv {
			lv[c] = float64(r.IntN(2))
			on += int(lv[c])
		}
		if on >= 2 && on <= Classes-2 {
			return lv
		}
	}
}
