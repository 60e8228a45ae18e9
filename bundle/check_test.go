package bundle_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
)

func rect(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// mini is a small clean bundle: a 0.02° square district of two streets of
// two communities each, one building in each community.
func mini() *bundle.Bundle {
	const x0, y0, xm, ym, x1, y1 = 118.60, 32.00, 118.61, 32.01, 118.62, 32.02
	b := &bundle.Bundle{
		District: bundle.District{Code: "320111", Name: "d", Geom: rect(x0, y0, x1, y1)},
		Streets: []bundle.Street{
			{Code: "320111001", Name: "s1", Geom: rect(x0, y0, xm, y1)},
			{Code: "320111002", Name: "s2", Geom: rect(xm, y0, x1, y1)},
		},
		Communities: []bundle.Community{
			{Code: "320111001001", Name: "c11", Street: "320111001", Kind: bundle.Urban, Geom: rect(x0, y0, xm, ym)},
			{Code: "320111001002", Name: "c12", Street: "320111001", Kind: bundle.Urban, Geom: rect(x0, ym, xm, y1)},
			{Code: "320111002001", Name: "c21", Street: "320111002", Kind: bundle.Rural, Geom: rect(xm, y0, x1, ym)},
			{Code: "320111002002", Name: "c22", Street: "320111002", Kind: bundle.Virtual, Geom: rect(xm, ym, x1, y1)},
		},
		Facilities: []bundle.Facility{
			{Kind: bundle.Centre, Code: "CC", Name: "centre", Loc: orb.Point{118.605, 32.005}},
			{Kind: bundle.Subcentre, Code: "SC1", Street: "320111001", Loc: orb.Point{118.605, 32.005}},
			{Kind: bundle.Subcentre, Code: "SC2", Street: "320111002", Loc: orb.Point{118.615, 32.005}},
		},
		Patrols:     []bundle.Patrol{{ID: "P1", Callsign: "a", Loc: orb.Point{118.605, 32.005}, Street: "320111001"}},
		Departments: []bundle.Department{{Code: "DEPT-UM", Name: "城市管理局"}},
	}
	for i, c := range b.Communities {
		ctr := c.Geom.Bound().Center()
		b.Buildings = append(b.Buildings, bundle.Building{ID: bundle.BuildingID(strconv.Itoa(i + 1)), Loc: ctr, Households: 10, Address: fmt.Sprintf("a路%d号", i+1)})
		b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Workstation, Code: "WS" + string(c.Code), Street: c.Street, Community: c.Code, Loc: ctr})
		b.Workers = append(b.Workers, bundle.Worker{ID: fmt.Sprintf("W%d", i), Name: "n", Community: c.Code})
	}
	return b
}

// TestCheck breaks a clean bundle one way at a time and wants exactly the
// problems it names, each with file and feature or line.
func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(b *bundle.Bundle)
		want   []string // substrings, one per expected problem, in order
	}{
		{"clean", func(b *bundle.Bundle) {}, nil},
		{"gap", func(b *bundle.Bundle) {
			b.Communities[0].Geom = rect(118.60, 32.00, 118.6099, 32.01) // 0.0001° strip ≈ 9 m × 1.1 km
		}, []string{"streets.geojson: feature 0: gap of"}},
		{"overlap", func(b *bundle.Bundle) {
			b.Communities[1].Geom = rect(118.60, 32.0099, 118.61, 32.02)
		}, []string{"communities.geojson: feature 1: community 320111001002 overlaps community 320111001001 (feature 0) by"}},
		{"overhang", func(b *bundle.Bundle) {
			b.Streets[1].Geom = rect(118.61, 32.00, 118.621, 32.02)
			b.Communities[2].Geom = rect(118.61, 32.00, 118.621, 32.01)
			b.Communities[3].Geom = rect(118.61, 32.01, 118.621, 32.02)
		}, []string{"streets.geojson: feature 1: street 320111002 extends"}},
		{"street gap in district", func(b *bundle.Bundle) {
			b.District.Geom = rect(118.60, 32.00, 118.625, 32.02)
		}, []string{"district.geojson: feature 0: gap of"}},
		{"bad nesting", func(b *bundle.Bundle) {
			b.Communities[2].Code = "320111001003"
			b.Workers[2].Community = "320111001003"
			b.Facilities[5].Community = "320111001003"
		}, []string{
			"communities.geojson: feature 2: code 320111001003 does not start with its street_code 320111002",
		}},
		{"streets not in district", func(b *bundle.Bundle) {
			b.District.Code = "320112"
		}, []string{
			"streets.geojson: feature 0: code 320111001 does not start with the district code 320112",
			"streets.geojson: feature 1: code 320111002 does not start with the district code 320112",
		}},
		{"workstation in another street", func(b *bundle.Bundle) {
			b.Facilities[5].Street = "320111001"
		}, []string{"facilities.geojson: feature 5: community 320111002001 is in street 320111002, not street_code 320111001"}},
		{"duplicate code", func(b *bundle.Bundle) {
			b.Communities[1].Code = "320111001001"
		}, []string{
			"communities.geojson: feature 1: duplicate code 320111001001 (also feature 0)",
			"facilities.geojson: feature 4: community_code 320111001002 is not in communities.geojson",
			"workers.csv:3: id W1: community_code 320111001002 is not in communities.geojson",
		}},
		{"unknown street", func(b *bundle.Bundle) {
			b.Patrols[0].Street = "320111009"
		}, []string{"patrols.csv:2: id P1: street_code 320111009 is not in streets.geojson"}},
		{"worker with a patrol's id", func(b *bundle.Bundle) {
			b.Workers[3].ID = b.Patrols[0].ID
		}, []string{"workers.csv:5: id \"P1\" is also a patrol's in patrols.csv; units share one id space"}},
		{"unknown community", func(b *bundle.Bundle) {
			b.Workers[3].Community = "320111002009"
		}, []string{"workers.csv:5: id W3: community_code 320111002009 is not in communities.geojson"}},
		{"building outside", func(b *bundle.Bundle) {
			b.Buildings[2].Loc = orb.Point{118.70, 32.00}
		}, []string{"buildings.csv:4: id 3 at (118.7000000, 32.0000000) is outside every community"}},
		{"duplicate building", func(b *bundle.Bundle) {
			b.Buildings[3].ID = "1"
		}, []string{"buildings.csv:5: duplicate id \"1\" (also line 2)"}},
		{"empty building id", func(b *bundle.Bundle) {
			b.Buildings[3].ID = ""
		}, []string{"buildings.csv:5: id \"\": is empty"}},
		{"building id with a space", func(b *bundle.Bundle) {
			b.Buildings[3].ID = "B 1"
		}, []string{"buildings.csv:5: id \"B 1\": \"B 1\" contains a space or control character U+0020"}},
		{"alphanumeric and 20-digit building ids are fine", func(b *bundle.Bundle) {
			b.Buildings[3].ID = "B0000001"
			b.Buildings[0].ID = "00320111001002000017"
		}, nil},
		{"non-positive households", func(b *bundle.Bundle) {
			b.Buildings[1].Households = 0
		}, []string{"buildings.csv:3: id 2: households 0, want at least 1"}},
		{"self-intersecting ring", func(b *bundle.Bundle) {
			b.Communities[3].Geom = orb.MultiPolygon{{{{118.61, 32.01}, {118.62, 32.02}, {118.62, 32.01}, {118.61, 32.02}, {118.61, 32.01}}}}
		}, []string{
			"communities.geojson: feature 3: invalid geometry: polygon 0, ring 0",
			"buildings.csv:5: id 4 at (118.6150000, 32.0150000) is outside every community", // the only one it was in is invalid
		}},
		{"missing workstation", func(b *bundle.Bundle) {
			b.Facilities = b.Facilities[:6]
		}, []string{"communities.geojson: feature 3: community 320111002002 has no workstation"}},
		{"two centres", func(b *bundle.Bundle) {
			b.Facilities[1].Kind = bundle.Centre
		}, []string{"facilities.geojson: feature 1: a second district centre", "streets.geojson: feature 0: street 320111001 has no subcentre"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mini()
			tc.break_(b)
			probs := bundle.Check(b)
			var got []string
			for _, p := range probs {
				got = append(got, p.Field+": "+p.Msg)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d problems, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.Contains(got[i], tc.want[i]) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestCheckPukou wants the committed bundle clean and the check fast
// enough to run before every import.
func TestCheckPukou(t *testing.T) {
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	probs := bundle.Check(b)
	el := time.Since(start)
	for _, p := range probs {
		t.Error(p)
	}
	t.Logf("Check(Pukou) took %v", el)
	if el > 10*time.Second { // 2 s budget without -race; generous for a shared, raced CI box
		t.Errorf("Check(Pukou) took %v", el)
	}
}

func BenchmarkCheckPukou(b *testing.B) {
	bd, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if probs := bundle.Check(bd); len(probs) > 0 {
			b.Fatal(probs)
		}
	}
}

// TestCheckPukouBroken breaks the real bundle's geometry, where borders
// follow the jagged outline, and wants the tiling problems found.
func TestCheckPukouBroken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(b *bundle.Bundle)
		want   string
	}{
		{"community removed", func(b *bundle.Bundle) {
			b.Communities = append(b.Communities[:5], b.Communities[6:]...)
		}, "streets.geojson: feature 0: gap of"},
		{"community shifted", func(b *bundle.Bundle) {
			g := b.Communities[5].Geom.Clone()
			for _, p := range g {
				for _, r := range p {
					for i := range r {
						r[i][0] += 0.0005
					}
				}
			}
			b.Communities[5].Geom = g
		}, "overlaps community 320111001026"},
		{"street vertex moved", func(b *bundle.Bundle) {
			r := b.Streets[3].Geom[0][0]
			r[len(r)/2][1] -= 0.001
		}, "outside street 320111004"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := fixtures.LoadPukou()
			if err != nil {
				t.Fatal(err)
			}
			tc.break_(b)
			probs := bundle.Check(b)
			for _, p := range probs {
				if strings.Contains(p.Field+": "+p.Msg, tc.want) {
					t.Logf("found: %s: %s (of %d)", p.Field, p.Msg, len(probs))
					return
				}
			}
			t.Errorf("no problem contains %q; got %v", tc.want, probs)
		})
	}
}

// FuzzCheck moves one vertex of the small bundle (keeping rings closed)
// and wants Check never to panic and to report a problem whenever the
// areas no longer add up.
func FuzzCheck(f *testing.F) {
	f.Add(uint8(0), uint8(0), 0.0, 0.0)
	f.Add(uint8(2), uint8(1), 0.005, -0.003)
	f.Add(uint8(5), uint8(2), 1e-9, 1e-12)
	f.Fuzz(func(t *testing.T, which, vertex uint8, dx, dy float64) {
		b := mini()
		var g orb.MultiPolygon
		switch n := int(which) % 7; {
		case n == 0:
			g = b.District.Geom
		case n < 3:
			g = b.Streets[n-1].Geom
		default:
			g = b.Communities[n-3].Geom
		}
		r := g[0][0]
		i := int(vertex) % (len(r) - 1)
		r[i][0] += dx
		r[i][1] += dy
		if i == 0 {
			r[len(r)-1] = r[0]
		}
		probs := bundle.Check(b)
		moved := dx != 0 || dy != 0
		if !moved && len(probs) > 0 {
			t.Fatalf("untouched bundle has problems: %v", probs)
		}
		for _, p := range probs {
			if p.Field == "" || p.Msg == "" {
				t.Fatalf("problem without place or reason: %#v", p)
			}
		}
		// Moving a rectangle's corner by more than 1e-4° (≈ 10 m) changes
		// its area by thousands of m², so the tiling must break.
		big := !(math.Abs(dx) <= 1e-4) || !(math.Abs(dy) <= 1e-4) // NaN counts as big
		if big && len(probs) == 0 {
			t.Fatalf("moved vertex %d of area %d by (%g, %g) and Check found nothing", i, which%7, dx, dy)
		}
	})
}
