package probe

import (
	"fmt"
	"slices"
	"strings"

	"github.com/conceptcells/conceptcells/onnxio"
)

// Reductions accepted by CollectOptions.Reduce and Options.Reduce. A
// reduction turns one sample's values of a hooked tensor into its units.
const (
	// ReduceNone keeps every value of a sample: units = C×H×W (flattened in C
	// order, as numpy's reshape(N, -1) does).
	ReduceNone = "none"
	// ReduceSpatialMean keeps one value per channel: the mean over every
	// axis after the channel axis (H×W of N×C×H×W, L of N×C×L), so
	// units = C. Tensors of rank 2 ([N, C]) are kept as they are.
	ReduceSpatialMean = "spatial-mean"
	// ReduceSpatialMax is ReduceSpatialMean with the maximum instead of
	// the mean (NaN when any value of the channel is NaN).
	ReduceSpatialMax = "spatial-max"
	// ReduceTokenMean keeps one value per feature of a token tensor
	// (N×T×D, the last axis the features): the mean over the tokens (over
	// every axis but the last), so units = D.
	ReduceTokenMean = "token-mean"
	// ReduceCLS keeps the features of token 0 of a token tensor (the class
	// token of a ViT), so units = D.
	ReduceCLS = "cls"
	// ReduceAuto picks per tensor: ReduceNone for vectors ([N, C]),
	// ReduceCLS for token tensors and ReduceSpatialMean for the rest (see
	// TokenLayout for how token tensors are told from N×C×L).
	ReduceAuto = "auto"
)

// reductions lists every valid mode, for messages.
var reductions = []string{ReduceAuto, ReduceSpatialMean, ReduceSpatialMax, ReduceTokenMean, ReduceCLS, ReduceNone}

// ValidReduce reports whether mode is a reduction name ("" counts as
// ReduceAuto for Options and ReduceNone for CollectOptions).
func ValidReduce(mode string) error {
	if mode == "" || slices.Contains(reductions, mode) {
		return nil
	}
	return fmt.Errorf("reduce %q: want one of %s", mode, strings.Join(reductions, ", "))
}

func isSpatialMode(mode string) bool { return mode == ReduceSpatialMean || mode == ReduceSpatialMax }
func isTokenMode(mode string) bool   { return mode == ReduceTokenMean || mode == ReduceCLS }

// chooseReduce returns the reduction of a tensor whose per-sample shape
// is shape, given the mode asked and whether it was asked for this tensor
// by name (explicit) or for all tensors:
//
//   - a per-sample vector (rank ≤ 1) is never reduced (ReduceNone);
//   - an explicit mode is used as asked;
//   - ReduceAuto gives ReduceCLS for a token tensor (N×T×D),
//     ReduceTokenMean for a features-last tensor of higher rank (N×H×W×C,
//     the mean over the positions) and ReduceSpatialMean otherwise;
//   - a global spatial mode applies to spatial tensors and a global token
//     mode to token tensors; the other kind gets its automatic mode;
//   - ReduceNone applies to all.
//
// Token modes treat the last axis as the features and every other axis
// as tokens (ReduceCLS takes index 0 of each).
func chooseReduce(mode string, explicit, token bool, shape []int) string {
	if len(shape) <= 1 {
		return ReduceNone
	}
	auto := ReduceSpatialMean
	switch {
	case token && len(shape) == 2:
		auto = ReduceCLS
	case token:
		auto = ReduceTokenMean
	}
	got := mode
	switch {
	case mode == "" || mode == ReduceAuto:
		got = auto
	case explicit || mode == ReduceNone:
	case isSpatialMode(mode) && token, isTokenMode(mode) && !token:
		got = auto
	}
	return got
}

// reducedUnits returns the units per sample of a tensor of per-sample
// shape after reduction mode.
func reducedUnits(shape []int, mode string) int {
	switch {
	case len(shape) == 0:
		return 1
	case len(shape) >= 2 && isSpatialMode(mode):
		return shape[0]
	case len(shape) >= 2 && isTokenMode(mode):
		return shape[len(shape)-1]
	}
	return prod(shape)
}

// reduceRows reduces b samples of per-sample shape from src (b × prod(shape)
// values) into dst (b × reducedUnits(shape, mode) values).
func reduceRows(dst, src []float32, b int, shape []int, mode string) {
	per := prod(shape)
	units := reducedUnits(shape, mode)
	if units == per {
		copy(dst, src[:b*per])
		return
	}
	switch mode {
	case ReduceSpatialMean, ReduceSpatialMax:
		hw := per / units
		inv := 1 / float64(hw)
		for i := range b * units {
			x := src[i*hw : (i+1)*hw]
			if mode == ReduceSpatialMax {
				m := x[0]
				for _, v := range x[1:] {
					if v > m || v != v {
						m = v
					}
					if m != m {
						break
					}
				}
				dst[i] = m
				continue
			}
			var s float64
			for _, v := range x {
				s += float64(v)
			}
			dst[i] = float32(s * inv)
		}
	case ReduceCLS:
		for i := range b {
			copy(dst[i*units:(i+1)*units], src[i*per:i*per+units])
		}
	case ReduceTokenMean:
		t := per / units
		inv := 1 / float64(t)
		acc := make([]float64, units)
		for i := range b {
			clear(acc)
			for k := range t {
				for j, v := range src[i*per+k*units : i*per+(k+1)*units] {
					acc[j] += float64(v)
				}
			}
			for j, s := range acc {
				dst[i*units+j] = float32(s * inv)
			}
		}
	default:
		panic("probe: reduceRows: unknown mode " + mode)
	}
}

// Layouts of a hooked tensor, as TokenLayout tells them.
const (
	LayoutVector   = "vector"   // N×C
	LayoutChannels = "channels" // N×C×H×W or N×C×L: channels first
	LayoutTokens   = "tokens"   // N×T×D: tokens, features last
)

// elementwise ops are walked through by TokenLayout: they keep the layout.
var elementwiseOps = []string{"Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Erf", "Relu", "Gelu", "Sigmoid", "Tanh",
	"LeakyRelu", "HardSigmoid", "HardSwish", "Clip", "Dropout", "Identity", "Cast", "Neg", "Abs", "Exp"}

// channelOps read or write channels-first tensors (the channel axis 1).
var channelOps = []string{"Conv", "ConvTranspose", "BatchNormalization", "InstanceNormalization", "MaxPool",
	"AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "LRN"}

// maxLayoutSteps bounds the nodes TokenLayout visits.
const maxLayoutSteps = 64

// TokenLayout tells a transformer's token tensor (N×T×D, features on the
// last axis) from a channels-first N×C×L tensor of the same rank by how
// the graph treats it. The rule, looking at the nodes next to the tensor
// and walking on through elementwise ops (Add, Mul, Erf, Relu, Dropout, …;
// the nearest evidence wins, breadth first):
//
//   - tokens: it is written or read by LayerNormalization normalising the
//     last axis only (axis −1); read by ReduceMean over axis −1 only (the
//     decomposed LayerNorm of opsets < 17); or written or read as the data
//     operand of a MatMul with a 2-D weight initializer (a Linear layer
//     applied to every token);
//   - channels: it is written or read by Conv, BatchNormalization, a
//     pooling op or another channels-first op;
//   - channels when nothing decides.
//
// It returns the layout and the reason in words. The rank is not checked:
// the caller applies it to tensors of per-sample rank 2.
func TokenLayout(m *onnxio.Model, tensor string) (layout, why string) {
	users := map[string][]*onnxio.Node{}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs() {
			users[in] = append(users[in], n)
		}
	}
	seen := map[string]bool{tensor: true}
	queue := []string{tensor}
	for steps := 0; len(queue) > 0 && steps < maxLayoutSteps; steps++ {
		t := queue[0]
		queue = queue[1:]
		var next []string
		if p, _ := m.Producer(t); p != nil {
			if l, w := nodeLayout(m, p, t, false); l != "" {
				return l, w
			}
			if slices.Contains(elementwiseOps, p.OpType()) {
				next = append(next, p.Inputs()...)
			}
		}
		for _, u := range users[t] {
			if l, w := nodeLayout(m, u, t, true); l != "" {
				return l, w
			}
			if slices.Contains(elementwiseOps, u.OpType()) {
				next = append(next, u.Outputs()...)
			}
		}
		for _, n := range next {
			if n != "" && !seen[n] && m.Initializers[n] == nil {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return LayoutChannels, "no LayerNormalization, token MatMul or channel op next to it: channels first"
}

// nodeLayout returns the layout node n implies for tensor t (its input
// when read, else its output), or "" when n says nothing.
func nodeLayout(m *onnxio.Model, n *onnxio.Node, t string, read bool) (string, string) {
	op := n.OpType()
	verb := "written"
	if read {
		verb = "read"
	}
	// PyTorch writes the last axis as -1; a positive axis would need the
	// rank to be read.
	lastAxisOnly := func(axes []int64) bool { return len(axes) == 1 && axes[0] == -1 }
	switch {
	case slices.Contains(channelOps, op):
		return LayoutChannels, fmt.Sprintf("%s by %s %q: channels first", verb, op, n.Name())
	case op == "LayerNormalization":
		if read && (len(n.Inputs()) == 0 || n.Inputs()[0] != t) {
			return "", ""
		}
		axis, err := n.Attrs().Int("axis", -1)
		if err == nil && lastAxisOnly([]int64{axis}) {
			return LayoutTokens, fmt.Sprintf("%s by LayerNormalization %q over the last axis: tokens × features", verb, n.Name())
		}
	case op == "ReduceMean" && read:
		axes, err := n.Attrs().Ints("axes", nil)
		if err == nil && axes == nil && len(n.Inputs()) > 1 {
			if c := m.Initializers[n.Inputs()[1]]; c != nil {
				axes, _ = c.Int64s()
			}
		}
		if lastAxisOnly(axes) {
			return LayoutTokens, fmt.Sprintf("read by ReduceMean %q over the last axis (a LayerNorm): tokens × features", n.Name())
		}
	case op == "MatMul":
		in := n.Inputs()
		if len(in) != 2 {
			return "", ""
		}
		if w := m.Initializers[in[1]]; w != nil && len(w.Dims) == 2 && (!read || in[0] == t) {
			return LayoutTokens, fmt.Sprintf("%s by MatMul %q with a %d×%d weight over the last axis: tokens × features", verb, n.Name(), w.Dims[0], w.Dims[1])
		}
	}
	return "", ""
}

// FormatShape writes a per-point shape as its sizes joined by "×", e.g.
// "256×4×4".
func FormatShape(shape []int) string {
	s := make([]string, len(shape))
	for i, x := range shape {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "×")
}
