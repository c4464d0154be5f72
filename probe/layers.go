package probe

import (
	"errors"
	"fmt"
	"slices"

	"github.com/conceptcells/conceptcells/onnxio"
)

// Layer choice: the paper probes "layer 6" (the 50 ReLU units of fc1) and
// "layer 7" (the 10 logits of fc2) of its CNN — the last two hidden layers
// before the output, post-activation. ChooseLayers finds them in any graph
// by walking back from the output.

// outputOps are ops walked through backwards from the output before the
// final layer is reached: they normalise or reshape the final layer's
// values without being a layer of their own.
var outputOps = []string{"LogSoftmax", "Softmax", "Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Cast"}

// layerOps produce the final layer: a dense (or 1×1 conv) projection.
var layerOps = []string{"Gemm", "MatMul", "Conv"}

// shapeOps are walked through backwards from the final layer's input to the
// pre-final layer's tensor: they only move or copy values.
var shapeOps = []string{"Identity", "Dropout", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Cast"}

// ErrNameLayers is wrapped by ChooseLayers' errors when the graph does not
// end as it expects: the layers must be named (Options.Layers).
var ErrNameLayers = errors.New("the layers must be named")

// LayerChoice is the outcome of ChooseLayers.
type LayerChoice struct {
	PreFinal, Final string // tensor names
	// Why explains the choice in one sentence per layer.
	Why []string
}

// ChooseLayers picks the paper's two layers in m: the final layer is the
// output of the last Gemm/MatMul/Conv before the first graph output,
// reached backwards through LogSoftmax, Softmax, Identity, Dropout, Flatten,
// Reshape, Squeeze or Cast (a MatMul followed by a bias Add ends at the
// Add); the pre-final layer is the tensor feeding that projection, reached
// backwards through shape-only ops — for a PyTorch MLP head that is the
// output of the activation (ReLU) of the previous layer. It is an error
// when the graph does not end that way (wrapping ErrNameLayers); then the
// caller names the layers (Options.Layers).
func ChooseLayers(m *onnxio.Model) (*LayerChoice, error) {
	if len(m.Outputs) == 0 {
		return nil, fmt.Errorf("choosing layers: the model has no graph output")
	}
	out := m.Outputs[0].Name()
	t := out
	var final *onnxio.Node
	finalTensor := ""
	for steps := 0; steps < len(m.Nodes)+1; steps++ {
		n, _ := m.Producer(t)
		if n == nil {
			break
		}
		op := n.OpType()
		if n.Domain() != "" && n.Domain() != "ai.onnx" {
			break
		}
		if op == "Add" {
			// MatMul + bias: the final layer is the sum.
			for _, in := range n.Inputs() {
				if p, _ := m.Producer(in); p != nil && p.OpType() == "MatMul" {
					final, finalTensor = p, t
					break
				}
			}
			if final != nil {
				break
			}
		}
		if slices.Contains(layerOps, op) {
			final, finalTensor = n, t
			break
		}
		if !slices.Contains(outputOps, op) || len(n.Inputs()) == 0 {
			break
		}
		t = n.Inputs()[0]
	}
	if final == nil {
		return nil, fmt.Errorf("choosing layers: walking back from output %q through %v found no Gemm, MatMul or Conv: %w", out, outputOps, ErrNameLayers)
	}
	if len(final.Inputs()) == 0 {
		return nil, fmt.Errorf("choosing layers: node %q (%s) has no input", final.Name(), final.OpType())
	}
	pre := final.Inputs()[0]
	for steps := 0; steps < len(m.Nodes); steps++ {
		n, _ := m.Producer(pre)
		if n == nil || !slices.Contains(shapeOps, n.OpType()) || len(n.Inputs()) == 0 {
			break
		}
		pre = n.Inputs()[0]
	}
	pn, _ := m.Producer(pre)
	if pn == nil {
		return nil, fmt.Errorf("choosing layers: the input of the final layer %q is %q, a graph input or weight, not a hidden layer: %w", finalTensor, pre, ErrNameLayers)
	}
	c := &LayerChoice{PreFinal: pre, Final: finalTensor}
	c.Why = []string{
		fmt.Sprintf("final layer %q: output of %s node %q, the last projection before the output %q", finalTensor, final.OpType(), final.Name(), out),
		fmt.Sprintf("pre-final layer %q: output of %s node %q, which feeds the final layer", pre, pn.OpType(), pn.Name()),
	}
	return c, nil
}
