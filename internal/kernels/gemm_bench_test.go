package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemmPacked times one goroutine's GemmPacked on the convolution
// shapes of ResNet-50 at batch 1 and reports GFLOP/s. W×X shapes are M
// output channels × K taps × N output positions, with the weights as A;
// Xt×Wt shapes are the same products transposed (positions × taps × channels),
// with the weights as B. The weights come from enough copies that they do not
// all fit in the last-level cache, so each call reads them cold, as a
// network's weights are read.
func BenchmarkGemmPacked(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][3]int{
		{64, 147, 12544}, // conv1 7×7/2
		{64, 576, 3136},  // layer1 3×3
		{256, 64, 3136},  // layer1 1×1 expand
		{128, 1152, 784}, // layer2 3×3
		{512, 128, 784},  // layer2 1×1 expand
		{256, 2304, 196}, // layer3 3×3
		{1024, 256, 196}, // layer3 1×1 expand
		{512, 4608, 49},  // layer4 3×3
		{2048, 512, 49},  // layer4 1×1 expand
	} {
		m, k, n := sz[0], sz[1], sz[2]
		for _, wt := range []bool{false, true} {
			name := fmt.Sprintf("WxX_m%d_k%d_n%d", m, k, n)
			if wt {
				name = fmt.Sprintf("XtxWt_m%d_k%d_n%d", n, k, m)
			}
			b.Run(name, func(b *testing.B) {
				copies := max(1, 64<<20/(4*m*k))
				pas := make([]PackedA, 1)
				pbs := make([]PackedB, 1)
				if wt {
					pbs = make([]PackedB, copies)
				} else {
					pas = make([]PackedA, copies)
				}
				for i := range pas {
					if wt {
						pas[i] = PackA(nil, false, n, k, 1, randSlice(rng, n*k), k)
					} else {
						pas[i] = PackA(nil, false, m, k, 1, randSlice(rng, m*k), k)
					}
				}
				for i := range pbs {
					if wt {
						pbs[i] = PackB(nil, false, k, m, randSlice(rng, k*m), m)
					} else {
						pbs[i] = PackB(nil, false, k, n, randSlice(rng, k*n), n)
					}
				}
				c := make([]float32, m*n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					pa, pb := pas[i%len(pas)], pbs[i%len(pbs)]
					GemmPacked(pa, pb, 0, pb.Panels(), c, pb.N, false)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
