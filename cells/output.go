package cells

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
)

// jnum is a float that encodes NaN and ±Inf as JSON null.
type jnum float64

func (v jnum) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

// jcount is a count that encodes −1 (undefined) as null.
type jcount int

func (v jcount) MarshalJSON() ([]byte, error) {
	if v < 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(v), 10), nil
}

// scoreColumn is one score of Scores: its JSON key (also its CSV column and
// its Map key) and its value, a jnum or, for a count, a jcount.
type scoreColumn struct {
	key   string
	value func(*Scores) any
}

// scoreColumns lists every score of Scores once, in output order: the
// order of the JSON object, the CSV columns and ScoreKeys.
var scoreColumns = []scoreColumn{
	{"gridness", func(s *Scores) any { return jnum(s.Gridness) }},
	{"gridness_mean", func(s *Scores) any { return jnum(s.GridnessMean) }},
	{"gridness90", func(s *Scores) any { return jnum(s.Gridness90) }},
	{"gridness90_mean", func(s *Scores) any { return jnum(s.Gridness90Mean) }},
	{"best_ring", func(s *Scores) any { return jnum(s.BestRing) }},
	{"grid_spacing", func(s *Scores) any { return jnum(s.GridSpacing) }},
	{"grid_orientation", func(s *Scores) any { return jnum(s.GridOrientation) }},
	{"gridness_p95", func(s *Scores) any { return jnum(s.GridnessP95) }},
	{"gridness_p", func(s *Scores) any { return jnum(s.GridnessP) }},
	{"spatial_info", func(s *Scores) any { return jnum(s.SpatialInfo) }},
	{"spatial_info_per_sample", func(s *Scores) any { return jnum(s.SpatialInfoPerSample) }},
	{"spatial_info_p95", func(s *Scores) any { return jnum(s.SpatialInfoP95) }},
	{"spatial_info_p", func(s *Scores) any { return jnum(s.SpatialInfoP) }},
	{"within_class_si_p95", func(s *Scores) any { return jnum(s.WithinClassSIP95) }},
	{"within_class_si_p", func(s *Scores) any { return jnum(s.WithinClassSIP) }},
	{"sparsity", func(s *Scores) any { return jnum(s.Sparsity) }},
	{"selectivity", func(s *Scores) any { return jnum(s.Selectivity) }},
	{"n_fields", func(s *Scores) any { return jcount(s.NFields) }},
	{"field_frac", func(s *Scores) any { return jnum(s.FieldFrac) }},
	{"grid_fields", func(s *Scores) any { return jcount(s.GridFields) }},
	{"grid_field_frac", func(s *Scores) any { return jnum(s.GridFieldFrac) }},
	{"gridness_perm_p95", func(s *Scores) any { return jnum(s.GridnessPermP95) }},
	{"gridness_perm_p", func(s *Scores) any { return jnum(s.GridnessPermP) }},
	{"csi", func(s *Scores) any { return jnum(s.CSI) }},
	{"csi_p95", func(s *Scores) any { return jnum(s.CSIP95) }},
	{"csi_p", func(s *Scores) any { return jnum(s.CSIP) }},
	{"top_class", func(s *Scores) any { return jcount(s.TopClass) }},
	{"top_share", func(s *Scores) any { return jnum(s.TopShare) }},
	{"classes_near_top", func(s *Scores) any { return jcount(s.NearTop) }},
	{"class_coverage", func(s *Scores) any { return jnum(s.ClassCoverage) }},
	{"class_eta2", func(s *Scores) any { return jnum(s.ClassEta2) }},
	{"class_gridness", func(s *Scores) any { return jnum(s.ClassGridness) }},
	{"residual_gridness", func(s *Scores) any { return jnum(s.ResidualGridness) }},
	{"residual_gridness_p95", func(s *Scores) any { return jnum(s.ResidualGridnessP95) }},
	{"residual_gridness_p", func(s *Scores) any { return jnum(s.ResidualGridnessP) }},
	{"density_gridness", func(s *Scores) any { return jnum(s.DensityGridness) }},
	{"mean_activation", func(s *Scores) any { return jnum(s.MeanActivation) }},
	{"valid_bins", func(s *Scores) any { return jcount(s.ValidBins) }},
}

// scoreKeys are the JSON keys of scoreColumns, in order.
var scoreKeys = func() []string {
	keys := make([]string, len(scoreColumns))
	for i, c := range scoreColumns {
		keys[i] = c.key
	}
	return keys
}()

// values returns the values of scoreColumns, in order.
func (s *Scores) values() []any {
	v := make([]any, len(scoreColumns))
	for i, c := range scoreColumns {
		v[i] = c.value(s)
	}
	return v
}

// MarshalJSON writes the scores as an object with the keys of scoreKeys in
// that order; undefined values are null.
func (s Scores) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range s.values() {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(scoreKeys[i])
		b.Write(k)
		b.WriteByte(':')
		x, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(x)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

type jsonReason struct {
	Label     string `json:"label"`
	Score     string `json:"score"`
	Value     jnum   `json:"value"`
	Op        string `json:"op"`
	Threshold jnum   `json:"threshold"`
	Against   string `json:"against,omitempty"`
	Pass      bool   `json:"pass"`
}

type jsonField struct {
	Area int     `json:"area"`
	Peak jnum    `json:"peak"`
	Row  float64 `json:"row"`
	Col  float64 `json:"col"`
}

type jsonUnit struct {
	Unit       int          `json:"unit"`
	Part       string       `json:"part"`
	Labels     []string     `json:"labels"`
	GridNull   string       `json:"grid_null"`
	Reasons    []jsonReason `json:"reasons"`
	Scores     Scores       `json:"scores"`
	Fields     []jsonField  `json:"fields"`
	ClassMeans []jnum       `json:"class_means"`
}

type jsonParams struct {
	Source          string     `json:"source"`
	Bins            int        `json:"bins"`
	Range           [4]float64 `json:"range"`
	Points          int        `json:"points"`
	PointsInFrame   int        `json:"points_in_frame"`
	ValidBins       int        `json:"valid_bins"`
	FracEmpty       jnum       `json:"frac_empty"`
	MinCount        int        `json:"min_count"`
	SmoothSigma     float64    `json:"smooth_sigma"`
	MinOverlap      int        `json:"min_overlap"`
	RingInner       float64    `json:"ring_inner"`
	RingOuter       []float64  `json:"ring_outer"`
	Compat          string     `json:"compat"`
	FieldThreshold  float64    `json:"field_threshold"`
	FieldMinBins    int        `json:"field_min_bins"`
	GridFieldLevels []float64  `json:"grid_field_levels"`
	Permutations    int        `json:"permutations"`
	FieldShuffles   int        `json:"field_shuffles"`
	AllNulls        bool       `json:"all_nulls"`
	Percentile      float64    `json:"percentile"`
	Seed            uint64     `json:"seed"`
	Labels          bool       `json:"labels"`
	DensityGridness jnum       `json:"density_gridness"`
	Thresholds      jsonThr    `json:"thresholds"`
}

type jsonThr struct {
	Grid                float64 `json:"grid"`
	WeakGrid            float64 `json:"weak_grid"`
	DensityMargin       float64 `json:"density_margin"`
	PlaceMaxGridness    float64 `json:"place_max_gridness"`
	PlaceFields         int     `json:"place_fields"`
	PlaceMaxFieldFrac   float64 `json:"place_max_field_frac"`
	ConceptCSI          float64 `json:"concept_csi"`
	ConceptP            float64 `json:"concept_p"`
	ConceptMaxClasses   int     `json:"concept_max_classes"`
	ConceptClassFrac    float64 `json:"concept_class_frac"`
	ConceptWithinClassP float64 `json:"concept_within_class_p"`
	ConceptCoverage     float64 `json:"concept_coverage"`
	GridMinFields       int     `json:"grid_min_fields"`
	FieldNullMaxFrac    float64 `json:"field_null_max_frac"`
	ResidualGridness    float64 `json:"residual_gridness"`
}

// WriteJSON writes the result as
//
//	{"units": [{"unit", "part", "labels", "reasons", "scores", "fields", "class_means"}], "params": {…}}
//
// with null for every undefined score (see the README for the keys).
func (r *Result) WriteJSON(w io.Writer) error {
	p := r.Params
	t := p.Thresholds
	out := struct {
		Units  []jsonUnit `json:"units"`
		Params jsonParams `json:"params"`
	}{Units: make([]jsonUnit, 0, len(r.Units)), Params: jsonParams{
		Source: p.Source, Bins: p.Bins, Range: [4]float64{p.Range.XMin, p.Range.XMax, p.Range.YMin, p.Range.YMax},
		Points: p.Points, PointsInFrame: p.PointsInFrame, ValidBins: p.ValidBins, FracEmpty: jnum(p.FracEmpty),
		MinCount: p.MinCount, SmoothSigma: p.SmoothSigma, MinOverlap: p.MinOverlap, RingInner: p.RingInner,
		RingOuter: p.RingOuter, Compat: p.Compat, FieldThreshold: p.FieldThreshold, FieldMinBins: p.FieldMinBins,
		GridFieldLevels: p.GridFieldLevels,
		Permutations:    p.Permutations, FieldShuffles: p.FieldShuffles, AllNulls: p.AllNulls,
		Percentile: p.Percentile, Seed: p.Seed, Labels: p.Labels, DensityGridness: jnum(p.DensityGridness),
		Thresholds: jsonThr{t.Grid, t.WeakGrid, t.DensityMargin, t.PlaceMaxGridness, t.PlaceFields, t.PlaceMaxFieldFrac,
			t.ConceptCSI, t.ConceptP, t.ConceptMaxClasses, t.ConceptClassFrac, t.ConceptWithinClassP,
			t.ConceptCoverage, t.GridMinFields, t.FieldNullMaxFrac, t.ResidualGridness},
	}}
	for _, u := range r.Units {
		ju := jsonUnit{Unit: u.Unit, Part: u.Part, Labels: u.Labels, GridNull: u.GridNull, Reasons: []jsonReason{}, Scores: u.Scores, Fields: []jsonField{}, ClassMeans: []jnum{}}
		for _, rs := range u.Reasons {
			ju.Reasons = append(ju.Reasons, jsonReason{rs.Label, rs.Score, jnum(rs.Value), rs.Op, jnum(rs.Threshold), rs.Against, rs.Pass})
		}
		for _, f := range u.Fields {
			ju.Fields = append(ju.Fields, jsonField{f.Area, jnum(f.Peak), f.Row, f.Col})
		}
		if u.Class != nil {
			for _, m := range u.Class.Means {
				ju.ClassMeans = append(ju.ClassMeans, jnum(m))
			}
		}
		out.Units = append(out.Units, ju)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(out)
}

// WriteCSV writes one row per unit part: unit, part, labels (joined by
// "+"), then the score columns in the order of the JSON keys; an undefined
// score is an empty cell.
func (r *Result) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"unit", "part", "labels"}, scoreKeys...)); err != nil {
		return err
	}
	for _, u := range r.Units {
		row := []string{strconv.Itoa(u.Unit), u.Part, strings.Join(u.Labels, "+")}
		for _, v := range u.Scores.values() {
			switch x := v.(type) {
			case jnum:
				f := float64(x)
				if math.IsNaN(f) || math.IsInf(f, 0) {
					row = append(row, "")
				} else {
					row = append(row, strconv.FormatFloat(f, 'g', -1, 64))
				}
			case jcount:
				if x < 0 {
					row = append(row, "")
				} else {
					row = append(row, strconv.Itoa(int(x)))
				}
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ScoreKeys returns the names of the scores, in the order of the JSON
// object and the CSV columns of `conceptcells cells`.
func ScoreKeys() []string { return append([]string(nil), scoreKeys...) }

// Map returns the scores by their JSON names (ScoreKeys); undefined scores
// (NaN, or −1 for counts) are nil.
func (s Scores) Map() map[string]*float64 {
	m := make(map[string]*float64, len(scoreKeys))
	for i, v := range s.values() {
		var f float64
		switch x := v.(type) {
		case jnum:
			f = float64(x)
		case jcount:
			f = float64(x)
			if x < 0 {
				f = math.NaN()
			}
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			m[scoreKeys[i]] = nil
			continue
		}
		m[scoreKeys[i]] = &f
	}
	return m
}

// Settings returns the scorer's options and thresholds by name, as a
// probe report records them: the parameters that are the same for every
// space (the facts about one space — density gridness, empty bins, points
// in the frame — are left out).
func (p *Params) Settings() map[string]any {
	t := p.Thresholds
	return map[string]any{
		"bins": p.Bins, "min_count": p.MinCount, "smooth_sigma": p.SmoothSigma, "min_overlap": p.MinOverlap,
		"ring_inner": p.RingInner, "ring_outer": p.RingOuter, "compat": p.Compat,
		"field_threshold": p.FieldThreshold, "field_min_bins": p.FieldMinBins,
		"permutations": p.Permutations, "field_shuffles": p.FieldShuffles, "percentile": p.Percentile,
		"grid": t.Grid, "weak_grid": t.WeakGrid, "density_margin": t.DensityMargin,
		"place_max_gridness": t.PlaceMaxGridness, "place_fields": t.PlaceFields,
		"place_max_field_frac": t.PlaceMaxFieldFrac, "concept_csi": t.ConceptCSI,
		"concept_p": t.ConceptP, "concept_max_classes": t.ConceptMaxClasses,
		"concept_class_frac": t.ConceptClassFrac, "concept_within_class_p": t.ConceptWithinClassP,
		"concept_coverage": t.ConceptCoverage, "grid_min_fields": t.GridMinFields,
		"field_null_max_frac": t.FieldNullMaxFrac, "residual_gridness": t.ResidualGridness,
		"grid_field_levels": p.GridFieldLevels,
	}
}
