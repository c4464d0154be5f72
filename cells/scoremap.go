package cells

import (
	"context"
	"fmt"
	"math"
)

// binPermutations is the permutation null of gridness for a map given
// without points, where the field shuffle is undefined: the values of the
// valid bins are permuted among the valid bins (Options.Permutations
// times). Like the field shuffle, by default only when gridness reaches
// Thresholds.Grid.
func (w *worker) binPermutations(u *Unit) {
	p, o, s := w.p, w.p.opts, &u.Scores
	if o.Permutations == 0 || math.IsNaN(s.Gridness) {
		return
	}
	if !o.AllNulls && !(s.Gridness >= o.Thresholds.Grid && u.GridNull == NullPermutation) {
		return
	}
	var idx []int32
	for i, v := range u.Raw {
		if !math.IsNaN(v) {
			idx = append(idx, int32(i))
		}
	}
	copy(w.shufMap, u.Raw)
	r := p.rng(0, "", 4)
	null := w.null3[:0]
	for it := 0; it < o.Permutations; it++ {
		shuffleAt(r, w.shufMap, idx)
		w.plan.autocorr(w.sac, w.shufMap, o.Compat)
		null = append(null, p.geom.score(w.sac, w.corr).Gridness60)
	}
	s.GridnessPermP95, s.GridnessPermP = nullStats(null, s.Gridness, o.Percentile)
}

// ScoreMap scores a rate map given directly (for example from a rodent
// recording or another tool): m is n×n, row-major with row = y, NaN = empty
// bin. It runs every score that needs no points: autocorrelogram and
// gridness (both forms, 60° and 90°), the field-shuffle null of gridness,
// spatial information, sparsity and selectivity with uniform occupancy over
// the valid bins, and place fields found on the map as given (it is not
// smoothed again). Spatial information has no permutation null without
// points (with uniform occupancy it is invariant to permuting bins), so
// the place and grid labels are decided without it; class selectivity and
// the density control are undefined. opts.Bins is ignored.
func ScoreMap(ctx context.Context, m []float64, n int, opts Options) (*Result, error) {
	if n < 3 || n > MaxBins {
		return nil, fmt.Errorf("cells: map of %d×%d bins: want 3…%d per side", n, n, MaxBins)
	}
	if len(m) != n*n {
		return nil, fmt.Errorf("cells: map has %d values, want %d×%d", len(m), n, n)
	}
	opts.Bins = n
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	for i, v := range m {
		if math.IsInf(v, 0) {
			return nil, fmt.Errorf("cells: map bin %d (row %d, col %d) is infinite", i, i/n, i%n)
		}
	}
	f := &Frame{N: n, Count: make([]float64, n*n)}
	for i, v := range m {
		if !math.IsNaN(v) {
			f.Count[i] = 1
			f.In++
		}
	}
	p := &prepared{f: f, opts: opts, valid: f.Valid(1), count: f.Count, density: math.NaN()}
	p.nValid = f.In
	p.geom = newGridGeom(n, opts.RingInner, opts.RingOuter, opts.Compat)
	w := p.newWorker()
	u := Unit{N: n, Scores: nanScores()}
	s := &u.Scores
	s.ValidBins = p.nValid
	res := &Result{Params: p.params()}
	res.Params.Source = "map"
	res.Params.SmoothSigma = 0
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, v := range m {
		if !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
			sum += v
		}
	}
	switch {
	case p.nValid == 0:
		u.N = 0
		u.Labels = []string{"undefined"}
		u.Reasons = []Reason{{Label: "undefined", Score: "valid_bins", Value: 0, Op: "==", Threshold: 0, Pass: true}}
	case hi-lo <= 1e-12*math.Max(math.Abs(hi), math.Abs(lo)):
		s.MeanActivation = sum / float64(p.nValid)
		u.Raw = append([]float64(nil), m...)
		u.Smooth = u.Raw
		u.SAC = make([]float64, (2*n-1)*(2*n-1))
		for i := range u.SAC {
			u.SAC[i] = math.NaN()
		}
		u.Labels = []string{"silent"}
		u.Reasons = []Reason{{Label: "silent", Score: "activation_range", Value: hi - lo, Op: "==", Threshold: 0, Pass: true}}
	default:
		s.MeanActivation = sum / float64(p.nValid)
		u.Raw = append([]float64(nil), m...)
		u.Smooth = u.Raw
		u.SAC = make([]float64, (2*n-1)*(2*n-1))
		w.mapScores(&u, nil)
		u.Fields = PlaceFields(m, n, opts.FieldThreshold, opts.FieldMinBins)
		s.NFields = len(u.Fields)
		s.FieldFrac = 0
		for _, fl := range u.Fields {
			s.FieldFrac = math.Max(s.FieldFrac, float64(fl.Area)/float64(p.nValid))
		}
		gf := p.gridFields(&u)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		w.fieldShuffles(&u, gf)
		w.binPermutations(&u)
		u.Labels, u.Reasons = classify(s, u.GridNull, opts.Thresholds, false, false)
	}
	res.Units = []Unit{u}
	return res, nil
}
