package cells

// classify applies the label rules to the scores (docs/methods.md, spec §8,
// §11): grid and weakly-grid (with the gridness null named by gridNull and
// at least GridMinFields grid fields), cluster-grid for a grid pattern the
// class layout makes (with labels: the within-class residual test fails),
// place, concept (with labels), else none. hasLabels: class labels were
// given; hasPerm: the activation-permutation null of SI exists (not for a
// map scored without points). An undefined score never passes a check.
func classify(s *Scores, gridNull string, t Thresholds, hasLabels, hasPerm bool) ([]string, []Reason) {
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
	// checks shared by grid and weakly-grid; the weak label has no
	// permutation fallback: where the field shuffle is undefined only the
	// fixed Grid floor separates grids from other periodic maps.
	gridCommon := func(label string) []Reason {
		var rs []Reason
		rs = append(rs, check(label, "grid_fields", float64(s.GridFields), ">=", float64(t.GridMinFields)))
		if hasPerm {
			rs = append(rs, checkVs(label, "spatial_info", s.SpatialInfo, ">", "spatial_info_p95", s.SpatialInfoP95))
		}
		if gridNull == NullPermutation && label == "grid" {
			rs = append(rs, checkVs(label, "gridness", s.Gridness, ">", "gridness_perm_p95", s.GridnessPermP95))
		} else {
			rs = append(rs, checkVs(label, "gridness", s.Gridness, ">", "gridness_p95", s.GridnessP95))
		}
		if t.DensityMargin > 0 && !isNaN(s.DensityGridness) {
			rs = append(rs, check(label, "gridness_minus_density", s.Gridness-s.DensityGridness, ">=", t.DensityMargin))
		}
		return rs
	}
	grid := append([]Reason{check("grid", "gridness", s.Gridness, ">=", t.Grid)}, gridCommon("grid")...)
	reasons = append(reasons, grid...)
	gridLabel := ""
	if all(grid) {
		gridLabel = "grid"
	} else {
		weak := []Reason{check("weakly-grid", "gridness", s.Gridness, ">=", t.WeakGrid),
			check("weakly-grid", "gridness", s.Gridness, "<", t.Grid)}
		weak = append(weak, gridCommon("weakly-grid")...)
		reasons = append(reasons, weak...)
		if all(weak) {
			gridLabel = "weakly-grid"
		}
	}
	// A grid pattern that disappears once every activation is replaced by
	// its difference from its class mean is made by the layout of the
	// class clusters, which t-SNE places arbitrarily (spec §9.4).
	if gridLabel != "" && hasLabels {
		cl := []Reason{
			check(gridLabel, "residual_gridness", s.ResidualGridness, ">=", t.ResidualGridness),
			checkVs(gridLabel, "residual_gridness", s.ResidualGridness, ">", "residual_gridness_p95", s.ResidualGridnessP95),
		}
		reasons = append(reasons, cl...)
		if !all(cl) {
			gridLabel = "cluster-grid"
		}
	}
	if gridLabel != "" {
		labels = append(labels, gridLabel)
	}
	var place []Reason
	if hasPerm {
		place = append(place, checkVs("place", "spatial_info", s.SpatialInfo, ">", "spatial_info_p95", s.SpatialInfoP95))
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
		if t.ConceptCoverage > 0 {
			concept = append(concept, check("concept", "class_coverage", s.ClassCoverage, ">=", t.ConceptCoverage))
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
