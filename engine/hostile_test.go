package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// budgetTest is the memory budget of the hostile-model tests.
const budgetTest = 64 << 20

// runHostile prepares g with a small budget and runs it on x within a
// deadline, returning Prepare's or Run's error.
func runHostile(t *testing.T, g *graph, x *Tensor, want ...string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		p, err := Prepare(g.model(t), Options{MaxMemory: budgetTest})
		if err != nil {
			done <- err
			return
		}
		_, err = p.Run(context.Background(), map[string]*Tensor{"x": x}, want)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("the model ran for more than 10 s")
		return nil
	}
}

func wantMemoryError(t *testing.T, what string, err error) {
	t.Helper()
	var me *MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("%s: got %v, want a MemoryError", what, err)
	}
	if me.Node == "" || !strings.Contains(err.Error(), "budget") {
		t.Errorf("%s: the error should name the node and the budget: %v", what, err)
	}
	t.Logf("%s: %v", what, err)
}

func TestHostileMemoryBombs(t *testing.T) {
	x := NewFloat([]int{1, 1, 4, 4}, make([]float32, 16))
	w := make([]float32, 9)
	cases := []struct {
		name string
		g    *graph
	}{
		{"Conv pads", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			init("w", []int64{1, 1, 3, 3}, w).
			node("Conv", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("pads", 100000, 100000, 100000, 100000))},
		{"Conv channels", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			init("w", []int64{1 << 20, 1, 1, 1}, make([]float32, 1<<20)).
			node("Conv", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("pads", 1000, 1000, 1000, 1000))},
		{"ConvTranspose strides", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			init("w", []int64{1, 1, 3, 3}, w).
			node("ConvTranspose", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("strides", 100000, 100000))},
		{"ConvTranspose output_shape", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			init("w", []int64{1, 1, 3, 3}, w).
			node("ConvTranspose", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("output_shape", 1<<19, 1<<19))},
		{"MaxPool pads", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			node("MaxPool", []string{"x"}, []string{"y"}, onnxbuild.AttrInts("kernel_shape", 1, 1), onnxbuild.AttrInts("pads", 100000, 100000, 100000, 100000))},
		{"broadcast Add", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			init("a", []int64{1 << 16, 1, 1, 1}, make([]float32, 1<<16)).
			init("b", []int64{1, 1 << 16, 1, 1}, make([]float32, 1<<16)).
			node("Add", []string{"a", "b"}, []string{"s"}).node("Add", []string{"x", "s"}, []string{"y"})},
		{"MatMul (folded)", (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			init("a", []int64{8192, 1, 4}, make([]float32, 8192*4)).
			init("b", []int64{1, 4, 8192}, make([]float32, 8192*4)).
			node("MatMul", []string{"a", "b"}, []string{"y"})},
		{"ReduceSum of an empty tensor", (&graph{opset: 14, outs: []string{"y"}}).input("x", onnxio.Float, 1, 1, 4, 4).
			initInt("zero", []int64{1}, []int64{0}).initInt("shape", []int64{2}, []int64{1 << 40, 0}).initInt("ax", []int64{1}, []int64{1}).
			node("Slice", []string{"x", "zero", "zero", "zero"}, []string{"e"}).
			node("Reshape", []string{"e", "shape"}, []string{"r"}, onnxbuild.AttrInt("allowzero", 1)).
			node("ReduceSum", []string{"r", "ax"}, []string{"y"})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantMemoryError(t, tc.name, runHostile(t, tc.g, x))
		})
	}
}

func TestFanOutExceedsBudget(t *testing.T) {
	g := &graph{opset: 13}
	g.input("x", onnxio.Float, 1, 1<<16)
	for i := range 4096 {
		o := "r" + string(rune('0'+i%10)) + strings.Repeat("_", i/10)
		g.node("Relu", []string{"x"}, []string{o})
		g.outs = append(g.outs, o)
	}
	x := NewFloat([]int{1, 1 << 16}, make([]float32, 1<<16))
	wantMemoryError(t, "4096 outputs of 256 KiB", runHostile(t, g, x))
}

// The case of issue 14: a 0-element tensor reshaped to [2^62,4,0], then a
// Softmax; it looped for ever, also from a node nothing used.
func TestWrappedReshapeRefused(t *testing.T) {
	build := func(used bool) *graph {
		g := (&graph{opset: 14, outs: []string{"y"}}).input("x", onnxio.Float, 1, 4).
			initInt("shape", []int64{3}, []int64{1 << 62, 4, 0}).
			init("empty", []int64{0}, nil).
			node("Reshape", []string{"empty", "shape"}, []string{"r"}, onnxbuild.AttrInt("allowzero", 1)).
			node("Softmax", []string{"r"}, []string{"s"})
		if used {
			return g.node("Relu", []string{"x"}, []string{"y"}).node("Add", []string{"s", "s"}, []string{"y2"})
		}
		return g.node("Relu", []string{"x"}, []string{"y"})
	}
	x := NewFloat([]int{1, 4}, make([]float32, 4))
	if err := runHostile(t, build(false), x); err != nil {
		t.Errorf("an unused hostile subgraph should cost nothing: %v", err)
	}
	g := build(true)
	g.outs = []string{"y", "y2"}
	err := runHostile(t, g, x)
	if err == nil || !strings.Contains(err.Error(), "reshape") {
		t.Errorf("Reshape to [2^62,4,0]: got %v, want a refusal", err)
	}
	if strings.Contains(err.Error(), "internal error") {
		t.Errorf("not an internal error: %v", err)
	}
}

// Cancelling a run stops a long kernel within a fraction of a second.
func TestCancelStopsLongConv(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a large convolution")
	}
	// One 1×64×512×512 image through a 64→64 3×3 conv: about 19 GFLOP,
	// several seconds on one core.
	g := (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 64, 512, 512).
		init("w", []int64{64, 64, 3, 3}, make([]float32, 64*64*9)).
		node("Conv", []string{"x", "w"}, []string{"y"}, onnxbuild.AttrInts("pads", 1, 1, 1, 1))
	p, err := Prepare(g.model(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := NewFloat([]int{1, 64, 512, 512}, make([]float32, 64*512*512))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err = p.Run(ctx, map[string]*Tensor{"x": x}, nil)
	took := time.Since(start)
	if err == nil {
		t.Skipf("the conv finished in %v before the cancel", took)
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if lat := took - 300*time.Millisecond; lat > time.Second {
		t.Errorf("Run returned %v after the cancel", lat)
	} else {
		t.Logf("returned %v after the cancel", lat)
	}
}

// A graph input that also has an initializer (IR ≥ 4) is an input with a
// default value: it used to leave the model without an input.
func TestInputWithDefault(t *testing.T) {
	g := (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 2).
		init("x", []int64{1, 2}, []float32{1, 2}).
		node("Add", []string{"x", "x"}, []string{"y"})
	m := g.model(t)
	if len(m.Inputs) != 1 || m.Inputs[0].Name() != "x" {
		t.Fatalf("inputs %v, want x", m.Inputs)
	}
	p, err := Prepare(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := p.Run(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectF(t, "default", out["y"], []int{1, 2}, []float32{2, 4})
	out, err = p.Run(context.Background(), map[string]*Tensor{"x": NewFloat([]int{1, 2}, []float32{5, 6})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectF(t, "fed", out["y"], []int{1, 2}, []float32{10, 12})
}

// Folded constants that only fed other folded nodes are freed at Prepare.
func TestFoldedIntermediatesFreed(t *testing.T) {
	g := (&graph{opset: 13, outs: []string{"y"}}).input("x", onnxio.Float, 1, 4).
		init("c", []int64{1, 4}, []float32{1, 2, 3, 4}).
		node("Relu", []string{"c"}, []string{"c1"}).
		node("Neg", []string{"c1"}, []string{"c2"}).
		node("Add", []string{"x", "c2"}, []string{"y"})
	p := g.prepare(t)
	if p.HasTensor("c1") {
		t.Error("the folded intermediate c1 is still held")
	}
	if !p.HasTensor("c2") {
		t.Error("c2, read by a node that runs, was dropped")
	}
	out, err := p.Run(context.Background(), map[string]*Tensor{"x": NewFloat([]int{1, 4}, make([]float32, 4))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	expectF(t, "y", out["y"], []int{1, 4}, []float32{-1, -2, -3, -4})
}

// CheckPlan refuses, before running anything, a plan whose live tensors
// exceed the budget, and passes an ordinary model.
func TestCheckPlan(t *testing.T) {
	g := &graph{opset: 13}
	g.input("x", onnxio.Float, -1, 1<<16)
	for i := range 512 {
		o := "r" + strings.Repeat("_", i)
		g.node("Relu", []string{"x"}, []string{o})
		g.outs = append(g.outs, o)
	}
	p, err := Prepare(g.model(t), Options{MaxMemory: budgetTest})
	if err != nil {
		t.Fatal(err)
	}
	wantMemoryError(t, "512 outputs of 256 KiB", p.CheckPlan(map[string][]int{"x": {1, 1 << 16}}, nil))
	if err := p.CheckPlan(map[string][]int{"x": {1, 16}}, nil); err != nil {
		t.Errorf("512 outputs of 64 B: %v", err)
	}
}
