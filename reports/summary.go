package reports

import (
	"fmt"
	"slices"
	"strings"
)

// Finish derives Summary and Verdict from the results. New calls it; call
// it again after editing Results by hand.
func (r *Report) Finish() {
	r.Summary = r.summarise()
	r.Verdict = r.verdicts()
}

// unitLabels returns the set of labels a unit carries in any part. A label
// other than none/silent/undefined in one part overrides those in another;
// a unit is silent only when every part is silent, and an undefined one
// counts as none.
func unitLabels(u *Unit) map[string]bool {
	set := map[string]bool{}
	silent := len(u.Parts) > 0
	for _, p := range u.Parts {
		for _, l := range p.Labels {
			if l != LabelNone && l != LabelSilent && l != LabelUndefined {
				set[l] = true
			}
		}
		if !slices.Contains(p.Labels, LabelSilent) {
			silent = false
		}
	}
	if len(set) == 0 {
		if silent {
			set[LabelSilent] = true
		} else {
			set[LabelNone] = true
		}
	}
	return set
}

func (r *Report) summarise() []SummaryRow {
	var rows []SummaryRow
	for _, res := range r.Results {
		for _, kind := range []string{"unit", "pc"} {
			row := SummaryRow{Layer: res.Layer, Kind: kind, Space: res.Space, Counts: map[string]int{}}
			for i := range res.Units {
				u := &res.Units[i]
				if u.Kind != kind {
					continue
				}
				row.Total++
				for l := range unitLabels(u) {
					row.Counts[l]++
				}
			}
			if row.Total > 0 {
				for _, l := range SummaryLabels {
					row.Counts[l] += 0
				}
				rows = append(rows, row)
			}
		}
	}
	return rows
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

func boolp(b bool) *bool { return &b }

// verdicts compares the run with the paper's findings, one claim per line:
// the final layer is place-like in network space, the pre-final layer has no
// grid cells, and the PCs of the pre-final layer (the paper kept 11 of the
// 50-unit layer) show no grid cells either.
func (r *Report) verdicts() []Verdict {
	var out []Verdict
	if fin := r.roleLayer("final"); fin != nil {
		v := Verdict{Claim: "Every final-layer unit is place-like (one field, on its class cluster) in network space."}
		if s := r.row(fin.Name, "unit", "network"); s != nil {
			n := r.countUnits(fin.Name, "network", func(set map[string]bool) bool {
				return set[LabelPlace] || set[LabelConcept]
			})
			v.Finding = fmt.Sprintf("%s: %d of %d units are place- or concept-like in network space (place %d, concept %d, grid %d, none %d, silent %d)",
				fin.Name, n, s.Total, s.Counts[LabelPlace], s.Counts[LabelConcept], s.Counts[LabelGrid], s.Counts[LabelNone], s.Counts[LabelSilent])
			if others := r.describeUnits(fin.Name, "network", func(set map[string]bool) bool {
				return !set[LabelPlace] && !set[LabelConcept]
			}); others != "" {
				v.Finding += "; the others: " + others
			}
			v.Finding += "."
			v.Agrees = boolp(n == s.Total)
		} else {
			v.Finding = fmt.Sprintf("%s was not scored in network space.", fin.Name)
		}
		out = append(out, v)
	}
	if pre := r.roleLayer("pre-final"); pre != nil {
		v := Verdict{Claim: "There are no grid cells in the pre-final layer."}
		var parts []string
		grids, tested := 0, false
		for _, sp := range r.Spaces {
			s := r.row(pre.Name, "unit", sp.Name)
			if s == nil {
				continue
			}
			tested = true
			grids += s.Counts[LabelGrid]
			part := fmt.Sprintf("%s space: %d grid, %d weakly-grid, %d place, %d concept of %d units",
				sp.Name, s.Counts[LabelGrid], s.Counts[LabelWeaklyGrid], s.Counts[LabelPlace], s.Counts[LabelConcept], s.Total)
			if g := r.describeUnits(pre.Name, sp.Name, func(set map[string]bool) bool { return set[LabelGrid] }); g != "" {
				part += " (grid: " + g + ")"
			}
			parts = append(parts, part)
		}
		if tested {
			v.Finding = pre.Name + ": " + strings.Join(parts, "; ") + "."
			v.Agrees = boolp(grids == 0)
		} else {
			v.Finding = pre.Name + " was not scored."
		}
		out = append(out, v)
		if pre.PCA != nil {
			p := pre.PCA
			how := "requested"
			if p.Auto {
				how = fmt.Sprintf("auto, %.0f%% variance", 100*p.Threshold)
			}
			v := Verdict{
				Claim:   "PCA of the pre-final layer: the paper kept 11 PCs of the 50-unit layer and found no grid cells among them.",
				Finding: fmt.Sprintf("%s: %d PCs kept (%s) explain %.1f%% of the variance", pre.Name, p.K, how, 100*p.Cumulative),
			}
			grids, tested = 0, false
			for _, sp := range r.Spaces {
				if s := r.row(pre.Name, "pc", sp.Name); s != nil {
					tested = true
					grids += s.Counts[LabelGrid]
					v.Finding += fmt.Sprintf("; %s space: %d grid, %d weakly-grid, %d place", sp.Name, s.Counts[LabelGrid], s.Counts[LabelWeaklyGrid], s.Counts[LabelPlace])
				}
			}
			v.Finding += "."
			if tested {
				v.Agrees = boolp(grids == 0)
			}
			out = append(out, v)
		}
	}
	return out
}

func (r *Report) countUnits(layer, space string, ok func(map[string]bool) bool) int {
	n := 0
	for _, res := range r.Results {
		if res.Layer != layer || res.Space != space {
			continue
		}
		for i := range res.Units {
			if res.Units[i].Kind == "unit" && ok(unitLabels(&res.Units[i])) {
				n++
			}
		}
	}
	return n
}

// describeUnits lists the units (kind "unit") of layer in space whose
// label set satisfies ok, with the primary part's gridness, density
// gridness and field count, e.g. "unit 4 (gridness 0.784, density 0.484,
// fields 6)".
func (r *Report) describeUnits(layer, space string, ok func(map[string]bool) bool) string {
	var out []string
	for _, res := range r.Results {
		if res.Layer != layer || res.Space != space {
			continue
		}
		for i := range res.Units {
			u := &res.Units[i]
			if u.Kind != "unit" || !ok(unitLabels(u)) {
				continue
			}
			p := primaryPart(u)
			if p == nil {
				continue
			}
			out = append(out, fmt.Sprintf("unit %d (gridness %s, density %s, fields %s)", u.Index,
				fmtScore(p.Scores["gridness"]), fmtScore(p.Scores["density_gridness"]), fmtScore(p.Scores["n_fields"])))
		}
	}
	return strings.Join(out, ", ")
}
