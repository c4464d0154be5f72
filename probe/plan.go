package probe

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/embed"
	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/onnxio"
)

// Plan is what Run expects of its work before it runs the model: the
// units of every hooked layer, from the shapes inferred for the data's
// input with a dynamic batch, and estimates of memory and report size.
type Plan struct {
	// N is the number of points and Sample the values of one.
	N, Sample int
	Layers    []LayerPlan
	// MemoryBytes and ReportBytes are rough estimates of the peak memory
	// of the analysis and of the HTML report's size (see estimate), both
	// for the layers whose shapes are known.
	MemoryBytes, ReportBytes int64
}

// LayerPlan is one hooked layer in a Plan.
type LayerPlan struct {
	Name string // as in Options.Layers
	// TensorShape is the per-point shape of the hooked tensor, nil when
	// shape inference could not tell it (then Run checks the units after
	// collecting, before the t-SNE).
	TensorShape []int
	// Layout and LayoutWhy say how the tensor is read (TokenLayout).
	Layout, LayoutWhy string
	// Reduce is the reduction Run will apply, Units the units it leaves.
	Reduce string
	Units  int
	// Selected are the units chosen with Options.Units (nil = all), Kept
	// the count scored.
	Selected []int
	Kept     int
}

// Sizes behind Plan's estimates. bytesPerPart is the memory of one scored
// unit part kept in the Result: its rate map, smoothed map (bins² float64
// each) and autocorrelogram ((2·bins−1)² float64); scoring also holds
// each signal as float32 and float64 columns. reportBytesPerPart is the
// HTML report's size per scored part as issue 15 measured it on main at
// f054822 (three base64 PNG maps per part: 310 MB for the ResNet-18 case,
// about 10,000 unit and PC parts in two spaces, ≈ 30 kB each); the report
// is being made smaller, so this is an upper bound.
const (
	reportBytesPerPart = 30_000
	maxPCAComponents   = 100
)

// PlanRun returns the plan of Run with options o on data (after o.Limit),
// or an error when a layer has more units than o.MaxUnits allows or a unit
// selection names no unit of a layer. It runs no data: the shapes come
// from engine.InferTypes (a shape pass on zero inputs at batch sizes 1 and
// 2). Layers whose shape is not known are planned without a shape.
func PlanRun(m *onnxio.Model, data *dataset.Set, o Options) (*Plan, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	o = o.withDefaults()
	n := data.N
	if o.Limit > 0 && o.Limit < n {
		n = o.Limit
	}
	p := &Plan{N: n, Sample: data.SampleSize()}
	if m == nil {
		// Activations given without a model (RunActivations): the units
		// are checked once the activations are read.
		for _, name := range o.Layers {
			p.Layers = append(p.Layers, LayerPlan{Name: name})
		}
		return p, nil
	}
	g := newGraphIndex(m)
	var types map[string]onnxio.ValueType
	if in, err := g.input(); err == nil {
		if feed, _, err := fitInput(m, in, data); err == nil {
			shape := append([]int64{onnxio.Unknown}, ints64(feed)...)
			types, _ = engine.InferTypes(context.Background(), m, map[string][]int64{in.Name(): shape})
		}
	}
	for _, name := range o.Layers {
		lp := LayerPlan{Name: name}
		tensor := name
		if a, err := g.resolve(name); err == nil {
			tensor = a.Name
		}
		if t, ok := types[tensor]; ok && len(t.Shape) >= 1 && t.Shape[0] < 0 && !slices.ContainsFunc(t.Shape[1:], func(d int64) bool { return d < 0 }) {
			lp.TensorShape = ints(t.Shape[1:])
		}
		if lp.TensorShape != nil {
			if err := lp.settle(m, tensor, o); err != nil {
				return nil, err
			}
		}
		p.Layers = append(p.Layers, lp)
	}
	p.estimate(o)
	for _, lp := range p.Layers {
		if lp.TensorShape != nil {
			if err := checkUnits(lp, n, o); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// settle fills in the layout, reduction, units and selection of a layer
// of known shape.
func (lp *LayerPlan) settle(m *onnxio.Model, tensor string, o Options) error {
	mode, explicit := o.Reduce, false
	if r, ok := o.LayerReduce[lp.Name]; ok && r != "" {
		mode, explicit = r, true
	}
	if len(lp.TensorShape) <= 1 {
		lp.Layout, lp.LayoutWhy = LayoutVector, "one vector per point"
	} else {
		lp.Layout, lp.LayoutWhy = TokenLayout(m, tensor)
	}
	lp.Reduce = chooseReduce(mode, explicit, lp.Layout == LayoutTokens, lp.TensorShape)
	lp.Units = reducedUnits(lp.TensorShape, lp.Reduce)
	var err error
	lp.Selected, err = selectUnits(o.Units, lp.Name, lp.Units)
	if err != nil {
		return err
	}
	lp.Kept = lp.Units
	if lp.Selected != nil {
		lp.Kept = len(lp.Selected)
	}
	return nil
}

// estimate sets the plan's memory and report estimates. The live memory
// is the data (N × sample float32), the report held before writing, and
// per layer of U kept units and K = min(N, U, 100) PCs: the N×U
// activations, the PCA (the N×U matrix in float64 and its min(N, U)²
// covariance or Gram matrix, or N×(K+10) for the randomized method, the
// largest of the layers), and (U+K) signals, each of up to two signed
// parts, scored in two spaces. The peak is twice the live memory: Go's
// collector (GOGC=100) lets the heap grow to twice what is live. On the
// ResNet-18 case of issue 15 (2,000 points, 256 + 512 + 10 units, one
// embedding per space) this gives 1.3 GB against 1.4–1.7 GB of peak RSS
// measured, the peak while the report is written.
func (p *Plan) estimate(o Options) {
	p.MemoryBytes, p.ReportBytes = 0, 0
	n := int64(p.N)
	bins := int64(o.Bins)
	perPart := 8*(2*bins*bins+(2*bins-1)*(2*bins-1)) + 12*n
	var peakPCA int64
	for _, lp := range p.Layers {
		if lp.TensorShape == nil {
			continue
		}
		u := int64(lp.Kept)
		k := min(n, u, maxPCAComponents)
		p.MemoryBytes += 4*n*u + 4*n*k
		w := min(n, u)
		pca := 8 * n * u
		if w >= embed.TruncatedPCAMin {
			pca += 8 * n * (k + 10) * 3
		} else {
			pca += 8 * w * w * 3
		}
		peakPCA = max(peakPCA, pca)
		parts := 2 * 2 * (u + k)
		p.MemoryBytes += parts * perPart
		p.ReportBytes += parts * reportBytesPerPart
	}
	p.MemoryBytes += peakPCA + 4*n*int64(p.Sample) + p.ReportBytes
	p.MemoryBytes *= 2
}

// UnitsError is the refusal of a layer with more units than
// Options.MaxUnits, with what it would cost and the ways on: choose units
// (Options.Units), reduce the layer (Options.LayerReduce, when it is
// unreduced and has a reduction), or raise Options.MaxUnits.
type UnitsError struct {
	Layer string
	// Kept is the layer's units after reduction and selection, Units
	// after reduction only; N is the points, MaxUnits the limit.
	Kept, Units, N, MaxUnits int
	// TensorShape, Reduce and Layout are how the layer became units.
	TensorShape    []int
	Reduce, Layout string
	// MemoryBytes and ReportBytes estimate the layer's own cost.
	MemoryBytes, ReportBytes int64
	// ReduceTo is a reduction that would make fewer units (ReducedUnits),
	// "" when the layer is reduced already or has none.
	ReduceTo     string
	ReducedUnits int
}

// Error says why the layer is refused and how to go on, in terms of
// Options.
func (e *UnitsError) Error() string {
	fix := []string{fmt.Sprintf("choose units with Options.Units (e.g. %s: 0…%d)", e.Layer, e.FirstUnits()-1)}
	if e.ReduceTo != "" {
		fix = append(fix, fmt.Sprintf("reduce it (Options.LayerReduce %s: %s: %d units)", e.Layer, e.ReduceTo, e.ReducedUnits))
	}
	fix = append(fix, fmt.Sprintf("or raise Options.MaxUnits (≥ %d)", e.Kept))
	return e.Describe(fmt.Sprintf("Options.MaxUnits %d", e.MaxUnits), "reduction "+e.Reduce, fix)
}

// Describe writes the refusal with the limit named by limit, the
// reduction of a reduced layer named by how, and the ways on fix (a CLI
// names its flags here).
func (e *UnitsError) Describe(limit, how string, fix []string) string {
	if e.Reduce == ReduceNone {
		how = "every value"
	}
	return fmt.Sprintf("probe: layer %q has %d units per point (%s of %s, %s): over %s. Scoring them at %d points would take about %s of memory and up to %s of report. To go on, %s",
		e.Layer, e.Kept, how, FormatShape(e.TensorShape), e.Layout, limit, e.N,
		engine.FormatBytes(e.MemoryBytes), engine.FormatBytes(e.ReportBytes), strings.Join(fix, ", "))
}

// FirstUnits is the selection Error suggests: units 0…FirstUnits−1.
func (e *UnitsError) FirstUnits() int { return min(e.MaxUnits, e.Units) }

// checkUnits refuses a layer with more kept units than o.MaxUnits with a
// *UnitsError.
func checkUnits(lp LayerPlan, n int, o Options) error {
	if o.MaxUnits < 0 || lp.Kept <= o.MaxUnits {
		return nil
	}
	alone := Plan{N: n, Layers: []LayerPlan{lp}}
	alone.Sample = 0 // the layer's own share
	alone.estimate(o)
	e := &UnitsError{Layer: lp.Name, Kept: lp.Kept, Units: lp.Units, N: n, MaxUnits: o.MaxUnits,
		TensorShape: lp.TensorShape, Reduce: lp.Reduce, Layout: lp.Layout,
		MemoryBytes: alone.MemoryBytes, ReportBytes: alone.ReportBytes}
	if len(lp.TensorShape) >= 2 && lp.Reduce == ReduceNone {
		e.ReduceTo = ReduceSpatialMean
		if lp.Layout == LayoutTokens {
			e.ReduceTo = ReduceCLS
		}
		e.ReducedUnits = reducedUnits(lp.TensorShape, e.ReduceTo)
	}
	return e
}

// selectUnits returns the units of layer chosen by sel (sel[layer], else
// sel[""]) among its units 0…units−1, or nil for all. Indices a layer does
// not have are dropped from a selection for every layer; it is an error
// when a selection leaves no unit, or when one named for the layer holds
// an index it does not have.
func selectUnits(sel map[string][]int, layer string, units int) ([]int, error) {
	idx, named := sel[layer]
	if !named {
		idx = sel[""]
	}
	if idx == nil {
		return nil, nil
	}
	var keep []int
	for _, i := range idx {
		if i >= 0 && i < units {
			keep = append(keep, i)
		} else if named {
			return nil, fmt.Errorf("probe: units chosen for %s: unit %d: the layer has units 0…%d", layer, i, units-1)
		}
	}
	if len(keep) == 0 {
		return nil, fmt.Errorf("probe: none of the units chosen is among the %d units (0…%d) of layer %q", units, units-1, layer)
	}
	return keep, nil
}

// ParseUnits reads a unit selection: "0-63,100" for every layer, or
// "LAYER=0-63,100" entries separated by ";" (a layer's entry overrides
// the one for every layer). Indices are sorted and deduplicated.
func ParseUnits(spec string) (map[string][]int, error) {
	out := map[string][]int{}
	for _, part := range strings.Split(spec, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		layer, ranges := "", part
		if i := strings.LastIndex(part, "="); i >= 0 {
			layer, ranges = strings.TrimSpace(part[:i]), part[i+1:]
		}
		var idx []int
		for _, r := range strings.Split(ranges, ",") {
			r = strings.TrimSpace(r)
			lo, hi, isRange := strings.Cut(r, "-")
			a, err := strconv.Atoi(strings.TrimSpace(lo))
			b := a
			if err == nil && isRange {
				b, err = strconv.Atoi(strings.TrimSpace(hi))
			}
			if err != nil || a < 0 || b < a {
				return nil, fmt.Errorf("units %q: %q is not an index or a range lo-hi of indices ≥ 0", spec, r)
			}
			if b-a > 1<<24 {
				return nil, fmt.Errorf("units %q: range %q is too long", spec, r)
			}
			for i := a; i <= b; i++ {
				idx = append(idx, i)
			}
		}
		slices.Sort(idx)
		if _, dup := out[layer]; dup {
			return nil, fmt.Errorf("units %q: layer %q given twice", spec, layer)
		}
		out[layer] = slices.Compact(idx)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("units %q: no units", spec)
	}
	return out, nil
}

// Describe says in words how the layer becomes units, e.g. "256×4×4 per
// point, channels first (written by Conv "/conv") → 256 units
// (spatial-mean over 4×4)".
func (lp LayerPlan) Describe() string {
	if lp.TensorShape == nil {
		return "shape not known before running the model; units checked after collecting"
	}
	s := fmt.Sprintf("%s per point, %s (%s) → %d units", FormatShape(lp.TensorShape), lp.Layout, lp.LayoutWhy, lp.Units)
	switch lp.Reduce {
	case ReduceNone:
		if len(lp.TensorShape) > 1 {
			s += " (every value, --reduce none)"
		}
	case ReduceSpatialMean, ReduceSpatialMax:
		s += fmt.Sprintf(" (%s over %s)", lp.Reduce, FormatShape(lp.TensorShape[1:]))
	case ReduceCLS:
		s += fmt.Sprintf(" (cls: token 0 of %s)", FormatShape(lp.TensorShape[:len(lp.TensorShape)-1]))
	case ReduceTokenMean:
		s += fmt.Sprintf(" (token-mean over %s tokens)", FormatShape(lp.TensorShape[:len(lp.TensorShape)-1]))
	}
	if lp.Selected != nil {
		s += fmt.Sprintf(", %d chosen with --units", lp.Kept)
	}
	return s
}
