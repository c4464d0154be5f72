package train

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/conceptcells/conceptcells/internal/version"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// Exported tensor names. Layer 6 (fc1 after ReLU) and layer 7 (fc2, the
// logits) are the layers the paper probes.
const (
	InputName  = "input"
	OutputName = "log_probs"
	Layer6Name = "fc1_relu"
	Layer7Name = "fc2"
	Opset      = 13
)

// Metadata is written into the exported model's metadata_props.
type Metadata struct {
	Epochs       int
	Seed         uint64
	Batch        int
	LR           float64
	TestAccuracy float64 // fraction in [0, 1] on the MNIST test set
	TestLoss     float64
	History      []EpochStats
}

// Export returns p as an opset-13 ONNX inference graph (no dropout):
//
//	input [N,1,28,28] → Conv conv1 → MaxPool pool1 → Relu relu1 → Conv conv2
//	→ MaxPool pool2 → Relu relu2 → Flatten flatten → Gemm fc1 → Relu fc1_relu
//	→ Gemm fc2 → LogSoftmax log_probs [N,10]
//
// Each node's output tensor is named like the node. Initializers use
// PyTorch's names and layouts (conv1.weight [10,1,5,5], conv1.bias [10],
// fc1.weight [50,320] for Gemm with transB=1, ...): the dense weights, stored
// (in, out) for training, are transposed here.
func Export(p *Params, meta Metadata) (*onnxbuild.Model, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	f := onnxbuild.FloatTensor
	transpose := func(w Param) []float32 {
		in, out := w.Shape[0], w.Shape[1]
		t := make([]float32, in*out)
		for i := 0; i < in; i++ {
			for o := 0; o < out; o++ {
				t[o*in+i] = w.Data[i*out+o]
			}
		}
		return t
	}
	inits := []*onnxbuild.Tensor{
		f("conv1.weight", []int64{C1, 1, K, K}, p.Conv1W.Data),
		f("conv1.bias", []int64{C1}, p.Conv1B.Data),
		f("conv2.weight", []int64{C2, C1, K, K}, p.Conv2W.Data),
		f("conv2.bias", []int64{C2}, p.Conv2B.Data),
		f("fc1.weight", []int64{Hidden, Flat}, transpose(p.FC1W)),
		f("fc1.bias", []int64{Hidden}, p.FC1B.Data),
		f("fc2.weight", []int64{Classes, Hidden}, transpose(p.FC2W)),
		f("fc2.bias", []int64{Classes}, p.FC2B.Data),
	}
	node := func(op, name string, in []string, attrs ...*onnxbuild.Attr) *onnxbuild.Node {
		return onnxbuild.NewNode(op, name, in, []string{name}, attrs...)
	}
	pool := func(name, in string) *onnxbuild.Node {
		return node("MaxPool", name, []string{in}, onnxbuild.AttrInts("kernel_shape", 2, 2), onnxbuild.AttrInts("strides", 2, 2))
	}
	conv := func(name, in string) *onnxbuild.Node {
		return node("Conv", name, []string{in, name + ".weight", name + ".bias"},
			onnxbuild.AttrInts("kernel_shape", K, K), onnxbuild.AttrInts("strides", 1, 1), onnxbuild.AttrInts("pads", 0, 0, 0, 0))
	}
	gemm := func(name, in string) *onnxbuild.Node {
		return node("Gemm", name, []string{in, name + ".weight", name + ".bias"}, onnxbuild.AttrInt("transB", 1))
	}
	nodes := []*onnxbuild.Node{
		conv("conv1", InputName),
		pool("pool1", "conv1"),
		node("Relu", "relu1", []string{"pool1"}),
		conv("conv2", "relu1"),
		pool("pool2", "conv2"),
		node("Relu", "relu2", []string{"pool2"}),
		node("Flatten", "flatten", []string{"relu2"}, onnxbuild.AttrInt("axis", 1)),
		gemm("fc1", "flatten"),
		node("Relu", Layer6Name, []string{"fc1"}),
		gemm("fc2", Layer6Name),
		node("LogSoftmax", OutputName, []string{Layer7Name}, onnxbuild.AttrInt("axis", 1)),
	}
	vi := func(name string, dims ...int64) *onnxbuild.Value {
		return onnxbuild.ValueInfo(name, onnxio.Float, append([]int64{-1}, dims...), "batch")
	}
	g := &onnxbuild.Graph{
		Name:         "mnist_cnn",
		DocString:    "The paper's MNIST CNN, trained in Go with gorgonia by conceptcells train.",
		Nodes:        nodes,
		Initializers: inits,
		Inputs:       []*onnxbuild.Value{vi(InputName, 1, InH, InW)},
		Outputs:      []*onnxbuild.Value{vi(OutputName, Classes)},
		ValueInfo: []*onnxbuild.Value{
			vi("conv1", C1, H1, W1), vi("pool1", C1, P1H, P1W), vi("relu1", C1, P1H, P1W),
			vi("conv2", C2, H2, W2), vi("pool2", C2, P2H, P2W), vi("relu2", C2, P2H, P2W),
			vi("flatten", Flat), vi("fc1", Hidden), vi(Layer6Name, Hidden), vi(Layer7Name, Classes),
		},
	}
	m := onnxbuild.NewModel(g, Opset, "conceptcells")
	m.ProducerVersion = version.Version
	m.DocString = "conv1 1→10 5×5 → max-pool 2 → ReLU → conv2 10→20 5×5 → max-pool 2 → ReLU → fc1 320→50 → ReLU (layer 6, fc1_relu) → fc2 50→10 (layer 7) → log-softmax; " +
		"trained with Dropout2d(0.5) after conv2 and dropout(0.5) after fc1's ReLU (absent here), NLL loss, Adam."
	hist, err := json.Marshal(meta.History)
	if err != nil {
		return nil, err
	}
	kv := [][2]string{
		{"tool", "conceptcells " + version.Version},
		{"framework", "gorgonia.org/gorgonia v0.9.18"},
		{"dataset", "MNIST (60,000 training images; accuracy on the 10,000 test images)"},
		{"normalisation", "(x/255 - 0.1307) / 0.3081"},
		{"epochs", strconv.Itoa(meta.Epochs)},
		{"seed", strconv.FormatUint(meta.Seed, 10)},
		{"batch_size", strconv.Itoa(meta.Batch)},
		{"learning_rate", strconv.FormatFloat(meta.LR, 'g', -1, 64)},
		{"optimizer", "Adam beta1 0.9 beta2 0.999 eps 1e-8"},
		{"test_accuracy", strconv.FormatFloat(meta.TestAccuracy, 'f', 4, 64)},
		{"test_loss", strconv.FormatFloat(meta.TestLoss, 'f', 4, 64)},
		{"history", string(hist)},
		{"layer6", Layer6Name},
		{"layer7", Layer7Name},
	}
	for _, e := range kv {
		m.Metadata = append(m.Metadata, onnxio.KeyValue{Key: e[0], Value: e[1]})
	}
	if _, err := m.Build(); err != nil {
		return nil, fmt.Errorf("train: exported model is invalid: %w", err)
	}
	return m, nil
}

// MetadataOf returns the metadata for a training result.
func MetadataOf(r *Result, batch int, lr float64) Metadata {
	m := Metadata{Epochs: r.Epochs, Seed: r.Seed, Batch: batch, LR: lr, History: r.History}
	if n := len(r.History); n > 0 {
		m.TestAccuracy = r.History[n-1].TestAccuracy
		m.TestLoss = r.History[n-1].TestLoss
	}
	return m
}

// Save exports p and writes it to path atomically; an existing file is
// replaced only with force.
func Save(path string, force bool, p *Params, meta Metadata) error {
	m, err := Export(p, meta)
	if err != nil {
		return err
	}
	return m.Save(path, force)
}

// Import reads the parameters back from a model written by Export (the
// initializers by name, dense weights transposed back to (in, out)).
func Import(m *onnxio.Model) (*Params, error) {
	p := NewParams()
	for _, t := range p.List() {
		v := m.Initializers[t.Name]
		if v == nil {
			return nil, fmt.Errorf("train: model %s has no initializer %s", m.Path, t.Name)
		}
		if v.Unloaded {
			return nil, fmt.Errorf("train: model %s: initializer %s was loaded without its data", m.Path, t.Name)
		}
		if v.DType != onnxio.Float || len(v.F32) != len(t.Data) {
			return nil, fmt.Errorf("train: model %s: initializer %s is %v %v, want %d float32 values", m.Path, t.Name, v.DType, v.Dims, len(t.Data))
		}
		if len(t.Shape) == 2 && t.Shape[0] != 1 { // dense weight: file (out, in)
			in, out := t.Shape[0], t.Shape[1]
			for o := 0; o < out; o++ {
				for i := 0; i < in; i++ {
					t.Data[i*out+o] = v.F32[o*in+i]
				}
			}
		} else {
			copy(t.Data, v.F32)
		}
	}
	return p, nil
}
