package cells

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// synthetic returns K uniform points in the unit square and U units: a
// third hex grids (spacing 0.25), a third Gaussian place fields, a third
// noise, with random class labels 0…9.
func synthetic(k, u int, seed uint64) (xs, ys []float64, cols Columns, labels []int) {
	r := rand.New(rand.NewPCG(seed, 7))
	xs, ys, labels = make([]float64, k), make([]float64, k), make([]int, k)
	for i := range xs {
		xs[i], ys[i], labels[i] = r.Float64(), r.Float64(), r.IntN(10)
	}
	kw := 4 * math.Pi / (math.Sqrt(3) * 0.25)
	for j := 0; j < u; j++ {
		a := make([]float64, k)
		cx, cy, th := r.Float64(), r.Float64(), r.Float64()*math.Pi/3
		for i := range a {
			switch j % 3 {
			case 0:
				v := 0.0
				for q := 0; q < 3; q++ {
					ang := th - math.Pi/6 + float64(q)*math.Pi/3
					v += math.Cos(kw * (math.Cos(ang)*(xs[i]-cx) + math.Sin(ang)*(ys[i]-cy)))
				}
				a[i] = math.Max(v, 0) + 0.1*r.Float64()
			case 1:
				d2 := (xs[i]-cx)*(xs[i]-cx) + (ys[i]-cy)*(ys[i]-cy)
				a[i] = math.Exp(-d2/(2*0.06*0.06)) + 0.05*r.Float64()
			default:
				a[i] = r.ExpFloat64()
			}
		}
		cols = append(cols, a)
	}
	return
}

// BenchmarkScoreUnits: 60 units × 10,000 points, 200 activation
// permutations (plus 200 within-class) and 100 field shuffles for every
// unit (AllNulls), N = 40, GOMAXPROCS workers. Reports ns per unit.
func BenchmarkScoreUnits(b *testing.B) { benchScore(b, true) }

// BenchmarkScoreUnitsDefault: as BenchmarkScoreUnits with the default
// options (field shuffle only for units with gridness ≥ 0.4 — the 20 grid
// units of the synthetic set — and no within-class null: random labels).
func BenchmarkScoreUnitsDefault(b *testing.B) { benchScore(b, false) }

func benchScore(b *testing.B, all bool) {
	xs, ys, cols, labels := synthetic(10000, 60, 1)
	f, err := NewFrame(xs, ys, 40, nil)
	if err != nil {
		b.Fatal(err)
	}
	opts := DefaultOptions()
	opts.AllNulls = all
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := ScoreUnits(context.Background(), f, cols, labels, opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(cols)), "ns/unit")
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N*len(cols)), "cpu-ns/unit")
}

// BenchmarkAutocorrelogram: one NaN-aware SAC of a 40×40 map.
func BenchmarkAutocorrelogram(b *testing.B) {
	xs, ys, cols, _ := synthetic(10000, 1, 2)
	f, _ := NewFrame(xs, ys, 40, nil)
	m := f.RawMap(nil, cols[0], 1)
	plan := newSACPlan(40, 20)
	dst := make([]float64, 79*79)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		plan.autocorr(dst, m, CompatSpec)
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkGridScore: ring scores of one 79×79 SAC.
func BenchmarkGridScore(b *testing.B) {
	xs, ys, cols, _ := synthetic(10000, 1, 2)
	f, _ := NewFrame(xs, ys, 40, nil)
	m := f.RawMap(nil, cols[0], 1)
	sac := Autocorrelogram(m, 40, 20, CompatSpec)
	g := newGridGeom(40, 0.2, DefaultRingOuter(), CompatSpec)
	corr := make([]float64, 70)
	b.ResetTimer()
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		g.score(sac, corr)
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}
