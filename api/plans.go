package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/gridd/gridd/access"
	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/events"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/clip"
	"github.com/gridd/gridd/store"
)

// planRoutes registers the planner's routes: plans, their validation,
// drafts, grid uploads, publishing and diffs. Every one needs the planner
// role (or admin).
func (s *Server) planRoutes(r *mux.Router, get func(string, handlerFunc)) {
	planner := s.requireAny(access.Planner)
	post := func(path string, h handlerFunc) { r.Handle(path, s.adapt(planner(h))).Methods(http.MethodPost) }
	get("/plans", planner(s.listPlans))
	get("/plans/{id}", planner(s.getPlan))
	get("/plans/{id}/validation", planner(s.planValidation))
	get("/plans/{a}/diff/{b}", planner(s.planDiff))
	get("/plans/{id}/units", planner(s.planUnits))
	post("/plans/{id}/drafts", s.postDraft)
	post("/plans/{id}/publish", s.publishPlan)
	post("/plans/{id}/grids", s.putPlanGrids)
	post("/plans/{id}/edits", s.postEdit)
	post("/plans", s.postPlan)           // api/jobs.go
	get("/jobs/{id}", planner(s.getJob)) // api/jobs.go
}

// planSummaryJSON is a plan in GET /plans and GET /plans/{id}.
type planSummaryJSON struct {
	ID         gridplan.PlanID  `json:"id"`
	Name       string           `json:"name"`
	Status     gridplan.Status  `json:"status"`
	Parent     *gridplan.PlanID `json:"parent"`
	Grids      int              `json:"grids"`
	Households int              `json:"households"`
	Created    time.Time        `json:"created"`
	Published  *time.Time       `json:"published,omitempty"`
	Report     json.RawMessage  `json:"report,omitempty"`
	GridList   []planGridJSON   `json:"grid_list,omitempty"`
	Validation string           `json:"validation,omitempty"`
}

// planGridJSON is one grid of GET /plans/{id} (geometry: the grids
// collection with ?plan=ID, or the plan's GeoJSON export).
type planGridJSON struct {
	Code       bundle.GridCode      `json:"code"`
	Community  bundle.CommunityCode `json:"community"`
	Kind       bundle.Kind          `json:"kind"`
	Households int                  `json:"households"`
	Target     int                  `json:"target"`
	Locked     bool                 `json:"locked,omitempty"`
}

func summaryJSON(p gridplan.Summary) planSummaryJSON {
	out := planSummaryJSON{ID: p.ID, Name: p.Name, Status: p.Status, Grids: p.Grids, Households: p.Households,
		Created: p.CreatedAt.UTC(), Report: p.Report}
	if p.Parent != 0 {
		parent := p.Parent
		out.Parent = &parent
	}
	if !p.PublishedAt.IsZero() {
		at := p.PublishedAt.UTC()
		out.Published = &at
	}
	return out
}

func planID(r *http.Request, name string) (gridplan.PlanID, error) {
	id, err := gridplan.ParsePlanID(mux.Vars(r)[name])
	if err != nil {
		return 0, errs.E(errs.Invalid, name, "%q is not a plan id (a positive integer)", clip.Text(mux.Vars(r)[name], 40))
	}
	return id, nil
}

// listPlans is GET /plans: every plan, newest first.
func (s *Server) listPlans(w http.ResponseWriter, r *http.Request) error {
	plans, err := s.st.Plans(r.Context())
	if err != nil {
		return err
	}
	out := make([]planSummaryJSON, len(plans))
	for i, p := range plans {
		out[i] = summaryJSON(p)
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{"plans": out})
}

// getPlan is GET /plans/{id}: one plan with its grids' figures.
func (s *Server) getPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.st.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	sum := gridplan.Summary{ID: p.ID, Name: p.Name, Status: p.Status, Parent: p.Parent, Grids: len(p.Grids),
		Report: p.Report, CreatedAt: p.CreatedAt, PublishedAt: p.PublishedAt}
	grids := make([]planGridJSON, len(p.Grids))
	for i, g := range p.Grids {
		sum.Households += g.Households
		grids[i] = planGridJSON{Code: g.Code, Community: g.Community, Kind: g.Kind, Households: g.Households, Target: g.Target, Locked: g.Locked}
	}
	out := summaryJSON(sum)
	out.GridList = grids
	out.Validation = fmt.Sprintf("/plans/%d/validation", id)
	return writeJSON(w, r, http.StatusOK, mediaJSON, out)
}

// validationJSON is GET /plans/{id}/validation's answer.
type validationJSON struct {
	Plan     gridplan.PlanID   `json:"plan"`
	Errors   gridplan.Findings `json:"errors"`
	Warnings gridplan.Findings `json:"warnings"`
}

func newValidationJSON(id gridplan.PlanID, fs gridplan.Findings) validationJSON {
	v := validationJSON{Plan: id, Errors: fs.Errors(), Warnings: fs.Warnings()}
	if v.Errors == nil {
		v.Errors = gridplan.Findings{}
	}
	if v.Warnings == nil {
		v.Warnings = gridplan.Findings{}
	}
	return v
}

// planValidation is GET /plans/{id}/validation: gridplan.Validate of the
// stored plan against the stored bundle.
func (s *Server) planValidation(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	_, fs, err := store.ValidatePlan(r.Context(), s.st, id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, newValidationJSON(id, fs))
}

// postDraft is POST /plans/{id}/drafts: a copy of plan id as a new draft
// whose parent is id; 201 with the draft's id.
func (s *Server) postDraft(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.st.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	if _, keyed := r.Header[idemHeader]; keyed {
		return s.postDraftKeyed(w, r, id, draftName(p)) // api/idempotency.go
	}
	// Grids, locks and planning units copied in one transaction.
	nid, err := s.st.CreateDraft(r.Context(), id, draftName(p))
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/plans/%d", nid))
	return writeJSON(w, r, http.StatusCreated, mediaJSON, draftJSON(nid, id))
}

// draftJSON is the answer to POST /plans/{id}/drafts.
func draftJSON(id, parent gridplan.PlanID) map[string]any {
	return map[string]any{"id": id, "parent": parent, "status": gridplan.Draft}
}

func draftName(p *gridplan.Plan) string {
	name := strings.TrimSpace(p.Name)
	if name == "" {
		name = "plan"
	}
	return fmt.Sprintf("draft of %d (%s)", p.ID, clip.Text(name, 80))
}

// publishPlan is POST /plans/{id}/publish: validation must pass (else 409
// listing the findings); the plan is published in one transaction and
// this server's catalogue and locator swap to it atomically. Publishing
// an archived plan again is a rollback; publishing the published plan is
// a no-op, so a retried request is harmless.
func (s *Server) publishPlan(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	fs, err := store.Publish(r.Context(), s.st, id)
	if err != nil {
		return err
	}
	s.publisher().Publish(r.Context(), events.New(events.PlanPublished, time.Now(), nil, map[string]any{"plan": id}))
	rebuilt := true
	if err := s.Rebuild(r.Context()); err != nil {
		// The plan is published; Watch retries the swap.
		rebuilt = false
		s.log.WarnContext(r.Context(), "rebuild after publish", "plan", int64(id), "err", err.Error())
	}
	rerouted := 0
	if rebuilt && s.cfg.Cases != nil {
		// Open cases follow their point to its grid in the new plan, each
		// with a reroute event; a failure here leaves the rest to the next
		// start's catch-up (cmd/gridd) and does not undo the publish.
		if rerouted, err = s.cfg.Cases.RerouteOpen(r.Context(), id.String()); err != nil {
			s.log.WarnContext(r.Context(), "re-route open cases after publish", "plan", int64(id), "err", err.Error())
		}
	}
	v := newValidationJSON(id, fs)
	return writeJSON(w, r, http.StatusOK, mediaJSON, map[string]any{
		"id": id, "status": gridplan.Published, "warnings": v.Warnings, "catalogue_rebuilt": rebuilt, "cases_rerouted": rerouted})
}

// putPlanGrids is POST /plans/{id}/grids: a GeoJSON FeatureCollection of
// grids (gridplan.ReadGeoJSON's format, e.g. edited in QGIS) replaces a
// draft's grids after full validation against the stored bundle. A
// failing upload changes nothing and answers 422 listing every problem
// (unreadable features) or every finding.
func (s *Server) putPlanGrids(w http.ResponseWriter, r *http.Request) error {
	id, err := planID(r, "id")
	if err != nil {
		return err
	}
	if ct := strings.ToLower(r.Header.Get("Content-Type")); ct != "" && !strings.HasPrefix(ct, mediaGeoJSON) && !strings.HasPrefix(ct, mediaJSON) {
		return errs.E(errs.Unsupported, "Content-Type", "send a GeoJSON FeatureCollection as %s, not %q", mediaGeoJSON, clip.Text(ct, 60))
	}
	p, err := s.st.Plan(r.Context(), id)
	if err != nil {
		return err
	}
	if p.Status != gridplan.Draft {
		return store.ErrNotDraft(id, p.Status)
	}
	grids, err := gridplan.ReadGeoJSON(r.Body)
	if err != nil {
		return uploadProblem(err)
	}
	b, err := s.st.Bundle(r.Context())
	if err != nil {
		return err
	}
	next := *p
	next.Grids = grids
	fs := gridplan.Validate(&next, b)
	if n := len(fs.Errors()); n > 0 {
		return &store.FindingsError{Findings: fs,
			Err: errs.E(errs.Invalid, "body", "the grids fail validation with %d error(s); plan %d is unchanged", n, id)}
	}
	if err := s.st.ReplaceGrids(r.Context(), id, grids); err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, newValidationJSON(id, fs))
}

// uploadProblem turns a FeatureCollection that cannot be read into a 422
// listing every problem (413 stays 413).
func uploadProblem(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "body", "the body is larger than %d bytes", mbe.Limit)
	}
	if !errs.Is(err, errs.Invalid) {
		return err
	}
	var list errs.List
	if !errors.As(err, &list) {
		if e, ok := errs.As(err); ok {
			list = errs.List{e}
		}
	}
	probs := make([]map[string]string, len(list))
	for i, e := range list {
		probs[i] = map[string]string{"field": e.Field, "message": e.Msg}
	}
	return &listProblem{err: errs.E(errs.Invalid, "body", "the FeatureCollection has %d problem(s); the plan is unchanged", len(list)), problems: probs}
}

// listProblem is an Invalid body answered with every problem found.
type listProblem struct {
	err      error
	problems []map[string]string
}

func (e *listProblem) Error() string { return e.err.Error() }
func (e *listProblem) Unwrap() error { return e.err }
func (e *listProblem) ProblemExtra() map[string]any {
	return map[string]any{"errors": e.problems, "warnings": []any{}}
}

// planDiff is GET /plans/{a}/diff/{b}: the grids added, removed and
// changed from plan a to plan b and the impact of the switch
// (gridplan.Diff over the stored bundle and, when the case service is
// there, the open cases); with Accept: application/geo+json or
// ?f=geojson the changed areas as a FeatureCollection
// (gridplan.DiffFeatures).
func (s *Server) planDiff(w http.ResponseWriter, r *http.Request) error {
	aID, err := planID(r, "a")
	if err != nil {
		return err
	}
	ct, err := negotiate(r, mediaJSON, mediaGeoJSON)
	if err != nil {
		return err
	}
	bID, err := planID(r, "b")
	if err != nil {
		return err
	}
	a, err := s.st.Plan(r.Context(), aID)
	if err != nil {
		return err
	}
	b, err := s.st.Plan(r.Context(), bID)
	if err != nil {
		return err
	}
	bu, err := s.st.Bundle(r.Context())
	if err != nil {
		return err
	}
	open, err := s.openCasePoints(r)
	if err != nil {
		return err
	}
	d, err := gridplan.Diff(a, b, bu, open)
	if err != nil {
		return err
	}
	if ct == mediaGeoJSON { // the changed areas
		return writeJSON(w, r, http.StatusOK, mediaGeoJSON, gridplan.DiffFeatures(a, b, d))
	}
	return writeJSON(w, r, http.StatusOK, mediaJSON, d)
}

// openStages are the stages of a case not yet closed.
var openStages = []cases.Stage{cases.Reported, cases.Filed, cases.Dispatched, cases.Handling, cases.Resolved}

// openCasePoints lists the open cases' locations, nil without a case
// service.
func (s *Server) openCasePoints(r *http.Request) ([]gridplan.Point, error) {
	if s.cfg.Cases == nil {
		return nil, nil
	}
	const page = 1000
	out := []gridplan.Point{}
	for _, st := range openStages {
		for off := 0; ; off += page {
			cs, _, err := s.cfg.Cases.Store.Cases(r.Context(), cases.CaseFilter{Stage: st, Limit: page, Offset: off})
			if err != nil {
				return nil, err
			}
			for _, c := range cs {
				out = append(out, gridplan.Point{ID: strconv.FormatInt(int64(c.ID), 10), Loc: c.Loc})
			}
			if len(cs) < page {
				break
			}
		}
	}
	return out, nil
}
