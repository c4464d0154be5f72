package cells

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"testing"
)

// TestJSONShape: the documented, stable JSON shape; undefined scores are
// null (here: the class scores of a run without labels).
func TestJSONShape(t *testing.T) {
	xs, ys := uniformPoints(3000, 9)
	f, err := NewFrame(xs, ys, 20, nil)
	if err != nil {
		t.Fatal(err)
	}
	a := make([]float64, len(xs))
	for i := range a {
		a[i] = math.Exp(-((xs[i]-0.5)*(xs[i]-0.5) + (ys[i]-0.5)*(ys[i]-0.5)) / 0.01)
	}
	r, err := ScoreUnits(context.Background(), f, Columns{a}, nil, fastOpts())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Units  []map[string]json.RawMessage `json:"units"`
		Params map[string]json.RawMessage   `json:"params"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Units) != 1 {
		t.Fatalf("%d units", len(doc.Units))
	}
	for _, k := range []string{"unit", "part", "labels", "reasons", "scores", "fields", "class_means"} {
		if _, ok := doc.Units[0][k]; !ok {
			t.Errorf("unit object lacks %q", k)
		}
	}
	var scores map[string]any
	if err := json.Unmarshal(doc.Units[0]["scores"], &scores); err != nil {
		t.Fatal(err)
	}
	for _, k := range scoreKeys {
		if _, ok := scores[k]; !ok {
			t.Errorf("scores lack %q", k)
		}
	}
	if len(scores) != len(scoreKeys) {
		t.Errorf("scores has %d keys, want %d", len(scores), len(scoreKeys))
	}
	if scores["csi"] != nil || scores["top_class"] != nil {
		t.Errorf("csi/top_class without labels: %v %v, want null", scores["csi"], scores["top_class"])
	}
	if g, ok := scores["gridness"].(float64); !ok || g != r.Units[0].Scores.Gridness {
		t.Errorf("gridness %v, want %v", scores["gridness"], r.Units[0].Scores.Gridness)
	}
	for _, k := range []string{"bins", "range", "seed", "permutations", "field_shuffles", "thresholds", "density_gridness", "compat"} {
		if _, ok := doc.Params[k]; !ok {
			t.Errorf("params lack %q", k)
		}
	}
	b.Reset()
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rows[0]) != 3+len(scoreKeys) || rows[1][2] == "" {
		t.Errorf("CSV: %d rows, header %v, row %v", len(rows), rows[0], rows[1])
	}
}

// TestScoresMap: Map uses the JSON names and nil for undefined values.
func TestScoresMap(t *testing.T) {
	s := nanScores()
	s.Gridness, s.NFields = 1.25, 3
	m := s.Map()
	if len(m) != len(ScoreKeys()) {
		t.Fatalf("%d keys, want %d", len(m), len(ScoreKeys()))
	}
	if m["gridness"] == nil || *m["gridness"] != 1.25 || m["n_fields"] == nil || *m["n_fields"] != 3 {
		t.Errorf("gridness %v n_fields %v", m["gridness"], m["n_fields"])
	}
	if m["csi"] != nil || m["top_class"] != nil {
		t.Errorf("undefined scores not nil: csi %v top_class %v", m["csi"], m["top_class"])
	}
}
