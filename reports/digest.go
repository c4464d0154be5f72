package reports

import (
	"fmt"
	"github.com/conceptcells/conceptcells/probe"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// WriteDigest writes the stable results of a report as text, one line per
// item, for golden tests and quick diffs between runs: accuracy, parameters, seeds,
// layers with their PCA, spaces with their quality and embeddings, summary
// (with ranges and negative parts), findings, verdict, and one line per
// scored part (labels, run counts and every score, 6 significant digits).
// It leaves out the creation time, the timings, the tool version, file
// paths, the per-point arrays, the maps (their scores are kept) and the
// reasons (they restate the scores against the thresholds in params).
func WriteDigest(out io.Writer, rpt *Report) error {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	var w strings.Builder
	if rpt.Accuracy != nil {
		fmt.Fprintf(&w, "accuracy %s\n", g(*rpt.Accuracy))
	}
	fmt.Fprintf(&w, "model sha256 %s producer %s %s opsets %v\n", rpt.Model.SHA256, rpt.Model.Producer, rpt.Model.ProducerVersion, rpt.Model.Opsets)
	fmt.Fprintf(&w, "dataset %s n %d shape %v labels %v\n", filepath.Base(rpt.Dataset.Name), rpt.Dataset.N, rpt.Dataset.Shape, rpt.Dataset.HasLabels)
	p := rpt.Params
	fmt.Fprintf(&w, "params layers %v (%s) space %s limit %d pcs %s/%s perplexity %s iterations %d bins %d shuffles %d/%d robust %d/%s seed %d\n",
		p.Layers, p.LayersChosen, p.SpaceLayer, p.Limit, p.PCs, g(p.PCVariance), g(p.Perplexity), p.Iterations, p.Bins, p.Shuffles, p.FieldShuffles,
		p.RobustSeeds, g(p.RobustPerplexity), p.Seed)
	for _, k := range slices.Sorted(maps.Keys(p.Cells)) {
		fmt.Fprintf(&w, "cells %s %v\n", k, p.Cells[k])
	}
	for _, k := range slices.Sorted(maps.Keys(rpt.Seeds)) {
		fmt.Fprintf(&w, "seed %s %d\n", k, rpt.Seeds[k])
	}
	for _, l := range rpt.Layers {
		fmt.Fprintf(&w, "layer %s node %s op %s role %s shape %v units %d signed %v\n", l.Name, l.Node, l.Op, l.Role, l.Shape, l.Units, l.Signed)
		if l.PCA != nil {
			var ex []string
			for _, v := range l.PCA.Explained {
				ex = append(ex, g(v))
			}
			fmt.Fprintf(&w, "  pca k %d auto %v cumulative %s explained %s\n", l.PCA.K, l.PCA.Auto, g(l.PCA.Cumulative), strings.Join(ex, " "))
		}
	}
	for _, s := range rpt.Spaces {
		fmt.Fprintf(&w, "space %s of %s (%d-d) points %d frame %s %s %s %s\n", s.Name, s.Source, s.Dims, len(s.X), g(s.Frame[0]), g(s.Frame[1]), g(s.Frame[2]), g(s.Frame[3]))
		for _, k := range slices.Sorted(maps.Keys(s.Quality)) {
			fmt.Fprintf(&w, "  %s %s\n", k, g(s.Quality[k]))
		}
		for i, e := range s.Embeddings {
			fmt.Fprintf(&w, "  embedding %d seed %d perplexity %s", i+1, e.Seed, g(e.Perplexity))
			for _, k := range slices.Sorted(maps.Keys(e.Quality)) {
				fmt.Fprintf(&w, " %s %s", k, g(e.Quality[k]))
			}
			w.WriteString("\n")
		}
	}
	labels := probe.RowLabels(rpt.Summary)
	for _, s := range rpt.Summary {
		fmt.Fprintf(&w, "summary %s %s %s total %d embeddings %d", s.Layer, s.Kind, s.Space, s.Total, s.Embeddings)
		for _, l := range labels {
			fmt.Fprintf(&w, " %s %d [%d %d]", l, s.Counts[l], s.Range[l][0], s.Range[l][1])
		}
		if s.NegativeParts > 0 {
			fmt.Fprintf(&w, " negative %d:", s.NegativeParts)
			for _, l := range labels {
				fmt.Fprintf(&w, " %s %d", l, s.Negative[l])
			}
		}
		w.WriteString("\n")
	}
	for _, f := range rpt.Findings {
		fmt.Fprintf(&w, "finding %s\n", f)
	}
	if rpt.VerdictNote != "" {
		fmt.Fprintf(&w, "verdict note %s\n", rpt.VerdictNote)
	}
	for _, v := range rpt.Verdict {
		agree := "untested"
		if v.Agrees != nil {
			agree = strconv.FormatBool(*v.Agrees)
		}
		fmt.Fprintf(&w, "verdict %s | %s | %s\n", agree, v.Claim, v.Finding)
	}
	for _, r := range rpt.Results {
		for _, u := range r.Units {
			for _, pt := range u.Parts {
				fmt.Fprintf(&w, "%s %s %s %d %q [%s]", r.Layer, r.Space, u.Kind, u.Index, pt.Sign, strings.Join(pt.Labels, ","))
				if len(pt.Runs) > 0 {
					fmt.Fprintf(&w, " runs{%s}", runsText(pt.Runs))
				}
				for _, k := range slices.Sorted(maps.Keys(pt.Scores)) {
					if v := pt.Scores[k]; v != nil {
						fmt.Fprintf(&w, " %s=%s", k, g(*v))
					} else {
						fmt.Fprintf(&w, " %s=null", k)
					}
				}
				w.WriteString("\n")
			}
		}
	}
	_, err := io.WriteString(out, w.String())
	return err
}
