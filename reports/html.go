package reports

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html/template"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

//go:embed assets/report.html
var htmlTemplate string

//go:embed assets/report.css
var reportCSS string

//go:embed assets/report.js
var reportJS string

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"join": strings.Join,
	"f3":   func(v float64) string { return fmt.Sprintf("%.3g", v) },
}).Parse(htmlTemplate))

// TileSize is the pixel size of a gallery scatter tile.
const TileSize = 112

type kv struct{ K, V string }

type spaceView struct {
	Name, Source string
	Img          template.URL
	Quality      []kv
	// Embeddings describes the space's t-SNE runs, the shown one first.
	Embeddings string
}

// summaryView is one line of the summary table: a row's counts, each with
// its range over the embeddings, or the counts of its negative parts.
type summaryView struct {
	Layer, Kind, Space string
	Total              int
	Cells              []string
	Negative           bool
}

type pcaView struct {
	Layer string
	Img   template.URL
	K     int
	Cum   float64
	Ratio string
}

type tileView struct {
	ID, Name, Labels, Class   string
	Scatter, ScatterShared    template.URL
	Rate, RateShared, SAC     template.URL
	Score                     string
	Cent                      string
	HasRate, HasSAC, HasShare bool
}

type galleryView struct {
	ID, Layer, Space, Kind string
	Tiles                  []tileView
}

type cellView struct{ Text, Sort string }

type rowView struct {
	ID, Layer, Space, Unit, Labels, Reasons string
	Cells                                   []cellView
}

type centroidView struct {
	ID     string
	Points []struct {
		X, Y float64
		Text string
	}
}

type verdictView struct {
	Claim, Finding, Mark, Class string
}

type pageView struct {
	R        *Report
	CSS      template.CSS
	JS       template.JS
	Header   []kv
	Params   []kv
	Seeds    []kv
	Metadata []kv
	Spaces   []spaceView
	PCAs     []pcaView
	Labels   []string
	Summary  []summaryView
	// Embeddings is the largest number of t-SNE embeddings a space's labels
	// were voted over.
	Embeddings int
	Verdicts   []verdictView
	Galleries  []galleryView
	Columns    []string
	Rows       []rowView
	Centroids  []centroidView
	Data       any
}

// WriteHTML writes r as one self-contained HTML page: CSS, JavaScript and
// images are inline and nothing is fetched. Every string that comes from
// the model or the dataset is escaped by html/template.
func WriteHTML(w io.Writer, r *Report) error {
	v, err := buildPage(r)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		return fmt.Errorf("rendering HTML report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// runTime sums the step timings (a "total" step, when present, wins).
func runTime(ts []Timing) string {
	sum := 0.0
	for _, t := range ts {
		if strings.HasPrefix(t.Step, "total") {
			return fmt.Sprintf("%.1f s", t.Seconds)
		}
		sum += t.Seconds
	}
	return fmt.Sprintf("%.1f s (see Run details)", sum)
}

func fmtScore(v *float64) string {
	if v == nil || !finite(*v) {
		return "–"
	}
	a := math.Abs(*v)
	switch {
	case *v == math.Trunc(*v) && a < 1e6:
		return fmt.Sprintf("%.0f", *v)
	case a != 0 && (a < 1e-3 || a >= 1e4):
		return fmt.Sprintf("%.2e", *v)
	}
	return fmt.Sprintf("%.3f", *v)
}

func seriesID(layer int, u *Unit) string {
	k := "u"
	if u.Kind == "pc" {
		k = "p"
	}
	return fmt.Sprintf("L%d%s%d", layer, k, u.Index)
}

// primaryLabel picks the label that colours a tile's border.
func primaryLabel(set map[string]bool) string {
	for _, l := range []string{LabelGrid, LabelWeaklyGrid, LabelPlace, LabelConcept, LabelClusterGrid, LabelSilent} {
		if set[l] {
			return l
		}
	}
	return LabelNone
}

func b64f32(v []float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// quantise maps v to bytes 0…254 over [lo, hi]; 255 marks NaN.
func quantise(v []float32) (q string, lo, hi float64) {
	lo, hi = seriesRange(v)
	b := make([]byte, len(v))
	for i, a := range v {
		f := float64(a)
		switch {
		case !finite(f):
			b[i] = 255
		case hi > lo:
			b[i] = byte(math.Round((f - lo) / (hi - lo) * 254))
		}
	}
	return base64.StdEncoding.EncodeToString(b), lo, hi
}

func layerIndex(r *Report, name string) int {
	for i := range r.Layers {
		if r.Layers[i].Name == name {
			return i
		}
	}
	return -1
}

func spaceIndex(r *Report, name string) int {
	for i := range r.Spaces {
		if r.Spaces[i].Name == name {
			return i
		}
	}
	return -1
}

// series returns the activation series of a unit or PC, or nil.
func series(r *Report, li int, u *Unit) []float32 {
	if li < 0 {
		return nil
	}
	l := &r.Layers[li]
	if u.Kind == "pc" {
		if l.PCA != nil && u.Index < len(l.PCA.Scores) {
			return l.PCA.Scores[u.Index]
		}
		return nil
	}
	if u.Index < len(l.Activations) {
		return l.Activations[u.Index]
	}
	return nil
}

func buildPage(r *Report) (*pageView, error) {
	v := &pageView{R: r, CSS: template.CSS(reportCSS), JS: template.JS(reportJS), Labels: summaryLabels(r.Summary)}

	acc := "no labels"
	if r.Accuracy != nil {
		acc = fmt.Sprintf("%.2f%%", 100**r.Accuracy)
	}
	opsets := make([]string, 0, len(r.Model.Opsets))
	for _, d := range slices.Sorted(mapsKeys(r.Model.Opsets)) {
		name := d
		if name == "" {
			name = "ai.onnx"
		}
		opsets = append(opsets, fmt.Sprintf("%s %d", name, r.Model.Opsets[d]))
	}
	v.Header = []kv{
		{"Model file", r.Model.File},
		{"SHA-256", r.Model.SHA256},
		{"Producer", strings.TrimSpace(r.Model.Producer + " " + r.Model.ProducerVersion)},
		{"Opset", strings.Join(opsets, ", ")},
		{"IR version", fmt.Sprint(r.Model.IRVersion)},
		{"Inputs → outputs", strings.Join(r.Model.Inputs, ", ") + " → " + strings.Join(r.Model.Outputs, ", ")},
		{"Dataset", fmt.Sprintf("%s (%s), %d points, shape %v", r.Dataset.Name, r.Dataset.Source, r.Dataset.N, r.Dataset.Shape)},
		{"Normalisation", r.Dataset.Normalisation},
		{"Accuracy", acc},
		{"Tool", r.Tool + " " + r.Version},
		{"Run time", runTime(r.Timings)},
		{"Created", r.Created},
	}
	for _, k := range slices.Sorted(mapsKeys(r.Model.Metadata)) {
		v.Metadata = append(v.Metadata, kv{k, r.Model.Metadata[k]})
	}
	p := r.Params
	v.Params = []kv{
		{"layers", strings.Join(p.Layers, ", ") + " (" + p.LayersChosen + ")"},
		{"units", layerUnits(r.Layers)},
		{"space layer", p.SpaceLayer},
		{"limit", fmt.Sprint(p.Limit)},
		{"batch size", fmt.Sprint(p.BatchSize)},
		{"PCs", fmt.Sprintf("%s (variance threshold %g)", p.PCs, p.PCVariance)},
		{"t-SNE perplexity", fmt.Sprint(p.Perplexity)},
		{"t-SNE iterations", fmt.Sprint(p.Iterations)},
		{"t-SNE PCA dims", fmt.Sprint(p.TSNEPCA)},
		{"bins per side", fmt.Sprint(p.Bins)},
		{"permutation shuffles", fmt.Sprint(p.Shuffles)},
		{"field shuffles", fmt.Sprint(p.FieldShuffles)},
		{"t-SNE embeddings per space", embeddingsParam(p)},
		{"seed", fmt.Sprint(p.Seed)},
	}
	for _, k := range slices.Sorted(mapsKeys(p.Cells)) {
		v.Params = append(v.Params, kv{k, fmt.Sprint(p.Cells[k])})
	}
	for _, k := range slices.Sorted(mapsKeys(r.Seeds)) {
		v.Seeds = append(v.Seeds, kv{k, fmt.Sprint(r.Seeds[k])})
	}

	for i := range r.Spaces {
		sp := &r.Spaces[i]
		title := "image space (t-SNE of the input)"
		if sp.Name != "image" {
			title = sp.Name + " space (t-SNE of " + sp.Source + ")"
		}
		png, err := spacePlot(sp, r.Labels, r.Classes, title)
		if err != nil {
			return nil, err
		}
		sv := spaceView{Name: sp.Name, Source: sp.Source, Img: dataURI("image/png", png)}
		for _, k := range slices.Sorted(mapsKeys(sp.Quality)) {
			q := sp.Quality[k]
			sv.Quality = append(sv.Quality, kv{k, fmtScore(&q)})
		}
		var es []string
		for j, e := range sp.Embeddings {
			q := e.Quality["kl"]
			es = append(es, fmt.Sprintf("%d: seed %d, perplexity %g, KL %s", j+1, e.Seed, e.Perplexity, fmtScore(&q)))
		}
		if len(es) > 1 {
			sv.Embeddings = fmt.Sprintf("%d t-SNE embeddings, the first shown (%s)", len(es), strings.Join(es, "; "))
		}
		v.Spaces = append(v.Spaces, sv)
		v.Centroids = append(v.Centroids, centroids(r, i))
	}
	for i := range r.Layers {
		l := &r.Layers[i]
		if l.PCA == nil || len(l.PCA.Explained) == 0 {
			continue
		}
		png, err := pcaPlot(l.Name, l.PCA)
		if err != nil {
			return nil, err
		}
		var ratios []string
		for j := 0; j < l.PCA.K && j < len(l.PCA.Explained); j++ {
			ratios = append(ratios, fmt.Sprintf("%.3f", l.PCA.Explained[j]))
		}
		v.PCAs = append(v.PCAs, pcaView{Layer: l.Name, Img: dataURI("image/png", png), K: l.PCA.K, Cum: l.PCA.Cumulative, Ratio: strings.Join(ratios, ", ")})
	}
	for i := range r.Summary {
		s := &r.Summary[i]
		sv := summaryView{Layer: s.Layer, Kind: s.Kind, Space: s.Space, Total: s.Total}
		for _, l := range v.Labels {
			c := fmt.Sprint(s.Counts[l])
			if s.Embeddings > 1 {
				rg := s.Range[l]
				c += fmt.Sprintf(" (%d–%d)", rg[0], rg[1])
			}
			sv.Cells = append(sv.Cells, c)
		}
		v.Summary = append(v.Summary, sv)
		v.Embeddings = max(v.Embeddings, s.Embeddings)
		if s.NegativeParts > 0 {
			nv := summaryView{Layer: s.Layer, Kind: s.Kind + " (−)", Space: s.Space, Total: s.NegativeParts, Negative: true}
			for _, l := range v.Labels {
				nv.Cells = append(nv.Cells, fmt.Sprint(s.Negative[l]))
			}
			v.Summary = append(v.Summary, nv)
		}
	}
	for _, vd := range r.Verdict {
		vv := verdictView{Claim: vd.Claim, Finding: vd.Finding, Mark: "untested", Class: "na"}
		if vd.Agrees != nil {
			if *vd.Agrees {
				vv.Mark, vv.Class = "agrees", "yes"
			} else {
				vv.Mark, vv.Class = "differs", "no"
			}
		}
		v.Verdicts = append(v.Verdicts, vv)
	}

	v.Columns = scoreColumns(r)
	v.Galleries = galleries(r)
	for _, res := range r.Results {
		li := layerIndex(r, res.Layer)
		for ui := range res.Units {
			u := &res.Units[ui]
			for _, part := range u.Parts {
				row := rowView{ID: seriesID(li, u), Layer: res.Layer, Space: res.Space, Unit: unitName(u, part.Sign),
					Labels: strings.Join(part.Labels, ", "), Reasons: strings.Join(part.Reasons, "; ")}
				for _, c := range v.Columns {
					s := part.Scores[c]
					cv := cellView{Text: fmtScore(s)}
					if s != nil && finite(*s) {
						cv.Sort = fmt.Sprint(*s)
					}
					row.Cells = append(row.Cells, cv)
				}
				v.Rows = append(v.Rows, row)
			}
		}
	}
	v.Data = explorerData(r)
	return v, nil
}

// embeddingsParam describes the t-SNE embeddings of each space, e.g. "3
// (perplexity 30; 2 more with new seeds, alternating perplexity 30 and 50)".
func embeddingsParam(p Params) string {
	if p.RobustSeeds < 1 {
		return fmt.Sprintf("1 (perplexity %g)", p.Perplexity)
	}
	return fmt.Sprintf("%d (perplexity %g; %d more with new seeds, alternating perplexity %g and %g)",
		1+p.RobustSeeds, p.Perplexity, p.RobustSeeds, p.Perplexity, p.RobustPerplexity)
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// centroids places each class's mean position in space si, in the 0…100
// coordinates of the square frame (y up), for the tile overlays.
func centroids(r *Report, si int) centroidView {
	sp := &r.Spaces[si]
	cv := centroidView{ID: fmt.Sprintf("cent%d", si)}
	if r.Labels == nil {
		return cv
	}
	sx, sy, n := map[int]float64{}, map[int]float64{}, map[int]int{}
	for i := range sp.X {
		if i >= len(r.Labels) || r.Labels[i] < 0 {
			continue
		}
		c := r.Labels[i]
		sx[c] += float64(sp.X[i])
		sy[c] += float64(sp.Y[i])
		n[c]++
	}
	keys := make([]int, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	w, h := sp.Frame[1]-sp.Frame[0], sp.Frame[3]-sp.Frame[2]
	if w <= 0 || h <= 0 {
		return cv
	}
	for _, c := range keys {
		x := (sx[c]/float64(n[c]) - sp.Frame[0]) / w * 100
		y := 100 - (sy[c]/float64(n[c])-sp.Frame[2])/h*100
		name := fmt.Sprint(c)
		if c < len(r.Classes) {
			name = r.Classes[c]
		}
		if len([]rune(name)) > 3 {
			name = string([]rune(name)[:3])
		}
		cv.Points = append(cv.Points, struct {
			X, Y float64
			Text string
		}{x, y, name})
	}
	return cv
}

// galleries renders the firing-map tiles: one gallery per layer, kind and
// space, each tile with the scatter coloured by activation, the rate map
// and the autocorrelogram, each with its own colour scale and (for the
// scatter and rate map) the gallery's shared one.
func galleries(r *Report) []galleryView {
	var out []galleryView
	for _, res := range r.Results {
		li := layerIndex(r, res.Layer)
		si := spaceIndex(r, res.Space)
		for _, kind := range []string{"unit", "pc"} {
			var units []*Unit
			for i := range res.Units {
				if res.Units[i].Kind == kind {
					units = append(units, &res.Units[i])
				}
			}
			if len(units) == 0 {
				continue
			}
			g := galleryView{ID: fmt.Sprintf("g%d", len(out)), Layer: res.Layer, Space: res.Space, Kind: kind}
			// Shared scales over the gallery.
			slo, shi := math.Inf(1), math.Inf(-1)
			rlo, rhi := math.Inf(1), math.Inf(-1)
			signed := false
			for _, u := range units {
				signed = signed || u.Signed
				lo, hi := seriesRange(series(r, li, u))
				slo, shi = math.Min(slo, lo), math.Max(shi, hi)
				if m := displayMap(u); m != nil {
					if lo, hi, ok := gridRange(m); ok {
						rlo, rhi = math.Min(rlo, lo), math.Max(rhi, hi)
					}
				}
			}
			g.Tiles = make([]tileView, len(units))
			parallel(len(units), func(i int) {
				g.Tiles[i] = renderTile(r, li, si, units[i], scale{slo, shi, signed}, [2]float64{rlo, rhi})
			})
			out = append(out, g)
		}
	}
	return out
}

// renderTile draws one gallery tile: the scatter and rate map with their
// own and the gallery's shared colour scales (shared, rshared), and the
// autocorrelogram.
func renderTile(r *Report, li, si int, u *Unit, shared scale, rshared [2]float64) tileView {
	t := tileView{ID: seriesID(li, u), Name: unitName(u, ""), Cent: fmt.Sprintf("cent%d", si)}
	t.Class = primaryLabel(unitLabels(u))
	var ls []string
	for _, p := range u.Parts {
		l := strings.Join(p.Labels, ", ")
		if p.Sign != "" {
			l = p.Sign + ": " + l
		}
		ls = append(ls, l)
	}
	t.Labels = strings.Join(ls, "; ")
	if s := series(r, li, u); s != nil && si >= 0 && len(s) == len(r.Spaces[si].X) {
		lo, hi := seriesRange(s)
		sp := &r.Spaces[si]
		t.Scatter = dataURI("image/png", scatterPNG(sp.X, sp.Y, s, sp.Frame, scale{lo, hi, u.Signed}, TileSize))
		t.ScatterShared = dataURI("image/png", scatterPNG(sp.X, sp.Y, s, sp.Frame, shared, TileSize))
		t.HasShare = true
	}
	if m := displayMap(u); m != nil && len(m.Values) == m.Rows*m.Cols && m.Rows > 0 {
		lo, hi, _ := gridRange(m)
		t.Rate = dataURI("image/png", gridPNG(m, scale{lo, hi, false}))
		t.RateShared = dataURI("image/png", gridPNG(m, scale{rshared[0], rshared[1], false}))
		t.HasRate = true
	}
	if p := primaryPart(u); p != nil && p.SAC != nil && len(p.SAC.Values) == p.SAC.Rows*p.SAC.Cols && p.SAC.Rows > 0 {
		t.SAC = dataURI("image/png", gridPNG(p.SAC, scale{-1, 1, true}))
		t.HasSAC = true
	}
	t.Score = tileScore(u)
	return t
}

// parallel calls f(0…n−1) on GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// primaryPart is the part a tile shows: the only part of an unsigned unit,
// the positive part of a signed one (the paper's Figure 2 clamps negative
// activity to zero).
func primaryPart(u *Unit) *Part {
	for i := range u.Parts {
		if u.Parts[i].Sign == "" || u.Parts[i].Sign == "+" {
			return &u.Parts[i]
		}
	}
	if len(u.Parts) > 0 {
		return &u.Parts[0]
	}
	return nil
}

// displayMap is the smoothed rate map of the primary part, or its raw map.
func displayMap(u *Unit) *Grid {
	p := primaryPart(u)
	if p == nil {
		return nil
	}
	if p.Smooth != nil {
		return p.Smooth
	}
	return p.RateMap
}

func tileScore(u *Unit) string {
	var parts []string
	for _, p := range u.Parts {
		s := fmt.Sprintf("g %s · SI %s", fmtScore(p.Scores["gridness"]), fmtScore(p.Scores["spatial_info"]))
		if v := p.Scores["spatial_info_p95"]; v != nil {
			s += " (p95 " + fmtScore(v) + ")"
		}
		if v := p.Scores["n_fields"]; v != nil {
			s += " · fields " + fmtScore(v)
		}
		if v := p.Scores["csi"]; v != nil {
			s += " · CSI " + fmtScore(v)
		}
		if p.Sign != "" {
			s = p.Sign + " " + s
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "\n")
}

type exSpace struct {
	Name  string     `json:"name"`
	X     string     `json:"x"`
	Y     string     `json:"y"`
	Frame [4]float64 `json:"frame"`
}

type exSeries struct {
	ID     string  `json:"id"`
	Layer  string  `json:"layer"`
	Name   string  `json:"name"`
	Signed bool    `json:"signed"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	Q      string  `json:"q"`
}

type exPart struct {
	Sign    string              `json:"sign"`
	Labels  []string            `json:"labels"`
	Reasons []string            `json:"reasons"`
	Scores  map[string]*float64 `json:"scores"`
}

type exData struct {
	Spaces  []exSpace                      `json:"spaces"`
	Labels  string                         `json:"labels"`
	Classes []string                       `json:"classes"`
	Colors  []string                       `json:"colors"`
	LUTSeq  string                         `json:"lutSeq"`
	LUTDiv  string                         `json:"lutDiv"`
	Series  []exSeries                     `json:"series"`
	Scores  map[string]map[string][]exPart `json:"scores"`
	Columns []string                       `json:"columns"`
}

// explorerData is what the unit explorer's script reads: coordinates as
// base64 little-endian float32, labels and activations as base64 bytes
// (activations quantised to 0…254 over [lo, hi], 255 = NaN).
func explorerData(r *Report) *exData {
	d := &exData{Classes: r.Classes, Scores: map[string]map[string][]exPart{}, Columns: scoreColumns(r),
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
	for _, sp := range r.Spaces {
		d.Spaces = append(d.Spaces, exSpace{Name: sp.Name, X: b64f32(sp.X), Y: b64f32(sp.Y), Frame: sp.Frame})
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
	seen := map[string]bool{}
	for _, res := range r.Results {
		li := layerIndex(r, res.Layer)
		for ui := range res.Units {
			u := &res.Units[ui]
			id := seriesID(li, u)
			if !seen[id] {
				seen[id] = true
				if s := series(r, li, u); s != nil {
					q, lo, hi := quantise(s)
					d.Series = append(d.Series, exSeries{ID: id, Layer: res.Layer, Name: unitName(u, ""), Signed: u.Signed, Lo: lo, Hi: hi, Q: q})
				}
			}
			if d.Scores[id] == nil {
				d.Scores[id] = map[string][]exPart{}
			}
			for _, p := range u.Parts {
				d.Scores[id][res.Space] = append(d.Scores[id][res.Space], exPart{Sign: p.Sign, Labels: p.Labels, Reasons: p.Reasons, Scores: finiteScores(p.Scores)})
			}
		}
	}
	return d
}

// layerUnits says per layer how its tensor became units, e.g.
// "/layer3/…/Relu_output_0: 256×4×4 → 256 units (spatial-mean)".
func layerUnits(layers []Layer) string {
	var parts []string
	for _, l := range layers {
		s := fmt.Sprintf("%s: %d units", l.Name, l.Units)
		if len(l.TensorShape) > 0 {
			dims := make([]string, len(l.TensorShape))
			for i, d := range l.TensorShape {
				dims[i] = fmt.Sprint(d)
			}
			s = fmt.Sprintf("%s: %s → %d units", l.Name, strings.Join(dims, "×"), l.Units)
		}
		if l.Reduce != "" {
			s += " (" + l.Reduce
			if l.UnitIndex != nil {
				s += ", chosen with --units"
			}
			s += ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
