package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/internal/clip"
)

// caseJSON is a case as the API answers it.
type caseJSON struct {
	ID           cases.CaseID   `json:"id"`
	Stage        cases.Stage    `json:"stage"`
	Path         cases.Path     `json:"path"`
	Category     string         `json:"category"`
	Channel      cases.Channel  `json:"channel"`
	Location     lonLat         `json:"location"`
	Street       string         `json:"street_code"`
	Community    string         `json:"community_code"`
	Grid         string         `json:"grid_code"`
	Unit         string         `json:"unit,omitempty"`
	Department   string         `json:"department,omitempty"`
	CostYuan     float64        `json:"cost_yuan"`
	ReportedAt   time.Time      `json:"reported_at"`
	DispatchedAt *time.Time     `json:"dispatched_at,omitempty"`
	AcceptedAt   *time.Time     `json:"accepted_at,omitempty"`
	ArrivedAt    *time.Time     `json:"arrived_at,omitempty"`
	ResolvedAt   *time.Time     `json:"resolved_at,omitempty"`
	ClosedAt     *time.Time     `json:"closed_at,omitempty"`
	EvaluatedAt  *time.Time     `json:"evaluated_at,omitempty"`
	DueAt        time.Time      `json:"due_at"`
	Deadline     *time.Time     `json:"deadline"`
	Overdue      bool           `json:"overdue"`
	Escalation   int            `json:"escalation"`
	Rework       int            `json:"rework"`
	Satisfaction int            `json:"satisfaction,omitempty"`
	SpotCheck    bool           `json:"spot_check,omitempty"`
	VoidReason   string         `json:"void_reason,omitempty"`
	Allowed      []cases.Action `json:"allowed_actions"`
	// Version is the case's version (its ETag without quotes): an
	// action's If-Match.
	Version   string             `json:"version"`
	Incidents []cases.IncidentID `json:"incidents,omitempty"`
	Events    []eventJSON        `json:"events,omitempty"`
	Routing   *cases.Routing     `json:"routing,omitempty"`
}

type eventJSON struct {
	Seq          int              `json:"seq"`
	Action       cases.Action     `json:"action"`
	From         cases.Stage      `json:"from,omitempty"`
	To           cases.Stage      `json:"to"`
	Actor        string           `json:"actor"`
	Role         string           `json:"role"`
	At           time.Time        `json:"at"`
	Note         string           `json:"note,omitempty"`
	Unit         string           `json:"unit,omitempty"`
	Department   string           `json:"department,omitempty"`
	OK           *bool            `json:"ok,omitempty"`
	Satisfaction int              `json:"satisfaction,omitempty"`
	Incident     cases.IncidentID `json:"incident,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func caseOut(c *cases.Case, now time.Time) caseJSON {
	out := caseJSON{ID: c.ID, Stage: c.Stage, Path: c.Path, Category: c.Category, Channel: c.Channel,
		Location: lonLat{c.Loc[0], c.Loc[1]}, Street: c.Street, Community: c.Community, Grid: c.Grid, Unit: c.Unit,
		Department: c.Department, CostYuan: c.CostYuan, ReportedAt: c.ReportedAt, DispatchedAt: optTime(c.DispatchedAt),
		AcceptedAt: optTime(c.AcceptedAt), ArrivedAt: optTime(c.ArrivedAt), ResolvedAt: optTime(c.ResolvedAt),
		ClosedAt: optTime(c.ClosedAt), EvaluatedAt: optTime(c.EvaluatedAt), DueAt: c.DueAt, Deadline: optTime(c.Deadline),
		Overdue: c.Overdue(now), Escalation: c.Escalation, Rework: c.Rework, Satisfaction: c.Satisfaction,
		SpotCheck: c.SpotCheck, VoidReason: c.VoidReason, Allowed: cases.Allowed(c), Incidents: c.Incidents, Version: c.Version()}
	if out.Allowed == nil {
		out.Allowed = []cases.Action{}
	}
	for _, ev := range c.Events {
		out.Events = append(out.Events, eventJSON{Seq: ev.Seq, Action: ev.Action, From: ev.From, To: ev.To, Actor: ev.Actor,
			Role: ev.Role, At: ev.At, Note: ev.Note, Unit: ev.Unit, Department: ev.Department, OK: ev.OK,
			Satisfaction: ev.Satisfaction, Incident: ev.Incident})
	}
	return out
}

// getCase is GET /cases/{id}: the case with its incidents, events and the
// routing its first incident was given.
func (s *Server) getCase(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	id, err := cases.ParseCaseID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	c, err := svc.Case(r.Context(), s.principalOf(r), id)
	if err != nil {
		return err
	}
	out := caseOut(&c, svc.Now())
	if len(c.Incidents) > 0 {
		if in, err := svc.Store.Incident(r.Context(), c.Incidents[0]); err == nil {
			rt := in.Routing
			out.Routing = &rt
		}
	}
	w.Header().Set("ETag", caseETag(&c))
	return writeJSON(w, r, http.StatusOK, mediaJSON, out)
}

// listCases is GET /cases?stage=&street=&community=&grid=&category=&channel=
// &overdue=true&bbox=&datetime=&limit=&offset=.
func (s *Server) listCases(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	if err := onlyParams(r, "stage", "street", "community", "grid", "category", "channel", "overdue", "bbox",
		"datetime", "limit", "offset", "unit", "department"); err != nil {
		return err
	}
	v := queryOf(r)
	f := cases.CaseFilter{Street: v.Get("street"), Community: v.Get("community"), Grid: v.Get("grid"),
		Category: v.Get("category"), Unit: v.Get("unit"), Department: v.Get("department")}
	if v.Has("stage") {
		if f.Stage = cases.Stage(v.Get("stage")); !f.Stage.Valid() {
			return errs.E(errs.Invalid, "stage", "%q is not a stage", clip.Text(v.Get("stage"), 40))
		}
	}
	if v.Has("channel") {
		if f.Channel = cases.Channel(v.Get("channel")); !f.Channel.Valid() {
			return errs.E(errs.Invalid, "channel", "%q is not a channel", clip.Text(v.Get("channel"), 40))
		}
	}
	if v.Has("overdue") {
		b, err := strconv.ParseBool(v.Get("overdue"))
		if err != nil {
			return errs.E(errs.Invalid, "overdue", "true or false")
		}
		if b {
			f.OverdueAt = svc.Now()
		}
	}
	if v.Has("bbox") {
		c, _ := parseCRSParam("bbox-crs", "", false)
		b, err := parseBBox(v.Get("bbox"), c)
		if err != nil {
			return err
		}
		f.BBox = &b
	}
	if v.Has("datetime") {
		iv, err := parseDatetime(v.Get("datetime"))
		if err != nil {
			return err
		}
		f.From, f.To = iv.start, iv.end
		if !f.To.IsZero() {
			f.To = f.To.Add(time.Microsecond) // datetime's end is inclusive
		}
	}
	if f.Limit, err = parseLimit(v.Get("limit"), v.Has("limit")); err != nil {
		return err
	}
	if f.Offset, err = parseOffset(v.Get("offset"), v.Has("offset")); err != nil {
		return err
	}
	list, n, err := svc.Cases(r.Context(), s.principalOf(r), f)
	if err != nil {
		return err
	}
	now := svc.Now()
	out := make([]caseJSON, len(list))
	for i := range list {
		out[i] = caseOut(&list[i], now)
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"cases": out, "number_matched": n})
}

// eventRequest is POST /cases/{id}/events' body.
type eventRequest struct {
	Action       string `json:"action"`
	Note         string `json:"note"`
	Unit         string `json:"unit"`
	Department   string `json:"department"`
	OK           *bool  `json:"ok"`
	Satisfaction int    `json:"satisfaction"`
	SpotCheck    bool   `json:"spot_check"`
	Reason       string `json:"reason"`
}

// postCaseEvent is POST /cases/{id}/events: one action on a case; the
// answer is the case at its new stage. An action the stage does not allow
// is 409 with the stage and the allowed actions.
func (s *Server) postCaseEvent(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	id, err := cases.ParseCaseID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	var req eventRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	ifVersion, err := caseIfMatch(r)
	if err != nil {
		return err
	}
	cmd := cases.Command{Action: cases.Action(req.Action), Note: req.Note, Unit: req.Unit, Department: req.Department,
		OK: req.OK, Satisfaction: req.Satisfaction, SpotCheck: req.SpotCheck, Reason: req.Reason, IfVersion: ifVersion}
	c, err := svc.Act(r.Context(), s.principalOf(r), id, cmd)
	if err != nil {
		return bodyField(err)
	}
	w.Header().Set("ETag", caseETag(&c))
	return writeJSON(w, r, http.StatusOK, mediaJSON, caseOut(&c, svc.Now()))
}

// caseETag is a case's version as a strong entity tag (GET /cases/{id}
// and an action's answer send it; If-Match on an action sends it back).
func caseETag(c *cases.Case) string { return `"` + c.Version() + `"` }

// caseIfMatch is the version an action's If-Match names: "" without the
// header or for "*" (any state); one entity tag, else 400 naming the
// header. A weak tag (W/"…") names the same version.
func caseIfMatch(r *http.Request) (string, error) {
	vs := r.Header.Values("If-Match")
	if len(vs) == 0 {
		return "", nil
	}
	v := strings.TrimSpace(vs[0])
	if len(vs) > 1 || strings.Contains(v, ",") {
		return "", errs.E(errs.Invalid, "If-Match", "send the one entity tag of the case you read")
	}
	if v == "*" {
		return "", nil
	}
	tag := strings.TrimPrefix(v, "W/")
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' || strings.ContainsAny(tag[1:len(tag)-1], "\"\\") {
		return "", errs.E(errs.Invalid, "If-Match", "%q is not an entity tag (a quoted string, as the case's ETag)", clip.Text(v, 40))
	}
	return tag[1 : len(tag)-1], nil
}

// caseRoutes registers the case loop's routes: incidents, cases, KPIs and
// Open311 GeoReport v2. Roles are checked by the case service on the
// thing acted on (a unit's own case, an intake key's own reports).
func (s *Server) caseRoutes(r *mux.Router, get func(string, handlerFunc)) {
	post := func(path string, h handlerFunc) { r.Handle(path, s.adapt(h)).Methods(http.MethodPost) }
	// One route per path (the OpenAPI document has one item per path).
	getPost := func(path string, g, p handlerFunc) {
		r.Handle(path, s.adapt(func(w http.ResponseWriter, req *http.Request) error {
			if req.Method == http.MethodPost {
				return p(w, req)
			}
			return g(w, req)
		})).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	}
	getPost("/incidents", s.listIncidents, s.postIncident)
	get("/incidents/{id}", s.getIncident)
	r.Handle("/incidents/{id}/location", s.adapt(s.putIncidentLocation)).Methods(http.MethodPut)
	post("/incidents/{id}/unlink", s.unlinkIncident)
	get("/cases", s.listCases)
	get("/cases/{id}", s.getCase)
	post("/cases/{id}/events", s.postCaseEvent)
	get("/kpis", s.getKPIs)
	get("/open311/v2/services.json", s.open311(s.open311ServicesJSON))
	get("/open311/v2/services.xml", s.open311(s.open311ServicesXML))
	getPost("/open311/v2/requests.json", s.open311(s.open311List), s.open311(s.open311Post))
	get("/open311/v2/requests/{id}.json", s.open311(s.open311Get))
}
