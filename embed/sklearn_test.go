package embed

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
)

// TestQualityVsSklearn: an independent reference for the whole t-SNE.
// testdata/sklearn_tsne_mnist2000.json holds the quality of three
// scikit-learn 1.2 Barnes-Hut embeddings (PCA and random initialisation) of
// the first 2,000 MNIST test images (pixels/255), scored by
// shared/tools/score_embedding.py; testdata/sklearn_tsne.py made it. Our
// t-SNE of the same images, from a PCA and from a random initialisation,
// must be at least as good within a small margin: KL ≤ the worst
// scikit-learn KL + 0.05, and 10-NN preservation, trustworthiness and 1-NN
// accuracy ≥ the worst scikit-learn value − 0.01 (our quality scores match
// the script's to its rounding, TestQualityMatchesScorer).
func TestQualityVsSklearn(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: two t-SNEs of 2,000 points")
	}
	raw, err := os.ReadFile("testdata/sklearn_tsne_mnist2000.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Runs []struct {
			Init            string  `json:"init"`
			KL              float64 `json:"kl_divergence"`
			KNN             float64 `json:"knn_preservation_10"`
			Trustworthiness float64 `json:"trustworthiness_10"`
			Acc1NN          float64 `json:"acc_1nn"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	if len(ref.Runs) == 0 {
		t.Fatal("no scikit-learn runs in the fixture")
	}
	worst := ref.Runs[0]
	for _, r := range ref.Runs[1:] {
		worst.KL = max(worst.KL, r.KL)
		worst.KNN = min(worst.KNN, r.KNN)
		worst.Trustworthiness = min(worst.Trustworthiness, r.Trustworthiness)
		worst.Acc1NN = min(worst.Acc1NN, r.Acc1NN)
	}
	set, err := dataset.MNISTNormalized("test", "", &dataset.Normalization{})
	if err != nil {
		t.Fatal(err)
	}
	const n, d = 2000, 784
	x := set.X[:n*d]
	for _, init := range []string{"pca", "random"} {
		r, err := TSNE(context.Background(), x, n, d, TSNEOptions{Init: init, Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		q, err := Quality(context.Background(), x, n, d, r.Y, 2, set.Labels[:n], QualityOptions{K: 10, Perplexity: 30})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("init %s: KL %.4f, 10-NN %.4f, trustworthiness %.5f, 1-NN %.4f (scikit-learn worst: %.4f, %.4f, %.5f, %.4f)",
			init, q.KL, q.KNNPreservation, q.Trustworthiness, q.Acc1NN, worst.KL, worst.KNN, worst.Trustworthiness, worst.Acc1NN)
		if q.KL > worst.KL+0.05 {
			t.Errorf("init %s: KL %.4f, scikit-learn %.4f", init, q.KL, worst.KL)
		}
		for _, c := range []struct {
			name     string
			got, ref float64
		}{{"10-NN preservation", q.KNNPreservation, worst.KNN}, {"trustworthiness", q.Trustworthiness, worst.Trustworthiness}, {"1-NN accuracy", q.Acc1NN, worst.Acc1NN}} {
			if c.got < c.ref-0.01 {
				t.Errorf("init %s: %s %.4f, scikit-learn %.4f", init, c.name, c.got, c.ref)
			}
		}
	}
}
