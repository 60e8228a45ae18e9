// Package storetest is the one contract suite every store.Store runs: the
// PostGIS store and the GeoPackage store call Run from their own tests, so
// both answer the same questions the same way.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	sfgeom "github.com/peterstace/simplefeatures/geom"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/cases"
	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// Run runs the contract suite. open returns a new, empty store for each
// subtest; the store is closed by Run.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	fresh := func(t *testing.T) store.Store {
		s := open(t)
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("ImportReadBack", func(t *testing.T) { testImportReadBack(t, fresh(t)) })
	t.Run("BadBundleLeavesNoTrace", func(t *testing.T) { testBadBundle(t, fresh(t)) })
	t.Run("PlanLifecycle", func(t *testing.T) { testPlanLifecycle(t, fresh(t)) })
	t.Run("PlanValidation", func(t *testing.T) { testPlanValidation(t, fresh(t)) })
	t.Run("Features", func(t *testing.T) { testFeatures(t, fresh(t)) })
	t.Run("Query", func(t *testing.T) { testQuery(t, fresh(t)) })
	t.Run("PatrolUpserts", func(t *testing.T) { testPatrolUpserts(t, fresh(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, fresh(t)) })
	t.Run("Cancellation", func(t *testing.T) { testCancellation(t, fresh(t)) })
	t.Run("Pukou", func(t *testing.T) { testPukou(t, fresh(t)) })
	t.Run("ImportOneTransaction", func(t *testing.T) { testImportOneTransaction(t, fresh(t)) })
	t.Run("ImportValidatesPlan", func(t *testing.T) { testImportValidatesPlan(t, fresh(t)) })
	t.Run("ImportRefusesMisfitBundle", func(t *testing.T) { testImportMisfitBundle(t, fresh(t)) })
	t.Run("ConcurrentImports", func(t *testing.T) { testConcurrentImports(t, fresh(t)) })
	t.Run("InjectedClock", func(t *testing.T) { testInjectedClock(t, fresh(t)) })
	t.Run("ReplaceGridsAndRollback", func(t *testing.T) { testReplaceGrids(t, fresh(t)) })
	t.Run("GridLocks", func(t *testing.T) { testGridLocks(t, fresh(t)) })
	t.Run("EditGrids", func(t *testing.T) { testEditGrids(t, fresh(t)) })
	t.Run("KeyedEdits", func(t *testing.T) { testKeyedEdits(t, fresh(t)) })
	t.Run("KeyedDrafts", func(t *testing.T) { testKeyedDrafts(t, fresh(t)) })
	t.Run("Jobs", func(t *testing.T) { testJobs(t, fresh(t)) })
	t.Run("JobKeys", func(t *testing.T) { testJobKeys(t, fresh(t)) })
	t.Run("PlanUnits", func(t *testing.T) { testPlanUnits(t, fresh(t)) })
	t.Run("Cases", func(t *testing.T) { runCases(t, fresh) })
	t.Run("Units", func(t *testing.T) { runUnits(t, fresh) })
	t.Run("Shifts", func(t *testing.T) { runShifts(t, fresh) })
	t.Run("Events", func(t *testing.T) { runEvents(t, fresh) })
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustImport(t *testing.T, s store.Store, b *bundle.Bundle) {
	t.Helper()
	if err := s.ImportBundle(ctxT(t), b); err != nil {
		t.Fatalf("ImportBundle: %v", err)
	}
}

func wantCode(t *testing.T, what string, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("%s: got error %v (code %q), want code %q", what, err, errs.CodeOf(err), code)
	}
}

// tol is the coordinate tolerance of a round trip: both stores keep
// float64 coordinates, so anything but bit noise is a bug.
const tol = 1e-9

func samePoint(a, b orb.Point) bool { return math.Abs(a[0]-b[0]) <= tol && math.Abs(a[1]-b[1]) <= tol }

func sameGeom(a, b orb.Geometry) bool {
	switch a := a.(type) {
	case orb.Point:
		bp, ok := b.(orb.Point)
		return ok && samePoint(a, bp)
	case orb.MultiPolygon:
		bm, ok := b.(orb.MultiPolygon)
		if !ok || len(a) != len(bm) {
			return false
		}
		for i := range a {
			if len(a[i]) != len(bm[i]) {
				return false
			}
			for j := range a[i] {
				if len(a[i][j]) != len(bm[i][j]) {
					return false
				}
				for k := range a[i][j] {
					if !samePoint(a[i][j][k], bm[i][j][k]) {
						return false
					}
				}
			}
		}
		return true
	}
	return false
}

// sorted returns a copy of b with every list in the id order stores read
// back in.
func sorted(b *bundle.Bundle) *bundle.Bundle {
	c := *b
	c.Streets = append([]bundle.Street(nil), b.Streets...)
	sort.Slice(c.Streets, func(i, j int) bool { return c.Streets[i].Code < c.Streets[j].Code })
	c.Communities = append([]bundle.Community(nil), b.Communities...)
	sort.Slice(c.Communities, func(i, j int) bool { return c.Communities[i].Code < c.Communities[j].Code })
	c.Buildings = append([]bundle.Building(nil), b.Buildings...)
	sort.Slice(c.Buildings, func(i, j int) bool { return c.Buildings[i].ID < c.Buildings[j].ID })
	c.Facilities = append([]bundle.Facility(nil), b.Facilities...)
	sort.Slice(c.Facilities, func(i, j int) bool { return c.Facilities[i].Code < c.Facilities[j].Code })
	c.Patrols = append([]bundle.Patrol(nil), b.Patrols...)
	sort.Slice(c.Patrols, func(i, j int) bool { return c.Patrols[i].ID < c.Patrols[j].ID })
	c.Workers = append([]bundle.Worker(nil), b.Workers...)
	sort.Slice(c.Workers, func(i, j int) bool { return c.Workers[i].ID < c.Workers[j].ID })
	c.Departments = append([]bundle.Department(nil), b.Departments...)
	sort.Slice(c.Departments, func(i, j int) bool { return c.Departments[i].Code < c.Departments[j].Code })
	return &c
}

// compareBundles reports the first difference between want and got.
func compareBundles(want, got *bundle.Bundle) error {
	w := sorted(want)
	if w.District.Code != got.District.Code || w.District.Name != got.District.Name || !sameGeom(w.District.Geom, got.District.Geom) {
		return fmt.Errorf("district differs: got %s %q", got.District.Code, got.District.Name)
	}
	counts := [][3]any{
		{"streets", len(w.Streets), len(got.Streets)}, {"communities", len(w.Communities), len(got.Communities)},
		{"buildings", len(w.Buildings), len(got.Buildings)}, {"facilities", len(w.Facilities), len(got.Facilities)},
		{"patrols", len(w.Patrols), len(got.Patrols)}, {"workers", len(w.Workers), len(got.Workers)},
		{"departments", len(w.Departments), len(got.Departments)},
	}
	for _, c := range counts {
		if c[1] != c[2] {
			return fmt.Errorf("%s: got %d, want %d", c[0], c[2], c[1])
		}
	}
	for i, s := range w.Streets {
		g := got.Streets[i]
		if s.Code != g.Code || s.Name != g.Name || !sameGeom(s.Geom, g.Geom) {
			return fmt.Errorf("street %d: got %s %q, want %s %q (or geometry differs)", i, g.Code, g.Name, s.Code, s.Name)
		}
	}
	for i, c := range w.Communities {
		g := got.Communities[i]
		if c.Code != g.Code || c.Name != g.Name || c.Street != g.Street || c.Kind != g.Kind || !sameGeom(c.Geom, g.Geom) {
			return fmt.Errorf("community %d: got %+v, want %+v", i, g.Code, c.Code)
		}
	}
	for i, x := range w.Buildings {
		g := got.Buildings[i]
		if x.ID != g.ID || x.Households != g.Households || x.Address != g.Address || !samePoint(x.Loc, g.Loc) {
			return fmt.Errorf("building %d: got %+v, want %+v", i, g, x)
		}
	}
	for i, x := range w.Facilities {
		g := got.Facilities[i]
		if x.Code != g.Code || x.Kind != g.Kind || x.Name != g.Name || x.Street != g.Street || x.Community != g.Community || !samePoint(x.Loc, g.Loc) {
			return fmt.Errorf("facility %d: got %+v, want %+v", i, g, x)
		}
	}
	for i, x := range w.Patrols {
		g := got.Patrols[i]
		if x.ID != g.ID || x.Callsign != g.Callsign || x.Street != g.Street || !samePoint(x.Loc, g.Loc) {
			return fmt.Errorf("patrol %d: got %+v, want %+v", i, g, x)
		}
	}
	for i, x := range w.Workers {
		if x != got.Workers[i] {
			return fmt.Errorf("worker %d: got %+v, want %+v", i, got.Workers[i], x)
		}
	}
	for i, x := range w.Departments {
		if x != got.Departments[i] {
			return fmt.Errorf("department %d: got %+v, want %+v", i, got.Departments[i], x)
		}
	}
	return nil
}

func testImportReadBack(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if _, err := s.Bundle(ctx); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Bundle of an empty store: got %v, want NotFound", err)
	}
	b := SmallBundle(1)
	mustImport(t, s, b)
	got, err := s.Bundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareBundles(b, got); err != nil {
		t.Fatal(err)
	}
	// A second import replaces the first, it does not add to it.
	b2 := SmallBundle(2)
	b2.Buildings = b2.Buildings[:50]
	b2.Workers = b2.Workers[:2]
	mustImport(t, s, b2)
	got, err = s.Bundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareBundles(b2, got); err != nil {
		t.Fatalf("after re-import: %v", err)
	}
	page, err := s.Features(ctx, store.Query{Layer: store.Buildings})
	if err != nil {
		t.Fatal(err)
	}
	if page.NumberMatched != 50 || len(page.Features) != 50 {
		t.Fatalf("buildings after re-import: %d matched, %d features, want 50", page.NumberMatched, len(page.Features))
	}
}

func testBadBundle(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	bads := []struct {
		name  string
		spoil func(b *bundle.Bundle)
	}{
		{"nil", nil},
		{"NaN building", func(b *bundle.Bundle) { b.Buildings[3].Loc = orb.Point{math.NaN(), 32} }},
		{"empty community geometry", func(b *bundle.Bundle) { b.Communities[1].Geom = nil }},
		{"bad district code", func(b *bundle.Bundle) { b.District.Code = "32A" }},
		{"duplicate building id", func(b *bundle.Bundle) { b.Buildings[5].ID = b.Buildings[4].ID }},
		{"community overlapping its neighbour", func(b *bundle.Bundle) {
			g := b.Communities[0].Geom.Clone()
			for _, r := range g[0] {
				for i := range r {
					r[i][1] += 0.01
				}
			}
			b.Communities[0].Geom = g
		}},
		{"worker of an unknown community", func(b *bundle.Bundle) { b.Workers[0].Community = "320111009009" }},
	}
	run := func(t *testing.T, before *bundle.Bundle) {
		for _, bad := range bads {
			t.Run(bad.name, func(t *testing.T) {
				var b *bundle.Bundle
				if bad.spoil != nil {
					b = SmallBundle(9)
					bad.spoil(b)
				}
				err := s.ImportBundle(ctx, b)
				if err == nil {
					t.Fatal("bad bundle imported without error")
				}
				if code := errs.CodeOf(err); code != errs.Invalid && code != errs.Conflict {
					t.Errorf("bad bundle: error %v has code %q, want invalid (or conflict)", err, code)
				}
				got, err := s.Bundle(ctx)
				if before == nil {
					if !errs.Is(err, errs.NotFound) {
						t.Fatalf("after a bad bundle into an empty store: Bundle = %v, want NotFound", err)
					}
					page, err := s.Features(ctx, store.Query{Layer: store.Buildings})
					if err != nil || page.NumberMatched != 0 {
						t.Fatalf("after a bad bundle: %d buildings (%v), want none", page.NumberMatched, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := compareBundles(before, got); err != nil {
					t.Fatalf("previous data changed by a bad bundle: %v", err)
				}
			})
		}
	}
	t.Run("empty", func(t *testing.T) { run(t, nil) })
	good := SmallBundle(3)
	mustImport(t, s, good)
	t.Run("after-good", func(t *testing.T) { run(t, good) })
}

// NewPlan makes a plan over b with one grid a community (CommunityGrids).
func NewPlan(b *bundle.Bundle, name string, parent gridplan.PlanID) *gridplan.Plan {
	report, _ := json.Marshal(map[string]any{"grids": len(b.Communities), "name": name})
	return &gridplan.Plan{Name: name, Parent: parent, Params: gridplan.DefaultParams(), Report: report, Grids: CommunityGrids(b)}
}

func comparePlan(t *testing.T, want *gridplan.Plan, got *gridplan.Plan, status gridplan.Status) {
	t.Helper()
	if got.Name != want.Name || got.Status != status || got.Parent != want.Parent || got.Params.Seed != want.Params.Seed ||
		got.Params.UrbanTarget != want.Params.UrbanTarget || len(got.Grids) != len(want.Grids) {
		t.Fatalf("plan %d: got %q %s parent %d params %+v %d grids, want %q %s parent %d params %+v %d grids",
			got.ID, got.Name, got.Status, got.Parent, got.Params, len(got.Grids), want.Name, status, want.Parent, want.Params, len(want.Grids))
	}
	if len(want.Report) == 0 {
		if len(got.Report) != 0 {
			t.Fatalf("report: got %s, want none", got.Report)
		}
	} else {
		var wr, gr any
		if err := json.Unmarshal(want.Report, &wr); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(got.Report, &gr); err != nil || fmt.Sprint(wr) != fmt.Sprint(gr) {
			t.Fatalf("report: got %s, want %s", got.Report, want.Report)
		}
	}
	wg := append([]gridplan.Grid(nil), want.Grids...)
	sort.Slice(wg, func(i, j int) bool { return wg[i].Code < wg[j].Code })
	for i, g := range got.Grids {
		w := wg[i]
		if g.Code != w.Code || g.Community != w.Community || g.Street != w.Street || g.Kind != w.Kind ||
			g.Households != w.Households || g.Target != w.Target || !sameGeom(g.Geom, w.Geom) {
			t.Fatalf("grid %d: got %s %s %s %s %d/%d, want %s %s %s %s %d/%d", i, g.Code, g.Community, g.Street, g.Kind, g.Households, g.Target,
				w.Code, w.Community, w.Street, w.Kind, w.Households, w.Target)
		}
	}
	if got.CreatedAt.IsZero() {
		t.Fatal("CreatedAt not set")
	}
	if status == gridplan.Published && got.PublishedAt.IsZero() {
		t.Fatal("PublishedAt not set on the published plan")
	}
}

func testPlanLifecycle(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(4)
	mustImport(t, s, b)
	if plans, err := s.Plans(ctx); err != nil || len(plans) != 0 {
		t.Fatalf("Plans of a new store: %v %v, want none", plans, err)
	}
	_, err := s.Plan(ctx, 999)
	wantCode(t, "Plan(999)", err, errs.NotFound)
	_, err = s.PublishedPlan(ctx)
	wantCode(t, "PublishedPlan with none", err, errs.NotFound)
	wantCode(t, "PublishPlan(999)", s.PublishPlan(ctx, 999), errs.NotFound)
	wantCode(t, "ArchivePlan(999)", s.ArchivePlan(ctx, 999), errs.NotFound)
	_, err = s.Feature(ctx, store.Grids, 999, "320111001001001")
	wantCode(t, "Feature of plan 999", err, errs.NotFound)
	if page, err := s.Features(ctx, store.Query{Layer: store.Grids}); err != nil || page.NumberMatched != 0 {
		t.Fatalf("grids with no published plan: %d, %v; want an empty page", page.NumberMatched, err)
	}

	pa := NewPlan(b, "A", 0)
	a, err := s.CreatePlan(ctx, pa)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Plan(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	comparePlan(t, pa, got, gridplan.Draft)
	if !got.PublishedAt.IsZero() {
		t.Fatal("a draft has PublishedAt")
	}

	if err := s.PublishPlan(ctx, a); err != nil {
		t.Fatal(err)
	}
	pub, err := s.PublishedPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if pub.ID != a {
		t.Fatalf("published plan is %d, want %d", pub.ID, a)
	}
	comparePlan(t, pa, pub, gridplan.Published)
	if err := s.PublishPlan(ctx, a); err != nil {
		t.Fatalf("publishing the published plan again: %v", err)
	}

	// The grids layer follows the published plan.
	page, err := s.Features(ctx, store.Query{Layer: store.Grids})
	if err != nil || page.NumberMatched != len(pa.Grids) {
		t.Fatalf("published grids: %d, %v; want %d", page.NumberMatched, err, len(pa.Grids))
	}
	f, err := s.Feature(ctx, store.Grids, 0, string(pa.Grids[0].Code))
	if err != nil {
		t.Fatal(err)
	}
	if f.Props["plan_id"] != int64(a) || f.Props["households"] != int64(pa.Grids[0].Households) {
		t.Fatalf("grid feature props %v, want plan_id %d households %d", f.Props, a, pa.Grids[0].Households)
	}

	pb := NewPlan(b, "B", a)
	pb.Grids = pb.Grids[:3]
	bid, err := s.CreatePlan(ctx, pb)
	if err != nil {
		t.Fatal(err)
	}
	if bid == a {
		t.Fatal("two plans share an id")
	}
	if err := s.PublishPlan(ctx, bid); err != nil {
		t.Fatal(err)
	}
	pub, err = s.PublishedPlan(ctx)
	if err != nil || pub.ID != bid {
		t.Fatalf("after publishing B: published %v, %v; want %d", pub, err, bid)
	}
	comparePlan(t, pb, pub, gridplan.Published)
	old, err := s.Plan(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != gridplan.Archived || old.PublishedAt.IsZero() {
		t.Fatalf("the previously published plan is %s (published at %v), want archived with its publication time", old.Status, old.PublishedAt)
	}
	// Rolling back: the previously published plan is published again,
	// and B is archived; then B again.
	if err := s.PublishPlan(ctx, a); err != nil {
		t.Fatalf("publishing the previously published plan again (rollback): %v", err)
	}
	if pub, err := s.PublishedPlan(ctx); err != nil || pub.ID != a {
		t.Fatalf("after the rollback: published %v, %v; want %d", pub, err, a)
	}
	if page, err := s.Features(ctx, store.Query{Layer: store.Grids}); err != nil || page.NumberMatched != len(pa.Grids) {
		t.Fatalf("published grids after the rollback: %d, %v; want %d", page.NumberMatched, err, len(pa.Grids))
	}
	if pb, err := s.Plan(ctx, bid); err != nil || pb.Status != gridplan.Archived {
		t.Fatalf("B after the rollback: %v, %v; want archived", pb, err)
	}
	if err := s.PublishPlan(ctx, bid); err != nil {
		t.Fatal(err)
	}

	page, err = s.Features(ctx, store.Query{Layer: store.Grids})
	if err != nil || page.NumberMatched != 3 {
		t.Fatalf("published grids after B: %d, %v; want 3", page.NumberMatched, err)
	}
	page, err = s.Features(ctx, store.Query{Layer: store.Grids, Plan: a})
	if err != nil || page.NumberMatched != len(pa.Grids) {
		t.Fatalf("grids of plan A by id: %d, %v; want %d", page.NumberMatched, err, len(pa.Grids))
	}
	_, err = s.Feature(ctx, store.Grids, 0, string(pa.Grids[5].Code))
	wantCode(t, "a grid of the archived plan through the published layer", err, errs.NotFound)

	pc := NewPlan(b, "C", 0)
	c, err := s.CreatePlan(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	plans, err := s.Plans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 3 || plans[0].ID != c || plans[1].ID != bid || plans[2].ID != a {
		t.Fatalf("Plans: %+v, want C, B, A newest first", plans)
	}
	published := 0
	for _, p := range plans {
		if p.Status == gridplan.Published {
			published++
		}
	}
	if published != 1 || plans[1].Status != gridplan.Published || plans[0].Status != gridplan.Draft || plans[2].Status != gridplan.Archived {
		t.Fatalf("statuses %s %s %s, want draft published archived", plans[0].Status, plans[1].Status, plans[2].Status)
	}
	hh := 0
	for _, g := range pb.Grids {
		hh += g.Households
	}
	if plans[1].Grids != 3 || plans[1].Households != hh || plans[1].Parent != a || len(plans[1].Report) == 0 {
		t.Fatalf("summary of B: %+v, want 3 grids, %d households, parent %d, a report", plans[1], hh, a)
	}

	// Archiving the published plan leaves none published.
	if err := s.ArchivePlan(ctx, bid); err != nil {
		t.Fatal(err)
	}
	_, err = s.PublishedPlan(ctx)
	wantCode(t, "PublishedPlan after archiving it", err, errs.NotFound)
	if err := s.ArchivePlan(ctx, bid); err != nil {
		t.Fatalf("archiving an archived plan: %v", err)
	}
	if err := s.ArchivePlan(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.PublishPlan(ctx, c); err != nil {
		t.Fatalf("publishing an archived draft: %v", err)
	}
}

func testPlanValidation(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(5)
	cases := []struct {
		name  string
		spoil func(p *gridplan.Plan)
	}{
		{"no name", func(p *gridplan.Plan) { p.Name = " " }},
		{"unknown parent", func(p *gridplan.Plan) { p.Parent = 4242 }},
		{"bad grid code", func(p *gridplan.Plan) { p.Grids[2].Code = "12" }},
		{"duplicate grid", func(p *gridplan.Plan) { p.Grids[2] = p.Grids[1] }},
		{"grid outside its community", func(p *gridplan.Plan) { p.Grids[0].Community = p.Grids[1].Community }},
		{"NaN vertex", func(p *gridplan.Plan) {
			p.Grids[1].Geom = orb.MultiPolygon{{{{1, 1}, {2, math.NaN()}, {2, 2}, {1, 1}}}}
		}},
		{"empty geometry", func(p *gridplan.Plan) { p.Grids[1].Geom = nil }},
		{"bad kind", func(p *gridplan.Plan) { p.Grids[1].Kind = "suburban" }},
		{"bad report", func(p *gridplan.Plan) { p.Report = json.RawMessage("{") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := NewPlan(b, "bad", 0)
			c.spoil(p)
			_, err := s.CreatePlan(ctx, p)
			wantCode(t, "CreatePlan", err, errs.Invalid)
		})
	}
	_, err := s.CreatePlan(ctx, nil)
	wantCode(t, "CreatePlan(nil)", err, errs.Invalid)
	if plans, err := s.Plans(ctx); err != nil || len(plans) != 0 {
		t.Fatalf("rejected plans left %d plans behind (%v)", len(plans), err)
	}
}

// intersectsBox is the brute-force answer, computed with simplefeatures
// (an implementation independent of both stores).
func intersectsBox(t *testing.T, g orb.Geometry, box orb.Bound) bool {
	if g == nil {
		return false // a null geometry (an unlocated incident) is in no box
	}
	data, err := wkb.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := sfgeom.UnmarshalWKB(data)
	if err != nil {
		t.Fatal(err)
	}
	env := sfgeom.NewEnvelope(sfgeom.XY{X: box.Min[0], Y: box.Min[1]}, sfgeom.XY{X: box.Max[0], Y: box.Max[1]})
	return sfgeom.Intersects(sg, env.AsGeometry())
}

func ids(fs []store.Feature) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func testFeatures(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(6)
	mustImport(t, s, b)
	p, err := s.CreatePlan(ctx, NewPlan(b, "grids", 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PublishPlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	nIncidents, nCases := addIncidents(t, s, b)
	all := map[store.Layer][]store.Feature{}
	for _, l := range store.Layers {
		page, err := s.Features(ctx, store.Query{Layer: l})
		if err != nil {
			t.Fatalf("%s: %v", l, err)
		}
		if page.NumberMatched != len(page.Features) {
			t.Fatalf("%s: numberMatched %d with %d features and no limit", l, page.NumberMatched, len(page.Features))
		}
		all[l] = page.Features
	}
	wantN := map[store.Layer]int{store.Streets: len(b.Streets), store.Communities: len(b.Communities), store.Grids: len(b.Communities),
		store.Buildings: len(b.Buildings), store.Facilities: len(b.Facilities), store.Patrols: len(b.Patrols),
		store.Incidents: nIncidents, store.Cases: nCases}
	for l, n := range wantN {
		if len(all[l]) != n {
			t.Errorf("%s: %d features, want %d", l, len(all[l]), n)
		}
	}

	t.Run("BBox", func(t *testing.T) {
		seed := time.Now().UnixNano()
		t.Logf("seed %d", seed)
		rng := newRand(seed)
		db := b.District.Geom.Bound()
		for i := 0; i < 40; i++ {
			// Boxes from tiny to larger than the district, some crossing the slanted community edges.
			w := math.Pow(10, -4+3*rng.Float64())
			h := math.Pow(10, -4+3*rng.Float64())
			x := db.Min[0] - 0.01 + rng.Float64()*(db.Max[0]-db.Min[0]+0.02)
			y := db.Min[1] - 0.01 + rng.Float64()*(db.Max[1]-db.Min[1]+0.02)
			box := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}}
			for _, l := range store.Layers {
				var want []string
				for _, f := range all[l] {
					if intersectsBox(t, f.Geom, box) {
						want = append(want, f.ID)
					}
				}
				page, err := s.Features(ctx, store.Query{Layer: l, BBox: &box})
				if err != nil {
					t.Fatal(err)
				}
				if got := ids(page.Features); fmt.Sprint(got) != fmt.Sprint(want) || page.NumberMatched != len(want) {
					t.Fatalf("box %d %v on %s: got %v (matched %d), want %v", i, box, l, got, page.NumberMatched, want)
				}
			}
		}
	})

	t.Run("Filters", func(t *testing.T) {
		sc := string(b.Streets[1].Code)
		page, err := s.Features(ctx, store.Query{Layer: store.Communities, Filters: map[string]string{"street_code": sc}})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, c := range sorted(b).Communities {
			if string(c.Street) == sc {
				want = append(want, string(c.Code))
			}
		}
		if fmt.Sprint(ids(page.Features)) != fmt.Sprint(want) || page.NumberMatched != len(want) {
			t.Fatalf("communities of %s: got %v, want %v", sc, ids(page.Features), want)
		}
		hh := b.Buildings[7].Households
		page, err = s.Features(ctx, store.Query{Layer: store.Buildings, Filters: map[string]string{"households": strconv.Itoa(hh)}})
		if err != nil {
			t.Fatal(err)
		}
		want = nil
		for _, x := range sorted(b).Buildings {
			if x.Households == hh {
				want = append(want, string(x.ID))
			}
		}
		if fmt.Sprint(ids(page.Features)) != fmt.Sprint(want) {
			t.Fatalf("buildings with %d households: got %v, want %v", hh, ids(page.Features), want)
		}
		page, err = s.Features(ctx, store.Query{Layer: store.Facilities, Filters: map[string]string{"kind": "workstation", "street_code": sc}})
		if err != nil || page.NumberMatched != 3 {
			t.Fatalf("work stations of %s: %d, %v; want 3", sc, page.NumberMatched, err)
		}
		for _, bad := range []store.Query{
			{Layer: store.Buildings, Filters: map[string]string{"colour": "red"}},
			{Layer: store.Buildings, Filters: map[string]string{"households": "many"}},
			{Layer: store.Communities, Filters: map[string]string{"geom": "x"}},
			{Layer: "rivers"},
			{Layer: store.Buildings, Limit: -1},
			{Layer: store.Buildings, BBox: &orb.Bound{Min: orb.Point{math.NaN(), 0}, Max: orb.Point{1, 1}}},
			{Layer: store.Buildings, BBox: &orb.Bound{Min: orb.Point{2, 0}, Max: orb.Point{1, 1}}},
		} {
			_, err := s.Features(ctx, bad)
			wantCode(t, fmt.Sprintf("Features(%+v)", bad), err, errs.Invalid)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		want := ids(all[store.Buildings])
		var got []string
		for off := 0; ; off += 17 {
			page, err := s.Features(ctx, store.Query{Layer: store.Buildings, Limit: 17, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			if page.NumberMatched != len(b.Buildings) {
				t.Fatalf("offset %d: numberMatched %d, want %d", off, page.NumberMatched, len(b.Buildings))
			}
			if len(page.Features) == 0 {
				break
			}
			got = append(got, ids(page.Features)...)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("pages joined: %v, want %v", got, want)
		}
		// Building ids (opaque strings: plain numbers, B-codes, 20-digit
		// codes) list in store.IDLess order: numbers numerically, first.
		for i := 1; i < len(want); i++ {
			if !store.IDLess(want[i-1], want[i]) {
				t.Fatalf("buildings not in id order: %s before %s", want[i-1], want[i])
			}
		}
		// Paging a bbox query.
		box := b.Communities[1].Geom.Bound()
		full, err := s.Features(ctx, store.Query{Layer: store.Buildings, BBox: &box})
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.Features(ctx, store.Query{Layer: store.Buildings, BBox: &box, Limit: 5, Offset: 3})
		if err != nil {
			t.Fatal(err)
		}
		if page.NumberMatched != full.NumberMatched || fmt.Sprint(ids(page.Features)) != fmt.Sprint(ids(full.Features[3:8])) {
			t.Fatalf("bbox page: %v (matched %d), want %v (matched %d)", ids(page.Features), page.NumberMatched, ids(full.Features[3:8]), full.NumberMatched)
		}
	})

	t.Run("Feature", func(t *testing.T) {
		for _, l := range store.Layers {
			if len(all[l]) == 0 {
				t.Fatalf("%s: no features to read back", l)
			}
			want := all[l][len(all[l])/2]
			f, err := s.Feature(ctx, l, 0, want.ID)
			if err != nil {
				t.Fatalf("%s %s: %v", l, want.ID, err)
			}
			if f.ID != want.ID || !sameGeom(f.Geom, want.Geom) || fmt.Sprint(f.Props) != fmt.Sprint(want.Props) {
				t.Fatalf("%s %s: got %+v, want %+v", l, want.ID, f, want)
			}
			for _, missing := range []string{"999999999999999", "no-such-id"} {
				_, err = s.Feature(ctx, l, 0, missing)
				wantCode(t, fmt.Sprintf("Feature(%s, %s)", l, missing), err, errs.NotFound)
			}
		}
		f, err := s.Feature(ctx, store.Communities, 0, string(b.Communities[0].Code))
		if err != nil {
			t.Fatal(err)
		}
		c := b.Communities[0]
		if f.Props["name"] != c.Name || f.Props["street_code"] != string(c.Street) || f.Props["kind"] != string(c.Kind) {
			t.Fatalf("community props %v, want those of %+v", f.Props, c.Code)
		}
	})
}

func testPatrolUpserts(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(7)
	mustImport(t, s, b)
	id := b.Patrols[0].ID
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	pos := func() store.Feature {
		t.Helper()
		f, err := s.Feature(ctx, store.Patrols, 0, id)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := pos(); !samePoint(f.Geom.(orb.Point), b.Patrols[0].Loc) || f.Props["status"] != string(dispatch.StatusAvailable) {
		t.Fatalf("patrol before any report: %v %v, want home %v available", f.Geom, f.Props, b.Patrols[0].Loc)
	}
	p1 := dispatch.PositionReport{Unit: id, Loc: orb.Point{118.61, 32.02}, Status: dispatch.StatusBusy, At: t0.Add(time.Minute)}
	for i := 0; i < 2; i++ { // a replay changes nothing
		if err := report1(ctx, s, p1); err != nil {
			t.Fatal(err)
		}
		if f := pos(); !samePoint(f.Geom.(orb.Point), p1.Loc) || f.Props["status"] != string(dispatch.StatusBusy) {
			t.Fatalf("after report %d: %v %v, want %v busy", i, f.Geom, f.Props, p1.Loc)
		}
	}
	older := dispatch.PositionReport{Unit: id, Loc: orb.Point{118.65, 32.05}, Status: dispatch.StatusOffDuty, At: t0}
	if err := report1(ctx, s, older); err != nil {
		t.Fatal(err)
	}
	f := pos()
	if !samePoint(f.Geom.(orb.Point), p1.Loc) || f.Props["status"] != string(dispatch.StatusBusy) {
		t.Fatalf("an older report moved the unit: %v %v", f.Geom, f.Props)
	}
	at, ok := f.Props["updated_at"].(string)
	if !ok {
		t.Fatalf("updated_at %T %v, want a time string", f.Props["updated_at"], f.Props["updated_at"])
	}
	if tm, err := time.Parse(time.RFC3339Nano, at); err != nil || !tm.Equal(p1.At) {
		t.Fatalf("updated_at %q, want %v", at, p1.At)
	}
	newer := dispatch.PositionReport{Unit: id, Loc: orb.Point{118.62, 32.03}, Status: dispatch.StatusAvailable, At: t0.Add(2 * time.Minute)}
	if err := report1(ctx, s, newer); err != nil {
		t.Fatal(err)
	}
	if f := pos(); !samePoint(f.Geom.(orb.Point), newer.Loc) {
		t.Fatalf("a newer report did not move the unit: %v", f.Geom)
	}
	// Other units did not move.
	if f, err := s.Feature(ctx, store.Patrols, 0, b.Patrols[1].ID); err != nil || !samePoint(f.Geom.(orb.Point), b.Patrols[1].Loc) {
		t.Fatalf("another unit moved: %v %v", f.Geom, err)
	}
	// The bbox index follows the move.
	box := orb.Bound{Min: orb.Point{118.6199, 32.0299}, Max: orb.Point{118.6201, 32.0301}}
	page, err := s.Features(ctx, store.Query{Layer: store.Patrols, BBox: &box})
	if err != nil || fmt.Sprint(ids(page.Features)) != fmt.Sprint([]string{id}) {
		t.Fatalf("patrols in a box around the new position: %v, %v", ids(page.Features), err)
	}
	err = report1(ctx, s, dispatch.PositionReport{Unit: "nobody", Loc: orb.Point{118.6, 32}, Status: dispatch.StatusBusy, At: t0})
	wantCode(t, "unknown patrol", err, errs.NotFound)
	for _, bad := range []dispatch.PositionReport{
		{Unit: id, Loc: orb.Point{math.NaN(), 32}, Status: dispatch.StatusBusy, At: t0},
		{Unit: id, Loc: orb.Point{118, math.Inf(1)}, Status: dispatch.StatusBusy, At: t0},
		{Unit: id, Loc: orb.Point{200, 32}, Status: dispatch.StatusBusy, At: t0},
		{Unit: id, Loc: orb.Point{118, 32}, Status: "asleep", At: t0},
		{Unit: id, Loc: orb.Point{118, 32}, Status: dispatch.StatusBusy},
		{Loc: orb.Point{118, 32}, Status: dispatch.StatusBusy, At: t0},
	} {
		wantCode(t, fmt.Sprintf("report %+v", bad), report1(ctx, s, bad), errs.Invalid)
	}
	if f := pos(); !samePoint(f.Geom.(orb.Point), newer.Loc) {
		t.Fatalf("a rejected report moved the unit: %v", f.Geom)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b := SmallBundle(8)
	mustImport(t, s, b)
	const workers, rounds = 4, 5
	var wg sync.WaitGroup
	errc := make(chan error, workers*rounds*3)
	created := make(chan gridplan.PlanID, workers*rounds)
	base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				p := NewPlan(b, fmt.Sprintf("w%d-r%d", w, r), 0)
				p.Grids = p.Grids[:2]
				id, err := s.CreatePlan(ctx, p)
				if err != nil {
					errc <- fmt.Errorf("CreatePlan: %w", err)
					continue
				}
				created <- id
				if err := s.PublishPlan(ctx, id); err != nil && !errs.Is(err, errs.Conflict) {
					errc <- fmt.Errorf("PublishPlan: %w", err)
				}
				pp := dispatch.PositionReport{Unit: b.Patrols[w%len(b.Patrols)].ID, Loc: orb.Point{118.6 + 0.001*float64(r), 32.01},
					Status: dispatch.StatusBusy, At: base.Add(time.Duration(r) * time.Second)}
				if err := report1(ctx, s, pp); err != nil {
					errc <- fmt.Errorf("ReportPositions: %w", err)
				}
				if _, err := s.Features(ctx, store.Query{Layer: store.Grids}); err != nil {
					errc <- fmt.Errorf("Features: %w", err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	close(created)
	for err := range errc {
		t.Error(err)
	}
	seen := map[gridplan.PlanID]bool{}
	for id := range created {
		if seen[id] {
			t.Fatalf("plan id %d handed out twice", id)
		}
		seen[id] = true
	}
	plans, err := s.Plans(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != workers*rounds {
		t.Fatalf("%d plans, want %d", len(plans), workers*rounds)
	}
	published := 0
	for _, p := range plans {
		if p.Status == gridplan.Published {
			published++
		}
	}
	if published != 1 {
		t.Fatalf("%d published plans after concurrent publishing, want exactly 1", published)
	}
	for w := 0; w < workers && w < len(b.Patrols); w++ {
		f, err := s.Feature(ctx, store.Patrols, 0, b.Patrols[w].ID)
		if err != nil {
			t.Fatal(err)
		}
		want := orb.Point{118.6 + 0.001*float64(rounds-1), 32.01}
		if !samePoint(f.Geom.(orb.Point), want) {
			t.Fatalf("patrol %s at %v, want the latest report %v", b.Patrols[w].ID, f.Geom, want)
		}
	}
}

func testCancellation(t *testing.T, s store.Store) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	b := SmallBundle(10)
	if err := s.ImportBundle(cancelled, b); err == nil {
		t.Fatal("ImportBundle with a cancelled context succeeded")
	}
	if _, err := s.CreatePlan(cancelled, NewPlan(b, "x", 0)); err == nil {
		t.Fatal("CreatePlan with a cancelled context succeeded")
	}
	if _, err := s.Features(cancelled, store.Query{Layer: store.Buildings}); err == nil {
		t.Fatal("Features with a cancelled context succeeded")
	}
	if _, err := s.Plans(cancelled); err == nil {
		t.Fatal("Plans with a cancelled context succeeded")
	}
	ctx := ctxT(t)
	if _, err := s.Bundle(ctx); !errs.Is(err, errs.NotFound) {
		t.Fatalf("after a cancelled import: Bundle = %v, want NotFound", err)
	}
	if plans, err := s.Plans(ctx); err != nil || len(plans) != 0 {
		t.Fatalf("after a cancelled CreatePlan: %d plans (%v)", len(plans), err)
	}
	// Cancelling while an import runs: it either completes or leaves the
	// previous data as it was, never half of each.
	mustImport(t, s, b)
	big := SmallBundle(11)
	for i := 0; i < 20000; i++ {
		x := big.Buildings[i%len(big.Buildings)]
		x.ID = bundle.BuildingID(fmt.Sprintf("BIG%06d", i))
		big.Buildings = append(big.Buildings, x)
	}
	for _, d := range []time.Duration{time.Millisecond, 5 * time.Millisecond, 20 * time.Millisecond} {
		c, cancel := context.WithTimeout(context.Background(), d)
		err := s.ImportBundle(c, big)
		cancel()
		got, rerr := s.Bundle(ctx)
		if rerr != nil {
			t.Fatal(rerr)
		}
		want := b
		if err == nil {
			want = big
		}
		if cerr := compareBundles(want, got); cerr != nil {
			t.Fatalf("import cancelled after %v (err %v): %v", d, err, cerr)
		}
		if err == nil {
			mustImport(t, s, b)
		} else if !errors.Is(err, context.DeadlineExceeded) && !errs.Is(err, errs.Unavailable) {
			t.Logf("import cancelled after %v: %v", d, err)
		}
	}
}

// addIncidents stores reports at a dozen of b's buildings (so the cases
// and incidents layers have features, more than nine so that ids order
// numerically) and one that could not be located (a null geometry). It
// returns how many incidents and cases there are.
func addIncidents(t *testing.T, s store.Store, b *bundle.Bundle) (incidents, cases_ int) {
	t.Helper()
	cs, ok := s.(cases.Store)
	if !ok {
		return 0, 0
	}
	opened := map[cases.CaseID]bool{}
	cats := []string{"env_litter", "liv_elderly_help", "oth_other"}
	for i := 0; i < 12; i++ {
		bl := b.Buildings[(i*len(b.Buildings))/12]
		in := report(cases.Hotline, fmt.Sprintf("feat-%d", i), cats[i%len(cats)], bl.Loc, caseT0.Add(time.Duration(i)*time.Minute))
		got := mustIntake(t, cs, in)
		opened[got.Case] = true
	}
	lost := report(cases.Portal, "feat-lost", "env_litter", orb.Point{}, caseT0)
	lost.Located, lost.Loc, lost.LocatedBy, lost.Score, lost.Reason = false, orb.Point{}, "", 0, cases.ReasonNoAddress
	lost.Street, lost.Community, lost.Grid, lost.Routing = "", "", "", cases.Routing{}
	mustIntake(t, cs, lost)
	return 13, len(opened)
}
