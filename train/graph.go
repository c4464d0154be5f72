package train

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Backend selects how the convolutions and pooling are computed inside the
// gorgonia graph.
type Backend int

const (
	// Fast uses this package's own gorgonia ops on the shared kernels
	// (internal/kernels): convolution with fused bias (im2col + packed GEMM,
	// NCHW out), fully connected layers with bias (packed GEMM), 2×2
	// max-pooling fused with the ReLU after it, and a row-wise log-softmax,
	// each with a hand-derived backward op.
	Fast Backend = iota
	// Native uses gorgonia's own Conv2d (no bias: added with BroadcastAdd),
	// MaxPool2D and Mul (bias added with BroadcastAdd), with our log-softmax
	// (gorgonia's has a max bug).
	// It is the reference the Fast ops are tested against.
	Native
)

func (b Backend) String() string {
	switch b {
	case Fast:
		return "fast"
	case Native:
		return "native"
	}
	return fmt.Sprintf("Backend(%d)", int(b))
}

// net is one compiled gorgonia graph of the CNN with a fixed batch size.
// A training net has dropout mask inputs, a loss and gradients; an
// inference net ends at the log-probabilities.
type net struct {
	batch    int
	training bool
	g        *G.ExprGraph
	vm       G.VM

	// inputs, bound once; their backing slices are refilled per batch.
	x, mask2d, maskFC, target  *G.Node
	xT, mask2dT, maskFCT, tgtT *tensor.Dense

	weights G.Nodes // in Params.List order

	// layer outputs, for the export cross-check.
	conv1, relu1, conv2, relu2, fc1, fc1Relu, fc2, logp *G.Node
	loss                                                *G.Node
}

func dense(shape []int, data []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(data))
}

// newNet builds the CNN over p for batch images. The weight nodes are bound
// to p's slices, so updating p in place updates the graph. With training,
// the graph multiplies by dropout masks (inputs mask2d (B,20,8,8) after
// conv2 and maskFC (B,50) after fc1's ReLU, values 0 or 1/(1−p)) and
// computes loss = −Σ logp ⊙ target, where target holds one-hot rows scaled by
// 1/(real batch size) and zero rows for padding; gradients are taken w.r.t.
// every weight.
func newNet(p *Params, batch int, training bool, backend Backend) (*net, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	n := &net{batch: batch, training: training, g: G.NewGraph()}
	g := n.g
	for _, t := range p.List() {
		w := G.NewTensor(g, tensor.Float32, len(t.Shape), G.WithShape(t.Shape...), G.WithName(t.Name),
			G.WithValue(dense(t.Shape, t.Data)))
		n.weights = append(n.weights, w)
	}
	c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b := n.weights[0], n.weights[1], n.weights[2], n.weights[3], n.weights[4], n.weights[5], n.weights[6], n.weights[7]

	n.xT = tensor.New(tensor.WithShape(batch, 1, InH, InW), tensor.Of(tensor.Float32))
	n.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, 1, InH, InW), G.WithName("input"), G.WithValue(n.xT))
	if training {
		n.mask2dT = tensor.New(tensor.WithShape(batch, C2, H2, W2), tensor.Of(tensor.Float32))
		n.mask2d = G.NewTensor(g, tensor.Float32, 4, G.WithShape(batch, C2, H2, W2), G.WithName("mask2d"), G.WithValue(n.mask2dT))
		n.maskFCT = tensor.New(tensor.WithShape(batch, Hidden), tensor.Of(tensor.Float32))
		n.maskFC = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, Hidden), G.WithName("maskFC"), G.WithValue(n.maskFCT))
		n.tgtT = tensor.New(tensor.WithShape(batch, Classes), tensor.Of(tensor.Float32))
		n.target = G.NewMatrix(g, tensor.Float32, G.WithShape(batch, Classes), G.WithName("target"), G.WithValue(n.tgtT))
	}

	var err error
	must := func(x *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return x
	}
	conv := func(x, w, b *G.Node) *G.Node {
		if backend == Fast {
			return must(Conv2dBias(x, w, b))
		}
		c := must(G.Conv2d(x, w, tensor.Shape{K, K}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
		if err != nil {
			return nil
		}
		return must(G.BroadcastAdd(c, b, nil, []byte{0, 2, 3}))
	}
	poolRelu := func(x *G.Node) *G.Node {
		if backend == Fast {
			return must(MaxPool2x2Relu(x))
		}
		return must(G.Rectify(must(G.MaxPool2D(x, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2}))))
	}
	n.conv1 = conv(n.x, c1w, c1b)
	if err != nil {
		return nil, fmt.Errorf("train: building conv1: %w", err)
	}
	n.relu1 = poolRelu(n.conv1)
	n.conv2 = conv(n.relu1, c2w, c2b)
	if err != nil {
		return nil, fmt.Errorf("train: building conv2: %w", err)
	}
	c2 := n.conv2
	if training {
		if backend == Fast {
			c2 = must(MulMask(c2, n.mask2d))
		} else {
			c2 = must(G.HadamardProd(c2, n.mask2d))
		}
	}
	n.relu2 = poolRelu(c2)
	flat := must(G.Reshape(n.relu2, tensor.Shape{batch, Flat}))
	dense := func(x, w, b *G.Node) *G.Node {
		if backend == Fast {
			return must(Dense(x, w, b))
		}
		return must(G.BroadcastAdd(must(G.Mul(x, w)), b, nil, []byte{0}))
	}
	n.fc1 = dense(flat, f1w, f1b)
	var h *G.Node
	if backend == Fast {
		n.fc1Relu = must(Relu(n.fc1))
		h = n.fc1Relu
		if training {
			h = must(MulMask(h, n.maskFC))
		}
	} else {
		n.fc1Relu = must(G.Rectify(n.fc1))
		h = n.fc1Relu
		if training {
			h = must(G.HadamardProd(h, n.maskFC))
		}
	}
	n.fc2 = dense(h, f2w, f2b)
	n.logp = must(LogSoftmax(n.fc2))
	if err != nil {
		return nil, fmt.Errorf("train: building the graph: %w", err)
	}
	if training {
		n.loss = must(G.Neg(must(G.Sum(must(G.HadamardProd(n.logp, n.target))))))
		if err != nil {
			return nil, fmt.Errorf("train: building the loss: %w", err)
		}
		if _, err := G.Grad(n.loss, n.weights...); err != nil {
			return nil, fmt.Errorf("train: differentiating the loss: %w", err)
		}
		n.vm = G.NewTapeMachine(g, G.BindDualValues(n.weights...))
	} else {
		n.vm = G.NewTapeMachine(g)
	}
	return n, nil
}

// run executes the graph once on the bound inputs.
func (n *net) run() error {
	n.vm.Reset()
	if err := n.vm.RunAll(); err != nil {
		return fmt.Errorf("train: running the graph: %w", err)
	}
	return nil
}

// lossValue returns the loss of the last run.
func (n *net) lossValue() float32 {
	v := n.loss.Value()
	switch x := v.(type) {
	case *G.F32:
		return float32(*x)
	case tensor.Tensor:
		return x.Data().(float32)
	}
	panic(fmt.Sprintf("train: unexpected loss value %T", v))
}

// grads returns the gradient slices of the weights (in Params.List order).
// They accumulate over runs until zeroGrads.
func (n *net) grads() ([][]float32, error) {
	out := make([][]float32, len(n.weights))
	for i, w := range n.weights {
		gv, err := w.Grad()
		if err != nil {
			return nil, fmt.Errorf("train: gradient of %s: %w", w.Name(), err)
		}
		out[i] = gv.Data().([]float32)
	}
	return out, nil
}

// zeroGrads clears the accumulated gradients.
func (n *net) zeroGrads() error {
	gs, err := n.grads()
	if err != nil {
		return err
	}
	for _, g := range gs {
		clear(g)
	}
	return nil
}

// data returns the float32 values of a node after a run.
func data(n *G.Node) []float32 {
	return n.Value().Data().([]float32)
}

func (n *net) close() {
	if n.vm != nil {
		n.vm.Close()
	}
}
