package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"github.com/conceptcells/conceptcells/probe"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// WriteJSON writes the whole report as one JSON document (compact). Every
// undefined number (NaN, ±Inf) is written as null.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.Marshal(clean(r))
	if err != nil {
		return fmt.Errorf("encoding report JSON: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// ReadJSON reads a report written by WriteJSON.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("decoding report JSON: %w", err)
	}
	return &r, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// clean returns a shallow copy of r in which every float that JSON cannot
// hold is replaced: score pointers become nil, map entries are dropped,
// slice elements become 0.
func clean(r *Report) *Report {
	c := *r
	if c.Accuracy != nil && !finite(*c.Accuracy) {
		c.Accuracy = nil
	}
	c.Spaces = slices.Clone(r.Spaces)
	for i := range c.Spaces {
		c.Spaces[i].Quality = finiteMap(c.Spaces[i].Quality)
		c.Spaces[i].Embeddings = slices.Clone(c.Spaces[i].Embeddings)
		for j := range c.Spaces[i].Embeddings {
			c.Spaces[i].Embeddings[j].Quality = finiteMap(c.Spaces[i].Embeddings[j].Quality)
		}
	}
	c.Layers = slices.Clone(r.Layers)
	for i := range c.Layers {
		if p := c.Layers[i].PCA; p != nil {
			q := *p
			q.Explained = slices.Clone(p.Explained)
			for j, v := range q.Explained {
				if !finite(v) {
					q.Explained[j] = 0
				}
			}
			if !finite(q.Cumulative) {
				q.Cumulative = 0
			}
			c.Layers[i].PCA = &q
		}
	}
	c.Timings = slices.Clone(r.Timings)
	for i := range c.Timings {
		if !finite(c.Timings[i].Seconds) {
			c.Timings[i].Seconds = 0
		}
	}
	c.Results = slices.Clone(r.Results)
	for i := range c.Results {
		c.Results[i].Units = slices.Clone(r.Results[i].Units)
		for j := range c.Results[i].Units {
			u := &c.Results[i].Units[j]
			u.Parts = slices.Clone(u.Parts)
			for k := range u.Parts {
				u.Parts[k].Scores = finiteScores(u.Parts[k].Scores)
			}
		}
	}
	return &c
}

func finiteMap(m map[string]float64) map[string]float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]float64, len(m))
	for k, v := range m {
		if finite(v) {
			out[k] = v
		}
	}
	return out
}

func finiteScores(m map[string]*float64) map[string]*float64 {
	if m == nil {
		return nil
	}
	out := make(map[string]*float64, len(m))
	for k, v := range m {
		if v != nil && finite(*v) {
			out[k] = v
		} else {
			out[k] = nil
		}
	}
	return out
}

// scoreOrder is the column order of scores in tables; other scores follow
// in alphabetical order.
var scoreOrder = []string{
	"gridness", "gridness_p95", "gridness_p", "density_gridness", "gridness_mean", "gridness90", "gridness90_mean", "best_ring",
	"grid_spacing", "grid_orientation",
	"spatial_info", "spatial_info_p95", "spatial_info_p", "within_class_si_p95", "within_class_si_p", "spatial_info_per_sample",
	"sparsity", "selectivity", "n_fields", "field_frac",
	"csi", "csi_p95", "csi_p", "top_class", "top_share", "classes_near_top", "mean_activation", "valid_bins",
	"robust_runs",
}

// scoreColumns returns the score names present in r, in table order.
func scoreColumns(r *Report) []string {
	seen := map[string]bool{}
	for _, res := range r.Results {
		for _, u := range res.Units {
			for _, p := range u.Parts {
				for k := range p.Scores {
					seen[k] = true
				}
			}
		}
	}
	var cols []string
	for _, k := range scoreOrder {
		if seen[k] {
			cols = append(cols, k)
			delete(seen, k)
		}
	}
	return append(cols, slices.Sorted(maps.Keys(seen))...)
}

// unitName names a unit for people: "unit 3", "PC 2 (+)".
func unitName(u *Unit, sign string) string { return probe.UnitName(u.Kind, u.Index, sign) }

// runsText writes label run counts as "grid:2;place:3", labels sorted.
func runsText(runs map[string]int) string {
	var out []string
	for _, l := range slices.Sorted(maps.Keys(runs)) {
		out = append(out, fmt.Sprintf("%s:%d", l, runs[l]))
	}
	return strings.Join(out, ";")
}

// csvText guards a text cell against formula injection in spreadsheets:
// text starting with = + - @ tab or CR gets a leading apostrophe.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// signWord spells a part's sign for tables: "positive", "negative" or "".
func signWord(s string) string {
	switch s {
	case "+":
		return "positive"
	case "-":
		return "negative"
	}
	return s
}

// WriteCSV writes one row per layer, space, unit and part: identifiers,
// labels (";"-separated), the embeddings each label held in ("grid:2;
// place:3"), every score (empty when undefined) and the reasons
// (" | "-separated).
func WriteCSV(w io.Writer, r *Report) error {
	cols := scoreColumns(r)
	cw := csv.NewWriter(w)
	head := append([]string{"layer", "space", "kind", "index", "sign", "labels", "runs"}, cols...)
	head = append(head, "reasons")
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, res := range r.Results {
		for _, u := range res.Units {
			for _, p := range u.Parts {
				row := []string{csvText(res.Layer), csvText(res.Space), u.Kind, strconv.Itoa(u.Index), signWord(p.Sign),
					csvText(strings.Join(p.Labels, ";")), csvText(runsText(p.Runs))}
				for _, c := range cols {
					v := p.Scores[c]
					if v == nil || !finite(*v) {
						row = append(row, "")
					} else {
						row = append(row, strconv.FormatFloat(*v, 'g', 6, 64))
					}
				}
				row = append(row, csvText(strings.Join(p.Reasons, " | ")))
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
