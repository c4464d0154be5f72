package command

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/probe"
)

// givenActivations are activations read from one or more folders for
// `probe --activations`.
type givenActivations struct {
	Tensors []probe.Tensor
	N       int
	Labels  []int // nil without labels.npy
	// Manifest is the first folder's manifest (nil for a plain folder of
	// .npy files); Accuracy the merged accuracy of the model's output
	// when every shard records one.
	Manifest *Manifest
	Accuracy *float64
}

// readActivations reads the folders dirs: each an `activations` folder
// (manifest.json, one .npy per tensor, labels.npy) or any folder of
// N×units .npy files with an optional labels.npy. Several folders are
// shards of one run and are merged in the order given, after checking
// that their manifests name the same model (SHA-256), dataset and tensors
// and that their rows follow each other and cover the dataset exactly.
func readActivations(dirs []string) (*givenActivations, error) {
	var parts []*givenActivations
	for _, d := range dirs {
		g, err := readActivationsDir(d)
		if err != nil {
			return nil, fmt.Errorf("--activations %s: %w", d, err)
		}
		parts = append(parts, g)
	}
	if len(parts) == 1 {
		g := parts[0]
		if m := g.Manifest; m != nil && m.Shard != nil && (m.Shard.Start != 0 || m.Shard.End != m.Shard.Total) {
			return nil, fmt.Errorf("--activations %s: shard %d of %d holds rows %d–%d of %d; give every shard, comma-separated, in order",
				dirs[0], m.Shard.Index, m.Shard.Count, m.Shard.Start, m.Shard.End, m.Shard.Total)
		}
		return g, nil
	}
	return mergeShards(dirs, parts)
}

// mergeShards concatenates the rows of shards made by `activations
// --shard`, in order.
func mergeShards(dirs []string, parts []*givenActivations) (*givenActivations, error) {
	first := parts[0].Manifest
	next := 0
	hits, withAcc := 0.0, true
	out := &givenActivations{Manifest: first}
	for i, p := range parts {
		m := p.Manifest
		switch {
		case m == nil || m.Shard == nil:
			return nil, fmt.Errorf("--activations %s: not a shard (no shard in its manifest.json); only shards of one run can be merged", dirs[i])
		case m.Model.SHA256 != first.Model.SHA256:
			return nil, fmt.Errorf("--activations %s: model SHA-256 %.12s…, but %s has %.12s…: shards of different models", dirs[i], m.Model.SHA256, dirs[0], first.Model.SHA256)
		case m.Dataset.Name != first.Dataset.Name || m.Dataset.Description != first.Dataset.Description || m.Shard.Total != first.Shard.Total ||
			m.Normalisation != first.Normalisation || m.Reduce != first.Reduce:
			return nil, fmt.Errorf("--activations %s: dataset %q (%d rows, %s), but %s has %q (%d rows, %s): shards of different data",
				dirs[i], m.Dataset.Description, m.Shard.Total, m.Normalisation, dirs[0], first.Dataset.Description, first.Shard.Total, first.Normalisation)
		case m.Shard.Start != next:
			return nil, fmt.Errorf("--activations %s: shard %d/%d starts at row %d, want %d: give the shards in order, none missing or repeated",
				dirs[i], m.Shard.Index, m.Shard.Count, m.Shard.Start, next)
		case len(p.Tensors) != len(parts[0].Tensors):
			return nil, fmt.Errorf("--activations %s: %d tensors, but %s has %d", dirs[i], len(p.Tensors), dirs[0], len(parts[0].Tensors))
		case (p.Labels == nil) != (parts[0].Labels == nil):
			return nil, fmt.Errorf("--activations %s: labels.npy in some shards only", dirs[i])
		}
		for j, t := range p.Tensors {
			if t0 := parts[0].Tensors[j]; t.Name != t0.Name || !slices.Equal(t.Shape, t0.Shape) {
				return nil, fmt.Errorf("--activations %s: tensor %q %v, but %s has %q %v", dirs[i], t.Name, t.Shape, dirs[0], t0.Name, t0.Shape)
			}
		}
		next = m.Shard.End
		if m.Output == nil || m.Output.Accuracy == nil {
			withAcc = false
		} else {
			hits += *m.Output.Accuracy * float64(p.N)
		}
	}
	if next != first.Shard.Total {
		return nil, fmt.Errorf("--activations: the shards end at row %d of %d: a shard is missing", next, first.Shard.Total)
	}
	out.N = next
	for j, t := range parts[0].Tensors {
		u := len(t.Data) / parts[0].N
		merged := probe.Tensor{Name: t.Name, Shape: t.Shape, Data: make([]float32, 0, next*u)}
		for _, p := range parts {
			merged.Data = append(merged.Data, p.Tensors[j].Data...)
		}
		out.Tensors = append(out.Tensors, merged)
	}
	if parts[0].Labels != nil {
		for _, p := range parts {
			out.Labels = append(out.Labels, p.Labels...)
		}
	}
	if withAcc && next > 0 {
		a := hits / float64(next)
		out.Accuracy = &a
	}
	return out, nil
}

// readActivationsDir reads one folder.
func readActivationsDir(dir string) (*givenActivations, error) {
	g := &givenActivations{N: -1}
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	switch {
	case err == nil:
		var m Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("manifest.json: %w", err)
		}
		if m.Format != ManifestFormat {
			return nil, fmt.Errorf("manifest.json: format %q, want %q", m.Format, ManifestFormat)
		}
		g.Manifest = &m
		if m.Output != nil {
			g.Accuracy = m.Output.Accuracy
		}
		for _, t := range m.Tensors {
			if !filepath.IsLocal(t.File) {
				return nil, fmt.Errorf("manifest.json: tensor file %q is outside the folder", t.File)
			}
			tensor, err := readTensor(filepath.Join(dir, t.File), t.Name)
			if err != nil {
				return nil, err
			}
			// The per-point shape, when the manifest's matches the units.
			if units := prodInts(tensor.Shape); len(t.SampleShape) > 0 && prodInts(t.SampleShape) == units && t.Reduce != probe.ReduceSpatialMean {
				tensor.Shape = slices.Clone(t.SampleShape)
			}
			if err := g.add(tensor); err != nil {
				return nil, err
			}
		}
	case errors.Is(err, fs.ErrNotExist):
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".npy") || name == "labels.npy" {
				continue
			}
			tensor, err := readTensor(filepath.Join(dir, name), strings.TrimSuffix(name, ".npy"))
			if err != nil {
				return nil, err
			}
			if err := g.add(tensor); err != nil {
				return nil, err
			}
		}
	default:
		return nil, err
	}
	if len(g.Tensors) == 0 {
		return nil, errors.New("no activations: want manifest.json or .npy files of N×units (N rows, one per point)")
	}
	if a, err := dataset.ReadNpy(filepath.Join(dir, "labels.npy")); err == nil {
		if g.Labels, err = a.Ints(); err != nil || len(g.Labels) != g.N {
			return nil, fmt.Errorf("labels.npy: want %d integer labels, one per row (%v)", g.N, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("labels.npy: %w", err)
	}
	return g, nil
}

// add appends t, checking that every tensor has the same number of rows.
func (g *givenActivations) add(t probe.Tensor) error {
	n := len(t.Data) / max(1, prodInts(t.Shape))
	if g.N >= 0 && n != g.N {
		return fmt.Errorf("tensor %q has %d rows, but the others have %d", t.Name, n, g.N)
	}
	g.N = n
	g.Tensors = append(g.Tensors, t)
	return nil
}

// readTensor reads an N×… float .npy as a tensor with per-point shape
// [units] (N×U) or the trailing dimensions (N×C×H×W); a 1-D array is N×1.
func readTensor(path, name string) (probe.Tensor, error) {
	a, err := dataset.ReadNpy(path)
	if err != nil {
		return probe.Tensor{}, err
	}
	if a.DType != "float32" && a.DType != "float64" {
		return probe.Tensor{}, fmt.Errorf("%s: dtype %s, want float32 or float64 activations", path, a.DType)
	}
	if len(a.Shape) == 0 || a.Shape[0] < 1 {
		return probe.Tensor{}, fmt.Errorf("%s: shape %v, want N×units", path, a.Shape)
	}
	shape := slices.Clone(a.Shape[1:])
	if len(shape) == 0 {
		shape = []int{1}
	}
	return probe.Tensor{Name: name, Shape: shape, Data: a.Float32()}, nil
}

func prodInts(s []int) int {
	p := 1
	for _, v := range s {
		p *= v
	}
	return p
}
