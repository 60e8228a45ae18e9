package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/internal/clip"
)

// casesService returns the case service or an Unavailable error when the
// server was built without one.
func (s *Server) casesService() (*cases.Service, error) {
	if s.cfg.Cases == nil {
		return nil, errs.E(errs.Unavailable, "", "cases are not configured on this server")
	}
	return s.cfg.Cases, nil
}

// pointJSON is a location in a request: lon/lat in crs (wgs84 default).
type pointJSON struct {
	Lon *float64 `json:"lon"`
	Lat *float64 `json:"lat"`
	CRS string   `json:"crs"`
}

// wgs84 checks the point and converts it to WGS84.
func (p *pointJSON) wgs84(field string) (orb.Point, error) {
	if p.Lon == nil || p.Lat == nil {
		return orb.Point{}, errs.E(errs.Invalid, field, "lon and lat are both required")
	}
	crs := geo.WGS84
	if p.CRS != "" {
		c, err := geo.ParseCRS(p.CRS)
		if err != nil {
			return orb.Point{}, errs.E(errs.Invalid, field+"/crs", "%s", err.(*errs.Error).Msg)
		}
		crs = c
	}
	q := orb.Point{*p.Lon, *p.Lat}
	if !geo.ValidLonLat(q[0], q[1]) {
		return orb.Point{}, errs.E(errs.Invalid, field, "lon must be in [-180, 180] and lat in [-90, 90]")
	}
	return geo.ToWGS84(crs, q), nil
}

// incidentRequest is POST /incidents' body.
type incidentRequest struct {
	Channel     string     `json:"channel"`
	ExternalID  string     `json:"external_id"`
	Category    string     `json:"category"`
	Description string     `json:"description"`
	ReportedAt  string     `json:"reported_at"`
	Location    *pointJSON `json:"location"`
	Address     string     `json:"address"`
	Reporter    string     `json:"reporter"`
	Media       []string   `json:"media"`
}

// decodeBody reads one JSON object into v, refusing unknown fields and
// trailing data; errors name the field (a JSON pointer) or "body".
func decodeBody(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return errs.E(errs.Unsupported, "Content-Type", "send the body as application/json, not %q", clip.Text(ct, 60))
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", mbe.Limit)
		case errors.As(err, &te):
			return errs.E(errs.Invalid, "/"+strings.ReplaceAll(te.Field, ".", "/"), "want a %s", te.Type)
		case errors.Is(err, io.EOF):
			return errs.E(errs.Invalid, "body", "the body is empty")
		}
		return errs.E(errs.Invalid, "body", "not a JSON object of the expected fields: %s", clip.Text(err.Error(), 120))
	}
	if dec.More() {
		return errs.E(errs.Invalid, "body", "data after the JSON object")
	}
	return nil
}

func parseTimeField(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.E(errs.Invalid, field, "%q is not an RFC 3339 time", clip.Text(s, 40))
	}
	return t, nil
}

// postIncident is POST /incidents: a report from a channel. 201 with the
// new incident, 200 with the stored one when (channel, external_id) was
// reported before.
func (s *Server) postIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	var req incidentRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	rep := cases.Report{Channel: cases.Channel(req.Channel), ExternalID: req.ExternalID, Category: req.Category,
		Description: req.Description, Address: req.Address, Reporter: req.Reporter, Media: req.Media}
	if rep.ReportedAt, err = parseTimeField("/reported_at", req.ReportedAt); err != nil {
		return err
	}
	if req.Location != nil {
		p, err := req.Location.wgs84("/location")
		if err != nil {
			return err
		}
		rep.Loc = &p
	}
	in, created, err := svc.Submit(r.Context(), s.principalOf(r), rep)
	if err != nil {
		return bodyField(err)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/incidents/"+in.ID.String())
	}
	return writeJSON(w, r, status, mediaJSON, incidentOut(&in))
}

// bodyField turns a domain field name into a JSON pointer, so invalid
// bodies answer 422 naming the member.
func bodyField(err error) error {
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Field == "" || strings.HasPrefix(e.Field, "/") {
		return err
	}
	c := *e
	c.Field = "/" + e.Field
	return &c
}

// incidentJSON is an incident as the API answers it.
type incidentJSON struct {
	ID          cases.IncidentID `json:"id"`
	Channel     cases.Channel    `json:"channel"`
	ExternalID  string           `json:"external_id"`
	Category    string           `json:"category"`
	Description string           `json:"description"`
	Address     string           `json:"address,omitempty"`
	ReportedAt  time.Time        `json:"reported_at"`
	ReceivedAt  time.Time        `json:"received_at"`
	Media       []string         `json:"media"`
	CaseID      *cases.CaseID    `json:"case_id"`
	Duplicate   bool             `json:"duplicate"`
	Located     bool             `json:"located"`
	Location    *lonLat          `json:"location"`
	LocatedBy   cases.LocatedBy  `json:"located_by,omitempty"`
	Score       float64          `json:"score"`
	Reason      string           `json:"reason,omitempty"`
	Street      string           `json:"street_code,omitempty"`
	Community   string           `json:"community_code,omitempty"`
	Grid        string           `json:"grid_code,omitempty"`
	Routing     *cases.Routing   `json:"routing"`
}

type lonLat struct {
	Lon float64 `json:"lon"`
	Lat float64 `json:"lat"`
}

func incidentOut(in *cases.Incident) incidentJSON {
	out := incidentJSON{ID: in.ID, Channel: in.Channel, ExternalID: in.ExternalID, Category: in.Category,
		Description: in.Description, Address: in.Address, ReportedAt: in.ReportedAt, ReceivedAt: in.ReceivedAt,
		Media: in.Media, Duplicate: in.Duplicate, Located: in.Located, Score: in.Score, Reason: in.Reason,
		Street: in.Street, Community: in.Community, Grid: in.Grid}
	if out.Media == nil {
		out.Media = []string{}
	}
	if in.Case != 0 {
		id := in.Case
		out.CaseID = &id
	}
	if in.Located {
		out.Location = &lonLat{in.Loc[0], in.Loc[1]}
		out.LocatedBy = in.LocatedBy
		r := in.Routing
		out.Routing = &r
	}
	return out
}

// getIncident is GET /incidents/{id}.
func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	id, err := cases.ParseIncidentID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	in, err := svc.Incident(r.Context(), s.principalOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, incidentOut(&in))
}

// listIncidents is GET /incidents[?located=false][&channel=][&after=][&limit=]:
// the manual-location queue with located=false.
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	if err := onlyParams(r, "located", "channel", "after", "limit"); err != nil {
		return err
	}
	v := queryOf(r)
	var f cases.IncidentFilter
	if v.Has("located") {
		b, err := strconv.ParseBool(v.Get("located"))
		if err != nil {
			return errs.E(errs.Invalid, "located", "true or false")
		}
		f.Located = &b
	}
	if v.Has("channel") {
		f.Channel = cases.Channel(v.Get("channel"))
		if !f.Channel.Valid() {
			return errs.E(errs.Invalid, "channel", "%q is not a channel", clip.Text(v.Get("channel"), 40))
		}
	}
	if v.Has("after") {
		id, err := cases.ParseIncidentID(v.Get("after"))
		if err != nil {
			return errs.E(errs.Invalid, "after", "an incident id")
		}
		f.AfterID = id
	}
	if f.Limit, err = parseLimit(v.Get("limit"), v.Has("limit")); err != nil {
		return err
	}
	list, err := svc.Incidents(r.Context(), s.principalOf(r), f)
	if err != nil {
		return err
	}
	out := make([]incidentJSON, len(list))
	for i := range list {
		out[i] = incidentOut(&list[i])
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"incidents": out})
}

// putIncidentLocation is PUT /incidents/{id}/location {"lon","lat","crs"}:
// a dispatcher locates a queued incident; it is routed then.
func (s *Server) putIncidentLocation(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	id, err := cases.ParseIncidentID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	var p pointJSON
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	q, err := p.wgs84("/")
	if err != nil {
		return err
	}
	in, err := svc.SetLocation(r.Context(), s.principalOf(r), id, q)
	if err != nil {
		return bodyField(err)
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, incidentOut(&in))
}

// unlinkIncident is POST /incidents/{id}/unlink: a dispatcher takes a
// duplicate off the case it was linked to; it gets a case of its own.
func (s *Server) unlinkIncident(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	id, err := cases.ParseIncidentID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	in, err := svc.Unlink(r.Context(), s.principalOf(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, incidentOut(&in))
}
