package command

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conceptcells/conceptcells/dataset"
	"github.com/conceptcells/conceptcells/onnxio"
	"github.com/conceptcells/conceptcells/onnxio/onnxbuild"
)

// hostileModel writes a small MLP whose input, node and tensor names,
// producer and metadata are HTML/JS payloads.
func hostileModel(t *testing.T, dir string) string {
	t.Helper()
	const (
		in   = `x"><script>window.__xss=1</script>`
		hid  = `h</title><script>window.__xss=2</script>`
		act  = `a"><img src=x onerror="window.__xss=3">`
		lgt  = `logits'><svg onload=window.__xss=4>`
		prob = `p</script><script>window.__xss=5</script>`
	)
	rng := rand.New(rand.NewPCG(1, 2))
	w := func(name string, dims ...int64) *onnxbuild.Tensor {
		n := 1
		for _, d := range dims {
			n *= int(d)
		}
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return onnxbuild.FloatTensor(name, dims, v)
	}
	g := &onnxbuild.Graph{Name: `<b>graph</b>`,
		Nodes: []*onnxbuild.Node{
			onnxbuild.NewNode("Gemm", `<i onmouseover=alert(1)>fc1</i>`, []string{in, "w1", "b1"}, []string{hid}),
			onnxbuild.NewNode("Relu", `relu<script>`, []string{hid}, []string{act}),
			onnxbuild.NewNode("Gemm", `fc2"'<>`, []string{act, "w2", "b2"}, []string{lgt}),
			onnxbuild.NewNode("Softmax", `sm`, []string{lgt}, []string{prob}, onnxbuild.AttrInt("axis", 1)),
		},
		Initializers: []*onnxbuild.Tensor{w("w1", 4, 6), w("b1", 6), w("w2", 6, 3), w("b2", 3)},
		Inputs:       []*onnxbuild.Value{onnxbuild.ValueInfo(in, onnxio.Float, []int64{-1, 4})},
		Outputs:      []*onnxbuild.Value{onnxbuild.ValueInfo(prob, onnxio.Float, []int64{-1, 3})},
	}
	mp := onnxbuild.NewModel(g, 13, `<script>window.__xss=6</script>`)
	mp.Metadata = []onnxio.KeyValue{{Key: `<img src=x onerror=alert(7)>`, Value: `</script><script>window.__xss=8</script>`}}
	path := filepath.Join(dir, `m.onnx`)
	if err := mp.Save(path, false); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestProbeHostileModel(t *testing.T) {
	if testing.Short() {
		t.Skip("probe run in -short mode")
	}
	dir := t.TempDir()
	model := hostileModel(t, dir)
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 150
	x := make([]float32, n*4)
	y := make([]int64, n)
	for i := 0; i < n; i++ {
		y[i] = int64(i % 3)
		for j := 0; j < 4; j++ {
			x[i*4+j] = float32(rng.NormFloat64()) + float32(y[i]*2*int64(j%2))
		}
	}
	if err := dataset.WriteNpy(filepath.Join(dir, "x.npy"), false, []int{n, 4}, x); err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteNpy(filepath.Join(dir, "y.npy"), false, []int{n}, y); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "r.html")
	if d := os.Getenv("CONCEPTCELLS_HOSTILE_REPORT_DIR"); d != "" {
		out = filepath.Join(d, "hostile.html") // to open it in a browser by hand
		os.Remove(out)
	}
	if _, _, err := runApp(t, "probe", "--model", model, "--data", filepath.Join(dir, "x.npy"), "--labels", filepath.Join(dir, "y.npy"),
		"--perplexity", "10", "--iterations", "250", "--bins", "10", "--shuffles", "20", "--field-shuffles", "10", "--quiet", "--out", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, bad := range []string{"<script>window", "<img src=x", "<svg onload", "<i onmouseover", "</title><script", "<b>graph"} {
		if i := strings.Index(html, bad); i >= 0 {
			t.Errorf("unescaped %q in the report: …%s…", bad, html[max(0, i-60):min(len(html), i+60)])
		}
	}
	if c := strings.Count(strings.ToLower(html), "<script"); c != 2 {
		t.Errorf("%d <script elements in the report, want our 2", c)
	}
	// The names are there, as text: the layers were chosen automatically
	// from the hostile graph (the Relu output and the final Gemm).
	for _, want := range []string{"a&#34;&gt;&lt;img src=x onerror=&#34;window.__xss=3&#34;&gt;", "logits&#39;&gt;&lt;svg onload=window.__xss=4&gt;"} {
		if !strings.Contains(html, want) {
			t.Errorf("escaped name %q not in the report", want)
		}
	}
}
