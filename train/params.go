package train

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Layer sizes of the paper's CNN (the classic PyTorch MNIST example).
const (
	InH, InW = 28, 28 // input image, 1 channel
	K        = 5      // convolution kernel side
	C1, C2   = 10, 20 // channels after conv1, conv2
	H1, W1   = 24, 24 // conv1 output
	P1H, P1W = 12, 12 // pool1 output
	H2, W2   = 8, 8   // conv2 output
	P2H, P2W = 4, 4   // pool2 output
	Flat     = C2 * P2H * P2W
	Hidden   = 50
	Classes  = 10
)

// Param is one learnable tensor: name (as exported to ONNX), shape in the
// training graph's layout, and its values in row-major order.
type Param struct {
	Name  string
	Shape []int
	Data  []float32
}

// Params holds the eight learnable tensors of the network. Convolution
// weights are (out, in, kh, kw) as in ONNX. Dense weights are stored
// (in, out), the layout gorgonia's Mul(x, W) wants; Export transposes them
// for Gemm with transB=1. Biases are stored in the shape the graph adds them
// with: (1, C, 1, 1) for convolutions and (1, out) for dense layers.
type Params struct {
	Conv1W, Conv1B, Conv2W, Conv2B, FC1W, FC1B, FC2W, FC2B Param
}

// List returns the parameters in a fixed order (the order of checkpoints,
// Adam moments and gradients).
func (p *Params) List() []*Param {
	return []*Param{&p.Conv1W, &p.Conv1B, &p.Conv2W, &p.Conv2B, &p.FC1W, &p.FC1B, &p.FC2W, &p.FC2B}
}

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	q := *p
	for _, t := range q.List() {
		t.Shape = append([]int(nil), t.Shape...)
		t.Data = append([]float32(nil), t.Data...)
	}
	return &q
}

func newParam(name string, shape ...int) Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return Param{Name: name, Shape: shape, Data: make([]float32, n)}
}

// NewParams returns zero-filled parameters of the paper's CNN.
func NewParams() *Params {
	return &Params{
		Conv1W: newParam("conv1.weight", C1, 1, K, K),
		Conv1B: newParam("conv1.bias", 1, C1, 1, 1),
		Conv2W: newParam("conv2.weight", C2, C1, K, K),
		Conv2B: newParam("conv2.bias", 1, C2, 1, 1),
		FC1W:   newParam("fc1.weight", Flat, Hidden),
		FC1B:   newParam("fc1.bias", 1, Hidden),
		FC2W:   newParam("fc2.weight", Hidden, Classes),
		FC2B:   newParam("fc2.bias", 1, Classes),
	}
}

// InitParams returns parameters initialised like PyTorch's defaults for
// Conv2d and Linear: weights kaiming-uniform with a=√5, that is
// U(−b, b) with b = gain·√(3/fan_in), gain = √(2/(1+a²)) = √(1/3), so
// b = 1/√fan_in; biases U(−1/√fan_in, 1/√fan_in). fan_in is in·kh·kw for a
// convolution and in for a dense layer. Values are drawn from rng in the
// order conv1.weight, conv1.bias, conv2.weight, ..., fc2.bias, each in
// PyTorch's (out, in, ...) element order.
//
// Reference: He et al. 2015, arXiv:1502.01852; torch.nn.Linear.reset_parameters.
func InitParams(rng *rand.Rand) *Params {
	p := NewParams()
	uniform := func(dst []float32, fanIn int) {
		b := 1 / math.Sqrt(float64(fanIn))
		for i := range dst {
			dst[i] = float32((2*rng.Float64() - 1) * b)
		}
	}
	uniform(p.Conv1W.Data, 1*K*K)
	uniform(p.Conv1B.Data, 1*K*K)
	uniform(p.Conv2W.Data, C1*K*K)
	uniform(p.Conv2B.Data, C1*K*K)
	// Dense weights: draw in (out, in) order, store (in, out).
	dense := func(w *Param, in, out int) {
		tmp := make([]float32, in*out)
		uniform(tmp, in)
		for o := 0; o < out; o++ {
			for i := 0; i < in; i++ {
				w.Data[i*out+o] = tmp[o*in+i]
			}
		}
	}
	dense(&p.FC1W, Flat, Hidden)
	uniform(p.FC1B.Data, Flat)
	dense(&p.FC2W, Hidden, Classes)
	uniform(p.FC2B.Data, Hidden)
	return p
}

// check reports whether q has the shapes of the paper's CNN.
func (p *Params) check() error {
	ref := NewParams().List()
	for i, t := range p.List() {
		if t.Name != ref[i].Name || fmt.Sprint(t.Shape) != fmt.Sprint(ref[i].Shape) || len(t.Data) != len(ref[i].Data) {
			return fmt.Errorf("parameter %d: got %s %v (%d values), want %s %v", i, t.Name, t.Shape, len(t.Data), ref[i].Name, ref[i].Shape)
		}
	}
	return nil
}
