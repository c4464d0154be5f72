package embed

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
)

// TestQualityMatchesScorer compares Quality with
// ../shared/tools/score_embedding.py (numpy/scipy, exact) on a committed
// fixture: testdata/quality_x.npy (400×60, five Gaussian clusters),
// testdata/quality_y.npy (a deliberately poor 2-D embedding: two data
// coordinates plus noise) and testdata/quality_labels.npy. The expected
// values in testdata/quality_score.json are the script's output, rounded by
// it to 4 decimals (5 for trustworthiness), hence the tolerances.
func TestQualityMatchesScorer(t *testing.T) {
	raw, err := os.ReadFile("testdata/quality_score.json")
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		KL    float64 `json:"kl_divergence"`
		Pres  float64 `json:"knn_preservation_10"`
		Trust float64 `json:"trustworthiness_10"`
		Acc   float64 `json:"acc_1nn"`
		HAcc  float64 `json:"highd_acc_1nn"`
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	x, err := dataset.ReadNpy("testdata/quality_x.npy")
	if err != nil {
		t.Fatal(err)
	}
	y, err := dataset.ReadNpy("testdata/quality_y.npy")
	if err != nil {
		t.Fatal(err)
	}
	l, err := dataset.ReadNpy("testdata/quality_labels.npy")
	if err != nil {
		t.Fatal(err)
	}
	labels, err := l.Ints()
	if err != nil {
		t.Fatal(err)
	}
	n, d := x.Shape[0], x.Shape[1]
	for _, skip := range []bool{false, true} {
		q, err := Quality(context.Background(), x.Float32(), n, d, y.Float64(), 2, labels, QualityOptions{SkipTrustworthiness: skip})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want float64
			tol       float64
		}{
			{"kl", q.KL, want.KL, 5e-5},
			{"knn_preservation", q.KNNPreservation, want.Pres, 5e-5},
			{"acc_1nn", q.Acc1NN, want.Acc, 5e-5},
			{"highd_acc_1nn", q.HighDAcc1NN, want.HAcc, 5e-5},
		} {
			if math.Abs(c.got-c.want) > c.tol {
				t.Errorf("skipTrust=%v %s = %.6f, scorer %.6f", skip, c.name, c.got, c.want)
			}
		}
		if skip {
			if !math.IsNaN(q.Trustworthiness) {
				t.Errorf("skipped trustworthiness = %v, want NaN", q.Trustworthiness)
			}
		} else if math.Abs(q.Trustworthiness-want.Trust) > 5e-6 {
			t.Errorf("trustworthiness = %.7f, scorer %.5f", q.Trustworthiness, want.Trust)
		}
	}
}
