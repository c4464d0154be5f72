package reports

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"math"
	"slices"
	"strconv"
)

// The page's script draws every plot from the data below, embedded once
// as JSON: the points of each space (float32, base64) shared by all the
// plots of that space, one 8-bit quantised activation series per unit or
// PC shared by both spaces, and per unit and space its labels, scores,
// reasons and its positive part's rate map and autocorrelogram, each 8-bit
// quantised with its minimum and maximum. The quantised series and maps
// are bytes of one blob, gzip-compressed and base64-encoded (the page
// inflates it with the browser's DecompressionStream); the JSON gives each
// one's offset and length. This replaces three PNG images per unit and
// keeps the report small (issue 11: ≤ 4 MB for the demo, ≤ 15 MB with a
// 320-unit conv layer hooked).

type exCentroid struct {
	C int     `json:"c"` // class index
	X float64 `json:"x"` // 0…1 across the frame
	Y float64 `json:"y"` // 0…1 up the frame
}

type exSpace struct {
	Name      string       `json:"name"`
	Source    string       `json:"source"`
	X         string       `json:"x"`
	Y         string       `json:"y"`
	Frame     [4]float64   `json:"frame"`
	Centroids []exCentroid `json:"centroids"`
}

type exSeries struct {
	ID     string  `json:"id"`
	Layer  string  `json:"layer"`
	Name   string  `json:"name"`
	Signed bool    `json:"signed"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Span
}

// Span locates bytes in the blob: offset O, length N.
type Span struct {
	O int `json:"o"`
	N int `json:"n"`
}

// blob collects the quantised bytes.
type blob struct{ b []byte }

func (bl *blob) add(b []byte) Span {
	s := Span{O: len(bl.b), N: len(b)}
	bl.b = append(bl.b, b...)
	return s
}

// encode returns the blob gzip-compressed and base64-encoded.
func (bl *blob) encode() string {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed+3)
	zw.Write(bl.b)
	zw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// exMap is a quantised rate map or autocorrelogram: bytes 0…254 over
// [lo, hi], 255 for an empty bin, row 0 at the lowest y. A point-symmetric
// map (an autocorrelogram) keeps only its first ⌈rows·cols/2⌉ values
// (Half); value i of the rest equals value rows·cols−1−i.
type exMap struct {
	Rows int     `json:"r"`
	Cols int     `json:"c"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
	Half bool    `json:"half,omitempty"`
	Span
}

type exPart struct {
	Sign    string              `json:"sign"`
	Labels  []string            `json:"labels"`
	Runs    map[string]int      `json:"runs,omitempty"`
	N       int                 `json:"n"` // embeddings voted over
	Reasons []string            `json:"reasons"`
	Scores  map[string]*float64 `json:"scores"`
}

// exUnit is one unit or PC of a layer in one space.
type exUnit struct {
	ID      string   `json:"id"` // series ID
	Layer   string   `json:"layer"`
	Space   string   `json:"space"`
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Class   string   `json:"class"` // the label that colours its border
	Parts   []exPart `json:"parts"`
	Map     *exMap   `json:"map,omitempty"` // positive part's smoothed rate map
	SAC     *exMap   `json:"sac,omitempty"` // positive part's autocorrelogram
	Gallery int      `json:"g"`             // index of its gallery
}

type exPCA struct {
	Layer     string    `json:"layer"`
	K         int       `json:"k"`
	Explained []float64 `json:"explained"`
}

type exHero struct {
	ID    string `json:"id"`
	Space string `json:"space"`
}

type exData struct {
	Spaces  []exSpace  `json:"spaces"`
	Labels  string     `json:"labels"`
	Classes []string   `json:"classes"`
	Colors  []string   `json:"colors"`
	LUTSeq  string     `json:"lutSeq"`
	LUTDiv  string     `json:"lutDiv"`
	Series  []exSeries `json:"series"`
	Units   []exUnit   `json:"units"`
	PCA     []exPCA    `json:"pca"`
	Columns []string   `json:"columns"`
	// Blob holds the quantised bytes, gzip-compressed, base64.
	Blob string `json:"blob"`
}

// quantiseGrid returns g as an exMap, keeping half of a point-symmetric
// grid when symmetric is set and g is.
func quantiseGrid(bl *blob, g *Grid, symmetric bool) *exMap {
	if g == nil || g.Rows <= 0 || len(g.Values) != g.Rows*g.Cols {
		return nil
	}
	lo, hi, _ := gridRange(g)
	if !(lo <= hi) {
		lo, hi = 0, 0
	}
	vals := g.Values
	m := &exMap{Rows: g.Rows, Cols: g.Cols, Lo: lo, Hi: hi}
	if symmetric && pointSymmetric(vals) {
		vals = vals[:(len(vals)+1)/2]
		m.Half = true
	}
	b := make([]byte, len(vals))
	for i, v := range vals {
		switch {
		case !finite(v):
			b[i] = 255
		case hi > lo:
			b[i] = byte(math.Round((v - lo) / (hi - lo) * 254))
		}
	}
	m.Span = bl.add(b)
	return m
}

// pointSymmetric reports whether v[i] = v[n−1−i] for all i (NaN matching
// NaN), to 1e-9: an autocorrelogram's value at lag −d equals its value at d.
func pointSymmetric(v []float64) bool {
	n := len(v)
	for i := 0; i < n/2; i++ {
		a, b := v[i], v[n-1-i]
		if math.IsNaN(a) != math.IsNaN(b) || !math.IsNaN(a) && math.Abs(a-b) > 1e-9 {
			return false
		}
	}
	return true
}

// explorerData is what the page's script reads.
func explorerData(r *Report) *exData {
	d := &exData{Classes: r.Classes, Columns: scoreColumns(r),
		LUTSeq: base64.StdEncoding.EncodeToString(seqLUT.bytes()),
		LUTDiv: base64.StdEncoding.EncodeToString(divLUT.bytes())}
	if d.Classes == nil {
		d.Classes = []string{}
	}
	n := len(r.Classes)
	if n == 0 {
		n = 1
	}
	for c := 0; c < n; c++ {
		d.Colors = append(d.Colors, hexColor(classColor(c)))
	}
	for i, sp := range r.Spaces {
		d.Spaces = append(d.Spaces, exSpace{Name: sp.Name, Source: sp.Source, X: b64f32(sp.X), Y: b64f32(sp.Y), Frame: sp.Frame,
			Centroids: centroids(r, i)})
	}
	if r.Labels != nil {
		b := make([]byte, len(r.Labels))
		for i, l := range r.Labels {
			if l < 0 || l > 254 {
				b[i] = 255
			} else {
				b[i] = byte(l)
			}
		}
		d.Labels = base64.StdEncoding.EncodeToString(b)
	}
	for _, l := range r.Layers {
		if l.PCA != nil && len(l.PCA.Explained) > 0 {
			d.PCA = append(d.PCA, exPCA{Layer: l.Name, K: l.PCA.K, Explained: slices.Clone(l.PCA.Explained)})
		}
	}
	var bl blob
	seen := map[string]bool{}
	gallery := 0
	for _, res := range r.Results {
		li := layerIndex(r, res.Layer)
		for _, kind := range []string{"unit", "pc"} {
			found := false
			for ui := range res.Units {
				u := &res.Units[ui]
				if u.Kind != kind {
					continue
				}
				found = true
				id := seriesID(li, u)
				if !seen[id] {
					seen[id] = true
					if s := series(r, li, u); s != nil {
						q, lo, hi := quantise(s)
						d.Series = append(d.Series, exSeries{ID: id, Layer: res.Layer, Name: unitName(u, ""), Signed: u.Signed, Lo: lo, Hi: hi, Span: bl.add(q)})
					}
				}
				eu := exUnit{ID: id, Layer: res.Layer, Space: res.Space, Kind: u.Kind, Name: unitName(u, ""),
					Class: primaryLabel(unitLabels(u)), Gallery: gallery}
				for _, p := range u.Parts {
					eu.Parts = append(eu.Parts, exPart{Sign: p.Sign, Labels: p.Labels, Runs: p.Runs, N: max(1, len(p.EmbeddingLabels)),
						Reasons: p.Reasons, Scores: shortScores(p.Scores)})
				}
				if p := primaryPart(u); p != nil {
					eu.Map = quantiseGrid(&bl, displayMap(p), false)
					eu.SAC = quantiseGrid(&bl, p.SAC, true)
				}
				d.Units = append(d.Units, eu)
			}
			if found {
				gallery++
			}
		}
	}
	d.Blob = bl.encode()
	return d
}

// shortScores is finiteScores with values rounded to 4 significant digits,
// enough for display and sorting, and much shorter in the page's JSON.
func shortScores(m map[string]*float64) map[string]*float64 {
	out := finiteScores(m)
	for k, v := range out {
		if v != nil {
			r, _ := strconv.ParseFloat(strconv.FormatFloat(*v, 'g', 4, 64), 64)
			out[k] = &r
		}
	}
	return out
}
