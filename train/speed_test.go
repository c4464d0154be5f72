package train

import (
	"context"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strconv"
	"testing"

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
	_, err := Train(context.Background(), tr, te, Options{Epochs: e, Seed: 1, Backend: be, Log: os.Stderr, Quiet: true})
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
