package reports

import (
	"math"

	"github.com/conceptcells/conceptcells/probe"
)

// Finish derives Summary, Findings, Verdict and VerdictNote from the
// results with probe.Summarise, for a report read back from JSON or
// edited by hand (New derives them from the probe result).
func (r *Report) Finish() {
	r.setSummary(probe.Summarise(r.outcome()))
}

// setSummary stores the analysis s in r.
func (r *Report) setSummary(s probe.Summary) {
	r.Summary, r.Findings, r.Verdict, r.VerdictNote = s.Rows, s.Findings, s.Verdict, s.VerdictNote
}

// outcome returns what probe.Summarise reads of r: the setting and every
// unit part's labels, with the scores the findings quote.
func (r *Report) outcome() *probe.Outcome {
	o := &probe.Outcome{HasLabels: r.Dataset.HasLabels && len(r.Labels) > 0, Classes: len(r.Classes)}
	for _, l := range r.Layers {
		ol := probe.OutcomeLayer{Name: l.Name, Role: l.Role, Shape: l.Shape, Units: l.Units}
		if p := l.PCA; p != nil {
			ol.PCA = &probe.OutcomePCA{K: p.K, Auto: p.Auto, Threshold: p.Threshold, Cumulative: p.Cumulative}
		}
		o.Layers = append(o.Layers, ol)
	}
	for _, s := range r.Spaces {
		o.Spaces = append(o.Spaces, probe.OutcomeSpace{Name: s.Name, Source: s.Source})
	}
	for _, res := range r.Results {
		for _, u := range res.Units {
			ou := probe.OutcomeUnit{Layer: res.Layer, Space: res.Space, Kind: u.Kind, Index: u.Index}
			for _, p := range u.Parts {
				ou.Parts = append(ou.Parts, probe.OutcomePart{Sign: p.Sign, Labels: p.Labels, EmbeddingLabels: p.EmbeddingLabels,
					Gridness: scoreValue(p.Scores["gridness"]), DensityGridness: scoreValue(p.Scores["density_gridness"]),
					NFields: scoreValue(p.Scores["n_fields"])})
			}
			o.Units = append(o.Units, ou)
		}
	}
	return o
}

// scoreValue is *v, or NaN for an undefined (nil) score.
func scoreValue(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

// unitLabels returns the labels a unit counts with: those of its positive
// part (probe.CountedLabels).
func unitLabels(u *Unit) map[string]bool {
	p := primaryPart(u)
	if p == nil {
		return probe.CountedLabels(nil)
	}
	return probe.CountedLabels(p.Labels)
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
