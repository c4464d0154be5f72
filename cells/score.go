package cells

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/conceptcells/conceptcells/internal/par"
)

// Scores are the per-unit (or per-part) scores. NaN means undefined (null
// in JSON); counts are −1 when undefined.
type Scores struct {
	Gridness        float64 // min/max 60° gridness of the raw map, max over rings (spec §3)
	GridnessMean    float64 // mean-form 60° gridness (DeepMind default)
	Gridness90      float64 // r90 − max(r45, r135), report only
	Gridness90Mean  float64 // r90 − (r45 + r135)/2
	BestRing        float64 // outer radius (fraction of N) of the best 60° ring
	GridSpacing     float64 // lattice spacing in bins from the autocorrelogram peaks (LatticeGeometry)
	GridOrientation float64 // lattice orientation in degrees, [−30, 30)
	GridnessP95     float64 // field-shuffle null percentile (Barry & Burgess 2017)
	GridnessP       float64 // field-shuffle p-value

	SpatialInfo          float64 // bits per unit activation (raw map, count occupancy)
	SpatialInfoPerSample float64 // bits per sample
	SpatialInfoP95       float64 // activation-permutation null percentile
	SpatialInfoP         float64 // activation-permutation p-value
	WithinClassSIP95     float64 // within-class permutation null percentile (spec §6)
	WithinClassSIP       float64 // within-class permutation p-value
	Sparsity             float64
	Selectivity          float64

	NFields   int     // place fields on the smoothed map (spec §5)
	FieldFrac float64 // area of the largest field / valid bins

	CSI      float64 // class selectivity index (Morcos et al. 2018)
	CSIP95   float64 // activation-permutation null percentile
	CSIP     float64 // label-permutation p-value
	TopClass int     // class with the largest mean (−1 if none)
	TopShare float64 // μ_max / Σ μ_c
	NearTop  int     // classes with μ_c ≥ ConceptClassFrac·μ_max (−1 if no labels)

	// ClassCoverage is the fraction of the points of the classes near
	// the top (μ_c ≥ ConceptClassFrac·μ_max) whose activation is above
	// the 95th percentile of the activations of the points of all other
	// classes: how much of its classes a unit responds to (a concept cell
	// ≈ 1, a place field inside a class cluster a part). NaN without
	// labels, with no point outside those classes, or when μ_max ≤ 0.
	ClassCoverage float64
	// ClassEta2 is η², the share of the variance over labelled points that
	// the class explains (between-class over total sum of squares).
	ClassEta2 float64
	// ClassGridness is the 60° gridness of the class-mean map (every
	// point's activation replaced by the mean of its class): the grid
	// pattern that the class layout alone produces (reported, spec §9.4).
	ClassGridness float64
	// ResidualGridness is the 60° gridness of the within-class residual
	// map (the raw binned mean of a_k − μ_{l_k}): the grid pattern left
	// once the class layout is removed. ResidualGridnessP95/P come from
	// the within-class permutation null (activations shuffled within each
	// class, which keeps every class mean and so any pattern made by the
	// layout of the clusters).
	ResidualGridness    float64
	ResidualGridnessP95 float64
	ResidualGridnessP   float64

	// GridFields is the number of fields counted for the grid test: the
	// largest field count on the smoothed map over Options.GridFieldLevels
	// (fractions of the peak, lowest level on ties); GridFieldFrac the
	// total area of those fields over the valid bins. The field-shuffle
	// null moves these fields.
	GridFields    int
	GridFieldFrac float64
	// GridnessPermP95/P: activation-permutation null of gridness, used
	// instead of the field shuffle where that is undefined.
	GridnessPermP95 float64
	GridnessPermP   float64

	DensityGridness float64 // gridness of the count map (density control, spec §9)
	MeanActivation  float64 // mean activation over the points in the frame
	ValidBins       int     // bins with C_i ≥ MinCount
}

func nanScores() Scores {
	n := math.NaN()
	return Scores{
		Gridness: n, GridnessMean: n, Gridness90: n, Gridness90Mean: n, BestRing: n, GridSpacing: n, GridOrientation: n,
		GridnessP95: n, GridnessP: n,
		SpatialInfo: n, SpatialInfoPerSample: n, SpatialInfoP95: n, SpatialInfoP: n, WithinClassSIP95: n, WithinClassSIP: n,
		Sparsity: n, Selectivity: n, NFields: -1, FieldFrac: n,
		CSI: n, CSIP95: n, CSIP: n, TopClass: -1, TopShare: n, NearTop: -1,
		ClassCoverage: n, ClassEta2: n, ClassGridness: n, ResidualGridness: n, ResidualGridnessP95: n, ResidualGridnessP: n,
		GridFields: -1, GridFieldFrac: n, GridnessPermP95: n, GridnessPermP: n,
		DensityGridness: n, MeanActivation: n,
	}
}

// Unit is the result for one unit, or for one signed part of it.
type Unit struct {
	Unit    int      // column index in the activations
	Part    string   // "" (as given), "pos" = max(a,0) or "neg" = max(−a,0)
	Labels  []string // subset of grid, weakly-grid or cluster-grid, place, concept; or none, silent, undefined
	Reasons []Reason // every check behind the labels
	// GridNull names the null that tests gridness: "field-shuffle" where
	// it is defined (≥ GridMinFields grid fields covering ≤
	// FieldNullMaxFrac of the valid bins), else "permutation"; "" when
	// no maps were made.
	GridNull string
	Scores   Scores
	N        int       // bins per side; 0 when no maps were made (undefined)
	Raw      []float64 // N×N binned mean (NaN = empty), row = y
	Smooth   []float64 // N×N smooth-then-divide map
	SAC      []float64 // (2N−1)² autocorrelogram of Raw
	Fields   []Field   // fields on Smooth
	Class    *ClassScores
}

// Reason is one comparison of a score with a threshold.
type Reason struct {
	Label     string  // label this check belongs to
	Score     string  // score name (JSON key)
	Value     float64 // NaN = undefined (the check fails)
	Op        string  // ">=", ">", "<", "<=", "=="
	Threshold float64 // NaN = undefined (the check fails)
	// Against names the score that serves as the threshold (a null's
	// percentile, e.g. "gridness_p95"); "" for a fixed threshold.
	Against string
	Pass    bool
}

// String formats the reason for people.
func (r Reason) String() string {
	v := "undefined"
	if !math.IsNaN(r.Value) {
		v = fmt.Sprintf("%.4g", r.Value)
	}
	mark := "fail"
	if r.Pass {
		mark = "pass"
	}
	t := "undefined"
	if !math.IsNaN(r.Threshold) {
		t = fmt.Sprintf("%.4g", r.Threshold)
	}
	if r.Against != "" {
		t = r.Against + " " + t
	}
	return fmt.Sprintf("%s: %s %s %s %s (%s)", r.Label, r.Score, v, r.Op, t, mark)
}

// checkVs is check against another score (a null percentile) named against.
func checkVs(label, score string, v float64, op, against string, thr float64) Reason {
	r := check(label, score, v, op, thr)
	r.Against = against
	return r
}

func check(label, score string, v float64, op string, thr float64) Reason {
	r := Reason{Label: label, Score: score, Value: v, Op: op, Threshold: thr}
	if math.IsNaN(v) || math.IsNaN(thr) {
		return r // an undefined score never passes
	}
	switch op {
	case ">=":
		r.Pass = v >= thr
	case ">":
		r.Pass = v > thr
	case "<":
		r.Pass = v < thr
	case "<=":
		r.Pass = v <= thr
	case "==":
		r.Pass = v == thr
	}
	return r
}

// Result is the outcome of scoring units in one frame.
type Result struct {
	Units  []Unit
	Params Params
}

// Params records everything needed to reproduce a Result.
type Params struct {
	Bins            int
	Range           Range
	Points          int // points given
	PointsInFrame   int
	ValidBins       int
	FracEmpty       float64
	MinCount        int
	SmoothSigma     float64
	MinOverlap      int
	RingInner       float64
	RingOuter       []float64
	Compat          string
	FieldThreshold  float64
	FieldMinBins    int
	GridFieldLevels []float64
	Permutations    int
	FieldShuffles   int
	AllNulls        bool
	Percentile      float64
	Seed            uint64
	DensityGridness float64
	Labels          bool // class labels were given
	Thresholds      Thresholds
	Source          string // "points" or "map"
}

// maxClass bounds class labels (per-class sums are dense arrays).
const maxClass = 100_000

// prepared is per-frame data shared read-only by the workers.
type prepared struct {
	f        *Frame
	opts     Options
	valid    []bool
	nValid   int
	count    []float64 // counts with invalid bins zeroed
	smoothC  []float64 // G∗C
	kernel   []float64
	geom     *gridGeom
	labels   []int
	nClass   int
	classCnt []float64
	groups   [][]int32 // point indices per class (label < 0 grouped last)
	density  float64
}

// worker holds per-goroutine scratch.
type worker struct {
	p       *prepared
	plan    *sacPlan
	acts    []float64
	buf     []float64
	sums    []float64
	csum    []float64
	tmp     []float64
	tmp2    []float64
	sac     []float64
	corr    []float64
	shufMap []float64
	null    []float64
	null2   []float64
	null3   []float64
	cms     []float64 // per-bin sums of the class-mean activations
	gmean   []float64 // mean activation per group
	tmp3    []float64
	occ     []bool
}

// ScoreUnits scores every unit of acts in the frame f: rate maps, gridness,
// spatial information, fields, class selectivity (when labels is not nil:
// one class label per point, < 0 = none), the shuffle nulls and the
// classification, using opts.Workers goroutines. Units with negative
// activations are split into parts (Options.Signed). Results are ordered by
// unit then part and do not depend on the number of workers.
func ScoreUnits(ctx context.Context, f *Frame, acts Activations, labels []int, opts Options) (*Result, error) {
	if f == nil {
		return nil, errors.New("cells: nil frame")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := checkActivations(acts); err != nil {
		return nil, err
	}
	k, nu := acts.Dims()
	if k != f.K {
		return nil, fmt.Errorf("cells: %d activations per unit but %d points", k, f.K)
	}
	if labels != nil && len(labels) != f.K {
		return nil, fmt.Errorf("cells: %d labels but %d points", len(labels), f.K)
	}
	for k, l := range labels {
		if l > maxClass {
			return nil, fmt.Errorf("cells: label %d of point %d: want classes 0…%d (negative = none)", l, k, maxClass)
		}
	}
	opts.Bins = f.N
	p := prepare(f, labels, opts)
	res := &Result{Params: p.params()}

	// which units split into parts: needs a pass over the activations
	type job struct {
		unit int
		part string
		slot int
	}
	var jobs []job
	col := make([]float64, k)
	for u := 0; u < nu; u++ {
		acts.Unit(u, col)
		neg := false
		for _, v := range col {
			if v < 0 {
				neg = true
				break
			}
		}
		split := opts.Signed == SignedSplit || (opts.Signed == SignedAuto && neg)
		if split {
			jobs = append(jobs, job{u, "pos", len(jobs)}, job{u, "neg", len(jobs) + 1})
		} else {
			jobs = append(jobs, job{u, "", len(jobs)})
		}
	}
	res.Units = make([]Unit, len(jobs))
	workers := opts.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, len(jobs)))
	wks := make([]*worker, workers) // made by each worker on first use
	var mu sync.Mutex
	done := 0
	par.Each(len(jobs), workers, func(w, i int) {
		if ctx.Err() != nil {
			return
		}
		if wks[w] == nil {
			wks[w] = p.newWorker()
		}
		wk, j := wks[w], jobs[i]
		acts.Unit(j.unit, wk.acts)
		switch j.part {
		case "pos":
			for k, v := range wk.acts {
				wk.acts[k] = math.Max(v, 0)
			}
		case "neg":
			for k, v := range wk.acts {
				wk.acts[k] = math.Max(-v, 0)
			}
		}
		res.Units[j.slot] = wk.score(ctx, wk.acts, j.unit, j.part)
		if opts.Progress != nil {
			mu.Lock()
			done++
			opts.Progress(done, len(jobs))
			mu.Unlock()
		}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}

func prepare(f *Frame, labels []int, opts Options) *prepared {
	n := f.N
	p := &prepared{f: f, opts: opts, valid: f.Valid(opts.MinCount), labels: labels}
	p.count = make([]float64, n*n)
	for i, v := range p.valid {
		if v {
			p.count[i] = f.Count[i]
			p.nValid++
		}
	}
	p.smoothC = make([]float64, n*n)
	if opts.SmoothSigma > 0 {
		p.kernel = GaussianKernel(opts.SmoothSigma)
		Smooth2D(p.smoothC, p.count, make([]float64, n*n), n, p.kernel)
	} else {
		copy(p.smoothC, p.count)
	}
	p.geom = newGridGeom(n, opts.RingInner, opts.RingOuter, opts.Compat)
	// density control: gridness of the count map, every bin valid (spec §9)
	plan := newSACPlan(n, opts.MinOverlap)
	sac := make([]float64, (2*n-1)*(2*n-1))
	plan.autocorr(sac, f.Count, opts.Compat)
	p.density = p.geom.score(sac, make([]float64, 7*len(opts.RingOuter))).Gridness60
	if labels != nil {
		for _, l := range labels {
			if l+1 > p.nClass {
				p.nClass = l + 1
			}
		}
		p.classCnt = make([]float64, p.nClass)
		p.groups = make([][]int32, p.nClass+1)
		for k, l := range labels {
			if l >= 0 {
				p.classCnt[l]++
				p.groups[l] = append(p.groups[l], int32(k))
			} else {
				p.groups[p.nClass] = append(p.groups[p.nClass], int32(k))
			}
		}
	}
	return p
}

func (p *prepared) params() Params {
	o := p.opts
	n := p.f.N
	return Params{
		Bins: n, Range: p.f.Range, Points: p.f.K, PointsInFrame: p.f.In, ValidBins: p.nValid,
		FracEmpty: 1 - float64(p.nValid)/float64(n*n), MinCount: o.MinCount, SmoothSigma: o.SmoothSigma,
		MinOverlap: o.MinOverlap, RingInner: o.RingInner, RingOuter: o.RingOuter, Compat: o.Compat.String(),
		FieldThreshold: o.FieldThreshold, FieldMinBins: o.FieldMinBins, GridFieldLevels: o.GridFieldLevels, Permutations: o.Permutations,
		FieldShuffles: o.FieldShuffles, AllNulls: o.AllNulls, Percentile: o.Percentile, Seed: o.Seed, DensityGridness: p.density,
		Labels: p.labels != nil, Thresholds: o.Thresholds, Source: "points",
	}
}

func (p *prepared) newWorker() *worker {
	n := p.f.N
	size := 2*n - 1
	return &worker{
		p: p, plan: newSACPlan(n, p.opts.MinOverlap),
		acts: make([]float64, p.f.K), buf: make([]float64, p.f.K),
		sums: make([]float64, n*n), csum: make([]float64, p.nClass),
		tmp: make([]float64, n*n), tmp2: make([]float64, n*n),
		sac: make([]float64, size*size), corr: make([]float64, 7*len(p.opts.RingOuter)),
		shufMap: make([]float64, n*n), occ: make([]bool, n*n),
		null:  make([]float64, 0, max(p.opts.Permutations, p.opts.FieldShuffles)),
		null2: make([]float64, 0, p.opts.Permutations),
		null3: make([]float64, 0, p.opts.Permutations),
		cms:   make([]float64, n*n), gmean: make([]float64, len(p.groups)),
		tmp3: make([]float64, 0, p.f.K),
	}
}

// rng returns the source of one shuffle stream of one unit part: PCG
// seeded with (Seed, unit·256 + part·16 + stream), so results do not depend
// on the order in which workers take the units.
func (p *prepared) rng(unit int, part string, stream uint64) *rand.PCG {
	var pc uint64
	switch part {
	case "pos":
		pc = 1
	case "neg":
		pc = 2
	}
	return rand.NewPCG(p.opts.Seed, uint64(unit)<<8|pc<<4|stream)
}

// shuffle permutes a in place (Fisher–Yates). Each 64-bit draw gives two
// indices by Lemire's multiply-shift on 32-bit halves; the bias, below
// len(a)/2³², is immaterial for a permutation test.
func shuffle(src *rand.PCG, a []float64) {
	for i := len(a) - 1; i > 0; {
		x := src.Uint64()
		j := int(((x >> 32) * uint64(i+1)) >> 32)
		a[i], a[j] = a[j], a[i]
		i--
		if i > 0 {
			j = int(((x & 0xffffffff) * uint64(i+1)) >> 32)
			a[i], a[j] = a[j], a[i]
			i--
		}
	}
}

// shuffleAt permutes the values of a at the positions idx among themselves.
func shuffleAt(src *rand.PCG, a []float64, idx []int32) {
	for i := len(idx) - 1; i > 0; {
		x := src.Uint64()
		j := int(((x >> 32) * uint64(i+1)) >> 32)
		a[idx[i]], a[idx[j]] = a[idx[j]], a[idx[i]]
		i--
		if i > 0 {
			j = int(((x & 0xffffffff) * uint64(i+1)) >> 32)
			a[idx[i]], a[idx[j]] = a[idx[j]], a[idx[i]]
			i--
		}
	}
}

// mapScores computes u's autocorrelogram into u.SAC and fills the
// gridness, lattice and spatial-information scores of its raw map; count is
// the occupancy per bin (nil = uniform).
func (w *worker) mapScores(u *Unit, count []float64) {
	p, s := w.p, &u.Scores
	w.plan.autocorr(u.SAC, u.Raw, p.opts.Compat)
	gs := p.geom.score(u.SAC, w.corr)
	s.Gridness, s.GridnessMean, s.Gridness90, s.Gridness90Mean, s.BestRing =
		gs.Gridness60, gs.Gridness60Mean, gs.Gridness90, gs.Gridness90Mean, gs.BestOuter60
	geo := LatticeGeometry(u.SAC, p.f.N, 15)
	s.GridSpacing, s.GridOrientation = geo.Spacing, geo.Orientation
	info := SpatialInfo(u.Raw, count)
	s.SpatialInfo, s.SpatialInfoPerSample, s.Sparsity, s.Selectivity = info.PerUnit, info.PerSample, info.Sparsity, info.Selectivity
}

// score scores one unit part whose activations are in a (len K): maps,
// gridness and information, fields, class scores, nulls and labels.
func (w *worker) score(ctx context.Context, a []float64, unit int, part string) Unit {
	p := w.p
	o := p.opts
	n := p.f.N
	u := Unit{Unit: unit, Part: part, N: n, Scores: nanScores()}
	s := &u.Scores
	s.ValidBins = p.nValid
	s.DensityGridness = p.density
	// activations: finite? constant?
	lo, hi, sum, cnt := math.Inf(1), math.Inf(-1), 0.0, 0
	for k, v := range a {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			u.N = 0 // no maps
			u.Labels = []string{"undefined"}
			u.Reasons = []Reason{{Label: "undefined", Score: "first_nonfinite_activation_point", Value: float64(k), Op: ">=", Threshold: 0, Pass: true}}
			return u
		}
		if p.f.Bin[k] >= 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			sum += v
			cnt++
		}
	}
	if cnt == 0 || p.nValid == 0 {
		u.N = 0 // no maps
		u.Labels = []string{"undefined"}
		u.Reasons = []Reason{{Label: "undefined", Score: "valid_bins", Value: float64(p.nValid), Op: "==", Threshold: 0, Pass: true}}
		return u
	}
	s.MeanActivation = sum / float64(cnt)
	// maps
	u.Raw = make([]float64, n*n)
	p.f.BinSums(w.sums, a)
	rawFromSums(u.Raw, w.sums, p.count, o.MinCount)
	u.Smooth = make([]float64, n*n)
	for i := range w.sums {
		if !p.valid[i] {
			w.sums[i] = 0
		}
	}
	if p.kernel != nil {
		Smooth2D(w.tmp2, w.sums, w.tmp, n, p.kernel)
	} else {
		copy(w.tmp2, w.sums)
	}
	for i := range u.Smooth {
		if p.valid[i] {
			u.Smooth[i] = w.tmp2[i] / p.smoothC[i]
		} else {
			u.Smooth[i] = math.NaN()
		}
	}
	u.SAC = make([]float64, len(w.sac))
	if hi-lo <= 1e-12*math.Max(math.Abs(hi), math.Abs(lo)) {
		for i := range u.SAC {
			u.SAC[i] = math.NaN()
		}
		u.Labels = []string{"silent"}
		u.Reasons = []Reason{{Label: "silent", Score: "activation_range", Value: hi - lo, Op: "==", Threshold: 0, Pass: true}}
		return u
	}
	// gridness and information
	w.mapScores(&u, p.count)
	// fields
	u.Fields = PlaceFields(u.Smooth, n, o.FieldThreshold, o.FieldMinBins)
	s.NFields = len(u.Fields)
	s.FieldFrac = 0
	for _, fl := range u.Fields {
		s.FieldFrac = math.Max(s.FieldFrac, float64(fl.Area)/float64(p.nValid))
	}
	gf := p.gridFields(&u)
	// classes
	if p.labels != nil {
		clear(w.csum)
		for k, l := range p.labels {
			if l >= 0 {
				w.csum[l] += a[k]
			}
		}
		cs := classScores(w.csum, p.classCnt, o.Thresholds.ConceptClassFrac)
		u.Class = &cs
		s.CSI, s.TopClass, s.TopShare, s.NearTop = cs.CSI, cs.TopClass, cs.TopShare, cs.NearTop
		w.classLayout(a, &u)
	}
	if ctx.Err() != nil {
		return u
	}
	w.permutations(a, &u)
	if ctx.Err() != nil {
		return u
	}
	w.fieldShuffles(&u, gf)
	u.Labels, u.Reasons = classify(s, u.GridNull, o.Thresholds, p.labels != nil, true)
	return u
}

// Names of the gridness nulls (Unit.GridNull).
const (
	NullFieldShuffle = "field-shuffle"
	NullPermutation  = "permutation"
)

// gridFields counts the fields of u.Smooth at every level of
// Options.GridFieldLevels and keeps those of the level with the most (the
// first level on ties); it sets GridFields, GridFieldFrac and u.GridNull
// and returns the fields.
func (p *prepared) gridFields(u *Unit) []Field {
	var best []Field
	bestN := -1
	for _, l := range p.opts.GridFieldLevels {
		if f := PlaceFields(u.Smooth, p.f.N, l, p.opts.FieldMinBins); len(f) > bestN {
			best, bestN = f, len(f)
		}
	}
	area := 0
	for _, f := range best {
		area += f.Area
	}
	s := &u.Scores
	s.GridFields = len(best)
	s.GridFieldFrac = float64(area) / float64(p.nValid)
	t := p.opts.Thresholds
	u.GridNull = NullPermutation
	if s.GridFields >= max(t.GridMinFields, 1) && s.GridFieldFrac <= t.FieldNullMaxFrac {
		u.GridNull = NullFieldShuffle
	}
	return best
}

// mapGridness returns the 60° gridness of the raw binned map of the
// per-bin sums (bins that are not valid are ignored).
func (w *worker) mapGridness(sums []float64) float64 {
	p := w.p
	rawFromSums(w.shufMap, sums, p.count, p.opts.MinCount)
	w.plan.autocorr(w.sac, w.shufMap, p.opts.Compat)
	return p.geom.score(w.sac, w.corr).Gridness60
}

// classLayout computes the class scores that need the points (spec §6,
// §9.4, §9.6): ClassCoverage, ClassEta2, ClassGridness and
// ResidualGridness (definitions at Scores), and leaves the per-bin sums
// of the class-mean activations in w.cms for the within-class null of the
// residual gridness. Points without a class form one more group for the
// maps and are left out of η² and the coverage.
//
// Preconditions: labels given; u.Class set.
func (w *worker) classLayout(a []float64, u *Unit) {
	p := w.p
	s := &u.Scores
	for g, idx := range p.groups {
		sum := 0.0
		for _, k := range idx {
			sum += a[k]
		}
		w.gmean[g] = sum / float64(max(len(idx), 1))
		for _, k := range idx {
			w.buf[k] = w.gmean[g]
		}
	}
	// class-mean map, and its per-bin sums for the residual maps
	p.f.BinSums(w.cms, w.buf)
	s.ClassGridness = w.mapGridness(w.cms)
	p.f.BinSums(w.sums, a)
	for i := range w.sums {
		w.sums[i] -= w.cms[i]
	}
	s.ResidualGridness = w.mapGridness(w.sums)
	// η² over the labelled points
	tot, nl := 0.0, 0.0
	for c := 0; c < p.nClass; c++ {
		tot += w.gmean[c] * p.classCnt[c]
		nl += p.classCnt[c]
	}
	if nl > 0 {
		grand := tot / nl
		ssb, sst := 0.0, 0.0
		for c := 0; c < p.nClass; c++ {
			d := w.gmean[c] - grand
			ssb += p.classCnt[c] * d * d
		}
		for k, l := range p.labels {
			if l >= 0 {
				d := a[k] - grand
				sst += d * d
			}
		}
		if sst > 0 {
			s.ClassEta2 = ssb / sst
		}
	}
	// coverage of the classes near the top (classScores found them)
	cs := u.Class
	if cs.TopClass < 0 || !(cs.Means[cs.TopClass] > 0) {
		return
	}
	near := cs.Near
	out := w.tmp3[:0]
	for c := 0; c < p.nClass; c++ {
		if !slices.Contains(near, c) {
			for _, k := range p.groups[c] {
				out = append(out, a[k])
			}
		}
	}
	if len(out) == 0 {
		return
	}
	sort.Float64s(out)
	q := Percentile(out, 95)
	above, members := 0, 0
	for _, c := range near {
		for _, k := range p.groups[c] {
			if a[k] > q {
				above++
			}
		}
		members += len(p.groups[c])
	}
	cov := float64(above) / float64(max(members, 1))
	s.ClassCoverage = cov
}

// permutations runs the activation-permutation nulls of SI, CSI and (where
// it decides) gridness, and the within-class nulls of SI and of the
// residual gridness. Each within-class permutation shuffles the
// activations inside every class; the residual map of the shuffled
// activations is their binned sum minus the (unchanged) class-mean sums.
func (w *worker) permutations(a []float64, u *Unit) {
	p := w.p
	o := p.opts
	s := &u.Scores
	if o.Permutations == 0 {
		return
	}
	mc := float64(o.MinCount)
	r := p.rng(u.Unit, u.Part, 1)
	copy(w.buf, a)
	siNull, csiNull := w.null[:0], w.null2[:0]
	doGrid := o.AllNulls || (s.Gridness >= o.Thresholds.Grid && u.GridNull == NullPermutation)
	gridNull := w.null3[:0]
	bins := p.f.Bin
	for it := 0; it < o.Permutations; it++ {
		shuffle(r, w.buf)
		clear(w.sums)
		if p.labels != nil {
			clear(w.csum)
			for k, v := range w.buf {
				if b := bins[k]; b >= 0 {
					w.sums[b] += v
				}
				if l := p.labels[k]; l >= 0 {
					w.csum[l] += v
				}
			}
			csiNull = append(csiNull, csiFromSums(w.csum, p.classCnt))
		} else {
			for k, v := range w.buf {
				if b := bins[k]; b >= 0 {
					w.sums[b] += v
				}
			}
		}
		siNull = append(siNull, siFromSums(w.sums, p.count, mc))
		if doGrid {
			gridNull = append(gridNull, w.mapGridness(w.sums))
		}
	}
	s.SpatialInfoP95, s.SpatialInfoP = nullStats(siNull, s.SpatialInfo, o.Percentile)
	if doGrid {
		s.GridnessPermP95, s.GridnessPermP = nullStats(gridNull, s.Gridness, o.Percentile)
	}
	if p.labels == nil {
		return
	}
	s.CSIP95, s.CSIP = nullStats(csiNull, s.CSI, o.Percentile)
	// Within-class permutations: activations move only among points of the
	// same class. SI (spec §6, §9.6: reported next to the concept label) by
	// default only when the CSI reaches the concept threshold; the residual
	// gridness only when the gridness reaches the weakly-grid threshold.
	doSI := o.AllNulls || s.CSI >= o.Thresholds.ConceptCSI
	doRes := o.AllNulls || s.Gridness >= o.Thresholds.WeakGrid
	if !doSI && !doRes {
		return
	}
	r = p.rng(u.Unit, u.Part, 2)
	copy(w.buf, a)
	siNull, resNull := w.null[:0], w.null2[:0]
	for it := 0; it < o.Permutations; it++ {
		for _, g := range p.groups {
			shuffleAt(r, w.buf, g)
		}
		p.f.BinSums(w.sums, w.buf)
		if doSI {
			siNull = append(siNull, siFromSums(w.sums, p.count, mc))
		}
		if doRes {
			for i := range w.sums {
				w.sums[i] -= w.cms[i]
			}
			resNull = append(resNull, w.mapGridness(w.sums))
		}
	}
	if doSI {
		s.WithinClassSIP95, s.WithinClassSIP = nullStats(siNull, s.SpatialInfo, o.Percentile)
	}
	if doRes {
		s.ResidualGridnessP95, s.ResidualGridnessP = nullStats(resNull, s.ResidualGridness, o.Percentile)
	}
}

// fieldShuffles builds the Barry & Burgess (2017) field-shuffle null of
// gridness where it is defined (u.GridNull; with AllNulls always, but it
// decides only where defined): the grid fields keep their
// shape and raw values and move, by translation, to random positions on
// valid bins that do not overlap; the remaining raw values fill the other
// valid bins in random order; empty bins stay empty.
func (w *worker) fieldShuffles(u *Unit, gridFields []Field) {
	p := w.p
	o := p.opts
	if o.FieldShuffles == 0 || math.IsNaN(u.Scores.Gridness) || (u.GridNull != NullFieldShuffle && !o.AllNulls) {
		return
	}
	if !o.AllNulls && !(u.Scores.Gridness >= o.Thresholds.WeakGrid) {
		return
	}
	n := p.f.N
	r := rand.New(p.rng(u.Unit, u.Part, 3))
	inField := w.occ
	clear(inField)
	// fields, largest first, as row/col offsets
	fields := make([]Field, len(gridFields))
	copy(fields, gridFields)
	sort.SliceStable(fields, func(i, j int) bool { return fields[i].Area > fields[j].Area })
	for _, fl := range fields {
		for _, b := range fl.Bins {
			inField[b] = true
		}
	}
	var background []float64
	for i, v := range u.Raw {
		if p.valid[i] && !inField[i] {
			background = append(background, v)
		}
	}
	pool := make([]float64, 0, p.nValid)
	taken := make([]bool, n*n)
	null := w.null[:0]
	for it := 0; it < o.FieldShuffles; it++ {
		clear(taken)
		pool = append(pool[:0], background...)
		for i := range w.shufMap {
			w.shufMap[i] = math.NaN()
		}
		for _, fl := range fields {
			r0, r1, c0, c1 := n, -1, n, -1
			for _, b := range fl.Bins {
				rr, cc := b/n, b%n
				r0, r1, c0, c1 = min(r0, rr), max(r1, rr), min(c0, cc), max(c1, cc)
			}
			placed := false
			for try := 0; try < 100 && !placed; try++ {
				dy := -r0 + r.IntN(n-(r1-r0))
				dx := -c0 + r.IntN(n-(c1-c0))
				ok := true
				for _, b := range fl.Bins {
					j := b + dy*n + dx
					if !p.valid[j] || taken[j] {
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
				for _, b := range fl.Bins {
					j := b + dy*n + dx
					taken[j] = true
					w.shufMap[j] = u.Raw[b]
				}
				placed = true
			}
			if !placed {
				for _, b := range fl.Bins {
					pool = append(pool, u.Raw[b])
				}
			}
		}
		r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
		k := 0
		for i := range w.shufMap {
			if p.valid[i] && !taken[i] {
				w.shufMap[i] = pool[k]
				k++
			}
		}
		w.plan.autocorr(w.sac, w.shufMap, o.Compat)
		null = append(null, p.geom.score(w.sac, w.corr).Gridness60)
	}
	u.Scores.GridnessP95, u.Scores.GridnessP = nullStats(null, u.Scores.Gridness, o.Percentile)
}

// nullStats returns the q-th percentile of the finite null values (linear
// interpolation between order statistics, numpy's default) and the
// p-value (1 + #{null ≥ obs}) / (1 + #null). NaN when the null is empty or
// obs is NaN (p only).
func nullStats(null []float64, obs, q float64) (pct, pval float64) {
	vals := null[:0]
	for _, v := range null {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return math.NaN(), math.NaN()
	}
	sort.Float64s(vals)
	pct = Percentile(vals, q)
	if math.IsNaN(obs) {
		return pct, math.NaN()
	}
	ge := 0
	for _, v := range vals {
		if v >= obs {
			ge++
		}
	}
	return pct, float64(1+ge) / float64(1+len(vals))
}

// Percentile returns the q-th percentile (0 ≤ q ≤ 100) of the sorted
// values by linear interpolation between order statistics (numpy's
// default). Preconditions: sorted is ascending and not empty.
func Percentile(sorted []float64, q float64) float64 {
	pos := q / 100 * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	t := pos - float64(i)
	return sorted[i] + t*(sorted[i+1]-sorted[i])
}
