package command

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/cells"
	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/progress"
)

// The cells flags take their defaults from the library.
var (
	cellsDefaults = cells.DefaultOptions()
	cellsThr      = cellsDefaults.Thresholds
)

// Cells scores firing maps: from points + activations, or from a map.
var Cells = &cli.Command{
	Name:      "cells",
	Usage:     "score units as place, grid and concept cells (rate maps, gridness, spatial information, fields, CSI, shuffles)",
	ArgsUsage: " ",
	Description: `Either --points P.npy (K×2 coordinates) with --activations A.npy (K×U, or K for one unit)
and optionally --labels L.npy (K integer classes, negative = none), or --map M.npy (an N×N rate map, NaN =
empty bin, row = y). Writes per-unit scores, null-shuffle percentiles, p-values, labels and the reasons
behind them as JSON (--out) and CSV (--csv, default: --out with .csv). docs/methods.md defines every
score, null and label rule and says where each default comes from.`,
	Flags: []cli.Flag{
		&cli.StringFlag{Name: "points", Usage: "K×2 `P.npy` of embedding coordinates (x, y)"},
		&cli.StringFlag{Name: "activations", Usage: "K×U `A.npy` of unit activations (K for a single unit)"},
		&cli.StringFlag{Name: "labels", Usage: "K integer class labels `L.npy` (negative = no class); enables concept scores"},
		&cli.StringFlag{Name: "map", Usage: "score an N×N rate map `M.npy` (NaN = empty bin) instead of points"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "JSON output `file`", Required: true},
		&cli.StringFlag{Name: "csv", Usage: "CSV output `file` (default: --out with the extension .csv)"},
		&cli.IntFlag{Name: "bins", Value: cellsDefaults.Bins, Usage: "bins per side N"},
		&cli.StringFlag{Name: "range", Usage: "square frame `xmin,xmax,ymin,ymax` (default: square bounding box of the points)"},
		&cli.IntFlag{Name: "shuffles", Value: cellsDefaults.Permutations, Usage: "activation permutations per unit (SI, CSI and the gridness fallback null) and within-class permutations (SI, residual gridness)"},
		&cli.IntFlag{Name: "field-shuffles", Value: cellsDefaults.FieldShuffles, Usage: "field shuffles per unit (gridness null)"},
		&cli.BoolFlag{Name: "all-nulls", Usage: "compute every null for every unit (default: skip the nulls that cannot change a label)"},
		&cli.Uint64Flag{Name: "seed", Value: cellsDefaults.Seed, Usage: "seed of every shuffle"},
		&cli.IntFlag{Name: "workers", Usage: "parallel workers (default: all cores)"},
		&cli.StringFlag{Name: "compat", Value: "spec", Usage: "`spec` or deepmind (zero-filled empty bins as DeepMind's GridScorer; for comparison only)"},
		&cli.StringFlag{Name: "signed", Value: "auto", Usage: "`auto` (split units with negative activations into pos/neg parts), split or none"},
		&cli.IntFlag{Name: "min-count", Value: cellsDefaults.MinCount, Usage: "points a bin needs to be non-empty"},
		&cli.Float64Flag{Name: "sigma", Value: cellsDefaults.SmoothSigma, Usage: "Gaussian σ in bins of the smoothed map (display and fields)"},
		&cli.Float64Flag{Name: "percentile", Value: cellsDefaults.Percentile, Usage: "null percentile"},
		&cli.Float64Flag{Name: "field-threshold", Value: cellsDefaults.FieldThreshold, Usage: "place-field threshold, fraction of the peak"},
		&cli.IntFlag{Name: "field-min-bins", Value: cellsDefaults.FieldMinBins, Usage: "minimum bins per place field"},
		&cli.Float64Flag{Name: "grid", Value: cellsThr.Grid, Usage: "grid: gridness ≥ this"},
		&cli.Float64Flag{Name: "weak-grid", Value: cellsThr.WeakGrid, Usage: "weakly-grid: gridness ≥ this"},
		&cli.Float64Flag{Name: "density-margin", Value: cellsThr.DensityMargin, Usage: "grid labels need gridness − density gridness ≥ this (0 disables)"},
		&cli.IntFlag{Name: "grid-min-fields", Value: cellsThr.GridMinFields, Usage: "grid labels need at least this many grid fields (counted at the level of the peak with the most fields)"},
		&cli.Float64Flag{Name: "field-null-max-frac", Value: cellsThr.FieldNullMaxFrac, Usage: "the field-shuffle null is used when the grid fields cover at most this fraction of the valid bins, else the permutation null (grid only)"},
		&cli.Float64Flag{Name: "residual-gridness", Value: cellsThr.ResidualGridness, Usage: "with labels: a grid keeps its label only when its within-class residual map has gridness ≥ this and above its within-class permutation null, else it is cluster-grid"},
		&cli.Float64Flag{Name: "place-max-gridness", Value: cellsThr.PlaceMaxGridness, Usage: "place: gridness < this"},
		&cli.IntFlag{Name: "place-fields", Value: cellsThr.PlaceFields, Usage: "place: exactly this many fields"},
		&cli.Float64Flag{Name: "place-max-field-frac", Value: cellsThr.PlaceMaxFieldFrac, Usage: "place: field area ≤ this fraction of the valid bins"},
		&cli.Float64Flag{Name: "concept-csi", Value: cellsThr.ConceptCSI, Usage: "concept: CSI ≥ this"},
		&cli.Float64Flag{Name: "concept-p", Value: cellsThr.ConceptP, Usage: "concept: label-permutation p < this"},
		&cli.IntFlag{Name: "concept-max-classes", Value: cellsThr.ConceptMaxClasses, Usage: "concept: at most this many classes with mean ≥ --concept-class-frac × top mean"},
		&cli.Float64Flag{Name: "concept-class-frac", Value: cellsThr.ConceptClassFrac, Usage: "see --concept-max-classes"},
		&cli.Float64Flag{Name: "concept-coverage", Value: cellsThr.ConceptCoverage, Usage: "concept: in each class near the top, at least this fraction of the members respond above the 95th percentile of the other classes (0 disables)"},
		&cli.Float64Flag{Name: "within-class-p", Value: cellsThr.ConceptWithinClassP, Usage: "concept: within-class SI permutation p ≥ this (0 disables; the test is always reported)"},
		quietFlag, forceFlag,
	},
	Action: runCells,
}

func runCells(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("cells: unexpected argument %q (inputs are given by flags)", c.Args().First())
	}
	opts, err := cellsOptions(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	csvPath := c.String("csv")
	if csvPath == "" {
		csvPath = strings.TrimSuffix(out, filepath.Ext(out)) + ".csv"
	}
	if csvPath == out {
		return fmt.Errorf("cells: --csv %s is the same file as --out", csvPath)
	}
	if err := fsutil.CheckLabelled(fsutil.Output{Label: "--out", Path: out}, fsutil.Output{Label: "--csv", Path: csvPath}); err != nil {
		return fmt.Errorf("cells: %w", err)
	}
	var res *cells.Result
	if m := c.String("map"); m != "" {
		for _, f := range []string{"points", "activations", "labels", "range"} {
			if c.IsSet(f) {
				return fmt.Errorf("cells: --map cannot be combined with --%s", f)
			}
		}
		res, err = cellsFromMap(c, m, opts)
	} else {
		res, err = cellsFromPoints(c, opts)
	}
	if err != nil {
		return err
	}
	force := c.Bool("force")
	if err := fsutil.WriteFile(out, force, res.WriteJSON); err != nil {
		return err
	}
	if err := fsutil.WriteFile(csvPath, force, res.WriteCSV); err != nil {
		return err
	}
	counts := map[string]int{}
	for _, u := range res.Units {
		for _, l := range u.Labels {
			counts[l]++
		}
	}
	w := progress.Writer(c.Bool("quiet"))
	fmt.Fprintf(w, "cells: %d rows scored; labels %v; wrote %s and %s\n", len(res.Units), counts, out, csvPath)
	return nil
}

func cellsOptions(c *cli.Context) (cells.Options, error) {
	o := cells.DefaultOptions()
	o.Bins = c.Int("bins")
	o.Permutations = c.Int("shuffles")
	o.FieldShuffles = c.Int("field-shuffles")
	o.AllNulls = c.Bool("all-nulls")
	o.Seed = c.Uint64("seed")
	o.Workers = c.Int("workers")
	o.MinCount = c.Int("min-count")
	o.SmoothSigma = c.Float64("sigma")
	o.Percentile = c.Float64("percentile")
	o.FieldThreshold = c.Float64("field-threshold")
	o.FieldMinBins = c.Int("field-min-bins")
	var err error
	if o.Compat, err = cells.ParseCompat(c.String("compat")); err != nil {
		return o, fmt.Errorf("--compat: %w", err)
	}
	switch c.String("signed") {
	case "auto":
		o.Signed = cells.SignedAuto
	case "split":
		o.Signed = cells.SignedSplit
	case "none":
		o.Signed = cells.SignedNone
	default:
		return o, fmt.Errorf("cells: --signed %q: want auto, split or none", c.String("signed"))
	}
	t := &o.Thresholds
	t.Grid = c.Float64("grid")
	t.WeakGrid = c.Float64("weak-grid")
	t.DensityMargin = c.Float64("density-margin")
	t.PlaceMaxGridness = c.Float64("place-max-gridness")
	t.PlaceFields = c.Int("place-fields")
	t.PlaceMaxFieldFrac = c.Float64("place-max-field-frac")
	t.ConceptCSI = c.Float64("concept-csi")
	t.ConceptP = c.Float64("concept-p")
	t.ConceptMaxClasses = c.Int("concept-max-classes")
	t.ConceptClassFrac = c.Float64("concept-class-frac")
	t.ConceptWithinClassP = c.Float64("within-class-p")
	t.ConceptCoverage = c.Float64("concept-coverage")
	t.GridMinFields = c.Int("grid-min-fields")
	t.FieldNullMaxFrac = c.Float64("field-null-max-frac")
	t.ResidualGridness = c.Float64("residual-gridness")
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("%w (check the flags)", err)
	}
	return o, nil
}

func parseRange(s string) (*cells.Range, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return nil, fmt.Errorf("cells: --range %q: want xmin,xmax,ymin,ymax", s)
	}
	var v [4]float64
	for i, p := range parts {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, fmt.Errorf("cells: --range %q: %v", s, err)
		}
		v[i] = x
	}
	return &cells.Range{XMin: v[0], XMax: v[1], YMin: v[2], YMax: v[3]}, nil
}

func cellsFromPoints(c *cli.Context, opts cells.Options) (*cells.Result, error) {
	pp, ap := c.String("points"), c.String("activations")
	if pp == "" || ap == "" {
		return nil, errors.New("cells: give --points and --activations, or --map")
	}
	pts, err := dataset.ReadNpy(pp)
	if err != nil {
		return nil, fmt.Errorf("cells: --points: %w", err)
	}
	if len(pts.Shape) != 2 || pts.Shape[1] != 2 {
		return nil, fmt.Errorf("cells: --points %s has shape %v, want K×2 (x, y)", pp, pts.Shape)
	}
	k := pts.Shape[0]
	xy := pts.Float64()
	xs, ys := make([]float64, k), make([]float64, k)
	for i := 0; i < k; i++ {
		xs[i], ys[i] = xy[2*i], xy[2*i+1]
	}
	act, err := dataset.ReadNpy(ap)
	if err != nil {
		return nil, fmt.Errorf("cells: --activations: %w", err)
	}
	var acts cells.Activations
	switch {
	case len(act.Shape) == 1 && act.Shape[0] == k:
		acts = cells.RowMajor64{Data: act.Float64(), K: k, U: 1}
	case len(act.Shape) == 2 && act.Shape[0] == k:
		if act.DType == "float32" {
			acts = cells.RowMajor32{Data: act.F32, K: k, U: act.Shape[1]}
		} else {
			acts = cells.RowMajor64{Data: act.Float64(), K: k, U: act.Shape[1]}
		}
	default:
		return nil, fmt.Errorf("cells: --activations %s has shape %v, want %d×U (one row per point of %s)", ap, act.Shape, k, pp)
	}
	if _, u := acts.Dims(); u == 0 {
		return nil, fmt.Errorf("cells: --activations %s has no units", ap)
	}
	var labels []int
	if lp := c.String("labels"); lp != "" {
		la, err := dataset.ReadNpy(lp)
		if err != nil {
			return nil, fmt.Errorf("cells: --labels: %w", err)
		}
		if len(la.Shape) != 1 || la.Shape[0] != k {
			return nil, fmt.Errorf("cells: --labels %s has shape %v, want (%d,) (one label per point)", lp, la.Shape, k)
		}
		if labels, err = la.Ints(); err != nil {
			return nil, fmt.Errorf("cells: --labels %s: %w", lp, err)
		}
	}
	var rg *cells.Range
	if s := c.String("range"); s != "" {
		if rg, err = parseRange(s); err != nil {
			return nil, err
		}
	}
	f, err := cells.NewFrame(xs, ys, opts.Bins, rg)
	if err != nil {
		return nil, fmt.Errorf("%w (--points %s)", err, pp)
	}
	_, nu := acts.Dims()
	bar := progress.New(int64(nu), "cells", c.Bool("quiet"))
	opts.Progress = func(done, total int) {
		bar.ChangeMax(total)
		_ = bar.Set(done)
	}
	res, err := cells.ScoreUnits(c.Context, f, acts, labels, opts)
	_ = bar.Finish()
	return res, err
}

func cellsFromMap(c *cli.Context, path string, opts cells.Options) (*cells.Result, error) {
	a, err := dataset.ReadNpy(path)
	if err != nil {
		return nil, fmt.Errorf("cells: --map: %w", err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != a.Shape[1] {
		return nil, fmt.Errorf("cells: --map %s has shape %v, want N×N (square bins, row = y)", path, a.Shape)
	}
	res, err := cells.ScoreMap(c.Context, a.Float64(), a.Shape[0], opts)
	if err != nil {
		return nil, fmt.Errorf("%w (--map %s)", err, path)
	}
	return res, nil
}
