package command

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
)

// Shared dataset flags for commands that read data (probe, activations,
// train): add dataFlags() to a command's Flags and call openData in its
// action.
var (
	dataFlag = &cli.StringFlag{
		Name:  "data",
		Value: "mnist-test",
		Usage: "dataset: mnist-test, mnist-train, fashion-mnist-test, fashion-mnist-train, a folder of class subfolders of PNG/JPEG images, or an X.npy (N×C×H×W)",
	}
	labelsFlag = &cli.StringFlag{
		Name:  "labels",
		Usage: "1-D .npy of class indices, one per sample (for --data X.npy)",
	}
	normFlag = &cli.StringFlag{
		Name:  "norm",
		Usage: "normalisation MEAN/STD per channel (e.g. 0.1307/0.3081 or 0.485,0.456,0.406/0.229,0.224,0.225), mnist, or none; default: mnist for pixels (IDX, uint8 .npy, images), none for a float .npy",
	}
	dataDirFlag = &cli.StringFlag{
		Name:    "data-dir",
		EnvVars: []string{dataset.EnvData},
		Usage:   "folder holding the MNIST (or Fashion-MNIST) IDX files, instead of the embedded test set / Go module cache",
	}
	// maxMemoryFlag bounds the executor's memory (engine.Options.MaxMemory).
	maxMemoryFlag = &cli.StringFlag{
		Name:  "max-memory",
		Usage: "memory budget for loading and running the model (weights and tensors), e.g. 2G or 512M (default: half the physical memory); a model asking for more is refused, naming the node or tensor",
	}
)

// dataFlags returns the dataset flags (and the executor's memory budget,
// as every command reading data runs a model), to append to a command's
// Flags.
func dataFlags() []cli.Flag {
	return []cli.Flag{dataFlag, labelsFlag, normFlag, dataDirFlag, maxMemoryFlag}
}

// maxMemory returns the --max-memory budget in bytes (0: the engine's
// default).
func maxMemory(ctx *cli.Context) (int64, error) {
	s := ctx.String(maxMemoryFlag.Name)
	if s == "" {
		return 0, nil
	}
	n, err := engine.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("--%s: %w", maxMemoryFlag.Name, err)
	}
	return n, nil
}

// loadModel loads the model at path to be run, refusing it when its
// decoded initializers alone would take more than budget bytes (0:
// engine.DefaultMaxMemory()), before they are allocated.
func loadModel(path string, budget int64) (*onnxio.Model, error) {
	if budget == 0 {
		budget = engine.DefaultMaxMemory()
	}
	return onnxio.LoadWith(path, onnxio.LoadOptions{MaxMemory: budget})
}

// openData opens the dataset chosen by the dataset flags. c, h, w is the
// model's input size (0 when unknown), used to convert and resize image
// folders; limit keeps the first samples (0 = all). Reading an image
// folder shows a progress bar unless quiet; the MNIST training set is
// downloaded when it is not in the Go module cache.
func openData(ctx *cli.Context, c, h, w, limit int, quiet bool) (*dataset.Set, error) {
	bar := &stageBar{quiet: quiet}
	defer bar.finish()
	opt := dataset.Options{
		Labels: ctx.String(labelsFlag.Name),
		Dir:    ctx.String(dataDirFlag.Name),
		C:      c, H: h, W: w,
		Limit:    limit,
		Fetch:    true, // --data mnist-train is downloaded on first use
		Progress: bar.report,
	}
	if s := ctx.String(normFlag.Name); s != "" {
		n, err := dataset.ParseNormalization(s)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", normFlag.Name, err)
		}
		opt.Norm = n
	}
	set, err := dataset.Open(ctx.String(dataFlag.Name), opt)
	if err != nil {
		return nil, fmt.Errorf("--%s %s: %w", dataFlag.Name, ctx.String(dataFlag.Name), err)
	}
	return set, nil
}
