package reports

import (
	"fmt"
	"github.com/conceptcells/conceptcells/probe"
	"math"
	"math/rand/v2"
)

// fakeReport builds a report of n points in ten class clusters, with a
// 50-unit "pre-final" ReLU layer (one-bump place-like units), a 10-unit
// signed "final" layer (one unit per class), k PCs of the first layer, and
// rate maps with bins×bins bins. Rate maps are the binned means; the SAC
// stand-ins are smooth (2bins−1)² fields, enough for rendering and size.
func fakeReport(n, bins, k int, seed uint64) *Report {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := &Report{Tool: "conceptcells", Version: "test", Created: "2026-01-01T00:00:00Z",
		Model: Model{File: "fake.onnx", SHA256: "00ff", Producer: "test", ProducerVersion: "1", IRVersion: 7,
			Opsets: map[string]int64{"": 13}, Inputs: []string{"input"}, Outputs: []string{"log_probs"}, Nodes: 12,
			Metadata: map[string]string{"epochs": "10"}},
		Dataset: Dataset{Name: "fake", Source: "generated", N: n, Shape: []int{1, 28, 28}, Normalisation: "none", HasLabels: true},
		Params: Params{Layers: []string{"fc1_relu", "fc2"}, LayersChosen: "flag", SpaceLayer: "fc2", Limit: n, BatchSize: 256,
			PCs: "auto", PCVariance: 0.95, Perplexity: 30, RobustSeeds: 2, RobustPerplexity: 50, Iterations: 750, Bins: bins, Shuffles: 200, FieldShuffles: 100, Seed: 1,
			Cells: map[string]any{"grid_threshold": 0.7}},
		Seeds:    map[string]int64{"tsne_image": 1, "tsne_network": 2, "shuffles": 3},
		Timings:  []Timing{{"activations", 1.5}, {"tsne image", 12}},
		Warnings: []string{"a warning"},
	}
	acc := 0.9876
	r.Accuracy = &acc
	for c := 0; c < 10; c++ {
		r.Classes = append(r.Classes, fmt.Sprint(c))
	}
	r.Labels = make([]int, n)
	for _, name := range []string{"image", "network"} {
		sp := Space{Name: name, Source: "input", Dims: 784, X: make(Floats, n), Y: make(Floats, n), Quality: map[string]float64{"kl": 1.8}}
		if name == "network" {
			sp.Source, sp.Dims = "fc2", 10
		}
		for i := 0; i < n; i++ {
			c := i % 10
			r.Labels[i] = c
			a := 2 * math.Pi * float64(c) / 10
			if name == "image" {
				a += 0.7
			}
			sp.X[i] = float32(30*math.Cos(a) + 6*rng.NormFloat64())
			sp.Y[i] = float32(30*math.Sin(a) + 6*rng.NormFloat64())
		}
		sp.Frame = probe.SquareFrame(xy(sp.X, sp.Y))
		for e := 0; e < 3; e++ {
			sp.Embeddings = append(sp.Embeddings, Embedding{Seed: int64(len(r.Spaces) + 1 + 100*e), Perplexity: []float64{30, 30, 50}[e],
				Quality: map[string]float64{"kl": 1.8 + 0.01*float64(e)}})
		}
		r.Spaces = append(r.Spaces, sp)
	}
	net := &r.Spaces[1]
	l6 := Layer{Name: "fc1_relu", Node: "fc1/Relu", Op: "Relu", Role: "pre-final", Shape: []int{50}, Units: 50}
	for u := 0; u < 50; u++ {
		cx, cy := 40*rng.Float64()-20, 40*rng.Float64()-20
		a := make(Floats, n)
		for i := range a {
			dx, dy := float64(net.X[i])-cx, float64(net.Y[i])-cy
			a[i] = float32(math.Max(0, 3*math.Exp(-(dx*dx+dy*dy)/200)-0.3+0.1*rng.NormFloat64()))
		}
		l6.Activations = append(l6.Activations, a)
	}
	l7 := Layer{Name: "fc2", Node: "fc2/Gemm", Op: "Gemm", Role: "final", Shape: []int{10}, Units: 10, Signed: true}
	for u := 0; u < 10; u++ {
		a := make(Floats, n)
		for i := range a {
			v := -2 + rng.NormFloat64()
			if r.Labels[i] == u {
				v = 8 + rng.NormFloat64()
			}
			a[i] = float32(v)
		}
		l7.Activations = append(l7.Activations, a)
	}
	pca := &PCA{K: k, Auto: true, Threshold: 0.95}
	rest := 1.0
	for i := 0; i < 20; i++ {
		e := rest * 0.25
		rest -= e
		pca.Explained = append(pca.Explained, e)
		if i < k {
			pca.Cumulative += e
			pca.Scores = append(pca.Scores, l7.Activations[i%10])
		}
	}
	l6.PCA = pca
	r.Layers = []Layer{l6, l7}
	for si := range r.Spaces {
		sp := &r.Spaces[si]
		for li := range r.Layers {
			l := &r.Layers[li]
			res := Result{Layer: l.Name, Space: sp.Name}
			for u := range l.Activations {
				res.Units = append(res.Units, fakeUnit(sp, "unit", u, l.Activations[u], l.Signed, bins, r.Labels))
			}
			if l.PCA != nil {
				for p := range l.PCA.Scores {
					res.Units = append(res.Units, fakeUnit(sp, "pc", p, l.PCA.Scores[p], true, bins, r.Labels))
				}
			}
			r.Results = append(r.Results, res)
		}
	}
	r.Finish()
	return r
}

// fakeUnit builds a unit whose parts were voted over three embeddings:
// grid in the first two and weakly-grid in the third when idx%11 == 3,
// else the same labels in all three (see the switch for which).
func fakeUnit(sp *Space, kind string, idx int, a Floats, signed bool, bins int, labels []int) Unit {
	u := Unit{Kind: kind, Index: idx, Signed: signed}
	signs := []string{""}
	if signed {
		signs = []string{"+", "-"}
	}
	for _, s := range signs {
		v := make([]float32, len(a))
		for i, x := range a {
			switch s {
			case "+":
				x = max(x, 0)
			case "-":
				x = max(-x, 0)
			}
			v[i] = x
		}
		m := binnedMean(sp, v, bins)
		g := 0.1 * float64(idx%7)
		si := float64(idx%5) * 0.5
		p := Part{Sign: s, RateMap: m, Smooth: m, SAC: fakeSAC(bins, idx),
			Scores: map[string]*float64{"gridness": &g, "spatial_info": &si, "csi": nil, "n_fields": ptr(1)}}
		switch {
		case idx%11 == 3:
			p.Labels = []string{LabelGrid}
			p.Reasons = []string{"gridness 0.8 ≥ 0.7"}
		case idx%2 == 0:
			p.Labels = []string{LabelPlace, LabelConcept}
			p.Reasons = []string{"SI 1.2 > p95 0.3", "1 field", "CSI 0.9 ≥ 0.5"}
		case s == "-":
			p.Labels = []string{LabelSilent}
		default:
			p.Labels = []string{LabelNone}
		}
		p.EmbeddingLabels = [][]string{p.Labels, p.Labels, p.Labels}
		if idx%11 == 3 {
			p.EmbeddingLabels[2] = []string{LabelWeaklyGrid}
		}
		p.Runs = map[string]int{}
		for _, set := range p.EmbeddingLabels {
			for _, l := range set {
				p.Runs[l]++
			}
		}
		p.Scores["robust_runs"] = ptr(3)
		u.Parts = append(u.Parts, p)
	}
	return u
}

func ptr(v float64) *float64 { return &v }

func binnedMean(sp *Space, v []float32, bins int) *Grid {
	g := &Grid{Rows: bins, Cols: bins, Values: make([]float64, bins*bins)}
	cnt := make([]int, bins*bins)
	w := (sp.Frame[1] - sp.Frame[0]) / float64(bins)
	for i := range v {
		c := min(bins-1, int((float64(sp.X[i])-sp.Frame[0])/w))
		r := min(bins-1, int((float64(sp.Y[i])-sp.Frame[2])/w))
		g.Values[r*bins+c] += float64(v[i])
		cnt[r*bins+c]++
	}
	for i := range cnt {
		if cnt[i] == 0 {
			g.Values[i] = math.NaN()
		} else {
			g.Values[i] /= float64(cnt[i])
		}
	}
	return g
}

func fakeSAC(bins, idx int) *Grid {
	m := 2*bins - 1
	g := &Grid{Rows: m, Cols: m, Values: make([]float64, m*m)}
	f := 0.2 + 0.05*float64(idx%5)
	for r := 0; r < m; r++ {
		for c := 0; c < m; c++ {
			dx, dy := float64(c-bins+1), float64(r-bins+1)
			d := math.Hypot(dx, dy)
			if d > float64(bins)*0.9 {
				g.Values[r*m+c] = math.NaN()
				continue
			}
			g.Values[r*m+c] = math.Cos(f*dx) * math.Cos(f*dy) * math.Exp(-d/float64(bins))
		}
	}
	return g
}

// xy interleaves x and y into n×2 row-major points.
func xy(x, y []float32) []float64 {
	p := make([]float64, 2*len(x))
	for i := range x {
		p[2*i], p[2*i+1] = float64(x[i]), float64(y[i])
	}
	return p
}
