package embed

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/conceptcells/conceptcells/internal/kernels"
)

// TSNEOptions configures TSNE. The zero value of a field means its default
// (see DefaultTSNE), so TSNEOptions{} is usable.
type TSNEOptions struct {
	// Perplexity of the input affinities (default 30). Each point's
	// neighbourhood is its k = ⌊3·Perplexity⌋ nearest neighbours. If
	// N < k+1, the perplexity is lowered to (N−1)/3 with a warning.
	Perplexity float64
	// Iterations is the total number of gradient steps, early exaggeration
	// included (default 750).
	Iterations int
	// EarlyExaggeration multiplies P during the first EarlyIterations steps
	// (defaults 12 and 250).
	EarlyExaggeration float64
	EarlyIterations   int
	// LearningRate of gradient descent; 0 means max(200, N/12) (Belkina et
	// al. 2019).
	LearningRate float64
	// Momentum during early exaggeration and after it (defaults 0.5, 0.8).
	Momentum, FinalMomentum float64
	// PCA, if > 0, first reduces the data to that many principal components
	// and computes the affinities there (the usual "PCA-50" preprocessing).
	// With 0 (the default) the affinities use exact nearest neighbours in
	// the input space; a PCA projection then only serves to prune the exact
	// search. With min(N, D) ≥ TruncatedPCAMin the PCA is the randomized
	// one (AutoPCA, seeded with Seed).
	PCA int
	// Method is "auto" (default: "exact" for N ≤ ExactMaxN, else "fft"),
	// "exact" (O(N²) repulsion) or "fft" (grid interpolation).
	Method string
	// ExactMaxN is the largest N for which "auto" picks exact (default 2000).
	ExactMaxN int
	// KNNExactMaxN is the largest N for which the neighbour search is exact
	// (default 15000); above it a random-projection forest with neighbour
	// refinement is used.
	KNNExactMaxN int
	// GridSpacing is the largest node spacing of the FFT grid, in embedding
	// units (default 0.6), and GridOrder the interpolation nodes per
	// dimension (default 6, quintic). The grid has a 2,3,5-smooth size and
	// grows with the embedding, so its spacing stays close to GridSpacing.
	GridSpacing float64
	GridOrder   int
	// Init is "pca" (default: the first two principal components, scaled so
	// that the first has standard deviation 1e-4) or "random" (Gaussian,
	// standard deviation 1e-4, from Seed).
	Init string
	// Seed drives every random choice (random initialisation, approximate
	// neighbour search). Default 1.
	Seed uint64
	// Progress, if not nil, receives one line per ProgressEvery iterations
	// (default 50) with the iteration and the KL divergence.
	Progress      io.Writer
	ProgressEvery int
	// MaxMemory, if > 0, bounds the memory a run is estimated to need
	// (TSNEMemory): above it TSNE fails at once with ErrMemory.
	MaxMemory int64
}

// DefaultTSNE holds the documented defaults.
var DefaultTSNE = TSNEOptions{
	Perplexity:        30,
	Iterations:        750,
	EarlyExaggeration: 12,
	EarlyIterations:   250,
	Momentum:          0.5,
	FinalMomentum:     0.8,
	Method:            "auto",
	ExactMaxN:         2000,
	KNNExactMaxN:      15000,
	GridSpacing:       0.6,
	GridOrder:         6,
	Init:              "pca",
	Seed:              1,
	ProgressEvery:     50,
}

func (o TSNEOptions) withDefaults() TSNEOptions {
	d := DefaultTSNE
	o.Perplexity = cmp.Or(o.Perplexity, d.Perplexity)
	o.Iterations = cmp.Or(o.Iterations, d.Iterations)
	o.EarlyExaggeration = cmp.Or(o.EarlyExaggeration, d.EarlyExaggeration)
	o.EarlyIterations = cmp.Or(o.EarlyIterations, d.EarlyIterations)
	o.Momentum = cmp.Or(o.Momentum, d.Momentum)
	o.FinalMomentum = cmp.Or(o.FinalMomentum, d.FinalMomentum)
	o.Method = cmp.Or(o.Method, d.Method)
	o.ExactMaxN = cmp.Or(o.ExactMaxN, d.ExactMaxN)
	o.KNNExactMaxN = cmp.Or(o.KNNExactMaxN, d.KNNExactMaxN)
	o.GridSpacing = cmp.Or(o.GridSpacing, d.GridSpacing)
	o.GridOrder = cmp.Or(o.GridOrder, d.GridOrder)
	o.Init = cmp.Or(o.Init, d.Init)
	o.Seed = cmp.Or(o.Seed, d.Seed)
	o.ProgressEvery = cmp.Or(o.ProgressEvery, d.ProgressEvery)
	return o
}

// Result is a t-SNE embedding.
type Result struct {
	// Y is the N×2 embedding, row-major: point i is (Y[2i], Y[2i+1]).
	Y []float64
	N int
	// KL is the final KL(P‖Q) over the sparse input affinities P, with Q's
	// normaliser Z = Σ_{k≠l} 1/(1+|y_k−y_l|²) computed exactly by direct
	// summation (KLExactZ true) or, for N > 100,000, by the FFT grid.
	KL       float64
	KLExactZ bool
	// Iterations run, the repulsion method used ("exact" or "fft"), the
	// perplexity used and whether the neighbour search was exact.
	Iterations int
	Method     string
	Perplexity float64
	ExactKNN   bool
	// Warnings about the input or the run (lowered perplexity, duplicate
	// points, constant columns, unconverged calibrations).
	Warnings []string
	// Timings of the stages.
	Timings map[string]time.Duration
}

// TSNE embeds the n×d row-major data x in 2-D with t-distributed stochastic
// neighbour embedding (van der Maaten & Hinton 2008, JMLR 9:2579), as
// described in the package documentation. It minimises
//
//	KL(P‖Q) = Σ_{i≠j} p_ij ln(p_ij/q_ij),  q_ij = w_ij / Z,  w_ij = 1/(1+|yᵢ−yⱼ|²),
//
// by gradient descent on ∂KL/∂yᵢ = 4 Σ_j (α p_ij − q_ij) w_ij (yᵢ−yⱼ), α
// the exaggeration. The result depends only on x, n, d and opts.
//
// Errors: fewer than 4 points, non-finite values (wrapping ErrNonFinite),
// bad options, or ctx cancelled.
func TSNE(ctx context.Context, x []float32, n, d int, opts TSNEOptions) (*Result, error) {
	rs, err := TSNEMany(ctx, x, n, d, opts, []Run{{}})
	if err != nil {
		return nil, err
	}
	return rs[0], nil
}

// Run is one optimisation of TSNEMany: the perplexity of its input
// affinities and the seed of its random choices. A zero field takes the
// value of the options.
type Run struct {
	Perplexity float64
	Seed       uint64
}

// TSNEMany embeds x once per run, sharing the work that does not depend on
// the run: the PCA and the nearest-neighbour search, with the largest
// k = ⌊3·perplexity⌋ among the runs, are done once, and the affinities once
// per distinct perplexity; each run then optimises from its own
// initialisation (with Init "random", a Gaussian drawn from its seed).
//
// With exact neighbours (N ≤ KNNExactMaxN) result i is bit for bit TSNE
// with Perplexity and Seed set to those of runs[i]: neighbours are ranked
// by (distance, index), so the k nearest are the first k of the k_max
// nearest. Above KNNExactMaxN the approximate neighbour graph is built
// once, with opts.Seed.
//
// Each result's Timings hold the shared stages as measured once ("pca",
// "knn"; "affinities" for its perplexity, shared by the runs with the same
// perplexity) and its own "optimise" and "kl". Errors are those of TSNE,
// and an empty runs.
func TSNEMany(ctx context.Context, x []float32, n, d int, opts TSNEOptions, runs []Run) ([]*Result, error) {
	o := opts.withDefaults()
	if len(x) != n*d {
		panic(fmt.Sprintf("embed: TSNE data length %d != %d×%d", len(x), n, d))
	}
	if len(runs) == 0 {
		return nil, errors.New("embed: TSNEMany needs at least one run")
	}
	if n < 4 {
		return nil, fmt.Errorf("embed: t-SNE needs at least 4 points, have %d", n)
	}
	if d < 1 {
		return nil, errors.New("embed: t-SNE needs at least 1 feature")
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if i := firstNonFinite(x); i >= 0 {
		return nil, fmt.Errorf("embed: t-SNE input row %d column %d: %w (%v)", i/d, i%d, ErrNonFinite, x[i])
	}
	res, seeds, kmax, err := planRuns(n, o, runs)
	if err != nil {
		return nil, err
	}
	if err := checkMemory(n, d, kmax, o); err != nil {
		return nil, err
	}
	var shared []string // warnings about the data, for every run
	if c := constantColumns(x, n, d); c > 0 {
		shared = append(shared, fmt.Sprintf("%d of %d input columns are constant", c, d))
	}
	t0 := time.Now()
	data, dd, pca, err := tsnePCA(ctx, x, n, d, o)
	if err != nil {
		return nil, err
	}
	tPCA := time.Since(t0)
	t0 = time.Now()
	nb, exact, err := neighbours(ctx, data, n, dd, d, kmax, pca, o)
	if err != nil {
		return nil, err
	}
	tKNN := time.Since(t0)
	o.logf("t-SNE: %d nearest neighbours (exact: %v): %.1f s\n", kmax, exact, tKNN.Seconds())
	shared = append(shared, duplicateWarnings(nb, x, n, d, kmax)...)

	// Affinities, once per perplexity, then each run's optimisation.
	aff := map[float64]*affinities{}
	for i, r := range res {
		a := aff[r.Perplexity]
		if a == nil {
			a = newAffinities(nb, r.Perplexity)
			aff[r.Perplexity] = a
		}
		r.ExactKNN = exact
		r.Warnings = append(r.Warnings, shared...)
		if a.fails > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("perplexity calibration did not converge for %d points", a.fails))
		}
		r.Timings["pca"], r.Timings["knn"], r.Timings["affinities"] = tPCA, tKNN, a.elapsed
		if len(runs) > 1 {
			o.logf("t-SNE: run %d of %d: perplexity %g, seed %d\n", i+1, len(runs), r.Perplexity, seeds[i])
		}
		if err := optimise(ctx, r, a, pca, seeds[i], o); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// Validate reports the first option out of its range, zero fields taking
// their defaults: Perplexity must be > 0; Iterations, EarlyIterations,
// LearningRate and PCA ≥ 0; GridSpacing > 0 and GridOrder even and ≥ 4;
// Init "pca" or "random"; Method "auto", "exact" or "fft".
func (o TSNEOptions) Validate() error {
	o = o.withDefaults()
	switch {
	case !(o.Perplexity > 0) || math.IsInf(o.Perplexity, 0):
		return badOption("TSNEOptions.Perplexity", o.Perplexity, "> 0")
	case o.Iterations < 0:
		return badOption("TSNEOptions.Iterations", o.Iterations, "≥ 0")
	case o.EarlyIterations < 0:
		return badOption("TSNEOptions.EarlyIterations", o.EarlyIterations, "≥ 0")
	case !(o.LearningRate >= 0):
		return badOption("TSNEOptions.LearningRate", o.LearningRate, "≥ 0 (0 = max(200, N/12))")
	case o.PCA < 0:
		return badOption("TSNEOptions.PCA", o.PCA, "≥ 0")
	case !(o.GridSpacing > 0):
		return badOption("TSNEOptions.GridSpacing", o.GridSpacing, "> 0")
	case o.GridOrder < 4 || o.GridOrder%2 != 0:
		return badOption("TSNEOptions.GridOrder", o.GridOrder, "an even number ≥ 4")
	case o.Init != "pca" && o.Init != "random":
		return badOption("TSNEOptions.Init", fmt.Sprintf("%q", o.Init), "pca or random")
	case o.Method != "auto" && o.Method != "exact" && o.Method != "fft":
		return badOption("TSNEOptions.Method", fmt.Sprintf("%q", o.Method), "auto, exact or fft")
	}
	return nil
}

// badOption is the error of an option out of its range: its name, its
// value and what it should be.
func badOption(name string, v any, want string) error {
	return fmt.Errorf("embed: option %s = %v: want %s", name, v, want)
}

// method returns the repulsion method for n points: o.Method, with
// "auto" resolved to "exact" for n ≤ o.ExactMaxN and "fft" above.
func (o TSNEOptions) method(n int) string {
	if o.Method != "auto" {
		return o.Method
	}
	if n <= o.ExactMaxN {
		return "exact"
	}
	return "fft"
}

// planRuns makes each run's result with its perplexity, lowered (with a
// warning) when there are too few points, and returns them with each
// run's seed and the largest neighbourhood size k = ⌊3·perplexity⌋.
func planRuns(n int, o TSNEOptions, runs []Run) ([]*Result, []uint64, int, error) {
	res := make([]*Result, len(runs))
	seeds := make([]uint64, len(runs))
	kmax := 1
	for i, r := range runs {
		want := cmp.Or(r.Perplexity, o.Perplexity)
		if !(want > 0) {
			return nil, nil, 0, fmt.Errorf("embed: bad t-SNE perplexity %v in run %d", want, i)
		}
		seeds[i] = cmp.Or(r.Seed, o.Seed)
		res[i] = &Result{N: n, Method: o.method(n), Perplexity: want, Timings: map[string]time.Duration{}}
		if k := int(3 * want); k > n-1 {
			res[i].Perplexity = float64(n-1) / 3
			res[i].Warnings = append(res[i].Warnings, fmt.Sprintf("perplexity %g needs at least %d points; lowered to %.4g for %d points",
				want, k+1, res[i].Perplexity, n))
		}
		kmax = max(kmax, int(3*res[i].Perplexity))
	}
	return res, seeds, kmax, nil
}

// screenable reports whether the exact neighbours of n points of dd
// dimensions are found by knnScreened, which packs a float32 copy of the
// data (at most 256 MiB) and multiplies it by itself with the assembly
// GEMM; larger data, and CPUs where the GEMM is pure Go (arm64, or the
// purego tag), use knnPruned with the PCA bound (the same neighbours).
func screenable(n, dd int) bool {
	return kernels.KernelName() != "go" && float64(n)*float64(dd)*4 <= 256<<20
}

// initTruncatedMin is the smallest min(n, d) for which the PCA
// initialisation uses TruncatedPCA: below it the covariance is cheap.
const initTruncatedMin = 100

// tsnePCA runs the PCA that serves the initialisation, the bounds of the
// approximate neighbour search and, with o.PCA > 0, the preprocessing: the
// randomized one for wide data (AutoPCA). It returns the data the
// neighbours are searched in (x, or its first o.PCA components) with
// their dimension, and the PCA (nil for d = 1, or when none of these
// needs it: random initialisation with exact neighbours).
func tsnePCA(ctx context.Context, x []float32, n, d int, o TSNEOptions) ([]float32, int, *PCAResult, error) {
	t0 := time.Now()
	data, dd := x, d
	m := min(50, d, n)
	if o.PCA > 0 {
		m = min(o.PCA, d, n)
	}
	var pca *PCAResult
	// The screened exact neighbour search needs no PCA: only the PCA
	// initialisation, the preprocessing, the approximate search and the
	// pruned exact search of large data do.
	preprocess := o.PCA > 0 && o.PCA < d
	var err error
	switch {
	case d <= 1:
	case !preprocess && n <= o.KNNExactMaxN && (d <= 32 || screenable(n, d)) && o.Init == "pca" && min(n, d) >= initTruncatedMin:
		// Only the initialisation needs it, and only the first two
		// components: on wide data the randomized PCA finds them far
		// sooner than the d×d covariance (as scikit-learn's PCA does for
		// few components).
		m = 2
		pca, err = TruncatedPCA(ctx, x, n, d, 2, TruncatedOptions{Seed: o.Seed})
	case preprocess || n > o.KNNExactMaxN || o.Init == "pca" || (d > 32 && !screenable(n, d)):
		pca, _, err = AutoPCA(ctx, x, n, d, max(m, 2), o.Seed, nil)
	}
	if err != nil {
		return nil, 0, nil, err
	}
	if pca != nil {
		if preprocess {
			proj := pca.Projection.RawMatrix()
			dd = proj.Cols
			data = make([]float32, n*dd)
			for i := 0; i < n; i++ {
				for j := 0; j < dd; j++ {
					data[i*dd+j] = float32(proj.Data[i*proj.Stride+j])
				}
			}
		}
	}
	o.logf("t-SNE: PCA to %d components: %.1f s\n", m, time.Since(t0).Seconds())
	return data, dd, pca, nil
}

// neighbours finds the kmax nearest neighbours of every point of the
// n×dd data (d the input's dimension), once for all runs: approximately
// above o.KNNExactMaxN points, else exactly (a sweep along the first
// principal axis up to 32 dimensions, screened by a float32 GEMM bound when
// screenable, else pruned by the PCA projection). exact says which.
func neighbours(ctx context.Context, data []float32, n, dd, d, kmax int, pca *PCAResult, o TSNEOptions) (nb *neighbors, exact bool, err error) {
	switch {
	case n > o.KNNExactMaxN:
		nb, err = knnApprox(ctx, data, n, dd, kmax, boundsFor(data, n, dd, d, pca), o.Seed)
	case dd <= 32:
		// Low dimension: a sweep along the first principal axis finds
		// the brute-force neighbours reading few pairs.
		nb, err = knnSweep(ctx, data, n, dd, kmax)
		exact = true
	case screenable(n, dd):
		nb, err = knnScreened(ctx, data, n, dd, kmax, nil)
		exact = true
	default:
		// Large data: the float32 copy the screening packs would be
		// over 256 MiB; a PCA bound prunes the search instead (same
		// neighbours).
		nb, err = knnPruned(ctx, data, n, dd, kmax, boundsFor(data, n, dd, d, pca), nil)
		exact = true
	}
	return nb, exact, err
}

// duplicateWarnings warns of points with an exact duplicate (a nearest
// neighbour at distance 0), or that all n points of x are identical.
func duplicateWarnings(nb *neighbors, x []float32, n, d, kmax int) []string {
	dups := 0
	for i := 0; i < n; i++ {
		if nb.d2[i*kmax] == 0 {
			dups++
		}
	}
	if dups == n && allRowsEqual(x, n, d) {
		return []string{fmt.Sprintf("all %d points are identical: the embedding is meaningless", n)}
	}
	if dups > 0 {
		return []string{fmt.Sprintf("%d points have an exact duplicate", dups)}
	}
	return nil
}

// affinities are the input affinities P of one perplexity, with
// Σ p ln p (the constant part of the KL divergence).
type affinities struct {
	p       *sparseP
	plogp   float64
	fails   int // points whose calibration did not converge
	elapsed time.Duration
}

// newAffinities calibrates and symmetrises the affinities of perplexity
// perp on the first ⌊3·perp⌋ (at least 1) neighbours of nb.
func newAffinities(nb *neighbors, perp float64) *affinities {
	t0 := time.Now()
	a := &affinities{}
	nk := nb.prefix(max(1, int(3*perp)))
	pc, fails := conditionalP(nk, perp)
	a.fails = fails
	a.p = symmetrize(nk, pc)
	for _, v := range a.p.val {
		if v > 0 {
			a.plogp += v * math.Log(v)
		}
	}
	a.elapsed = time.Since(t0)
	return a
}

// optimise runs the gradient descent of one t-SNE run on the affinities a
// from the initialisation o.Init (seeded by seed) and fills r's Y, KL,
// Iterations and timings.
func optimise(ctx context.Context, r *Result, a *affinities, pca *PCAResult, seed uint64, o TSNEOptions) error {
	n, P := r.N, a.p
	y := make([]float64, 2*n)
	rng := rand.New(rand.NewPCG(seed, 0x74534e45))
	initDone := false
	if o.Init == "pca" && pca != nil {
		pr := pca.Projection.RawMatrix()
		for i := 0; i < n; i++ {
			y[2*i] = pr.Data[i*pr.Stride]
			y[2*i+1] = pr.Data[i*pr.Stride+1]
		}
		sd := colStd(y, n, 0)
		if sd > 0 {
			for i := range y {
				y[i] *= 1e-4 / sd
			}
			initDone = true
		} else {
			r.Warnings = append(r.Warnings, "PCA initialisation is degenerate (zero variance); using a random initialisation")
		}
	}
	if !initDone {
		for i := range y {
			y[i] = 1e-4 * rng.NormFloat64()
		}
	}

	lr := o.LearningRate
	if lr == 0 {
		lr = math.Max(200, float64(n)/12)
	}
	t0 := time.Now()
	grad := make([]float64, 2*n)
	rep := make([]float64, 2*n)
	update := make([]float64, 2*n)
	gains := make([]float64, 2*n)
	for i := range gains {
		gains[i] = 1
	}
	fr := &fftRepulsion{grid: gridRepulsion{maxSpacing: o.GridSpacing, order: o.GridOrder}}
	for it := 0; it < o.Iterations; it++ {
		if it%10 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		exag, mom := 1.0, o.FinalMomentum
		if it < o.EarlyIterations {
			exag, mom = o.EarlyExaggeration, o.Momentum
		}
		report := o.Progress != nil && ((it+1)%o.ProgressEvery == 0 || it == o.Iterations-1)
		var z float64
		if r.Method == "exact" {
			z = exactRepulsion(y, n, rep)
		} else {
			z = fr.compute(y, n, rep)
		}
		clear(grad)
		slw := attractive(P, y, exag, grad, report)
		invZ := 1 / z
		for i := range grad {
			g := 4 * (grad[i] - rep[i]*invZ)
			if (g > 0) != (update[i] > 0) {
				gains[i] += 0.2
			} else {
				gains[i] *= 0.8
			}
			if gains[i] < 0.01 {
				gains[i] = 0.01
			}
			update[i] = mom*update[i] - lr*gains[i]*g
			y[i] += update[i]
		}
		centre(y, n)
		if report {
			kl := a.plogp - slw + math.Log(z)
			fmt.Fprintf(o.Progress, "t-SNE iteration %4d/%d  KL %.4f  (%s, exaggeration %g)\n", it+1, o.Iterations, kl, r.Method, exag)
		}
	}
	r.Iterations = o.Iterations
	r.Timings["optimise"] = time.Since(t0)
	for _, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("embed: t-SNE diverged (non-finite coordinates); try a smaller learning rate")
		}
	}

	// Final KL with the exact normaliser where affordable.
	t0 = time.Now()
	var z float64
	if n <= 100000 {
		z = exactZ(y, n)
		r.KLExactZ = true
	} else {
		z = fr.compute(y, n, rep)
	}
	clear(grad)
	slw := attractive(P, y, 1, grad, true)
	r.KL = a.plogp - slw + math.Log(z)
	r.Timings["kl"] = time.Since(t0)
	r.Y = y
	return nil
}

// boundsFor returns the projection used to bound distances between rows of
// data (n×dd). When data is the original input (dd = d) it is the PCA
// projection; when data is already the PCA projection it is data itself
// (exact, no residual).
func boundsFor(data []float32, n, dd, d int, pca *PCAResult) *projected {
	if dd == d && pca != nil {
		return newProjected(data, n, dd, pca)
	}
	p := &projected{n: n, m: dd, z: make([]float64, n*dd), zz: make([]float64, n), r: make([]float64, n)}
	for i := 0; i < n; i++ {
		var s float64
		for j := 0; j < dd; j++ {
			v := float64(data[i*dd+j])
			p.z[i*dd+j] = v
			s += v * v
		}
		p.zz[i] = s
	}
	return p
}

func (o TSNEOptions) logf(format string, a ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format, a...)
	}
}

func centre(y []float64, n int) {
	var m0, m1 float64
	for i := 0; i < n; i++ {
		m0 += y[2*i]
		m1 += y[2*i+1]
	}
	m0 /= float64(n)
	m1 /= float64(n)
	for i := 0; i < n; i++ {
		y[2*i] -= m0
		y[2*i+1] -= m1
	}
}

func colStd(y []float64, n, c int) float64 {
	var m float64
	for i := 0; i < n; i++ {
		m += y[2*i+c]
	}
	m /= float64(n)
	var s float64
	for i := 0; i < n; i++ {
		v := y[2*i+c] - m
		s += v * v
	}
	return math.Sqrt(s / float64(n))
}

// constantColumns counts the columns of x with a single value.
func constantColumns(x []float32, n, d int) int {
	c := 0
	for j := 0; j < d; j++ {
		v := x[j]
		same := true
		for i := 1; i < n; i++ {
			if x[i*d+j] != v {
				same = false
				break
			}
		}
		if same {
			c++
		}
	}
	return c
}

// allRowsEqual reports whether every row of the n×d matrix x equals the
// first (every point has a duplicate does not mean all are the same).
func allRowsEqual(x []float32, n, d int) bool {
	for i := 1; i < n; i++ {
		if !slices.Equal(x[i*d:(i+1)*d], x[:d]) {
			return false
		}
	}
	return true
}
