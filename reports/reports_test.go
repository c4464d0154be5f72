package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteHTMLPaperSize(t *testing.T) {
	if testing.Short() {
		t.Skip("paper-scale report in -short mode")
	}
	// The paper's case: 10,000 points, 50+10 units, PCs, two spaces, 40 bins.
	r := fakeReport(10000, 40, 11, 1)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("paper-scale HTML: %.2f MB", float64(buf.Len())/1e6)
	if buf.Len() > 15e6 {
		t.Errorf("HTML is %d bytes, want < 15 MB (issue 6)", buf.Len())
	}
	if dir := os.Getenv("CONCEPTCELLS_REPORT_DIR"); dir != "" {
		os.WriteFile(filepath.Join(dir, "fake.html"), buf.Bytes(), 0o644)
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	t.Logf("paper-scale JSON: %.2f MB", float64(js.Len())/1e6)
	if !strings.Contains(buf.String(), "</html>") {
		t.Error("HTML not complete")
	}
}

// BenchmarkWriteHTML renders the paper-scale report: 10,000 points, 50+10
// units, 11 PCs, two spaces, 40 bins.
func BenchmarkWriteHTML(b *testing.B) {
	r := fakeReport(10000, 40, 11, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := WriteHTML(&buf, r); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len())/1e6, "MB")
	}
}
