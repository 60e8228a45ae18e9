package gridplan_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/sfgeom"
	"github.com/gridd/gridd/store/storetest"
)

// validateFixtures are the districts the validation tests run on: the
// committed Pukou bundle and plan, and the contract suite's small district
// with one grid a community (other shapes, other codes).
func validateFixtures(t testing.TB) map[string]func() (*bundle.Bundle, *gridplan.Plan) {
	t.Helper()
	pb, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	f, err := fixtures.PukouFS().Open("plan.geojson")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pg, err := gridplan.ReadGeoJSON(f.(fs.File))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]func() (*bundle.Bundle, *gridplan.Plan){
		"pukou": func() (*bundle.Bundle, *gridplan.Plan) {
			return pb, &gridplan.Plan{Name: "pukou", Params: gridplan.DefaultParams(), Grids: cloneGrids(pg)}
		},
		"small": func() (*bundle.Bundle, *gridplan.Plan) {
			b := storetest.SmallBundle(7)
			return b, &gridplan.Plan{Name: "small", Params: gridplan.DefaultParams(), Grids: halves(t, b)}
		},
	}
}

// halves splits each community of b into two grids at the middle of its
// bounding box, households counted with orb's planar predicate (an
// implementation independent of geo's).
func halves(t testing.TB, b *bundle.Bundle) []gridplan.Grid {
	var out []gridplan.Grid
	for _, c := range b.Communities {
		bd := c.Geom.Bound()
		mid := (bd.Min[0] + bd.Max[0]) / 2
		for k, box := range []orb.Bound{{Min: bd.Min, Max: orb.Point{mid, bd.Max[1]}}, {Min: orb.Point{mid, bd.Min[1]}, Max: bd.Max}} {
			part, err := sfgeom.Intersection(sfgeom.FromOrb(c.Geom), sfgeom.FromOrb(orb.MultiPolygon{box.ToPolygon()}))
			if err != nil {
				t.Fatal(err)
			}
			code, err := bundle.NewGridCode(c.Code, k+1)
			if err != nil {
				t.Fatal(err)
			}
			hh := 0
			for _, bl := range b.Buildings {
				if planar.MultiPolygonContains(part, bl.Loc) {
					hh += bl.Households
				}
			}
			out = append(out, gridplan.Grid{Code: code, Community: c.Code, Street: c.Street, Kind: c.Kind, Households: hh, Target: 300, Geom: part})
		}
	}
	return out
}

func cloneGrids(gs []gridplan.Grid) []gridplan.Grid {
	out := make([]gridplan.Grid, len(gs))
	for i, g := range gs {
		g.Geom = g.Geom.Clone()
		out[i] = g
	}
	return out
}

func shift(mp orb.MultiPolygon, dx float64) orb.MultiPolygon {
	mp = mp.Clone()
	for _, p := range mp {
		for _, r := range p {
			for i := range r {
				r[i][0] += dx
			}
		}
	}
	return mp
}

// hasFinding reports an error finding of rule on grid (any grid when
// grid is "", any rule when rule is ""); RuleGap also accepts RuleNoGrids (a whole community
// uncovered).
func hasFinding(fs gridplan.Findings, rule gridplan.Rule, grid bundle.GridCode) bool {
	for _, f := range fs.Errors() {
		r := f.Rule
		if r == gridplan.RuleNoGrids && rule == gridplan.RuleGap {
			r = rule
		}
		if (rule == "" || r == rule) && (grid == "" || f.Grid == grid) {
			return true
		}
	}
	return false
}

func TestValidate(t *testing.T) {
	for name, load := range validateFixtures(t) {
		t.Run(name, func(t *testing.T) {
			b, clean := load()
			if fs := gridplan.Validate(clean, b); fs.Err() != nil {
				t.Fatalf("the clean plan has errors: %v", fs.Errors())
			}
			// Each spoil changes one plan and says the rule and grid
			// (by index, -1 for any) the validator must name.
			cases := []struct {
				name  string
				spoil func(p *gridplan.Plan) (gridplan.Rule, int)
			}{
				{"empty plan", func(p *gridplan.Plan) (gridplan.Rule, int) { p.Grids = nil; return gridplan.RuleNoGrids, -1 }},
				{"missing grids", func(p *gridplan.Plan) (gridplan.Rule, int) {
					n := min(100, len(p.Grids)/2)
					p.Grids = p.Grids[n:]
					return gridplan.RuleGap, -1
				}},
				{"self-intersecting grid", func(p *gridplan.Plan) (gridplan.Rule, int) {
					bd := p.Grids[1].Geom.Bound() // a bow tie over the grid's box
					p.Grids[1].Geom = orb.MultiPolygon{{{bd.Min, bd.Max, {bd.Max[0], bd.Min[1]}, {bd.Min[0], bd.Max[1]}, bd.Min}}}
					return gridplan.RuleValid, 1
				}},
				{"shifted 1° east", func(p *gridplan.Plan) (gridplan.Rule, int) {
					p.Grids[2].Geom = shift(p.Grids[2].Geom, 1)
					return gridplan.RuleOutside, 2
				}},
				{"duplicate geometry", func(p *gridplan.Plan) (gridplan.Rule, int) {
					// Two grids of one community sharing a shape.
					i := sameCommunityPair(p)
					p.Grids[i+1].Geom = p.Grids[i].Geom.Clone()
					return gridplan.RuleOverlap, i
				}},
				{"unknown community", func(p *gridplan.Plan) (gridplan.Rule, int) {
					g := &p.Grids[3]
					g.Street = bundle.StreetCode(string(b.District.Code) + "987")
					g.Community = bundle.CommunityCode(string(g.Street) + "654")
					g.Code = bundle.GridCode(string(g.Community) + "001")
					return gridplan.RuleCommunity, 3
				}},
				{"1e-12° sliver", func(p *gridplan.Plan) (gridplan.Rule, int) {
					g := p.Grids[0]
					c := g.Geom[0][0][0]
					g.Code = bundle.GridCode(string(g.Community) + "999")
					g.Households = 0
					g.Geom = orb.MultiPolygon{{{c, {c[0] + 1e-3, c[1]}, {c[0] + 1e-3, c[1] + 1e-12}, {c[0], c[1] + 1e-12}, c}}}
					p.Grids = append(p.Grids, g)
					// Empty, or degenerate where the sliver's float64 vertices
					// fall on one line: either way an error on it.
					return "", len(p.Grids) - 1
				}},
				{"households 99999", func(p *gridplan.Plan) (gridplan.Rule, int) {
					p.Grids[4].Households = 99999
					return gridplan.RuleHouseholds, 4
				}},
				{"code of another district", func(p *gridplan.Plan) (gridplan.Rule, int) {
					p.Grids[5].Code = "999999" + p.Grids[5].Code[6:]
					return gridplan.RuleCode, 5
				}},
				{"duplicate code", func(p *gridplan.Plan) (gridplan.Rule, int) {
					p.Grids[6].Code = p.Grids[5].Code
					return gridplan.RuleCode, 6
				}},
				{"disconnected grid", func(p *gridplan.Plan) (gridplan.Rule, int) {
					i := sameCommunityPair(p)
					p.Grids[i].Geom = append(p.Grids[i].Geom.Clone(), p.Grids[i+1].Geom.Clone()...)
					p.Grids = append(p.Grids[:i+1], p.Grids[i+2:]...)
					// The merged households are the sum; only the shape is wrong.
					return gridplan.RuleContiguous, i
				}},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					_, p := load()
					rule, gi := c.spoil(p)
					var grid bundle.GridCode
					if gi >= 0 {
						grid = p.Grids[gi].Code
					}
					fs := gridplan.Validate(p, b)
					if !hasFinding(fs, rule, grid) {
						t.Fatalf("no %s error for grid %q; findings: %v", rule, grid, fs.Errors())
					}
					err := fs.Err()
					if !errs.Is(err, errs.Invalid) {
						t.Fatalf("Err() = %v, want Invalid", err)
					}
					var l errs.List
					if e, _ := errs.As(err); e != nil {
						l, _ = e.Err.(errs.List)
					}
					if len(l) != len(fs.Errors()) {
						t.Fatalf("the error lists %d problems, want every one of %d findings", len(l), len(fs.Errors()))
					}
				})
			}
		})
	}
}

// sameCommunityPair returns i such that grids i and i+1 share a community.
func sameCommunityPair(p *gridplan.Plan) int {
	for i := 0; i+1 < len(p.Grids); i++ {
		if p.Grids[i].Community == p.Grids[i+1].Community {
			return i
		}
	}
	panic("no community with two grids")
}

func TestValidateHouseholdsMessage(t *testing.T) {
	b := storetest.SmallBundle(11)
	p := storetest.NewPlan(b, "x", 0)
	real := p.Grids[2].Households
	p.Grids[2].Households = 99999
	err := gridplan.Validate(p, b).Err()
	want := fmt.Sprintf("grid %s: the plan says 99999 households, the buildings in it hold %d", p.Grids[2].Code, real)
	if err == nil || !strings.Contains(fmt.Sprint(err.(*errs.Error).Err), want) {
		t.Fatalf("error %v does not say %q", err, want)
	}
}

func BenchmarkValidatePukou(b *testing.B) {
	load := validateFixtures(b)["pukou"]
	bd, p := load()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := gridplan.Validate(p, bd).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
