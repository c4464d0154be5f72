package command

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/conceptcells/conceptcells/engine"
	"github.com/conceptcells/conceptcells/internal/termsafe"
	"github.com/conceptcells/conceptcells/onnxio"
)

// Layers is `conceptcells layers MODEL`: every hookable tensor of a model
// with its shape (engine.Layers) and parameter count.
var Layers = &cli.Command{
	Name:      "layers",
	Usage:     "list every hookable tensor of an ONNX model with its shape and parameter count",
	ArgsUsage: "MODEL.onnx",
	Description: "Lists each node output (the tensors probe can hook): node name, op type, output tensor,\n" +
		"shape for the input shape, and the number of weights the node reads. Shapes come from\n" +
		"running the model on zeros at batch 1 and 2. A dynamic batch dimension shows as N (-1 in JSON).",
	Flags: []cli.Flag{
		&cli.StringFlag{
			Name:  "input-shape",
			Usage: "input shape, e.g. 1,1,28,28 (N or -1 for dynamic); NAME=SHAPE;NAME=SHAPE for several inputs (default: the model's declared shape)",
		},
		&cli.BoolFlag{Name: "json", Usage: "write JSON instead of a table"},
	},
	Action: func(c *cli.Context) error {
		if c.NArg() != 1 {
			return fmt.Errorf("layers: expected one MODEL argument, got %d", c.NArg())
		}
		// Names and parameter counts need no external tensor bytes: a
		// small model naming a huge (or sparse) file stays cheap. Shapes
		// come from running the model (engine.InferTypes), so external
		// weights up to layersExternalMax are read for them.
		m, err := onnxio.LoadWith(c.Args().First(), onnxio.LoadOptions{SkipExternalData: true})
		if err != nil {
			return err
		}
		if ext := unloadedBytes(m); ext > 0 && ext <= layersExternalMax {
			if m, err = onnxio.Load(c.Args().First()); err != nil {
				return err
			}
		}
		inputs, err := parseInputShapes(m, c.String("input-shape"))
		if err != nil {
			return fmt.Errorf("layers: --input-shape: %w", err)
		}
		rep, inferErr := newLayersReport(c.Context, m, inputs)
		if rep == nil {
			return inferErr
		}
		if inferErr != nil {
			fmt.Fprintf(c.App.ErrWriter, "conceptcells layers: warning: %s\n", shapesNote(m, inferErr))
		}
		if c.Bool("json") {
			enc := json.NewEncoder(c.App.Writer)
			enc.SetIndent("", "  ")
			return enc.Encode(rep)
		}
		return rep.writeText(c.App.Writer)
	},
}

// layersExternalMax bounds the external tensor bytes `layers` reads to
// compute shapes; above it, it lists the layers without shapes.
const layersExternalMax = 256 << 20

// unloadedBytes is the size of the initializers whose external data was
// not read.
func unloadedBytes(m *onnxio.Model) int64 {
	var n int64
	for _, t := range m.Initializers {
		if t.Unloaded {
			n += int64(t.Len()) * int64(max(t.DType.Size(), 1))
		}
	}
	return n
}

// shapesNote says why some or all shapes are missing from the listing.
func shapesNote(m *onnxio.Model, err error) string {
	var ue *onnxio.UnsupportedError
	switch {
	case errors.As(err, &ue):
		return fmt.Sprintf("no shapes: shapes are computed by running the model, and the engine cannot run it (%v); names, ops and parameters are listed", err)
	case unloadedBytes(m) > 0:
		return fmt.Sprintf("no shapes: shapes are computed by running the model, and its external weights (%s) are over the %s `layers` reads (%v); names, ops and parameters are listed",
			engine.FormatBytes(unloadedBytes(m)), engine.FormatBytes(layersExternalMax), err)
	}
	return fmt.Sprintf("shapes incomplete: %v", err)
}

// parseInputShapes reads --input-shape: a bare shape for a model with one
// input, or NAME=SHAPE entries separated by ';'.
func parseInputShapes(m *onnxio.Model, spec string) (map[string][]int64, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	out := make(map[string][]int64)
	for _, part := range strings.Split(spec, ";") {
		name, shape, named := strings.Cut(part, "=")
		if !named {
			if len(m.Inputs) != 1 {
				return nil, fmt.Errorf("the model has %d inputs; write NAME=SHAPE", len(m.Inputs))
			}
			name, shape = m.Inputs[0].Name(), part
		}
		dims, err := onnxio.ParseShape(shape)
		if err != nil {
			return nil, err
		}
		out[strings.TrimSpace(name)] = dims
	}
	return out, nil
}

// layersReport is the JSON document of `layers --json`.
type layersReport struct {
	Model       string           `json:"model"`
	SHA256      string           `json:"sha256"`
	IRVersion   int64            `json:"ir_version"`
	Opsets      map[string]int64 `json:"opsets"`
	Producer    string           `json:"producer"`
	Inputs      []tensorJSON     `json:"inputs"`
	Outputs     []tensorJSON     `json:"outputs"`
	Layers      []layerJSON      `json:"layers"`
	TotalParams int64            `json:"total_params"`
}

type tensorJSON struct {
	Name  string   `json:"name"`
	DType string   `json:"dtype"`
	Shape []int64  `json:"shape"`
	Dims  []string `json:"dims"`
}

type layerJSON struct {
	Index  int      `json:"index"`
	Node   string   `json:"node"`
	Op     string   `json:"op"`
	Output string   `json:"output"`
	DType  string   `json:"dtype"`
	Shape  []int64  `json:"shape"`
	Dims   []string `json:"dims"`
	Params int64    `json:"params"`
}

func newLayersReport(ctx context.Context, m *onnxio.Model, inputs map[string][]int64) (*layersReport, error) {
	layers, types, err := engine.Layers(ctx, m, inputs)
	if layers == nil && err != nil {
		return nil, err
	}
	rep := &layersReport{
		Model:       m.Path,
		SHA256:      m.SHA256,
		IRVersion:   m.IRVersion,
		Opsets:      make(map[string]int64),
		Producer:    strings.TrimSpace(m.ProducerName + " " + m.ProducerVersion),
		Layers:      []layerJSON{},
		TotalParams: m.TotalParams(),
	}
	for d, v := range m.Opsets {
		if d == "" {
			d = "ai.onnx"
		}
		rep.Opsets[d] = v
	}
	for _, vi := range m.Inputs {
		t := types[vi.Name()]
		rep.Inputs = append(rep.Inputs, tensorJSON{vi.Name(), vi.DType().String(), t.Shape, t.Dims})
	}
	for _, vi := range m.Outputs {
		t := types[vi.Name()]
		rep.Outputs = append(rep.Outputs, tensorJSON{vi.Name(), vi.DType().String(), t.Shape, t.Dims})
	}
	for _, l := range layers {
		dt := ""
		if l.DType != onnxio.Undefined {
			dt = l.DType.String()
		}
		rep.Layers = append(rep.Layers, layerJSON{l.Index, l.Node, l.Op, l.Output, dt, l.Shape, l.Dims, l.Params})
	}
	return rep, err
}

// cellWidth and lineWidth bound, in runes, a model string in a table cell
// and on a header line of `layers`.
const (
	cellWidth = 48
	lineWidth = 200
)

func (r *layersReport) writeText(w io.Writer) error {
	var opsets []string
	for d, v := range r.Opsets {
		opsets = append(opsets, fmt.Sprintf("%s %d", d, v))
	}
	sort.Strings(opsets)
	// Every string from the model is escaped (it could hold terminal
	// controls) and, in the table, cut to cellWidth runes (one long name
	// would otherwise pad every row to its width); --json has them whole.
	esc := termsafe.Escape
	line := func(s string) string { return termsafe.Cell(s, lineWidth) }
	fmt.Fprintf(w, "model   %s\n", esc(filepath.Base(r.Model)))
	fmt.Fprintf(w, "sha256  %s\n", r.SHA256)
	fmt.Fprintf(w, "format  IR %d, opset %s", r.IRVersion, line(strings.Join(opsets, ", ")))
	if r.Producer != "" {
		fmt.Fprintf(w, ", producer %s", line(r.Producer))
	}
	fmt.Fprintln(w)
	for _, t := range r.Inputs {
		fmt.Fprintf(w, "input   %s %s %s\n", line(t.Name), t.DType, line(onnxio.FormatDims(t.Dims)))
	}
	for _, t := range r.Outputs {
		fmt.Fprintf(w, "output  %s %s %s\n", line(t.Name), t.DType, line(onnxio.FormatDims(t.Dims)))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tnode\top\toutput\tshape\tdtype\tparams")
	cell := func(s string) string { return termsafe.Cell(s, cellWidth) }
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\n", l.Index, cell(l.Node), cell(l.Op), cell(l.Output), cell(onnxio.FormatDims(l.Dims)), l.DType, l.Params)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d tensors, %d parameters\n", len(r.Layers), r.TotalParams)
	return err
}
