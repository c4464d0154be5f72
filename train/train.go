// Package train trains the paper's MNIST CNN in Go with gorgonia and
// exports it to ONNX.
//
// The network (the paper's, identical to the classic PyTorch MNIST example)
// is conv1 1→10 5×5 → max-pool 2 → ReLU → conv2 10→20 5×5 → Dropout2d(0.5)
// → max-pool 2 → ReLU → flatten 320 → fc1 320→50 → ReLU → dropout(0.5) →
// fc2 50→10 → log-softmax, trained with NLL loss and Adam (lr 0.001, batch
// 128, 10 epochs) on inputs (x/255 − 0.1307)/0.3081.
//
// The graph is built once per batch size with gorgonia and run on a tape
// machine. Convolution and fully connected layers (with their biases), 2×2
// max-pooling (with the ReLU after it) and log-softmax are ops of this
// package (gorgonia's Op interface with symbolic gradients), computed with
// the kernels of internal/kernels that the executor uses too; the Native
// backend uses gorgonia's own Conv2d, MaxPool2D and Mul and serves as
// their reference.
// Dropout masks are inputs drawn from a seeded PCG generator, the loss is
// −Σ logp ⊙ (one-hot / real batch size) with zero rows for the padding of
// the last batch, and Adam is ours (its state must be checkpointed).
// Training is bit-identical for a seed, checkpoints atomically after every
// epoch (weights, Adam moments, RNG state, history) and resumes from a
// checkpoint. Export writes a clean opset-13 inference graph.
package train

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"
)

// Options configures Train. The zero value of a field means its default.
type Options struct {
	Epochs    int     // default 10
	Batch     int     // default 128
	LR        float64 // Adam learning rate, default 0.001
	Seed      uint64  // RNG seed for init, shuffling and dropout; 0 is a valid seed
	EvalBatch int     // images per forward pass when evaluating, default 1000
	Backend   Backend // default Fast

	// Checkpoint is a directory where the state is saved atomically after
	// every epoch ("" for none). With Resume, training continues from the
	// checkpoint there if one exists.
	Checkpoint string
	Resume     bool

	// StopAfter stops (as if interrupted) once this many epochs are done in
	// this call; 0 means no limit. For tests of resuming.
	StopAfter int

	Log io.Writer // per-epoch summary lines; nil for none
	// Progress, when not nil, is called at the start of every epoch and
	// after each of its training batches (see Progress).
	Progress func(Progress)
}

// Progress is how far an epoch of Train has got: Batch of Batches
// training batches are done (0 at the start of the epoch, Batches last),
// covering Images training images in Elapsed, and Loss is the last
// batch's loss (0 before the first batch). Calls come from one goroutine.
type Progress struct {
	Epoch, Epochs  int // 1-based epoch, and the last epoch
	Batch, Batches int
	Images         int
	Loss           float64
	Elapsed        time.Duration
}

// DefaultOptions is the paper's recipe.
var DefaultOptions = Options{Epochs: 10, Batch: 128, LR: 0.001, Seed: 1, EvalBatch: 1000}

func (o Options) withDefaults() Options {
	o.Epochs = cmp.Or(o.Epochs, DefaultOptions.Epochs)
	o.Batch = cmp.Or(o.Batch, DefaultOptions.Batch)
	o.LR = cmp.Or(o.LR, DefaultOptions.LR)
	o.EvalBatch = cmp.Or(o.EvalBatch, DefaultOptions.EvalBatch)
	return o
}

// Dropout probabilities of the paper's network.
const (
	PDrop2d = 0.5 // Dropout2d after conv2 (whole channels)
	PDropFC = 0.5 // dropout after fc1's ReLU
)

// EpochStats summarises one epoch.
type EpochStats struct {
	Epoch        int     // 1-based
	TrainLoss    float64 // mean NLL over the epoch's training images (with dropout)
	TestLoss     float64 // mean NLL on the test set
	TestAccuracy float64 // fraction of test images classified right
	Seconds      float64 // wall time of the training pass (without evaluation)
	ImagesPerSec float64
}

// Result is what Train returns: the trained parameters and the per-epoch
// history (including epochs done before a resume).
type Result struct {
	Params  *Params
	History []EpochStats
	Seed    uint64
	Epochs  int
}

// newRNG returns the generator for a seed: PCG with a fixed stream.
func newRNG(seed uint64) (*rand.PCG, *rand.Rand) {
	src := rand.NewPCG(seed, 0x636f6e6365707463) // "concepc"
	return src, rand.New(src)
}

// batch is one prepared training batch.
type batch struct {
	x, mask2d, maskFC, target []float32
	n                         int // real images; the rest is padding
}

func newBatch(size int) *batch {
	return &batch{
		x:      make([]float32, size*ImageSize),
		mask2d: make([]float32, size*C2*H2*W2),
		maskFC: make([]float32, size*Hidden),
		target: make([]float32, size*Classes),
	}
}

// fill loads the images perm[lo:hi] into b and draws its dropout masks from
// rng: for each image, C2 channel keep/drop draws for Dropout2d and then
// Hidden element draws for dropout, kept values scaled by 1/(1−p). Padded
// rows get zero images, masks and targets.
func (b *batch) fill(d Data, perm []int, lo, hi int, rng *rand.Rand) {
	size := len(b.target) / Classes
	b.n = hi - lo
	clear(b.target)
	keep2d := float32(1 / (1 - PDrop2d))
	keepFC := float32(1 / (1 - PDropFC))
	inv := float32(1) / float32(b.n)
	for r := 0; r < size; r++ {
		xr := b.x[r*ImageSize : (r+1)*ImageSize]
		m2 := b.mask2d[r*C2*H2*W2 : (r+1)*C2*H2*W2]
		mf := b.maskFC[r*Hidden : (r+1)*Hidden]
		if r >= b.n {
			clear(xr)
			clear(m2)
			clear(mf)
			continue
		}
		i := perm[lo+r]
		copy(xr, d.X[i*ImageSize:(i+1)*ImageSize])
		b.target[r*Classes+d.Y[i]] = inv
		for c := 0; c < C2; c++ {
			v := keep2d
			if rng.Float64() < PDrop2d {
				v = 0
			}
			ch := m2[c*H2*W2 : (c+1)*H2*W2]
			for k := range ch {
				ch[k] = v
			}
		}
		for k := range mf {
			mf[k] = keepFC
			if rng.Float64() < PDropFC {
				mf[k] = 0
			}
		}
	}
}

// Train trains the CNN on trainSet, evaluating on testSet after every
// epoch. It stops early with ctx.Err() when ctx is cancelled (between
// batches); the last checkpoint then holds every finished epoch.
func Train(ctx context.Context, trainSet, testSet Data, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	if opts.Epochs < 0 || opts.Batch < 1 || opts.LR <= 0 || opts.EvalBatch < 1 {
		return nil, fmt.Errorf("train: invalid options: epochs %d, batch %d, lr %g (want epochs ≥ 1, batch ≥ 1, lr > 0)",
			opts.Epochs, opts.Batch, opts.LR)
	}
	if err := trainSet.Validate("training"); err != nil {
		return nil, err
	}
	if err := testSet.Validate("test"); err != nil {
		return nil, err
	}
	st, err := startState(opts)
	if err != nil {
		return nil, err
	}
	t := &trainer{opts: opts, st: st, data: trainSet, log: opts.Log}
	if t.log == nil {
		t.log = io.Discard
	}
	if st.Epoch > 0 {
		fmt.Fprintf(t.log, "resuming from %s after epoch %d\n", opts.Checkpoint, st.Epoch)
	}
	if t.net, err = newNet(st.Params, opts.Batch, true, opts.Backend); err != nil {
		return nil, err
	}
	defer t.net.close()
	ev, err := newEvaluator(st.Params, opts.EvalBatch, opts.Backend)
	if err != nil {
		return nil, err
	}
	defer ev.close()
	for _, p := range st.Params.List() {
		t.params = append(t.params, p.Data)
	}
	t.src, t.rng = newRNG(0)
	if err := t.src.UnmarshalBinary(st.RNG); err != nil {
		return nil, fmt.Errorf("train: restoring the RNG state: %w", err)
	}
	for done := 0; st.Epoch < opts.Epochs; done++ {
		if opts.StopAfter > 0 && done >= opts.StopAfter {
			return nil, fmt.Errorf("train: stopped after %d epochs: %w", done, context.Canceled)
		}
		epoch := st.Epoch + 1
		lossSum, secs, err := t.epoch(ctx, epoch)
		if err != nil {
			return nil, err
		}
		if err := t.finishEpoch(ev, testSet, epoch, lossSum, secs); err != nil {
			return nil, err
		}
	}
	return &Result{Params: st.Params, History: st.History, Seed: opts.Seed, Epochs: st.Epoch}, nil
}

// trainer is the state of one Train call.
type trainer struct {
	opts   Options
	st     *state
	data   Data
	log    io.Writer
	net    *net
	params [][]float32
	src    *rand.PCG
	rng    *rand.Rand
}

// batches starts a producer goroutine that fills the batches of one epoch
// in the order perm gives (drawing their masks, in batch order, from the
// trainer's RNG) while the graph runs on the previous one. A batch taken
// from ready goes back on free; closing stop ends the producer early.
func (t *trainer) batches(perm []int, nb int) (ready <-chan *batch, free chan<- *batch, stop chan<- struct{}) {
	r := make(chan *batch, 1)
	f := make(chan *batch, 2)
	f <- newBatch(t.opts.Batch)
	f <- newBatch(t.opts.Batch)
	s := make(chan struct{})
	N := t.data.Len()
	go func() {
		defer close(r)
		for k := 0; k < nb; k++ {
			var b *batch
			select {
			case b = <-f:
			case <-s:
				return
			}
			b.fill(t.data, perm, k*t.opts.Batch, min((k+1)*t.opts.Batch, N), t.rng)
			r <- b
		}
	}()
	return r, f, s
}

// epoch runs one pass over the training set, returning the summed
// per-image loss and the seconds it took.
func (t *trainer) epoch(ctx context.Context, epoch int) (lossSum, secs float64, err error) {
	opts, n := t.opts, t.net
	N := t.data.Len()
	nb := (N + opts.Batch - 1) / opts.Batch
	ready, free, stop := t.batches(t.rng.Perm(N), nb)
	defer close(stop)
	start := time.Now()
	report := func(batch int, loss float64, seen int) {
		if opts.Progress != nil {
			opts.Progress(Progress{Epoch: epoch, Epochs: opts.Epochs, Batch: batch, Batches: nb,
				Images: seen, Loss: loss, Elapsed: time.Since(start)})
		}
	}
	report(0, 0, 0)
	batches, seen := 0, 0
	var runErr error
	for b := range ready {
		if runErr == nil {
			runErr = ctx.Err()
		}
		if runErr != nil {
			free <- b
			continue
		}
		copy(n.xT.Data().([]float32), b.x)
		copy(n.mask2dT.Data().([]float32), b.mask2d)
		copy(n.maskFCT.Data().([]float32), b.maskFC)
		copy(n.tgtT.Data().([]float32), b.target)
		bn := b.n
		free <- b
		l, err := t.step(epoch)
		if err != nil {
			runErr = err
			continue
		}
		lossSum += float64(l) * float64(bn)
		seen += bn
		batches++
		report(batches, float64(l), seen)
	}
	if runErr != nil {
		return 0, 0, runErr
	}
	return lossSum, time.Since(start).Seconds(), nil
}

// step runs the graph on the batch in the net's input tensors and takes one
// Adam step, returning the batch's mean loss.
func (t *trainer) step(epoch int) (float32, error) {
	n := t.net
	if err := n.run(); err != nil {
		return 0, err
	}
	l := n.lossValue()
	if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
		return 0, fmt.Errorf("train: epoch %d: loss is %v", epoch, l)
	}
	grads, err := n.grads()
	if err != nil {
		return 0, err
	}
	t.st.Adam.Update(t.params, grads)
	for _, g := range grads {
		clear(g)
	}
	return l, nil
}

// finishEpoch evaluates on the test set, logs the epoch, records it in
// the state with the RNG's position and writes the checkpoint.
func (t *trainer) finishEpoch(ev *evaluator, testSet Data, epoch int, lossSum, secs float64) error {
	st, N := t.st, t.data.Len()
	testLoss, testAcc, err := ev.evaluate(testSet)
	if err != nil {
		return err
	}
	stats := EpochStats{Epoch: epoch, TrainLoss: lossSum / float64(N), TestLoss: testLoss,
		TestAccuracy: testAcc, Seconds: secs, ImagesPerSec: float64(N) / secs}
	st.History = append(st.History, stats)
	fmt.Fprintf(t.log, "epoch %d/%d: train loss %.4f, test loss %.4f, test accuracy %.2f%% (%.1f s, %.0f images/s)\n",
		epoch, t.opts.Epochs, stats.TrainLoss, testLoss, 100*testAcc, secs, stats.ImagesPerSec)
	st.Epoch = epoch
	if st.RNG, err = t.src.MarshalBinary(); err != nil {
		return fmt.Errorf("train: saving the RNG state: %w", err)
	}
	if t.opts.Checkpoint != "" {
		return saveCheckpoint(t.opts.Checkpoint, st)
	}
	return nil
}

// startState returns a fresh state for opts, or the checkpoint's when
// resuming from one that exists.
func startState(opts Options) (*state, error) {
	if opts.Resume && opts.Checkpoint != "" {
		st, err := loadCheckpoint(opts.Checkpoint)
		if err == nil {
			if st.Seed != opts.Seed || st.Batch != opts.Batch || st.LR != opts.LR {
				return nil, fmt.Errorf("train: checkpoint in %s was made with seed %d, batch %d, lr %g; resuming needs the same (got seed %d, batch %d, lr %g)",
					opts.Checkpoint, st.Seed, st.Batch, st.LR, opts.Seed, opts.Batch, opts.LR)
			}
			if st.Epoch > opts.Epochs {
				// Exporting it would give a model of more epochs than asked.
				return nil, fmt.Errorf("train: checkpoint in %s holds %d epochs, more than --epochs %d", opts.Checkpoint, st.Epoch, opts.Epochs)
			}
			return st, nil
		}
		if !isNotExist(err) {
			return nil, err
		}
	}
	src, rng := newRNG(opts.Seed)
	p := InitParams(rng)
	sizes := []int{}
	for _, t := range p.List() {
		sizes = append(sizes, len(t.Data))
	}
	rs, err := src.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return &state{Version: checkpointVersion, Seed: opts.Seed, Batch: opts.Batch, LR: opts.LR,
		Params: p, Adam: NewAdam(opts.LR, sizes), RNG: rs}, nil
}

// evaluator runs the inference graph (no dropout) over a data set.
type evaluator struct{ n *net }

func newEvaluator(p *Params, batchSize int, backend Backend) (*evaluator, error) {
	n, err := newNet(p, batchSize, false, backend)
	if err != nil {
		return nil, err
	}
	return &evaluator{n}, nil
}

func (e *evaluator) close() { e.n.close() }

// forward runs the images of d in batches, calling f with the first index
// of each batch, the number of real images in it, and the net after the run.
func (e *evaluator) forward(d Data, f func(lo, n int, nt *net)) error {
	bs := e.n.batch
	x := e.n.xT.Data().([]float32)
	for lo := 0; lo < d.Len(); lo += bs {
		hi := min(lo+bs, d.Len())
		copy(x, d.X[lo*ImageSize:hi*ImageSize])
		clear(x[(hi-lo)*ImageSize:])
		if err := e.n.run(); err != nil {
			return err
		}
		f(lo, hi-lo, e.n)
	}
	return nil
}

// evaluate returns the mean NLL and the accuracy on d.
func (e *evaluator) evaluate(d Data) (loss, acc float64, err error) {
	var sum float64
	right := 0
	err = e.forward(d, func(lo, n int, nt *net) {
		lp := data(nt.logp)
		for r := 0; r < n; r++ {
			row := lp[r*Classes : (r+1)*Classes]
			y := d.Y[lo+r]
			sum -= float64(row[y])
			best := 0
			for k, v := range row {
				if v > row[best] {
					best = k
				}
			}
			if best == y {
				right++
			}
		}
	})
	if err != nil {
		return 0, 0, err
	}
	return sum / float64(d.Len()), float64(right) / float64(d.Len()), nil
}

// Evaluate returns the mean NLL loss and the accuracy of p on d (inference
// mode: no dropout).
func Evaluate(p *Params, d Data) (loss, acc float64, err error) {
	if err := d.Validate("evaluation"); err != nil {
		return 0, 0, err
	}
	e, err := newEvaluator(p, min(d.Len(), DefaultOptions.EvalBatch), Fast)
	if err != nil {
		return 0, 0, err
	}
	defer e.close()
	return e.evaluate(d)
}

// Layers holds layer outputs of the inference graph for N images, row-major.
type Layers struct {
	FC1Relu  []float32 // N×50, layer 6
	FC2      []float32 // N×10, layer 7 (logits)
	LogProbs []float32 // N×10
}

// Forward runs the gorgonia inference graph of p on d's images and returns
// the outputs of layers 6 and 7 and the log-probabilities.
func Forward(p *Params, d Data, backend Backend) (*Layers, error) {
	if len(d.X)%ImageSize != 0 || len(d.X) == 0 {
		return nil, fmt.Errorf("train: Forward: %d values is not a whole number of 1×28×28 images", len(d.X))
	}
	N := len(d.X) / ImageSize
	if d.Y == nil {
		d.Y = make([]int, N)
	}
	e, err := newEvaluator(p, min(N, DefaultOptions.EvalBatch), backend)
	if err != nil {
		return nil, err
	}
	defer e.close()
	out := &Layers{FC1Relu: make([]float32, N*Hidden), FC2: make([]float32, N*Classes), LogProbs: make([]float32, N*Classes)}
	err = e.forward(d, func(lo, n int, nt *net) {
		copy(out.FC1Relu[lo*Hidden:], data(nt.fc1Relu)[:n*Hidden])
		copy(out.FC2[lo*Classes:], data(nt.fc2)[:n*Classes])
		copy(out.LogProbs[lo*Classes:], data(nt.logp)[:n*Classes])
	})
	return out, err
}
