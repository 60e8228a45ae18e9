package storetest

import (
	"errors"
	"io/fs"
	"math/rand"
	"testing"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/store"
)

func newRand(seed int64) *rand.Rand { return rand.New(rand.NewSource(seed)) }

// PukouPlan returns the committed Pukou plan (fixtures/pukou/plan.geojson)
// when present, else one grid a community.
func PukouPlan(b *bundle.Bundle) ([]gridplan.Grid, error) {
	f, err := fixtures.PukouFS().Open("plan.geojson")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return CommunityGrids(b), nil
		}
		return nil, err
	}
	defer f.Close()
	return gridplan.ReadGeoJSON(f)
}

// testPukou imports the committed Pukou bundle and a plan over it, reads
// them back and checks the import stays inside the 10 s budget.
func testPukou(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	b, err := fixtures.LoadPukou()
	if err != nil {
		t.Fatal(err)
	}
	grids, err := PukouPlan(b)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := s.Import(ctx, store.ImportRequest{Bundle: b, Plan: &gridplan.Plan{Name: "pukou", Params: gridplan.DefaultParams(), Grids: grids}, Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan == 0 || !res.Published {
		t.Fatalf("Import result %+v, want a published plan", res)
	}
	took := time.Since(start)
	t.Logf("Pukou bundle (%d buildings) + plan (%d grids) imported and validated in one transaction in %v", len(b.Buildings), len(grids), took)
	if took > 10*time.Second && !raceEnabled {
		t.Errorf("Pukou import took %v, the budget is 10 s", took)
	}
	got, err := s.Bundle(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := compareBundles(b, got); err != nil {
		t.Fatal(err)
	}
	p, err := s.PublishedPlan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	comparePlan(t, &gridplan.Plan{Name: "pukou", Params: gridplan.DefaultParams(), Grids: grids}, p, gridplan.Published)
	for _, l := range store.Layers {
		page, err := s.Features(ctx, store.Query{Layer: l, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		want := map[store.Layer]int{store.Streets: len(b.Streets), store.Communities: len(b.Communities), store.Grids: len(grids),
			store.Buildings: len(b.Buildings), store.Facilities: len(b.Facilities), store.Patrols: len(b.Patrols)}[l]
		if page.NumberMatched != want {
			t.Errorf("%s: %d features, want %d", l, page.NumberMatched, want)
		}
	}
}
