package reports

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/png"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// classColors are the class colours of the concept-space plots (the
// Tableau 10 set, as in matplotlib's default cycle); classes beyond ten
// reuse them.
var classColors = []color.NRGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff},
	{0xd6, 0x27, 0x28, 0xff}, {0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff},
	{0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff}, {0xbc, 0xbd, 0x22, 0xff},
	{0x17, 0xbe, 0xcf, 0xff},
}

func classColor(c int) color.NRGBA {
	if c < 0 {
		return color.NRGBA{0x55, 0x55, 0x55, 0xff}
	}
	return classColors[c%len(classColors)]
}

func hexColor(c color.NRGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// lut is a 256-entry colour table sampled from a gonum palette.
type lut [256]color.NRGBA

func newLUT(cm palette.ColorMap) *lut {
	var l lut
	cm.SetMin(0)
	cm.SetMax(1)
	for i := range l {
		c, err := cm.At(float64(i) / 255)
		if err != nil {
			panic("reports: colour map: " + err.Error())
		}
		l[i] = color.NRGBAModel.Convert(c).(color.NRGBA)
	}
	return &l
}

var (
	// seqLUT colours non-negative activations (low = dark), divLUT signed
	// ones (negative blue, zero grey, positive red).
	seqLUT = newLUT(viridis())
	divLUT = newLUT(moreland.SmoothBlueRed())
)

// viridis is a perceptually uniform sequential map (dark purple → yellow)
// built from ten control colours of matplotlib's viridis with gonum's
// luminance-interpolated colour maps.
func viridis() palette.ColorMap {
	hex := []uint32{0x440154, 0x482878, 0x3e4989, 0x31688e, 0x26828e, 0x1f9e89, 0x35b779, 0x6ece58, 0xb5de2b, 0xfde725}
	cs := make([]color.Color, len(hex))
	for i, h := range hex {
		cs[i] = color.NRGBA{uint8(h >> 16), uint8(h >> 8), uint8(h), 0xff}
	}
	cm, err := moreland.NewLuminance(cs)
	if err != nil {
		panic("reports: viridis: " + err.Error())
	}
	return cm
}

// bytes returns the table as 768 RGB bytes.
func (l *lut) bytes() []byte {
	b := make([]byte, 0, 768)
	for _, c := range l {
		b = append(b, c.R, c.G, c.B)
	}
	return b
}

// scale maps values to palette indices 1…256 of a paletted image (index 0
// is transparent): sequential over [lo, hi], or diverging symmetric about
// zero over [−m, m] with m = max(|lo|, |hi|).
type scale struct {
	lo, hi    float64
	diverging bool
}

func (s scale) index(v float64) uint8 {
	lo, hi := s.lo, s.hi
	if s.diverging {
		m := math.Max(math.Abs(lo), math.Abs(hi))
		lo, hi = -m, m
	}
	t := 0.0
	if hi > lo {
		t = (v - lo) / (hi - lo)
	}
	t = math.Max(0, math.Min(1, t))
	return uint8(1 + math.Round(t*254))
}

func (s scale) palette() color.Palette {
	l := seqLUT
	if s.diverging {
		l = divLUT
	}
	p := make(color.Palette, 256)
	p[0] = color.NRGBA{}
	for i := 1; i < 256; i++ {
		p[i] = l[int(math.Round(float64(i-1)*255/254))]
	}
	return p
}

func dataURI(mime string, b []byte) template.URL {
	// The bytes are ours (PNG/SVG we rendered), so the URL is trusted.
	return template.URL("data:" + mime + ";base64," + base64.StdEncoding.EncodeToString(b))
}

func encodePNG(img image.Image) []byte {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.DefaultCompression}
	if err := enc.Encode(&buf, img); err != nil {
		panic("reports: png: " + err.Error()) // cannot fail on an in-memory image
	}
	return buf.Bytes()
}

// scatterPNG rasterises points (x, y) in frame [xmin, xmax, ymin, ymax]
// onto a size×size paletted image, 2×2 pixels per point, coloured by v with
// s. Points are drawn in increasing order of |v| so that strong activity
// lies on top.
func scatterPNG(x, y []float32, v []float32, frame [4]float64, s scale, size int) []byte {
	img := image.NewPaletted(image.Rect(0, 0, size, size), s.palette())
	order := make([]int32, len(x))
	key := make([]float32, len(x))
	for i := range order {
		order[i] = int32(i)
		key[i] = float32(math.Abs(float64(v[i])))
	}
	slices.SortStableFunc(order, func(a, b int32) int { return cmp.Compare(key[a], key[b]) })
	w := frame[1] - frame[0]
	h := frame[3] - frame[2]
	if w <= 0 || h <= 0 {
		return encodePNG(img)
	}
	for _, i := range order {
		px := int((float64(x[i]) - frame[0]) / w * float64(size-2))
		py := size - 2 - int((float64(y[i])-frame[2])/h*float64(size-2))
		if px < 0 || py < 0 || px > size-2 || py > size-2 {
			continue
		}
		c := s.index(float64(v[i]))
		img.Pix[py*img.Stride+px] = c
		img.Pix[py*img.Stride+px+1] = c
		img.Pix[(py+1)*img.Stride+px] = c
		img.Pix[(py+1)*img.Stride+px+1] = c
	}
	return encodePNG(img)
}

// gridPNG renders g one pixel per cell (row 0 at the bottom), NaN
// transparent; the page scales it up without smoothing.
func gridPNG(g *Grid, s scale) []byte {
	img := image.NewPaletted(image.Rect(0, 0, g.Cols, g.Rows), s.palette())
	for r := 0; r < g.Rows; r++ {
		for c := 0; c < g.Cols; c++ {
			v := g.Values[r*g.Cols+c]
			if math.IsNaN(v) {
				continue
			}
			img.Pix[(g.Rows-1-r)*img.Stride+c] = s.index(v)
		}
	}
	return encodePNG(img)
}

// gridRange returns the minimum and maximum of the finite values of g.
func gridRange(g *Grid) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range g.Values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	return lo, hi, lo <= hi
}

func seriesRange(v []float32) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, a := range v {
		f := float64(a)
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			lo, hi = math.Min(lo, f), math.Max(hi, f)
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// plotPNG renders p at w×h points and 96 dpi.
func plotPNG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(96))}
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// spacePlot draws a concept space coloured by class, like Figure 1 of the
// paper: one scatter per class with a legend of class names.
func spacePlot(sp *Space, labels []int, classes []string, title string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "t-SNE 1"
	p.Y.Label.Text = "t-SNE 2"
	p.Legend.Top = true
	p.Legend.Left = false
	p.Legend.XOffs = vg.Points(60)
	byClass := map[int]plotter.XYs{}
	for i := range sp.X {
		c := -1
		if labels != nil && i < len(labels) {
			c = labels[i]
		}
		byClass[c] = append(byClass[c], plotter.XY{X: float64(sp.X[i]), Y: float64(sp.Y[i])})
	}
	keys := make([]int, 0, len(byClass))
	for k := range byClass {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	for _, k := range keys {
		s, err := plotter.NewScatter(byClass[k])
		if err != nil {
			return nil, fmt.Errorf("plotting %s space: %w", sp.Name, err)
		}
		s.GlyphStyle.Color = classColor(k)
		s.GlyphStyle.Radius = vg.Points(0.9)
		s.GlyphStyle.Shape = draw.CircleGlyph{}
		p.Add(s)
		name := "unlabelled"
		if k >= 0 {
			name = fmt.Sprint(k)
			if k < len(classes) {
				name = classes[k]
			}
		}
		if len(name) > 24 {
			name = name[:24] + "…"
		}
		p.Legend.Add(name, s)
	}
	// Square frame, as the rate maps use.
	p.X.Min, p.X.Max = sp.Frame[0], sp.Frame[1]
	p.Y.Min, p.Y.Max = sp.Frame[2], sp.Frame[3]
	return plotPNG(p, vg.Points(440), vg.Points(380))
}

// pcaPlot draws the explained-variance ratio of each component as bars
// and the cumulative ratio as a line, marking the kept components.
func pcaPlot(layer string, pca *PCA) ([]byte, error) {
	p := plot.New()
	p.Title.Text = "PCA of " + layer
	p.X.Label.Text = "component"
	p.Y.Label.Text = "explained variance ratio"
	n := len(pca.Explained)
	if n == 0 {
		return nil, fmt.Errorf("PCA of %s has no components", layer)
	}
	kept := make(plotter.Values, n)
	rest := make(plotter.Values, n)
	cum := make(plotter.XYs, n)
	sum := 0.0
	for i, v := range pca.Explained {
		if i < pca.K {
			kept[i] = v
		} else {
			rest[i] = v
		}
		sum += v
		cum[i] = plotter.XY{X: float64(i), Y: sum}
	}
	w := vg.Points(math.Max(1, 300/float64(n)))
	b1, err := plotter.NewBarChart(kept, w)
	if err != nil {
		return nil, err
	}
	b1.Color = classColors[0]
	b1.LineStyle.Width = 0
	b2, err := plotter.NewBarChart(rest, w)
	if err != nil {
		return nil, err
	}
	b2.Color = color.NRGBA{0xbb, 0xbb, 0xbb, 0xff}
	b2.LineStyle.Width = 0
	l, err := plotter.NewLine(cum)
	if err != nil {
		return nil, err
	}
	l.Color = classColors[3]
	p.Add(b1, b2, l, plotter.NewGrid())
	p.Legend.Add(fmt.Sprintf("kept (%d)", pca.K), b1)
	p.Legend.Add("cumulative", l)
	p.Legend.Left = true
	p.Legend.Top = false
	p.Legend.YOffs = vg.Points(60)
	p.Y.Min, p.Y.Max = 0, 1
	return plotPNG(p, vg.Points(440), vg.Points(260))
}
