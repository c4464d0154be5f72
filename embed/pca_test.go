package embed

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
)

// TestPCAMatchesSklearn compares with scikit-learn 1.2.1's PCA
// (svd_solver="full") on the committed fixtures: testdata/pca_tall.npy
// (300×12, covariance path) and testdata/pca_wide.npy (20×30, Gram path).
// The expected values in testdata/pca_sklearn.json were written by
// sklearn.decomposition.PCA(...).fit(X.astype(float64)).
func TestPCAMatchesSklearn(t *testing.T) {
	raw, err := os.ReadFile("testdata/pca_sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref map[string]json.RawMessage
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tall", "wide"} {
		t.Run(name, func(t *testing.T) {
			var want struct {
				K          int         `json:"k"`
				Ratio      []float64   `json:"explained_variance_ratio"`
				Var        []float64   `json:"explained_variance"`
				Components [][]float64 `json:"components"`
			}
			if err := json.Unmarshal(ref[name], &want); err != nil {
				t.Fatal(err)
			}
			a, err := dataset.ReadNpy("testdata/pca_" + name + ".npy")
			if err != nil {
				t.Fatal(err)
			}
			n, d := a.Shape[0], a.Shape[1]
			p, err := PCA(a.Float32(), n, d, want.K)
			if err != nil {
				t.Fatal(err)
			}
			maxDiff := 0.0
			for c := 0; c < want.K; c++ {
				maxDiff = math.Max(maxDiff, math.Abs(p.ExplainedVarianceRatio[c]-want.Ratio[c]))
			}
			t.Logf("max |ratio − sklearn| = %.3g", maxDiff)
			for c := 0; c < want.K; c++ {
				// The tolerance: ratios to 1e-6 (absolute).
				if got := p.ExplainedVarianceRatio[c]; math.Abs(got-want.Ratio[c]) > 1e-6 {
					t.Errorf("ratio[%d] = %.9g, sklearn %.9g", c, got, want.Ratio[c])
				}
				if got := p.ExplainedVariance[c]; math.Abs(got-want.Var[c]) > 1e-9*want.Var[0] {
					t.Errorf("variance[%d] = %.12g, sklearn %.12g", c, got, want.Var[c])
				}
				// Components agree up to sign (sklearn 1.2 fixes signs from U).
				var dot float64
				for j := 0; j < d; j++ {
					dot += p.Components.At(c, j) * want.Components[c][j]
				}
				if math.Abs(math.Abs(dot)-1) > 1e-8 {
					t.Errorf("component %d: |cos| with sklearn's = %.12g, want 1", c, math.Abs(dot))
				}
			}
			// Projections are the centred data times the components, and
			// their variances are the explained variances.
			for c := 0; c < want.K; c++ {
				var s float64
				for i := 0; i < n; i++ {
					v := p.Projection.At(i, c)
					s += v * v
				}
				if v := s / float64(n-1); math.Abs(v-p.ExplainedVariance[c]) > 1e-9*p.ExplainedVariance[0] {
					t.Errorf("projection %d variance %.12g != explained variance %.12g", c, v, p.ExplainedVariance[c])
				}
			}
		})
	}
}

func TestPCABadInput(t *testing.T) {
	x := []float32{1, 2, 3, float32(math.NaN()), 5, 6}
	if _, err := PCA(x, 3, 2, 1); !errors.Is(err, ErrNonFinite) {
		t.Errorf("NaN input: err = %v, want ErrNonFinite", err)
	}
	if _, err := PCA([]float32{1, 2}, 1, 2, 1); err == nil {
		t.Error("one sample: no error")
	}
	if _, err := PCA([]float32{1, 2, 3, 4}, 2, 2, 3); err == nil {
		t.Error("k > min(n, d): no error")
	}
	// Constant data: zero variance, ratios 0, no NaN.
	p, err := PCA([]float32{1, 1, 1, 1, 1, 1}, 3, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.ExplainedVarianceRatio {
		if r != 0 {
			t.Errorf("constant data ratio %v, want 0", r)
		}
	}
}
