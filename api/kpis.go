package api

import (
	"net/http"
	"time"

	"github.com/gridd/gridd/cases"
)

// getKPIs is GET /kpis?level=district|street|community|grid&code=&from=&to=&bbox=:
// the evaluation figures of the cases reported in [from, to) (RFC 3339;
// default the last 30 days), of the level's area and, with bbox
// (minLon,minLat,maxLon,maxLat, CRS84), of the cases located in the box
// (the map's visible area), computed in the store.
func (s *Server) getKPIs(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	if err := onlyParams(r, "level", "code", "from", "to", "bbox"); err != nil {
		return err
	}
	v := queryOf(r)
	q := cases.KPIQuery{Level: cases.LevelDistrict, Code: v.Get("code")}
	if v.Has("level") {
		q.Level = cases.Level(v.Get("level"))
	}
	q.To = svc.Now().UTC()
	if v.Has("to") {
		if q.To, err = parseTimeField("to", v.Get("to")); err != nil {
			return err
		}
	}
	q.From = q.To.Add(-30 * 24 * time.Hour)
	if v.Has("from") {
		if q.From, err = parseTimeField("from", v.Get("from")); err != nil {
			return err
		}
	}
	if v.Has("bbox") {
		c, _ := parseCRSParam("bbox-crs", "", false)
		b, err := parseBBox(v.Get("bbox"), c)
		if err != nil {
			return err
		}
		q.BBox = &b
	}
	q.AsOf = q.To // the service caps it at its clock
	if err := q.Validate(); err != nil {
		return err
	}
	k, err := svc.KPIs(r.Context(), s.principalOf(r), q)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, k)
}
