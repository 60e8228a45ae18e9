package api

import (
	"encoding/json"
	"net/http"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/uber/h3-go/v4"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/cells"
	"github.com/gridd/gridd/internal/clip"
)

// unitsJSON is GET /plans/{id}/units's answer: a GeoJSON FeatureCollection
// of one grid's planning units.
type unitsJSON struct {
	Type     string            `json:"type"`
	Plan     gridplan.PlanID   `json:"plan"`
	Grid     bundle.GridCode   `json:"grid"`
	Derived  bool              `json:"derived"`
	Features []json.RawMessage `json:"features"`
}

// planUnits is GET /plans/{id}/units?grid=CODE: the planning units (H3
// cells) of one grid of plan id as GeoJSON Features — the cell's hexagon
// (its part in the grid is the hexagon cut to the grid), id and unit the
// cell's H3 index (what a move names), grid, households, resolution.
// derived is true when the plan stores no units for the grid's community
// (a plan imported from a file): they are then derived from its grids as
// a move would.
func (s *Server) planUnits(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	raw := r.URL.Query().Get("grid")
	if raw == "" {
		return errs.E(errs.Invalid, "grid", "missing; name the grid whose units to list (?grid=CODE)")
	}
	code, err := bundle.ParseGridCode(raw)
	if err != nil {
		return errs.E(errs.Invalid, "grid", "%q is not a grid code", clip.Text(raw, 40))
	}
	p, err := s.st.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	var g *gridplan.Grid
	for i := range p.Grids {
		if p.Grids[i].Code == code {
			g = &p.Grids[i]
		}
	}
	if g == nil {
		return errs.E(errs.NotFound, "grid", "plan %d has no grid %s", id, code)
	}
	cs := []bundle.CommunityCode{g.Community}
	if p.Units, err = s.st.PlanUnits(r.Context(), id, gridplan.GridsOf(p, cs)...); err != nil {
		return err
	}
	var b *bundle.Bundle
	if c := s.cat.Load(); c != nil {
		b = c.bundle
	}
	if b == nil {
		if b, err = s.st.Bundle(r.Context()); err != nil {
			return err
		}
	}
	us, derived, err := gridplan.CommunityUnits(p, b, g.Community)
	if err != nil {
		return err
	}
	out := unitsJSON{Type: "FeatureCollection", Plan: id, Grid: code, Derived: derived, Features: []json.RawMessage{}}
	for _, u := range us {
		if u.Grid != code {
			continue
		}
		hex, err := cells.Union([]h3.Cell{u.ID.Cell()})
		if err != nil || len(hex) != 1 {
			return errs.E(errs.Internal, "unit", "cannot draw unit %s", u.ID)
		}
		f := geojson.NewFeature(orb.Polygon(hex[0]))
		f.ID = u.ID.String()
		f.Properties = geojson.Properties{"unit": u.ID.String(), "grid": string(u.Grid), "households": u.Households,
			"resolution": u.ID.Cell().Resolution()}
		raw, err := f.MarshalJSON()
		if err != nil {
			return errs.Wrap(errs.Internal, err, "cannot encode unit "+u.ID.String())
		}
		out.Features = append(out.Features, raw)
	}
	return writeJSON(w, r, http.StatusOK, mediaGeoJSON, out)
}
