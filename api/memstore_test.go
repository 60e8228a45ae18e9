package api

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cql2"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/geo"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/jobs"
	"github.com/gridd/gridd/store"
)

// memStore is an in-memory test double of store.Store for handler tests:
// the HTTP edge is what these tests exercise; the real stores are used by
// the end-to-end tests in cmd/gridd.
type memStore struct {
	mu      sync.Mutex
	b       *bundle.Bundle
	plans   []*gridplan.Plan
	patrols map[string]dispatch.PositionReport   // current reports
	history map[string][]dispatch.PositionReport // by unit
	held    map[string]int64                     // unit → case it holds (tests set it)
	pingErr error
	featErr error // returned by Features when set
	calls   int   // Features calls, to prove the catalogue serves from memory

	shifts map[string]bundle.Shift // the roster (shifts_mem_test.go)

	jobs  jobs.MemStore                  // jobs_memstore_test.go
	keyed map[keyedKey]store.KeyedAnswer // keyed edit answers (jobs_memstore_test.go)
	// draftMu makes a keyed draft's steps one, as a transaction would.
	draftMu sync.Mutex
}

var _ store.Store = (*memStore)(nil)

func (m *memStore) CreatePlan(ctx context.Context, p *gridplan.Plan) (gridplan.PlanID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cp := *p
	cp.ID = gridplan.PlanID(len(m.plans) + 1)
	cp.Status = gridplan.Draft
	cp.CreatedAt = time.Now()
	m.plans = append(m.plans, &cp)
	return cp.ID, nil
}

func (m *memStore) plan(id gridplan.PlanID) (*gridplan.Plan, error) {
	for _, p := range m.plans {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, errs.E(errs.NotFound, "plan", "no plan %d", id)
}

func (m *memStore) Plan(ctx context.Context, id gridplan.PlanID) (*gridplan.Plan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.plan(id)
}

func (m *memStore) PublishedPlan(ctx context.Context) (*gridplan.Plan, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range m.plans {
		if p.Status == gridplan.Published {
			return p, nil
		}
	}
	return nil, errs.E(errs.NotFound, "plan", "no published plan")
}

func (m *memStore) Plans(ctx context.Context) ([]gridplan.Summary, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []gridplan.Summary
	for i := len(m.plans) - 1; i >= 0; i-- {
		p := m.plans[i]
		out = append(out, gridplan.Summary{ID: p.ID, Name: p.Name, Status: p.Status, Grids: len(p.Grids)})
	}
	return out, nil
}

func (m *memStore) PublishPlan(ctx context.Context, id gridplan.PlanID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.plan(id)
	if err != nil {
		return err
	}
	for _, q := range m.plans {
		if q.Status == gridplan.Published {
			q.Status = gridplan.Archived
		}
	}
	p.Status = gridplan.Published
	return nil
}

func (m *memStore) ArchivePlan(ctx context.Context, id gridplan.PlanID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.plan(id)
	if err != nil {
		return err
	}
	p.Status = gridplan.Archived
	return nil
}

func (m *memStore) ReplaceGrids(ctx context.Context, id gridplan.PlanID, grids []gridplan.Grid) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := m.plan(id)
	if err != nil {
		return err
	}
	if p.Status != gridplan.Draft {
		return store.ErrNotDraft(id, p.Status)
	}
	p.Grids = grids
	return nil
}

func (m *memStore) ImportBundle(ctx context.Context, b *bundle.Bundle) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.b = b
	return nil
}

// Import is the steps of an import in turn (the handler tests do not
// exercise its atomicity; the store contract suite does).
func (m *memStore) Import(ctx context.Context, req store.ImportRequest) (store.ImportResult, error) {
	var res store.ImportResult
	if req.Bundle != nil {
		if err := m.ImportBundle(ctx, req.Bundle); err != nil {
			return res, err
		}
	}
	if req.Plan == nil {
		return res, nil
	}
	id, err := m.CreatePlan(ctx, req.Plan)
	if err != nil {
		return res, err
	}
	res.Plan = id
	if req.Publish {
		res.Published = true
		return res, m.PublishPlan(ctx, id)
	}
	return res, nil
}

func (m *memStore) Bundle(ctx context.Context) (*bundle.Bundle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.b == nil {
		return nil, errs.E(errs.NotFound, "bundle", "no bundle imported")
	}
	return m.b, nil
}

// all returns every feature of a layer, as the real stores shape them.
func (m *memStore) all(layer store.Layer, plan gridplan.PlanID) ([]store.Feature, error) {
	var out []store.Feature
	b := m.b
	if b == nil {
		return nil, nil
	}
	switch layer {
	case store.Streets:
		for _, s := range b.Streets {
			out = append(out, store.Feature{ID: string(s.Code), Geom: s.Geom, Props: map[string]any{"code": string(s.Code), "name": s.Name}})
		}
	case store.Communities:
		for _, c := range b.Communities {
			out = append(out, store.Feature{ID: string(c.Code), Geom: c.Geom, Props: map[string]any{
				"code": string(c.Code), "name": c.Name, "street_code": string(c.Street), "kind": string(c.Kind)}})
		}
	case store.Grids:
		var p *gridplan.Plan
		for _, q := range m.plans {
			if (plan == 0 && q.Status == gridplan.Published) || (plan != 0 && q.ID == plan) {
				p = q
			}
		}
		if p == nil {
			if plan != 0 {
				return nil, errs.E(errs.NotFound, "plan", "no plan %d", plan)
			}
			return nil, nil
		}
		for _, g := range p.Grids {
			out = append(out, store.Feature{ID: string(g.Code), Geom: g.Geom, Props: map[string]any{
				"code": string(g.Code), "plan_id": int64(p.ID), "community_code": string(g.Community), "street_code": string(g.Street),
				"kind": string(g.Kind), "households": int64(g.Households), "target": int64(g.Target)}})
		}
	case store.Buildings:
		for _, bl := range b.Buildings {
			out = append(out, store.Feature{ID: string(bl.ID), Geom: bl.Loc, Props: map[string]any{
				"id": string(bl.ID), "households": int64(bl.Households), "address": bl.Address}})
		}
	case store.Facilities:
		for _, f := range b.Facilities {
			out = append(out, store.Feature{ID: f.Code, Geom: f.Loc, Props: map[string]any{
				"code": f.Code, "kind": string(f.Kind), "name": f.Name, "street_code": string(f.Street), "community_code": string(f.Community)}})
		}
	case store.Patrols:
		for _, p := range b.Patrols {
			pos, ok := m.patrols[p.ID]
			if !ok { // never reported: at home, no time, as in the real stores
				pos = dispatch.PositionReport{Unit: p.ID, Loc: p.Loc, Status: dispatch.StatusAvailable}
			}
			var at any
			if !pos.At.IsZero() {
				at = pos.At.UTC().Format(storeTimeLayout) // as both stores write it
			}
			out = append(out, store.Feature{ID: p.ID, Geom: pos.Loc, Props: map[string]any{
				"id": p.ID, "callsign": p.Callsign, "street_code": string(p.Street), "status": string(pos.Status),
				"updated_at": at}})
		}
	case store.Cases, store.Incidents:
		// One row with every described property, at the first building
		// (the handlers serve these layers as they serve patrols).
		d, _ := store.Describe(layer)
		props := map[string]any{}
		for _, p := range d.Props {
			switch {
			case p.Int:
				props[p.Name] = int64(1)
			case p.DateTime:
				props[p.Name] = "2026-05-04T08:00:00.000000Z"
			default:
				props[p.Name] = p.Name + "-1"
			}
		}
		props["id"] = "1"
		var g orb.Geometry
		if len(b.Buildings) > 0 {
			g = b.Buildings[0].Loc
		}
		out = append(out, store.Feature{ID: "1", Geom: g, Props: props})
	default:
		return nil, errs.E(errs.Invalid, "layer", "unknown layer %q", layer)
	}
	sort.Slice(out, func(i, j int) bool { return store.IDLess(out[i].ID, out[j].ID) })
	return out, nil
}

func (m *memStore) Features(ctx context.Context, q store.Query) (store.Page, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.featErr != nil {
		return store.Page{}, m.featErr
	}
	fs, err := m.all(q.Layer, q.Plan)
	if err != nil {
		return store.Page{}, err
	}
	var page store.Page
	var matches []*entry
	for _, f := range fs {
		if q.BBox != nil && !geo.IntersectsBound(f.Geom, *q.BBox) {
			continue
		}
		ok := true
		for k, v := range q.Filters {
			if propString(f.Props[k]) != v {
				ok = false
			}
		}
		if !ok || (q.Filter != nil && !cql2.Match(q.Filter, f.Props, f.Geom)) {
			continue
		}
		matches = append(matches, &entry{f: f})
	}
	sortEntries(matches, q.SortBy)
	for _, e := range matches {
		if page.NumberMatched >= q.Offset && (q.Limit == 0 || len(page.Features) < q.Limit) {
			f := e.f
			if q.Properties != nil {
				f = selectProps(&f, q.Properties)
			}
			page.Features = append(page.Features, f)
		}
		page.NumberMatched++
	}
	return page, nil
}

func (m *memStore) Feature(ctx context.Context, layer store.Layer, plan gridplan.PlanID, id string) (store.Feature, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fs, err := m.all(layer, plan)
	if err != nil {
		return store.Feature{}, err
	}
	for _, f := range fs {
		if f.ID == id {
			return f, nil
		}
	}
	return store.Feature{}, errs.E(errs.NotFound, "id", "no %s %q", layer, id)
}

func (m *memStore) Ping(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pingErr
}

func (m *memStore) Close() error { return nil }

// square is an axis-aligned square polygon.
func square(x0, y0, x1, y1 float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}}
}

// testDistrict is a small synthetic district: 2 streets side by side,
// each with 2 communities, each with 2 grids (top and bottom halves), a few
// thousand buildings (enough for the spatial index to matter), facilities and
// patrols. Everything lies in 118.60..118.64 E, 32.00..32.02 N.
func testDistrict(seed uint64) (*bundle.Bundle, []gridplan.Grid) {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := &bundle.Bundle{District: bundle.District{Code: "320111", Name: "Test", Geom: square(118.60, 32.00, 118.64, 32.02)}}
	var grids []gridplan.Grid
	b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Centre, Code: "C", Name: "Centre", Loc: orb.Point{118.62, 32.01}})
	for s := 0; s < 2; s++ {
		sc := bundle.StreetCode(fmt.Sprintf("320111%03d", s+1))
		sx := 118.60 + 0.02*float64(s)
		b.Streets = append(b.Streets, bundle.Street{Code: sc, Name: fmt.Sprintf("Street %d", s+1), Geom: square(sx, 32.00, sx+0.02, 32.02)})
		b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Subcentre, Code: "S" + string(sc), Name: "Sub " + string(sc), Street: sc, Loc: orb.Point{sx + 0.005, 32.005}})
		b.Patrols = append(b.Patrols, bundle.Patrol{ID: fmt.Sprintf("P%d", s+1), Callsign: fmt.Sprintf("Patrol %d", s+1), Loc: orb.Point{sx + 0.01, 32.01}, Street: sc})
		for c := 0; c < 2; c++ {
			cc := bundle.CommunityCode(fmt.Sprintf("%s%03d", sc, c+1))
			cx := sx + 0.01*float64(c)
			kind := bundle.Urban
			if c == 1 {
				kind = bundle.Rural
			}
			b.Communities = append(b.Communities, bundle.Community{Code: cc, Name: "Community " + string(cc), Street: sc, Kind: kind, Geom: square(cx, 32.00, cx+0.01, 32.02)})
			b.Facilities = append(b.Facilities, bundle.Facility{Kind: bundle.Workstation, Code: "W" + string(cc), Name: "Station " + string(cc), Street: sc, Community: cc, Loc: orb.Point{cx + 0.005, 32.01}})
			b.Workers = append(b.Workers, bundle.Worker{ID: "w" + string(cc), Name: "Worker " + string(cc), Community: cc})
			for g := 0; g < 2; g++ {
				gy := 32.00 + 0.01*float64(g)
				grids = append(grids, gridplan.Grid{Code: bundle.GridCode(fmt.Sprintf("%s%03d", cc, g+1)), Community: cc, Street: sc, Kind: kind,
					Households: 400 + g, Target: 500, Geom: square(cx, gy, cx+0.01, gy+0.01)})
			}
		}
	}
	for i := 0; i < 3000; i++ {
		p := orb.Point{118.60 + 0.04*rng.Float64(), 32.00 + 0.02*rng.Float64()}
		b.Buildings = append(b.Buildings, bundle.Building{ID: bundle.BuildingID(strconv.Itoa(i + 1)), Loc: p, Households: 1 + rng.IntN(50), Address: fmt.Sprintf("Road %d No. %d", i%17, i)})
	}
	return b, grids
}

// newTestStore returns a memStore holding testDistrict with its plan
// published (plan 1) and a second draft plan (plan 2) whose grids are the
// communities themselves.
func newTestStore(seed uint64) *memStore {
	b, grids := testDistrict(seed)
	m := &memStore{b: b}
	ctx := context.Background()
	id, _ := m.CreatePlan(ctx, &gridplan.Plan{Name: "published", Grids: grids})
	_ = m.PublishPlan(ctx, id)
	var draft []gridplan.Grid
	for _, c := range b.Communities {
		draft = append(draft, gridplan.Grid{Code: bundle.GridCode(string(c.Code) + "001"), Community: c.Code, Street: c.Street, Kind: c.Kind, Households: 800, Target: 500, Geom: c.Geom})
	}
	_, _ = m.CreatePlan(ctx, &gridplan.Plan{Name: "draft", Grids: draft})
	for _, p := range b.Patrols {
		_, _ = m.ReportPositions(ctx, []dispatch.PositionReport{{Unit: p.ID, Loc: p.Loc, Status: dispatch.StatusAvailable, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}})
	}
	return m
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

func boundFrom(x0, y0, x1, y1 float64) orb.Bound {
	return orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
}

func storeQuery(layer store.Layer, b *orb.Bound) store.Query {
	return store.Query{Layer: layer, BBox: b}
}
