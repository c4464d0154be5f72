// Command perimage times our engine on one ONNX model at batch 1, one image
// per call, for bench/peers.sh rows 3-5 (its peer is bench/ort/perimage.js).
// Not part of CI: it has no tests and nothing imports it.
//
//	go run ./bench/perimage -model bench/cache/models/resnet50.onnx [-images 20] [-warmup 3]
//
// The input is standard-normal noise (seed 1) of the model's declared input
// shape, dynamic dimensions set to 1. After -warmup untimed calls it times
// -images calls and prints one JSON object: the per-image seconds, their
// median, the load+prepare time and the process CPU time.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "perimage:", err)
		os.Exit(1)
	}
}

func run() error {
	model := flag.String("model", "", "ONNX model file (required)")
	images := flag.Int("images", 20, "timed calls, one image each")
	warmup := flag.Int("warmup", 3, "untimed calls before the timed ones")
	flag.Parse()
	if *model == "" {
		return errors.New("-model is required")
	}
	if *images < 1 || *warmup < 0 {
		return fmt.Errorf("-images %d / -warmup %d: need at least 1 timed image and no negative warm-up", *images, *warmup)
	}
	t0 := time.Now()
	m, err := onnxio.Load(*model)
	if err != nil {
		return err
	}
	p, err := engine.Prepare(m, engine.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", *model, err)
	}
	names := p.InputNames()
	if len(names) != 1 {
		return fmt.Errorf("%s: want one graph input to feed, the model has %d (%v)", *model, len(names), names)
	}
	dims := p.InputShape(names[0])
	if dims == nil {
		return fmt.Errorf("%s: input %q has no declared shape", *model, names[0])
	}
	shape := make([]int, len(dims))
	n := 1
	for i, d := range dims {
		shape[i] = max(int(d), 1)
		n *= shape[i]
	}
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	in := map[string]*engine.Tensor{names[0]: engine.NewFloat(shape, x)}
	ctx := context.Background()
	once := func() error {
		out, err := p.Run(ctx, in, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", *model, err)
		}
		p.Recycle(out)
		return nil
	}
	for range *warmup {
		if err := once(); err != nil {
			return err
		}
	}
	loadSec := time.Since(t0).Seconds()
	secs := make([]float64, *images)
	for i := range secs {
		t := time.Now()
		if err := once(); err != nil {
			return err
		}
		secs[i] = time.Since(t).Seconds()
	}
	sorted := slices.Clone(secs)
	slices.Sort(sorted)
	med := sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		med = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	return enc.Encode(map[string]any{
		"runtime":                   "conceptcells engine",
		"model":                     filepath.Base(*model),
		"input_shape":               shape,
		"warmup":                    *warmup,
		"images":                    *images,
		"seconds":                   secs,
		"median_seconds":            med,
		"min_seconds":               sorted[0],
		"max_seconds":               sorted[len(sorted)-1],
		"load_prepare_warm_seconds": loadSec,
		"cpu_seconds":               cpuSeconds(),
	})
}
