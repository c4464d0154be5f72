// Package engine is a small pure-Go ONNX interpreter: it walks a model's
// nodes in topological order over a name → tensor map, with one small
// function per operator whose semantics follow the model's default-domain
// opset import (1 to MaxOpset).
//
// Use:
//
//	m, _ := onnxio.Load("model.onnx")
//	p, err := engine.Prepare(m, engine.Options{}) // every node checked here
//	out, err := p.Run(ctx, map[string]*engine.Tensor{"input": x}, []string{"/fc1/Gemm_output_0", "logits"})
//
// Prepare rejects an operator, attribute, attribute value or opset it does
// not handle with an *onnxio.UnsupportedError naming the op, node, opset and
// attribute, so nothing fails for that reason midway through a dataset.
// Nodes whose inputs are all constants are evaluated once at Prepare time.
//
// Run accepts any batch size from call to call. It runs only the nodes the
// requested tensors need and frees each intermediate right after its last
// consumer, so hooking an early tensor of a large model keeps little alive.
// Nodes that depend only on input shapes (PyTorch's Shape → Gather →
// Unsqueeze → Concat → Reshape chains) are computed once per distinct input
// shape. The context is checked between nodes.
//
// Tensors are float32 (every floating type: float16, bfloat16 and double
// models are computed in float32) or int64 (every integer type and bool,
// used for shapes, indices and masks).
//
// Convolution is im2col into packed GEMM panels (depthwise convolution is
// computed directly); the GEMM is packed and blocked after Goto & van de
// Geijn (ACM TOMS 34(3), 2008) with a 6×16 AVX2/FMA micro-kernel on amd64,
// and a 6×32 AVX-512 kernel over two column panels at once where the CPU
// has AVX-512F (same summation order, so the same bits); a pure-Go kernel
// elsewhere, or with the purego build tag. Work is split
// over GOMAXPROCS goroutines: images among workers in convolutions, column
// or row panels in GEMM, planes in pooling, chunks in elementwise ops.
//
// A Program is NOT safe for concurrent use: it reuses buffers, workspaces
// and caches between runs. Prepare one Program per goroutine instead.
//
// Operators: Conv, ConvTranspose, MaxPool, AveragePool, GlobalAveragePool,
// GlobalMaxPool, BatchNormalization (inference), InstanceNormalization, LRN,
// LayerNormalization, Gemm, MatMul, Add, Sub, Mul, Div, Pow, Mod, PRelu,
// Equal, Less, Greater, Where, Not, Max, Min, Sum, Mean, Relu, LeakyRelu,
// Elu, Selu, Celu, ThresholdedRelu, Sigmoid, HardSigmoid, HardSwish, Gelu,
// Mish, Tanh, Softplus, Softsign, Clip, Softmax, LogSoftmax, Exp, Log, Sqrt,
// Erf, Abs, Neg, Sign, Floor, Ceil, Reciprocal, Sin, Cos, Reshape, Flatten,
// Transpose, Squeeze, Unsqueeze, Concat, Split, Slice, Gather, Shape, Size,
// Constant, ConstantOfShape, Identity, Dropout (inference), Cast, Pad
// (constant, reflect, edge), Tile, Expand, Range, DepthToSpace,
// SpaceToDepth, ArgMax, ArgMin, ReduceMean, ReduceSum, ReduceMax,
// ReduceMin, ReduceProd, ReduceL2, ReduceSumSquare, Resize and Upsample
// (nearest, linear).
package engine
