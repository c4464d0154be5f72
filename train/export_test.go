package train

import (
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/conceptcells/conceptcells/internal/fsutil"
	"github.com/conceptcells/conceptcells/onnxio"
)

func trainedSmall(t *testing.T) (*Result, Data) {
	t.Helper()
	tr, te := smallSets(t)
	o := smallOpts
	o.Epochs = 1
	res, err := Train(t.Context(), tr, te, o)
	if err != nil {
		t.Fatal(err)
	}
	return res, te
}

// The exported graph is opset 13 with the documented names, no Dropout,
// PyTorch-layout initializers and the training metadata; Save refuses to
// overwrite without force; onnxio.Load accepts the file.
func TestExportGraph(t *testing.T) {
	res, _ := trainedSmall(t)
	meta := MetadataOf(res, smallOpts.Batch, smallOpts.LR)
	path := filepath.Join(t.TempDir(), "m.onnx")
	if err := Save(path, false, res.Params, meta); err != nil {
		t.Fatal(err)
	}
	if err := Save(path, false, res.Params, meta); !errors.Is(err, fsutil.ErrExists) {
		t.Errorf("second Save without force: %v, want ErrExists", err)
	}
	if err := Save(path, true, res.Params, meta); err != nil {
		t.Errorf("Save with force: %v", err)
	}
	m, err := onnxio.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Import(m)
	if err != nil {
		t.Fatal(err)
	}
	sameParams(t, res.Params, back)
	if m.Opset("") != Opset {
		t.Errorf("opset %d, want %d", m.Opset(""), Opset)
	}
	if len(m.Inputs) != 1 || m.Inputs[0].Name() != InputName || len(m.Outputs) != 1 || m.Outputs[0].Name() != OutputName {
		t.Errorf("graph inputs %v outputs %v", m.Inputs, m.Outputs)
	}
	outputs := map[string]string{}
	for _, n := range m.Nodes {
		if n.OpType() == "Dropout" {
			t.Error("the inference graph has a Dropout node")
		}
		outputs[n.Outputs()[0]] = n.OpType()
	}
	for name, op := range map[string]string{"conv1": "Conv", "conv2": "Conv", Layer6Name: "Relu", Layer7Name: "Gemm", OutputName: "LogSoftmax", "fc1": "Gemm"} {
		if outputs[name] != op {
			t.Errorf("tensor %s comes from %q, want %s", name, outputs[name], op)
		}
	}
	meta2 := map[string]string{}
	for _, kv := range m.Metadata {
		meta2[kv.Key] = kv.Value
	}
	acc := strconv.FormatFloat(res.History[0].TestAccuracy, 'f', 4, 64)
	if meta2["epochs"] != "1" || meta2["seed"] != "3" || meta2["test_accuracy"] != acc || meta2["tool"] == "" {
		t.Errorf("metadata %v", meta2)
	}
	// Dense weights are stored (in, out) in training and (out, in) for Gemm
	// with transB=1 in the file.
	w := m.Initializers["fc1.weight"]
	if w == nil {
		t.Fatal("the model has no initializer fc1.weight")
	}
	if len(w.Dims) != 2 || w.Dims[0] != Hidden || w.Dims[1] != Flat {
		t.Fatalf("fc1.weight dims %v, want [50 320]", w.Dims)
	}
	for o := 0; o < Hidden; o++ {
		for i := 0; i < Flat; i++ {
			if w.F32[o*Flat+i] != res.Params.FC1W.Data[i*Hidden+o] {
				t.Fatalf("fc1.weight[%d,%d] is not the transpose of the training weight", o, i)
			}
		}
	}
}

// Gemm with transB=1 on the exported fc2.weight/fc2.bias reproduces the
// training graph's fc2 from its fc1_relu (computed here by hand in float64;
// float32 sums of 50 terms of magnitude ≲ 10 agree to ~1e-5).
func TestExportGemmTransB(t *testing.T) {
	res, te := trainedSmall(t)
	exported, err := Export(res.Params, MetadataOf(res, 32, 0.005))
	if err != nil {
		t.Fatal(err)
	}
	m, err := exported.Build() // the initializers as a reader decodes them
	if err != nil {
		t.Fatal(err)
	}
	ws := m.Initializers
	l, err := Forward(res.Params, te.Subset(100), Fast)
	if err != nil {
		t.Fatal(err)
	}
	W, b := ws["fc2.weight"].F32, ws["fc2.bias"].F32
	for r := 0; r < 100; r++ {
		for o := 0; o < Classes; o++ {
			s := float64(b[o])
			for i := 0; i < Hidden; i++ {
				s += float64(l.FC1Relu[r*Hidden+i]) * float64(W[o*Hidden+i])
			}
			if got := float64(l.FC2[r*Classes+o]); math.Abs(got-s) > 1e-5*math.Max(1, math.Abs(s)) {
				t.Fatalf("image %d class %d: graph fc2 %v, Gemm(transB=1) on the export %v", r, o, got, s)
			}
		}
	}
}
