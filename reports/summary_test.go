package reports

import (
	"bytes"
	"encoding/csv"
	"math"
	"strings"
	"testing"
)

func TestSummaryAndVerdict(t *testing.T) {
	r := fakeReport(200, 10, 3, 1)
	// fakeUnit labels unit i: grid if i%11 == 3 (weakly-grid in the third
	// of three embeddings), else place+concept if i is even, else none
	// (positive part) or silent (negative part).
	// fc1_relu, units 0…49: grid {3,14,25,36,47} = 5; even and not grid:
	// 25 − 2 (14, 36) = 23 place and concept; the rest 22 none.
	s := r.row("fc1_relu", "unit", "network")
	if s == nil {
		t.Fatal("no summary row for fc1_relu/unit/network")
	}
	want := map[string]int{LabelGrid: 5, LabelPlace: 23, LabelConcept: 23, LabelNone: 22, LabelWeaklyGrid: 0, LabelSilent: 0}
	for l, n := range want {
		if s.Counts[l] != n {
			t.Errorf("fc1_relu network %s = %d, want %d", l, s.Counts[l], n)
		}
	}
	if s.Total != 50 || s.Embeddings != 3 || s.NegativeParts != 0 {
		t.Errorf("total %d, embeddings %d, negative parts %d; want 50, 3, 0", s.Total, s.Embeddings, s.NegativeParts)
	}
	// Per embedding: 5 grid in the first two, 0 in the third (weakly-grid
	// there).
	if s.Range[LabelGrid] != [2]int{0, 5} || s.Range[LabelWeaklyGrid] != [2]int{0, 5} || s.Range[LabelPlace] != [2]int{23, 23} {
		t.Errorf("ranges %v", s.Range)
	}
	// fc2 (signed, 10 units): positive parts grid {3}, place+concept
	// {0,2,4,6,8}, none {1,5,7,9}; the negative parts are counted apart
	// (silent for the odd non-grid units).
	s = r.row("fc2", "unit", "network")
	want = map[string]int{LabelGrid: 1, LabelPlace: 5, LabelConcept: 5, LabelNone: 4, LabelSilent: 0}
	for l, n := range want {
		if s.Counts[l] != n {
			t.Errorf("fc2 network %s = %d, want %d", l, s.Counts[l], n)
		}
	}
	if s.NegativeParts != 10 || s.Negative[LabelSilent] != 4 || s.Negative[LabelPlace] != 5 || s.Negative[LabelGrid] != 1 {
		t.Errorf("fc2 negative parts %d: %v", s.NegativeParts, s.Negative)
	}
	// PCs 0…2 of fc1_relu: PC 0 and 2 place, PC 1 none.
	if s := r.row("fc1_relu", "pc", "image"); s == nil || s.Total != 3 || s.Counts[LabelPlace] != 2 {
		t.Errorf("fc1_relu PCs in image space: %+v, want 3 PCs, 2 place", s)
	}
	if len(r.Verdict) != 3 || r.VerdictNote != "" {
		t.Fatalf("%d verdict lines (note %q), want 3", len(r.Verdict), r.VerdictNote)
	}
	if v := r.Verdict[0]; v.Agrees == nil || *v.Agrees || !strings.Contains(v.Finding, "5 of 10 units are place cells with one field") ||
		!strings.Contains(v.Finding, "5 place (5–5); counted apart: 5 concept (5–5)") {
		t.Errorf("final-layer verdict %+v, want 5 of 10 and disagreement", v)
	}
	if v := r.Verdict[1]; v.Agrees == nil || *v.Agrees || !strings.Contains(v.Finding, "network space: 5 grid (0–5) of 50 units") ||
		!strings.Contains(v.Finding, "not counted as grid: 0 weakly-grid (0–5), 0 cluster-grid (0–0)") {
		t.Errorf("pre-final verdict %+v, want 5 grid and disagreement", v)
	}
	if v := r.Verdict[2]; !strings.Contains(v.Finding, "3 PCs kept") {
		t.Errorf("PCA verdict %+v, want 3 PCs", v)
	}
	if len(r.Findings) != 1+len(r.Summary) || !strings.Contains(r.Findings[0], "voted over 3 t-SNE embeddings") {
		t.Errorf("findings %q", r.Findings)
	}
}

// setPart sets the labels of one part of a unit in every space, with its
// labels in each of the embeddings.
func setPart(r *Report, layer, kind string, idx int, sign string, labels []string, perEmbedding ...[]string) {
	for ri := range r.Results {
		if r.Results[ri].Layer != layer {
			continue
		}
		for ui := range r.Results[ri].Units {
			u := &r.Results[ri].Units[ui]
			if u.Kind != kind || u.Index != idx {
				continue
			}
			for pi := range u.Parts {
				if p := &u.Parts[pi]; p.Sign == sign {
					p.Labels, p.EmbeddingLabels = labels, perEmbedding
				}
			}
		}
	}
}

// TestPositivePartCounts: a signed unit counts with the labels of its
// positive part only; its negative part is counted apart.
func TestPositivePartCounts(t *testing.T) {
	r := fakeReport(60, 6, 2, 2)
	// fc2 unit 1 (odd: none / silent by default): place only in the
	// negative part; unit 0: place in the positive part, grid in the
	// negative one.
	setPart(r, "fc2", "unit", 1, "-", []string{LabelPlace})
	setPart(r, "fc2", "unit", 0, "+", []string{LabelPlace})
	setPart(r, "fc2", "unit", 0, "-", []string{LabelGrid})
	r.Finish()
	s := r.row("fc2", "unit", "image")
	// Positive parts: place {0,2,4,6,8}, grid {3}, none {1,5,7,9}.
	if s.Counts[LabelPlace] != 5 || s.Counts[LabelGrid] != 1 || s.Counts[LabelNone] != 4 {
		t.Errorf("counts %v, want place 5, grid 1, none 4 (negative parts ignored)", s.Counts)
	}
	// Negative parts: place {1,2,4,6,8}, grid {0,3}, silent {5,7,9}.
	if s.NegativeParts != 10 || s.Negative[LabelPlace] != 5 || s.Negative[LabelGrid] != 2 || s.Negative[LabelSilent] != 3 {
		t.Errorf("negative parts %d: %v", s.NegativeParts, s.Negative)
	}
	// The final-layer verdict sees the positive parts only: a negative
	// place field does not make a unit place-like.
	if !strings.Contains(r.Verdict[0].Finding, "5 of 10 units") {
		t.Errorf("verdict %q", r.Verdict[0].Finding)
	}
	// The HTML shows the negative parts on their own row.
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<tr class="neg"><td>fc2</td><td>unit (−)</td>`) {
		t.Error("no negative-parts row for fc2 in the HTML summary")
	}
}

// TestVerdictOnlyInPaperSetting: without class labels, without one
// final-layer unit per class, with a pre-final layer that is not 1-D or a
// network space of another layer, there is no verdict (and no "differs"
// badge), only findings and a note saying why.
func TestVerdictOnlyInPaperSetting(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *Report)
		why  string
	}{
		{"no-labels", func(r *Report) { r.Labels, r.Dataset.HasLabels = nil, false }, "no class labels"},
		{"classes", func(r *Report) { r.Classes = r.Classes[:5] }, "has 10 units for 5 classes"},
		{"conv", func(r *Report) { r.Layers[0].Shape = []int{2, 5, 5} }, "has shape [2 5 5], not one dimension"},
		{"space", func(r *Report) { r.Spaces[1].Source = "fc1_relu" }, "the network space embeds fc1_relu"},
	} {
		r := fakeReport(60, 6, 2, 3)
		tc.edit(r)
		r.Finish()
		if len(r.Verdict) != 0 || !strings.Contains(r.VerdictNote, tc.why) || len(r.Findings) == 0 {
			t.Errorf("%s: verdict %v, note %q, %d findings; want no verdict and a note naming %q", tc.name, r.Verdict, r.VerdictNote, len(r.Findings), tc.why)
		}
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		if strings.Contains(html, ">differs<") || strings.Contains(html, "line by line") || !strings.Contains(html, "<h2>Findings</h2>") || !strings.Contains(html, tc.why) {
			t.Errorf("%s: the HTML shows the paper's verdict or no findings", tc.name)
		}
	}
}

// TestVerdictLines checks each claim as stated: the final layer agrees
// only when every unit is a place cell with exactly one field (concept
// does not count); the pre-final layer agrees when no unit is grid in a
// majority of the embeddings, whatever its weakly-grid and cluster-grid
// units; the PCs likewise.
func TestVerdictLines(t *testing.T) {
	allPlace := func(r *Report) {
		for u := 0; u < 10; u++ {
			setPart(r, "fc2", "unit", u, "+", []string{LabelPlace, LabelConcept})
		}
		for u := 0; u < 50; u++ {
			setPart(r, "fc1_relu", "unit", u, "", []string{LabelPlace})
		}
		for k := 0; k < 2; k++ {
			setPart(r, "fc1_relu", "pc", k, "+", []string{LabelNone})
		}
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *Report)
		agrees [3]bool
		want   [3]string // substrings of the three findings
	}{
		{"all-agree", func(r *Report) {}, [3]bool{true, true, true},
			[3]string{"10 of 10 units are place cells with one field; 10 place (10–10); counted apart: 10 concept (10–10).", "network space: 0 grid (0–0) of 50 units", "image space: 0 grid (0–0) of 2 PCs"}},
		{"concept-only", func(r *Report) { setPart(r, "fc2", "unit", 4, "+", []string{LabelConcept}) }, [3]bool{false, true, true},
			[3]string{"9 of 10 units are place cells with one field; 9 place (9–9); counted apart: 10 concept (10–10); not place with one field: unit 4 [concept]"}},
		{"two-fields", func(r *Report) {
			for _, res := range r.Results {
				if res.Layer == "fc2" {
					res.Units[7].Parts[0].Scores["n_fields"] = ptr(2)
				}
			}
		}, [3]bool{false, true, true}, [3]string{"9 of 10 units are place cells with one field; 10 place (10–10)"}},
		{"weak-and-cluster", func(r *Report) {
			setPart(r, "fc1_relu", "unit", 3, "", []string{LabelWeaklyGrid})
			setPart(r, "fc1_relu", "unit", 4, "", []string{LabelClusterGrid})
			// grid in one of three embeddings: not voted grid.
			setPart(r, "fc1_relu", "unit", 5, "", []string{LabelNone}, []string{LabelGrid}, []string{LabelNone}, []string{LabelNone})
		}, [3]bool{true, true, true}, [3]string{"", "0 grid (0–1) of 50 units; not counted as grid: 1 weakly-grid (1–1), 1 cluster-grid (1–1)"}},
		// A label name the scorer may introduce is counted generically and,
		// being grid-like, reported apart from grid.
		{"new-label", func(r *Report) { setPart(r, "fc1_relu", "unit", 8, "", []string{"class-layout grid"}) }, [3]bool{true, true, true},
			[3]string{"", "0 grid (0–0) of 50 units; not counted as grid: 0 weakly-grid (0–0), 0 cluster-grid (0–0), 1 class-layout grid (1–1)"}},
		{"grid", func(r *Report) {
			setPart(r, "fc1_relu", "unit", 6, "", []string{LabelGrid}, []string{LabelGrid}, []string{LabelGrid}, []string{LabelPlace})
		}, [3]bool{true, false, true}, [3]string{"", "1 grid (0–1) of 50 units (unit 6 [grid]"}},
		{"grid-pc", func(r *Report) { setPart(r, "fc1_relu", "pc", 1, "+", []string{LabelGrid}) }, [3]bool{true, true, false},
			[3]string{"", "", "1 grid (1–1) of 2 PCs (PC 2 [grid]"}},
		{"grid-in-negative-part", func(r *Report) { setPart(r, "fc1_relu", "pc", 1, "-", []string{LabelGrid}) }, [3]bool{true, true, true}, [3]string{}},
	} {
		r := fakeReport(60, 6, 2, 4)
		allPlace(r)
		tc.edit(r)
		r.Finish()
		if len(r.Verdict) != 3 {
			t.Fatalf("%s: %d verdict lines (note %q)", tc.name, len(r.Verdict), r.VerdictNote)
		}
		for i, v := range r.Verdict {
			if v.Agrees == nil || *v.Agrees != tc.agrees[i] {
				t.Errorf("%s: claim %d agrees %v, want %v: %s", tc.name, i+1, v.Agrees, tc.agrees[i], v.Finding)
			}
			if !strings.Contains(v.Finding, tc.want[i]) {
				t.Errorf("%s: claim %d finding %q, want it to contain %q", tc.name, i+1, v.Finding, tc.want[i])
			}
		}
	}
}

func TestCSV(t *testing.T) {
	r := fakeReport(50, 6, 2, 1)
	r.Results[0].Layer = "=HYPERLINK(\"x\")"
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// 2 spaces × (50 units + 2 PCs × 2 parts in fc1_relu + 10 units × 2
	// parts in fc2) + header.
	if want := 1 + 2*(50+4+20); len(rows) != want {
		t.Errorf("%d CSV rows, want %d", len(rows), want)
	}
	if rows[1][0] != "'=HYPERLINK(\"x\")" {
		t.Errorf("formula-like layer name written as %q, want it prefixed with '", rows[1][0])
	}
	head := strings.Join(rows[0], ",")
	if !strings.HasPrefix(head, "layer,space,kind,index,sign,labels,runs,gridness,") || !strings.HasSuffix(head, ",reasons") {
		t.Errorf("CSV header %q", head)
	}
}

func TestGridJSONNaN(t *testing.T) {
	g := &Grid{Rows: 1, Cols: 3, Values: []float64{1.5, math.NaN(), math.Inf(1)}}
	b, err := g.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"rows":1,"cols":3,"values":[1.5,null,null]}` {
		t.Errorf("got %s", b)
	}
	var back Grid
	if err := back.UnmarshalJSON(b); err != nil || back.Values[0] != 1.5 || !math.IsNaN(back.Values[1]) {
		t.Errorf("round trip: %+v %v", back, err)
	}
}
