package gridplan

import (
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
)

// wantField checks err is an Invalid error on field (or nil when field is "").
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Fatalf("got %v, want no error", err)
		}
		return
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field != field {
		t.Fatalf("got %v, want an Invalid error on %q", err, field)
	}
}

func checkSquare() orb.MultiPolygon {
	return orb.MultiPolygon{{{{118.6, 32.0}, {118.7, 32.0}, {118.7, 32.1}, {118.6, 32.0}}}}
}

func TestPlanCheck(t *testing.T) {
	grid := func() Grid {
		return Grid{Code: "320111001001001", Community: "320111001001", Street: "320111001",
			Kind: bundle.Urban, Households: 480, Target: 500, Geom: checkSquare()}
	}
	plan := func(edit func(p *Plan)) *Plan {
		p := &Plan{Name: "p", Grids: []Grid{grid()}}
		edit(p)
		return p
	}
	tests := []struct {
		name  string
		plan  *Plan
		field string
	}{
		{"ok", plan(func(*Plan) {}), ""},
		{"nil", nil, "plan"},
		{"blank name", plan(func(p *Plan) { p.Name = " " }), "name"},
		{"negative parent", plan(func(p *Plan) { p.Parent = -1 }), "parent"},
		{"bad report", plan(func(p *Plan) { p.Report = []byte("{") }), "report"},
		{"bad code", plan(func(p *Plan) { p.Grids[0].Code = "32011100100100" }), "grids[0].code"},
		{"repeated code", plan(func(p *Plan) { p.Grids = append(p.Grids, grid()) }), "grids[1].code"},
		{"wrong community", plan(func(p *Plan) { p.Grids[0].Community = "320111001002" }), "grids[0].community"},
		{"wrong street", plan(func(p *Plan) { p.Grids[0].Street = "320111002" }), "grids[0].street"},
		{"unknown kind", plan(func(p *Plan) { p.Grids[0].Kind = "suburban" }), "grids[0].kind"},
		{"negative households", plan(func(p *Plan) { p.Grids[0].Households = -1 }), "grids[0]"},
		{"empty geometry", plan(func(p *Plan) { p.Grids[0].Geom = nil }), "grids[0].geom"},
		{"empty polygon", plan(func(p *Plan) { p.Grids[0].Geom = orb.MultiPolygon{{}} }), "grids[0].geom"},
		{"short ring", plan(func(p *Plan) { p.Grids[0].Geom[0][0] = p.Grids[0].Geom[0][0][:3] }), "grids[0].geom"},
		{"NaN vertex", plan(func(p *Plan) { p.Grids[0].Geom[0][0][1][0] = math.NaN() }), "grids[0].geom"},
		{"Inf vertex", plan(func(p *Plan) { p.Grids[0].Geom[0][0][1][1] = math.Inf(1) }), "grids[0].geom"},
		{"projected vertex", plan(func(p *Plan) { p.Grids[0].Geom[0][0][1] = orb.Point{660000, 3540000} }), "grids[0].geom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantField(t, tc.plan.Check(), tc.field) })
	}
}
