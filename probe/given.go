package probe

import (
	"context"
	"fmt"
	"slices"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
)

// Tensor is one layer's activations collected elsewhere: by `conceptcells
// activations`, or by forward hooks in PyTorch saved as .npy.
type Tensor struct {
	Name  string
	Shape []int     // per-point shape; its product is the unit count
	Data  []float32 // N × units, row-major, row i = point i of the data
}

// RunActivations is Run on activations already collected, without a
// model: the layers are o.Layers (default: every tensor, in order; the
// last is the final layer and the one before it the pre-final layer), the
// network space embeds o.SpaceLayer (default: the last layer), and the
// image space embeds data's inputs when it holds them (data.X, as Run
// feeds them to a model); otherwise only the network space is made, and a
// warning says so. data gives the labels and classes; each tensor must
// hold data.N rows (after o.Limit). There is no accuracy without the
// model's output.
func RunActivations(ctx context.Context, tensors []Tensor, data *dataset.Set, o Options) (*Result, error) {
	if data == nil || len(tensors) == 0 {
		return nil, fmt.Errorf("probe: no activations or no data")
	}
	byName := map[string]Tensor{}
	for _, t := range tensors {
		u := prod(t.Shape)
		if u == 0 || len(t.Data)%u != 0 {
			return nil, fmt.Errorf("probe: activations %q hold %d values, not a whole number of rows of %v", t.Name, len(t.Data), t.Shape)
		}
		if n := len(t.Data) / u; n != data.N {
			return nil, fmt.Errorf("probe: activations %q have %d rows for %d points of %s", t.Name, n, data.N, data.Name)
		}
		byName[t.Name] = t
	}
	if len(o.Layers) == 0 {
		for _, t := range tensors {
			o.Layers = append(o.Layers, t.Name)
		}
	}
	for _, l := range append(slices.Clone(o.Layers), o.SpaceLayer) {
		if _, ok := byName[l]; l != "" && !ok {
			return nil, fmt.Errorf("probe: no activations named %q (have %s)", l, names(tensors))
		}
	}
	// Limit: a data set without inputs cannot be cut by Set.Limit.
	if o.Limit > 0 && o.Limit < data.N && len(data.X) == 0 {
		d := *data
		d.N = o.Limit
		if d.Labels != nil {
			d.Labels = d.Labels[:o.Limit:o.Limit]
		}
		d.Name = fmt.Sprintf("%s[:%d]", data.Name, o.Limit)
		data = &d
	}
	st := pipeline
	st.collect = func(_ context.Context, _ *onnxio.Model, d *dataset.Set, hooks []string, _ Options) (map[string]tensorActs, error) {
		out := map[string]tensorActs{}
		for _, h := range hooks {
			t := byName[h]
			u := prod(t.Shape)
			out[h] = tensorActs{Shape: t.Shape, Data: t.Data[:d.N*u]}
		}
		return out, nil
	}
	return run(ctx, nil, data, o, st)
}

func names(ts []Tensor) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", t.Name)
	}
	return s
}
