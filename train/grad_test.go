package train

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomBatch returns a batch of n random images (normal-ish values like
// normalised MNIST), random labels and masks drawn like training does.
func randomBatch(size, n int, seed uint64) *batch {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := Data{X: make([]float32, n*ImageSize), Y: make([]int, n)}
	for i := range d.X {
		d.X[i] = float32(rng.NormFloat64())
	}
	for i := range d.Y {
		d.Y[i] = rng.IntN(Classes)
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	b := newBatch(size)
	b.fill(d, perm, 0, n, rng)
	return b
}

func (n *net) load(b *batch) {
	copy(n.xT.Data().([]float32), b.x)
	copy(n.mask2dT.Data().([]float32), b.mask2d)
	copy(n.maskFCT.Data().([]float32), b.maskFC)
	copy(n.tgtT.Data().([]float32), b.target)
}

// lossAndGrads runs one training step's forward and backward pass and
// returns the loss and copies of the gradients.
func lossAndGrads(t *testing.T, p *Params, b *batch, backend Backend) (float32, [][]float32) {
	t.Helper()
	n, err := newNet(p, len(b.target)/Classes, true, backend)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	n.load(b)
	if err := n.run(); err != nil {
		t.Fatal(err)
	}
	gs, err := n.grads()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]float32, len(gs))
	for i, g := range gs {
		out[i] = append([]float32(nil), g...)
	}
	return n.lossValue(), out
}

func maxAbs(v []float32) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, math.Abs(float64(x)))
	}
	return m
}

// TestFastMatchesNative checks that our ops (fused conv+bias, dense+bias,
// 2×2 pool) give the same loss and gradients as gorgonia's own Conv2d +
// BroadcastAdd + MaxPool2D + Mul + BroadcastAdd on the whole CNN. Both are float32 with different summation
// orders, so they agree to ~1e-6 relative to each tensor's largest gradient.
func TestFastMatchesNative(t *testing.T) {
	_, rng := newRNG(3)
	p := InitParams(rng)
	b := randomBatch(6, 5, 1) // one padded row
	lf, gf := lossAndGrads(t, p, b, Fast)
	ln, gn := lossAndGrads(t, p, b, Native)
	if math.Abs(float64(lf-ln)) > 1e-5 {
		t.Errorf("loss: fast %v, native %v", lf, ln)
	}
	for i, name := range paramNames() {
		scale := maxAbs(gn[i])
		if scale == 0 {
			t.Errorf("%s: native gradient is all zero", name)
			continue
		}
		for j := range gf[i] {
			if d := math.Abs(float64(gf[i][j] - gn[i][j])); d > 1e-5*scale+1e-7 {
				t.Errorf("%s[%d]: fast %g, native %g (scale %g)", name, j, gf[i][j], gn[i][j], scale)
				break
			}
		}
	}
}

func paramNames() []string {
	var s []string
	for _, p := range NewParams().List() {
		s = append(s, p.Name)
	}
	return s
}

// TestGradientNumeric compares the backpropagated gradient with central
// differences (L(θ+h) − L(θ−h)) / 2h on a few entries of every tensor.
// The loss is float32 (~2e-7 absolute at L≈2.3), so with h = 1e-3 the
// rounding error of a difference quotient is ~1e-4; the network is
// piecewise linear, so the only other error is a ReLU/max kink crossed
// within ±h (with h = 1e-2, 5 of 32 entries crossed one).
// Tolerance 1e-3 + 5% relative.
func TestGradientNumeric(t *testing.T) {
	_, rng := newRNG(5)
	p := InitParams(rng)
	b := randomBatch(3, 3, 2)
	_, grads := lossAndGrads(t, p, b, Fast)

	n, err := newNet(p, 3, true, Fast)
	if err != nil {
		t.Fatal(err)
	}
	defer n.close()
	n.load(b)
	loss := func() float64 {
		if err := n.run(); err != nil {
			t.Fatal(err)
		}
		return float64(n.lossValue())
	}
	const h = 1e-3
	pick := rand.New(rand.NewPCG(9, 9))
	bad := 0
	for i, prm := range p.List() {
		for k := 0; k < 4; k++ {
			j := pick.IntN(len(prm.Data))
			old := prm.Data[j]
			prm.Data[j] = old + h
			lp := loss()
			prm.Data[j] = old - h
			lm := loss()
			prm.Data[j] = old
			num := (lp - lm) / (2 * h)
			got := float64(grads[i][j])
			if math.Abs(num-got) > 1e-3+0.05*math.Abs(num) {
				t.Logf("%s[%d]: backprop %g, numeric %g", prm.Name, j, got, num)
				bad++
			}
		}
	}
	// A kink crossing can spoil an isolated entry; more than one is a bug.
	if bad > 1 {
		t.Errorf("%d of 32 gradient entries disagree with central differences", bad)
	}
}
