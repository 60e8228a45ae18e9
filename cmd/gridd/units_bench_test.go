package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gridd/gridd/api"
	"github.com/gridd/gridd/fixtures"
	"github.com/gridd/gridd/internal/testenv"
	"github.com/gridd/gridd/store"
)

// BenchmarkPositionsPostGIS is POST /units/positions end to end on
// PostGIS, batches of 100 reports of Pukou's units from 8 concurrent
// clients (each its own units, times moving forward); it reports
// reports/s and the p50/p99 latency of a batch.
func BenchmarkPositionsPostGIS(b *testing.B) {
	dsn := testenv.PostGIS(b) + "&pool_max_conns=16"
	base := startGridd(b, nil, map[string]string{"DATABASE_URL": dsn, "GRIDD_API_KEYS": api.HashKey("fleet") + " fleet avl"})
	pk, err := fixtures.LoadPukou()
	if err != nil {
		b.Fatal(err)
	}
	rows := store.UnitRows(pk)
	const batch, clients = 100, 8
	groups := len(rows) / batch
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	t0 := time.Now().UTC()
	var next, fails atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := next.Add(1); n <= int64(b.N); n = next.Add(1) {
				g := (c + clients*int(n)) % groups
				at := t0.Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)
				reps := make([]map[string]any, batch)
				for i := range reps {
					reps[i] = map[string]any{"unit": rows[g*batch+i].ID, "lon": 118.6 + float64(i)*0.0001, "lat": 32.1 + float64(g)*0.0001,
						"at": at, "status": "available"}
				}
				body, _ := json.Marshal(reps)
				req, _ := http.NewRequest("POST", base+"/units/positions", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-Key", "fleet")
				s := time.Now()
				res, err := client.Do(req)
				if err != nil {
					fails.Add(1)
					continue
				}
				raw, _ := io.ReadAll(res.Body)
				res.Body.Close()
				d := time.Since(s)
				if res.StatusCode != http.StatusOK {
					if fails.Add(1) == 1 {
						b.Logf("first failure: %d %s", res.StatusCode, raw)
					}
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	if f := fails.Load(); f > 0 {
		b.Fatalf("%d of %d batches failed", f, b.N)
	}
	b.ReportMetric(float64(b.N*batch)/el.Seconds(), "reports/s")
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}
