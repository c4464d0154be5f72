package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/train"
)

// Train trains the paper's MNIST CNN with gorgonia and exports it to ONNX.
var Train = &cli.Command{
	Name:  "train",
	Usage: "train the paper's MNIST CNN in Go and export it to ONNX",
	Description: "Trains conv1 1→10 5×5 → pool → ReLU → conv2 10→20 5×5 → Dropout2d → pool → ReLU → fc1 320→50 → ReLU → dropout → fc2 50→10 → log-softmax\n" +
		"on MNIST with NLL loss and Adam, printing test loss and accuracy after every epoch. Training is deterministic for a seed.\n" +
		"The state is checkpointed after every epoch (in --checkpoint DIR, default <out>.ckpt, removed after a successful run unless given);\n" +
		"after Ctrl-C or a kill, rerun the same command with --resume to continue.",
	Flags: []cli.Flag{
		&cli.IntFlag{Name: "epochs", Value: train.DefaultOptions.Epochs, Usage: "training epochs"},
		&cli.IntFlag{Name: "batch", Value: train.DefaultOptions.Batch, Usage: "images per batch"},
		&cli.Float64Flag{Name: "lr", Value: train.DefaultOptions.LR, Usage: "Adam learning rate"},
		&cli.Uint64Flag{Name: "seed", Value: train.DefaultOptions.Seed, Usage: "seed for initialisation, shuffling and dropout"},
		&cli.StringFlag{Name: "data-dir", Usage: "folder with the official MNIST files (default: $CONCEPTCELLS_DATA, else the GoMNIST module), as --data-dir in the other commands"},
		// The old spelling: in the other commands --data names a dataset.
		&cli.StringFlag{Name: "data", Hidden: true, Usage: "old spelling of --data-dir"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "model.onnx", Usage: "ONNX file to write"},
		&cli.StringFlag{Name: "checkpoint", Usage: "folder for the per-epoch checkpoint (default <out>.ckpt)"},
		&cli.BoolFlag{Name: "resume", Usage: "continue from the checkpoint"},
		forceFlag,
		quietFlag,
	},
	Action: runTrain,
}

func runTrain(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("train: unexpected arguments %q", c.Args().Slice())
	}
	opts := train.Options{
		Epochs: c.Int("epochs"),
		Batch:  c.Int("batch"),
		LR:     c.Float64("lr"),
		Seed:   c.Uint64("seed"),
		Resume: c.Bool("resume"),
	}
	quiet := c.Bool(quietFlag.Name)
	switch {
	case opts.Epochs < 1:
		return fmt.Errorf("train: --epochs %d: want at least 1", opts.Epochs)
	case opts.Batch < 1:
		return fmt.Errorf("train: --batch %d: want at least 1", opts.Batch)
	case !(opts.LR > 0):
		return fmt.Errorf("train: --lr %g: want a positive learning rate", opts.LR)
	}
	out := c.String("out")
	force := c.Bool("force")
	if out == "" {
		return fmt.Errorf("train: --out is empty")
	}
	// Refuse before hours of training, not after.
	if _, err := os.Lstat(out); err == nil && !force {
		return fmt.Errorf("train: --out %s: %w", out, fsutil.ErrExists)
	}
	if fi, err := os.Stat(filepath.Dir(out)); err != nil || !fi.IsDir() {
		return fmt.Errorf("train: --out %s: folder %s does not exist", out, filepath.Dir(out))
	}
	ckpt := c.String("checkpoint")
	explicitCkpt := ckpt != ""
	if !explicitCkpt {
		ckpt = out + ".ckpt"
	}
	opts.Checkpoint = ckpt
	if err := train.CheckCheckpointDir(ckpt); err != nil {
		return err
	}
	_, statErr := os.Stat(train.CheckpointPath(ckpt))
	switch {
	case statErr == nil && !opts.Resume && !force:
		return fmt.Errorf("train: a checkpoint exists in %s: use --resume to continue it or --force to start over", ckpt)
	case statErr != nil && opts.Resume:
		return fmt.Errorf("train: --resume: no checkpoint in %s (%v)", ckpt, statErr)
	}
	if !quiet {
		opts.Log = os.Stderr
	}
	bar := &stageBar{quiet: quiet}
	opts.Progress = func(p train.Progress) {
		stage := fmt.Sprintf("epoch %d/%d", p.Epoch, p.Epochs)
		desc := ""
		if p.Batch > 0 {
			desc = fmt.Sprintf("%s loss %.4f %.0f img/s", stage, p.Loss, float64(p.Images)/p.Elapsed.Seconds())
		}
		bar.update(stage, desc, p.Batch, p.Batches)
	}
	logw := opts.Log
	if logw == nil {
		logw = io.Discard
	}

	flag, dir := "data-dir", c.String("data-dir")
	if dir == "" && c.String("data") != "" {
		flag, dir = "data", c.String("data")
	}
	// The training set is downloaded on first use (unless a folder is given).
	trSet, err := dataset.Open("mnist-train", dataset.Options{Dir: dir, Fetch: true})
	if err != nil {
		return fmt.Errorf("train: --%s %q: %w", flag, dir, err)
	}
	teSet, err := dataset.MNIST("test", dir)
	if err != nil {
		return fmt.Errorf("train: --%s %q: %w", flag, dir, err)
	}
	trData, err := train.FromSet(trSet, "training")
	if err != nil {
		return err
	}
	teData, err := train.FromSet(teSet, "test")
	if err != nil {
		return err
	}
	fmt.Fprintf(logw, "training on %s; testing on %s\n", trSet.Source, teSet.Source)

	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	context.AfterFunc(ctx, stop) // a second Ctrl-C ends the process

	res, err := train.Train(ctx, trData, teData, opts)
	bar.exit() // a bar is left open only when training stopped early
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("train: interrupted; finished epochs are saved in %s: rerun with --resume to continue: %w", ckpt, err)
	}
	if err != nil {
		return err
	}
	meta := train.MetadataOf(res, opts.Batch, opts.LR)
	if err := train.Save(out, force, res.Params, meta); err != nil {
		return err
	}
	if !explicitCkpt {
		if err := train.RemoveCheckpoint(ckpt); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "train: could not remove the checkpoint in %s: %v\n", ckpt, err)
		}
	}
	fmt.Fprintf(c.App.Writer, "wrote %s: %d epochs, seed %d, test accuracy %.2f%%\n", out, res.Epochs, res.Seed, 100*meta.TestAccuracy)
	return nil
}
