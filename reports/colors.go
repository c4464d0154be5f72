package reports

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
)

// classColors are the class colours of the concept-space plots, drawn by
// the page's script (the
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
