package storetest_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
	"github.com/gridd/gridd/internal/sfgeom"
)

// BenchmarkEditRoundTripPukou is what POST /plans/{id}/edits does for a
// merge of a ~500-household urban Pukou grid with its neighbour, less
// the HTTP: read the draft, ApplyEdit (recount and validation of the
// community) against the bundle the server holds in memory, EditGrids
// (the changed rows). The bundle read (bundle-ms/op, what the handler
// does only when the catalogue has no bundle) and a whole ReplaceGrids
// (replace-ms/op) are measured beside it, outside the op's time. The
// draft is put back outside the timer.
func BenchmarkEditRoundTripPukou(b *testing.B) {
	bd, plan := pukouInputs(b)
	ctx := context.Background()
	best, bestD := -1, math.Inf(1)
	for i, g := range plan.Grids {
		if d := math.Abs(float64(g.Households - 500)); g.Kind == bundle.Urban && d < bestD {
			best, bestD = i, d
		}
	}
	g := plan.Grids[best]
	var e gridplan.Edit
	for _, n := range plan.Grids {
		if n.Community == g.Community && n.Code != g.Code {
			if u, err := sfgeom.Union(g.Geom, n.Geom); err == nil && len(u) < len(g.Geom)+len(n.Geom) {
				e = gridplan.Edit{Op: "merge", Grids: []bundle.GridCode{g.Code, n.Code}}
				break
			}
		}
	}
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
			var tPlan, tBundle, tEdit, tWrite, tReplace time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				p, err := st.Plan(ctx, id)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				r, err := gridplan.ApplyEdit(ctx, p, bd, e, partition.Grids)
				if err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if err := st.EditGrids(ctx, id, r.Changed, r.Removed, r.Base); err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				tPlan, tEdit, tWrite = tPlan+t1.Sub(t0), tEdit+t2.Sub(t1), tWrite+t3.Sub(t2)
				b.StopTimer()
				t4 := time.Now()
				if _, err := st.Bundle(ctx); err != nil {
					b.Fatal(err)
				}
				t5 := time.Now()
				if err := st.ReplaceGrids(ctx, id, r.Grids); err != nil {
					b.Fatal(err)
				}
				tBundle, tReplace = tBundle+t5.Sub(t4), tReplace+time.Since(t5)
				if err := st.ReplaceGrids(ctx, id, plan.Grids); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			n := float64(b.N) * 1e6
			b.ReportMetric(float64(tPlan)/n, "plan-ms/op")
			b.ReportMetric(float64(tBundle)/n, "bundle-ms/op")
			b.ReportMetric(float64(tEdit)/n, "edit-ms/op")
			b.ReportMetric(float64(tWrite)/n, "write-ms/op")
			b.ReportMetric(float64(tReplace)/n, "replace-ms/op")
		})
	}
}
