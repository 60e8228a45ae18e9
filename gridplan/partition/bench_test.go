package partition_test

import (
	"context"
	"fmt"
	"syscall"
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
// district the goals are measured on: Pukou, the tower-cluster district
// (seeds 1 and 2) and Pukou with ten times its households (each building
// repeated ten times a few metres apart). Besides wall time it reports the
// process CPU seconds an op (user + system, getrusage), which says more
// than wall time on a shared machine, and the plan's balance and
// compactness figures (figures in gridplan/README.md, Speed).
func BenchmarkPlanDistricts(b *testing.B) {
	pk, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range []struct {
		name string
		bd   func() *bundle.Bundle
	}{
		{"pukou", func() *bundle.Bundle { return pk }},
		{"towers-seed1", func() *bundle.Bundle { return fixtures.Towers(1, fixtures.DefaultTowers()) }},
		{"towers-seed2", func() *bundle.Bundle { return fixtures.Towers(2, fixtures.DefaultTowers()) }},
		{"pukou-x10", func() *bundle.Bundle { return scaled(pk, 10, 1) }},
	} {
		b.Run(d.name, func(b *testing.B) {
			bd := d.bd()
			b.ReportAllocs()
			var rep *partition.Report
			cpu0 := cpuSeconds()
			for b.Loop() {
				var err error
				if _, rep, err = partition.Plan(context.Background(), bd, gridplan.DefaultParams()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/op")
			b.ReportMetric(100*rep.WithinCommunityMeanShare, "%within10")
			b.ReportMetric(100*rep.WithinOutlierShare, "%within25")
			b.ReportMetric(rep.MedianPolsbyPopper, "PPmedian")
			b.ReportMetric(rep.P10PolsbyPopper, "PPp10")
			b.ReportMetric(float64(rep.Grids), "grids")
		})
	}
}

// cpuSeconds is the process's user + system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}
