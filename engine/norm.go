package engine

import (
	"fmt"
	"math"

	"github.com/conceptcells/conceptcells/internal/kernels"
	"github.com/conceptcells/conceptcells/internal/par"
)

// batchNorm is inference-mode BatchNormalization over axis 1:
//
//	y = scale·(x − mean)/√(var + ε) + bias
//
// with per-channel scale, bias, mean and var (Ioffe & Szegedy 2015).
func batchNorm(x, scale, bias, mean, variance *Tensor, eps float32, ar *arena, fuseRelu bool) (*Tensor, error) {
	if x.DType != Float32 || len(x.Shape) < 2 {
		return nil, fmt.Errorf("input %s: want float32 of rank ≥ 2 (N×C×…)", x)
	}
	C := x.Shape[1]
	for _, p := range []*Tensor{scale, bias, mean, variance} {
		if p.DType != Float32 || len(p.F) != C {
			return nil, fmt.Errorf("parameter %s: want float32[%d] for input %s", p, C, x)
		}
	}
	y := ar.get(append([]int(nil), x.Shape...))
	N := x.Shape[0]
	sz := numel(x.Shape[2:])
	par.Chunks(N*C, workers(N*C, moveCost*float64(sz)), func(_, lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			c := pl % C
			a := scale.F[c] / float32(math.Sqrt(float64(variance.F[c])+float64(eps)))
			b := bias.F[c] - a*mean.F[c]
			ys := y.F[pl*sz : (pl+1)*sz]
			kernels.ScaleShift(ys, x.F[pl*sz:(pl+1)*sz], a, b)
			if fuseRelu {
				reluInPlace(ys) // while in cache
			}
		}
	})
	return y, nil
}

// instanceNorm normalises every (n, c) plane to zero mean and unit variance
// (population variance), then applies per-channel scale and bias
// (Ulyanov et al. 2016).
func instanceNorm(x, scale, bias *Tensor, eps float32, ar *arena) (*Tensor, error) {
	if x.DType != Float32 || len(x.Shape) < 3 {
		return nil, fmt.Errorf("input %s: want float32 N×C×spatial", x)
	}
	C := x.Shape[1]
	if scale.DType != Float32 || bias.DType != Float32 || len(scale.F) != C || len(bias.F) != C {
		return nil, fmt.Errorf("scale %s / bias %s: want float32[%d]", scale, bias, C)
	}
	y := ar.get(append([]int(nil), x.Shape...))
	sz := numel(x.Shape[2:])
	for pl := 0; pl < x.Shape[0]*C; pl++ {
		c := pl % C
		xs, ys := x.F[pl*sz:(pl+1)*sz], y.F[pl*sz:(pl+1)*sz]
		mu, inv := meanInvStd(xs, eps)
		a := float64(scale.F[c]) * inv
		b := float64(bias.F[c]) - a*mu
		for i, v := range xs {
			ys[i] = float32(a*float64(v) + b)
		}
	}
	return y, nil
}

// lrn is local response normalisation across channels (Krizhevsky et al.
// 2012, ONNX LRN):
//
//	y[c] = x[c] / (bias + alpha/size · Σ_{c' = c−⌊(size−1)/2⌋}^{c+⌈(size−1)/2⌉} x[c']²)^beta
func lrn(x *Tensor, size int, alpha, beta, bias float32, ar *arena) (*Tensor, error) {
	if x.DType != Float32 || len(x.Shape) < 3 {
		return nil, fmt.Errorf("input %s: want float32 N×C×spatial", x)
	}
	if size < 1 {
		return nil, fmt.Errorf("size %d < 1", size)
	}
	N, C := x.Shape[0], x.Shape[1]
	sz := numel(x.Shape[2:])
	y := ar.get(append([]int(nil), x.Shape...))
	lo, hi := (size-1)/2, (size-1)-(size-1)/2
	for n := 0; n < N; n++ {
		for c := 0; c < C; c++ {
			o := (n*C + c) * sz
			for i := 0; i < sz; i++ {
				var s float64
				for cc := max(0, c-lo); cc <= min(C-1, c+hi); cc++ {
					v := float64(x.F[(n*C+cc)*sz+i])
					s += v * v
				}
				d := math.Pow(float64(bias)+float64(alpha)/float64(size)*s, float64(beta))
				y.F[o+i] = float32(float64(x.F[o+i]) / d)
			}
		}
	}
	return y, nil
}

// softmax computes exp(x − max)/Σ exp(x − max) (log: x − max − log Σ exp(x − max))
// over blocks: the tensor is viewed as outer × axisLen × inner and the
// reduction runs along axisLen.
func softmax(x *Tensor, outer, n, inner int, log bool, ar *arena) (*Tensor, error) {
	if x.DType != Float32 {
		return nil, fmt.Errorf("input %s: want float32", x)
	}
	y := ar.get(append([]int(nil), x.Shape...))
	if len(x.F) == 0 {
		// No values, whatever outer claims: nothing to loop over.
		return y, nil
	}
	for o := 0; o < outer; o++ {
		ar.poll()
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			m := float32(math.Inf(-1))
			for i := 0; i < n; i++ {
				if v := x.F[base+i*inner]; v > m {
					m = v
				}
			}
			var s float64
			for i := 0; i < n; i++ {
				s += math.Exp(float64(x.F[base+i*inner] - m))
			}
			if log {
				ls := float32(math.Log(s))
				for i := 0; i < n; i++ {
					y.F[base+i*inner] = x.F[base+i*inner] - m - ls
				}
			} else {
				for i := 0; i < n; i++ {
					y.F[base+i*inner] = float32(math.Exp(float64(x.F[base+i*inner]-m)) / s)
				}
			}
		}
	}
	return y, nil
}

// reduceKind selects a reduction.
type reduceKind int

const (
	reduceSum reduceKind = iota
	reduceMean
	reduceMax
	reduceMin
	reduceProd
	reduceL2
	reduceSumSquare
)

// reduce reduces x over axes (all axes when axes is empty and noopEmpty is
// false; the identity when empty and noopEmpty), keeping reduced axes as
// size 1 when keepDims.
func reduce(x *Tensor, kind reduceKind, axes []int64, keepDims, noopEmpty bool, ar *arena) (*Tensor, error) {
	r := len(x.Shape)
	red := make([]bool, r)
	if len(axes) == 0 {
		if noopEmpty {
			return x.Clone(), nil
		}
		for i := range red {
			red[i] = true
		}
	}
	for _, a := range axes {
		ax, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		red[ax] = true
	}
	var shape, kept []int
	for i, d := range x.Shape {
		if red[i] {
			if keepDims {
				shape = append(shape, 1)
			}
			kept = append(kept, 1)
		} else {
			shape = append(shape, d)
			kept = append(kept, d)
		}
	}
	isInt := x.DType == Int64
	n := ar.needShape(kept, 8, Float32)
	ar.need(8*int64(len(x.F)+len(x.I)), "a float64 copy of the input")
	vals := x.Float64s()
	acc := make([]float64, n)
	cnt := 1
	for i, d := range x.Shape {
		if red[i] {
			cnt *= d
		}
	}
	init := 0.0
	switch kind {
	case reduceMax:
		init = math.Inf(-1)
	case reduceMin:
		init = math.Inf(1)
	case reduceProd:
		init = 1
	}
	for i := range acc {
		acc[i] = init
	}
	ks := strides(kept)
	idx := make([]int, r)
	for j, v := range vals {
		if j&0xffff == 0 {
			ar.poll()
		}
		o := 0
		for d := 0; d < r; d++ {
			if !red[d] {
				o += idx[d] * ks[d]
			}
		}
		switch kind {
		case reduceSum, reduceMean:
			acc[o] += v
		case reduceMax:
			if v > acc[o] || v != v {
				acc[o] = v
			}
		case reduceMin:
			if v < acc[o] || v != v {
				acc[o] = v
			}
		case reduceProd:
			acc[o] *= v
		case reduceL2, reduceSumSquare:
			acc[o] += v * v
		}
		nextIndex(idx, x.Shape)
	}
	for i := range acc {
		switch kind {
		case reduceMean:
			acc[i] /= float64(cnt)
		case reduceL2:
			acc[i] = math.Sqrt(acc[i])
		}
	}
	if isInt {
		y := ar.getInt(shape)
		for i, v := range acc {
			y.I[i] = int64(v)
		}
		return y, nil
	}
	y := ar.get(shape)
	for i, v := range acc {
		y.F[i] = float32(v)
	}
	return y, nil
}

// meanInvStd returns the mean of xs and 1/√(var + eps), with the population
// variance, accumulated in float64 (InstanceNormalization,
// LayerNormalization).
func meanInvStd(xs []float32, eps float32) (mu, inv float64) {
	var s float64
	for _, v := range xs {
		s += float64(v)
	}
	mu = s / float64(len(xs))
	var q float64
	for _, v := range xs {
		d := float64(v) - mu
		q += d * d
	}
	return mu, 1 / math.Sqrt(q/float64(len(xs))+float64(eps))
}
