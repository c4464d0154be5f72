package synth

import (
	"fmt"
	"math/rand/v2"
)

// Case is one generated unit on one layout.
type Case struct {
	Seed   int
	Layout int // index of the unit's layout in the slice Generate returns
	Unit
}

// A Generator draws one unit of a type on a layout.
type Generator func(l *Layout, r *rand.Rand) Unit

// mixEntry is a unit type and how many units of it each layout gets.
type mixEntry struct {
	gen   Generator
	count int
}

// The fixed mix of unit types per layout: 16 units on the clustered layout
// and 13 on the uniform one, 29 per seed (1,160 for 40 seeds). Class-layout
// units only exist on clustered layouts; on a uniform layout a place field
// inside a class region is an ordinary place field, so it gets more plain
// place and band units instead.
var (
	mixClustered = []mixEntry{
		{Grid, 3}, {OneClass, 3}, {TwoClass, 2}, {PlaceInClass, 3},
		{Place, 1}, {ClassLayout, 2}, {Band, 1}, {Noise, 1},
	}
	mixUniform = []mixEntry{
		{Grid, 3}, {OneClass, 2}, {TwoClass, 1}, {PlaceInClass, 2},
		{Place, 2}, {Band, 2}, {Noise, 1},
	}
)

// UnitsPerSeed is the number of units Generate makes for each seed.
func UnitsPerSeed() int {
	n := 0
	for _, m := range [][]mixEntry{mixClustered, mixUniform} {
		for _, e := range m {
			n += e.count
		}
	}
	return n
}

// Generate makes, for every seed in [seedLo, seedHi], a Clustered and a
// Uniform layout of n points and the fixed mix of units on each (see
// UnitsPerSeed), and returns the layouts and the cases in seed order.
// Every unit draws from its own PCG stream (seed, layout kind, position in
// the mix), so the output is deterministic for a seed and does not depend
// on the range it is generated in.
func Generate(seedLo, seedHi, n int) ([]*Layout, []Case) {
	if seedHi < seedLo {
		panic(fmt.Sprintf("synth: Generate seeds %d…%d: want lo ≤ hi", seedLo, seedHi))
	}
	var layouts []*Layout
	var cases []Case
	for seed := seedLo; seed <= seedHi; seed++ {
		for kind, mix := range [][]mixEntry{mixClustered, mixUniform} {
			var l *Layout
			if kind == 0 {
				l = Clustered(seed, n)
			} else {
				l = Uniform(seed, n)
			}
			li := len(layouts)
			layouts = append(layouts, l)
			slot := 0
			for _, e := range mix {
				for range e.count {
					r := rand.New(rand.NewPCG(uint64(seed), streamUnits|uint64(kind)<<16|uint64(slot)))
					cases = append(cases, Case{Seed: seed, Layout: li, Unit: e.gen(l, r)})
					slot++
				}
			}
		}
	}
	return layouts, cases
}

// streamUnits is the base PCG stream of the units ("unit"); the layout
// kind and the unit's position in the mix are or-ed into the low bits.
const streamUnits = 0x756e6974 << 32
