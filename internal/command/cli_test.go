package command

import (
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// bundledModel is the absolute path of the bundled CNN, usable after a
// t.Chdir.
func bundledModel(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "mnist_cnn_go.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 11: `activations --out acts` with a relative folder failed with
// "escapes the output folder".
func TestActivationsRelativeOut(t *testing.T) {
	model := bundledModel(t)
	t.Chdir(t.TempDir())
	msg, err := runAppOutput(t, "activations", "--model", model, "--layers", "fc1_relu", "--limit", "20", "--quiet", "--out", "acts")
	if err != nil {
		t.Fatalf("activations --out acts: %v\n%s", err, msg)
	}
	for _, f := range []string{"manifest.json", "labels.npy"} {
		if _, err := os.Stat(filepath.Join("acts", f)); err != nil {
			t.Error(err)
		}
	}
}

// Issue 11: flags after the positional argument (`layers M.onnx --json`)
// were refused.
func TestFlagsAfterArguments(t *testing.T) {
	model := bundledModel(t)
	out, _, err := runApp(t, "layers", model, "--json")
	if err != nil {
		t.Fatalf("layers MODEL --json: %v", err)
	}
	var rep struct{ Layers []any }
	if err := json.Unmarshal([]byte(out), &rep); err != nil || len(rep.Layers) == 0 {
		t.Errorf("layers MODEL --json did not print JSON layers (%v): %.200q", err, out)
	}
	// A flag with a value after the argument, and "--" ending the flags.
	if _, _, err := runApp(t, "layers", model, "--input-shape", "2,1,28,28", "--json"); err != nil {
		t.Errorf("layers MODEL --input-shape S --json: %v", err)
	}
	if args := reorderArgs(App(), []string{"cc", "layers", "m.onnx", "--json", "--", "--odd.onnx"}); strings.Join(args, " ") != "cc layers --json m.onnx -- --odd.onnx" {
		t.Errorf("reordered: %q", args)
	}
}

// Issue 11: `probe --out /no/such/dir/report.html` ran the whole analysis
// before failing. Every output location is checked before any work: here
// the model does not exist either, and the error must be about the output.
func TestProbeChecksOutputsFirst(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.onnx")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--out", filepath.Join(dir, "no", "such", "report.html")}, "folder"},
		{[]string{"--out", dir}, "is a folder"},
		{[]string{"--out", filepath.Join(dir, "r.html"), "--json", filepath.Join(dir, ".", "sub", "..", "r.html")}, "both name"},
	} {
		start := time.Now()
		_, _, err := runApp(t, append([]string{"probe", "--model", missing, "--quiet"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "nope.onnx") {
			t.Errorf("%q: err = %v, want one about the output (%q)", tc.args, err, tc.want)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%q: took %v", tc.args, d)
		}
	}
	// A relative output in the current folder is fine.
	t.Chdir(dir)
	_, _, err := runApp(t, "probe", "--model", missing, "--quiet", "--out", "r.html")
	if err == nil || !strings.Contains(err.Error(), "nope.onnx") {
		t.Errorf("probe --out r.html with a missing model: err = %v, want the model's error", err)
	}
}

// writeImageFolder writes n 28×28 grey PNGs into dir/<class> for each
// class.
func writeImageFolder(t *testing.T, dir string, classes []string, n int) {
	t.Helper()
	for ci, c := range classes {
		if err := os.MkdirAll(filepath.Join(dir, c), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			img := image.NewGray(image.Rect(0, 0, 28, 28))
			for y := 0; y < 28; y++ {
				for x := 0; x < 28; x++ {
					img.SetGray(x, y, color.Gray{uint8((x*7 + y*3 + i*11 + ci*50) % 256)})
				}
			}
			f, err := os.Create(filepath.Join(dir, c, strings.Repeat("i", i+1)+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(f, img); err != nil {
				t.Fatal(err)
			}
			f.Close()
		}
	}
}

// Issue 11: an image folder's class indices were compared with the
// model's outputs whatever the class names, giving "accuracy 0.00%".
// Accuracy is computed only when the names map to the outputs.
func TestActivationsAccuracyNeedsClassNames(t *testing.T) {
	model := bundledModel(t)
	dir := t.TempDir()
	writeImageFolder(t, filepath.Join(dir, "pets"), []string{"cat", "dog"}, 3)
	writeImageFolder(t, filepath.Join(dir, "digits"), []string{"3", "7"}, 3)

	out, err := runAppOutput(t, "activations", "--model", model, "--layers", "fc2", "--data", filepath.Join(dir, "pets"), "--out", filepath.Join(dir, "a1"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, "accuracy 0") || !strings.Contains(out, "no accuracy") {
		t.Errorf("class names cat, dog: want no accuracy and why, got\n%s", out)
	}
	var man Manifest
	raw, _ := os.ReadFile(filepath.Join(dir, "a1", "manifest.json"))
	if err := json.Unmarshal(raw, &man); err != nil || man.Output == nil || man.Output.Accuracy != nil || man.Output.AccuracyNote == "" {
		t.Errorf("manifest output %+v (%v): want no accuracy and a note", man.Output, err)
	}

	// Folders named 3 and 7 are labels 0 and 1 but outputs 3 and 7.
	out, err = runAppOutput(t, "activations", "--model", model, "--layers", "fc2", "--data", filepath.Join(dir, "digits"), "--out", filepath.Join(dir, "a2"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	raw, _ = os.ReadFile(filepath.Join(dir, "a2", "manifest.json"))
	man = Manifest{}
	if err := json.Unmarshal(raw, &man); err != nil || man.Output == nil || man.Output.Accuracy == nil {
		t.Fatalf("digit folders: manifest output %+v (%v): want an accuracy", man.Output, err)
	}
}

// Issue 11: Ctrl-C exits with 130, the shell's code for SIGINT.
func TestInterruptExitCode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	app := App()
	app.Writer, app.ErrWriter = new(strings.Builder), new(strings.Builder)
	err := Run(ctx, app, []string{"conceptcells", "probe", "--model", bundledModel(t), "--quiet", "--limit", "50", "--out", filepath.Join(t.TempDir(), "r.html")})
	if err == nil || ExitCode(err) != 130 {
		t.Errorf("probe with a cancelled context: err %v, exit code %d; want 130", err, ExitCode(err))
	}
	if ExitCode(nil) != 0 || ExitCode(errors.New("x")) != 1 {
		t.Error("exit codes of nil and a plain error: want 0 and 1")
	}
}

// Issue 11: a mistyped flag prints a short error and "see --help", not the
// whole help; probe and demo come first in the help.
func TestUsageErrors(t *testing.T) {
	out, errOut, err := runApp(t, "probe", "--modle", "m.onnx")
	if err == nil || !strings.Contains(err.Error(), "--help") || !strings.Contains(err.Error(), "modle") {
		t.Errorf("mistyped flag: err %v, want the flag and a pointer to --help", err)
	}
	if strings.Contains(out+errOut, "OPTIONS") || strings.Contains(out+errOut, "USAGE") {
		t.Errorf("mistyped flag printed the help:\n%s", out+errOut)
	}
	// A missing --out is as short.
	out, errOut, err = runApp(t, "probe", "--model", "m.onnx")
	if err == nil || !strings.Contains(err.Error(), "--out") || strings.Contains(out+errOut, "OPTIONS") {
		t.Errorf("probe without --out: err %v, output\n%s", err, out+errOut)
	}
	help, _, err := runApp(t, "--help")
	if err != nil {
		t.Fatal(err)
	}
	p, d, l := strings.Index(help, "   probe"), strings.Index(help, "   demo"), strings.Index(help, "   layers")
	if p < 0 || d < 0 || l < 0 || !(p < l && d < l) {
		t.Errorf("help: probe at %d, demo at %d, layers at %d; want probe and demo first\n%s", p, d, l, help)
	}
}

// Issue 11: one spelling per meaning across commands, the old ones kept:
// train --data-dir (--data still works), embed --tsne-pca as probe, and
// the short -m/-o of activations in probe too.
func TestConsistentFlags(t *testing.T) {
	dir := t.TempDir()
	for _, flag := range []string{"--data-dir", "--data"} {
		err := runTrainCmd(t, "train", "--quiet", flag, dir, "--out", filepath.Join(dir, "m.onnx"))
		if err == nil || !strings.Contains(err.Error(), flag+" ") {
			t.Errorf("train %s EMPTY: err %v, want one naming %s", flag, err, flag)
		}
	}
	help, _, _ := runApp(t, "train", "--help")
	if strings.Contains(help, "--data value") || !strings.Contains(help, "--data-dir") {
		t.Errorf("train help shows the old --data or not --data-dir:\n%s", help)
	}
	if _, _, err := runApp(t, "embed", "--in", filepath.Join(dir, "none.npy"), "--tsne-pca", "5", "-o", filepath.Join(dir, "y.npy")); err == nil || strings.Contains(err.Error(), "flag provided but not defined") {
		t.Errorf("embed --tsne-pca / -o: err %v", err)
	}
	_, _, err := runApp(t, "probe", "-m", filepath.Join(dir, "nope.onnx"), "-o", filepath.Join(dir, "r.html"), "--quiet")
	if err == nil || !strings.Contains(err.Error(), "nope.onnx") {
		t.Errorf("probe -m M -o R: err %v, want the missing model's error", err)
	}
}
