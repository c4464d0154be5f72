package command

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
)

// embedData writes n points in 5-d around 3 separated centres, and labels.
func embedData(t *testing.T, dir string, n int, nan bool) (string, string) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n*5)
	lab := make([]int64, n)
	for i := 0; i < n; i++ {
		lab[i] = int64(i % 3)
		for j := 0; j < 5; j++ {
			x[i*5+j] = float32(10*float64(lab[i]) + rng.NormFloat64())
		}
	}
	if nan {
		x[42*5+3] = float32(math.NaN())
	}
	xp, lp := filepath.Join(dir, "x.npy"), filepath.Join(dir, "labels.npy")
	if err := dataset.WriteNpy(xp, true, []int{n, 5}, x); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteNpy(lp, true, []int{n}, lab); err != nil {
		t.Fatal(err)
	}
	return xp, lp
}

func TestEmbedCommand(t *testing.T) {
	dir := t.TempDir()
	xp, lp := embedData(t, dir, 300, false)
	out := filepath.Join(dir, "y.npy")
	stdout, stderr, err := runApp(t, "embed", "--in", xp, "--labels", lp, "--out", out, "--json", "--quiet")
	if err != nil {
		t.Fatalf("embed: %v\n%s", err, stderr)
	}
	var sum struct {
		N, D     int
		Method   string
		KL       float64 `json:"kl_divergence"`
		Warnings []string
		Quality  struct {
			Acc1NN float64 `json:"acc_1nn"`
			KL     float64 `json:"kl_divergence"`
		}
	}
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	if sum.N != 300 || sum.D != 5 || sum.Method != "exact" || len(sum.Warnings) != 0 || stderr != "" {
		t.Errorf("summary %+v, stderr %q", sum, stderr)
	}
	// Three clusters of 100 points, centres 22 apart with unit noise: each
	// point's 90 neighbours are in its own cluster, so t-SNE separates them.
	if sum.Quality.Acc1NN != 1 {
		t.Errorf("1-NN accuracy %v, want 1", sum.Quality.Acc1NN)
	}
	if math.Abs(sum.Quality.KL-sum.KL) > 1e-9 {
		t.Errorf("quality KL %v != run KL %v (same P, exact Z)", sum.Quality.KL, sum.KL)
	}
	y, err := dataset.ReadNpy(out)
	if err != nil {
		t.Fatal(err)
	}
	if y.DType != "float64" || len(y.Shape) != 2 || y.Shape[0] != 300 || y.Shape[1] != 2 {
		t.Errorf("output %s %v, want float64 [300 2]", y.DType, y.Shape)
	}
	// Refuses to overwrite without --force.
	if _, _, err := runApp(t, "embed", "--in", xp, "--out", out, "--quiet"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("overwrite without --force: err = %v", err)
	}
	// Text output.
	stdout, _, err = runApp(t, "embed", "--in", xp, "--labels", lp, "--out", out, "--force", "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"KL divergence", "10-NN preservation", "trustworthiness (k=10)", "1-NN accuracy 1.0000"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("text output lacks %q:\n%s", want, stdout)
		}
	}
	// 81 < 3·30+1 points: the perplexity is lowered, with a warning.
	small, _ := embedData(t, t.TempDir(), 81, false)
	_, stderr, err = runApp(t, "embed", "--in", small, "--out", filepath.Join(dir, "small.npy"), "--quiet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "perplexity 30 needs at least 91 points; lowered to 26.67 for 81 points") {
		t.Errorf("stderr %q: want the lowered-perplexity warning", stderr)
	}
}

func TestEmbedCommandErrors(t *testing.T) {
	dir := t.TempDir()
	xp, lp := embedData(t, dir, 60, true)
	out := filepath.Join(dir, "y.npy")
	if _, _, err := runApp(t, "embed", "--in", xp, "--out", out, "--quiet"); err == nil || !strings.Contains(err.Error(), "row 42 column 3") {
		t.Errorf("NaN input: err = %v, want it to name row 42 column 3", err)
	}
	good, _ := embedData(t, t.TempDir(), 60, false)
	short := filepath.Join(dir, "short.npy")
	if err := dataset.WriteNpy(short, true, []int{10}, make([]int64, 10)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runApp(t, "embed", "--in", good, "--labels", short, "--out", out, "--quiet"); err == nil || !strings.Contains(err.Error(), "10 labels for 60 rows") {
		t.Errorf("label count mismatch: err = %v", err)
	}
	if _, _, err := runApp(t, "embed", "--in", good, "--out", out, "--perplexity", "-2", "--quiet"); err == nil || !strings.Contains(err.Error(), "--perplexity") {
		t.Errorf("bad perplexity: err = %v", err)
	}
	if _, _, err := runApp(t, "embed", "--in", filepath.Join(dir, "missing.npy"), "--out", out); err == nil || !strings.Contains(err.Error(), "--in") {
		t.Errorf("missing input: err = %v", err)
	}
	_ = lp
}

// TestEmbedOutputChecked refuses, before reading any input, an --out in a
// missing folder, a folder, or one naming the input.
func TestEmbedOutputChecked(t *testing.T) {
	dir := t.TempDir()
	xp, _ := embedData(t, dir, 60, false)
	for _, c := range []struct {
		in, out, want string
	}{
		{filepath.Join(dir, "missing.npy"), filepath.Join(dir, "no", "y.npy"), "does not exist"},
		{filepath.Join(dir, "missing.npy"), dir, "is a folder"},
		{xp, filepath.Join(dir, ".", filepath.Base(xp)), "same file as the input"},
	} {
		_, _, err := runApp(t, "embed", "--in", c.in, "--out", c.out, "--force", "--quiet")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--in %s --out %s: err = %v, want %q", c.in, c.out, err, c.want)
		}
	}
}

// TestEmbedMaxMemory: a t-SNE estimated to need more than --max-memory is
// refused before it starts, naming the estimate and the flag.
func TestEmbedMaxMemory(t *testing.T) {
	dir := t.TempDir()
	xp, _ := embedData(t, dir, 60, false)
	out := filepath.Join(dir, "y.npy")
	_, _, err := runApp(t, "embed", "--in", xp, "--out", out, "--max-memory", "16K", "--quiet")
	if err == nil || !strings.Contains(err.Error(), "needs about") || !strings.Contains(err.Error(), "--max-memory") {
		t.Errorf("err = %v, want the estimate and --max-memory named", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("an output was written")
	}
}
