package storetest_test

import (
	"context"
	"sync"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/store"
)

var (
	partOnce   sync.Once
	partBundle *bundle.Bundle
	partPlan   *gridplan.Plan
	partErr    error
)

// partitionedPukou is partition.Plan of the committed Pukou bundle (seed
// 1), with its units, made once per test binary.
func partitionedPukou(b *testing.B) (*bundle.Bundle, *gridplan.Plan) {
	partOnce.Do(func() {
		if partBundle, partErr = fixtures.LoadPukou(); partErr != nil {
			return
		}
		partPlan, _, partErr = partition.Plan(context.Background(), partBundle, gridplan.DefaultParams())
		if partErr == nil {
			partPlan.Name = "pukou partitioned"
		}
	})
	if partErr != nil {
		b.Fatal(partErr)
	}
	return partBundle, partPlan
}

// BenchmarkCreatePlanUnitsPukou: CreatePlan of the partitioned Pukou plan
// with its units (plan_units rows written in the plan's transaction)
// against the same plan without units, on both stores in one run.
func BenchmarkCreatePlanUnitsPukou(b *testing.B) {
	benchUnitsPukou(b, func(b *testing.B, st store.Store, p *gridplan.Plan) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := st.CreatePlan(ctx, p)
			return err
		}
	})
}

// BenchmarkCreateDraftUnitsPukou: CreateDraft (POST /plans/{id}/drafts)
// of the partitioned Pukou plan with its units against the same plan
// without units, on both stores in one run.
func BenchmarkCreateDraftUnitsPukou(b *testing.B) {
	benchUnitsPukou(b, func(b *testing.B, st store.Store, p *gridplan.Plan) func(context.Context) error {
		id, err := st.CreatePlan(context.Background(), p)
		if err != nil {
			b.Fatal(err)
		}
		return func(ctx context.Context) error {
			_, err := st.CreateDraft(ctx, id, "draft")
			return err
		}
	})
}

// benchUnitsPukou times op on each store holding the Pukou bundle, with
// the partitioned plan with its units ("units") and without ("no-units");
// setup prepares the store for the plan and answers op.
func benchUnitsPukou(b *testing.B, setup func(b *testing.B, st store.Store, p *gridplan.Plan) func(context.Context) error) {
	pb, p := partitionedPukou(b)
	bare := *p
	bare.Units = nil
	for _, s := range stores {
		for _, c := range []struct {
			name string
			p    *gridplan.Plan
		}{{"units", p}, {"no-units", &bare}} {
			b.Run(s.name+"/"+c.name, func(b *testing.B) {
				st := s.open(b)
				defer st.Close()
				ctx := context.Background()
				if err := st.ImportBundle(ctx, pb); err != nil {
					b.Fatal(err)
				}
				op := setup(b, st, c.p)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if err := op(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(c.p.Units)), "units")
			})
		}
	}
}
