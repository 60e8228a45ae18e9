package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// The duty roster (issue 13): /shifts edits it, /duty answers who is on
// duty where. The server keeps the whole roster in memory (Server.roster),
// rebuilt after every committed change and on Rebuild, so that OnDuty is a
// map lookup and a binary search.

const mediaCSV = "text/csv"

// shiftJSON is a shift as the API reads and answers it.
type shiftJSON struct {
	ID      string `json:"id,omitempty"`
	Subject string `json:"subject"`
	Start   string `json:"start"`
	End     string `json:"end"`
	Note    string `json:"note,omitempty"`
}

func shiftOut(s bundle.Shift) shiftJSON {
	return shiftJSON{ID: s.ID, Subject: s.Subject, Start: s.Start.UTC().Format(time.RFC3339Nano), End: s.End.UTC().Format(time.RFC3339Nano), Note: s.Note}
}

func shiftsOut(ss []bundle.Shift) []shiftJSON {
	out := make([]shiftJSON, len(ss))
	for i, s := range ss {
		out[i] = shiftOut(s)
	}
	return out
}

// in converts a request's shift; prefix names its place ("[3]." or "").
func (j shiftJSON) in(prefix string) (bundle.Shift, error) {
	s := bundle.Shift{ID: j.ID, Subject: j.Subject, Note: j.Note}
	var err error
	if s.Start, err = parseTimeField(prefix+"start", j.Start); err != nil {
		return s, err
	}
	if s.End, err = parseTimeField(prefix+"end", j.End); err != nil {
		return s, err
	}
	s = s.Normal()
	if err := s.Validate(); err != nil {
		if e, ok := errs.As(err); ok {
			return s, errs.E(e.Code, prefix+e.Field, "%s", e.Msg)
		}
		return s, err
	}
	return s, nil
}

// shiftRoutes registers the roster's routes (dispatcher or admin).
func (s *Server) shiftRoutes(r *mux.Router) {
	role := s.requireAny(access.Dispatcher, access.Admin)
	r.Handle("/shifts", s.adapt(role(func(w http.ResponseWriter, req *http.Request) error {
		if req.Method == http.MethodPost {
			return s.postShifts(w, req)
		}
		return s.listShifts(w, req)
	}))).Methods(http.MethodGet, http.MethodHead, http.MethodPost)
	r.Handle("/shifts/{id}", s.adapt(role(func(w http.ResponseWriter, req *http.Request) error {
		if req.Method == http.MethodDelete {
			return s.deleteShift(w, req)
		}
		return s.putShift(w, req)
	}))).Methods(http.MethodPut, http.MethodDelete)
	r.Handle("/duty", s.adapt(role(s.duty))).Methods(http.MethodGet, http.MethodHead)
}

// OnDuty reports whether a unit or duty post is on duty at at by the
// current roster: a subject without shifts is always on duty (the
// default 24-hour duty), one with shifts only inside one [start, end).
// Suggestions and /locate take it as their OnDuty func.
func (s *Server) OnDuty(subject string, at time.Time) bool {
	return s.roster.Load().OnDuty(subject, at)
}

// Roster is the current duty roster (nil before the first load).
func (s *Server) Roster() *dispatch.Roster { return s.roster.Load() }

// reloadRoster reads the whole roster from the store and swaps it in.
func (s *Server) reloadRoster(ctx context.Context) error {
	// One reload at a time, read and swap together: a reload that read
	// the store before a change committed can then never swap in after
	// the reload that read it after (a stale roster would win).
	s.rosterMu.Lock()
	defer s.rosterMu.Unlock()
	shifts, err := s.st.Shifts(ctx, store.ShiftFilter{})
	if err != nil {
		s.metrics.storeErrors.WithLabelValues("shifts").Inc()
		return err
	}
	s.roster.Store(dispatch.NewRoster(shifts))
	return nil
}

// shiftsChanged reloads the roster after a committed change and
// publishes the change. A reload that fails keeps the old roster until
// the next change or rebuild, and is logged: the change itself stands.
func (s *Server) shiftsChanged(ctx context.Context, op string, ids []string, n int) {
	// The request may be cancelled once answered: reload regardless.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.reloadRoster(rctx); err != nil {
		s.log.Warn("reload roster", "err", err.Error())
	}
	body := map[string]any{"op": op, "count": n}
	if ids != nil {
		body["ids"] = ids
	}
	s.publisher().Publish(ctx, events.New(events.ShiftsChanged, time.Now(), nil, body))
}

// listShifts is GET /shifts?subject=&from=&to=: the shifts of subject (all
// when absent) overlapping [from, to), ordered by start, subject, id.
func (s *Server) listShifts(w http.ResponseWriter, r *http.Request) error {
	q := queryOf(r)
	for k := range q {
		if k != "subject" && k != "from" && k != "to" {
			return errs.E(errs.Invalid, k, "unknown parameter; /shifts takes subject, from and to")
		}
	}
	f := store.ShiftFilter{Subject: q.Get("subject")}
	var err error
	if v := q.Get("from"); v != "" {
		if f.From, err = parseTimeField("from", v); err != nil {
			return err
		}
	}
	if v := q.Get("to"); v != "" {
		if f.To, err = parseTimeField("to", v); err != nil {
			return err
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return errs.E(errs.Invalid, "to", "is not after from")
	}
	shifts, err := s.st.Shifts(r.Context(), f)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"shifts": shiftsOut(shifts), "count": len(shifts)})
}

// postShifts is POST /shifts[?replace=true]: a JSON array of shifts or a
// text/csv body in the shifts.csv format. Without replace the shifts are
// created or updated by id (a shift without id gets subject@start), all in
// one transaction; with replace=true they become the whole roster, in one
// transaction. Every subject must be a patrol, worker, the centre or a
// sub-centre of the stored bundle. 200 with {created, updated} or
// {replaced}.
func (s *Server) postShifts(w http.ResponseWriter, r *http.Request) error {
	q := queryOf(r)
	replace := false
	for k := range q {
		if k != "replace" {
			return errs.E(errs.Invalid, k, "unknown parameter; POST /shifts takes replace")
		}
	}
	switch v := q.Get("replace"); v {
	case "", "false":
	case "true":
		replace = true
	default:
		return errs.E(errs.Invalid, "replace", "%q is not true or false", clip.Text(v, 20))
	}
	shifts, fieldOf, err := readShiftsBody(r)
	if err != nil {
		return err
	}
	if err := s.checkSubjects(shifts, fieldOf); err != nil {
		return err
	}
	if replace {
		if err := s.st.ReplaceShifts(r.Context(), shifts); err != nil {
			return err
		}
		s.shiftsChanged(r.Context(), "replace", nil, len(shifts))
		return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"replaced": len(shifts)})
	}
	created, err := s.st.PutShifts(r.Context(), shifts)
	if err != nil {
		return err
	}
	ids := make([]string, len(shifts))
	for i, sh := range shifts {
		ids[i] = sh.ID
	}
	s.shiftsChanged(r.Context(), "put", ids, len(shifts))
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"created": created, "updated": len(shifts) - created, "ids": ids})
}

// readShiftsBody reads a JSON array or a CSV body; fieldOf names shift i's
// subject field in the body's terms.
func readShiftsBody(r *http.Request) ([]bundle.Shift, func(i int) string, error) {
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, mediaCSV) {
		shifts, probs := bundle.ReadShiftsNamed("body", r.Body)
		if len(probs) > 0 {
			p := probs[0]
			if strings.Contains(p.Msg, "request body too large") {
				return nil, nil, errs.E(errs.TooLarge, "body", "the body is too large")
			}
			msg := p.Msg
			if len(probs) > 1 {
				msg += fmt.Sprintf(" (and %d more problems)", len(probs)-1)
			}
			return nil, nil, errs.E(p.Code, p.Field, "%s", msg)
		}
		// One line a record after the header, as WriteShifts writes.
		return shifts, func(i int) string { return fmt.Sprintf("body:%d unit_or_post", i+2) }, nil
	}
	if ct != "" && !strings.HasPrefix(ct, mediaJSON) {
		return nil, nil, errs.E(errs.Unsupported, "Content-Type", "send a JSON array of shifts as %s or shifts.csv as %s, not %q", mediaJSON, mediaCSV, clip.Text(ct, 60))
	}
	var in []shiftJSON
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			return nil, nil, errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", mbe.Limit)
		case errors.Is(err, io.EOF):
			return nil, nil, errs.E(errs.Invalid, "body", "the body is empty; send a JSON array of shifts")
		}
		return nil, nil, errs.E(errs.Invalid, "body", "not a JSON array of shifts {id, subject, start, end, note}: %s", clip.Text(err.Error(), 120))
	}
	if dec.More() {
		return nil, nil, errs.E(errs.Invalid, "body", "data after the JSON array")
	}
	out := make([]bundle.Shift, len(in))
	seen := make(map[string]int, len(in))
	for i, j := range in {
		sh, err := j.in(fmt.Sprintf("[%d].", i))
		if err != nil {
			return nil, nil, err
		}
		if k, dup := seen[sh.ID]; dup {
			return nil, nil, errs.E(errs.Invalid, fmt.Sprintf("[%d].id", i), "duplicate id %q (also [%d])", sh.ID, k)
		}
		seen[sh.ID] = i
		out[i] = sh
	}
	return out, func(i int) string { return fmt.Sprintf("[%d].subject", i) }, nil
}

// subjects are the roster's possible subjects in the current bundle.
func (s *Server) subjects() (map[string]bool, error) {
	c, err := s.catalogue()
	if err != nil {
		return nil, err
	}
	if c.bundle == nil {
		return nil, errs.E(errs.Conflict, "bundle", "no district is imported; import a bundle before its roster")
	}
	known := map[string]bool{}
	for _, p := range c.bundle.Patrols {
		known[p.ID] = true
	}
	for _, w := range c.bundle.Workers {
		known[w.ID] = true
	}
	for code := range c.bundle.DutyPosts() {
		known[code] = true
	}
	return known, nil
}

func (s *Server) checkSubjects(shifts []bundle.Shift, fieldOf func(int) string) error {
	known, err := s.subjects()
	if err != nil {
		return err
	}
	for i, sh := range shifts {
		if !known[sh.Subject] {
			return errs.E(errs.Invalid, fieldOf(i), "%q is not a patrol, a grid worker, the centre or a sub-centre of the district", clip.Text(sh.Subject, 40))
		}
	}
	return nil
}

// putShift is PUT /shifts/{id}: create (201) or replace (200) one shift
// {subject, start, end, note}; an id in the body must be the path's.
func (s *Server) putShift(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	var j shiftJSON
	if err := decodeBody(r, &j); err != nil {
		return err
	}
	if j.ID != "" && j.ID != id {
		return errs.E(errs.Invalid, "id", "the body's id %q is not the path's %q", clip.Text(j.ID, 40), clip.Text(id, 40))
	}
	j.ID = id
	sh, err := j.in("")
	if err != nil {
		return err
	}
	if err := s.checkSubjects([]bundle.Shift{sh}, func(int) string { return "subject" }); err != nil {
		return err
	}
	created, err := s.st.PutShift(r.Context(), sh)
	if err != nil {
		return err
	}
	s.shiftsChanged(r.Context(), "put", []string{sh.ID}, 1)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, r, status, mediaJSON, shiftOut(sh))
}

// deleteShift is DELETE /shifts/{id}: 204, or 404 when there is no such
// shift (a retried delete finds it gone).
func (s *Server) deleteShift(w http.ResponseWriter, r *http.Request) error {
	id := mux.Vars(r)["id"]
	if err := s.st.DeleteShift(r.Context(), id); err != nil {
		return err
	}
	s.shiftsChanged(r.Context(), "delete", []string{id}, 1)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// dutyPost is a duty post in /duty: staffed when some shift covers the
// instant or the post has no shifts at all (the default 24-hour duty).
type dutyPost struct {
	Code        string      `json:"code"`
	Name        string      `json:"name"`
	OnDuty      bool        `json:"on_duty"`
	DefaultDuty bool        `json:"default_duty"`
	Officers    []shiftJSON `json:"officers"`
}

type dutyUnits struct {
	OnDuty []string `json:"on_duty"`
	Count  int      `json:"count"`
	Total  int      `json:"total"`
}

type dutyStreet struct {
	Code      string    `json:"code"`
	Name      string    `json:"name"`
	Subcentre *dutyPost `json:"subcentre"`
	Patrols   dutyUnits `json:"patrols"`
	Workers   dutyUnits `json:"workers"`
}

type dutyTotals struct {
	Patrols        int `json:"patrols"`
	PatrolsOnDuty  int `json:"patrols_on_duty"`
	Workers        int `json:"workers"`
	WorkersOnDuty  int `json:"workers_on_duty"`
	Posts          int `json:"posts"`
	PostsStaffed   int `json:"posts_staffed"`
	StreetsCovered int `json:"streets_with_patrol"`
	Streets        int `json:"streets"`
}

type dutyJSON struct {
	At      time.Time    `json:"at"`
	Shifts  int          `json:"roster_shifts"`
	Centre  *dutyPost    `json:"centre"`
	Streets []dutyStreet `json:"streets"`
	Totals  dutyTotals   `json:"totals"`
}

// duty is GET /duty?at=: who is on duty where at instant at (default
// now): the centre's duty officers, each street's sub-centre officers and
// its patrols and grid workers on duty, with counts.
func (s *Server) duty(w http.ResponseWriter, r *http.Request) error {
	q := queryOf(r)
	for k := range q {
		if k != "at" {
			return errs.E(errs.Invalid, k, "unknown parameter; /duty takes at")
		}
	}
	at := time.Now().UTC()
	if v := q.Get("at"); v != "" {
		t, err := parseTimeField("at", v)
		if err != nil {
			return err
		}
		at = t.UTC()
	}
	c, err := s.catalogue()
	if err != nil {
		return err
	}
	if c.bundle == nil {
		return errs.E(errs.NotFound, "bundle", "no district is imported")
	}
	ros := s.roster.Load()
	return writeJSON(w, r, http.StatusOK, mediaJSON, dutyOf(c.bundle, ros, at))
}

// dutyOf is /duty's answer for bundle b and roster ros at at.
func dutyOf(b *bundle.Bundle, ros *dispatch.Roster, at time.Time) dutyJSON {
	officers := map[string][]shiftJSON{}
	for _, sh := range ros.OnDutyAt(at) {
		officers[sh.Subject] = append(officers[sh.Subject], shiftOut(sh))
	}
	post := func(f bundle.Facility) *dutyPost {
		p := &dutyPost{Code: f.Code, Name: f.Name, Officers: officers[f.Code], DefaultDuty: !ros.HasShifts(f.Code)}
		if p.Officers == nil {
			p.Officers = []shiftJSON{}
		}
		p.OnDuty = p.DefaultDuty || len(p.Officers) > 0
		return p
	}
	out := dutyJSON{At: at, Shifts: ros.Len(), Streets: make([]dutyStreet, 0, len(b.Streets))}
	idx := map[bundle.StreetCode]int{}
	for i, st := range b.Streets {
		idx[st.Code] = i
		out.Streets = append(out.Streets, dutyStreet{Code: string(st.Code), Name: st.Name,
			Patrols: dutyUnits{OnDuty: []string{}}, Workers: dutyUnits{OnDuty: []string{}}})
	}
	for _, f := range b.Facilities {
		switch f.Kind {
		case bundle.Centre:
			out.Centre = post(f)
		case bundle.Subcentre:
			if i, ok := idx[f.Street]; ok {
				out.Streets[i].Subcentre = post(f)
			}
		}
	}
	for _, p := range b.Patrols {
		i, ok := idx[p.Street]
		if !ok {
			continue
		}
		u := &out.Streets[i].Patrols
		u.Total++
		if ros.OnDuty(p.ID, at) {
			u.OnDuty = append(u.OnDuty, p.ID)
		}
	}
	commStreet := map[bundle.CommunityCode]bundle.StreetCode{}
	for _, cm := range b.Communities {
		commStreet[cm.Code] = cm.Street
	}
	for _, wk := range b.Workers {
		i, ok := idx[commStreet[wk.Community]]
		if !ok {
			continue
		}
		u := &out.Streets[i].Workers
		u.Total++
		if ros.OnDuty(wk.ID, at) {
			u.OnDuty = append(u.OnDuty, wk.ID)
		}
	}
	t := &out.Totals
	if out.Centre != nil {
		t.Posts++
		if out.Centre.OnDuty {
			t.PostsStaffed++
		}
	}
	for i := range out.Streets {
		st := &out.Streets[i]
		slices.Sort(st.Patrols.OnDuty)
		slices.Sort(st.Workers.OnDuty)
		st.Patrols.Count, st.Workers.Count = len(st.Patrols.OnDuty), len(st.Workers.OnDuty)
		t.Patrols += st.Patrols.Total
		t.PatrolsOnDuty += st.Patrols.Count
		t.Workers += st.Workers.Total
		t.WorkersOnDuty += st.Workers.Count
		t.Streets++
		if st.Patrols.Count > 0 {
			t.StreetsCovered++
		}
		if st.Subcentre != nil {
			t.Posts++
			if st.Subcentre.OnDuty {
				t.PostsStaffed++
			}
		}
	}
	return out
}

// pollRoster reloads the roster on Watch's tick, so that changes made by
// another replica or by gridctl reach this one within PlanPoll.
func (s *Server) pollRoster(ctx context.Context) {
	if err := s.reloadRoster(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("poll duty roster", "err", err.Error())
	}
}

// RosterChanged reloads the roster now: the event stream calls it when
// any replica changes the roster (shifts.changed over PostgreSQL
// LISTEN/NOTIFY), so that OnDuty follows within the event's latency
// instead of Watch's poll. It runs on the caller's goroutine.
func (s *Server) RosterChanged(ctx context.Context) {
	if err := s.reloadRoster(ctx); err != nil && ctx.Err() == nil {
		s.log.Warn("reload duty roster after shifts.changed", "err", err.Error())
	}
}
