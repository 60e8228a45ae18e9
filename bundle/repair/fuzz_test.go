package repair_test

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/bundle/repair"
	"github.com/gridd/gridd/geo"
)

// fuzzBundle is a district of one street, 0.01° square, tiled by four
// quadrant communities; data inserts vertices anywhere in the square into
// the communities' rings (each 3 bytes: which community and ring edge,
// then x and y on a 256 × 256 lattice), so the rings cross, spike, repeat
// points, overlap, leave gaps and poke out of the street.
func fuzzBundle(data []byte) *bundle.Bundle {
	const x0, y0, s = 118.6, 32.0, 0.01
	sq := func(ax, ay, bx, by float64) orb.Ring {
		return orb.Ring{{ax, ay}, {bx, ay}, {bx, by}, {ax, by}, {ax, ay}}
	}
	whole := orb.MultiPolygon{{sq(x0, y0, x0+s, y0+s)}}
	b := &bundle.Bundle{
		District: bundle.District{Code: "320111", Geom: whole},
		Streets:  []bundle.Street{{Code: "320111001", Geom: whole.Clone()}},
	}
	h := s / 2
	for i, q := range [][2]float64{{0, 0}, {h, 0}, {0, h}, {h, h}} {
		b.Communities = append(b.Communities, bundle.Community{
			Code: bundle.CommunityCode("32011100100" + string(rune('1'+i))), Street: "320111001", Kind: bundle.Urban,
			Geom: orb.MultiPolygon{{sq(x0+q[0], y0+q[1], x0+q[0]+h, y0+q[1]+h)}},
		})
	}
	for i := 0; i+2 < len(data); i += 3 {
		c := &b.Communities[int(data[i])%4]
		r := c.Geom[0][0]
		at := 1 + int(data[i]/4)%(len(r)-1)
		p := orb.Point{x0 - s/8 + float64(data[i+1])/255*s*1.25, y0 - s/8 + float64(data[i+2])/255*s*1.25}
		r = append(r[:at:at], append(orb.Ring{p}, r[at:]...)...)
		c.Geom[0][0] = r
	}
	return b
}

// FuzzRepair: no panic on any rings; every area after the repair is valid
// or has a left_for_review finding; with none left for review,
// bundle.Check finds no geometry or tiling problem.
func FuzzRepair(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 200, 200})                  // a community reaching over the others
	f.Add([]byte{1, 128, 128, 5, 128, 130})     // a vertex on the centre, twice
	f.Add([]byte{2, 10, 250, 6, 250, 10, 3, 0}) // crossings
	f.Add([]byte{4, 64, 64, 4, 64, 64, 4, 65, 64})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 90 {
			return
		}
		b := fuzzBundle(data)
		opt := repair.DefaultOptions()
		opt.MaxAreaM2 = 1e12 // repair everything it can
		fixed, rep := repair.Repair(b, opt)
		reviewed := map[string]bool{}
		for _, f := range rep.Review() {
			reviewed[f.Code] = true
		}
		for _, c := range fixed.Communities {
			if err := geo.ValidateMultiPolygon(c.Geom); err != nil && !reviewed[string(c.Code)] {
				t.Fatalf("community %s invalid and not reported: %v\n%v", c.Code, err, c.Geom)
			}
		}
		if len(rep.Review()) > 0 {
			return
		}
		for _, p := range bundle.Check(fixed) {
			if strings.Contains(p.Field, bundle.FacilitiesFile) || strings.Contains(p.Msg, "workstation") ||
				strings.Contains(p.Msg, "subcentre") || strings.Contains(p.Msg, "centre") {
				continue // the fuzz district has no facilities
			}
			t.Errorf("after repair: %s: %s", p.Field, p.Msg)
		}
	})
}

// TestInvertedHole: a community's shell that touches itself around a
// clockwise loop encloses a hole there (winding number 0), as OGC writes
// it with a hole touching the shell: making it valid keeps the hole (no
// area added), and the tiling then gives the hole, a gap, to the only
// area around it.
func TestInvertedHole(t *testing.T) {
	b := fuzzBundle(nil)
	const x, y, s = 118.6, 32.0, 0.005
	pt := func(u, v float64) orb.Point { return orb.Point{x + u*s/2, y + v*s/2} }
	// The quadrant's square, walked counter-clockwise, with a clockwise
	// loop from the top edge's midpoint down into it and back.
	b.Communities[0].Geom = orb.MultiPolygon{{{pt(0, 0), pt(2, 0), pt(2, 2), pt(1, 2), pt(1.5, 1), pt(0.5, 1), pt(1, 2), pt(0, 2), pt(0, 0)}}}
	hole := geo.AreaM2(orb.Polygon{{pt(1, 2), pt(1.5, 1), pt(0.5, 1), pt(1, 2)}})
	opt := repair.DefaultOptions()
	opt.MaxAreaM2 = 1e6 // the hole is 3.3 ha
	fixed, rep := repair.Repair(b, opt)
	var mended, filled float64
	for _, f := range rep.Findings {
		t.Logf("%s", f)
		switch f.Kind {
		case repair.SelfIntersection:
			mended += f.AreaM2
		case repair.GapFilled:
			filled += f.AreaM2
		}
	}
	if mended > 1 || math.Abs(filled-hole) > 1 {
		t.Errorf("self-intersection changed %.1f m², gap filled %.1f m²; want 0 and the hole's %.1f m²", mended, filled, hole)
	}
	if err := geo.ValidateMultiPolygon(fixed.Communities[0].Geom); err != nil {
		t.Error(err)
	}
}
