package repair_test

import (
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/bundle/repair"
	"github.com/gridd/gridd/fixtures"
)

func districts(t testing.TB) map[string]*bundle.Bundle {
	pukou, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*bundle.Bundle{"pukou": pukou, "towers": fixtures.Towers(1, fixtures.DefaultTowers())}
}

// seed is GRIDD_SEED when set (to replay a logged failure), else the clock.
func seed(t testing.TB) uint64 {
	s := uint64(time.Now().UnixNano())
	if v := os.Getenv("GRIDD_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GRIDD_SEED: %v", err)
		}
		s = n
	}
	t.Logf("seed %d (GRIDD_SEED=%d replays it)", s, s)
	return s
}

// TestCleanBundlesUntouched: the committed Pukou bundle and the second
// district pass bundle.Check, so a repair finds nothing to do.
func TestCleanBundlesUntouched(t *testing.T) {
	for name, b := range districts(t) {
		_, rep := repair.Repair(b, repair.DefaultOptions())
		for _, f := range rep.Findings {
			t.Errorf("%s: %s", name, f)
		}
	}
}

// breakAll makes every kind of small breakage the issue names, each below
// DefaultMaxAreaM2, in distinct communities.
func breakAll(k *breaker) map[repair.Kind]int {
	k.pushCommunity("sliver overlap", false, 200, 2)
	k.pushCommunity("sliver gap", false, 200, -2)
	k.pushCommunity("overlap", false, 100, 40)
	k.pushCommunity("gap", false, 100, -40)
	k.pushCommunity("outside its street", true, 100, 30)
	k.spike(60, false)
	k.spike(60, true)
	k.repeat(5)
	k.twist(4, 8)
	return map[repair.Kind]int{
		repair.OverlapCut: 3, repair.GapFilled: 2, repair.ClippedToParent: 1,
		repair.Spike: 2, repair.RepeatedPoint: 5, repair.SelfIntersection: 1,
	}
}

// TestRepairBroken breaks copies of both districts in every way, repairs
// them and wants: bundle.Check passes; every breakage found (at least the
// findings of each kind it causes); nothing left for review; each street's
// communities add up to the street's area and the streets to the
// district's within 1 m² (bundle.ToleranceM2); and each street keeps its
// area (the breakages move area between communities, not streets; the
// one poking out of its street is clipped back).
func TestRepairBroken(t *testing.T) {
	s := seed(t)
	for name, b := range districts(t) {
		t.Run(name, func(t *testing.T) {
			k := newBreaker(t, b, s)
			want := breakAll(k)
			if probs := bundle.Check(k.b); len(probs) == 0 {
				t.Fatal("the broken copy passes bundle.Check")
			}
			fixed, rep := repair.Repair(k.b, repair.DefaultOptions())
			for _, f := range rep.Findings {
				t.Logf("%s", f)
			}
			for _, p := range bundle.Check(fixed) {
				t.Errorf("after repair: %s: %s", p.Field, p.Msg)
			}
			got := rep.Counts()
			for kind, n := range want {
				if got[kind] < n {
					t.Errorf("%d %s findings, want at least %d", got[kind], kind, n)
				}
			}
			if r := rep.Review(); len(r) > 0 {
				t.Errorf("%d left for review, want none", len(r))
			}
			for _, f := range rep.Findings {
				if f.AreaM2 > repair.DefaultMaxAreaM2 {
					t.Errorf("a change above the limit was made: %s", f)
				}
			}
			conserved(t, b, fixed, true)
		})
	}
}

// TestRepairStreetSlivers: a sliver gap and a sliver overlap between
// streets. The street gap goes to the street sharing its longest edge, the
// overlap stays with the larger street; the communities follow (a gap in
// the receiving street's communities filled, the other street's
// communities clipped), and bundle.Check passes.
func TestRepairStreetSlivers(t *testing.T) {
	s := seed(t)
	for name, b := range districts(t) {
		t.Run(name, func(t *testing.T) {
			k := newBreaker(t, b, s)
			k.pushStreet("street sliver gap", 150, -2)
			k.pushStreet("street sliver overlap", 150, 2)
			fixed, rep := repair.Repair(k.b, repair.DefaultOptions())
			for _, f := range rep.Findings {
				t.Logf("%s", f)
			}
			for _, p := range bundle.Check(fixed) {
				t.Errorf("after repair: %s: %s", p.Field, p.Msg)
			}
			if r := rep.Review(); len(r) > 0 {
				t.Errorf("%d left for review, want none", len(r))
			}
			got := rep.Counts()
			if got[repair.GapFilled]+got[repair.OverlapCut] < 2 {
				t.Errorf("findings %v, want the street gap and overlap", got)
			}
			conserved(t, b, fixed, false)
		})
	}
}

// conserved checks the tiling by areas: communities sum to their street,
// streets to the district, within bundle.ToleranceM2 (1 m²) each, and
// with keep, each street keeps its area of before within 1 m². Areas are measured
// in the lon/lat plane where the repair works, scaled to m² by one
// factor (metres a degree at the district's latitude) so that they add
// up exactly; spherical areas (geo.AreaM2) of a tiling do not quite add
// up where a vertex of one area lies on an edge of its neighbour
// (0.1–800 m² a street in the committed Pukou bundle).
func conserved(t *testing.T, before, after *bundle.Bundle, keep bool) {
	t.Helper()
	kx, ky := mpd(before.District.Geom.Bound().Center()[1])
	area := func(mp orb.MultiPolygon) float64 { return planar.Area(mp) * kx * ky }
	sum := map[bundle.StreetCode]float64{}
	for _, c := range after.Communities {
		sum[c.Street] += area(c.Geom)
	}
	streets := 0.0
	for i, s := range after.Streets {
		a := area(s.Geom)
		streets += a
		if d := math.Abs(sum[s.Code] - a); d > bundle.ToleranceM2 {
			t.Errorf("street %s: communities %.1f m², street %.1f m² (%.2f m² apart)", s.Code, sum[s.Code], a, d)
		}
		if d := math.Abs(a - area(before.Streets[i].Geom)); keep && d > bundle.ToleranceM2 {
			t.Errorf("street %s: area changed by %.2f m²", s.Code, d)
		}
	}
	if d := math.Abs(streets - area(after.District.Geom)); d > bundle.ToleranceM2 {
		t.Errorf("streets %.1f m², district %.1f m²", streets, area(after.District.Geom))
	}
}

// TestRepairLeavesLarge: a gap and an overlap above MaxAreaM2 are listed
// for review and not touched: the broken ring's tip vertex is still
// there, and only bundle.Check's complaints about them remain.
func TestRepairLeavesLarge(t *testing.T) {
	s := seed(t)
	for name, b := range districts(t) {
		t.Run(name, func(t *testing.T) {
			k := newBreaker(t, b, s)
			k.pushCommunity("small overlap", false, 100, 20)
			big, tip, area := k.pushCommunity("large overlap", false, 200, 80)
			gapC, gapTip, gapArea := k.pushCommunity("large gap", false, 200, -80)
			// A building of 42 households in the gap, at its centroid.
			k.b.Buildings = append(append([]bundle.Building(nil), k.b.Buildings...), bundle.Building{
				ID: "GAP1", Households: 42, Address: "gap",
				Loc: orb.Point{(2*k.mid[0] + gapTip[0]) / 3, (2*k.mid[1] + gapTip[1]) / 3}})
			opt := repair.DefaultOptions()
			if area <= opt.MaxAreaM2 || gapArea <= opt.MaxAreaM2 {
				t.Fatalf("breakages of %.0f and %.0f m² are not above the limit", area, gapArea)
			}
			fixed, rep := repair.Repair(k.b, opt)
			for _, f := range rep.Findings {
				t.Logf("%s", f)
			}
			review := rep.Review()
			if len(review) < 2 {
				t.Fatalf("%d left for review, want the overlap and the gap", len(review))
			}
			for _, f := range review {
				if f.AreaM2 <= opt.MaxAreaM2 {
					t.Errorf("left for review below the limit: %s", f)
				}
			}
			if !hasVertex(fixed.Communities[big].Geom, tip) {
				t.Errorf("the large overlap's tip was changed")
			}
			if !hasVertex(fixed.Communities[gapC].Geom, gapTip) {
				t.Errorf("the large gap's tip was changed")
			}
			if rep.Counts()[repair.OverlapCut] < 1 {
				t.Errorf("the small overlap was not cut")
			}
			// What is left: the gap and the overlap, and buildings in the
			// gap (outside every community).
			// The gap finding counts those buildings.
			var probs []string
			outside := 0
			for _, p := range bundle.Check(fixed) {
				if strings.HasPrefix(p.Field, bundle.BuildingsFile) && strings.Contains(p.Msg, "outside every community") {
					outside++
					continue
				}
				probs = append(probs, p.Field+": "+p.Msg)
			}
			counted, hh := 0, 0
			for _, f := range review {
				if f.Would == repair.GapFilled {
					counted += f.Buildings
					hh += f.Households
				}
			}
			if counted != outside || counted < 1 || hh < 42 {
				t.Errorf("the gap findings count %d buildings (%d households), bundle.Check %d outside every community; want the planted one of 42 among them", counted, hh, outside)
			}
			if len(probs) != 2 {
				t.Errorf("after repair bundle.Check says %q, want the large gap and overlap only", probs)
			}
		})
	}
}

func hasVertex(mp orb.MultiPolygon, p orb.Point) bool {
	for _, poly := range mp {
		for _, r := range poly {
			for _, q := range r {
				if q == p {
					return true
				}
			}
		}
	}
	return false
}

// BenchmarkRepairPukou repairs the broken Pukou copy of TestRepairBroken
// (seed 1), against bundle.Check of the same copy as the peer.
func BenchmarkRepairPukou(b *testing.B) {
	pukou, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	k := newBreaker(b, pukou, 1)
	breakAll(k)
	b.Run("repair", func(b *testing.B) {
		for b.Loop() {
			repair.Repair(k.b, repair.DefaultOptions())
		}
	})
	b.Run("check", func(b *testing.B) {
		for b.Loop() {
			bundle.Check(k.b)
		}
	})
	b.Run("repair-clean", func(b *testing.B) {
		for b.Loop() {
			repair.Repair(pukou, repair.DefaultOptions())
		}
	})
}
