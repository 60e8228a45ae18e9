package api

import (
	"encoding/json"
	"net/http"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/store"
)

// editJSON is POST /plans/{id}/edits's answer.
type editJSON struct {
	Plan       gridplan.PlanID   `json:"plan"`
	Op         string            `json:"op"`
	Changed    []json.RawMessage `json:"changed"`
	Removed    []bundle.GridCode `json:"removed"`
	Validation validationJSON    `json:"validation"`
}

// postEdit is POST /plans/{id}/edits: one planner edit of a draft
// (gridplan.Edit: merge, split, redraw, move, rebalance, lock, unlock),
// applied atomically with ReplaceGrids. It answers the grids changed or
// added (GeoJSON Features with code, community_code, street_code, kind,
// households, target, locked), the codes removed and the validation of
// the communities touched. 409 on a plan that is not a draft or a locked
// grid; 400/422 naming the field for bad input; 422 listing the findings
// when the result fails a blocking rule (nothing changes).
func (s *Server) postEdit(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	var e gridplan.Edit
	if err := decodeBody(r, &e); err != nil {
		return err
	}
	p, err := s.st.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	if p.Status != gridplan.Draft {
		return store.ErrNotDraft(id, p.Status)
	}
	b, err := s.st.Bundle(r.Context())
	if err != nil {
		return err
	}
	res, err := gridplan.ApplyEdit(r.Context(), p, b, e, partition.Grids)
	if err != nil {
		return err
	}
	if err := s.st.ReplaceGrids(r.Context(), id, res.Grids); err != nil {
		return err
	}
	out := editJSON{Plan: id, Op: e.Op, Changed: make([]json.RawMessage, 0, len(res.Changed)), Removed: res.Removed,
		Validation: newValidationJSON(id, res.Findings)}
	for _, g := range res.Changed {
		f, err := gridFeature(g)
		if err != nil {
			return err
		}
		out.Changed = append(out.Changed, f)
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, out)
}

// gridFeature is a grid as a GeoJSON Feature (a Polygon when it has one
// part).
func gridFeature(g gridplan.Grid) (json.RawMessage, error) {
	var geom orb.Geometry = g.Geom
	if len(g.Geom) == 1 {
		geom = g.Geom[0]
	}
	f := geojson.NewFeature(geom)
	f.Properties = geojson.Properties{
		"code": string(g.Code), "community_code": string(g.Community), "street_code": string(g.Street),
		"kind": string(g.Kind), "households": g.Households, "target": g.Target, "locked": g.Locked,
	}
	raw, err := f.MarshalJSON()
	if err != nil {
		return nil, errs.Wrap(errs.Internal, err, "cannot encode grid "+string(g.Code))
	}
	return raw, nil
}
