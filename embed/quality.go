package embed

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/conceptcells/conceptcells/internal/par"
)

// QualityOptions configures Quality. Zero values mean the defaults K = 10
// and Perplexity = 30.
type QualityOptions struct {
	// K is the neighbourhood size of kNN preservation and trustworthiness.
	K int
	// Perplexity of the affinities P used for the KL divergence
	// (⌊3·Perplexity⌋ exact nearest neighbours, as in TSNE; lowered to
	// (N−1)/3 when N is too small, as in TSNE).
	Perplexity float64
	// SkipTrustworthiness leaves Trustworthiness NaN. Its exact ranks cost
	// up to O(N²·D) (about 20 s of one core for 10,000 × 784, since most
	// distances fall between the PCA bounds); the other scores need only
	// the exact kNN.
	SkipTrustworthiness bool
}

// Validate reports an option out of its range: K must be ≥ 0 and
// Perplexity ≥ 0 and finite (0 meaning the default).
func (o QualityOptions) Validate() error {
	if o.K < 0 {
		return badOption("QualityOptions.K", o.K, "≥ 1 (0 = 10)")
	}
	if !(o.Perplexity >= 0) || math.IsInf(o.Perplexity, 0) {
		return badOption("QualityOptions.Perplexity", o.Perplexity, "> 0 (0 = 30)")
	}
	return nil
}

// QualityResult measures how faithfully a low-dimensional embedding Y
// represents high-dimensional data X. All neighbour searches are exact.
type QualityResult struct {
	N, K int
	// KNNPreservation is the mean over points of |NN_K(X) ∩ NN_K(Y)| / K.
	KNNPreservation float64
	// Trustworthiness is Venna & Kaski's T(K) (ICANN 2001; the formula of
	// sklearn.manifold.trustworthiness):
	//
	//	T = 1 − 2/(N K (2N − 3K − 1)) Σ_i Σ_{j ∈ NN_K(Y,i) \ NN_K(X,i)} (r_X(i,j) − K),
	//
	// r_X(i,j) the rank of j among i's neighbours in X (nearest = 1).
	Trustworthiness float64
	// Acc1NN is the leave-one-out 1-nearest-neighbour label accuracy in Y
	// (NaN without labels); HighDAcc1NN the same in X.
	Acc1NN, HighDAcc1NN float64
	// KL is KL(P‖Q) with P the symmetrised perplexity-calibrated affinities
	// on the exact ⌊3·Perplexity⌋ nearest neighbours in X, and Q the
	// Student-t affinities of Y with the exact normaliser over all pairs.
	KL         float64
	Perplexity float64
}

// Quality scores the embedding y (n×dy row-major, float64) of the data x
// (n×d row-major float32), with optional integer labels (nil to skip the
// accuracy). The scores follow ../shared/tools/score_embedding.py.
func Quality(ctx context.Context, x []float32, n, d int, y []float64, dy int, labels []int, opts QualityOptions) (*QualityResult, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.K == 0 {
		opts.K = 10
	}
	if opts.Perplexity == 0 {
		opts.Perplexity = 30
	}
	if len(x) != n*d || len(y) != n*dy {
		panic(fmt.Sprintf("embed: Quality sizes: x %d for %d×%d, y %d for %d×%d", len(x), n, d, len(y), n, dy))
	}
	if labels != nil && len(labels) != n {
		return nil, fmt.Errorf("embed: %d labels for %d points", len(labels), n)
	}
	k := opts.K
	if int(3*opts.Perplexity) > n-1 {
		opts.Perplexity = float64(n-1) / 3 // as TSNE does
	}
	kp := max(1, int(3*opts.Perplexity))
	if k < 1 || k > n-2 {
		return nil, fmt.Errorf("embed: quality needs 1 ≤ K ≤ N−2, have K=%d, N=%d", k, n)
	}
	if i := firstNonFinite(x); i >= 0 {
		return nil, fmt.Errorf("embed: quality data row %d: %w", i/d, ErrNonFinite)
	}
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("embed: embedding row %d: %w", i/dy, ErrNonFinite)
		}
	}
	// Low-dimensional neighbours, exact.
	ylo, err := knnFloat64(ctx, y, n, dy, k)
	if err != nil {
		return nil, err
	}
	// High-dimensional exact neighbours and ranks of the low-D neighbours.
	var pr *projected
	if d > 32 {
		p, _, err := AutoPCA(ctx, x, n, d, min(50, d, n), 1, nil)
		if err != nil {
			return nil, err
		}
		pr = newProjected(x, n, d, p)
	}
	kk := max(k, kp)
	var hi *neighbors
	if pr != nil {
		hi, err = knnPruned(ctx, x, n, d, kk, pr, nil)
	} else {
		hi, err = knnBrute(ctx, x, n, d, kk)
	}
	if err != nil {
		return nil, err
	}
	res := &QualityResult{N: n, K: k, Perplexity: opts.Perplexity, Acc1NN: math.NaN(), HighDAcc1NN: math.NaN()}
	// Preservation and the intruders needing ranks.
	nf, kf := float64(n), float64(k)
	if opts.SkipTrustworthiness {
		shared := 0
		for i := 0; i < n; i++ {
			for _, j := range ylo.idx[i*k : (i+1)*k] {
				for _, l := range hi.idx[i*kk : i*kk+k] {
					if j == l {
						shared++
						break
					}
				}
			}
		}
		res.KNNPreservation = float64(shared) / (nf * kf)
		res.Trustworthiness = math.NaN()
	} else {
		var shared int64
		penalty, err := trustPenalty(ctx, x, n, d, pr, hi, ylo, &shared)
		if err != nil {
			return nil, err
		}
		res.KNNPreservation = float64(shared) / (nf * kf)
		res.Trustworthiness = 1 - penalty*2/(nf*kf*(2*nf-3*kf-1))
	}
	if labels != nil {
		var a1, ah int
		for i := 0; i < n; i++ {
			if labels[ylo.idx[i*k]] == labels[i] {
				a1++
			}
			if labels[hi.idx[i*kk]] == labels[i] {
				ah++
			}
		}
		res.Acc1NN = float64(a1) / nf
		res.HighDAcc1NN = float64(ah) / nf
	}
	// KL over the exact kp-NN affinities with the exact normaliser.
	if dy == 2 {
		sub := &neighbors{n: n, k: kp, idx: make([]int32, n*kp), d2: make([]float64, n*kp)}
		for i := 0; i < n; i++ {
			copy(sub.idx[i*kp:(i+1)*kp], hi.idx[i*kk:i*kk+kp])
			copy(sub.d2[i*kp:(i+1)*kp], hi.d2[i*kk:i*kk+kp])
		}
		pc, _ := conditionalP(sub, opts.Perplexity)
		P := symmetrize(sub, pc)
		var plogp float64
		for _, v := range P.val {
			if v > 0 {
				plogp += v * math.Log(v)
			}
		}
		grad := make([]float64, 2*n)
		res.KL = plogp - attractive(P, y, 1, grad, true) + math.Log(exactZ(y, n))
	} else {
		res.KL = math.NaN()
	}
	return res, nil
}

// knnFloat64 is an exact brute-force kNN search on float64 rows.
func knnFloat64(ctx context.Context, y []float64, n, d, k int) (*neighbors, error) {
	return knnAllPairs(ctx, y, n, d, k, sqDist64)
}

// sqDist64 is the squared Euclidean distance of two float64 rows.
func sqDist64(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for c, v := range a {
		t := v - b[c]
		s += t * t
	}
	return s
}

// trustPenalty returns Σ_i Σ_{j ∈ NN_K(Y,i) \ NN_K(X,i)} (r(i,j) − K) and
// counts the shared neighbours. Ranks are exact: with a projection, a
// candidate m is counted without an exact distance when its upper bound is
// below D(i,j), skipped when its lower bound is at or above it, and
// otherwise compared exactly.
func trustPenalty(ctx context.Context, x []float32, n, d int, pr *projected, hi, lo *neighbors, shared *int64) (float64, error) {
	k := lo.k
	xx := sqNorms(x, n, d)
	const block = 256
	var gram []float64
	var total atomic.Int64 // penalties are integers
	var sh atomic.Int64
	for b0 := 0; b0 < n; b0 += block {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		b1 := min(b0+block, n)
		if pr != nil {
			gram = pr.gramBlock(b0, b1, gram)
		}
		par.For(b1-b0, func(rlo, rhi int) {
			var pen, shr int64
			for r := rlo; r < rhi; r++ {
				i := b0 + r
				inHi := make(map[int32]bool, k)
				for _, j := range hi.idx[i*hi.k : i*hi.k+k] {
					inHi[j] = true
				}
				var intr []float64
				for _, j := range lo.idx[i*k : (i+1)*k] {
					if inHi[j] {
						shr++
						continue
					}
					intr = append(intr, dotDist(x[i*d:(i+1)*d], x[int(j)*d:(int(j)+1)*d], xx[i], xx[j]))
				}
				if len(intr) == 0 {
					continue
				}
				maxD := 0.0
				for _, v := range intr {
					maxD = math.Max(maxD, v)
				}
				counts := make([]int64, len(intr))
				xi := x[i*d : (i+1)*d]
				for m := 0; m < n; m++ {
					if m == i {
						continue
					}
					var lb, ub float64
					if pr != nil {
						dz := pr.zz[i] + pr.zz[m] - 2*gram[r*n+m]
						slack := 1e-9 * (pr.zz[i] + pr.zz[m])
						a, b := pr.r[i]-pr.r[m], pr.r[i]+pr.r[m]
						lb = math.Max(dz-slack, 0) + a*a
						ub = dz + slack + b*b
					} else {
						lb, ub = 0, math.Inf(1)
					}
					if lb >= maxD {
						continue
					}
					dm := math.NaN()
					for q, dj := range intr {
						switch {
						case ub < dj:
							counts[q]++
						case lb >= dj:
						default:
							if math.IsNaN(dm) {
								dm = dotDist(xi, x[m*d:(m+1)*d], xx[i], xx[m])
							}
							if dm < dj {
								counts[q]++
							}
						}
					}
				}
				for _, c := range counts {
					if rank := c + 1; rank > int64(k) {
						pen += rank - int64(k)
					}
				}
			}
			total.Add(pen)
			sh.Add(shr)
		})
	}
	*shared = sh.Load()
	return float64(total.Load()), nil
}
