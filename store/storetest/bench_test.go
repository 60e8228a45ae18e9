package storetest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
	"github.com/gridd/gridd/store/gpkg"
	"github.com/gridd/gridd/store/postgis"
	"github.com/gridd/gridd/store/storetest"
)

// The benchmarks run each store in the same run so that their figures
// compare on the same (shared, noisy) machine:
//
//	TEST_DATABASE_URL=... go test -run '^$' -bench . -benchtime 5x ./store/storetest/

var stores = []struct {
	name string
	open func(b *testing.B) store.Store
}{
	{"gpkg", func(b *testing.B) store.Store {
		db, err := gpkg.Open(context.Background(), filepath.Join(b.TempDir(), "gridd.gpkg"))
		if err != nil {
			b.Fatal(err)
		}
		return db
	}},
	{"postgis", func(b *testing.B) store.Store {
		db, err := postgis.Open(context.Background(), testenv.PostGIS(b))
		if err != nil {
			b.Fatal(err)
		}
		return db
	}},
}

// pukouInputs loads the committed Pukou bundle and a plan over it once per
// benchmark (the bundle was read twice before).
func pukouInputs(b *testing.B) (*bundle.Bundle, *gridplan.Plan) {
	bd, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	grids, err := storetest.PukouPlan(bd)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("plan of %d grids", len(grids))
	return bd, &gridplan.Plan{Name: "pukou", Params: gridplan.DefaultParams(), Grids: grids}
}

// BenchmarkImportPukou: the whole Pukou bundle (checked) plus a plan, as
// `gridctl import --plan` does it.
func BenchmarkImportPukou(b *testing.B) {
	bd, plan := pukouInputs(b)
	ctx := context.Background()
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			defer st.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := st.ImportBundle(ctx, bd); err != nil {
					b.Fatal(err)
				}
				if _, err := st.CreatePlan(ctx, plan); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPublishedPlan reads the published plan's grids into memory
// (what the service does at start and on every publish).
func BenchmarkPublishedPlan(b *testing.B) {
	bd, plan := pukouInputs(b)
	ctx := context.Background()
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			defer st.Close()
			if err := st.ImportBundle(ctx, bd); err != nil {
				b.Fatal(err)
			}
			id, err := st.CreatePlan(ctx, plan)
			if err != nil {
				b.Fatal(err)
			}
			if err := st.PublishPlan(ctx, id); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p, err := st.PublishedPlan(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(p.Grids) != len(plan.Grids) {
					b.Fatalf("%d grids, want %d", len(p.Grids), len(plan.Grids))
				}
			}
		})
	}
}

// BenchmarkBuildingsBBox pages the buildings of a 1 km box (a z15 map view).
func BenchmarkBuildingsBBox(b *testing.B) {
	bd, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	ctr := bd.Communities[len(bd.Communities)/2].Geom.Bound().Center()
	box := orb.Bound{Min: orb.Point{ctr[0] - 0.005, ctr[1] - 0.0045}, Max: orb.Point{ctr[0] + 0.005, ctr[1] + 0.0045}}
	ctx := context.Background()
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			st := s.open(b)
			defer st.Close()
			if err := st.ImportBundle(ctx, bd); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page, err := st.Features(ctx, store.Query{Layer: store.Buildings, BBox: &box, Limit: 100})
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					b.ReportMetric(float64(page.NumberMatched), "matched")
				}
			}
		})
	}
}
