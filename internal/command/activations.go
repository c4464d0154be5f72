package command

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/internal/progress"
	"github.com/conceptcells/conceptcells/internal/termsafe"
	"github.com/conceptcells/conceptcells/internal/version"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe"
)

// ManifestFormat identifies the manifest.json written by `activations`.
const ManifestFormat = "conceptcells-activations/1"

// Activations is the `conceptcells activations` command.
var Activations = &cli.Command{
	Name:      "activations",
	Usage:     "run a dataset through a model and save the hooked tensors as .npy (N×units each)",
	ArgsUsage: " ",
	Description: `Writes into --out DIR one .npy per hooked tensor (float32, N×units, row i =
sample i), labels.npy (int64) when the dataset has labels, and manifest.json
(model SHA-256, dataset, normalisation, and "tensors": [{"name","file","shape"}]).
Tensor names are those 'conceptcells layers MODEL' prints; a node name stands
for its first output. DIR is written atomically and an existing DIR is only
replaced with --force (and only if it is empty or an earlier activations
folder).`,
	Flags: append([]cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Required: true, Usage: "ONNX model `FILE`"},
		&cli.StringFlag{Name: "layers", Usage: "comma-separated tensor or node `NAMES` to hook"},
		&cli.GenericFlag{Name: "layer", Value: &stringList{}, Usage: "a tensor or node `NAME` to hook (repeatable; commas are kept)"},
		&cli.IntFlag{Name: "batch", Value: probe.DefaultBatchSize, Usage: "samples per batch"},
		&cli.StringFlag{Name: "reduce", Value: probe.ReduceNone, Usage: "none (units = C×H×W) or spatial-mean (units = C)"},
		&cli.IntFlag{Name: "limit", Usage: "use only the first `N` samples (0: all)"},
		&cli.StringFlag{Name: "shard", Usage: "write only shard `I/N` of the samples: rows [I·total/N, (I+1)·total/N), I from 0 (for array jobs; probe --activations DIR0,DIR1,… merges them)"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Required: true, Usage: "output `DIR`"},
		forceFlag,
		quietFlag,
	}, dataFlags()...),
	Action: runActivations,
}

// stringList is a repeatable string flag that does not split on commas.
type stringList struct{ v []string }

func (s *stringList) Set(v string) error { s.v = append(s.v, v); return nil }
func (s *stringList) String() string {
	if s == nil {
		return ""
	}
	return strings.Join(s.v, ", ")
}

// Manifest is the manifest.json of an activations folder.
type Manifest struct {
	Format        string           `json:"format"`
	Tool          string           `json:"tool"`
	Created       string           `json:"created"`
	Model         ManifestModel    `json:"model"`
	Dataset       ManifestDataset  `json:"dataset"`
	Normalisation string           `json:"normalisation"`
	Reduce        string           `json:"reduce"`
	BatchSize     int              `json:"batch_size"`
	N             int              `json:"n"`
	Tensors       []ManifestTensor `json:"tensors"`
	Labels        *ManifestFile    `json:"labels"`
	Output        *ManifestOutput  `json:"output,omitempty"`
	// Shard is set when the folder holds one shard of the samples.
	Shard    *ManifestShard `json:"shard,omitempty"`
	Warnings []string       `json:"warnings"`
}

// ManifestModel describes the model that was run.
type ManifestModel struct {
	File       string           `json:"file"`
	SHA256     string           `json:"sha256"`
	Opsets     map[string]int64 `json:"opsets"`
	Producer   string           `json:"producer,omitempty"`
	Input      string           `json:"input"`
	InputShape []int            `json:"input_shape"`
}

// ManifestDataset describes the data fed.
type ManifestDataset struct {
	Name        string   `json:"name"`
	Source      string   `json:"source,omitempty"`
	Description string   `json:"description"`
	N           int      `json:"n"`
	SampleShape []int    `json:"sample_shape"`
	Scaled      bool     `json:"scaled"`
	Classes     []string `json:"classes,omitempty"`
}

// ManifestTensor describes one hooked tensor's file: Shape is [N, units].
type ManifestTensor struct {
	Name        string `json:"name"`
	File        string `json:"file"`
	Shape       []int  `json:"shape"`
	Hook        string `json:"hook"`
	Node        string `json:"node,omitempty"`
	Op          string `json:"op,omitempty"`
	SampleShape []int  `json:"sample_shape"`
	Reduce      string `json:"reduce"`
	NaN         int    `json:"nan"`
	Inf         int    `json:"inf"`
}

// ManifestShard records which rows of the dataset a shard holds: rows
// [Start, End) of Total, shard Index of Count (from 0).
type ManifestShard struct {
	Index int `json:"index"`
	Count int `json:"count"`
	Start int `json:"start"`
	End   int `json:"end"`
	Total int `json:"total"`
}

// parseShard reads "I/N" (0 ≤ I < N).
func parseShard(s string) (index, count int, err error) {
	a, b, ok := strings.Cut(s, "/")
	if ok {
		index, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			count, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || count < 1 || index < 0 || index >= count {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 0 ≤ I < N, e.g. 0/4", s)
	}
	return index, count, nil
}

// shardRows returns shard index of count of n rows: [index·n/count,
// (index+1)·n/count).
func shardRows(index, count, n int) (start, end int) {
	return index * n / count, (index + 1) * n / count
}

// rowsOf returns rows [start, end) of d, sharing its memory.
func rowsOf(d *dataset.Set, start, end int) *dataset.Set {
	t := *d
	ss := d.SampleSize()
	t.X = d.X[start*ss : end*ss : end*ss]
	if d.Labels != nil {
		t.Labels = d.Labels[start:end:end]
	}
	t.N = end - start
	return &t
}

// ManifestFile names a file and its shape.
type ManifestFile struct {
	File  string `json:"file"`
	Shape []int  `json:"shape"`
}

// ManifestOutput summarises the model's graph output.
type ManifestOutput struct {
	Name     string   `json:"name"`
	Units    int      `json:"units"`
	Accuracy *float64 `json:"accuracy,omitempty"`
	// AccuracyNote says why there is no accuracy.
	AccuracyNote string `json:"accuracy_note,omitempty"`
}

func runActivations(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("activations: unexpected arguments %q (the model is given with --model)", c.Args().Slice())
	}
	var hooks []string
	for _, s := range strings.Split(c.String("layers"), ",") {
		if s = strings.TrimSpace(s); s != "" {
			hooks = append(hooks, s)
		}
	}
	if l, ok := c.Generic("layer").(*stringList); ok {
		hooks = append(hooks, l.v...)
		// The flag's value lives in the package-level command: empty it so
		// that a later run in the same process starts afresh.
		defer func() { l.v = nil }()
	}
	if len(hooks) == 0 {
		return errors.New("activations: no tensors to hook: give --layers a,b or --layer NAME (`conceptcells layers MODEL` lists the names)")
	}
	if c.Int("batch") <= 0 {
		return fmt.Errorf("activations: --batch %d: must be positive", c.Int("batch"))
	}
	if c.Int("limit") < 0 {
		return fmt.Errorf("activations: --limit %d: must not be negative", c.Int("limit"))
	}
	reduce := c.String("reduce")
	if reduce != probe.ReduceNone && reduce != probe.ReduceSpatialMean {
		return fmt.Errorf("activations: --reduce %q: want %q or %q", reduce, probe.ReduceNone, probe.ReduceSpatialMean)
	}
	out := c.String("out")
	force, quiet := c.Bool("force"), c.Bool("quiet")
	if err := checkOutDir(out, force); err != nil {
		return fmt.Errorf("activations: %w", err)
	}
	if _, err := os.Lstat(out); errors.Is(err, fs.ErrNotExist) {
		// A new folder is made beside out: its parent must exist and be
		// writable before any work starts.
		if err := fsutil.CheckLabelled(fsutil.Output{Label: "--out", Path: out}); err != nil {
			return fmt.Errorf("activations: --out: %w", err)
		}
	}

	budget, err := maxMemory(c)
	if err != nil {
		return err
	}
	model, err := loadModel(c.String("model"), budget)
	if err != nil {
		return err
	}
	var shard *ManifestShard
	if spec := c.String("shard"); spec != "" {
		i, n, err := parseShard(spec)
		if err != nil {
			return fmt.Errorf("activations: %w", err)
		}
		shard = &ManifestShard{Index: i, Count: n}
	}
	ch, h, w := modelImageSize(model)
	full, err := openData(c, ch, h, w, c.Int("limit"), quiet)
	if err != nil {
		return err
	}
	data := full
	if shard != nil {
		shard.Total = full.N
		shard.Start, shard.End = shardRows(shard.Index, shard.Count, full.N)
		data = rowsOf(full, shard.Start, shard.End)
	}
	bar := progress.New(int64(data.N), "activations", quiet)
	start := time.Now()
	acts, err := probe.Collect(c.Context, model, data, probe.CollectOptions{
		MaxMemory: budget,
		Hooks:     hooks,
		BatchSize: c.Int("batch"),
		Reduce:    reduce,
		Progress:  func(done, _ int) { bar.Set(done) },
	})
	bar.Finish()
	if err != nil {
		return err
	}
	man := newManifest(model, data, acts, reduce, c.Int("batch"))
	if shard != nil {
		man.Shard = shard
		man.Dataset.N = shard.Total
		man.Dataset.Description = full.Describe()
	}
	if err := writeActivations(out, force, acts, man); err != nil {
		return fmt.Errorf("activations: %w", err)
	}
	for _, w := range acts.Warnings {
		fmt.Fprintln(c.App.ErrWriter, "warning:", termsafe.Escape(w))
	}
	if !quiet {
		w := c.App.Writer
		fmt.Fprintf(w, "%d samples of %s through %s in %.1fs\n", acts.N, data.Name, filepath.Base(model.Path), time.Since(start).Seconds())
		for _, t := range man.Tensors {
			fmt.Fprintf(w, "  %-40s %v → %s/%s\n", termsafe.Cell(t.Name, 80), t.Shape, out, termsafe.Escape(t.File))
		}
		if man.Output != nil && man.Output.Accuracy != nil {
			fmt.Fprintf(w, "accuracy %.2f%%\n", 100**man.Output.Accuracy)
		} else if man.Output != nil && data.Labels != nil {
			fmt.Fprintf(w, "no accuracy: %s\n", man.Output.AccuracyNote)
		}
	}
	return nil
}

// modelImageSize returns the C, H, W the model's single input declares (0
// when dynamic or not an image input), so image folders are resized to fit.
func modelImageSize(model *onnxio.Model) (c, h, w int) {
	if len(model.Inputs) != 1 {
		return 0, 0, 0
	}
	dims, _, ok := model.Inputs[0].Shape()
	if !ok || len(dims) != 4 {
		return 0, 0, 0
	}
	return int(max(dims[1], 0)), int(max(dims[2], 0)), int(max(dims[3], 0))
}

func newManifest(model *onnxio.Model, data *dataset.Set, acts *probe.Activations, reduce string, batch int) *Manifest {
	m := &Manifest{
		Format:  ManifestFormat,
		Tool:    "conceptcells " + version.Version,
		Created: time.Now().UTC().Format(time.RFC3339),
		Model: ManifestModel{
			File:       model.Path,
			SHA256:     model.SHA256,
			Opsets:     model.Opsets,
			Producer:   strings.TrimSpace(model.ProducerName + " " + model.ProducerVersion),
			InputShape: acts.InputShape,
		},
		Dataset: ManifestDataset{
			Name:        data.Name,
			Source:      data.Source,
			Description: data.Describe(),
			N:           acts.N,
			SampleShape: data.Shape,
			Scaled:      data.Scaled,
			Classes:     data.Classes,
		},
		Normalisation: "none (fed as stored)",
		Reduce:        reduce,
		BatchSize:     batch,
		N:             acts.N,
		Warnings:      append([]string{}, acts.Warnings...),
	}
	if len(model.Inputs) > 0 {
		m.Model.Input = model.Inputs[0].Name()
	}
	if !data.Norm.IsIdentity() {
		m.Normalisation = "(x - mean) / std with mean/std " + data.Norm.String()
	}
	if data.Scaled {
		m.Normalisation = "pixels/255, then " + m.Normalisation
	}
	used := map[string]bool{"labels.npy": true, "manifest.json": true}
	for _, a := range acts.Tensors {
		m.Tensors = append(m.Tensors, ManifestTensor{
			Name: a.Name, File: tensorFile(a.Name, used), Shape: []int{a.N, a.Units},
			Hook: a.Hook, Node: a.Node, Op: a.Op, SampleShape: a.Shape, Reduce: a.Reduce, NaN: a.NaN, Inf: a.Inf,
		})
	}
	if acts.Labels != nil {
		m.Labels = &ManifestFile{File: "labels.npy", Shape: []int{len(acts.Labels)}}
	}
	if o := acts.Output; o != nil {
		m.Output = &ManifestOutput{Name: o.Name, Units: o.Units}
		// The accuracy counts only when the class labels name the outputs.
		labels, why := probe.OutputLabels(data, o.Units)
		switch {
		case labels == nil:
			m.Output.AccuracyNote = why
		default:
			m.Output.Accuracy = probe.Accuracy(acts.Predictions, labels)
		}
	}
	return m
}

// tensorFile returns a file name for tensor name that is safe inside the
// output folder: characters other than ASCII letters, digits, '.', '-' and
// '_' become '_', leading dots and underscores are dropped, long names are
// cut and given a hash, and a suffix keeps names unique in used.
func tensorFile(name string, used map[string]bool) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := strings.TrimLeft(b.String(), "._")
	for strings.Contains(base, "__") {
		base = strings.ReplaceAll(base, "__", "_")
	}
	if base == "" {
		base = "tensor"
	}
	if len(base) > 80 {
		h := sha256.Sum256([]byte(name))
		base = base[:64] + "-" + hex.EncodeToString(h[:4])
	}
	file := base + ".npy"
	for i := 2; used[strings.ToLower(file)]; i++ {
		file = fmt.Sprintf("%s-%d.npy", base, i)
	}
	used[strings.ToLower(file)] = true
	return file
}

// checkOutDir refuses an existing out without force, and with force
// anything but an empty folder or an earlier activations folder.
func checkOutDir(out string, force bool) error {
	if out == "" {
		return errors.New("--out: empty folder name")
	}
	st, err := os.Lstat(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !force {
		return fmt.Errorf("%s: %w", out, fsutil.ErrExists)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s exists and is not a folder: not replacing it, even with --force", out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	var m struct{ Format string }
	if err != nil || json.Unmarshal(raw, &m) != nil || m.Format != ManifestFormat {
		return fmt.Errorf("%s exists and is not an activations folder (no %s manifest.json): not replacing it, even with --force", out, ManifestFormat)
	}
	return nil
}

// writeActivations writes every file into a fresh temporary folder beside
// out, then moves it into place, so out is never left half written.
func writeActivations(out string, force bool, acts *probe.Activations, man *Manifest) (err error) {
	out = filepath.Clean(out)
	// Temporary folders that killed runs left beside out are removed
	// first. tmp is clean: the file paths below are compared with it
	// after Join cleans them.
	tmp, err := fsutil.MkdirTemp(out)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	for i, t := range man.Tensors {
		p := filepath.Join(tmp, t.File)
		if !filepath.IsLocal(t.File) || filepath.Dir(p) != tmp {
			return fmt.Errorf("tensor %q: file name %q escapes the output folder", t.Name, t.File)
		}
		if err := dataset.WriteNpy(p, false, t.Shape, acts.Tensors[i].Data); err != nil {
			return err
		}
	}
	if acts.Labels != nil {
		lab := make([]int64, len(acts.Labels))
		for i, v := range acts.Labels {
			lab[i] = int64(v)
		}
		if err := dataset.WriteNpy(filepath.Join(tmp, "labels.npy"), false, []int{len(lab)}, lab); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(man); err != nil {
		return err
	}
	if err := fsutil.WriteBytes(filepath.Join(tmp, "manifest.json"), false, buf.Bytes()); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	// Move into place. Re-check: out may have appeared while we ran.
	if err := checkOutDir(out, force); err != nil {
		return err
	}
	if _, statErr := os.Lstat(out); statErr == nil {
		old := tmp + ".old"
		if err := os.Rename(out, old); err != nil {
			return err
		}
		if err := os.Rename(tmp, out); err != nil {
			os.Rename(old, out) // put the old folder back
			return err
		}
		return os.RemoveAll(old)
	}
	return os.Rename(tmp, out)
}
