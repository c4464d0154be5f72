package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/embed"
	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/progress"
)

// Embed is `conceptcells embed`: a t-SNE of the rows of an .npy matrix.
var Embed = &cli.Command{
	Name:  "embed",
	Usage: "t-SNE of the rows of an .npy matrix (N×D, or N×… flattened) into N×2 float64",
	Description: "Exact nearest neighbours in the input space (or in --pca components), perplexity-calibrated\n" +
		"affinities, PCA initialisation, early exaggeration 12 for 250 iterations, learning rate max(200, N/12),\n" +
		"exact repulsion for N ≤ 2000 and FFT-interpolated repulsion above. With --labels it also prints\n" +
		"10-NN preservation, trustworthiness (k=10), leave-one-out 1-NN accuracy and the final KL, all\n" +
		"measured against the input rows.",
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "in", Usage: "input .npy, N×D (float32/float64/integers)", Required: true},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output .npy, N×2 float64", Required: true},
		&cli.IntFlag{Name: "pca", Aliases: []string{"tsne-pca"}, Usage: "reduce to this many principal components before the neighbour search (0: use all D)", Value: embed.DefaultTSNE.PCA},
		&cli.Float64Flag{Name: "perplexity", Usage: "perplexity (neighbourhood k = 3·perplexity)", Value: embed.DefaultTSNE.Perplexity},
		&cli.IntFlag{Name: "iterations", Usage: fmt.Sprintf("gradient steps in total, including %d of early exaggeration", embed.DefaultTSNE.EarlyIterations), Value: embed.DefaultTSNE.Iterations},
		&cli.Uint64Flag{Name: "seed", Usage: fmt.Sprintf("random seed (random init, approximate neighbours for N > %d)", embed.DefaultTSNE.KNNExactMaxN), Value: embed.DefaultTSNE.Seed},
		&cli.StringFlag{Name: "method", Usage: "repulsion: auto, exact or fft", Value: embed.DefaultTSNE.Method},
		&cli.StringFlag{Name: "labels", Usage: "N integer labels (.npy): print embedding quality"},
		&cli.BoolFlag{Name: "json", Usage: "print the run summary (and quality) as JSON on stdout"},
		&cli.StringFlag{Name: maxMemoryFlag.Name, Usage: "memory budget of the t-SNE, e.g. 2G or 512M (default: half the physical memory); a run estimated to need more is refused before it starts"},
		forceFlag,
		quietFlag,
	},
	Action: func(c *cli.Context) error {
		in, out := c.String("in"), c.String("out")
		if err := fsutil.CheckLabelled(fsutil.Output{Label: "--out", Path: out}); err != nil {
			return fmt.Errorf("embed: --out: %w", err)
		}
		if err := checkNotInput(out, in, c.String("labels")); err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		if !c.Bool("force") {
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("embed: --out %s exists (use --force to overwrite)", out)
			}
		}
		a, err := dataset.ReadNpy(in)
		if err != nil {
			return fmt.Errorf("embed: --in: %w", err)
		}
		if len(a.Shape) < 2 || a.Shape[0] < 1 {
			return fmt.Errorf("embed: --in %s: want an N×D matrix, have shape %v", in, a.Shape)
		}
		n := a.Shape[0]
		d := a.Len() / n
		x := a.Float32()
		var labels []int
		if lp := c.String("labels"); lp != "" {
			la, err := dataset.ReadNpy(lp)
			if err != nil {
				return fmt.Errorf("embed: --labels: %w", err)
			}
			if labels, err = la.Ints(); err != nil {
				return fmt.Errorf("embed: --labels %s: %w", lp, err)
			}
			if len(labels) != n {
				return fmt.Errorf("embed: --labels %s has %d labels for %d rows of %s", lp, len(labels), n, in)
			}
		}
		opts := embed.DefaultTSNE
		opts.PCA = c.Int("pca")
		opts.Perplexity = c.Float64("perplexity")
		opts.Iterations = c.Int("iterations")
		opts.Seed = c.Uint64("seed")
		opts.Method = c.String("method")
		if opts.Perplexity <= 0 || math.IsNaN(opts.Perplexity) {
			return fmt.Errorf("embed: --perplexity must be > 0, have %v", opts.Perplexity)
		}
		if opts.Iterations < 1 {
			return fmt.Errorf("embed: --iterations must be ≥ 1, have %d", opts.Iterations)
		}
		if opts.PCA < 0 {
			return fmt.Errorf("embed: --pca must be ≥ 0, have %d", opts.PCA)
		}
		if opts.MaxMemory, err = maxMemory(c); err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		if opts.MaxMemory == 0 {
			opts.MaxMemory = engine.DefaultMaxMemory()
		}
		if progress.Enabled(c.Bool("quiet")) {
			opts.Progress = progress.Writer(c.Bool("quiet"))
		}
		start := time.Now()
		res, err := embed.TSNE(c.Context, x, n, d, opts)
		if errors.Is(err, embed.ErrMemory) {
			return fmt.Errorf("%w (--max-memory; a lower --perplexity needs fewer neighbours)", err)
		}
		if err != nil {
			return fmt.Errorf("embed --in %s: %w", in, err)
		}
		wall := time.Since(start)
		for _, w := range res.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "conceptcells embed: warning: %s\n", w)
		}
		if err := dataset.WriteNpy(out, c.Bool("force"), []int{n, 2}, res.Y); err != nil {
			return fmt.Errorf("embed: --out: %w", err)
		}
		sum := embedSummary{
			N: n, D: d, Out: out, Method: res.Method, Perplexity: res.Perplexity,
			Iterations: res.Iterations, KL: res.KL, KLExactZ: res.KLExactZ, ExactKNN: res.ExactKNN,
			Seconds: wall.Seconds(), Warnings: res.Warnings, Timings: map[string]float64{},
		}
		for k, v := range res.Timings {
			sum.Timings[k] = v.Seconds()
		}
		if labels != nil {
			q, err := embed.Quality(c.Context, x, n, d, res.Y, 2, labels, embed.QualityOptions{Perplexity: res.Perplexity})
			if err != nil {
				return fmt.Errorf("embed: quality: %w", err)
			}
			sum.Quality = &embedQuality{
				K: q.K, KNNPreservation: q.KNNPreservation, Trustworthiness: q.Trustworthiness,
				Acc1NN: q.Acc1NN, HighDAcc1NN: q.HighDAcc1NN, KL: q.KL,
			}
		}
		if c.Bool("json") {
			enc := json.NewEncoder(c.App.Writer)
			enc.SetIndent("", "  ")
			return enc.Encode(sum)
		}
		return sum.writeText(c)
	},
}

type embedQuality struct {
	K               int     `json:"k"`
	KNNPreservation float64 `json:"knn_preservation"`
	Trustworthiness float64 `json:"trustworthiness"`
	Acc1NN          float64 `json:"acc_1nn"`
	HighDAcc1NN     float64 `json:"highd_acc_1nn"`
	KL              float64 `json:"kl_divergence"`
}

type embedSummary struct {
	N          int                `json:"n"`
	D          int                `json:"d"`
	Out        string             `json:"out"`
	Method     string             `json:"method"`
	Perplexity float64            `json:"perplexity"`
	Iterations int                `json:"iterations"`
	KL         float64            `json:"kl_divergence"`
	KLExactZ   bool               `json:"kl_exact_normaliser"`
	ExactKNN   bool               `json:"exact_knn"`
	Seconds    float64            `json:"seconds"`
	Timings    map[string]float64 `json:"stage_seconds"`
	Warnings   []string           `json:"warnings,omitempty"`
	Quality    *embedQuality      `json:"quality,omitempty"`
}

func (s embedSummary) writeText(c *cli.Context) error {
	w := c.App.Writer
	z := "exact"
	if !s.KLExactZ {
		z = "FFT-estimated"
	}
	_, err := fmt.Fprintf(w, "embedded %d×%d → %s (%s repulsion, perplexity %.4g, %d iterations) in %.1f s\nKL divergence %.4f (%s normaliser)\n",
		s.N, s.D, s.Out, s.Method, s.Perplexity, s.Iterations, s.Seconds, s.KL, z)
	if err != nil {
		return err
	}
	if q := s.Quality; q != nil {
		_, err = fmt.Fprintf(w, "%d-NN preservation %.4f\ntrustworthiness (k=%d) %.5f\n1-NN accuracy %.4f (input space %.4f)\n",
			q.K, q.KNNPreservation, q.K, q.Trustworthiness, q.Acc1NN, q.HighDAcc1NN)
	}
	return err
}

// checkNotInput refuses an output that names the same file as one of the
// inputs (empty names are skipped): writing it would replace the data
// being read.
func checkNotInput(out string, inputs ...string) error {
	co, err := fsutil.Canonical(out)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if in == "" {
			continue
		}
		if ci, err := fsutil.Canonical(in); err == nil && ci == co {
			return fmt.Errorf("--out %s names the same file as the input %s", out, in)
		}
	}
	return nil
}
