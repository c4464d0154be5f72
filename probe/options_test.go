package probe

import (
	"math"
	"strings"
	"testing"
)

// TestOptionsValidate: each option out of its range is named; the
// defaults and the zero value are valid.
func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions.Validate(); err != nil {
		t.Errorf("DefaultOptions: %v", err)
	}
	if err := (Options{Seed: 1}).Validate(); err != nil {
		t.Errorf("zero options with a seed: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*Options)
	}{
		{"Options.Seed", func(o *Options) { o.Seed = 0 }},
		{"Options.RobustSeeds", func(o *Options) { o.RobustSeeds = -1 }},
		{"Options.Limit", func(o *Options) { o.Limit = -1 }},
		{"Options.PCs", func(o *Options) { o.PCs = -2 }},
		{"Options.PCVariance", func(o *Options) { o.PCVariance = 1.5 }},
		{"Options.Perplexity", func(o *Options) { o.Perplexity = math.Inf(1) }},
		{"Options.TSNEPCA", func(o *Options) { o.TSNEPCA = -1 }},
		{"Options.Bins", func(o *Options) { o.Bins = 1000 }},
		{"Options.Reduce", func(o *Options) { o.Reduce = "max" }},
		{"Options.LayerReduce", func(o *Options) { o.LayerReduce = map[string]string{"l": "max"} }},
	} {
		o := DefaultOptions
		tc.edit(&o)
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%s: err %v, want one naming the field", tc.field, err)
		}
	}
}
