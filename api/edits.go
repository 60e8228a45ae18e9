package api

import (
	"encoding/json"
	"net/http"
	"sync"

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

// editMu serialises the edits this process applies, so that two edits of
// one draft do not both start from the same grids (a read-modify-write).
// Across replicas EditGrids refuses (409) an edit whose base changed meanwhile.
var editMu sync.Mutex

// postEdit is POST /plans/{id}/edits: one planner edit of a draft
// (gridplan.Edit: merge, split, redraw, move, rebalance, lock, unlock),
// applied atomically with EditGrids (the changed rows only). It answers the grids changed or
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
	if _, keyed := r.Header[idemHeader]; keyed {
		return s.postEditKeyed(w, r, id) // api/idempotency.go
	}
	var e gridplan.Edit
	if err := decodeBody(r, &e); err != nil {
		return err
	}
	editMu.Lock()
	defer editMu.Unlock()
	// The catalogue holds the bundle the service runs on (rebuilt when a
	// bundle is imported); the store is read only when there is none.
	var b *bundle.Bundle
	if c := s.cat.Load(); c != nil {
		b = c.bundle
	}
	res, err := store.EditPlan(r.Context(), s.st, id, b, e, partition.Grids)
	if err != nil {
		return err
	}
	out, err := newEditJSON(id, e.Op, res)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, out)
}

// newEditJSON is the answer to an applied edit.
func newEditJSON(id gridplan.PlanID, op string, res *gridplan.EditResult) (editJSON, error) {
	out := editJSON{Plan: id, Op: op, Changed: make([]json.RawMessage, 0, len(res.Changed)), Removed: res.Removed,
		Validation: newValidationJSON(id, res.Findings)}
	for _, g := range res.Changed {
		f, err := gridFeature(g)
		if err != nil {
			return out, err
		}
		out.Changed = append(out.Changed, f)
	}
	return out, nil
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
