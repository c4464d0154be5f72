package cells

import (
	"math"
	"sort"
)

// GridScores are the rotational-symmetry scores of one autocorrelogram,
// each maximised over the rings separately (NaN when undefined on every
// ring).
type GridScores struct {
	// Gridness60 = min(r60, r120) − max(r30, r90, r150) (Sargolini et al. 2006).
	Gridness60 float64
	// Gridness60Mean = (r60 + r120)/2 − (r30 + r90 + r150)/3 (DeepMind default).
	Gridness60Mean float64
	// Gridness90 = r90 − max(r45, r135); Gridness90Mean = r90 − (r45 + r135)/2.
	Gridness90, Gridness90Mean float64
	// BestOuter60 is the outer radius (fraction of N) of the ring that
	// maximises Gridness60 (NaN if none).
	BestOuter60 float64
	// Corr holds r(θ) on the best Gridness60 ring for θ = 30, 45, 60, 90,
	// 120, 135, 150 degrees.
	Corr [7]float64
}

var gridAngles = [7]float64{30, 45, 60, 90, 120, 135, 150}

const (
	a30 = iota
	a45
	a60
	a90
	a120
	a135
	a150
)

// rotTap is one bilinear sample: up to four SAC indices and weights; an
// index of −1 is outside the SAC.
type rotTap struct {
	idx [4]int32
	w   [4]float64
	nw  uint8
}

// gridGeom is the ring and rotation geometry for N×N maps, shared read-only
// by all workers.
type gridGeom struct {
	n, size int
	disc    []int32 // SAC indices with inner < d ≤ max outer, sorted by d
	ringEnd []int   // disc[:ringEnd[k]] is ring k
	outer   []float64
	taps    [7][]rotTap   // per angle, per disc element (bilinear)
	cubic   [7][]cubicTap // CompatDeepMind: per angle, per disc element
	compat  Compat
}

func newGridGeom(n int, inner float64, outer []float64, compat Compat) *gridGeom {
	size := 2*n - 1
	c := n - 1
	g := &gridGeom{n: n, size: size, outer: append([]float64(nil), outer...), compat: compat}
	rin := inner * float64(n)
	rmax := 0.0
	for _, o := range outer {
		rmax = math.Max(rmax, o*float64(n))
	}
	type db struct {
		i int32
		d float64
	}
	var bins []db
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			dy, dx := float64(y-c), float64(x-c)
			d := math.Sqrt(dx*dx + dy*dy)
			// The autocorrelogram and its rotations are point-symmetric
			// (r(−d) = r(d)), so every ring sum is twice its sum over the
			// half before the centre: Pearson and DeepMind's ratio are
			// unchanged, at half the cost.
			if d > rin && d <= rmax && y*size+x < c*size+c {
				bins = append(bins, db{int32(y*size + x), d})
			}
		}
	}
	sort.SliceStable(bins, func(a, b int) bool { return bins[a].d < bins[b].d })
	g.disc = make([]int32, len(bins))
	for i, b := range bins {
		g.disc[i] = b.i
	}
	g.ringEnd = make([]int, len(outer))
	for k, o := range outer {
		r := o * float64(n)
		g.ringEnd[k] = sort.Search(len(bins), func(i int) bool { return bins[i].d > r })
	}
	for a, deg := range gridAngles {
		th := deg * math.Pi / 180
		cs, sn := math.Cos(th), math.Sin(th)
		taps := make([]rotTap, len(bins))
		for j, b := range bins {
			y, x := int(b.i)/size, int(b.i)%size
			dy, dx := float64(y-c), float64(x-c)
			// rotate the SAC counter-clockwise by θ: rot(p) = sac(R(−θ) p)
			sx := cs*dx + sn*dy + float64(c)
			sy := -sn*dx + cs*dy + float64(c)
			x0, tx := snapFloor(sx)
			y0, ty := snapFloor(sy)
			var t rotTap
			add := func(yy, xx int, w float64) {
				if w == 0 {
					return
				}
				idx := int32(-1)
				if yy >= 0 && yy < size && xx >= 0 && xx < size {
					idx = int32(yy*size + xx)
				}
				t.idx[t.nw] = idx
				t.w[t.nw] = w
				t.nw++
			}
			add(y0, x0, (1-ty)*(1-tx))
			add(y0, x0+1, (1-ty)*tx)
			add(y0+1, x0, ty*(1-tx))
			add(y0+1, x0+1, ty*tx)
			taps[j] = t
		}
		g.taps[a] = taps
		if compat == CompatDeepMind {
			// scipy.ndimage.rotate: input = R·(output − centre) + centre
			// with R = [[cos, sin], [−sin, cos]] on (row, col).
			ct := make([]cubicTap, len(bins))
			for j, b := range bins {
				y, x := int(b.i)/size, int(b.i)%size
				dy, dx := float64(y-c), float64(x-c)
				ct[j] = cubicTapAt(cs*dy+sn*dx+float64(c), -sn*dy+cs*dx+float64(c), size)
			}
			g.cubic[a] = ct
		}
	}
	return g
}

// snapFloor returns floor(v) and the fraction, treating fractions within
// 1e-9 of an integer as exact so that 90° rotations need no neighbours.
func snapFloor(v float64) (int, float64) {
	f := math.Floor(v)
	t := v - f
	if t < 1e-9 {
		return int(f), 0
	}
	if t > 1-1e-9 {
		return int(f) + 1, 0
	}
	return int(f), t
}

// scratch for ring sums
type ringAcc struct {
	n, sa, sb, saa, sbb, sab float64
}

// add accumulates the pair (a, b).
func (s *ringAcc) add(a, b float64) {
	s.n++
	s.sa += a
	s.sb += b
	s.saa += a * a
	s.sbb += b * b
	s.sab += a * b
}

// score computes the grid scores of the SAC (length size²). corr is scratch
// of length 7·len(outer).
func (g *gridGeom) score(sac []float64, corr []float64) GridScores {
	if g.compat == CompatDeepMind {
		return g.scoreDM(sac, corr)
	}
	nr := len(g.outer)
	for a := range gridAngles {
		taps := g.taps[a]
		var acc ringAcc
		k := 0
		for j, si := range g.disc {
			for k < nr && g.ringEnd[k] == j {
				corr[a*nr+k] = ringCorr(acc, false)
				k++
			}
			av := sac[si]
			t := &taps[j]
			bv := 0.0
			ok := !math.IsNaN(av)
			for q := uint8(0); q < t.nw && ok; q++ {
				idx := t.idx[q]
				if idx < 0 {
					ok = false
					break
				}
				v := sac[idx]
				if math.IsNaN(v) {
					ok = false
					break
				}
				bv += t.w[q] * v
			}
			if !ok {
				continue
			}
			acc.add(av, bv)
		}
		for ; k < nr; k++ {
			corr[a*nr+k] = ringCorr(acc, false)
		}
	}
	return g.summarise(corr)
}

// summarise turns the per-angle, per-ring correlations into scores.
func (g *gridGeom) summarise(corr []float64) GridScores {
	nr := len(g.outer)
	gs := GridScores{Gridness60: math.NaN(), Gridness60Mean: math.NaN(), Gridness90: math.NaN(),
		Gridness90Mean: math.NaN(), BestOuter60: math.NaN()}
	for i := range gs.Corr {
		gs.Corr[i] = math.NaN()
	}
	r := func(a, k int) float64 { return corr[a*nr+k] }
	for k := 0; k < nr; k++ {
		g60 := math.Min(r(a60, k), r(a120, k)) - math.Max(r(a30, k), math.Max(r(a90, k), r(a150, k)))
		g60m := (r(a60, k)+r(a120, k))/2 - (r(a30, k)+r(a90, k)+r(a150, k))/3
		g90 := r(a90, k) - math.Max(r(a45, k), r(a135, k))
		g90m := r(a90, k) - (r(a45, k)+r(a135, k))/2
		if !math.IsNaN(g60) && (math.IsNaN(gs.Gridness60) || g60 > gs.Gridness60) {
			gs.Gridness60 = g60
			gs.BestOuter60 = g.outer[k]
			for a := range gs.Corr {
				gs.Corr[a] = r(a, k)
			}
		}
		gs.Gridness60Mean = nanMax(gs.Gridness60Mean, g60m)
		gs.Gridness90 = nanMax(gs.Gridness90, g90)
		gs.Gridness90Mean = nanMax(gs.Gridness90Mean, g90m)
	}
	return gs
}

// scoreDM scores like DeepMind's GridScorer: cubic-spline rotation of the
// zero-filled autocorrelogram, cov/var correlation over every ring bin.
func (g *gridGeom) scoreDM(sac []float64, corr []float64) GridScores {
	nr := len(g.outer)
	coef := make([]float64, len(sac))
	copy(coef, sac)
	prefilter2D(coef, g.size, make([]float64, g.size))
	for a := range gridAngles {
		taps := g.cubic[a]
		var acc ringAcc
		k := 0
		for j, si := range g.disc {
			for k < nr && g.ringEnd[k] == j {
				corr[a*nr+k] = ringCorr(acc, true)
				k++
			}
			av := sac[si]
			t := &taps[j]
			bv := 0.0
			if !t.out {
				for q := range t.idx {
					bv += t.w[q] * coef[t.idx[q]]
				}
			}
			acc.add(av, bv)
		}
		for ; k < nr; k++ {
			corr[a*nr+k] = ringCorr(acc, true)
		}
	}
	return g.summarise(corr)
}
func nanMax(a, b float64) float64 {
	if math.IsNaN(b) {
		return a
	}
	if math.IsNaN(a) || b > a {
		return b
	}
	return a
}

// ringCorr is the Pearson correlation of the accumulated pairs (NaN with
// fewer than 3 pairs or zero variance), or in DeepMind mode
// cov(a, b)/(var(a) + 1e-5) about the mean of a.
func ringCorr(s ringAcc, dm bool) float64 {
	if s.n < 3 {
		return math.NaN()
	}
	if dm {
		m := s.sa / s.n
		v := s.saa/s.n - m*m + 1e-5
		cross := (s.sab - m*s.sb - m*s.sa + s.n*m*m) / s.n
		return cross / v
	}
	va := s.n*s.saa - s.sa*s.sa
	vb := s.n*s.sbb - s.sb*s.sb
	if !(va > 1e-12*s.n*s.saa) || !(vb > 1e-12*s.n*s.sbb) {
		return math.NaN()
	}
	return (s.n*s.sab - s.sa*s.sb) / math.Sqrt(va*vb)
}

// Gridness returns the grid scores of the n×n map m (row-major, NaN =
// empty bin): its autocorrelogram (see Autocorrelogram, minimum overlap
// minOverlap) is rotated about its centre by θ ∈ {30°, 45°, 60°, 90°, 120°,
// 135°, 150°} with bilinear interpolation (a rotated value is undefined when
// a contributing neighbour is NaN or outside) and correlated (Pearson, bins
// valid in both) with itself over each ring inner·n < d ≤ outer_k·n;
//
//	gridness60 = min(r60, r120) − max(r30, r90, r150)   (Sargolini et al. 2006)
//	gridness90 = r90 − max(r45, r135)
//
// and the mean forms (Banino et al. 2018), each maximised over the rings
// (DeepMind GridScorer rings; spec §3). CompatDeepMind applies DeepMind's
// conventions instead (see Compat). Preconditions: len(m) == n·n.
func Gridness(m []float64, n, minOverlap int, inner float64, outer []float64, compat Compat) GridScores {
	g := newGridGeom(n, inner, outer, compat)
	sac := Autocorrelogram(m, n, minOverlap, compat)
	return g.score(sac, make([]float64, 7*len(outer)))
}

// RotationCurve returns r(θ), the Pearson correlation between the
// autocorrelogram sac of an n×n map ((2n−1)², NaN = undefined) and its
// rotation by each angle θ (degrees, counter-clockwise) over the ring
// inner·n < d ≤ outer·n, with the bilinear rule of Gridness (a rotated
// value is undefined when a contributing neighbour is NaN or outside). The
// curve over 0…180° in 3° steps is the usual report figure (Solanka's
// gridcells package); use the best ring of GridScores.BestOuter60.
func RotationCurve(sac []float64, n int, inner, outer float64, angles []float64) []float64 {
	size := 2*n - 1
	c := float64(n - 1)
	out := make([]float64, len(angles))
	for ai, deg := range angles {
		th := deg * math.Pi / 180
		cs, sn := math.Cos(th), math.Sin(th)
		var acc ringAcc
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				dy, dx := float64(y)-c, float64(x)-c
				d := math.Sqrt(dx*dx + dy*dy)
				if !(d > inner*float64(n) && d <= outer*float64(n)) {
					continue
				}
				av := sac[y*size+x]
				if math.IsNaN(av) {
					continue
				}
				x0, tx := snapFloor(cs*dx + sn*dy + c)
				y0, ty := snapFloor(-sn*dx + cs*dy + c)
				bv, ok := 0.0, true
				for _, tap := range [4]struct {
					yy, xx int
					w      float64
				}{{y0, x0, (1 - ty) * (1 - tx)}, {y0, x0 + 1, (1 - ty) * tx}, {y0 + 1, x0, ty * (1 - tx)}, {y0 + 1, x0 + 1, ty * tx}} {
					if tap.w == 0 {
						continue
					}
					if tap.yy < 0 || tap.yy >= size || tap.xx < 0 || tap.xx >= size {
						ok = false
						break
					}
					v := sac[tap.yy*size+tap.xx]
					if math.IsNaN(v) {
						ok = false
						break
					}
					bv += tap.w * v
				}
				if !ok {
					continue
				}
				acc.add(av, bv)
			}
		}
		out[ai] = ringCorr(acc, false)
	}
	return out
}
