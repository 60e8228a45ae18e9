package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/paulmach/orb"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// liveUnits is what the units routes need of the locator: the live index
// and suggestions (*dispatch.Directory).
type liveUnits interface {
	SetUnit(id string, lon, lat float64, status geo.UnitStatus) error
	ReportUnit(id string, lon, lat float64, st dispatch.UnitStatus, at time.Time) (bool, error)
	ApplyUnitStatus(id string, st dispatch.UnitStatus, at time.Time) (applied, known bool)
	SetUnitStatusAt(id string, st dispatch.UnitStatus, at time.Time) bool
	UnitStatusOf(id string) (dispatch.UnitStatus, bool)
	WorkerGrid(id string) bundle.GridCode
	Suggest(q dispatch.SuggestQuery) ([]dispatch.Suggestion, error)
}

// live is the current locator's live index, nil without one.
func (s *Server) live() liveUnits {
	if c := s.cat.Load(); c != nil {
		if l, ok := c.locate.(liveUnits); ok {
			return l
		}
	}
	return nil
}

// onDuty is the duty rule units follow: Config.OnDuty when set, else
// the server's roster (everyone on duty without one).
func (s *Server) onDuty(id string, at time.Time) bool {
	if s.cfg.OnDuty != nil {
		return s.cfg.OnDuty(id, at)
	}
	return s.OnDuty(id, at)
}

// dutyLocator is Config.NewLocator with the duty rule set on what it
// builds, so that /locate offers only patrols on shift now.
func (s *Server) dutyLocator() NewLocatorFunc {
	nl := s.cfg.NewLocator
	if nl == nil {
		return nil
	}
	return func(b *bundle.Bundle, grids []gridplan.Grid, units []dispatch.Unit) (Locator, error) {
		loc, err := nl(b, grids, units)
		if d, ok := loc.(interface {
			SetOnDuty(func(string, time.Time) bool, func() time.Time)
		}); ok && err == nil {
			d.SetOnDuty(s.onDuty, s.now)
		}
		return loc, err
	}
}

// unitRoutes registers the field units' routes.
func (s *Server) unitRoutes(r *mux.Router, get func(string, handlerFunc)) {
	r.Handle("/units/positions", s.adapt(s.postPositions)).Methods(http.MethodPost)
	get("/units", s.requireAny(access.Dispatcher)(s.listUnits))
	get("/units/{id}", s.getUnit)
	get("/units/{id}/track", s.getTrack)
	get("/cases/{id}/suggestions", s.requireAny(access.Dispatcher)(s.caseSuggestions))
}

// positionJSON is one report of POST /units/positions.
type positionJSON struct {
	Unit   *string  `json:"unit"`
	Lon    *float64 `json:"lon"`
	Lat    *float64 `json:"lat"`
	CRS    *string  `json:"crs"`
	At     *string  `json:"at"`
	Status *string  `json:"status"`
}

// decodePositions reads the body: a JSON array of reports. A problem
// names the report and its field, "[3].lat".
func decodePositions(r *http.Request) ([]dispatch.PositionReport, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return nil, errs.E(errs.Unsupported, "Content-Type", "send the body as application/json, not %q", clip.Text(ct, 60))
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", mbe.Limit)
		}
		return nil, errs.E(errs.Invalid, "body", "the body could not be read")
	}
	return parsePositions(body)
}

// parsePositions parses a batch of position reports.
func parsePositions(body []byte) ([]dispatch.PositionReport, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, errs.E(errs.Invalid, "body", "the body is empty; send a JSON array of reports")
		}
		return nil, errs.E(errs.Invalid, "body", "not a JSON array of reports: %s", clip.Text(err.Error(), 120))
	}
	if len(raw) == 0 {
		return nil, errs.E(errs.Invalid, "body", "the batch holds no reports")
	}
	if len(raw) > store.MaxReportBatch {
		return nil, errs.E(errs.Invalid, "body", "at most %d reports a batch; got %d", store.MaxReportBatch, len(raw))
	}
	// The common case in one decode; a batch it refuses is decoded again
	// report by report, for an error naming the report.
	var ps []positionJSON
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if dec.Decode(&ps) != nil || len(ps) != len(raw) {
		ps = nil
	}
	out := make([]dispatch.PositionReport, len(raw))
	for i, m := range raw {
		var rep dispatch.PositionReport
		var err error
		if ps != nil && ps[i] != (positionJSON{}) {
			rep, err = position(ps[i])
		} else {
			rep, err = parsePosition(m)
		}
		if err != nil {
			return nil, dispatch.AtIndex(i, err)
		}
		out[i] = rep
	}
	return out, nil
}

func parsePosition(m json.RawMessage) (dispatch.PositionReport, error) {
	var p positionJSON
	dec := json.NewDecoder(bytes.NewReader(m))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return dispatch.PositionReport{}, errs.E(errs.Invalid, te.Field, "want a %s", te.Type)
		}
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return dispatch.PositionReport{}, errs.E(errs.Invalid, clip.Text(f, 40), "unknown field; a report has unit, lon, lat, crs, at and status")
		}
		return dispatch.PositionReport{}, errs.E(errs.Invalid, "", "not a report object {unit, lon, lat, crs, at, status}")
	}
	return position(p)
}

// position checks and converts one decoded report.
func position(p positionJSON) (dispatch.PositionReport, error) {
	var rep dispatch.PositionReport
	switch {
	case p.Unit == nil:
		return rep, errs.E(errs.Invalid, "unit", "a report names its unit")
	case p.Lon == nil:
		return rep, errs.E(errs.Invalid, "lon", "a report gives lon and lat")
	case p.Lat == nil:
		return rep, errs.E(errs.Invalid, "lat", "a report gives lon and lat")
	case p.At == nil:
		return rep, errs.E(errs.Invalid, "at", "a report gives its time (RFC 3339)")
	case p.Status == nil:
		return rep, errs.E(errs.Invalid, "status", "a report gives its status: available, busy or off_duty")
	}
	rep.Unit = *p.Unit
	at, err := parseTimeField("at", *p.At)
	if err != nil {
		return rep, err
	}
	rep.At = at
	st, err := dispatch.ParseUnitStatus(*p.Status, "status")
	if err != nil {
		return rep, err
	}
	rep.Status = st
	crs := geo.WGS84
	if p.CRS != nil && *p.CRS != "" {
		if crs, err = geo.ParseCRS(*p.CRS); err != nil {
			return rep, err
		}
	}
	q := orb.Point{*p.Lon, *p.Lat}
	if err := geo.CheckLonLat(q[0], q[1]); err != nil {
		return rep, err
	}
	rep.Loc = geo.ToWGS84(crs, q)
	return rep, rep.Validate()
}

// MaxClockSkew is how far ahead of the server's clock a report's time
// may be.
const MaxClockSkew = 5 * time.Minute

// positionsAnswer is POST /units/positions' answer.
type positionsAnswer struct {
	Results   []dispatch.ReportResult `json:"results"`
	Moved     int                     `json:"moved"`
	KeptOlder int                     `json:"kept_older"`
	Duplicate int                     `json:"duplicate"`
}

// postPositions is POST /units/positions: a batch of reports, stored in
// one transaction. A unit key reports only for its own unit; fleet,
// dispatcher and admin keys for any.
func (s *Server) postPositions(w http.ResponseWriter, r *http.Request) error {
	who := s.principalOf(r)
	if !who.Any(access.Fleet, access.Dispatcher, access.Unit) {
		return denied(who, "report unit positions")
	}
	rs, err := decodePositions(r)
	if err != nil {
		return err
	}
	// A report from the future would pin its unit until then (a newer
	// report is one with a later time): a device clock that far ahead is
	// refused.
	latest := s.now().Add(MaxClockSkew)
	for i, rep := range rs {
		if rep.At.After(latest) {
			return errs.E(errs.Invalid, dispatch.FieldAt(i, "at"), "%s is more than %s ahead of the server's clock", rep.At.UTC().Format(time.RFC3339), MaxClockSkew)
		}
	}
	if !who.Any(access.Fleet, access.Dispatcher) {
		for i, rep := range rs {
			if rep.Unit != who.Unit {
				return errs.E(errs.Forbidden, dispatch.FieldAt(i, "unit"), "key %q reports only for unit %s", who.Name, who.Unit)
			}
		}
	}
	res, err := s.st.ReportPositions(r.Context(), rs)
	if err != nil {
		return err
	}
	s.afterReports(r.Context(), res)
	out := positionsAnswer{Results: res}
	for _, x := range res {
		switch x.Outcome {
		case dispatch.Moved:
			out.Moved++
		case dispatch.KeptOlder:
			out.KeptOlder++
		case dispatch.Duplicate:
			out.Duplicate++
		}
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, out)
}

// unitEvent is the body of unit.position and unit.status events.
type unitEvent struct {
	Unit     string              `json:"unit"`
	Lon      float64             `json:"lon"`
	Lat      float64             `json:"lat"`
	At       time.Time           `json:"at"`
	Status   dispatch.UnitStatus `json:"status"`
	HeldCase int64               `json:"held_case,omitempty"`
}

// afterReports moves the live index to each moved unit's state after the
// commit and publishes the moves and status changes.
func (s *Server) afterReports(ctx context.Context, res []dispatch.ReportResult) {
	live := s.live()
	var evs []events.Event
	for _, x := range res {
		if x.Outcome != dispatch.Moved {
			continue
		}
		changed := true
		if live != nil {
			if before, ok := live.UnitStatusOf(x.Unit); ok {
				changed = before != x.Status
			}
			_, _ = live.ReportUnit(x.Unit, x.Loc[0], x.Loc[1], x.Status, x.At)
		}
		loc := x.Loc
		body := unitEvent{Unit: x.Unit, Lon: loc[0], Lat: loc[1], At: x.At, Status: x.Status, HeldCase: x.HeldCase}
		evs = append(evs, events.New(events.UnitPosition, x.At, &loc, body))
		if changed {
			evs = append(evs, events.New(events.UnitStatus, x.At, &loc, body))
		}
	}
	if len(evs) > 0 {
		s.publisher().Publish(ctx, evs...)
	}
}

// unitFeature is a unit as a GeoJSON feature.
func (s *Server) unitFeature(u dispatch.Unit, live liveUnits, now time.Time) map[string]any {
	if live != nil && u.Kind == dispatch.KindWorker {
		u.Grid = string(live.WorkerGrid(u.ID))
	}
	u.OnDuty = s.onDuty(u.ID, now)
	var geom any
	if u.Loc != nil {
		geom = map[string]any{"type": "Point", "coordinates": []float64{u.Loc[0], u.Loc[1]}}
	}
	return map[string]any{"type": "Feature", "id": u.ID, "geometry": geom, "properties": u}
}

func (s *Server) now() time.Time {
	if s.cfg.Cases != nil && s.cfg.Cases.Now != nil {
		return s.cfg.Cases.Now()
	}
	return time.Now()
}

// listUnits is GET /units?kind=&street=&status=&bbox=: a FeatureCollection.
func (s *Server) listUnits(w http.ResponseWriter, r *http.Request) error {
	if err := onlyParams(r, "kind", "street", "status", "bbox"); err != nil {
		return err
	}
	v := queryOf(r)
	f := store.UnitFilter{Street: v.Get("street")}
	var err error
	if v.Has("kind") {
		if f.Kind, err = dispatch.ParseUnitKind(v.Get("kind"), "kind"); err != nil {
			return err
		}
	}
	if v.Has("status") {
		if f.Status, err = dispatch.ParseUnitStatus(v.Get("status"), "status"); err != nil {
			return err
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
	us, err := s.st.Units(r.Context(), f)
	if err != nil {
		return err
	}
	live, now := s.live(), s.now()
	fs := make([]map[string]any, len(us))
	for i, u := range us {
		fs[i] = s.unitFeature(u, live, now)
	}
	return writeJSON(w, r, http.StatusOK, mediaGeoJSON, map[string]any{
		"type": "FeatureCollection", "numberReturned": len(fs), "features": fs})
}

// mayReadUnit: dispatchers read every unit, a unit key its own.
func mayReadUnit(who access.Principal, id string) error {
	if who.Any(access.Dispatcher) || (who.Roles.Has(access.Unit) && who.Unit == id) {
		return nil
	}
	return denied(who, "read unit "+clip.Text(id, 40))
}

// getUnit is GET /units/{id}: one unit as a Feature.
func (s *Server) getUnit(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	if err := mayReadUnit(s.principalOf(r), id); err != nil {
		return err
	}
	if err := onlyParams(r); err != nil {
		return err
	}
	u, err := s.st.Unit(r.Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaGeoJSON, s.unitFeature(u, s.live(), s.now()))
}

// MaxTrackSpan is the longest from..to a track request may ask for.
const MaxTrackSpan = 7 * 24 * time.Hour

// getTrack is GET /units/{id}/track?from=&to=: the unit's reports as a
// GeoJSON Feature, a LineString (a Point with one report, no geometry
// with none), with the reports' times and statuses in the properties.
// to defaults to now, from to 24 hours before to.
func (s *Server) getTrack(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	if err := mayReadUnit(s.principalOf(r), id); err != nil {
		return err
	}
	if err := onlyParams(r, "from", "to"); err != nil {
		return err
	}
	v := queryOf(r)
	to := s.now()
	var err error
	if v.Has("to") {
		if to, err = parseTimeField("to", v.Get("to")); err != nil {
			return err
		}
	}
	from := to.Add(-24 * time.Hour)
	if v.Has("from") {
		if from, err = parseTimeField("from", v.Get("from")); err != nil {
			return err
		}
	}
	switch {
	case from.After(to):
		return errs.E(errs.Invalid, "from", "from is after to")
	case to.Sub(from) > MaxTrackSpan:
		return errs.E(errs.Invalid, "from", "a track spans at most %s", MaxTrackSpan)
	}
	pts, err := s.st.Track(r.Context(), id, from, to)
	if err != nil {
		return err
	}
	coords := make([][]float64, len(pts))
	times := make([]time.Time, len(pts))
	statuses := make([]dispatch.UnitStatus, len(pts))
	for i, p := range pts {
		coords[i], times[i], statuses[i] = []float64{p.Loc[0], p.Loc[1]}, p.At, p.Status
	}
	var geom any
	switch len(pts) {
	case 0:
	case 1:
		geom = map[string]any{"type": "Point", "coordinates": coords[0]}
	default:
		geom = map[string]any{"type": "LineString", "coordinates": coords}
	}
	return writeJSON(w, r, http.StatusOK, mediaGeoJSON, map[string]any{"type": "Feature", "id": id, "geometry": geom,
		"properties": map[string]any{"unit": id, "from": from.UTC(), "to": to.UTC(), "times": times, "statuses": statuses,
			"truncated": len(pts) == store.MaxTrackPoints}})
}

// caseSuggestions is GET /cases/{id}/suggestions?k=: the available
// on-duty units of suitable kinds for the case, its street's nearest
// first, then the district's, with distance and ETA.
func (s *Server) caseSuggestions(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.casesService()
	if err != nil {
		return err
	}
	if err := onlyParams(r, "k"); err != nil {
		return err
	}
	k := 5
	if v := queryOf(r); v.Has("k") {
		n, err := strconv.Atoi(v.Get("k"))
		if err != nil || n < 1 || n > dispatch.MaxPatrols {
			return errs.E(errs.Invalid, "k", "k is a whole number within 1..%d", dispatch.MaxPatrols)
		}
		k = n
	}
	id, err := cases.ParseCaseID(mux.Vars(r)["id"])
	if err != nil {
		return err
	}
	c, err := svc.Case(r.Context(), s.principalOf(r), id)
	if err != nil {
		return err
	}
	live := s.live()
	if live == nil {
		return errs.E(errs.Unavailable, "", "no district is loaded")
	}
	cat, _ := svc.Categories.Get(c.Category)
	kinds := cat.UnitKinds()
	out := []dispatch.Suggestion{}
	if len(kinds) > 0 {
		now := s.now()
		if out, err = live.Suggest(dispatch.SuggestQuery{Lon: c.Loc[0], Lat: c.Loc[1], Street: bundle.StreetCode(c.Street),
			Kinds: kinds, K: k, At: now, OnDuty: s.onDuty, Speeds: s.cfg.UnitSpeeds}); err != nil {
			return err
		}
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"case": c.ID, "street": c.Street, "category": c.Category,
		"kinds": kinds, "suggestions": out})
}

// UnitsCasePublisher keeps the live index in step with the case loop: a
// unit a case is dispatched to is busy, a unit its case released (resolved,
// voided, reassigned) is what it last reported. Compose it with other
// publishers (cases.Fanout) on cases.Service.Publisher.
func (s *Server) UnitsCasePublisher() cases.Publisher {
	return &unitsCaseHook{s: s, held: map[cases.CaseID]string{}}
}

type unitsCaseHook struct {
	s    *Server
	mu   sync.Mutex
	held map[cases.CaseID]string // the unit each case held, as last seen here
}

func (h *unitsCaseHook) IncidentStored(cases.Incident, bool) {}

func (h *unitsCaseHook) CaseChanged(c cases.Case, ev cases.Event) {
	h.mu.Lock()
	prev := h.held[c.ID]
	if c.Stage.HoldsUnit() && c.Unit != "" {
		h.held[c.ID] = c.Unit
	} else {
		delete(h.held, c.ID)
	}
	h.mu.Unlock()
	ids := []string{}
	if c.Unit != "" {
		ids = append(ids, c.Unit)
	}
	if prev != "" && prev != c.Unit {
		ids = append(ids, prev)
	}
	if ev.Unit != "" && ev.Unit != c.Unit && ev.Unit != prev {
		ids = append(ids, ev.Unit)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h.s.syncUnits(ctx, ids...)
}

// syncUnits reads units from the store and sets their live status,
// publishing unit.status for each that changed.
func (s *Server) syncUnits(ctx context.Context, ids ...string) {
	live := s.live()
	var evs []events.Event
	for _, id := range ids {
		readAt := s.now().UTC()
		u, err := s.st.Unit(ctx, id)
		if err != nil {
			continue // not a unit of the district (or the store is away: the next report fixes it)
		}
		before, known := dispatch.UnitStatus(""), false
		if live != nil {
			before, known = live.UnitStatusOf(id)
			if known {
				live.SetUnitStatusAt(id, u.Status, readAt)
			} else if u.Loc != nil {
				_ = live.SetUnit(id, u.Loc[0], u.Loc[1], u.Status.Geo())
			}
		}
		if before != u.Status {
			body := unitEvent{Unit: id, Status: u.Status, HeldCase: u.HeldCase, At: readAt}
			var loc *orb.Point
			if u.Loc != nil {
				p := *u.Loc
				loc, body.Lon, body.Lat = &p, p[0], p[1]
			}
			evs = append(evs, events.New(events.UnitStatus, body.At, loc, body))
		}
	}
	if len(evs) > 0 {
		s.publisher().Publish(ctx, evs...)
	}
}

// denied is 401 for the public, 403 for a key without the right.
func denied(who access.Principal, what string) error {
	if who.Public() {
		return errs.E(errs.Unauthorized, "Authorization", "a key is needed to %s", what)
	}
	return errs.E(errs.Forbidden, "Authorization", "key %q may not %s", who.Name, what)
}

// ApplyUnitEvent moves this server's live index by a unit.position or
// unit.status event made elsewhere (another replica, through the event
// stream), so that its /locate and suggestions follow units reported
// there. Events come in the order they were appended to the log, not the
// order they happened: a unit.position older (by its report time) than
// the position the index holds is ignored, as the store ignores an older
// report, and so is a unit.status older than the status held. Other
// events, and units the directory does not know, are ignored; applying an
// event this server made is harmless.
func (s *Server) ApplyUnitEvent(ev events.Event) {
	if ev.Type != events.UnitPosition && ev.Type != events.UnitStatus {
		return
	}
	var u unitEvent
	if json.Unmarshal(ev.Data, &u) != nil || u.Unit == "" {
		return
	}
	st, err := dispatch.ParseUnitStatus(string(u.Status), "status")
	if err != nil {
		return
	}
	live := s.live()
	if live == nil {
		return
	}
	if ev.Type == events.UnitPosition {
		_, _ = live.ReportUnit(u.Unit, u.Lon, u.Lat, st, u.At)
		return
	}
	if _, known := live.ApplyUnitStatus(u.Unit, st, u.At); !known {
		_ = live.SetUnit(u.Unit, u.Lon, u.Lat, st.Geo())
	}
}
