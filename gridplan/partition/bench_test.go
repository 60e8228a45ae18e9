package partition_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/gridd/gridd/bundle"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/gridplan"
	"github.com/gridd/gridd/gridplan/partition"
)

// BenchmarkPartitionPukou is the whole Pukou partition (125 communities,
// about 719 grids), as `gridctl plan` runs it.
func BenchmarkPartitionPukou(b *testing.B) {
	bd, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := partition.Plan(context.Background(), bd, gridplan.DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPartitionScale shows how the time grows with households: Pukou
// with a tenth of its buildings, as is, and with each building repeated
// ten times a few metres apart.
func BenchmarkPartitionScale(b *testing.B) {
	bd, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	for _, f := range []float64{0.1, 1, 10} {
		sb := bd
		if f != 1 {
			sb = scaled(bd, f, 1)
		}
		b.Run(fmt.Sprintf("households=%d", sb.Households()), func(b *testing.B) {
			b.ReportAllocs()
			grids := 0
			for b.Loop() {
				plan, _, err := partition.Plan(context.Background(), sb, gridplan.DefaultParams())
				if err != nil {
					b.Fatal(err)
				}
				grids = len(plan.Grids)
			}
			b.ReportMetric(float64(grids), "grids")
		})
	}
}

// BenchmarkPartitionTowers is the tower-cluster district
// (fixtures.Towers, seed 1: 20 communities, about 135,000 households).
func BenchmarkPartitionTowers(b *testing.B) {
	bd := fixtures.Towers(1, fixtures.DefaultTowers())
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := partition.Plan(context.Background(), bd, gridplan.DefaultParams()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPlanDistricts is issue 15's plan-time benchmark on every
// district the goals are measured on: Pukou and the tower-cluster district
// for seeds 1 and 2 (figures in gridplan/README.md, Speed).
func BenchmarkPlanDistricts(b *testing.B) {
	pk, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []struct {
		name string
		bd   *bundle.Bundle
	}{
		{"pukou", pk},
		{"towers-seed1", fixtures.Towers(1, fixtures.DefaultTowers())},
		{"towers-seed2", fixtures.Towers(2, fixtures.DefaultTowers())},
	} {
		b.Run(d.name, func(b *testing.B) {
			b.ReportAllocs()
			var rep *partition.Report
			for b.Loop() {
				var err error
				if _, rep, err = partition.Plan(context.Background(), d.bd, gridplan.DefaultParams()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(100*rep.WithinCommunityMeanShare, "%within10")
			b.ReportMetric(rep.MedianPolsbyPopper, "PPmedian")
		})
	}
}
