package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
)

// JobKindPlan is the kind of the jobs POST /plans starts.
const JobKindPlan jobs.Kind = "plan"

// planRequest is POST /plans's body: gridctl plan's parameters. Absent
// numbers take gridplan.DefaultParams.
type planRequest struct {
	Name           string                 `json:"name,omitempty"`
	Seed           int64                  `json:"seed"`
	UrbanTarget    int                    `json:"urban_target"`
	RuralTarget    int                    `json:"rural_target"`
	TolerancePct   float64                `json:"tolerance_pct"`
	RefineSharePct float64                `json:"refine_share_pct"`
	Previous       gridplan.PlanID        `json:"previous,omitempty"`
	Locked         []bundle.GridCode      `json:"locked,omitempty"`
	Communities    []bundle.CommunityCode `json:"communities,omitempty"`
}

// planRequestWire is planRequest as sent: pointers tell absent from zero,
// and codes stay strings so a bad one is reported by its field.
type planRequestWire struct {
	Name           *string   `json:"name"`
	Seed           *int64    `json:"seed"`
	UrbanTarget    *int      `json:"urban_target"`
	RuralTarget    *int      `json:"rural_target"`
	TolerancePct   *float64  `json:"tolerance_pct"`
	RefineSharePct *float64  `json:"refine_share_pct"`
	Previous       *int64    `json:"previous"`
	Locked         *[]string `json:"locked"`
	Communities    *[]string `json:"communities"`
}

// Limits of a plan request.
const (
	maxPlanTarget   = 100000
	maxPlanCodes    = 10000
	maxPlanNameLen  = 200
	maxPlanCodeLen  = 40
	planRequestBody = 1 << 20
)

// parsePlanRequest reads POST /plans's body strictly: a JSON object of
// the known fields only, each in range; every refusal is errs.Invalid
// naming the field (seed, urban_target, rural_target, tolerance_pct,
// refine_share_pct, previous, locked[i], communities[i], name, or body).
// It never returns a zero value it was not sent: absent fields take
// gridplan.DefaultParams.
func parsePlanRequest(raw []byte) (planRequest, error) {
	def := gridplan.DefaultParams()
	out := planRequest{Seed: def.Seed, UrbanTarget: def.UrbanTarget, RuralTarget: def.RuralTarget,
		TolerancePct: def.TolerancePct, RefineSharePct: gridplan.DefaultRefineSharePct}
	if len(bytes.TrimSpace(raw)) == 0 {
		return out, errs.E(errs.Invalid, "body", "send a JSON object of plan parameters ({} for the defaults)")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var w planRequestWire
	if err := dec.Decode(&w); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return out, errs.E(errs.Invalid, te.Field, "want a %s, got a JSON %s", te.Type, te.Value)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			if name == "" {
				name = `""`
			}
			return out, errs.E(errs.Invalid, clip.Text(name, 40), "not a plan parameter (seed, urban_target, rural_target, tolerance_pct, refine_share_pct, previous, locked, communities, name)")
		}
		return out, errs.E(errs.Invalid, "body", "not a JSON object of plan parameters: %s", clip.Text(err.Error(), 120))
	}
	if _, err := dec.Token(); err != io.EOF {
		return out, errs.E(errs.Invalid, "body", "data after the JSON object")
	}
	if w.Name != nil {
		if len(*w.Name) > maxPlanNameLen || !utf8.ValidString(*w.Name) {
			return out, errs.E(errs.Invalid, "name", "want UTF-8 text of at most %d bytes", maxPlanNameLen)
		}
		out.Name = strings.TrimSpace(*w.Name)
	}
	if w.Seed != nil {
		out.Seed = *w.Seed
	}
	for _, t := range []struct {
		field string
		v     *int
		dst   *int
	}{{"urban_target", w.UrbanTarget, &out.UrbanTarget}, {"rural_target", w.RuralTarget, &out.RuralTarget}} {
		if t.v == nil {
			continue
		}
		if *t.v < 1 || *t.v > maxPlanTarget {
			return out, errs.E(errs.Invalid, t.field, "households a grid must be in 1..%d, got %d", maxPlanTarget, *t.v)
		}
		*t.dst = *t.v
	}
	for _, f := range []struct {
		field string
		v     *float64
		dst   *float64
	}{{"tolerance_pct", w.TolerancePct, &out.TolerancePct}, {"refine_share_pct", w.RefineSharePct, &out.RefineSharePct}} {
		if f.v == nil {
			continue
		}
		if !(*f.v > 0 && *f.v < 100) {
			return out, errs.E(errs.Invalid, f.field, "a percentage in (0, 100), got %v", *f.v)
		}
		*f.dst = *f.v
	}
	if w.Previous != nil {
		if *w.Previous < 1 {
			return out, errs.E(errs.Invalid, "previous", "a plan id (a positive integer), got %d", *w.Previous)
		}
		out.Previous = gridplan.PlanID(*w.Previous)
	}
	codes := func(field string, in *[]string) ([]string, error) {
		if in == nil {
			return nil, nil
		}
		if len(*in) > maxPlanCodes {
			return nil, errs.E(errs.Invalid, field, "at most %d codes, got %d", maxPlanCodes, len(*in))
		}
		seen := make(map[string]bool, len(*in))
		for i, c := range *in {
			f := fmt.Sprintf("%s[%d]", field, i)
			if c == "" || len(c) > maxPlanCodeLen || strings.TrimSpace(c) != c || !utf8.ValidString(c) {
				return nil, errs.E(errs.Invalid, f, "want a code of 1 to %d bytes without spaces around, got %q", maxPlanCodeLen, clip.Text(c, maxPlanCodeLen))
			}
			if seen[c] {
				return nil, errs.E(errs.Invalid, f, "%q is given twice", c)
			}
			seen[c] = true
		}
		return *in, nil
	}
	locked, err := codes("locked", w.Locked)
	if err != nil {
		return out, err
	}
	comms, err := codes("communities", w.Communities)
	if err != nil {
		return out, err
	}
	for _, c := range locked {
		out.Locked = append(out.Locked, bundle.GridCode(c))
	}
	for _, c := range comms {
		out.Communities = append(out.Communities, bundle.CommunityCode(c))
	}
	if out.Previous == 0 && (len(out.Locked) > 0 || len(out.Communities) > 0) {
		field := "locked"
		if len(out.Locked) == 0 {
			field = "communities"
		}
		return out, errs.E(errs.Invalid, field, "locked grids and communities to re-plan need a previous plan (previous)")
	}
	return out, nil
}

// params is the request as partitioner parameters (no warm start yet).
func (q planRequest) params() gridplan.Params {
	p := gridplan.Params{UrbanTarget: q.UrbanTarget, RuralTarget: q.RuralTarget, TolerancePct: q.TolerancePct, Seed: q.Seed}
	if q.RefineSharePct != gridplan.DefaultRefineSharePct {
		p.RefineSharePct = q.RefineSharePct // the default stays implicit, as gridctl plan stores it
	}
	return p
}

// planJobResult is a plan job's result.
type planJobResult struct {
	Plan       gridplan.PlanID `json:"plan"`
	URL        string          `json:"url"`
	Grids      int             `json:"grids"`
	Households int             `json:"households"`
	// Report is the partition report without its per-grid rows (the
	// whole report is the plan's, GET /plans/{id}).
	Report     json.RawMessage `json:"report"`
	Validation struct {
		Errors   int `json:"errors"`
		Warnings int `json:"warnings"`
	} `json:"validation"`
}

// postPlan is POST /plans: checks the parameters (400 naming the field;
// no job starts) and starts a job that partitions the stored bundle with
// them (warm from plan previous when given) and stores the result as a
// new draft. 202 with the job, Location /jobs/{id}.
func (s *Server) postPlan(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Jobs == nil {
		return errs.E(errs.Unavailable, "", "this server runs no background jobs")
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), mediaJSON) {
		return errs.E(errs.Unsupported, "Content-Type", "send the parameters as %s, not %q", mediaJSON, clip.Text(ct, 60))
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, planRequestBody+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", mbe.Limit)
		}
		return errs.Wrap(errs.Invalid, err, "cannot read the body")
	}
	if len(raw) > planRequestBody {
		return errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", planRequestBody)
	}
	q, err := parsePlanRequest(raw)
	if err != nil {
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
	p := q.params()
	if err := p.Validate(); err != nil {
		return err
	}
	warm := gridplan.Warm{Locked: q.Locked, Communities: q.Communities}
	if q.Previous != 0 {
		prev, err := s.st.Plan(r.Context(), q.Previous)
		if errs.Is(err, errs.NotFound) {
			return errs.E(errs.Invalid, "previous", "there is no plan %d", q.Previous)
		} else if err != nil {
			return err
		}
		warm.Previous = prev.Grids
	}
	ws, err := warm.Apply(b, &p)
	if err != nil {
		return err
	}
	name := q.Name
	if name == "" {
		name = fmt.Sprintf("plan seed %d (%d urban / %d rural)", q.Seed, q.UrbanTarget, q.RuralTarget)
		if q.Previous != 0 {
			name += fmt.Sprintf(", warm from %d", q.Previous)
		}
	}
	params, err := json.Marshal(q)
	if err != nil {
		return errs.Wrap(errs.Internal, err, "encode the plan parameters")
	}
	work := s.planWork(q, p, ws, b, name)
	key, keyed := "", false
	if _, keyed = r.Header[idemHeader]; keyed {
		if key, err = planJobKey(r); err != nil {
			return err
		}
		if done, err := s.replayPlanJob(w, r, key, params); done || err != nil {
			return err
		}
	}
	j, err := s.cfg.Jobs.SubmitKeyed(r.Context(), JobKindPlan, params, key, work)
	if keyed && errs.Is(err, errs.Conflict) {
		// A concurrent try of the same request (here or on another
		// replica) stored its job first: answer that one.
		if done, rerr := s.replayPlanJob(w, r, key, params); done || rerr != nil {
			return rerr
		}
	}
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/jobs/%d", j.ID))
	return writeJSON(w, r, http.StatusAccepted, mediaJSON, newJobJSON(j))
}

// planWork is a plan job's work: partition the warm-started bundle with
// p, store the result as a draft named name (parent q.Previous, the kept
// grids with their units) and answer the draft, its figures and its
// validation counts.
func (s *Server) planWork(q planRequest, p gridplan.Params, ws *gridplan.WarmStart, b *bundle.Bundle, name string) jobs.Work {
	return func(ctx context.Context, progress func(done, total int)) (json.RawMessage, error) {
		p.Progress = progress
		// Leave a core to the requests: gridd runs on small machines.
		p.MaxWorkers = max(runtime.GOMAXPROCS(0)-1, 1)
		plan, rep, err := partition.Plan(ctx, ws.Bundle, p)
		if err != nil {
			return nil, err
		}
		p.Progress = nil
		draft := &gridplan.Plan{Name: name, Parent: q.Previous, Params: p, Grids: ws.Merge(plan.Grids), Units: plan.Units}
		if len(ws.Kept) > 0 {
			// The grids kept from the previous plan keep its units.
			codes := make([]bundle.GridCode, len(ws.Kept))
			for i, g := range ws.Kept {
				codes[i] = g.Code
			}
			kept, err := s.st.PlanUnits(ctx, q.Previous, codes...)
			if err != nil {
				return nil, err
			}
			draft.Units = append(draft.Units, kept...)
		}
		draft.Params.Previous, draft.Params.Locked = nil, nil
		if draft.Report, err = json.Marshal(rep); err != nil {
			return nil, errs.Wrap(errs.Internal, err, "encode the report")
		}
		fs := gridplan.Validate(draft, b)
		id, err := s.st.CreatePlan(context.WithoutCancel(ctx), draft)
		if err != nil {
			return nil, err
		}
		res := planJobResult{Plan: id, URL: fmt.Sprintf("/plans/%d", id), Grids: len(draft.Grids)}
		for _, g := range draft.Grids {
			res.Households += g.Households
		}
		var sum map[string]json.RawMessage
		if err := json.Unmarshal(draft.Report, &sum); err != nil {
			return nil, errs.Wrap(errs.Internal, err, "decode the report")
		}
		delete(sum, "per_grid")
		if res.Report, err = json.Marshal(sum); err != nil {
			return nil, errs.Wrap(errs.Internal, err, "encode the report")
		}
		res.Validation.Errors, res.Validation.Warnings = len(fs.Errors()), len(fs.Warnings())
		return json.Marshal(res)
	}
}

// planJobKey is the Idempotency-Key of POST /plans: one, valid.
func planJobKey(r *http.Request) (string, error) {
	if len(r.Header.Values(idemHeader)) > 1 {
		return "", errs.E(errs.Invalid, idemHeader, "send one %s", idemHeader)
	}
	key := r.Header.Get(idemHeader)
	return key, jobs.CheckKey(key, false)
}

// replayPlanJob answers the job a POST /plans with key made before, if
// any: 202 with its Location and state, marked Idempotent-Replayed, when
// it was made with the same parameters; 422 naming the header when the
// key was used for other parameters.
func (s *Server) replayPlanJob(w http.ResponseWriter, r *http.Request, key string, params json.RawMessage) (bool, error) {
	j, err := s.st.JobByKey(r.Context(), key)
	if errs.Is(err, errs.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if j.Kind != JobKindPlan || !sameJSON(j.Params, params) {
		return false, &errs.Error{Code: errs.Invalid, Field: idemHeader, Err: store.ErrKeyReused,
			Msg: "this key was used for another request (job " + j.ID.String() + "); send a new key for a new request"}
	}
	w.Header().Set("Location", fmt.Sprintf("/jobs/%d", j.ID))
	w.Header().Set("Idempotent-Replayed", "true")
	return true, writeJSON(w, r, http.StatusAccepted, mediaJSON, newJobJSON(j))
}

// jobJSON is a job as GET /jobs/{id} answers it.
type jobJSON struct {
	ID       jobs.ID         `json:"id"`
	Kind     jobs.Kind       `json:"kind"`
	Status   jobs.Status     `json:"status"`
	Params   json.RawMessage `json:"params,omitempty"`
	Progress struct {
		Done     int      `json:"done"`
		Total    int      `json:"total"`
		Fraction *float64 `json:"fraction"`
	} `json:"progress"`
	Created  time.Time       `json:"created"`
	Started  *time.Time      `json:"started"`
	Finished *time.Time      `json:"finished"`
	Updated  time.Time       `json:"updated"`
	Result   json.RawMessage `json:"result,omitempty"`
	Error    json.RawMessage `json:"error,omitempty"`
}

func newJobJSON(j *jobs.Job) jobJSON {
	out := jobJSON{ID: j.ID, Kind: j.Kind, Status: j.Status, Params: j.Params, Created: j.CreatedAt.UTC(), Updated: j.UpdatedAt.UTC(),
		Result: j.Result, Error: j.Error}
	out.Progress.Done, out.Progress.Total = j.Done, j.Total
	if j.Total > 0 {
		f := float64(j.Done) / float64(j.Total)
		out.Progress.Fraction = &f
	}
	if !j.StartedAt.IsZero() {
		t := j.StartedAt.UTC()
		out.Started = &t
	}
	if !j.FinishedAt.IsZero() {
		t := j.FinishedAt.UTC()
		out.Finished = &t
	}
	return out
}

// getJob is GET /jobs/{id}: a job's status, progress, times and result or
// error (problem details), from the store: any replica answers.
func (s *Server) getJob(w http.ResponseWriter, r *http.Request) error {
	raw := mux.Vars(r)["id"]
	id, err := jobs.ParseID(raw)
	if err != nil {
		return err
	}
	j, err := s.st.Job(r.Context(), id)
	if err != nil {
		return err
	}
	if !j.Status.Finished() {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, r, http.StatusOK, mediaJSON, newJobJSON(j))
}

// JobProblem is a job's failure as problem details (jobs.Config.Problem):
// the document the same error would answer over HTTP, its status chosen
// by statusOf; internal errors are logged and answered generically.
func (s *Server) JobProblem(err error) json.RawMessage {
	status := statusOf(err)
	p := Problem{Title: http.StatusText(status), Status: status, Type: problemTypeBase + string(errs.CodeOf(err))}
	if e, ok := errs.As(err); ok && (status < 500 || e.Code == errs.Unavailable) {
		p.Detail, p.Field = e.Msg, e.Field
		var x extraProblem
		if errors.As(err, &x) {
			p.Extra = x.ProblemExtra()
		}
	} else {
		s.log.Error("job failed", "err", err.Error())
		p.Detail = "an internal error occurred; it has been logged"
	}
	b, merr := json.Marshal(p)
	if merr != nil {
		return json.RawMessage(fmt.Sprintf(`{"type":%q,"title":%q,"status":%d}`, p.Type, p.Title, p.Status))
	}
	return b
}

// sameJSON reports whether a and b are the same JSON value (a store may
// keep JSON normalised: PostgreSQL's jsonb orders keys and spaces them).
func sameJSON(a, b json.RawMessage) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
