package probe

import (
	"context"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
)

// RunWithReference runs the real pipeline (t-SNE, PCA, cell scorer) on the
// first n reference images, with ONNX Runtime's stored activations in place
// of the executor, for the external golden test.
func RunWithReference(t *testing.T, n int, o Options) (*Result, *onnxio.Model, *dataset.Set) {
	m, data, dir := referenceSet(t, n)
	st := pipeline
	st.collect = referenceCollect(dir)
	res, err := run(context.Background(), m, data, o, st)
	if err != nil {
		t.Fatal(err)
	}
	return res, m, data
}
