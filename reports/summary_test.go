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
	// fakeUnit labels unit i: grid if i%11 == 3, else place+concept if i is
	// even, else none (positive part) or silent (negative part).
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
	if s.Total != 50 {
		t.Errorf("total %d, want 50", s.Total)
	}
	// fc2 (signed, 10 units): grid {3}; place+concept {0,2,4,6,8}; the
	// others have a none part and a silent part, which makes them none.
	s = r.row("fc2", "unit", "network")
	want = map[string]int{LabelGrid: 1, LabelPlace: 5, LabelConcept: 5, LabelNone: 4, LabelSilent: 0}
	for l, n := range want {
		if s.Counts[l] != n {
			t.Errorf("fc2 network %s = %d, want %d", l, s.Counts[l], n)
		}
	}
	// PCs 0…2 of fc1_relu: PC 0 and 2 place, PC 1 none.
	if s := r.row("fc1_relu", "pc", "image"); s == nil || s.Total != 3 || s.Counts[LabelPlace] != 2 {
		t.Errorf("fc1_relu PCs in image space: %+v, want 3 PCs, 2 place", s)
	}
	if len(r.Verdict) != 3 {
		t.Fatalf("%d verdict lines, want 3", len(r.Verdict))
	}
	if v := r.Verdict[0]; v.Agrees == nil || *v.Agrees || !strings.Contains(v.Finding, "5 of 10 units") {
		t.Errorf("final-layer verdict %+v, want 5 of 10 and disagreement", v)
	}
	if v := r.Verdict[1]; v.Agrees == nil || *v.Agrees || !strings.Contains(v.Finding, "network space: 5 grid") {
		t.Errorf("pre-final verdict %+v, want 5 grid and disagreement", v)
	}
	if v := r.Verdict[2]; !strings.Contains(v.Finding, "3 PCs kept") {
		t.Errorf("PCA verdict %+v, want 3 PCs", v)
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
	if !strings.HasPrefix(head, "layer,space,kind,index,sign,labels,gridness,") || !strings.HasSuffix(head, ",reasons") {
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
