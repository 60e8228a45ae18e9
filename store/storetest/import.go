package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/errs"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

// ImportInput is one import's bundle and plan, named so that the store's
// state after it can be recognised (Snapshot.Name).
func ImportInput(name string, seed int64) (*bundle.Bundle, *gridplan.Plan) {
	b := SmallBundle(seed)
	b.District.Name = name
	return b, NewPlan(b, name, 0)
}

// Snapshot is what a store holds, in the terms the import tests compare:
// the district's name, the published plan's name, the counts.
type Snapshot struct {
	District  string // "" when the store has no bundle
	Published string // "" when no plan is published
	Buildings int
	Plans     int
}

// TakeSnapshot reads s's snapshot.
func TakeSnapshot(ctx context.Context, s store.Store) (Snapshot, error) {
	var snap Snapshot
	b, err := s.Bundle(ctx)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return snap, err
	default:
		snap.District, snap.Buildings = b.District.Name, len(b.Buildings)
	}
	p, err := s.PublishedPlan(ctx)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return snap, err
	default:
		snap.Published = p.Name
	}
	plans, err := s.Plans(ctx)
	snap.Plans = len(plans)
	return snap, err
}

func mustSnapshot(t *testing.T, s store.Store) Snapshot {
	t.Helper()
	snap, err := TakeSnapshot(ctxT(t), s)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func testImportOneTransaction(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b, p := ImportInput("A", 21)
	res, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: p, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan == 0 || !res.Published || res.Withdrawn != 0 {
		t.Fatalf("result %+v, want a new published plan", res)
	}
	want := Snapshot{District: "A", Published: "A", Buildings: len(b.Buildings), Plans: 1}
	if got := mustSnapshot(t, s); got != want {
		t.Fatalf("after the import: %+v, want %+v", got, want)
	}
	// A failing step at the end (the plan is bad) leaves nothing of the
	// bundle that came with it.
	b2, p2 := ImportInput("B", 22)
	p2.Grids[0].Households += 7
	_, err = s.Import(ctx, store.ImportRequest{Bundle: b2, Plan: p2, Publish: true})
	wantCode(t, "import with a bad plan", err, errs.Invalid)
	if got := mustSnapshot(t, s); got != want {
		t.Fatalf("a failed import changed the store: %+v, want %+v", got, want)
	}
	// A plan alone is validated against the stored bundle.
	_, p3 := ImportInput("C", 21)
	p3.Name = "C"
	res, err = s.Import(ctx, store.ImportRequest{Plan: p3})
	if err != nil || res.Published {
		t.Fatalf("plan-only import: %+v, %v; want a draft", res, err)
	}
	if got := mustSnapshot(t, s); got.Plans != 2 || got.Published != "A" {
		t.Fatalf("after a draft import: %+v", got)
	}
	bad := []struct {
		name string
		req  store.ImportRequest
	}{
		{"nothing", store.ImportRequest{}},
		{"publish without a plan", store.ImportRequest{Bundle: b, Publish: true}},
		{"plan of another bundle", store.ImportRequest{Plan: p2}},
	}
	for _, c := range bad {
		_, err := s.Import(ctx, c.req)
		wantCode(t, c.name, err, errs.Invalid)
	}
}

func testImportValidatesPlan(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b, _ := ImportInput("V", 23)
	_, p := ImportInput("V", 23)
	_, err := s.Import(ctx, store.ImportRequest{Plan: p})
	wantCode(t, "a plan into a store without a bundle", err, errs.Invalid)
	mustImport(t, s, b)
	spoils := []struct {
		name  string
		spoil func(p *gridplan.Plan)
	}{
		{"empty plan", func(p *gridplan.Plan) { p.Grids = nil }},
		{"households 99999", func(p *gridplan.Plan) { p.Grids[1].Households = 99999 }},
		{"missing grid", func(p *gridplan.Plan) { p.Grids = p.Grids[1:] }},
		{"shifted 1° east", func(p *gridplan.Plan) { p.Grids[2].Geom = shifted(p.Grids[2].Geom, 1) }},
		{"several at once", func(p *gridplan.Plan) {
			p.Grids[0].Households, p.Grids[3].Households = 99999, 1
			p.Grids = p.Grids[:5]
		}},
	}
	for _, c := range spoils {
		t.Run(c.name, func(t *testing.T) {
			_, p := ImportInput("V", 23)
			c.spoil(p)
			findings := gridplan.Validate(p, b).Errors()
			_, err := s.Import(ctx, store.ImportRequest{Plan: p, Publish: true})
			wantCode(t, "Import", err, errs.Invalid)
			var l errs.List
			if e, ok := errs.As(err); ok {
				l, _ = e.Err.(errs.List)
			}
			if len(findings) == 0 || len(l) != len(findings) {
				t.Fatalf("the error lists %d problems, the plan has %d findings: %v", len(l), len(findings), err)
			}
			if snap := mustSnapshot(t, s); snap.Plans != 0 {
				t.Fatalf("a rejected plan left %d plans", snap.Plans)
			}
		})
	}
}

func shifted(mp orb.MultiPolygon, dx float64) orb.MultiPolygon {
	mp = mp.Clone()
	for _, p := range mp {
		for _, r := range p {
			for i := range r {
				r[i][0] += dx
			}
		}
	}
	return mp
}

func testImportMisfitBundle(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b, p := ImportInput("M", 24)
	res, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: p, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	before := mustSnapshot(t, s)
	// The same district again, its addresses rewritten: the plan still fits.
	same := SmallBundle(24)
	same.District.Name = "M"
	for i := range same.Buildings {
		same.Buildings[i].Address += "（新）"
	}
	if err := s.ImportBundle(ctx, same); err != nil {
		t.Fatalf("a bundle the published plan still fits: %v", err)
	}
	if got := mustSnapshot(t, s); got != before {
		t.Fatalf("after a fitting bundle: %+v, want %+v", got, before)
	}
	// A header-only buildings.csv: no buildings, the plan's households
	// are all wrong.
	empty := SmallBundle(24)
	empty.District.Name = "M0"
	empty.Buildings = nil
	err = s.ImportBundle(ctx, empty)
	wantCode(t, "a bundle the published plan no longer fits", err, errs.Invalid)
	if got := mustSnapshot(t, s); got != before {
		t.Fatalf("a refused bundle changed the store: %+v, want %+v", got, before)
	}
	// Withdrawing the plan in the same transaction.
	res2, err := s.Import(ctx, store.ImportRequest{Bundle: empty, WithdrawPlan: true})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Withdrawn != res.Plan {
		t.Fatalf("withdrawn %d, want plan %d", res2.Withdrawn, res.Plan)
	}
	want := Snapshot{District: "M0", Published: "", Buildings: 0, Plans: 1}
	if got := mustSnapshot(t, s); got != want {
		t.Fatalf("after withdrawing: %+v, want %+v", got, want)
	}
	if page, err := s.Features(ctx, store.Query{Layer: store.Grids}); err != nil || page.NumberMatched != 0 {
		t.Fatalf("grids layer after withdrawing: %d, %v; want none", page.NumberMatched, err)
	}
}

// testConcurrentImports runs imports of different districts at once: each
// succeeds or fails with Conflict, and the store ends holding one run's
// district with that same run's plan.
func testConcurrentImports(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 4
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("run%d", i)
		b, p := ImportInput(name, int64(30+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: p, Publish: true})
			if err != nil {
				err = fmt.Errorf("%s: %w", name, err)
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	ok := 0
	for err := range errc {
		switch {
		case err == nil:
			ok++
		case errs.Is(err, errs.Conflict):
			t.Logf("loser: %v", err)
		default:
			t.Errorf("concurrent import: %v (want success or Conflict)", err)
		}
	}
	snap := mustSnapshot(t, s)
	if ok == 0 || snap.District == "" || snap.District != snap.Published || snap.Plans != ok {
		t.Fatalf("after %d successful concurrent imports: %+v; want one run's district with its own plan, %d plans", ok, snap, ok)
	}
}

// Clocked is a store whose clock can be injected (both backends are).
type Clocked interface {
	SetClock(now func() time.Time)
}

// testInjectedClock: plans are stamped with the injected clock, created
// and published.
func testInjectedClock(t *testing.T, s store.Store) {
	c, ok := s.(Clocked)
	if !ok {
		t.Skip("the store's clock cannot be injected")
	}
	at := time.Date(2031, 5, 6, 7, 8, 9, 123456000, time.UTC)
	c.SetClock(func() time.Time { return at })
	ctx := ctxT(t)
	b, p := ImportInput("clock", 25)
	res, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: p, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Plan(ctx, res.Plan)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(at) || !got.PublishedAt.Equal(at) {
		t.Fatalf("created %v, published %v; want the injected %v", got.CreatedAt, got.PublishedAt, at)
	}
}
