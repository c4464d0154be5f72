package main

import (
	_ "embed"

	"github.com/conceptcells/conceptcells/internal/command"
)

// bundledModel is the Go-trained paper CNN (see train/ and README.md), so
// that `conceptcells demo` needs no file beside the binary.
//
//go:embed testdata/mnist_cnn_go.onnx
var bundledModel []byte

func init() { command.DemoModel = bundledModel }
