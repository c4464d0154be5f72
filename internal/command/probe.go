package command

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
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
		&cli.StringSliceFlag{Name: "reduce", Usage: "how a hooked tensor becomes units: MODE for every layer or LAYER=MODE for one (repeatable); MODE is spatial-mean or spatial-max (one unit per channel of N×C×H×W / N×C×L), cls or token-mean (one unit per feature of N×T×D tokens: token 0, or the mean over tokens), none (every value), auto (default: spatial-mean for feature maps, cls for token tensors); a global spatial mode leaves token tensors at cls and a global token mode leaves feature maps at spatial-mean"},
		&cli.StringFlag{Name: "units", Usage: "score only these units (after --reduce): 0-63,100 for every layer (the indices it has), or LAYER=0-63;LAYER2=0-9"},
		&cli.IntFlag{Name: "max-units", Value: d.MaxUnits, Usage: "refuse, before running the model, a layer with more units than this (after --reduce and --units); -1 = no limit"},
		&cli.IntFlag{Name: "limit", Value: d.Limit, Usage: "use the first N points only (0 = all)"},
		&cli.IntFlag{Name: "batch", Value: d.BatchSize, Usage: "points per executor call"},
		&cli.StringFlag{Name: "pcs", Value: "auto", Usage: "principal components kept per layer: a count, or auto (the fewest explaining --pc-variance)"},
		&cli.Float64Flag{Name: "pc-variance", Value: d.PCVariance, Usage: "variance fraction for --pcs auto"},
		&cli.Float64Flag{Name: "perplexity", Value: d.Perplexity, Usage: "t-SNE perplexity (of the embedding shown, and of every other extra embedding)"},
		&cli.IntFlag{Name: "iterations", Value: d.Iterations, Usage: "t-SNE iterations"},
		&cli.IntFlag{Name: "tsne-pca", Value: d.TSNEPCA, Usage: "reduce to this many principal components before the t-SNE neighbour search (0 = exact neighbours in the full space)"},
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
		// Required, but checked by checkOutputs: a missing --out gives a
		// short error, not the whole help.
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: defaultOut, Usage: "HTML report to write (required)"},
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
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "ONNX model `FILE` (or give --activations)"},
		&cli.StringFlag{Name: "activations", Usage: "analyse activations saved earlier instead of running a model: an `activations` folder, or any folder of N×units .npy files (+ labels.npy); several shards as DIR0,DIR1,… in order"},
	}, dataFlags()...), analysisFlags()...), outputFlags("")...),
	Action: func(c *cli.Context) error {
		if c.NArg() > 0 {
			return fmt.Errorf("probe: unexpected arguments %q (the model is given with --model)", c.Args().Slice())
		}
		o, err := probeOptions(c)
		if err != nil {
			return err
		}
		outs, err := checkOutputs(c)
		if err != nil {
			return err
		}
		if dirs := c.String("activations"); dirs != "" {
			if c.String("model") != "" {
				return errors.New("probe: give --model or --activations, not both")
			}
			return probeActivations(c, splitList(dirs), o, outs)
		}
		if c.String("model") == "" {
			return errors.New("probe: no model: give --model M.onnx, or --activations DIR (see conceptcells probe --help)")
		}
		m, err := loadModel(c.String("model"), o.MaxMemory)
		if err != nil {
			return err
		}
		ch, h, w := inputCHW(m)
		data, err := openData(c, ch, h, w, o.Limit, o.Quiet)
		if err != nil {
			return err
		}
		return runProbe(c, o, outs, func(ctx context.Context) (*probe.Result, error) { return probe.Run(ctx, m, data, o) }, nil)
	},
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// probeActivations is `probe --activations DIR[,DIR…]`: the analysis of
// activations saved earlier. The image space needs the model inputs: they
// come from --data when it is given (the same data, in the same order),
// else only the network space is embedded.
func probeActivations(c *cli.Context, dirs []string, o probe.Options, outs outputs) error {
	g, err := readActivations(dirs)
	if err != nil {
		return err
	}
	man := g.Manifest
	var data *dataset.Set
	if c.IsSet(dataFlag.Name) {
		ch, h, w := 0, 0, 0
		if man != nil && len(man.Model.InputShape) == 4 {
			ch, h, w = max(man.Model.InputShape[1], 0), max(man.Model.InputShape[2], 0), max(man.Model.InputShape[3], 0)
		}
		if data, err = openData(c, ch, h, w, 0, o.Quiet); err != nil {
			return err
		}
		if data.N < g.N {
			return fmt.Errorf("probe: --data %s has %d points, the activations %d rows", data.Name, data.N, g.N)
		}
		data = data.Limit(g.N)
		if g.Labels != nil && data.Labels != nil && !slices.Equal(g.Labels, data.Labels) {
			return fmt.Errorf("probe: the labels of --data %s differ from the activations' labels.npy: not the same data or order", data.Name)
		}
	} else {
		data = &dataset.Set{Name: filepath.Base(filepath.Clean(dirs[0])), Source: strings.Join(dirs, ","), N: g.N}
		if man != nil {
			data.Name, data.Classes = man.Dataset.Name, man.Dataset.Classes
		}
	}
	if data.Labels == nil {
		data.Labels = g.Labels
	}
	if len(data.Classes) == 0 && man != nil {
		data.Classes = man.Dataset.Classes
	}
	run := func(ctx context.Context) (*probe.Result, error) { return probe.RunActivations(ctx, g.Tensors, data, o) }
	edit := func(r *reports.Report) {
		r.Model.File = "activations " + strings.Join(dirs, ",")
		if man != nil {
			r.Model.File = filepath.Base(man.Model.File) + " (activations " + strings.Join(dirs, ",") + ")"
			r.Model.SHA256, r.Model.Opsets, r.Model.Producer = man.Model.SHA256, man.Model.Opsets, man.Model.Producer
			if man.Model.Input != "" {
				r.Model.Inputs = []string{man.Model.Input}
			}
			if man.Output != nil {
				r.Model.Outputs = []string{man.Output.Name}
			}
			if r.Dataset.Normalisation == "fed as stored" || !c.IsSet(dataFlag.Name) {
				r.Dataset.Normalisation = man.Normalisation
			}
		}
		if g.Accuracy != nil && o.Limit == 0 {
			r.Accuracy = g.Accuracy
			r.AccuracyNote = ""
		}
	}
	return runProbe(c, o, outs, run, edit)
}

// outputs are the files a probe writes.
type outputs struct {
	html, json, csv string
	force           bool
}

// checkOutputs validates every output location before the long analysis
// starts: each must name a file (not a folder) in an existing, writable
// folder, no two may name the same file (compared as absolute, cleaned
// paths), and an existing file is refused without --force. The writes
// check again, atomically.
func checkOutputs(c *cli.Context) (outputs, error) {
	o := outputs{html: c.String("out"), json: c.String("json"), csv: c.String("csv"), force: c.Bool(forceFlag.Name)}
	if o.html == "" {
		return o, fmt.Errorf("no --out: name the HTML report to write, e.g. --out report.html (see conceptcells %s --help)", c.Command.Name)
	}
	// Locations, folders, writability and aliases ("./a.html",
	// "fs//a.html", links), then existing files.
	outs := []fsutil.Output{{Label: "--out", Path: o.html}, {Label: "--json", Path: o.json}, {Label: "--csv", Path: o.csv}}
	if err := fsutil.CheckLabelled(outs...); err != nil {
		return o, err
	}
	for _, f := range outs {
		if f.Path == "" || o.force {
			continue
		}
		if _, err := os.Lstat(f.Path); err == nil {
			return o, fmt.Errorf("%s %s: %w", f.Label, f.Path, fsutil.ErrExists)
		}
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
	for _, r := range c.StringSlice("reduce") {
		r = strings.TrimSpace(r)
		layer, mode := "", r
		if i := strings.LastIndex(r, "="); i >= 0 {
			layer, mode = strings.TrimSpace(r[:i]), strings.TrimSpace(r[i+1:])
		}
		if err := probe.ValidReduce(mode); err != nil || mode == "" {
			return o, fmt.Errorf("--reduce %q: want MODE or LAYER=MODE with MODE one of auto, spatial-mean, spatial-max, cls, token-mean, none", r)
		}
		if layer == "" {
			o.Reduce = mode
			continue
		}
		if o.LayerReduce == nil {
			o.LayerReduce = map[string]string{}
		}
		o.LayerReduce[layer] = mode
	}
	if u := c.String("units"); u != "" {
		sel, err := probe.ParseUnits(u)
		if err != nil {
			return o, fmt.Errorf("--%w", err)
		}
		o.Units = sel
	}
	o.MaxUnits = c.Int("max-units")
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
	o.Progress = stageBars(o.Quiet)
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
	case o.MaxUnits == 0 || o.MaxUnits < -1:
		return o, bad("max-units", o.MaxUnits, "≥ 1, or -1 for no limit")
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
	dims, _, ok := m.Inputs[0].Shape()
	if !ok || len(dims) != 4 || dims[1] <= 0 || dims[2] <= 0 || dims[3] <= 0 {
		return 0, 0, 0
	}
	return int(dims[1]), int(dims[2]), int(dims[3])
}

// runProbe runs the pipeline (run) and writes the outputs, after edit
// (when not nil) has completed the report; Ctrl-C cancels it.
func runProbe(c *cli.Context, o probe.Options, outs outputs, run func(context.Context) (*probe.Result, error), edit func(*reports.Report)) error {
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C ends the process

	start := time.Now()
	res, err := run(ctx)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("probe: interrupted; nothing written: %w", err)
		}
		return flagWords(err)
	}
	fmt.Fprintf(o.Log, "conceptcells: rendering the report…\n")
	rpt := reports.New(res)
	if edit != nil {
		edit(rpt)
	}
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
	if u := reducedUnits(res); u != "" {
		fmt.Fprintf(out, "units: %s\n", esc(u))
	}
	fmt.Fprintf(out, "wrote %s (%.1f MB) in %.0f s\n", outs.html, float64(html.Len())/1e6, time.Since(start).Seconds())
	if rpt.Accuracy != nil {
		fmt.Fprintf(out, "accuracy %.2f%% on %d points\n", 100**rpt.Accuracy, rpt.Dataset.N)
	} else if rpt.AccuracyNote != "" && rpt.Dataset.HasLabels {
		fmt.Fprintf(out, "no accuracy: %s\n", rpt.AccuracyNote)
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
		kind := "warning"
		if reports.RoutineWarning(w) {
			kind = "note"
		}
		fmt.Fprintf(c.App.ErrWriter, "conceptcells: %s: %s\n", kind, esc(w))
	}
	return nil
}

// reducedUnits says how the layers that were reduced or had units chosen
// became units, e.g. "/layer3/…/Relu_output_0 256×4×4 → 256
// (spatial-mean)", or "" when every layer kept its values.
func reducedUnits(res *probe.Result) string {
	var parts []string
	for _, l := range res.Layers {
		if l.Reduce == probe.ReduceNone && l.UnitIndex == nil {
			continue
		}
		how := l.Reduce
		if l.UnitIndex != nil {
			how += ", chosen with --units"
		}
		parts = append(parts, fmt.Sprintf("%s %s → %d (%s)", l.Name, probe.FormatShape(l.TensorShape), l.Units, how))
	}
	return strings.Join(parts, "; ")
}

// flagWords restates a probe error in terms of the command's flags: a
// refused layer (*probe.UnitsError) with --units, --reduce and
// --max-units, and layers that must be named with --layers.
func flagWords(err error) error {
	var ue *probe.UnitsError
	switch {
	case errors.As(err, &ue):
		fix := []string{fmt.Sprintf("choose units with --units (e.g. --units %s=0-%d)", ue.Layer, ue.FirstUnits()-1)}
		if ue.ReduceTo != "" {
			fix = append(fix, fmt.Sprintf("reduce it (--reduce %s=%s: %d units)", ue.Layer, ue.ReduceTo, ue.ReducedUnits))
		}
		fix = append(fix, fmt.Sprintf("or raise --max-units (≥ %d)", ue.Kept))
		return errors.New(ue.Describe(fmt.Sprintf("--max-units %d", ue.MaxUnits), "--reduce "+ue.Reduce, fix))
	case errors.Is(err, probe.ErrNameLayers):
		return fmt.Errorf("%w; name the layers with --layers", err)
	}
	return err
}
