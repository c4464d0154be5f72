package synth

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/conceptcells/conceptcells/cells"
)

// Outcome is the classification of one case: what was generated and what
// cells said about it.
type Outcome struct {
	Seed     int
	Layout   string // layout kind
	Type     string
	Subtype  string
	Expected string
	Params   map[string]float64
	Labels   []string
	Scores   map[string]*float64 // cells.Scores.Map(): nil = undefined
}

// Has reports whether the outcome carries the label.
func (o *Outcome) Has(label string) bool { return slices.Contains(o.Labels, label) }

// Agrees reports whether the labels match Expected: grid needs the grid
// label; concept the concept label; place the place label without concept;
// class-layout-grid neither grid nor weakly-grid; none neither grid,
// weakly-grid, place nor concept (cluster-grid, silent and any new label
// are not cell types and are allowed).
func (o *Outcome) Agrees() bool {
	grid := o.Has("grid") || o.Has("weakly-grid")
	switch o.Expected {
	case ExpectGrid:
		return o.Has("grid")
	case ExpectConcept:
		return o.Has("concept")
	case ExpectPlace:
		return o.Has("place") && !o.Has("concept")
	case ExpectClassLayoutGrid:
		return !grid
	case ExpectNone:
		return !grid && !o.Has("place") && !o.Has("concept")
	}
	return false
}

// Score classifies the cases with the public cells API: for every layout
// that has cases, one 40-bin square bounding-box frame (cells.NewFrame with
// a nil range) and one cells.ScoreUnits call over all its units, with the
// layout's class labels and opts (Signed is forced to cells.SignedNone: the
// activations are non-negative, one part per unit). opts.Progress, when
// set, sees the cases done over the whole call. The outcomes are in the
// order of the cases.
func Score(ctx context.Context, cases []Case, layouts []*Layout, opts cells.Options) ([]Outcome, error) {
	byLayout := make(map[int][]int)
	var order []int
	for i, c := range cases {
		if c.Layout < 0 || c.Layout >= len(layouts) {
			return nil, fmt.Errorf("synth: case %d refers to layout %d of %d", i, c.Layout, len(layouts))
		}
		if _, ok := byLayout[c.Layout]; !ok {
			order = append(order, c.Layout)
		}
		byLayout[c.Layout] = append(byLayout[c.Layout], i)
	}
	opts.Signed = cells.SignedNone
	progress, done := opts.Progress, 0
	out := make([]Outcome, len(cases))
	for _, li := range order {
		l, idx := layouts[li], byLayout[li]
		f, err := cells.NewFrame(l.X, l.Y, Bins, nil)
		if err != nil {
			return nil, fmt.Errorf("synth: layout %s seed %d: %w", l.Kind, l.Seed, err)
		}
		cols := make(cells.Columns, len(idx))
		for j, i := range idx {
			cols[j] = cases[i].Acts
		}
		if progress != nil {
			before := done
			opts.Progress = func(d, _ int) { progress(before+d, len(cases)) }
		}
		res, err := cells.ScoreUnits(ctx, f, cols, l.Labels, opts)
		if err != nil {
			return nil, fmt.Errorf("synth: scoring layout %s seed %d: %w", l.Kind, l.Seed, err)
		}
		if len(res.Units) != len(idx) {
			return nil, fmt.Errorf("synth: layout %s seed %d: %d results for %d units", l.Kind, l.Seed, len(res.Units), len(idx))
		}
		for j, i := range idx {
			c, u := &cases[i], &res.Units[j]
			out[i] = Outcome{Seed: c.Seed, Layout: l.Kind, Type: c.Type, Subtype: c.Subtype, Expected: c.Expected,
				Params: c.Params, Labels: slices.Clone(u.Labels), Scores: u.Scores.Map()}
		}
		done += len(idx)
	}
	return out, nil
}

// knownLabels are the labels of cells in display order; labels not in the
// list (a rule change may add some) follow in alphabetical order.
var knownLabels = []string{"grid", "weakly-grid", "cluster-grid", "place", "concept", "none", "silent", "undefined"}

// rank returns the position of s in order, or len(order) when absent.
func rank(order []string, s string) int {
	if i := slices.Index(order, s); i >= 0 {
		return i
	}
	return len(order)
}

// byOrder compares two names by their rank in order, then alphabetically.
func byOrder(order []string, a, b string) int {
	if ra, rb := rank(order, a), rank(order, b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

// Table is a confusion table of outcomes: one row per type/subtype with
// the number of units carrying each label (a unit may carry several, so a
// row may sum to more than N), and derived rates.
type Table struct {
	Labels []string // the columns
	Rows   []Row
	Rates  []Rate
}

// Row counts the labels of one type/subtype.
type Row struct {
	Type, Subtype, Expected string
	N                       int
	Counts                  []int // per Table.Labels
	Agree                   int   // outcomes whose labels match Expected (Outcome.Agrees)
}

// Layout columns of a Rate.
var rateLayouts = []string{"all", KindClustered, KindUniform}

// Rate is a fraction of outcomes, over all layouts and per layout kind
// (indices of rateLayouts: all, clustered, uniform).
type Rate struct {
	Name    string
	Hits, N [3]int
}

// add counts one outcome of the layout kind, a hit when hit is true.
func (r *Rate) add(layout string, hit bool) {
	for i, k := range rateLayouts {
		if i == 0 || k == layout {
			r.N[i]++
			if hit {
				r.Hits[i]++
			}
		}
	}
}

// Confusion tabulates outcomes: the label counts per type/subtype, and
// the rates used to choose thresholds:
//
//   - grid recall per spacing bucket, as the grid label and as grid or
//     weakly-grid;
//   - false grid: grid or weakly-grid on a unit of any other type, over
//     all of them and per type;
//   - concept rate of one-class and two-class units per response family;
//   - place-not-concept rate of place-in-class units per field-size bucket;
//   - agreement with the expected label (Outcome.Agrees) per type.
func Confusion(outcomes []Outcome) *Table {
	t := &Table{}
	seen := map[string]bool{}
	for _, o := range outcomes {
		for _, l := range o.Labels {
			seen[l] = true
		}
	}
	t.Labels = slices.Clone(knownLabels)
	var extra []string
	for l := range seen {
		if !slices.Contains(knownLabels, l) {
			extra = append(extra, l)
		}
	}
	sort.Strings(extra)
	t.Labels = append(t.Labels, extra...)

	rows := map[[2]string]*Row{}
	for i := range outcomes {
		o := &outcomes[i]
		k := [2]string{o.Type, o.Subtype}
		r := rows[k]
		if r == nil {
			r = &Row{Type: o.Type, Subtype: o.Subtype, Expected: o.Expected, Counts: make([]int, len(t.Labels))}
			rows[k] = r
		}
		r.N++
		for j, l := range t.Labels {
			if o.Has(l) {
				r.Counts[j]++
			}
		}
		if o.Agrees() {
			r.Agree++
		}
	}
	for _, r := range rows {
		t.Rows = append(t.Rows, *r)
	}
	slices.SortFunc(t.Rows, func(a, b Row) int {
		if c := byOrder(typeOrder, a.Type, b.Type); c != 0 {
			return c
		}
		return byOrder(subOrder, a.Subtype, b.Subtype)
	})
	t.Rates = rates(outcomes, t.Rows)
	return t
}

// rates computes the derived rates of Confusion; rows give the
// type/subtype order.
func rates(outcomes []Outcome, rows []Row) []Rate {
	var out []Rate
	// group adds one rate per subtype of typ (in row order), named
	// "name subtype", and one over the whole type, "name all".
	group := func(name, typ string, hit func(*Outcome) bool) {
		all := Rate{Name: name + " all"}
		var subs []Rate
		for _, r := range rows {
			if r.Type != typ {
				continue
			}
			rt := Rate{Name: name + " " + r.Subtype}
			for i := range outcomes {
				if o := &outcomes[i]; o.Type == typ && o.Subtype == r.Subtype {
					rt.add(o.Layout, hit(o))
				}
			}
			subs = append(subs, rt)
		}
		for i := range outcomes {
			if o := &outcomes[i]; o.Type == typ {
				all.add(o.Layout, hit(o))
			}
		}
		if all.N[0] > 0 {
			out = append(out, subs...)
			out = append(out, all)
		}
	}
	isGrid := func(o *Outcome) bool { return o.Has("grid") }
	gridOrWeak := func(o *Outcome) bool { return o.Has("grid") || o.Has("weakly-grid") }
	group("grid recall [grid], spacing", TypeGrid, isGrid)
	group("grid recall [grid|weakly-grid], spacing", TypeGrid, gridOrWeak)

	fg := Rate{Name: "false grid [grid|weakly-grid], every non-grid type"}
	perType := map[string]*Rate{}
	var types []string
	for i := range outcomes {
		o := &outcomes[i]
		if o.Type == TypeGrid {
			continue
		}
		fg.add(o.Layout, gridOrWeak(o))
		if perType[o.Type] == nil {
			perType[o.Type] = &Rate{Name: "false grid [grid|weakly-grid], " + o.Type}
			types = append(types, o.Type)
		}
		perType[o.Type].add(o.Layout, gridOrWeak(o))
	}
	slices.SortFunc(types, func(a, b string) int { return byOrder(typeOrder, a, b) })
	for _, ty := range types {
		out = append(out, *perType[ty])
	}
	if fg.N[0] > 0 {
		out = append(out, fg)
	}

	isConcept := func(o *Outcome) bool { return o.Has("concept") }
	group("one-class concept rate, family", TypeOneClass, isConcept)
	group("two-class concept rate, family", TypeTwoClass, isConcept)
	group("place-in-class place-not-concept rate, s", TypePlaceInClass, func(o *Outcome) bool { return o.Has("place") && !o.Has("concept") })

	var agreeTypes []string
	agree := map[string]*Rate{}
	for i := range outcomes {
		o := &outcomes[i]
		if agree[o.Type] == nil {
			agree[o.Type] = &Rate{Name: "agrees with expected, " + o.Type}
			agreeTypes = append(agreeTypes, o.Type)
		}
		agree[o.Type].add(o.Layout, o.Agrees())
	}
	slices.SortFunc(agreeTypes, func(a, b string) int { return byOrder(typeOrder, a, b) })
	for _, ty := range agreeTypes {
		out = append(out, *agree[ty])
	}
	return out
}

// WriteText writes the table as aligned text: the label counts per
// type/subtype, then the rates as hits/n and percent, over all layouts and
// per layout kind.
func (t *Table) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "type/subtype\texpected\tn\t%s\tagree\n", strings.Join(t.Labels, "\t"))
	for _, r := range t.Rows {
		counts := make([]string, len(r.Counts))
		for i, c := range r.Counts {
			counts[i] = strconv.Itoa(c)
		}
		fmt.Fprintf(tw, "%s/%s\t%s\t%d\t%s\t%d\n", r.Type, r.Subtype, r.Expected, r.N, strings.Join(counts, "\t"), r.Agree)
	}
	fmt.Fprintln(tw)
	fmt.Fprint(tw, "rate")
	for _, k := range rateLayouts {
		fmt.Fprintf(tw, "\t%s\t", k)
	}
	fmt.Fprintln(tw)
	for _, r := range t.Rates {
		fmt.Fprint(tw, r.Name)
		for i := range rateLayouts {
			if r.N[i] == 0 {
				fmt.Fprint(tw, "\t-\t")
				continue
			}
			fmt.Fprintf(tw, "\t%d/%d\t%.1f%%", r.Hits[i], r.N[i], 100*float64(r.Hits[i])/float64(r.N[i]))
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

// String returns the table as WriteText writes it.
func (t *Table) String() string {
	var b strings.Builder
	t.WriteText(&b)
	return b.String()
}

// WriteCSV writes one row per outcome: seed, layout, type, subtype, one
// column per generation parameter (param_<name>, the union over the
// outcomes in alphabetical order; empty when a unit has no such
// parameter), expected, labels (joined by "+"), agrees (1 or 0, see
// Outcome.Agrees), then every score in the order of cells.ScoreKeys()
// (empty = undefined). Numbers are written in the shortest form that
// reads back exactly.
func WriteCSV(w io.Writer, outcomes []Outcome) error {
	var params []string
	seen := map[string]bool{}
	for _, o := range outcomes {
		for k := range o.Params {
			if !seen[k] {
				seen[k] = true
				params = append(params, k)
			}
		}
	}
	sort.Strings(params)
	keys := cells.ScoreKeys()
	cw := csv.NewWriter(w)
	head := []string{"seed", "layout", "type", "subtype"}
	for _, p := range params {
		head = append(head, "param_"+p)
	}
	head = append(head, "expected", "labels", "agrees")
	if err := cw.Write(append(head, keys...)); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	for _, o := range outcomes {
		row := []string{strconv.Itoa(o.Seed), o.Layout, o.Type, o.Subtype}
		for _, p := range params {
			if v, ok := o.Params[p]; ok {
				row = append(row, num(v))
			} else {
				row = append(row, "")
			}
		}
		agrees := "0"
		if o.Agrees() {
			agrees = "1"
		}
		row = append(row, o.Expected, strings.Join(o.Labels, "+"), agrees)
		for _, k := range keys {
			if v := o.Scores[k]; v != nil {
				row = append(row, num(*v))
			} else {
				row = append(row, "")
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
