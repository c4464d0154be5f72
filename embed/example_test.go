package embed_test

import (
	"fmt"

	"github.com/conceptcells/conceptcells/embed"
)

func ExamplePCA() {
	// Four points on the line y = 2x, plus a little spread across it.
	x := []float32{
		0, 0,
		1, 2,
		2, 4,
		3, 6.5,
	}
	p, err := embed.PCA(x, 4, 2, 2)
	if err != nil {
		panic(err)
	}
	fmt.Printf("explained variance ratio: %.4f %.4f\n", p.ExplainedVarianceRatio[0], p.ExplainedVarianceRatio[1])
	fmt.Printf("first component: (%.3f, %.3f)\n", p.Components.At(0, 0), p.Components.At(0, 1))
	// scikit-learn 1.2.1 gives the same: ratios [0.99953 0.00047], component [0.42081 0.90715].

	// Output:
	// explained variance ratio: 0.9995 0.0005
	// first component: (0.421, 0.907)
}
