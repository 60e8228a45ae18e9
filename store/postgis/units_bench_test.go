package postgis

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/gridd/gridd/dispatch"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
)

// BenchmarkReportPositions is ReportPositions on PostGIS in batches of
// 100 reports over Pukou's 3,338 units (300 patrols, 3,038 workers), from
// 1 and 8 concurrent clients, each client reporting its own units (as
// vehicle-location feeds do) with times moving forward. It reports
// reports/s.
func BenchmarkReportPositions(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, testenv.PostGIS(b)+"&pool_max_conns=8")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	pk, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	if err := db.ImportBundle(ctx, pk); err != nil {
		b.Fatal(err)
	}
	rows := store.UnitRows(pk)
	const batch = 100
	groups := len(rows) / batch
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var tick atomic.Int64
	mk := func(g int) []dispatch.PositionReport {
		at := t0.Add(time.Duration(tick.Add(1)) * time.Millisecond)
		rs := make([]dispatch.PositionReport, batch)
		for i := range rs {
			u := rows[g*batch+i]
			rs[i] = dispatch.PositionReport{Unit: u.ID, Loc: orb.Point{118.6 + float64(i)*0.0001, 32.1 + float64(g)*0.0001}, At: at, Status: dispatch.StatusAvailable}
		}
		return rs
	}
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			var next atomic.Int64
			var wg sync.WaitGroup
			errc := make(chan error, clients)
			b.ResetTimer()
			start := time.Now()
			for c := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						// client c owns the groups ≡ c (mod clients)
						g := c + clients*int(tick.Load()%int64(max(1, groups/clients)))
						if g >= groups {
							g = c % groups
						}
						if _, err := db.ReportPositions(ctx, mk(g)); err != nil {
							errc <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			close(errc)
			for err := range errc {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*batch)/el.Seconds(), "reports/s")
		})
	}
}
