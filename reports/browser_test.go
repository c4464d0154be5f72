package reports

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium returns the path of a Chromium/Chrome binary: $CONCEPTCELLS_CHROMIUM,
// or the first of the usual names on $PATH. The browser tests skip when there
// is none, unless CONCEPTCELLS_REQUIRE_BROWSER=1 (set in CI), where they fail.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CONCEPTCELLS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on $PATH (Debian: apt-get install chromium; or set CONCEPTCELLS_CHROMIUM)"
	if os.Getenv("CONCEPTCELLS_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + ", and CONCEPTCELLS_REQUIRE_BROWSER=1")
	}
	t.Skip(msg + ": skipping the browser test")
	return ""
}

// pageEvents collects what must not happen while the report is open:
// console errors, exceptions, and requests other than the file itself and
// data URIs.
type pageEvents struct {
	mu       sync.Mutex
	errors   []string
	requests []string
}

func (p *pageEvents) listen(self string) func(ev any) {
	return func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == "error" || ev.Type == "assert" {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				p.errors = append(p.errors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			p.errors = append(p.errors, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
		case *log.EventEntryAdded:
			if ev.Entry != nil && ev.Entry.Level == log.EntryLevelError {
				p.errors = append(p.errors, "log: "+ev.Entry.Text+" "+ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			u := ev.Request.URL
			if u != self && !strings.HasPrefix(u, "data:") {
				p.requests = append(p.requests, u)
			}
		}
	}
}

// openReport opens path in headless Chromium and returns a tab context.
func openReport(t *testing.T, path string, ev *pageEvents) context.Context {
	t.Helper()
	bin := chromium(t)
	self := "file://" + path
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
	)
	t.Cleanup(acancel)
	tctx, tcancel := chromedp.NewContext(actx, chromedp.WithListener(ev.listen(self)))
	t.Cleanup(tcancel)
	// The page inflates its data before drawing; body[data-ready] marks
	// the end.
	if err := chromedp.Do(tctx, chromedp.Navigate(self), chromedp.WaitReady("body[data-ready]")); err != nil {
		t.Fatalf("opening %s in %s: %v", self, bin, err)
	}
	return tctx
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %q: %v", js, err)
	}
	return v
}

// canvasSum is a checksum of the explorer canvas pixels.
const canvasSum = `(() => { const c = document.getElementById('exCanvas');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0; for (let i = 0; i < d.length; i++) h = (h * 31 + d[i]) >>> 0; return h; })()`

func TestBrowser(t *testing.T) {
	chromium(t)
	r := fakeReport(3000, 40, 4, 7)
	path := filepath.Join(t.TempDir(), "report.html")
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, path, true)
}

// TestBrowserFile checks a report made elsewhere (e.g. by `conceptcells
// demo`), named by $CONCEPTCELLS_BROWSER_REPORT; it skips without it.
func TestBrowserFile(t *testing.T) {
	path := os.Getenv("CONCEPTCELLS_BROWSER_REPORT")
	if path == "" {
		t.Skip("CONCEPTCELLS_BROWSER_REPORT not set")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, abs, false)
}

// checkInBrowser opens the report at path in headless Chromium and checks
// that no console error and no request happen, that every plot is drawn
// (every tile of every unit after "show all", none blank, also with the
// shared colour scale), that a tile opens its detail card and a findings
// count filters the table, that selecting a unit in the
// explorer recolours its canvas and shows its scores, and (fake data) that
// sorting the unit table works. With $CONCEPTCELLS_SCREENSHOT_DIR set it
// saves screenshots there.
func checkInBrowser(t *testing.T, path string, fake bool) {
	ev := &pageEvents{}
	ctx := openReport(t, path, ev)

	// Every plot is drawn in the page: the concept spaces, the enlarged
	// candidates, the PCA and the tiles of the units with a cell label.
	drawn := `(() => { const cs = [...document.querySelectorAll('canvas')].filter(c => !c.closest('#explorer'));
	  return [cs.length, cs.filter(c => c.getAttribute('data-drawn') === '1').length]; })()`
	nd := eval[[]int](t, ctx, drawn)
	if nd[0] < 6 || nd[0] != nd[1] {
		t.Fatalf("%d of %d canvases drawn", nd[1], nd[0])
	}
	// "show all" adds every other unit: then each gallery holds one tile
	// per unit, each with its three plots drawn and not blank.
	units := eval[int](t, ctx, `JSON.parse(document.getElementById('reportData').textContent).units.length`)
	tiles := eval[int](t, ctx, `(() => { document.querySelectorAll('button.showall').forEach(b => b.click()); return document.querySelectorAll('.tile').length; })()`)
	if tiles != units {
		t.Errorf("%d tiles after show all, want one per unit and space: %d", tiles, units)
	}
	nd = eval[[]int](t, ctx, drawn)
	if nd[0] < 3*tiles || nd[0] != nd[1] {
		t.Errorf("after show all, %d of %d canvases drawn (%d tiles)", nd[1], nd[0], tiles)
	}
	blank := eval[int](t, ctx, `[...document.querySelectorAll('.tile canvas')].filter(c => {
	  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
	  for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i+1] !== d[1] || d[i+2] !== d[2]) return false;
	  return true; }).length`)
	if blank != 0 {
		t.Errorf("%d tile canvases are a single colour", blank)
	}
	// A tile opens the detail card with every score and reason.
	card := eval[string](t, ctx, `(() => { document.querySelector('.tile').click(); const m = document.getElementById('detail');
	  return m.hidden ? '' : m.textContent; })()`)
	if !strings.Contains(card, "gridness") || !strings.Contains(card, "spatial_info") {
		t.Errorf("the detail card shows no scores: %.200q", card)
	}
	eval[bool](t, ctx, `(() => { document.querySelector('#detail .close').click(); return true; })()`)
	// A findings count filters the unit table.
	rows := eval[[]int](t, ctx, `(() => { const a = [...document.querySelectorAll('a.cnt.some')][0]; if (!a) return [-1, -1]; a.click();
	  const rs = [...document.querySelectorAll('#unitTable tbody tr')]; return [rs.filter(r => !r.hidden).length, parseInt(a.textContent)]; })()`)
	if rows[0] < rows[1] || rows[0] < 1 {
		t.Errorf("a findings count of %d left %d table rows", rows[1], rows[0])
	}
	eval[bool](t, ctx, `(() => { document.getElementById('tClear').click(); return true; })()`)

	// Selecting a unit in the explorer recolours the canvas.
	before := eval[float64](t, ctx, canvasSum)
	id := eval[string](t, ctx, `(() => { const s = document.getElementById('exSeries'); s.value = s.options[3].value; s.dispatchEvent(new Event('change')); return s.value; })()`)
	after := eval[float64](t, ctx, canvasSum)
	if id == "" || before == after {
		t.Errorf("selecting unit %q left the explorer canvas unchanged (checksum %v)", id, before)
	}
	info := eval[string](t, ctx, `document.getElementById('exInfo').textContent`)
	if !strings.Contains(info, "gridness") {
		t.Errorf("explorer shows no scores after selecting %q: %q", id, info)
	}
	// Sorting the unit table by a score column works.
	first := eval[string](t, ctx, `(() => { const th = [...document.querySelectorAll('#unitTable th')].find(h => h.textContent === 'gridness'); th.click(); th.click(); return document.querySelector('#unitTable tbody tr td.n').textContent; })()`)
	if fake && first != "0.600" {
		t.Errorf("after sorting by gridness descending, the first value is %q, want 0.600 (the largest fake gridness, 0.1·6)", first)
	}
	// At 1280×800, at least 20 rows of the unit table are visible once it
	// is scrolled to (one line per unit part).
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)); err != nil {
		t.Fatal(err)
	}
	visible := eval[int](t, ctx, `(() => { document.getElementById('units').scrollIntoView();
	  const box = document.querySelector('#units .scroll').getBoundingClientRect();
	  const bottom = Math.min(window.innerHeight, box.bottom);
	  return [...document.querySelectorAll('#unitTable tbody tr')].filter(r => { const b = r.getBoundingClientRect();
	    return !r.hidden && b.top >= box.top && b.bottom <= bottom; }).length; })()`)
	if rows := eval[int](t, ctx, `document.querySelectorAll('#unitTable tbody tr').length`); visible < min(20, rows) {
		t.Errorf("%d unit table rows visible at 1280×800, want ≥ 20", visible)
	} else {
		t.Logf("%d unit table rows visible at 1280×800", visible)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1000)); err != nil {
		t.Fatal(err)
	}

	// The shared-scale toggle redraws the tiles.
	eval[bool](t, ctx, `(() => { const c = document.getElementById('sharedScale'); c.click(); return c.checked; })()`)
	nd = eval[[]int](t, ctx, drawn)
	if nd[0] != nd[1] {
		t.Errorf("with the shared colour scale, %d of %d canvases drawn", nd[1], nd[0])
	}

	if v := eval[string](t, ctx, `String(window.__xss)`); v != "undefined" {
		t.Errorf("a script from the data ran: window.__xss = %s", v)
	}

	if out := os.Getenv("CONCEPTCELLS_SCREENSHOT_DIR"); out != "" {
		shots := []struct {
			name string
			act  chromedp.Action[[]byte]
		}{
			{"top.png", chromedp.CaptureScreenshot()},
			{"explorer.png", chromedp.Screenshot(chromedp.CSS("#explorer"))},
			{"gallery.png", chromedp.Screenshot(chromedp.CSS("details.gallery"))},
			{"galleries.png", chromedp.Screenshot(chromedp.CSS("#galleries > .controls"))},
			{"spaces.png", chromedp.Screenshot(chromedp.CSS("#spaces"))},
			{"summary.png", chromedp.Screenshot(chromedp.CSS("#summary"))},
			{"units.png", chromedp.Screenshot(chromedp.CSS("#units"))},
			{"pca.png", chromedp.Screenshot(chromedp.CSS("#pca"))},
		}
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('#run details').open = true; return true; })()`)); err != nil {
			t.Fatal(err)
		}
		shots = append(shots, struct {
			name string
			act  chromedp.Action[[]byte]
		}{"run.png", chromedp.Screenshot(chromedp.CSS("#run"))})
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector('figure.hero .more').click(); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		shots = append(shots, struct {
			name string
			act  chromedp.Action[[]byte]
		}{"detail.png", chromedp.Screenshot(chromedp.CSS("#detail .card"))})
		for _, s := range shots {
			png, err := chromedp.Run(ctx, s.act)
			if err != nil {
				t.Fatalf("screenshot %s: %v", s.name, err)
			}
			if err := os.WriteFile(filepath.Join(out, s.name), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}

	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, e := range ev.errors {
		t.Errorf("browser: %s", e)
	}
	for _, u := range ev.requests {
		t.Errorf("the report requested %s", u)
	}
}
