package train

import "math"

// Adam is the Adam optimiser with PyTorch's update rule (no weight decay):
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	θ ← θ − lr · (m / (1−β1ᵗ)) / (√(v / (1−β2ᵗ)) + ε)
//
// Its state (step count and moments) is exported so checkpoints can save
// it; gorgonia's AdamSolver keeps both private. The gradient is used as
// given: the loss is already a mean over the batch, so nothing is divided
// by the batch size (gorgonia's WithBatchSize would do that a second time).
//
// Reference: Kingma & Ba 2015, arXiv:1412.6980; torch.optim.Adam.
type Adam struct {
	LR, Beta1, Beta2, Eps float64
	Step                  int64       // number of updates done
	M, V                  [][]float32 // first and second moments, one per parameter
}

// NewAdam returns Adam with β1 0.9, β2 0.999, ε 1e-8 and zero moments for
// parameters of the given sizes.
func NewAdam(lr float64, sizes []int) *Adam {
	a := &Adam{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
	for _, n := range sizes {
		a.M = append(a.M, make([]float32, n))
		a.V = append(a.V, make([]float32, n))
	}
	return a
}

// Update applies one step to params using grads (same order and sizes as
// the moments).
func (a *Adam) Update(params, grads [][]float32) {
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	b1, b2 := float32(a.Beta1), float32(a.Beta2)
	step := float32(a.LR / c1)
	sc2 := float32(math.Sqrt(c2))
	eps := float32(a.Eps)
	for i, p := range params {
		m, v, g := a.M[i], a.V[i], grads[i]
		for j := range p {
			gj := g[j]
			m[j] = b1*m[j] + (1-b1)*gj
			v[j] = b2*v[j] + (1-b2)*gj*gj
			denom := float32(math.Sqrt(float64(v[j])))/sc2 + eps
			p[j] -= step * m[j] / denom
		}
	}
}
