package cells

// classify applies the rules of spec §8/§11 to the scores. hasLabels: class
// labels were given (concept is tested); hasField: the field-shuffle null
// exists; hasPerm: the activation-permutation null of SI exists (not for a
// map scored without points). An undefined score never passes a check.
func classify(s *Scores, t Thresholds, hasLabels, hasField, hasPerm bool) ([]string, []Reason) {
	var labels []string
	var reasons []Reason
	all := func(rs []Reason) bool {
		for _, r := range rs {
			if !r.Pass {
				return false
			}
		}
		return true
	}
	// checks shared by grid and weakly-grid
	gridCommon := func(label string) []Reason {
		var rs []Reason
		if hasPerm {
			rs = append(rs, check(label, "spatial_info", s.SpatialInfo, ">", s.SpatialInfoP95))
		}
		if hasField {
			rs = append(rs, check(label, "gridness", s.Gridness, ">", s.GridnessP95))
		}
		if t.DensityMargin > 0 && !isNaN(s.DensityGridness) {
			rs = append(rs, check(label, "gridness_minus_density", s.Gridness-s.DensityGridness, ">=", t.DensityMargin))
		}
		return rs
	}
	grid := append([]Reason{check("grid", "gridness", s.Gridness, ">=", t.Grid)}, gridCommon("grid")...)
	reasons = append(reasons, grid...)
	if all(grid) {
		labels = append(labels, "grid")
	} else {
		weak := []Reason{check("weakly-grid", "gridness", s.Gridness, ">=", t.WeakGrid),
			check("weakly-grid", "gridness", s.Gridness, "<", t.Grid)}
		weak = append(weak, gridCommon("weakly-grid")...)
		reasons = append(reasons, weak...)
		if all(weak) {
			labels = append(labels, "weakly-grid")
		}
	}
	var place []Reason
	if hasPerm {
		place = append(place, check("place", "spatial_info", s.SpatialInfo, ">", s.SpatialInfoP95))
	}
	place = append(place,
		check("place", "n_fields", float64(s.NFields), "==", float64(t.PlaceFields)),
		check("place", "field_frac", s.FieldFrac, "<=", t.PlaceMaxFieldFrac),
		check("place", "gridness", s.Gridness, "<", t.PlaceMaxGridness))
	reasons = append(reasons, place...)
	if all(place) {
		labels = append(labels, "place")
	}
	if hasLabels {
		concept := []Reason{
			check("concept", "csi", s.CSI, ">=", t.ConceptCSI),
			check("concept", "csi_p", s.CSIP, "<", t.ConceptP),
			check("concept", "classes_near_top", float64(s.NearTop), "<=", float64(t.ConceptMaxClasses)),
		}
		if t.ConceptWithinClassP > 0 {
			concept = append(concept, check("concept", "within_class_si_p", s.WithinClassSIP, ">=", t.ConceptWithinClassP))
		}
		reasons = append(reasons, concept...)
		if all(concept) {
			labels = append(labels, "concept")
		}
	}
	if len(labels) == 0 {
		labels = []string{"none"}
	}
	return labels, reasons
}

func isNaN(v float64) bool { return v != v }
