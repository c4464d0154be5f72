package reports

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/conceptcells/conceptcells/probe"
	"html/template"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

//go:embed assets/report.html
var htmlTemplate string

//go:embed assets/report.css
var reportCSS string

//go:embed assets/report.js
var reportJS string

// scriptHash is the Content-Security-Policy hash source of reportJS.
var scriptHash = func() string {
	sum := sha256.Sum256([]byte(reportJS))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

var pageTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct":  func(v float64) string { return fmt.Sprintf("%.2f%%", 100*v) },
	"join": strings.Join,
}).Parse(htmlTemplate))

type kv struct{ K, V string }

// tableView is a small table of text cells for the run details (e.g. the
// training history in the model's metadata).
type tableView struct {
	Caption string
	Head    []string
	Rows    [][]string
}

type spaceView struct {
	Index        int
	Name, Source string
	Quality      string
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
	Index int
	Layer string
	K     int
	Cum   float64
	Ratio string
}

type galleryView struct {
	Index              int
	Layer, Space, Kind string
	Total, Labelled    int
}

type verdictView struct {
	Claim, Finding, Mark, Class string
}

// countView is one count of the findings panel: a label, how many units
// carry it and its range over the embeddings; it links to the units.
type countView struct {
	Label, Word string
	N           int
	Range       string
}

// findingView is the findings panel's line for one layer, kind and space.
type findingView struct {
	Layer, Space, Kind string
	Total              int
	Counts             []countView
	Negative           string
}

// heroView is a candidate the findings panel shows enlarged.
type heroView struct {
	Title, ID, Space, Sign string
	Unit, Layer, Labels    string
	Note                   string
	Scores                 []kv
}

type pageView struct {
	R   *Report
	CSS template.CSS
	JS  template.JS
	// ScriptHash is the CSP source of the one inline script
	// ("sha256-…"): only that script may run, not any script a model's
	// strings might smuggle into the page.
	ScriptHash string
	Facts      []kv
	Header     []kv
	Params     []kv
	Seeds      []kv
	Metadata   []kv
	Tables     []tableView
	Warnings   []string
	Notes      []string
	Spaces     []spaceView
	PCAs       []pcaView
	Labels     []string
	Summary    []summaryView
	Findings   []findingView
	Heroes     []heroView
	// Embeddings is the largest number of t-SNE embeddings a space's labels
	// were voted over.
	Embeddings int
	Verdicts   []verdictView
	Galleries  []galleryView
	Data       any
}

// WriteHTML writes r as one self-contained HTML page: CSS, JavaScript and
// data are inline, the plots are drawn by the page's script on canvases,
// and nothing is fetched. Every string that comes from the model or the
// dataset is escaped by html/template or set as text by the script.
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
	return fmt.Sprintf("%.1f s", sum)
}

// fmtScore formats a score for people (probe.FormatScore); nil is
// undefined.
func fmtScore(v *float64) string { return probe.FormatScore(scoreValue(v)) }

// fmtParam formats a parameter value for people: floats with at most six
// significant digits (no 0.6000000000000001), slices element by element.
func fmtParam(v any) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'g', 6, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', 6, 32)
	case []float64:
		s := make([]string, len(x))
		for i, f := range x {
			s[i] = fmtParam(f)
		}
		return strings.Join(s, ", ")
	case []any:
		s := make([]string, len(x))
		for i, e := range x {
			s[i] = fmtParam(e)
		}
		return strings.Join(s, ", ")
	}
	return fmt.Sprint(v)
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
func quantise(v []float32) (q []byte, lo, hi float64) {
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
	return b, lo, hi
}

func layerIndex(r *Report, name string) int {
	for i := range r.Layers {
		if r.Layers[i].Name == name {
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

// RoutineWarning reports whether a warning states a routine fact of the
// data rather than a problem (constant input columns, e.g. MNIST's blank
// border pixels): the report shows those in the run details, not in the
// warning box.
func RoutineWarning(w string) bool {
	return strings.Contains(w, "input columns are constant")
}

// buildPage makes the view of r that the page template renders: the run
// facts and header, the parameters, the spaces, the PCAs, the summary, the
// findings, the verdict, the galleries and the explorer's data.
func buildPage(r *Report) (*pageView, error) {
	v := &pageView{R: r, CSS: template.CSS(reportCSS), JS: template.JS(reportJS), ScriptHash: scriptHash, Labels: probe.RowLabels(r.Summary)}
	runFacts(v, r)
	v.Params = paramRows(r)
	for _, k := range slices.Sorted(mapsKeys(r.Seeds)) {
		v.Seeds = append(v.Seeds, kv{k, fmt.Sprint(r.Seeds[k])})
	}
	v.Spaces = spaceViews(r)
	v.PCAs = pcaViews(r)
	v.Summary, v.Embeddings = summaryViews(r, v.Labels)
	v.Findings = findingViews(r)
	v.Heroes = heroes(r)
	v.Verdicts = verdictViews(r)
	v.Galleries = galleryViews(r)
	v.Data = explorerData(r)
	return v, nil
}

// runFacts fills the facts box, the header table, the warnings (routine
// ones apart, as notes) and the model's metadata of v.
func runFacts(v *pageView, r *Report) {
	acc := "no labels"
	if r.Accuracy != nil {
		acc = fmt.Sprintf("%.2f%%", 100**r.Accuracy)
	} else if r.AccuracyNote != "" {
		acc = "not computed: " + r.AccuracyNote
	}
	opsets := make([]string, 0, len(r.Model.Opsets))
	for _, d := range slices.Sorted(mapsKeys(r.Model.Opsets)) {
		name := d
		if name == "" {
			name = "ai.onnx"
		}
		opsets = append(opsets, fmt.Sprintf("%s %d", name, r.Model.Opsets[d]))
	}
	embeddings := 1
	for _, s := range r.Summary {
		embeddings = max(embeddings, s.Embeddings)
	}
	v.Facts = []kv{
		{"model", r.Model.File},
		{"data", fmt.Sprintf("%s, %d points", r.Dataset.Name, r.Dataset.N)},
		{"accuracy", acc},
		{"layers", strings.Join(r.Params.Layers, ", ")},
		{"t-SNE embeddings per space", fmt.Sprint(embeddings)},
		{"run time", runTime(r.Timings)},
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
	for _, w := range r.Warnings {
		if RoutineWarning(w) {
			v.Notes = append(v.Notes, w)
		} else {
			v.Warnings = append(v.Warnings, w)
		}
	}
	for _, k := range slices.Sorted(mapsKeys(r.Model.Metadata)) {
		if t, ok := jsonTable(k, r.Model.Metadata[k]); ok {
			v.Tables = append(v.Tables, t)
			continue
		}
		v.Metadata = append(v.Metadata, kv{k, r.Model.Metadata[k]})
	}
}

// paramRows lists the run's parameters, then the cell scorer's (those the
// command sets keep its words).
func paramRows(r *Report) []kv {
	p := r.Params
	rows := []kv{
		{"layers", strings.Join(p.Layers, ", ") + " (" + p.LayersChosen + ")"},
		{"units", layerUnits(r.Layers)},
		{"space layer", p.SpaceLayer},
		{"limit", fmt.Sprint(p.Limit)},
		{"batch size", fmt.Sprint(p.BatchSize)},
		{"PCs", fmt.Sprintf("%s (variance threshold %s)", p.PCs, fmtParam(p.PCVariance))},
		{"t-SNE perplexity", fmtParam(p.Perplexity)},
		{"t-SNE iterations", fmt.Sprint(p.Iterations)},
		{"t-SNE PCA dims", fmt.Sprint(p.TSNEPCA)},
		{"t-SNE embeddings per space", embeddingsParam(p)},
		{"seed", fmt.Sprint(p.Seed)},
	}
	dup := map[string]string{"bins": "bins per side", "field_shuffles": "field shuffles", "permutations": "permutation shuffles"}
	if _, ok := p.Cells["bins"]; !ok {
		rows = append(rows, kv{"bins per side", fmt.Sprint(p.Bins)})
	}
	if _, ok := p.Cells["permutations"]; !ok {
		rows = append(rows, kv{"permutation shuffles", fmt.Sprint(p.Shuffles)})
	}
	if _, ok := p.Cells["field_shuffles"]; !ok {
		rows = append(rows, kv{"field shuffles", fmt.Sprint(p.FieldShuffles)})
	}
	for _, k := range slices.Sorted(mapsKeys(p.Cells)) {
		if name, ok := dup[k]; ok {
			rows = append(rows, kv{name, fmtParam(p.Cells[k])})
			continue
		}
		rows = append(rows, kv{"cells: " + k, fmtParam(p.Cells[k])})
	}
	return rows
}

// spaceViews describes each space: its quality and its embeddings.
func spaceViews(r *Report) []spaceView {
	var out []spaceView
	for i := range r.Spaces {
		sp := &r.Spaces[i]
		sv := spaceView{Index: i, Name: sp.Name, Source: sp.Source}
		var qs []string
		for _, k := range slices.Sorted(mapsKeys(sp.Quality)) {
			q := sp.Quality[k]
			qs = append(qs, k+" "+fmtScore(&q))
		}
		sv.Quality = strings.Join(qs, "; ")
		var es []string
		for j, e := range sp.Embeddings {
			q := e.Quality["kl"]
			es = append(es, fmt.Sprintf("%d: seed %d, perplexity %s, KL %s", j+1, e.Seed, fmtParam(e.Perplexity), fmtScore(&q)))
		}
		if len(es) > 1 {
			sv.Embeddings = fmt.Sprintf("%d t-SNE embeddings, the first shown (%s)", len(es), strings.Join(es, "; "))
		}
		out = append(out, sv)
	}
	return out
}

// pcaViews describes the PCA of each layer that has one.
func pcaViews(r *Report) []pcaView {
	var out []pcaView
	for i := range r.Layers {
		l := &r.Layers[i]
		if l.PCA == nil || len(l.PCA.Explained) == 0 {
			continue
		}
		var ratios []string
		for j := 0; j < l.PCA.K && j < len(l.PCA.Explained); j++ {
			ratios = append(ratios, fmt.Sprintf("%.3f", l.PCA.Explained[j]))
		}
		out = append(out, pcaView{Index: i, Layer: l.Name, K: l.PCA.K, Cum: l.PCA.Cumulative, Ratio: strings.Join(ratios, ", ")})
	}
	return out
}

// summaryViews makes the summary table's rows (a negative-part row after
// each row with signed units), the counts of labels in that order, and
// returns the most embeddings of a space.
func summaryViews(r *Report, labels []string) ([]summaryView, int) {
	var out []summaryView
	embeddings := 0
	for i := range r.Summary {
		s := &r.Summary[i]
		sv := summaryView{Layer: s.Layer, Kind: s.Kind, Space: s.Space, Total: s.Total}
		for _, l := range labels {
			c := fmt.Sprint(s.Counts[l])
			if s.Embeddings > 1 {
				rg := s.Range[l]
				c += fmt.Sprintf(" (%d–%d)", rg[0], rg[1])
			}
			sv.Cells = append(sv.Cells, c)
		}
		out = append(out, sv)
		embeddings = max(embeddings, s.Embeddings)
		if s.NegativeParts > 0 {
			nv := summaryView{Layer: s.Layer, Kind: s.Kind + " (−)", Space: s.Space, Total: s.NegativeParts, Negative: true}
			for _, l := range labels {
				nv.Cells = append(nv.Cells, fmt.Sprint(s.Negative[l]))
			}
			out = append(out, nv)
		}
	}
	return out, embeddings
}

// verdictViews marks each verdict line agrees, differs or untested.
func verdictViews(r *Report) []verdictView {
	var out []verdictView
	for _, vd := range r.Verdict {
		vv := verdictView{Claim: vd.Claim, Finding: vd.Finding, Mark: "untested", Class: "na"}
		if vd.Agrees != nil {
			if *vd.Agrees {
				vv.Mark, vv.Class = "agrees", "yes"
			} else {
				vv.Mark, vv.Class = "differs", "no"
			}
		}
		out = append(out, vv)
	}
	return out
}

// jsonTable turns a metadata value holding a JSON array of flat objects
// (e.g. the training history) into a table; ok is false otherwise.
func jsonTable(key, value string) (tableView, bool) {
	var rows []map[string]any
	if !strings.HasPrefix(strings.TrimSpace(value), "[") || json.Unmarshal([]byte(value), &rows) != nil || len(rows) == 0 {
		return tableView{}, false
	}
	var head []string
	seen := map[string]bool{}
	for _, row := range rows {
		for k, x := range row {
			switch x.(type) {
			case map[string]any, []any:
				return tableView{}, false
			}
			if !seen[k] {
				seen[k] = true
				head = append(head, k)
			}
		}
	}
	sort.Strings(head)
	// A column named like an index comes first.
	for i, h := range head {
		if strings.EqualFold(h, "epoch") {
			head = append([]string{h}, slices.Delete(head, i, i+1)...)
			break
		}
	}
	t := tableView{Caption: "Model metadata: " + key, Head: head}
	for _, row := range rows {
		var cells []string
		for _, h := range head {
			switch x := row[h].(type) {
			case nil:
				cells = append(cells, "")
			case float64:
				cells = append(cells, strconv.FormatFloat(x, 'g', 4, 64))
			default:
				cells = append(cells, fmt.Sprint(x))
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	return t, true
}

// findingLabels are the labels the findings panel counts, in its order,
// with the words it uses for them.
var findingLabels = []struct{ label, word string }{
	{LabelGrid, "grid"},
	{LabelWeaklyGrid, "weakly grid"},
	{LabelClusterGrid, "class-layout grid"},
	{LabelPlace, "place"},
	{LabelConcept, "concept"},
}

// findingViews states, per layer, kind and space, how many units carry
// each cell label, with its range over the embeddings.
func findingViews(r *Report) []findingView {
	var out []findingView
	for i := range r.Summary {
		s := &r.Summary[i]
		f := findingView{Layer: s.Layer, Space: s.Space, Kind: s.Kind, Total: s.Total}
		for _, fl := range findingLabels {
			if fl.label == LabelWeaklyGrid && s.Counts[fl.label] == 0 && s.Range[fl.label][1] == 0 {
				continue
			}
			c := countView{Label: fl.label, Word: fl.word, N: s.Counts[fl.label]}
			// The range over the embeddings, when they disagree.
			if rg := s.Range[fl.label]; s.Embeddings > 1 && (rg[0] != rg[1] || rg[0] != c.N) {
				c.Range = fmt.Sprintf("%d–%d", rg[0], rg[1])
			}
			f.Counts = append(f.Counts, c)
		}
		if s.NegativeParts > 0 {
			var ns []string
			for _, l := range probe.RowLabels(r.Summary) {
				if l != LabelNone && l != LabelSilent && s.Negative[l] > 0 {
					ns = append(ns, fmt.Sprintf("%d %s", s.Negative[l], l))
				}
			}
			if len(ns) == 0 {
				ns = append(ns, "no cell labels")
			}
			f.Negative = fmt.Sprintf("negative parts of %d signed %s: %s", s.NegativeParts, probe.KindWord(s.Kind), strings.Join(ns, ", "))
		}
		out = append(out, f)
	}
	return out
}

// candidate is one scored positive part, for picking the strongest ones.
type candidate struct {
	layer, space string
	li           int
	u            *Unit
	p            *Part
}

func score(p *Part, name string) float64 {
	if v := p.Scores[name]; v != nil && finite(*v) {
		return *v
	}
	return math.Inf(-1)
}

// heroes picks the strongest grid candidate (a grid label first, then
// weakly-grid, then class-layout grid, then the highest gridness of any
// unit) and the strongest place cell (the place cell with the highest
// spatial information, or the unit with the highest spatial information
// when none is a place cell).
func heroes(r *Report) []heroView {
	var all []candidate
	for ri := range r.Results {
		res := &r.Results[ri]
		li := layerIndex(r, res.Layer)
		for ui := range res.Units {
			u := &res.Units[ui]
			if p := primaryPart(u); p != nil && p.Smooth != nil {
				all = append(all, candidate{res.Layer, res.Space, li, u, p})
			}
		}
	}
	if len(all) == 0 {
		return nil
	}
	rank := func(c candidate, order []string) int {
		for i, l := range order {
			if slices.Contains(c.p.Labels, l) {
				return i
			}
		}
		return len(order)
	}
	best := func(order []string, by string) candidate {
		b := all[0]
		for _, c := range all[1:] {
			rc, rb := rank(c, order), rank(b, order)
			if rc < rb || rc == rb && score(c.p, by) > score(b.p, by) {
				b = c
			}
		}
		return b
	}
	g := best([]string{LabelGrid, LabelWeaklyGrid, LabelClusterGrid}, "gridness")
	gh := hero(r, g, "Strongest grid candidate")
	switch {
	case slices.Contains(g.p.Labels, LabelGrid):
		gh.Note = "labelled grid: it passes every grid test."
	case slices.Contains(g.p.Labels, LabelWeaklyGrid):
		gh.Note = "labelled weakly-grid only: no unit passes the grid tests."
	case slices.Contains(g.p.Labels, LabelClusterGrid):
		gh.Note = "a class-layout grid: its pattern is the layout of the class clusters, not a grid cell. No unit is labelled grid."
	default:
		gh.Note = "the highest gridness of any unit, but it fails the grid tests (see its reasons): no unit is grid-like."
	}
	pl := best([]string{LabelPlace}, "spatial_info")
	ph := hero(r, pl, "Strongest place cell")
	if !slices.Contains(pl.p.Labels, LabelPlace) {
		ph.Title = "Highest spatial information"
		ph.Note = "no unit is labelled place; this one has the highest spatial information."
	} else {
		ph.Note = "the place cell with the highest spatial information."
	}
	return []heroView{gh, ph}
}

func hero(r *Report, c candidate, title string) heroView {
	h := heroView{Title: title, ID: seriesID(c.li, c.u), Space: c.space, Sign: c.p.Sign, Unit: unitName(c.u, c.p.Sign),
		Layer: c.layer, Labels: strings.Join(c.p.Labels, ", ")}
	for _, k := range []struct{ name, key string }{
		{"gridness", "gridness"}, {"gridness null p95", "gridness_p95"}, {"density gridness", "density_gridness"},
		{"grid fields", "grid_fields"}, {"spatial information", "spatial_info"}, {"SI null p95", "spatial_info_p95"},
		{"place fields", "n_fields"}, {"field fraction", "field_frac"}, {"CSI", "csi"}, {"top class", "top_class"},
		{"residual gridness", "residual_gridness"},
	} {
		if s, ok := c.p.Scores[k.key]; ok {
			val := fmtScore(s)
			if k.key == "top_class" && s != nil && finite(*s) && int(*s) >= 0 && int(*s) < len(r.Classes) {
				val = r.Classes[int(*s)]
			}
			h.Scores = append(h.Scores, kv{k.name, val})
		}
	}
	// In how many embeddings each of its labels held.
	if n := len(c.p.EmbeddingLabels); n > 1 {
		for _, l := range c.p.Labels {
			k, ok := c.p.Runs[l]
			what := l
			if l == LabelWeaklyGrid {
				// Voted as grid or weakly-grid (see probe's vote).
				k, ok, what = k+c.p.Runs[LabelGrid], true, "grid or weakly-grid"
			}
			if ok {
				h.Scores = append(h.Scores, kv{what + " in embeddings", fmt.Sprintf("%d of %d", k, n)})
			}
		}
	}
	return h
}

// galleryViews lists the firing-map galleries: one per layer, kind and
// space, with the number of units that carry a cell label (shown first).
func galleryViews(r *Report) []galleryView {
	var out []galleryView
	for _, res := range r.Results {
		for _, kind := range []string{"unit", "pc"} {
			g := galleryView{Index: len(out), Layer: res.Layer, Space: res.Space, Kind: kind}
			for i := range res.Units {
				u := &res.Units[i]
				if u.Kind != kind {
					continue
				}
				g.Total++
				if l := primaryLabel(unitLabels(u)); l != LabelNone && l != LabelSilent {
					g.Labelled++
				}
			}
			if g.Total > 0 {
				out = append(out, g)
			}
		}
	}
	return out
}

// embeddingsParam describes the t-SNE embeddings of each space, e.g. "3
// (perplexity 30; 2 more with new seeds, alternating perplexity 30 and 50)".
func embeddingsParam(p Params) string {
	if p.RobustSeeds < 1 {
		return fmt.Sprintf("1 (perplexity %s)", fmtParam(p.Perplexity))
	}
	return fmt.Sprintf("%d (perplexity %s; %d more with new seeds, alternating perplexity %s and %s)",
		1+p.RobustSeeds, fmtParam(p.Perplexity), p.RobustSeeds, fmtParam(p.Perplexity), fmtParam(p.RobustPerplexity))
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

// centroids places each class's mean position in space si, in the 0…1
// coordinates of the square frame (y up), for the plot overlays.
func centroids(r *Report, si int) []exCentroid {
	sp := &r.Spaces[si]
	if r.Labels == nil {
		return nil
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
		return nil
	}
	var out []exCentroid
	for _, c := range keys {
		out = append(out, exCentroid{C: c, X: round4((sx[c]/float64(n[c]) - sp.Frame[0]) / w), Y: round4((sy[c]/float64(n[c]) - sp.Frame[2]) / h)})
	}
	return out
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

// primaryPart is the part a tile shows: the only part of an unsigned unit,
// the positive part of a signed one (the paper's Figure 2 clamps negative
// activity to zero).
func primaryPart(u *Unit) *Part {
	signs := make([]string, len(u.Parts))
	for i, p := range u.Parts {
		signs[i] = p.Sign
	}
	if i := probe.PositivePart(signs); i >= 0 {
		return &u.Parts[i]
	}
	return nil
}

// displayMap is the smoothed rate map of p, or its raw map.
func displayMap(p *Part) *Grid {
	if p == nil {
		return nil
	}
	if p.Smooth != nil {
		return p.Smooth
	}
	return p.RateMap
}

// layerUnits says per layer how its tensor became units, e.g.
// "/layer3/…/Relu_output_0: 256×4×4 → 256 units (spatial-mean)".
func layerUnits(layers []Layer) string {
	var parts []string
	for _, l := range layers {
		s := fmt.Sprintf("%s: %d units", l.Name, l.Units)
		if len(l.TensorShape) > 0 {
			s = fmt.Sprintf("%s: %s → %d units", l.Name, probe.FormatShape(l.TensorShape), l.Units)
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
