package train

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestManualEpoch trains on full MNIST when TRAIN_EPOCHS is set (manual
// timing runs only; skipped otherwise). TRAIN_PROFILE writes a CPU profile.
func TestManualEpoch(t *testing.T) {
	e, _ := strconv.Atoi(os.Getenv("TRAIN_EPOCHS"))
	if e == 0 {
		t.Skip("set TRAIN_EPOCHS to run")
	}
	n, _ := strconv.Atoi(os.Getenv("TRAIN_N"))
	tr := loadMNIST(t, "train", n)
	te := loadMNIST(t, "test", 0)
	if p := os.Getenv("TRAIN_PROFILE"); p != "" {
		f, _ := os.Create(p)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	be := Fast
	if os.Getenv("TRAIN_BACKEND") == "native" {
		be = Native
	}
	_, err := Train(context.Background(), tr, te, Options{Epochs: e, Seed: 1, Backend: be, Log: os.Stderr})
	if err != nil {
		t.Fatal(err)
	}
}

// BenchmarkTrainStep times one forward+backward pass and Adam update of a
// batch of 128 on each backend.
func BenchmarkTrainStep(b *testing.B) {
	for _, be := range []Backend{Fast, Native} {
		b.Run(be.String(), func(b *testing.B) {
			_, rng := newRNG(1)
			p := InitParams(rng)
			bt := randomBatch(128, 128, 1)
			n, err := newNet(p, 128, true, be)
			if err != nil {
				b.Fatal(err)
			}
			defer n.close()
			n.load(bt)
			var sizes []int
			var params [][]float32
			for _, t := range p.List() {
				sizes = append(sizes, len(t.Data))
				params = append(params, t.Data)
			}
			adam := NewAdam(0.001, sizes)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := n.run(); err != nil {
					b.Fatal(err)
				}
				gs, _ := n.grads()
				adam.Update(params, gs)
				for _, g := range gs {
					clear(g)
				}
			}
			b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkNativeConvBias measures what the bias BroadcastAdd costs on top
// of gorgonia's Conv2d: conv2 of the network (128×10×12×12 → 128×20×8×8),
// forward and backward, with and without the bias.
func BenchmarkNativeConvBias(b *testing.B) {
	for _, bias := range []bool{false, true} {
		name := "without-bias"
		if bias {
			name = "with-bias"
		}
		b.Run(name, func(b *testing.B) {
			g := G.NewGraph()
			rng := rand.New(rand.NewPCG(1, 1))
			rnd := func(n int) []float32 {
				v := make([]float32, n)
				for i := range v {
					v[i] = float32(rng.NormFloat64())
				}
				return v
			}
			x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(128, C1, P1H, P1W), G.WithName("x"), G.WithValue(dense([]int{128, C1, P1H, P1W}, rnd(128*C1*P1H*P1W))))
			w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(C2, C1, K, K), G.WithName("w"), G.WithValue(dense([]int{C2, C1, K, K}, rnd(C2*C1*K*K))))
			bn := G.NewTensor(g, tensor.Float32, 4, G.WithShape(1, C2, 1, 1), G.WithName("b"), G.WithValue(dense([]int{1, C2, 1, 1}, rnd(C2))))
			y := G.Must(G.Conv2d(x, w, tensor.Shape{K, K}, []int{0, 0}, []int{1, 1}, []int{1, 1}))
			learn := G.Nodes{w}
			if bias {
				y = G.Must(G.BroadcastAdd(y, bn, nil, []byte{0, 2, 3}))
				learn = append(learn, bn)
			}
			cost := G.Must(G.Sum(y))
			if _, err := G.Grad(cost, learn...); err != nil {
				b.Fatal(err)
			}
			vm := G.NewTapeMachine(g, G.BindDualValues(learn...))
			defer vm.Close()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				vm.Reset()
				if err := vm.RunAll(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestManualDumpForPyTorch writes, when TRAIN_DUMP is a folder, the initial
// seed-1 weights (model.onnx), the first training batch of epoch 1 with its
// dropout masks, and our loss and gradients (PyTorch layouts), for
// `train/pytorch_ref.py --grad DIR` to recompute in PyTorch. Manual only.
func TestManualDumpForPyTorch(t *testing.T) {
	dir := os.Getenv("TRAIN_DUMP")
	if dir == "" {
		t.Skip("set TRAIN_DUMP to a folder to run")
	}
	tr := loadMNIST(t, "test", 0) // any labelled images will do
	_, rng := newRNG(1)
	p := InitParams(rng)
	if err := Save(filepath.Join(dir, "model.onnx"), true, p, Metadata{}); err != nil {
		t.Fatal(err)
	}
	const B = 128
	perm := rng.Perm(tr.Len())
	b := newBatch(B)
	b.fill(tr, perm, 0, B, rng)
	loss, grads := lossAndGrads(t, p, b, Fast)
	labels := make([]int64, B)
	m2 := make([]float32, B*C2)
	for r := 0; r < B; r++ {
		for k := 0; k < Classes; k++ {
			if b.target[r*Classes+k] != 0 {
				labels[r] = int64(k)
			}
		}
		for c := 0; c < C2; c++ {
			m2[r*C2+c] = b.mask2d[(r*C2+c)*H2*W2]
		}
	}
	write := func(name string, shape []int, data any) {
		if err := dataset.WriteNpy(filepath.Join(dir, name), true, shape, data); err != nil {
			t.Fatal(err)
		}
	}
	write("x.npy", []int{B, 1, InH, InW}, b.x)
	write("labels.npy", []int{B}, labels)
	write("mask2d.npy", []int{B, C2}, m2)
	write("maskfc.npy", []int{B, Hidden}, b.maskFC)
	write("loss.npy", []int{1}, []float32{loss})
	for i, prm := range NewParams().List() {
		g := grads[i]
		shape := prm.Shape
		switch len(shape) {
		case 2:
			if shape[0] == 1 { // bias (1, out)
				shape = []int{shape[1]}
			} else { // dense weight (in, out) → (out, in)
				in, out := shape[0], shape[1]
				tg := make([]float32, len(g))
				for a := 0; a < in; a++ {
					for o := 0; o < out; o++ {
						tg[o*in+a] = g[a*out+o]
					}
				}
				g, shape = tg, []int{out, in}
			}
		case 4:
			if shape[0] == 1 { // conv bias (1, C, 1, 1)
				shape = []int{shape[1]}
			}
		}
		write("grad_"+prm.Name+".npy", shape, g)
	}
	t.Logf("loss %.7f; wrote %s", loss, dir)
}
