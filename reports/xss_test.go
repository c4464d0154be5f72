package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Payloads that must show up as text only. Each one sets window.__xss if
// it ever runs.
var xssPayloads = []string{
	`<script>window.__xss=1</script>`,
	`"><img src=x onerror="window.__xss=2">`,
	`'><svg onload=window.__xss=3>`,
	`</script><script>window.__xss=4</script>`,
	`javascript:window.__xss=5`,
	`{{.}}</title><script>window.__xss=6</script>`,
	`=cmd|' /C calc'!A0`,
}

// hostileReport puts the payloads everywhere a model or dataset can put a
// string: model, producer, metadata, tensor/node names, class names,
// dataset name, warnings, reasons.
func hostileReport() *Report {
	r := fakeReport(300, 10, 2, 5)
	p := func(i int) string { return xssPayloads[i%len(xssPayloads)] }
	r.Model.File = p(0) + ".onnx"
	r.Model.Producer = p(1)
	r.Model.ProducerVersion = p(2)
	r.Model.Inputs = []string{p(3)}
	r.Model.Outputs = []string{p(4)}
	r.Model.Opsets = map[string]int64{p(5): 1, "": 13}
	r.Model.Metadata = map[string]string{p(0): p(1), "note": p(3)}
	r.Dataset.Name = p(2)
	r.Dataset.Source = p(5)
	r.Warnings = append(r.Warnings, p(0), p(3))
	r.Params.SpaceLayer = p(4)
	r.Params.Cells = map[string]any{p(1): p(2)}
	r.Seeds[p(0)] = 1
	r.Timings = append(r.Timings, Timing{p(3), 1})
	for i := range r.Classes {
		r.Classes[i] = p(i)
	}
	for i := range r.Layers {
		old := r.Layers[i].Name
		r.Layers[i].Name = p(i) + p(i+3)
		r.Layers[i].Node = p(i + 1)
		for j := range r.Results {
			if r.Results[j].Layer == old {
				r.Results[j].Layer = r.Layers[i].Name
			}
		}
	}
	for i := range r.Spaces {
		r.Spaces[i].Source = p(i + 2)
		r.Spaces[i].Quality[p(i)] = 1
	}
	for i := range r.Results {
		for j := range r.Results[i].Units {
			for k := range r.Results[i].Units[j].Parts {
				pt := &r.Results[i].Units[j].Parts[k]
				pt.Reasons = append(pt.Reasons, p(j))
				pt.Scores[p(j+1)] = ptr(1)
			}
		}
	}
	r.Finish()
	return r
}

func TestHTMLEscapesModelStrings(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, bad := range []string{"<script>window", "<img src=x", "<svg onload", "onerror=\"window", "</title><script"} {
		if strings.Contains(html, bad) {
			i := strings.Index(html, bad)
			t.Errorf("unescaped %q in the HTML: …%s…", bad, html[max(0, i-80):min(len(html), i+80)])
		}
	}
	// Exactly our two script elements (data and code).
	if n := strings.Count(strings.ToLower(html), "<script"); n != 2 {
		t.Errorf("%d <script elements, want 2", n)
	}
}

func TestBrowserXSS(t *testing.T) {
	chromium(t)
	path := filepath.Join(t.TempDir(), "hostile.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := &pageEvents{}
	ctx := openReport(t, path, ev)
	// Exercise the explorer and the table too: their text is built by the script.
	eval[bool](t, ctx, `(() => { const s = document.getElementById('exSeries'); s.value = s.options[2].value; s.dispatchEvent(new Event('change')); document.querySelector('#unitTable th').click(); return true; })()`)
	if v := eval[string](t, ctx, `String(window.__xss)`); v != "undefined" {
		t.Errorf("a payload ran: window.__xss = %s", v)
	}
	body := eval[string](t, ctx, `(() => { document.querySelectorAll('details').forEach(d => d.open = true); return document.body.innerText + document.title; })()`)
	for _, p := range xssPayloads[:4] {
		if !strings.Contains(body, p) {
			t.Errorf("payload %q is not shown as text", p)
		}
	}
	info := eval[string](t, ctx, `document.getElementById('exInfo').textContent`)
	if !strings.Contains(info, xssPayloads[1]) && !strings.Contains(info, xssPayloads[2]) {
		t.Errorf("explorer info does not show the hostile reason/score names as text: %q", info)
	}
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, e := range ev.errors {
		t.Errorf("browser: %s", e)
	}
	for _, u := range ev.requests {
		t.Errorf("the hostile report requested %s", u)
	}
}

// TestCSPAllowsOnlyOurScript: the page's policy names the one inline
// script by its hash instead of allowing every inline script, so a script
// element smuggled in through a model string could not run even if it
// escaped the escaping.
func TestCSPAllowsOnlyOurScript(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHTML(&buf, hostileReport()); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if !strings.Contains(page, "script-src 'sha256-") || strings.Contains(page, "script-src 'unsafe-inline'") {
		i := strings.Index(page, "Content-Security-Policy")
		t.Fatalf("policy %q: want script-src with the script's hash only", page[i:min(len(page), i+200)])
	}
	sum := sha256.Sum256([]byte(reportJS))
	want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	if scriptHash != want || !strings.Contains(page, "<script>"+reportJS+"</script>") {
		t.Errorf("the hash %s does not belong to the script in the page", scriptHash)
	}
}
