package probe

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
)

// noiseImages returns n seeded uniform 3×32×32 images with labels i mod 10,
// the input of the vision fixtures.
func noiseImages(n int) *dataset.Set {
	rng := rand.New(rand.NewPCG(15, 1))
	s := &dataset.Set{Name: "noise", N: n, Shape: []int{3, 32, 32}, C: 3, H: 32, W: 32, X: make([]float32, n*3*32*32), Labels: make([]int, n)}
	for i := range s.X {
		s.X[i] = rng.Float32()
	}
	for i := range s.Labels {
		s.Labels[i] = i % 10
	}
	return s
}

// noCollect fails the test if Run gets as far as running the model.
func noCollect(t *testing.T) func(context.Context, *onnxio.Model, *dataset.Set, []string, Options) (map[string]tensorActs, error) {
	return func(context.Context, *onnxio.Model, *dataset.Set, []string, Options) (map[string]tensorActs, error) {
		t.Fatal("the model was run")
		return nil, nil
	}
}

func TestPlanUnits(t *testing.T) {
	resnet, _ := visionModel(t, "resnet18_w8")
	vit, _ := visionModel(t, "vit_tiny_op13")
	data := noiseImages(20)
	cases := []struct {
		m               *onnxio.Model
		layer           string
		reduce          map[string]string
		tensor          []int
		mode, layout, d string
		units           int
	}{
		{resnet, resnetLayer3, nil, []int{32, 2, 2}, ReduceSpatialMean, LayoutChannels, "spatial-mean over 2×2", 32},
		{resnet, resnetLayer3, map[string]string{resnetLayer3: ReduceNone}, []int{32, 2, 2}, ReduceNone, LayoutChannels, "every value", 128},
		{resnet, resnetFlatten, nil, []int{64}, ReduceNone, LayoutVector, "→ 64 units", 64},
		{resnet, "output", nil, []int{10}, ReduceNone, LayoutVector, "→ 10 units", 10},
		{vit, vitBlock, nil, []int{17, 32}, ReduceCLS, LayoutTokens, "cls: token 0 of 17", 32},
		{vit, vitBlock, map[string]string{vitBlock: ReduceTokenMean}, []int{17, 32}, ReduceTokenMean, LayoutTokens, "token-mean over 17 tokens", 32},
		{vit, "output", nil, []int{10}, ReduceNone, LayoutVector, "→ 10 units", 10},
	}
	for _, c := range cases {
		o := DefaultOptions
		o.Layers, o.LayerReduce = []string{c.layer}, c.reduce
		p, err := PlanRun(c.m, data, o)
		if err != nil {
			t.Fatalf("%s: %v", c.layer, err)
		}
		lp := p.Layers[0]
		if !slices.Equal(lp.TensorShape, c.tensor) || lp.Reduce != c.mode || lp.Layout != c.layout || lp.Units != c.units || lp.Kept != c.units {
			t.Errorf("%s %v: %+v", c.layer, c.reduce, lp)
		}
		if d := lp.Describe(); !strings.Contains(d, c.d) {
			t.Errorf("%s: %q does not say %q", c.layer, d, c.d)
		}
		if p.MemoryBytes <= 0 || p.ReportBytes <= 0 {
			t.Errorf("%s: estimates %d, %d", c.layer, p.MemoryBytes, p.ReportBytes)
		}
	}
}

// TestRunRefusesBeforeInference checks that Run refuses a layer over
// MaxUnits from the plan alone: the collect stage is never called, the
// message names the layer, the units, the flag and the ways out, and it
// comes at once.
func TestRunRefusesBeforeInference(t *testing.T) {
	m, _ := visionModel(t, "resnet18_w8")
	o := Options{Layers: []string{resnetLayer3, "output"}, LayerReduce: map[string]string{resnetLayer3: ReduceNone}, MaxUnits: 100, Seed: 1}
	st := stages{collect: noCollect(t), tsne: fakeTSNE, score: fakeScore}
	start := time.Now()
	_, err := run(context.Background(), m, noiseImages(300), o, st)
	took := time.Since(start)
	if err == nil {
		t.Fatal("no error")
	}
	t.Logf("refused in %v: %v", took, err)
	for _, want := range []string{resnetLayer3, "128 units", "Options.MaxUnits 100", "Options.Units (e.g. " + resnetLayer3 + ": 0…99)",
		"Options.LayerReduce " + resnetLayer3 + ": spatial-mean: 32 units", "300 points", "every value of 32×2×2", "of memory", "of report"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message does not say %q", want)
		}
	}
	var ue *UnitsError
	if !errors.As(err, &ue) || ue.Kept != 128 || ue.MaxUnits != 100 || ue.ReduceTo != ReduceSpatialMean || ue.ReducedUnits != 32 || ue.FirstUnits() != 100 {
		t.Errorf("UnitsError %+v", ue)
	}
	// With a unit selection within the budget the plan passes.
	o.Units = map[string][]int{resnetLayer3: {0, 1, 2, 3}}
	if _, err := PlanRun(m, noiseImages(300), o); err != nil {
		t.Errorf("with --units: %v", err)
	}
	// A negative MaxUnits lifts the limit.
	o.Units, o.MaxUnits = nil, -1
	if _, err := PlanRun(m, noiseImages(300), o); err != nil {
		t.Errorf("with no limit: %v", err)
	}
}

// TestRunReducesAndSelects runs the real collect stage on the ResNet
// fixture with a unit selection: layer3 keeps channels 1, 3 and 30 of 32
// (spatial means), the logits units 1 and 3, and the scores carry the
// original indices.
func TestRunReducesAndSelects(t *testing.T) {
	m, _ := visionModel(t, "resnet18_w8")
	data := noiseImages(40)
	var log strings.Builder
	o := Options{Layers: []string{resnetLayer3, "output"}, Units: map[string][]int{"": {1, 3, 30}}, Seed: 1, Log: &log, Quiet: false}
	res, err := run(context.Background(), m, data, o, stages{collect: collectStage, tsne: fakeTSNE, score: fakeScore})
	if err != nil {
		t.Fatal(err)
	}
	l3, out := res.Layers[0], res.Layers[1]
	if l3.Reduce != ReduceSpatialMean || l3.Layout != LayoutChannels || !slices.Equal(l3.TensorShape, []int{32, 2, 2}) ||
		l3.Units != 3 || !slices.Equal(l3.UnitIndex, []int{1, 3, 30}) || !slices.Equal(l3.Shape, []int{3}) {
		t.Errorf("layer3: reduce %s layout %s tensor %v units %d index %v shape %v", l3.Reduce, l3.Layout, l3.TensorShape, l3.Units, l3.UnitIndex, l3.Shape)
	}
	if out.Reduce != ReduceNone || out.Units != 2 || !slices.Equal(out.UnitIndex, []int{1, 3}) {
		t.Errorf("logits: reduce %s units %d index %v", out.Reduce, out.Units, out.UnitIndex)
	}
	// The kept columns are the collected channels 1, 3, 30.
	acts, err := Collect(context.Background(), m, data, CollectOptions{Hooks: []string{resnetLayer3}, Reduce: ReduceAuto, SkipOutput: true})
	if err != nil {
		t.Fatal(err)
	}
	full := acts.Tensor(resnetLayer3)
	for i := 0; i < data.N; i++ {
		for j, u := range l3.UnitIndex {
			if l3.Acts[i*3+j] != full.Data[i*32+u] {
				t.Fatalf("point %d unit %d: %v, collected %v", i, u, l3.Acts[i*3+j], full.Data[i*32+u])
			}
		}
	}
	var idx []int
	for _, u := range res.Scores {
		if u.Layer == resnetLayer3 && u.Kind == "unit" && u.Space == "image" {
			idx = append(idx, u.Index)
		}
	}
	if !slices.Equal(idx, []int{1, 3, 30}) {
		t.Errorf("unit score indices %v", idx)
	}
	if !strings.Contains(log.String(), "spatial-mean over 2×2") || !strings.Contains(log.String(), "3 chosen with --units") {
		t.Errorf("log does not describe the reduction:\n%s", log.String())
	}
}

// TestRunChecksUnitsAfterCollect checks the fallback for a layer whose
// shape the plan cannot infer: its units are checked after collecting,
// before any t-SNE.
func TestRunChecksUnitsAfterCollect(t *testing.T) {
	m, _ := visionModel(t, "resnet18_w8")
	data := noiseImages(20)
	collect := func(_ context.Context, _ *onnxio.Model, d *dataset.Set, hooks []string, _ Options) (map[string]tensorActs, error) {
		out := map[string]tensorActs{}
		for _, h := range hooks {
			out[h] = tensorActs{Shape: []int{300}, Data: make([]float32, d.N*300)}
		}
		return out, nil
	}
	tsne := func(context.Context, []float32, int, int, Options, []tsneRun, io.Writer) ([]embedding, []string, error) {
		t.Fatal("t-SNE ran")
		return nil, nil, nil
	}
	o := Options{Layers: []string{"not-inferred"}, MaxUnits: 100, Seed: 1}
	p, err := PlanRun(m, data, o)
	if err != nil || p.Layers[0].TensorShape != nil {
		t.Fatalf("plan: %+v, %v", p, err)
	}
	_, err = run(context.Background(), m, data, o, stages{collect: collect, tsne: tsne, score: fakeScore})
	if err == nil || !strings.Contains(err.Error(), `"not-inferred" has 300 units`) || !strings.Contains(err.Error(), "Options.MaxUnits 100") {
		t.Fatalf("err = %v", err)
	}
}
