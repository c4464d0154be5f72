package embed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/conceptcells/conceptcells/internal/par"
)

// PCAResult holds a principal component analysis of an n×d data matrix.
type PCAResult struct {
	// Mean is the column mean of the data (length d).
	Mean []float64
	// Components is k×d; row i is the unit direction of the i-th largest
	// variance. Each row's sign is fixed so that its entry of largest
	// magnitude is positive (scikit-learn's component-based svd_flip).
	Components *mat.Dense
	// ExplainedVariance[i] is the variance along component i, with the
	// unbiased 1/(n-1) normalisation (as scikit-learn).
	ExplainedVariance []float64
	// ExplainedVarianceRatio[i] is ExplainedVariance[i] divided by the total
	// variance (the trace of the covariance matrix).
	ExplainedVarianceRatio []float64
	// Projection is n×k: the centred data times Componentsᵀ.
	Projection *mat.Dense
	// TotalVariance is the trace of the covariance matrix.
	TotalVariance float64
}

// ErrNonFinite is wrapped by errors about NaN or infinite input values.
var ErrNonFinite = errors.New("non-finite value")

// PCA computes the first k principal components of the n×d row-major matrix
// x (x[i*d+j] is feature j of sample i).
//
// With X the column-centred data, the covariance is C = XᵀX/(n-1); its
// eigenvalues λ₁ ≥ … ≥ λ_d are the explained variances, λᵢ/tr(C) the
// ratios, and the eigenvectors the components (Jolliffe, Principal
// Component Analysis, 2002). When d > n the n×n Gram matrix XXᵀ is
// decomposed instead. Computation is in float64.
//
// Preconditions: n ≥ 2, 1 ≤ k ≤ min(n, d), len(x) = n·d, all values finite.
// Violations of the first three panic; non-finite data returns an error
// wrapping ErrNonFinite.
func PCA(x []float32, n, d, k int) (*PCAResult, error) {
	return pca(x, n, d, k)
}

// PCAContext is PCA that returns ctx.Err() as soon as ctx is cancelled. The
// matrix product and the eigendecomposition are single library calls that
// cannot stop midway (on 10,000 points of a 5,760-unit layer they take
// minutes), so they run in a goroutine that is abandoned on cancellation:
// it finishes in the background and its result is dropped. A command that
// exits on Ctrl-C therefore exits at once.
func PCAContext(ctx context.Context, x []float32, n, d, k int) (*PCAResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		r   *PCAResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			// A precondition panic is re-raised in the caller.
			if p := recover(); p != nil {
				done <- result{err: pcaPanic{p}}
			}
		}()
		r, err := pca(x, n, d, k)
		done <- result{r, err}
	}()
	select {
	case res := <-done:
		if p, ok := res.err.(pcaPanic); ok {
			panic(p.v)
		}
		return res.r, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// pcaPanic carries a panic of the PCA goroutine to PCAContext's caller.
type pcaPanic struct{ v any }

func (p pcaPanic) Error() string { return fmt.Sprint(p.v) }

// checkPCAInput checks the preconditions shared by PCA and TruncatedPCA:
// at least 2 samples and 1 feature, 1 ≤ k ≤ min(n, d), finite values. A
// data slice of the wrong length is a programming error and panics.
func checkPCAInput(x []float32, n, d, k int) error {
	if n < 2 || d < 1 {
		return fmt.Errorf("embed: PCA needs at least 2 samples and 1 feature, have %d×%d", n, d)
	}
	if len(x) != n*d {
		panic(fmt.Sprintf("embed: PCA data length %d != %d×%d", len(x), n, d))
	}
	if k < 1 || k > n || k > d {
		return fmt.Errorf("embed: PCA asks for %d components of %d×%d data (need 1 ≤ k ≤ min(n, d))", k, n, d)
	}
	if i := firstNonFinite(x); i >= 0 {
		return fmt.Errorf("embed: PCA input row %d column %d: %w (%v)", i/d, i%d, ErrNonFinite, x[i])
	}
	return nil
}

func pca(x []float32, n, d, k int) (*PCAResult, error) {
	if err := checkPCAInput(x, n, d, k); err != nil {
		return nil, err
	}
	mean := columnMeans(x, n, d)
	if d <= n {
		// Covariance path. Build the centred data transposed (d×n):
		// gonum's Gemm is markedly faster for A·Bᵀ than for Aᵀ·B.
		xt := mat.NewDense(d, n, nil)
		raw := xt.RawMatrix()
		par.For(d, func(lo, hi int) {
			for j := lo; j < hi; j++ {
				dst := raw.Data[j*raw.Stride : j*raw.Stride+n]
				m := mean[j]
				for i := range dst {
					dst[i] = float64(x[i*d+j]) - m
				}
			}
		})
		return pcaCovariance(xt, mean, k)
	}
	return pcaGram(centredRows(x, n, d, mean), mean, k)
}

// columnMeans returns the mean of each column of the n×d matrix x.
func columnMeans(x []float32, n, d int) []float64 {
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x[i*d : (i+1)*d] {
			mean[j] += float64(v)
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	return mean
}

// centredRows returns the n×d matrix x minus its column means.
func centredRows(x []float32, n, d int, mean []float64) *mat.Dense {
	xc := mat.NewDense(n, d, nil)
	raw := xc.RawMatrix()
	par.For(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			dst := raw.Data[i*raw.Stride : i*raw.Stride+d]
			for j, v := range x[i*d : (i+1)*d] {
				dst[j] = float64(v) - mean[j]
			}
		}
	})
	return xc
}

// eigenSym returns the eigenvalues (ascending) and eigenvectors (columns)
// of the symmetric matrix a/div, of which only the upper triangle of a is
// read.
func eigenSym(a *mat.Dense, div float64) (vals []float64, vecs *mat.Dense, err error) {
	r, _ := a.Dims()
	sym := mat.NewSymDense(r, nil)
	for i := 0; i < r; i++ {
		for j := i; j < r; j++ {
			sym.SetSym(i, j, a.At(i, j)/div)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, true) {
		return nil, nil, errors.New("embed: PCA eigendecomposition did not converge")
	}
	vecs = new(mat.Dense)
	eig.VectorsTo(vecs)
	return eig.Values(nil), vecs, nil
}

// traceOver returns Σ_i a_ii/div.
func traceOver(a *mat.Dense, div float64) float64 {
	r, _ := a.Dims()
	t := 0.0
	for i := 0; i < r; i++ {
		t += a.At(i, i) / div
	}
	return t
}

func firstNonFinite(x []float32) int {
	for i, v := range x {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return i
		}
	}
	return -1
}

// pcaCovariance runs PCA from the centred data given transposed, xt (d×n),
// by eigendecomposition of the covariance XᵀX/(n−1).
func pcaCovariance(xt *mat.Dense, mean []float64, k int) (*PCAResult, error) {
	d, n := xt.Dims()
	comps := mat.NewDense(k, d, nil)
	vars := make([]float64, k)
	var c mat.Dense
	c.Mul(xt, xt.T())
	vals, vecs, err := eigenSym(&c, float64(n-1)) // ascending
	if err != nil {
		return nil, err
	}
	total := traceOver(&c, float64(n-1))
	for c := 0; c < k; c++ {
		src := d - 1 - c
		vars[c] = math.Max(vals[src], 0)
		for j := 0; j < d; j++ {
			comps.Set(c, j, vecs.At(j, src))
		}
	}
	flipSigns(comps)
	// Projection = X·Cᵀ = (C·Xᵀ)ᵀ.
	var pt mat.Dense
	pt.Mul(comps, xt)
	proj := mat.NewDense(n, k, nil)
	proj.Copy(pt.T())
	return finishPCA(mean, comps, vars, total, proj), nil
}

// pcaGram runs PCA on centred data xc (n×d, d > n) by eigendecomposition
// of the Gram matrix XXᵀ.
func pcaGram(xc *mat.Dense, mean []float64, k int) (*PCAResult, error) {
	n, d := xc.Dims()
	comps := mat.NewDense(k, d, nil)
	vars := make([]float64, k)
	var g mat.Dense
	g.Mul(xc, xc.T())
	vals, vecs, err := eigenSym(&g, 1) // ascending
	if err != nil {
		return nil, err
	}
	total := traceOver(&g, float64(n-1))
	u := make([]float64, n)
	for c := 0; c < k; c++ {
		src := n - 1 - c
		lam := math.Max(vals[src], 0)
		vars[c] = lam / float64(n-1)
		for i := range u {
			u[i] = vecs.At(i, src)
		}
		// v = Xᵀu / ‖Xᵀu‖.
		v := mat.NewVecDense(d, nil)
		v.MulVec(xc.T(), mat.NewVecDense(n, u))
		nv := mat.Norm(v, 2)
		if nv > 0 {
			v.ScaleVec(1/nv, v)
		}
		comps.SetRow(c, v.RawVector().Data)
	}
	flipSigns(comps)
	proj := mat.NewDense(n, k, nil)
	proj.Mul(xc, comps.T())
	return finishPCA(mean, comps, vars, total, proj), nil
}

// flipSigns makes the entry of largest magnitude of each row positive.
func flipSigns(comps *mat.Dense) {
	k, _ := comps.Dims()
	for c := 0; c < k; c++ {
		row := comps.RawRowView(c)
		best := 0
		for j := range row {
			if math.Abs(row[j]) > math.Abs(row[best]) {
				best = j
			}
		}
		if row[best] < 0 {
			for j := range row {
				row[j] = -row[j]
			}
		}
	}
}

func finishPCA(mean []float64, comps *mat.Dense, vars []float64, total float64, proj *mat.Dense) *PCAResult {
	ratio := make([]float64, len(vars))
	for c := range ratio {
		if total > 0 {
			ratio[c] = vars[c] / total
		}
	}
	return &PCAResult{
		Mean:                   mean,
		Components:             comps,
		ExplainedVariance:      vars,
		ExplainedVarianceRatio: ratio,
		Projection:             proj,
		TotalVariance:          total,
	}
}

// TruncatedPCAMin is the smallest min(n, d) for which AutoPCA uses
// TruncatedPCA instead of PCA: below it the exact decomposition of the
// min(n, d)² covariance or Gram matrix is cheap.
const TruncatedPCAMin = 1000

// AutoPCA is PCA when min(n, d) < TruncatedPCAMin, else TruncatedPCA with
// the seed and progress given (on 2,000 × 12,288 images, 38 s against 7 s
// for 50 components on two busy cores). It reports which it used.
func AutoPCA(ctx context.Context, x []float32, n, d, k int, seed uint64, progress io.Writer) (r *PCAResult, randomized bool, err error) {
	if min(n, d) < TruncatedPCAMin {
		r, err = PCAContext(ctx, x, n, d, k)
		return r, false, err
	}
	r, err = TruncatedPCA(ctx, x, n, d, k, TruncatedOptions{Seed: seed, Progress: progress})
	return r, true, err
}

// TruncatedOptions configure TruncatedPCA. Zero fields take the defaults.
type TruncatedOptions struct {
	// Oversample is the number of extra random directions (default 10).
	Oversample int
	// PowerIterations is the number of subspace iterations (default 4).
	PowerIterations int
	// Seed drives the random test matrix.
	Seed uint64
	// Progress, when not nil, receives one line per step.
	Progress io.Writer
}

// Validate reports an option out of its range: Oversample and
// PowerIterations must be ≥ 0 (0 meaning the default).
func (o TruncatedOptions) Validate() error {
	if o.Oversample < 0 {
		return badOption("TruncatedOptions.Oversample", o.Oversample, "≥ 0 (0 = 10)")
	}
	if o.PowerIterations < 0 {
		return badOption("TruncatedOptions.PowerIterations", o.PowerIterations, "≥ 0 (0 = 4)")
	}
	return nil
}

// TruncatedPCA computes the first k principal components of the n×d
// row-major matrix x like PCA, without forming the d×d covariance or the
// n×n Gram matrix: a randomized range finder with subspace iteration
// (Halko, Martinsson and Tropp, "Finding structure with randomness", SIAM
// Review 53(2), 2011, Algorithms 4.4 and 5.1). With X the column-centred
// data and l = k + Oversample, it draws a d×l Gaussian Ω, orthonormalizes
// Y = XΩ into Q (n×l), refines Q by PowerIterations rounds of
// Q ← orth(X·orth(XᵀQ)), and decomposes the small l×d matrix B = QᵀX: the
// eigenvectors of BBᵀ give B's right singular vectors, the components,
// and its singular values s the explained variances s²/(n−1). The total
// variance is the exact trace of the covariance, so the ratios are
// comparable with PCA's. Memory is O(n·d + (n+d)·l); time O(n·d·l) per
// round. Accuracy is best when the spectrum decays; the error of
// component i shrinks like (σ_{l+1}/σ_i)^(2q+1) for q rounds.
//
// Preconditions and errors are those of PCA; ctx is checked between
// rounds.
func TruncatedPCA(ctx context.Context, x []float32, n, d, k int, o TruncatedOptions) (*PCAResult, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if err := checkPCAInput(x, n, d, k); err != nil {
		return nil, err
	}
	if o.Oversample <= 0 {
		o.Oversample = 10
	}
	if o.PowerIterations <= 0 {
		o.PowerIterations = 4
	}
	logf := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "conceptcells: PCA (randomized, %d×%d, %d components): "+format+"\n", append([]any{n, d, k}, args...)...)
		}
	}
	l := min(k+o.Oversample, n, d)
	mean := columnMeans(x, n, d)
	xc := centredRows(x, n, d, mean)
	var total float64
	for _, v := range xc.RawMatrix().Data {
		total += v * v
	}
	total /= float64(n - 1)

	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	omega := mat.NewDense(l, d, nil) // Ωᵀ
	for i := range omega.RawMatrix().Data {
		omega.RawMatrix().Data[i] = rng.NormFloat64()
	}
	// Rows of qt are the basis vectors: qt = Qᵀ (l×n), zt = Zᵀ (l×d).
	var qt, zt mat.Dense
	qt.Mul(omega, xc.T())
	orthonormalRows(&qt)
	logf("range found")
	for it := 0; it < o.PowerIterations; it++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		zt.Mul(&qt, xc)
		orthonormalRows(&zt)
		qt.Mul(&zt, xc.T())
		orthonormalRows(&qt)
		logf("power iteration %d of %d", it+1, o.PowerIterations)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b mat.Dense
	b.Mul(&qt, xc) // l×d
	var bbt mat.Dense
	bbt.Mul(&b, b.T())
	vals, u, err := eigenSym(&bbt, 1) // ascending
	if err != nil {
		return nil, err
	}
	comps := mat.NewDense(k, d, nil)
	vars := make([]float64, k)
	col := make([]float64, l)
	// Directions with singular values below the rounding level of the
	// largest are left zero: dividing by them would give non-orthogonal
	// noise.
	floor := 1e-7 * math.Sqrt(math.Max(vals[l-1], 0))
	for c := 0; c < k; c++ {
		src := l - 1 - c
		lam := math.Max(vals[src], 0)
		vars[c] = lam / float64(n-1)
		s := math.Sqrt(lam)
		if s <= floor || s == 0 {
			continue
		}
		mat.Col(col, src, u)
		// vᵀ = uᵀB / s.
		v := mat.NewVecDense(d, nil)
		v.MulVec(b.T(), mat.NewVecDense(l, col))
		v.ScaleVec(1/s, v)
		comps.SetRow(c, v.RawVector().Data)
	}
	flipSigns(comps)
	proj := mat.NewDense(n, k, nil)
	proj.Mul(xc, comps.T())
	logf("done")
	return finishPCA(mean, comps, vars, total, proj), nil
}

// orthonormalRows makes the rows of a orthonormal by modified Gram–Schmidt,
// run twice for stability ("twice is enough"); a row that vanishes (a
// rank-deficient range) is left zero.
func orthonormalRows(a *mat.Dense) {
	r, c := a.Dims()
	raw := a.RawMatrix()
	row := func(i int) []float64 { return raw.Data[i*raw.Stride : i*raw.Stride+c] }
	for pass := 0; pass < 2; pass++ {
		for i := 0; i < r; i++ {
			ri := row(i)
			for j := 0; j < i; j++ {
				rj := row(j)
				var dot float64
				for t, v := range ri {
					dot += v * rj[t]
				}
				for t := range ri {
					ri[t] -= dot * rj[t]
				}
			}
			var nrm float64
			for _, v := range ri {
				nrm += v * v
			}
			nrm = math.Sqrt(nrm)
			if nrm < 1e-300 {
				clear(ri)
				continue
			}
			for t := range ri {
				ri[t] /= nrm
			}
		}
	}
}
