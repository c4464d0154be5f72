package probe

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Label names used by the classification (cells) and the vote.
const (
	LabelGrid       = "grid"
	LabelWeaklyGrid = "weakly-grid"
	// LabelClusterGrid marks a unit that passes the grid or weakly-grid
	// tests but whose pattern is the layout of the class clusters (its
	// class-mean map is grid-like and its fields lie in several classes):
	// not interpretable as a grid cell (cell-metrics spec §9.4).
	LabelClusterGrid = "cluster-grid"
	LabelPlace       = "place"
	LabelConcept     = "concept"
	LabelNone        = "none"
	LabelSilent      = "silent"
	// LabelUndefined marks a part whose scores could not be computed; the
	// summary counts it as none.
	LabelUndefined = "undefined"
)

// SummaryLabels lists the labels the summary always counts, in display
// order; any other label the scorer gives follows, alphabetically.
var SummaryLabels = []string{LabelPlace, LabelGrid, LabelWeaklyGrid, LabelClusterGrid, LabelConcept, LabelNone, LabelSilent}

func isNullLabel(l string) bool { return l == LabelNone || l == LabelSilent || l == LabelUndefined }

// Outcome is what the summary and the verdict read of a run: the setting
// (labels, classes, layers, spaces) and the voted labels of every unit
// part. Result.Outcome makes one from a probe result; a report read back
// from JSON makes one from its own fields.
type Outcome struct {
	// HasLabels says whether the data have class labels; Classes is the
	// number of classes named (0 without labels).
	HasLabels bool
	Classes   int
	Layers    []OutcomeLayer
	Spaces    []OutcomeSpace
	// Units holds every scored unit and PC, grouped by layer and space in
	// the order of Result.Scores.
	Units []OutcomeUnit
}

// OutcomeLayer is a hooked layer as the verdict sees it.
type OutcomeLayer struct {
	Name  string
	Role  string // "final", "pre-final" or ""
	Shape []int  // per-point shape of the units
	Units int
	PCA   *OutcomePCA // nil when skipped
}

// OutcomePCA is a layer's PCA as the verdict states it.
type OutcomePCA struct {
	K          int
	Auto       bool
	Threshold  float64 // variance fraction for auto
	Cumulative float64 // explained-variance ratio of the K PCs kept
}

// OutcomeSpace is a concept space: its name and what it embeds.
type OutcomeSpace struct {
	Name, Source string
}

// OutcomeUnit is one unit or PC of a layer in one space.
type OutcomeUnit struct {
	Layer, Space string
	Kind         string // "unit" or "pc"
	Index        int
	Parts        []OutcomePart
}

// OutcomePart is one scored part: its sign, voted labels, labels in each
// embedding, and the shown embedding's scores the findings quote (NaN when
// undefined).
type OutcomePart struct {
	Sign            string
	Labels          []string
	EmbeddingLabels [][]string
	Gridness        float64
	DensityGridness float64
	NFields         float64
}

// SummaryRow counts unit classes in one layer, kind and space. A unit's
// labels are those of its positive part (its only part when unsigned): the
// paper scored firing rates. A unit counts once per label, so place and
// concept overlap. Negative parts are counted apart.
type SummaryRow struct {
	Layer string `json:"layer"`
	Kind  string `json:"kind"` // "unit" or "pc"
	Space string `json:"space"`
	Total int    `json:"total"`
	// Counts holds, per label, the units that carry it (voted over the
	// embeddings).
	Counts map[string]int `json:"counts"`
	// Embeddings is the number of t-SNE embeddings of the space, and Range
	// the smallest and largest per-embedding count of each label.
	Embeddings int               `json:"embeddings"`
	Range      map[string][2]int `json:"range"`
	// NegativeParts is the number of signed units, whose negative parts
	// Negative counts by label.
	NegativeParts int            `json:"negative_parts,omitempty"`
	Negative      map[string]int `json:"negative,omitempty"`
}

// Verdict is one of the paper's claims and what this run found.
type Verdict struct {
	Claim   string `json:"claim"`
	Finding string `json:"finding"`
	// Agrees is nil when the run cannot test the claim.
	Agrees *bool `json:"agrees"`
}

// Summary is the analysis of a run's labels: the counts per layer, kind
// and space (Rows), the same in words (Findings), and the comparison with
// the paper's claims (Verdict), only in the paper's setting; otherwise
// Verdict is empty and VerdictNote says why.
type Summary struct {
	Rows        []SummaryRow
	Findings    []string
	Verdict     []Verdict
	VerdictNote string
}

// Summarise counts the labels of o, states them and, in the paper's
// setting, checks the paper's claims.
func Summarise(o *Outcome) Summary {
	s := Summary{Rows: o.summaryRows()}
	s.Findings = findings(s.Rows)
	if why := o.notPaperSetting(); why == "" {
		s.Verdict = o.verdicts(s.Rows)
	} else {
		s.VerdictNote = "The paper's verdict is not shown: " + why + ". It applies to the paper's setting only: " +
			"class labels, a final layer with one unit per class, a 1-D pre-final layer, and the network space " +
			"embedding the final layer."
	}
	return s
}

// Outcome returns what Summarise reads of r.
func (r *Result) Outcome() *Outcome {
	o := &Outcome{}
	if d := r.Data; d != nil {
		o.HasLabels = len(d.Labels) > 0
		o.Classes = len(d.Classes)
		if d.Classes == nil {
			// Classes named by their labels, 0…max.
			for _, l := range d.Labels {
				o.Classes = max(o.Classes, l+1)
			}
		}
	}
	for _, l := range r.Layers {
		ol := OutcomeLayer{Name: l.Name, Role: l.Role, Shape: l.Shape, Units: l.Units}
		if p := l.PCA; p != nil {
			ol.PCA = &OutcomePCA{K: p.K, Auto: p.Auto, Threshold: p.Threshold, Cumulative: p.Cumulative()}
		}
		o.Layers = append(o.Layers, ol)
	}
	for _, s := range r.Spaces {
		o.Spaces = append(o.Spaces, OutcomeSpace{Name: s.Name, Source: s.Source})
	}
	for _, u := range r.Scores {
		ou := OutcomeUnit{Layer: u.Layer, Space: u.Space, Kind: u.Kind, Index: u.Index}
		for _, p := range u.Parts {
			nf := math.NaN()
			if p.Scores.NFields >= 0 {
				nf = float64(p.Scores.NFields)
			}
			ou.Parts = append(ou.Parts, OutcomePart{Sign: p.Sign, Labels: p.Labels, EmbeddingLabels: p.EmbeddingLabels,
				Gridness: p.Scores.Gridness, DensityGridness: p.Scores.DensityGridness, NFields: nf})
		}
		o.Units = append(o.Units, ou)
	}
	return o
}

// Cumulative is the explained-variance ratio of the K PCs kept: the sum
// of the first K Ratios.
func (p *PCAResult) Cumulative() float64 {
	c := 0.0
	for i := 0; i < p.K && i < len(p.Ratios); i++ {
		c += p.Ratios[i]
	}
	return c
}

// CountedLabels returns the labels of one part that the summary counts.
// A label other than none/silent/undefined overrides those; otherwise the
// part is silent or none (undefined counts as none).
func CountedLabels(labels []string) map[string]bool {
	set := map[string]bool{}
	for _, l := range labels {
		if !isNullLabel(l) {
			set[l] = true
		}
	}
	if len(set) == 0 {
		if slices.Contains(labels, LabelSilent) {
			set[LabelSilent] = true
		} else {
			set[LabelNone] = true
		}
	}
	return set
}

// PositivePart returns the index of the part a unit counts with among
// parts of the given signs: its positive part ("+"), or its only part
// when unsigned (""); failing those the first, or −1 for none. That is the
// firing rate the paper scored.
func PositivePart(signs []string) int {
	for i, s := range signs {
		if s == "" || s == "+" {
			return i
		}
	}
	if len(signs) > 0 {
		return 0
	}
	return -1
}

// positive returns u's positive part (PositivePart), or nil.
func (u *OutcomeUnit) positive() *OutcomePart {
	signs := make([]string, len(u.Parts))
	for i, p := range u.Parts {
		signs[i] = p.Sign
	}
	if i := PositivePart(signs); i >= 0 {
		return &u.Parts[i]
	}
	return nil
}

// labels returns the labels u counts with: those of its positive part.
// The negative part of a signed unit does not count here.
func (u *OutcomeUnit) labels() map[string]bool {
	p := u.positive()
	if p == nil {
		return CountedLabels(nil)
	}
	return CountedLabels(p.Labels)
}

// negative is the "-" part of a signed unit, or nil.
func (u *OutcomeUnit) negative() *OutcomePart {
	for i := range u.Parts {
		if u.Parts[i].Sign == "-" {
			return &u.Parts[i]
		}
	}
	return nil
}

// labelsIn returns p's labels in embedding e: EmbeddingLabels[e], or
// Labels when the part has no such record (one embedding, or a report
// edited by hand).
func (p *OutcomePart) labelsIn(e int) []string {
	if e < len(p.EmbeddingLabels) {
		return p.EmbeddingLabels[e]
	}
	return p.Labels
}

// groups returns the units of o by layer and space, in order of first
// appearance.
func (o *Outcome) groups() [][]*OutcomeUnit {
	var out [][]*OutcomeUnit
	index := map[[2]string]int{}
	for i := range o.Units {
		u := &o.Units[i]
		k := [2]string{u.Layer, u.Space}
		g, ok := index[k]
		if !ok {
			g = len(out)
			index[k] = g
			out = append(out, nil)
		}
		out[g] = append(out[g], u)
	}
	return out
}

// embeddings returns the number of embeddings the parts of us were voted
// over (at least 1).
func embeddings(us []*OutcomeUnit) int {
	n := 1
	for _, u := range us {
		for _, p := range u.Parts {
			n = max(n, len(p.EmbeddingLabels))
		}
	}
	return n
}

// summaryRows counts the labels per layer, space and kind (units, then
// PCs), with the range of each count over the embeddings.
func (o *Outcome) summaryRows() []SummaryRow {
	var rows []SummaryRow
	for _, us := range o.groups() {
		n := embeddings(us)
		for _, kind := range []string{"unit", "pc"} {
			row := SummaryRow{Layer: us[0].Layer, Kind: kind, Space: us[0].Space, Counts: map[string]int{},
				Embeddings: n, Range: map[string][2]int{}}
			per := make([]map[string]int, n) // counts in each embedding
			for e := range per {
				per[e] = map[string]int{}
			}
			for _, u := range us {
				if u.Kind != kind {
					continue
				}
				row.Total++
				for l := range u.labels() {
					row.Counts[l]++
				}
				if p := u.positive(); p != nil {
					for e := range per {
						for l := range CountedLabels(p.labelsIn(e)) {
							per[e][l]++
						}
					}
				}
				if neg := u.negative(); neg != nil {
					if row.Negative == nil {
						row.Negative = map[string]int{}
					}
					row.NegativeParts++
					for l := range CountedLabels(neg.Labels) {
						row.Negative[l]++
					}
				}
			}
			if row.Total == 0 {
				continue
			}
			for _, l := range SummaryLabels {
				row.Counts[l] += 0
				if row.Negative != nil {
					row.Negative[l] += 0
				}
			}
			for _, m := range per {
				for l := range m {
					row.Counts[l] += 0
				}
			}
			for l := range row.Counts {
				lo, hi := per[0][l], per[0][l]
				for _, m := range per[1:] {
					lo, hi = min(lo, m[l]), max(hi, m[l])
				}
				row.Range[l] = [2]int{lo, hi}
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// RowLabels returns the labels counted in rows: SummaryLabels, then any
// other label (a new name from the scorer) in alphabetical order.
func RowLabels(rows []SummaryRow) []string {
	out := slices.Clone(SummaryLabels)
	extra := map[string]bool{}
	for _, s := range rows {
		for l := range s.Counts {
			extra[l] = true
		}
		for l := range s.Negative {
			extra[l] = true
		}
	}
	for _, l := range slices.Sorted(maps.Keys(extra)) {
		if !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// count formats the count of label in s with its range over the
// embeddings: "3 place (2–4)", or "3 place" for one embedding.
func (s *SummaryRow) count(label string) string {
	c := fmt.Sprintf("%d %s", s.Counts[label], label)
	if s.Embeddings > 1 {
		rg := s.Range[label]
		c += fmt.Sprintf(" (%d–%d)", rg[0], rg[1])
	}
	return c
}

// votedOver says how counts over n embeddings were made, for the end of a
// finding, or "" for one embedding.
func votedOver(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" Labels are voted over %d t-SNE embeddings of each space; brackets give the smallest and largest count in one embedding"+
		" (a voted count can fall outside them when different units hold a label in different embeddings).", n)
}

// KindWord names the units of kind for people: "units" or "PCs".
func KindWord(kind string) string {
	if kind == "pc" {
		return "PCs"
	}
	return "units"
}

// findings states the summary rows in words, one line per layer, kind and
// space: every label that occurs (grid always), with its range over the
// embeddings, and the negative parts apart.
func findings(rows []SummaryRow) []string {
	labels := RowLabels(rows)
	var out []string
	n := 1
	for _, s := range rows {
		n = max(n, s.Embeddings)
	}
	if note := strings.TrimSpace(votedOver(n)); note != "" {
		out = append(out, note)
	}
	for i := range rows {
		s := &rows[i]
		var cs []string
		for _, l := range labels {
			if l == LabelGrid || s.Counts[l] > 0 || s.Range[l][1] > 0 {
				cs = append(cs, s.count(l))
			}
		}
		f := fmt.Sprintf("%s, %d %s in %s space: %s.", s.Layer, s.Total, KindWord(s.Kind), s.Space, strings.Join(cs, ", "))
		if s.NegativeParts > 0 {
			var ns []string
			for _, l := range labels {
				if s.Negative[l] > 0 {
					ns = append(ns, fmt.Sprintf("%d %s", s.Negative[l], l))
				}
			}
			f += fmt.Sprintf(" Negative parts of the %d signed %s (counted apart): %s.", s.NegativeParts, KindWord(s.Kind), strings.Join(ns, ", "))
		}
		out = append(out, f)
	}
	return out
}

// row returns the summary row for layer, kind and space in rows, or nil.
func row(rows []SummaryRow, layer, kind, space string) *SummaryRow {
	for i := range rows {
		s := &rows[i]
		if s.Layer == layer && s.Kind == kind && s.Space == space {
			return s
		}
	}
	return nil
}

// roleLayer returns the layer with the given role; failing that, for
// "final" the last layer and for "pre-final" the one before it.
func (o *Outcome) roleLayer(role string) *OutcomeLayer {
	for i := range o.Layers {
		if o.Layers[i].Role == role {
			return &o.Layers[i]
		}
	}
	n := len(o.Layers)
	switch {
	case role == "final" && n >= 1:
		return &o.Layers[n-1]
	case role == "pre-final" && n >= 2:
		return &o.Layers[n-2]
	}
	return nil
}

// notPaperSetting says why the run is not in the paper's setting, or ""
// when it is: class labels, a final layer with exactly one unit per class,
// a 1-D pre-final layer, and a network space that embeds the final layer.
func (o *Outcome) notPaperSetting() string {
	var why []string
	if !o.HasLabels {
		why = append(why, "the data have no class labels")
	}
	fin, pre := o.roleLayer("final"), o.roleLayer("pre-final")
	switch {
	case fin == nil:
		why = append(why, "no final layer was hooked")
	case o.Classes > 0 && fin.Units != o.Classes:
		why = append(why, fmt.Sprintf("the final layer %s has %d units for %d classes", fin.Name, fin.Units, o.Classes))
	}
	switch {
	case pre == nil:
		why = append(why, "no pre-final layer was hooked")
	case len(pre.Shape) != 1:
		why = append(why, fmt.Sprintf("the pre-final layer %s has shape %v, not one dimension", pre.Name, pre.Shape))
	}
	if fin != nil {
		for _, s := range o.Spaces {
			if s.Name == "network" {
				if s.Source != fin.Name {
					why = append(why, fmt.Sprintf("the network space embeds %s, not the final layer %s", s.Source, fin.Name))
				}
				break
			}
		}
	}
	return strings.Join(why, "; ")
}

func boolp(b bool) *bool { return &b }

// verdicts compares the run with the paper's findings, one claim per line,
// each checked as stated: every final-layer unit is a place cell with one
// field in network space; the pre-final layer has no grid cells (in any
// space); and its PCs (the paper kept 11 of the 50-unit layer) have none
// either. Counts are the voted ones of rows, with their range over the
// embeddings; weakly-grid and other grid-like labels (cluster-grid) are
// reported but not counted as grid.
func (o *Outcome) verdicts(rows []SummaryRow) []Verdict {
	var out []Verdict
	if fin := o.roleLayer("final"); fin != nil {
		v := Verdict{Claim: "Every final-layer unit is place-like (one field, on its class cluster) in network space."}
		if s := row(rows, fin.Name, "unit", "network"); s != nil {
			one := func(u *OutcomeUnit) bool {
				p := u.positive()
				return u.labels()[LabelPlace] && p != nil && p.NFields == 1
			}
			n := len(o.units(fin.Name, "unit", "network", one))
			v.Finding = fmt.Sprintf("%s in network space: %d of %d units are place cells with one field; %s; counted apart: %s",
				fin.Name, n, s.Total, s.count(LabelPlace), s.count(LabelConcept))
			if others := describe(o.units(fin.Name, "unit", "network", func(u *OutcomeUnit) bool { return !one(u) })); others != "" {
				v.Finding += "; not place with one field: " + others
			}
			v.Finding += "." + votedOver(s.Embeddings)
			v.Agrees = boolp(n == s.Total)
		} else {
			v.Finding = fmt.Sprintf("%s was not scored in network space.", fin.Name)
		}
		out = append(out, v)
	}
	pre := o.roleLayer("pre-final")
	if pre == nil {
		return out
	}
	v := Verdict{Claim: "There are no grid cells in the pre-final layer."}
	finding, agrees := o.gridFinding(rows, pre.Name, "unit")
	v.Finding, v.Agrees = pre.Name+": "+finding, agrees
	out = append(out, v)
	if p := pre.PCA; p != nil {
		how := "requested"
		if p.Auto {
			how = fmt.Sprintf("auto, %.0f%% variance", 100*p.Threshold)
		}
		v := Verdict{Claim: "PCA of the pre-final layer: the paper kept 11 PCs of the 50-unit layer and found no grid cells among them."}
		finding, agrees := o.gridFinding(rows, pre.Name, "pc")
		v.Finding = fmt.Sprintf("%s: %d PCs kept (%s) explain %.1f%% of the variance; %s", pre.Name, p.K, how, 100*p.Cumulative, finding)
		v.Agrees = agrees
		out = append(out, v)
	}
	return out
}

// gridFinding reports the grid count of layer's kind rows in every space,
// with its range, the grid units, and the other grid-like labels apart; it
// agrees when no space has a grid (nil when no space was scored).
func (o *Outcome) gridFinding(rows []SummaryRow, layer, kind string) (string, *bool) {
	var parts []string
	grids, tested, n := 0, false, 1
	for _, sp := range o.Spaces {
		s := row(rows, layer, kind, sp.Name)
		if s == nil {
			continue
		}
		tested = true
		grids += s.Counts[LabelGrid]
		n = max(n, s.Embeddings)
		part := fmt.Sprintf("%s space: %s of %d %s", sp.Name, s.count(LabelGrid), s.Total, KindWord(kind))
		if g := describe(o.units(layer, kind, sp.Name, func(u *OutcomeUnit) bool { return u.labels()[LabelGrid] })); g != "" {
			part += " (" + g + ")"
		}
		var like []string
		for _, l := range RowLabels(rows) {
			if l != LabelGrid && strings.Contains(l, "grid") {
				like = append(like, s.count(l))
			}
		}
		if len(like) > 0 {
			part += "; not counted as grid: " + strings.Join(like, ", ")
		}
		parts = append(parts, part)
	}
	if !tested {
		return "not scored.", nil
	}
	return strings.Join(parts, "; ") + "." + votedOver(n), boolp(grids == 0)
}

// units returns the units of layer of kind in space for which ok holds.
func (o *Outcome) units(layer, kind, space string, ok func(*OutcomeUnit) bool) []*OutcomeUnit {
	var out []*OutcomeUnit
	for i := range o.Units {
		if u := &o.Units[i]; u.Layer == layer && u.Space == space && u.Kind == kind && ok(u) {
			out = append(out, u)
		}
	}
	return out
}

// UnitName names a unit or PC for people: "unit 4", "PC 2" (PCs count
// from 1), with the sign of a part in brackets when sign is not "".
func UnitName(kind string, index int, sign string) string {
	s := fmt.Sprintf("unit %d", index)
	if kind == "pc" {
		s = fmt.Sprintf("PC %d", index+1)
	}
	if sign != "" {
		s += " (" + sign + ")"
	}
	return s
}

// describe lists units with their labels and the shown embedding's
// gridness, density gridness and field count, e.g. "unit 4 [grid]
// (gridness 0.784, density 0.484, fields 6)".
func describe(us []*OutcomeUnit) string {
	var out []string
	for _, u := range us {
		p := u.positive()
		if p == nil {
			continue
		}
		out = append(out, fmt.Sprintf("%s [%s] (gridness %s, density %s, fields %s)", UnitName(u.Kind, u.Index, ""), strings.Join(p.Labels, ", "),
			FormatScore(p.Gridness), FormatScore(p.DensityGridness), FormatScore(p.NFields)))
	}
	return strings.Join(out, ", ")
}

// FormatScore formats a score for people: "–" when undefined (NaN or
// ±Inf), an integer without decimals, a very small or large magnitude in
// e-notation with 3 significant digits, anything else with 3 decimals.
func FormatScore(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	a := math.Abs(v)
	switch {
	case v == math.Trunc(v) && a < 1e6:
		return fmt.Sprintf("%.0f", v)
	case a != 0 && (a < 1e-3 || a >= 1e4):
		return fmt.Sprintf("%.2e", v)
	}
	return fmt.Sprintf("%.3f", v)
}
