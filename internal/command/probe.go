package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/progress"
	"github.com/conceptcells/conceptcells/internal/termsafe"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe"
	"github.com/conceptcells/conceptcells/reports"
)

// analysisFlags are the probe's analysis options, shared by probe and demo.
func analysisFlags() []cli.Flag {
	d := probe.DefaultOptions
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "layers", Aliases: []string{"layer"}, Usage: "tensors (or node names) to hook, comma-separated or repeated, as the layers command prints them (default: the last two hidden layers before the output)"},
		&cli.StringFlag{Name: "space-layer", Usage: "tensor whose t-SNE is the network space (default: the last of --layers)"},
		&cli.IntFlag{Name: "limit", Usage: "use the first N points only (0 = all)"},
		&cli.IntFlag{Name: "batch", Value: d.BatchSize, Usage: "points per executor call"},
		&cli.StringFlag{Name: "pcs", Value: "auto", Usage: "principal components kept per layer: a count, or auto (the fewest explaining --pc-variance)"},
		&cli.Float64Flag{Name: "pc-variance", Value: d.PCVariance, Usage: "variance fraction for --pcs auto"},
		&cli.Float64Flag{Name: "perplexity", Value: d.Perplexity, Usage: "t-SNE perplexity (of the embedding shown, and of every other extra embedding)"},
		&cli.IntFlag{Name: "iterations", Value: d.Iterations, Usage: "t-SNE iterations"},
		&cli.IntFlag{Name: "tsne-pca", Usage: "reduce to this many principal components before the t-SNE neighbour search (0 = exact neighbours in the full space)"},
		&cli.IntFlag{Name: "bins", Value: d.Bins, Usage: "rate-map bins per side"},
		&cli.IntFlag{Name: "shuffles", Value: d.Shuffles, Usage: "activation permutations per unit (spatial information, CSI)"},
		&cli.IntFlag{Name: "field-shuffles", Value: d.FieldShuffles, Usage: "field shuffles per unit (gridness null)"},
		&cli.IntFlag{Name: "robust", Value: d.RobustSeeds, Usage: "t-SNE embeddings of each space in addition to the first (new seeds; the 2nd, 4th, … extra at --robust-perplexity); every unit is scored in each and keeps the labels it has in a strict majority (0 = one embedding, fastest)"},
		&cli.Float64Flag{Name: "robust-perplexity", Value: d.RobustPerplexity, Usage: "second t-SNE perplexity, of every other extra embedding"},
		&cli.Int64Flag{Name: "seed", Value: d.Seed, Usage: "base seed (≥ 1); every step's seed derives from it and is recorded"},
	}
}

// outputFlags are the report outputs.
func outputFlags(defaultOut string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "out", Value: defaultOut, Required: defaultOut == "", Usage: "HTML report to write"},
		&cli.StringFlag{Name: "json", Usage: "also write every result as JSON to this file"},
		&cli.StringFlag{Name: "csv", Usage: "also write the unit scores as CSV to this file"},
		forceFlag, quietFlag,
	}
}

// Probe is `conceptcells probe`: the whole analysis of one model, written
// as a self-contained HTML report (and optionally JSON and CSV).
var Probe = &cli.Command{
	Name:  "probe",
	Usage: "look for place, grid and concept cells in an ONNX model and write an HTML report",
	Description: "Runs the dataset through the model, hooks the chosen layers (default: the last two hidden\n" +
		"layers before the output), embeds the input (image space) and the final layer (network space)\n" +
		"with t-SNE (three embeddings of each by default, see --robust), runs PCA per layer, and scores\n" +
		"and classifies every unit and PC in every embedding.",
	Flags: append(append(append([]cli.Flag{
		&cli.StringFlag{Name: "model", Required: true, Usage: "ONNX model file"},
	}, dataFlags()...), analysisFlags()...), outputFlags("")...),
	Action: func(c *cli.Context) error {
		o, err := probeOptions(c)
		if err != nil {
			return err
		}
		outs, err := checkOutputs(c)
		if err != nil {
			return err
		}
		m, err := onnxio.Load(c.String("model"))
		if err != nil {
			return err
		}
		ch, h, w := inputCHW(m)
		data, err := openData(c, ch, h, w, o.Limit, o.Quiet)
		if err != nil {
			return err
		}
		return runProbe(c, m, data, o, outs)
	},
}

// outputs are the files a probe writes.
type outputs struct {
	html, json, csv string
	force           bool
}

// checkOutputs refuses existing outputs before the long analysis starts
// (the writes check again, atomically).
func checkOutputs(c *cli.Context) (outputs, error) {
	o := outputs{html: c.String("out"), json: c.String("json"), csv: c.String("csv"), force: c.Bool(forceFlag.Name)}
	seen := map[string]string{}
	for _, f := range []struct{ flag, path string }{{"out", o.html}, {"json", o.json}, {"csv", o.csv}} {
		if f.path == "" {
			continue
		}
		if prev, ok := seen[f.path]; ok {
			return o, fmt.Errorf("--%s and --%s both name %s", prev, f.flag, f.path)
		}
		seen[f.path] = f.flag
		if !o.force {
			if _, err := os.Lstat(f.path); err == nil {
				return o, fmt.Errorf("--%s %s: %w", f.flag, f.path, fsutil.ErrExists)
			}
		}
	}
	// Aliases ("./a.html", "fs//a.html", links) and missing folders.
	if err := fsutil.CheckOutputs(o.html, o.json, o.csv); err != nil {
		return o, err
	}
	return o, nil
}

// probeOptions turns the analysis flags into probe.Options.
func probeOptions(c *cli.Context) (probe.Options, error) {
	o := probe.DefaultOptions
	for _, l := range c.StringSlice("layers") {
		for _, s := range strings.Split(l, ",") {
			if s = strings.TrimSpace(s); s != "" {
				o.Layers = append(o.Layers, s)
			}
		}
	}
	o.SpaceLayer = c.String("space-layer")
	o.Limit = c.Int("limit")
	o.BatchSize = c.Int("batch")
	mem, err := maxMemory(c)
	if err != nil {
		return o, err
	}
	o.MaxMemory = mem
	o.PCVariance = c.Float64("pc-variance")
	o.Perplexity = c.Float64("perplexity")
	o.Iterations = c.Int("iterations")
	o.TSNEPCA = c.Int("tsne-pca")
	o.Bins = c.Int("bins")
	o.Shuffles = c.Int("shuffles")
	o.FieldShuffles = c.Int("field-shuffles")
	o.Seed = c.Int64("seed")
	o.RobustSeeds = c.Int("robust")
	o.RobustPerplexity = c.Float64("robust-perplexity")
	o.Quiet = c.Bool(quietFlag.Name)
	o.Log = progress.Writer(o.Quiet)
	switch pcs := c.String("pcs"); pcs {
	case "auto", "":
		o.PCs = 0
	default:
		k, err := strconv.Atoi(pcs)
		if err != nil || k < 1 {
			return o, fmt.Errorf("--pcs %q: want a positive count or auto", pcs)
		}
		o.PCs = k
	}
	bad := func(flag string, v any, want string) error { return fmt.Errorf("--%s %v: want %s", flag, v, want) }
	switch {
	case o.Limit < 0:
		return o, bad("limit", o.Limit, "≥ 0")
	case o.BatchSize < 1:
		return o, bad("batch", o.BatchSize, "≥ 1")
	case !(o.PCVariance > 0 && o.PCVariance <= 1):
		return o, bad("pc-variance", o.PCVariance, "0 < v ≤ 1")
	case !(o.Perplexity > 0):
		return o, bad("perplexity", o.Perplexity, "> 0")
	case o.Iterations < 1:
		return o, bad("iterations", o.Iterations, "≥ 1")
	case o.TSNEPCA < 0:
		return o, bad("tsne-pca", o.TSNEPCA, "≥ 0")
	case o.Bins < 3:
		return o, bad("bins", o.Bins, "≥ 3")
	case o.Shuffles < 1:
		return o, bad("shuffles", o.Shuffles, "≥ 1")
	case o.FieldShuffles < 1:
		return o, bad("field-shuffles", o.FieldShuffles, "≥ 1")
	case o.RobustSeeds < 0 || o.RobustSeeds > 20:
		return o, bad("robust", o.RobustSeeds, "0…20")
	case !(o.RobustPerplexity > 0):
		return o, bad("robust-perplexity", o.RobustPerplexity, "> 0")
	case o.Seed < 1:
		return o, bad("seed", o.Seed, "≥ 1")
	}
	return o, nil
}

// inputCHW returns the model input's C, H, W when it is a 4-D tensor with
// known sizes, else zeros.
func inputCHW(m *onnxio.Model) (c, h, w int) {
	if len(m.Inputs) == 0 {
		return 0, 0, 0
	}
	dims, _, ok := onnxio.ValueShape(m.Inputs[0])
	if !ok || len(dims) != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0 {
		return 0, 0, 0
	}
	return int(dims[1]), int(dims[2]), int(dims[3])
}

// runProbe runs the pipeline and writes the outputs; Ctrl-C cancels it.
func runProbe(c *cli.Context, m *onnxio.Model, data *dataset.Set, o probe.Options, outs outputs) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C ends the process

	start := time.Now()
	res, err := probe.Run(ctx, m, data, o)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("probe: interrupted; nothing written: %w", err)
		}
		return err
	}
	fmt.Fprintf(o.Log, "conceptcells: rendering the report…\n")
	rpt := reports.New(res)
	rpt.Timings = append(rpt.Timings, reports.Timing{Step: "total (before writing the report)", Seconds: time.Since(start).Seconds()})
	// Rendering does not watch the context (tens of seconds for wide
	// layers): it runs aside, and Ctrl-C abandons it, writing nothing.
	var html bytes.Buffer
	rendered := make(chan error, 1)
	go func() { rendered <- reports.WriteHTML(&html, rpt) }()
	select {
	case err := <-rendered:
		if err != nil {
			return err
		}
	case <-ctx.Done():
		return fmt.Errorf("probe: interrupted while rendering; nothing written: %w", ctx.Err())
	}
	if err := fsutil.WriteBytes(outs.html, outs.force, html.Bytes()); err != nil {
		return err
	}
	if outs.json != "" {
		if err := fsutil.WriteFile(outs.json, outs.force, func(w io.Writer) error { return reports.WriteJSON(w, rpt) }); err != nil {
			return err
		}
	}
	if outs.csv != "" {
		if err := fsutil.WriteFile(outs.csv, outs.force, func(w io.Writer) error { return reports.WriteCSV(w, rpt) }); err != nil {
			return err
		}
	}
	out := c.App.Writer
	// Layer names and findings quote the model: printed inert.
	esc := termsafe.Escape
	fmt.Fprintf(out, "layers: %s (%s)\n", esc(strings.Join(res.Options.Layers, ", ")), esc(res.LayersChosen))
	fmt.Fprintf(out, "wrote %s (%.1f MB) in %.0f s\n", outs.html, float64(html.Len())/1e6, time.Since(start).Seconds())
	if rpt.Accuracy != nil {
		fmt.Fprintf(out, "accuracy %.2f%% on %d points\n", 100**rpt.Accuracy, rpt.Dataset.N)
	}
	for _, f := range rpt.Findings {
		fmt.Fprintln(out, esc(f))
	}
	for _, v := range rpt.Verdict {
		mark := "untested"
		if v.Agrees != nil {
			mark = map[bool]string{true: "agrees ", false: "differs"}[*v.Agrees]
		}
		fmt.Fprintf(out, "[%s] %s\n          %s\n", mark, esc(v.Claim), esc(v.Finding))
	}
	if rpt.VerdictNote != "" {
		fmt.Fprintln(out, esc(rpt.VerdictNote))
	}
	for _, w := range rpt.Warnings {
		fmt.Fprintf(c.App.ErrWriter, "conceptcells: warning: %s\n", esc(w))
	}
	return nil
}
