package command

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/probe"
)

// DemoModel is the bundled Go-trained CNN (testdata/mnist_cnn_go.onnx),
// set by main from its embedded copy. When nil, demo reads the file from
// the module folder.
var DemoModel []byte

// demoModelName is the bundled model's file name in the report.
const demoModelName = "mnist_cnn_go.onnx"

// Demo is `conceptcells demo`: the paper's analysis of the bundled CNN on
// the MNIST test set, with no other input.
var Demo = &cli.Command{
	Name:  "demo",
	Usage: "reproduce the paper: probe the bundled Go-trained MNIST CNN on the 10,000 MNIST test images",
	Description: "Runs probe on the bundled model (testdata/mnist_cnn_go.onnx, trained with conceptcells train)\n" +
		"and the MNIST test set embedded in the binary, with the paper's layers (6 and 7), and writes the report.",
	Flags: append(analysisFlags(), outputFlags("report.html")...),
	Action: func(c *cli.Context) error {
		o, err := probeOptions(c)
		if err != nil {
			return err
		}
		outs, err := checkOutputs(c)
		if err != nil {
			return err
		}
		m, err := demoModel()
		if err != nil {
			return err
		}
		data, err := dataset.MNIST("test", "")
		if err != nil {
			return fmt.Errorf("demo: MNIST test set: %w", err)
		}
		return runProbe(c, o, outs, func(ctx context.Context) (*probe.Result, error) { return probe.Run(ctx, m, data, o) }, nil)
	},
}

func demoModel() (*onnxio.Model, error) {
	if DemoModel != nil {
		m, err := onnxio.Decode(DemoModel)
		if err != nil {
			return nil, fmt.Errorf("demo: bundled model: %w", err)
		}
		m.Path = demoModelName
		return m, nil
	}
	path := filepath.Join("testdata", demoModelName)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("demo: this build has no bundled model and %s is not here (run from the repository root): %w", path, err)
	}
	return onnxio.Load(path)
}
