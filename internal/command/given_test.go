package command

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// summaryOf reads the summary rows of a report JSON, by layer, kind and
// space.
func summaryOf(t *testing.T, path string) map[string]map[string]int {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Summary []struct {
			Layer, Kind, Space string
			Counts             map[string]int
		}
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int{}
	for _, s := range r.Summary {
		out[s.Layer+" "+s.Kind+" "+s.Space] = s.Counts
	}
	return out
}

// Issue 11: `probe --activations` on the folder `activations` wrote gives
// the same counts as `probe --model` on the same data and seed; without
// --data only the network space is made, with the same counts there.
func TestProbeActivationsSameCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("three small probes in -short mode")
	}
	model := bundledModel(t)
	dir := t.TempDir()
	light := []string{"--limit", "300", "--robust", "0", "--iterations", "300", "--perplexity", "20", "--bins", "12",
		"--shuffles", "20", "--field-shuffles", "10", "--seed", "3", "--quiet", "--layers", "fc1_relu,fc2"}
	acts := filepath.Join(dir, "acts")
	if msg, err := runAppOutput(t, "activations", "--model", model, "--layers", "fc1_relu,fc2", "--limit", "300", "--quiet", "--out", acts); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	run := func(name string, args ...string) map[string]map[string]int {
		t.Helper()
		js := filepath.Join(dir, name+".json")
		args = append(append([]string{"probe"}, args...), append(light, "--out", filepath.Join(dir, name+".html"), "--json", js)...)
		if msg, err := runAppOutput(t, args...); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, msg)
		}
		return summaryOf(t, js)
	}
	byModel := run("model", "--model", model)
	byActs := run("acts", "--activations", acts, "--data", "mnist-test")
	netOnly := run("net", "--activations", acts)
	if len(byModel) != 4*2 {
		t.Fatalf("probe --model: %d summary rows, want 8 (2 layers × unit/pc × 2 spaces): %v", len(byModel), byModel)
	}
	for key, want := range byModel {
		if got := fmt.Sprint(byActs[key]); got != fmt.Sprint(want) {
			t.Errorf("%s: --activations --data gives %s, --model %v", key, got, want)
		}
		if strings.HasSuffix(key, " network") {
			if got := fmt.Sprint(netOnly[key]); got != fmt.Sprint(want) {
				t.Errorf("%s: --activations (no --data) gives %s, --model %v", key, got, want)
			}
		} else if _, ok := netOnly[key]; ok {
			t.Errorf("%s: an image space without the inputs", key)
		}
	}
}

// Issue 11: shards written by `activations --shard i/n` and merged by
// probe --activations DIR0,DIR1,… are byte for byte the activations of one
// unsharded run; a missing, repeated or foreign shard is refused.
func TestActivationsShards(t *testing.T) {
	model := bundledModel(t)
	dir := t.TempDir()
	write := func(name string, extra ...string) string {
		t.Helper()
		out := filepath.Join(dir, name)
		args := append([]string{"activations", "--model", model, "--layers", "fc1_relu,fc2", "--limit", "100", "--batch", "16", "--quiet", "--out", out}, extra...)
		if msg, err := runAppOutput(t, args...); err != nil {
			t.Fatalf("%v\n%s", err, msg)
		}
		return out
	}
	full := write("full")
	s0, s1, s2 := write("s0", "--shard", "0/3"), write("s1", "--shard", "1/3"), write("s2", "--shard", "2/3")
	one, err := readActivations([]string{full})
	if err != nil {
		t.Fatal(err)
	}
	merged, err := readActivations([]string{s0, s1, s2})
	if err != nil {
		t.Fatal(err)
	}
	if merged.N != 100 || len(merged.Tensors) != len(one.Tensors) || fmt.Sprint(merged.Labels) != fmt.Sprint(one.Labels) {
		t.Fatalf("merged: %d rows, %d tensors; want 100 rows, %d tensors and the same labels", merged.N, len(merged.Tensors), len(one.Tensors))
	}
	for i, tm := range merged.Tensors {
		to := one.Tensors[i]
		if tm.Name != to.Name || len(tm.Data) != len(to.Data) {
			t.Fatalf("tensor %d: %q (%d values), want %q (%d values)", i, tm.Name, len(tm.Data), to.Name, len(to.Data))
		}
		for j := range tm.Data {
			if math.Float32bits(tm.Data[j]) != math.Float32bits(to.Data[j]) {
				t.Fatalf("tensor %q value %d: %v merged, %v unsharded", tm.Name, j, tm.Data[j], to.Data[j])
			}
		}
	}
	if merged.Accuracy == nil || one.Accuracy == nil || math.Abs(*merged.Accuracy-*one.Accuracy) > 1e-12 {
		t.Errorf("merged accuracy %v, unsharded %v", merged.Accuracy, one.Accuracy)
	}
	for _, bad := range [][]string{{s0, s2}, {s1, s0, s2}, {s0, s1, s1, s2}, {s0, s1}, {s1}, {full, s1}} {
		if _, err := readActivations(bad); err == nil {
			t.Errorf("merging %d folders %q: no error", len(bad), bad)
		}
	}
	if _, _, err := runApp(t, "activations", "--model", model, "--layers", "fc2", "--shard", "3/3", "--out", filepath.Join(dir, "x")); err == nil || !strings.Contains(err.Error(), "--shard") {
		t.Errorf("--shard 3/3: err %v", err)
	}
}
