package reports

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Finish derives Summary, Findings, Verdict and VerdictNote from the
// results. New calls it; call it again after editing Results by hand.
func (r *Report) Finish() {
	r.Summary = r.summarise()
	r.Findings = r.findings()
	r.Verdict, r.VerdictNote = nil, ""
	if why := r.notPaperSetting(); why == "" {
		r.Verdict = r.verdicts()
	} else {
		r.VerdictNote = "The paper's verdict is not shown: " + why + ". It applies to the paper's setting only: " +
			"class labels, a final layer with one unit per class, a 1-D pre-final layer, and the network space " +
			"embedding the final layer."
	}
}

// labelSet returns the labels of one part that the summary counts. A label
// other than none/silent/undefined overrides those; otherwise the part is
// silent or none (undefined counts as none).
func labelSet(labels []string) map[string]bool {
	set := map[string]bool{}
	for _, l := range labels {
		if l != LabelNone && l != LabelSilent && l != LabelUndefined {
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

// unitLabels returns the labels a unit counts with: those of its positive
// part (its only part when unsigned), the firing rate the paper scored.
// The negative part of a signed unit does not count here.
func unitLabels(u *Unit) map[string]bool {
	p := primaryPart(u)
	if p == nil {
		return labelSet(nil)
	}
	return labelSet(p.Labels)
}

// negativePart is the "-" part of a signed unit, or nil.
func negativePart(u *Unit) *Part {
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
func labelsIn(p *Part, e int) []string {
	if e < len(p.EmbeddingLabels) {
		return p.EmbeddingLabels[e]
	}
	return p.Labels
}

// embeddings returns the number of embeddings the parts of res were voted
// over (at least 1).
func embeddings(res *Result) int {
	n := 1
	for _, u := range res.Units {
		for _, p := range u.Parts {
			n = max(n, len(p.EmbeddingLabels))
		}
	}
	return n
}

func (r *Report) summarise() []SummaryRow {
	var rows []SummaryRow
	for ri := range r.Results {
		res := &r.Results[ri]
		n := embeddings(res)
		for _, kind := range []string{"unit", "pc"} {
			row := SummaryRow{Layer: res.Layer, Kind: kind, Space: res.Space, Counts: map[string]int{},
				Embeddings: n, Range: map[string][2]int{}}
			per := make([]map[string]int, n) // counts in each embedding
			for e := range per {
				per[e] = map[string]int{}
			}
			for i := range res.Units {
				u := &res.Units[i]
				if u.Kind != kind {
					continue
				}
				row.Total++
				for l := range unitLabels(u) {
					row.Counts[l]++
				}
				if p := primaryPart(u); p != nil {
					for e := range per {
						for l := range labelSet(labelsIn(p, e)) {
							per[e][l]++
						}
					}
				}
				if neg := negativePart(u); neg != nil {
					if row.Negative == nil {
						row.Negative = map[string]int{}
					}
					row.NegativeParts++
					for l := range labelSet(neg.Labels) {
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

// summaryLabels returns the labels counted in rows: SummaryLabels, then
// any other label (a new name from the scorer) in alphabetical order.
func summaryLabels(rows []SummaryRow) []string {
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

// kindWord names the rows of kind for people: "units" or "PCs".
func kindWord(kind string) string {
	if kind == "pc" {
		return "PCs"
	}
	return "units"
}

// findings states the summary in words, one line per layer, kind and
// space: every label that occurs (grid always), with its range over the
// embeddings, and the negative parts apart.
func (r *Report) findings() []string {
	labels := summaryLabels(r.Summary)
	var out []string
	n := 1
	for _, s := range r.Summary {
		n = max(n, s.Embeddings)
	}
	if note := strings.TrimSpace(votedOver(n)); note != "" {
		out = append(out, note)
	}
	for i := range r.Summary {
		s := &r.Summary[i]
		var cs []string
		for _, l := range labels {
			if l == LabelGrid || s.Counts[l] > 0 || s.Range[l][1] > 0 {
				cs = append(cs, s.count(l))
			}
		}
		f := fmt.Sprintf("%s, %d %s in %s space: %s.", s.Layer, s.Total, kindWord(s.Kind), s.Space, strings.Join(cs, ", "))
		if s.NegativeParts > 0 {
			var ns []string
			for _, l := range labels {
				if s.Negative[l] > 0 {
					ns = append(ns, fmt.Sprintf("%d %s", s.Negative[l], l))
				}
			}
			f += fmt.Sprintf(" Negative parts of the %d signed %s (counted apart): %s.", s.NegativeParts, kindWord(s.Kind), strings.Join(ns, ", "))
		}
		out = append(out, f)
	}
	return out
}

// row returns the summary row for layer, kind and space, or nil.
func (r *Report) row(layer, kind, space string) *SummaryRow {
	for i := range r.Summary {
		s := &r.Summary[i]
		if s.Layer == layer && s.Kind == kind && s.Space == space {
			return s
		}
	}
	return nil
}

// roleLayer returns the layer with the given role; failing that, for
// "final" the last layer and for "pre-final" the one before it.
func (r *Report) roleLayer(role string) *Layer {
	for i := range r.Layers {
		if r.Layers[i].Role == role {
			return &r.Layers[i]
		}
	}
	n := len(r.Layers)
	switch {
	case role == "final" && n >= 1:
		return &r.Layers[n-1]
	case role == "pre-final" && n >= 2:
		return &r.Layers[n-2]
	}
	return nil
}

// notPaperSetting says why the run is not in the paper's setting, or ""
// when it is: class labels, a final layer with exactly one unit per class,
// a 1-D pre-final layer, and a network space that embeds the final layer.
func (r *Report) notPaperSetting() string {
	var why []string
	if !r.Dataset.HasLabels || len(r.Labels) == 0 {
		why = append(why, "the data have no class labels")
	}
	fin, pre := r.roleLayer("final"), r.roleLayer("pre-final")
	switch {
	case fin == nil:
		why = append(why, "no final layer was hooked")
	case len(r.Classes) > 0 && fin.Units != len(r.Classes):
		why = append(why, fmt.Sprintf("the final layer %s has %d units for %d classes", fin.Name, fin.Units, len(r.Classes)))
	}
	switch {
	case pre == nil:
		why = append(why, "no pre-final layer was hooked")
	case len(pre.Shape) != 1:
		why = append(why, fmt.Sprintf("the pre-final layer %s has shape %v, not one dimension", pre.Name, pre.Shape))
	}
	if fin != nil {
		if i := spaceIndex(r, "network"); i >= 0 && r.Spaces[i].Source != fin.Name {
			why = append(why, fmt.Sprintf("the network space embeds %s, not the final layer %s", r.Spaces[i].Source, fin.Name))
		}
	}
	return strings.Join(why, "; ")
}

func boolp(b bool) *bool { return &b }

// verdicts compares the run with the paper's findings, one claim per line,
// each checked as stated: every final-layer unit is a place cell with one
// field in network space; the pre-final layer has no grid cells (in any
// space); and its PCs (the paper kept 11 of the 50-unit layer) have none
// either. Counts are the voted ones, with their range over the
// embeddings; weakly-grid and other grid-like labels (cluster-grid) are
// reported but not counted as grid.
func (r *Report) verdicts() []Verdict {
	var out []Verdict
	if fin := r.roleLayer("final"); fin != nil {
		v := Verdict{Claim: "Every final-layer unit is place-like (one field, on its class cluster) in network space."}
		if s := r.row(fin.Name, "unit", "network"); s != nil {
			one := func(u *Unit) bool {
				p := primaryPart(u)
				return unitLabels(u)[LabelPlace] && p != nil && p.Scores["n_fields"] != nil && *p.Scores["n_fields"] == 1
			}
			n := len(r.units(fin.Name, "unit", "network", one))
			v.Finding = fmt.Sprintf("%s in network space: %d of %d units are place cells with one field; %s; counted apart: %s",
				fin.Name, n, s.Total, s.count(LabelPlace), s.count(LabelConcept))
			if others := r.describe(r.units(fin.Name, "unit", "network", func(u *Unit) bool { return !one(u) })); others != "" {
				v.Finding += "; not place with one field: " + others
			}
			v.Finding += "." + votedOver(s.Embeddings)
			v.Agrees = boolp(n == s.Total)
		} else {
			v.Finding = fmt.Sprintf("%s was not scored in network space.", fin.Name)
		}
		out = append(out, v)
	}
	pre := r.roleLayer("pre-final")
	if pre == nil {
		return out
	}
	v := Verdict{Claim: "There are no grid cells in the pre-final layer."}
	finding, agrees := r.gridFinding(pre.Name, "unit")
	v.Finding, v.Agrees = pre.Name+": "+finding, agrees
	out = append(out, v)
	if p := pre.PCA; p != nil {
		how := "requested"
		if p.Auto {
			how = fmt.Sprintf("auto, %.0f%% variance", 100*p.Threshold)
		}
		v := Verdict{Claim: "PCA of the pre-final layer: the paper kept 11 PCs of the 50-unit layer and found no grid cells among them."}
		finding, agrees := r.gridFinding(pre.Name, "pc")
		v.Finding = fmt.Sprintf("%s: %d PCs kept (%s) explain %.1f%% of the variance; %s", pre.Name, p.K, how, 100*p.Cumulative, finding)
		v.Agrees = agrees
		out = append(out, v)
	}
	return out
}

// gridFinding reports the grid count of layer's kind rows in every space,
// with its range, the grid units, and the other grid-like labels apart; it
// agrees when no space has a grid (nil when no space was scored).
func (r *Report) gridFinding(layer, kind string) (string, *bool) {
	var parts []string
	grids, tested, n := 0, false, 1
	for _, sp := range r.Spaces {
		s := r.row(layer, kind, sp.Name)
		if s == nil {
			continue
		}
		tested = true
		grids += s.Counts[LabelGrid]
		n = max(n, s.Embeddings)
		part := fmt.Sprintf("%s space: %s of %d %s", sp.Name, s.count(LabelGrid), s.Total, kindWord(kind))
		if g := r.describe(r.units(layer, kind, sp.Name, func(u *Unit) bool { return unitLabels(u)[LabelGrid] })); g != "" {
			part += " (" + g + ")"
		}
		var like []string
		for _, l := range summaryLabels(r.Summary) {
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
func (r *Report) units(layer, kind, space string, ok func(*Unit) bool) []*Unit {
	var out []*Unit
	for ri := range r.Results {
		res := &r.Results[ri]
		if res.Layer != layer || res.Space != space {
			continue
		}
		for i := range res.Units {
			if u := &res.Units[i]; u.Kind == kind && ok(u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// describe lists units with their labels and the shown embedding's
// gridness, density gridness and field count, e.g. "unit 4 [grid]
// (gridness 0.784, density 0.484, fields 6)".
func (r *Report) describe(us []*Unit) string {
	var out []string
	for _, u := range us {
		p := primaryPart(u)
		if p == nil {
			continue
		}
		out = append(out, fmt.Sprintf("%s [%s] (gridness %s, density %s, fields %s)", unitName(u, ""), strings.Join(p.Labels, ", "),
			fmtScore(p.Scores["gridness"]), fmtScore(p.Scores["density_gridness"]), fmtScore(p.Scores["n_fields"])))
	}
	return strings.Join(out, ", ")
}
